-- The member bot (issue #17). Its answers counted: how often a group's
-- members asked each FAQ entry on a day, asks within the answer's
-- cooldown included, so staff see the questions a group really has.
CREATE TABLE bot_asks (
    group_id  BIGINT NOT NULL REFERENCES chat_groups(id),
    entry     TEXT NOT NULL,    -- the entry's name
    day       TEXT NOT NULL,    -- YYYY-MM-DD in the server's time zone
    asks      BIGINT NOT NULL,
    PRIMARY KEY (group_id, day, entry)
);

-- The daily check-in (打卡): one a member a group a day, with the streak
-- of days in a row it ends and the points it earned.
CREATE TABLE checkins (
    group_id  BIGINT NOT NULL REFERENCES chat_groups(id),
    person_id BIGINT NOT NULL REFERENCES people(id),
    day       TEXT NOT NULL,    -- YYYY-MM-DD in the server's time zone
    streak    BIGINT NOT NULL,
    points    BIGINT NOT NULL,
    at        BIGINT NOT NULL,
    PRIMARY KEY (group_id, person_id, day)
);

-- The anti-raid lockdown ([raid]): a group whose joins came faster than
-- its rules allow is locked down until until_at (newcomers removed or
-- held); kept so that a restart does not lift it early.
CREATE TABLE lockdowns (
    group_id   BIGINT PRIMARY KEY REFERENCES chat_groups(id),
    started_at BIGINT NOT NULL,
    until_at   BIGINT NOT NULL
);
