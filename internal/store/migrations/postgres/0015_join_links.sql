-- A group's own invite link or QR-code image (set by staff), where the
-- organisation's stable join links (活码, /join/{code}) send a newcomer
-- once capacity routing has chosen the group.
CREATE TABLE group_links (
    group_id    BIGINT PRIMARY KEY REFERENCES chat_groups(id),
    invite_url  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);
