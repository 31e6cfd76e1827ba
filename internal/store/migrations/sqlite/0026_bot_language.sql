-- The language the bot writes in, one per group (#16): chat messages are
-- in the group's language, never mixed. An organisation's default is what
-- its new groups start with; a group's own is set on its settings page.
ALTER TABLE orgs ADD COLUMN bot_lang TEXT NOT NULL DEFAULT 'zh';
ALTER TABLE chat_groups ADD COLUMN bot_lang TEXT NOT NULL DEFAULT 'zh';
