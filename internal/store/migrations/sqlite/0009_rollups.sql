-- Daily rollups: analytics read these instead of rescanning messages.
-- A day is a calendar day in the organisation's time zone, as days since
-- 1970-01-01 there. Staff and bots are left out of member figures.
CREATE INDEX messages_sent ON messages(sent_at);

-- One member's posting in one group on one day.
CREATE TABLE member_days (
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    day          INTEGER NOT NULL,
    messages     INTEGER NOT NULL,
    substantive  INTEGER NOT NULL,
    PRIMARY KEY (group_id, day, person_id)
);
CREATE INDEX member_days_person ON member_days(person_id, day);

-- One group's figures for one day, its health score and state that day.
CREATE TABLE group_days (
    group_id         INTEGER NOT NULL REFERENCES chat_groups(id),
    day              INTEGER NOT NULL,
    messages         INTEGER NOT NULL DEFAULT 0,
    member_messages  INTEGER NOT NULL DEFAULT 0,
    communicators    INTEGER NOT NULL DEFAULT 0,
    questions        INTEGER NOT NULL DEFAULT 0,
    answered         INTEGER NOT NULL DEFAULT 0,
    joins            INTEGER NOT NULL DEFAULT 0,
    leaves           INTEGER NOT NULL DEFAULT 0,
    members          INTEGER NOT NULL DEFAULT 0,
    health           REAL NOT NULL DEFAULT 0,
    health_parts     TEXT NOT NULL DEFAULT '{}',
    state            TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (group_id, day)
);

-- Alerts raised by the rollup: a group turning dormant, dying or dead, a
-- core member going quiet. person_id is 0 for group alerts.
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id    INTEGER NOT NULL DEFAULT 0,
    kind         TEXT NOT NULL,
    day          INTEGER NOT NULL,
    detail       TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    resolved_at  INTEGER,
    UNIQUE (group_id, person_id, kind, day)
);
CREATE INDEX alerts_open ON alerts(org_id, resolved_at, id);

-- How far the daily rollup has come, per organisation.
CREATE TABLE rollup_marks (
    org_id  INTEGER PRIMARY KEY REFERENCES orgs(id),
    day     INTEGER NOT NULL
);
