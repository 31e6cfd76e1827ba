-- Temporary groups: when their end was announced.
ALTER TABLE chat_groups ADD COLUMN expiry_reminded_at INTEGER;
