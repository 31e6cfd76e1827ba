-- Fewer indexes on messages, the table every ingested message is written
-- to (#14): the single ingest writer spent more than a third of its time
-- inserting into the messages table's five indexes.
--
-- messages_sent (by time alone) served no query here: SQLite's planner
-- reads the organisation-wide time ranges a group at a time through
-- messages_group_time (PostgreSQL keeps it: it reads a day through it).
-- messages_group (by group and id) served the group's message list and
-- the questions tracker; the list now pages in time order through
-- messages_group_time and the tracker reads new messages by id.
-- messages_person becomes (person, group, time): the per-member questions
-- of churn, purges, seats and retention ("the member's last message in
-- this group") were answered by scanning the whole group's messages.
DROP INDEX messages_sent;
DROP INDEX messages_group;
DROP INDEX messages_person;
CREATE INDEX messages_person ON messages(person_id, group_id, sent_at);
