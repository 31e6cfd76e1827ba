-- Points besides the daily check-in's (issue #17): a member's substantive
-- posts (three lines or more, at most [checkin] posts_per_day a day) and
-- staff's awards, each recorded once: ref is the post's message id or the
-- award's event (a chat command) or form (the console), so an event
-- delivered again, or a form sent twice, adds nothing.
CREATE TABLE points (
    id        INTEGER PRIMARY KEY,
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    day       TEXT NOT NULL,    -- YYYY-MM-DD in the server's time zone
    kind      TEXT NOT NULL,    -- post, award
    points    INTEGER NOT NULL,
    ref       TEXT NOT NULL,
    actor     TEXT NOT NULL DEFAULT '',  -- an award's giver as the audit log names them: staff:<platform id> (chat), staff:<account> (console)
    actor_name TEXT NOT NULL DEFAULT '', -- and as the member's history shows them
    reason    TEXT NOT NULL DEFAULT '',
    at        INTEGER NOT NULL,
    UNIQUE (group_id, kind, ref)
);
CREATE INDEX points_member ON points (group_id, person_id, day);
CREATE INDEX points_person ON points (person_id, at);
