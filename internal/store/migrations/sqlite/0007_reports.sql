-- Member reports (举报) and appeals, with the staff decision on each.
CREATE TABLE reports (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    message_id   TEXT NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    reporter_id  INTEGER NOT NULL REFERENCES people(id),
    created_at   INTEGER NOT NULL,
    UNIQUE (group_id, message_id, reporter_id)
);

CREATE TABLE report_cases (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    message_id  TEXT NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    reports     INTEGER NOT NULL DEFAULT 0,
    hidden      INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'open',
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (group_id, message_id)
);
CREATE INDEX report_cases_status ON report_cases(org_id, status);

CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    text        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'open',
    decided_by  TEXT NOT NULL DEFAULT '',
    decided_at  INTEGER,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX appeals_status ON appeals(org_id, status);
