-- A person's memberships of one group, by both: the ladder's count asks,
-- for each of the person's offences, whether they were staff of the
-- offence's group (and whether a later membership replaced that one).
-- With memberships indexed by person alone, and by group alone since
-- 0035, SQLite read the whole group's memberships for each offence, twice
-- nested: half a millisecond a count in the ingest writer, 18% of its time
-- in a batched HTTP run. With both columns (and the join time the nested
-- question compares) the index matches every term and the planner takes it.
DROP INDEX memberships_person;
CREATE INDEX memberships_person ON memberships(person_id, group_id, joined_at);
