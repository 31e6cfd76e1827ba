-- Push responses and per-group activity read a group's messages by time.
CREATE INDEX messages_group_time ON messages(group_id, sent_at);
