-- Console accounts scoped to part of the organisation: a secretary or
-- assistant sees only the groups of one tree node (and below) or one group.
ALTER TABLE users ADD COLUMN scope_node_id BIGINT REFERENCES nodes(id);
ALTER TABLE users ADD COLUMN scope_group_id BIGINT REFERENCES chat_groups(id);
