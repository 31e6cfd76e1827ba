-- The script library (剧本库) and the push schedule.
CREATE TABLE scripts (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    author         TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'draft',
    reject_reason  TEXT NOT NULL DEFAULT '',
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX scripts_org_status ON scripts(org_id, status);

CREATE TABLE script_revisions (
    id          INTEGER PRIMARY KEY,
    script_id   INTEGER NOT NULL REFERENCES scripts(id),
    title       TEXT NOT NULL,
    body        TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    editor      TEXT NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX script_revisions_script ON script_revisions(script_id, id);

CREATE TABLE pushes (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    script_id    INTEGER NOT NULL REFERENCES scripts(id),
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    slot         TEXT NOT NULL DEFAULT '',
    want_at      INTEGER NOT NULL,
    planned_at   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'planned',
    reason       TEXT NOT NULL DEFAULT '',
    duty_person  INTEGER REFERENCES people(id),
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER,
    UNIQUE (script_id, group_id, want_at)
);
CREATE INDEX pushes_group_time ON pushes(group_id, planned_at);
CREATE INDEX pushes_due ON pushes(status, planned_at);

-- Named leases so that exactly one replica runs a due job.
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    lease_until  INTEGER NOT NULL
);
