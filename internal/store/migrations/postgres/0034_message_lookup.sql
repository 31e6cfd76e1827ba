-- One index fewer on messages (#14): the ingest writer put every
-- message into messages_external (group, platform id) as well as into
-- messages_group_time (group, time), two b-trees with a leaf per busy group
-- written at every commit. The platform id joins the time index instead:
-- a message is found by its id through its group's recent entries, newest
-- first, read from the index alone. Every lookup by platform id is of a
-- message replied to, reported or acted on, sent shortly before, and
-- reaches back a bounded time (pipeline.ReplyReach).
--
-- A report case keeps the row of the message reported (message_row), read
-- by the review queue; the cases open before this migration find theirs
-- through the old index, before it goes.
ALTER TABLE report_cases ADD COLUMN message_row BIGINT;
UPDATE report_cases SET message_row = (SELECT m.id FROM messages m
    WHERE m.group_id = report_cases.group_id AND m.external_id = report_cases.message_id ORDER BY m.sent_at DESC LIMIT 1);
DROP INDEX messages_external;
DROP INDEX messages_group_time;
CREATE INDEX messages_group_time ON messages(group_id, sent_at, external_id);
