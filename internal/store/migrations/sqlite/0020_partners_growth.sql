-- A campaign may belong to a tree node (a branch's own referral drive):
-- the secretaries of that part of the tree run it. NULL: the whole
-- organisation's, run by managers.
ALTER TABLE campaigns ADD COLUMN node_id INTEGER REFERENCES nodes(id);

-- When a seat is released the first person on the level's waitlist at
-- that entity moves up into a seat; each such move is recorded with where
-- the person was told (a group they are in, in that group's language) or
-- that no chat could reach them, so the console can say whom to tell
-- (the seat by its number: a reused number frees the released row).
CREATE TABLE partner_notices (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    level_id    INTEGER NOT NULL REFERENCES partner_levels(id),
    entity_id   INTEGER NOT NULL REFERENCES nodes(id),
    number      INTEGER NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    group_id    INTEGER REFERENCES chat_groups(id),
    lang        TEXT NOT NULL DEFAULT '',
    text        TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX partner_notices_org ON partner_notices(org_id, id);
