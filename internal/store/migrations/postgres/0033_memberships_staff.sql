-- A group's staff (owner, secretary, assistants) among its current
-- members (#14). The questions tracker reads the organisation's staff on
-- every run and, for each new question, the assistants on duty of its
-- group when the group keeps no roster; both read through memberships_open
-- and the table, every membership of the organisation or of the group, to
-- find the few who are not plain members: a quarter of qunzhu's CPU under a
-- sustained ingest with 200,000 members. The index holds the staff only;
-- its rows are written for them alone, and a member's leaving updates it.
-- Queries that use it name its condition (role <> 'member') and ask for
-- the roles and left_at IS NULL as equalities, so both planners see that
-- it applies and SQLite prefers it to memberships_left.
CREATE INDEX memberships_staff ON memberships(role, left_at, group_id, person_id) WHERE role <> 'member';

-- The organisation's bots, read with its staff: identities had no index
-- that finds them, so every read walked every identity.
CREATE INDEX identities_bots ON identities(person_id) WHERE bot = TRUE;
