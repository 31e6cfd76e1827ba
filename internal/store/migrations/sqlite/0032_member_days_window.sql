-- PostgreSQL adds member_days_window (day, group_id, person_id) INCLUDE
-- (messages) for the day rollup's window read (#14). SQLite reads the
-- window through the primary key's index in its order (group_id, day,
-- person_id) with no sort, 8.4 s for a day's rollup at full size, within
-- its target; nothing is added here, which the rollup's inserts would pay
-- for.
SELECT 1;
