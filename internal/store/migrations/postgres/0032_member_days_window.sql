-- The day rollup reads the 56 days of member_days before the day it
-- computes, for the whole organisation (#14). Through the primary key
-- (group_id, day, person_id) PostgreSQL walked every entry for a range on
-- its second column and fetched each row from the table: 18 s of a run at
-- 10k groups / 1M members / 10M messages, most of it reading the table.
-- In day order, with messages carried in the index, the window is one
-- range read from the index alone (49,000 buffers instead of 481,000).
-- SQLite keeps reading the window in primary-key order (its migration of
-- this number changes nothing).
CREATE INDEX member_days_window ON member_days(day, group_id, person_id) INCLUDE (messages);
