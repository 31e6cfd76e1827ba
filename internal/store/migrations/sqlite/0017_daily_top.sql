-- Groups that get the day's top posters posted into them at a chosen time
-- (minutes after midnight in the organisation's zone); last_day keeps it
-- to once a day.
CREATE TABLE daily_tops (
    group_id    INTEGER PRIMARY KEY REFERENCES chat_groups(id),
    at_minute   INTEGER NOT NULL,
    size        INTEGER NOT NULL DEFAULT 10,
    last_day    INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER NOT NULL
);
