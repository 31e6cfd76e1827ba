-- Groups that get the day's top posters posted into them at a chosen time
-- (minutes after midnight in the organisation's zone); last_day keeps it
-- to once a day.
CREATE TABLE daily_tops (
    group_id    BIGINT PRIMARY KEY REFERENCES chat_groups(id),
    at_minute   BIGINT NOT NULL,
    size        BIGINT NOT NULL DEFAULT 10,
    last_day    BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);
