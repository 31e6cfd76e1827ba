-- Imports of chat exports (docs/import.md): each upload or `qunzhu
-- import` is a job whose progress is written as it runs, so a restart
-- shows a job that stopped as interrupted (its heartbeat is old), and the
-- console can run it again (event ids are deterministic: nothing is
-- stored twice).
CREATE TABLE import_jobs (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    created_by    TEXT NOT NULL,
    connection    TEXT NOT NULL,
    format        TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    upload        TEXT NOT NULL DEFAULT '',
    size          INTEGER NOT NULL DEFAULT 0,
    plan          TEXT NOT NULL DEFAULT '{}',
    summary       TEXT NOT NULL DEFAULT '{}',
    result        TEXT NOT NULL DEFAULT '{}',
    status        TEXT NOT NULL,
    phase         TEXT NOT NULL DEFAULT '',
    bytes         INTEGER NOT NULL DEFAULT 0,
    events        INTEGER NOT NULL DEFAULT 0,
    accepted      INTEGER NOT NULL DEFAULT 0,
    duplicates    INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    holder        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    heartbeat_at  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX import_jobs_org ON import_jobs(org_id, id);

-- Merge proposals the staff dismissed: a member imported by name (a name
-- or e-mail identity) is not the person of that platform identity. Kept by
-- the identities' ids, so a dismissal outlives merges of either person.
CREATE TABLE merge_dismissals (
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    connection    TEXT NOT NULL,
    name_id       TEXT NOT NULL,
    other_id      TEXT NOT NULL,
    dismissed_by  TEXT NOT NULL,
    dismissed_at  INTEGER NOT NULL,
    PRIMARY KEY (connection, name_id, other_id)
);

-- Retention ([retention] audit_detail) clears the detail of old audit
-- entries — the message a decision was about, what matched — and keeps
-- the entry: who did what, when, to whom. That is the one change the
-- append-only log allows.
DROP TRIGGER audit_log_no_update;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
WHEN NOT (NEW.detail = '{"expired":true}' AND NEW.id = OLD.id AND NEW.org_id = OLD.org_id AND NEW.at = OLD.at
    AND NEW.actor = OLD.actor AND NEW.action = OLD.action AND NEW.subject = OLD.subject)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
