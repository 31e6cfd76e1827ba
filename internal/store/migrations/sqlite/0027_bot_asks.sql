-- The member bot's answers counted (issue #17): how often a group's
-- members asked each FAQ entry on a day, asks within the answer's
-- cooldown included, so staff see the questions a group really has.
CREATE TABLE bot_asks (
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    entry     TEXT NOT NULL,    -- the entry's name
    day       TEXT NOT NULL,    -- YYYY-MM-DD in the server's time zone
    asks      INTEGER NOT NULL,
    PRIMARY KEY (group_id, day, entry)
);
