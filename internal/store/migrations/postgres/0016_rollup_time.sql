-- When the daily rollup last ran (ms since the epoch), for pages that
-- show figures "as of the last rollup" and keep them until the next run.
ALTER TABLE rollup_marks ADD COLUMN rolled_at BIGINT NOT NULL DEFAULT 0;

-- The console sums member messages over days of every group: an index
-- that holds them, so that the sums read no table rows (health_parts
-- makes those wide).
CREATE INDEX group_days_member_messages ON group_days(group_id, day, member_messages);
