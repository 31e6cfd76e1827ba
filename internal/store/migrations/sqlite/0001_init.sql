-- qunzhu schema, SQLite dialect. Times are unix milliseconds (UTC).
CREATE TABLE orgs (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    slug        TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL
);

CREATE TABLE nodes (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    parent_id   INTEGER REFERENCES nodes(id),
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX nodes_org ON nodes(org_id, parent_id);

CREATE TABLE chat_groups (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    node_id      INTEGER REFERENCES nodes(id),
    connection   TEXT NOT NULL,
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'custom',
    lifecycle    TEXT NOT NULL DEFAULT 'active',
    capacity     INTEGER NOT NULL DEFAULT 500,
    expires_at   INTEGER,
    created_at   INTEGER NOT NULL,
    UNIQUE (connection, external_id)
);
CREATE INDEX groups_org ON chat_groups(org_id, node_id);

CREATE TABLE people (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE identities (
    id           INTEGER PRIMARY KEY,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    connection   TEXT NOT NULL,
    platform     TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         TEXT NOT NULL,
    bot          INTEGER NOT NULL DEFAULT 0,
    UNIQUE (connection, external_id)
);
CREATE INDEX identities_person ON identities(person_id);

CREATE TABLE memberships (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    role         TEXT NOT NULL DEFAULT 'member',
    source       TEXT NOT NULL DEFAULT '',
    inviter_id   INTEGER REFERENCES people(id),
    code         TEXT NOT NULL DEFAULT '',
    nickname     TEXT NOT NULL DEFAULT '',
    joined_at    INTEGER NOT NULL,
    left_at      INTEGER,
    left_reason  TEXT NOT NULL DEFAULT ''
);
-- At most one open stint per person and group.
CREATE UNIQUE INDEX memberships_open ON memberships(group_id, person_id) WHERE left_at IS NULL;
CREATE INDEX memberships_person ON memberships(person_id);

-- Idempotency keys of ingested events.
CREATE TABLE events (
    connection   TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    type         TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    PRIMARY KEY (connection, external_id)
) WITHOUT ROWID;

CREATE TABLE messages (
    id           INTEGER PRIMARY KEY,
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    external_id  TEXT NOT NULL,
    kind         TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT '',
    url          TEXT NOT NULL DEFAULT '',
    reply_to     TEXT NOT NULL DEFAULT '',
    mentions     INTEGER NOT NULL DEFAULT 0,
    sent_at      INTEGER NOT NULL
);
CREATE INDEX messages_group ON messages(group_id, id);
CREATE INDEX messages_person ON messages(person_id, sent_at);

CREATE TABLE moderation_actions (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    group_id    INTEGER REFERENCES chat_groups(id),
    person_id   INTEGER REFERENCES people(id),
    message_id  TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    rule        TEXT NOT NULL DEFAULT '',
    category    TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX moderation_person ON moderation_actions(person_id, created_at);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    org_id    INTEGER NOT NULL REFERENCES orgs(id),
    at        INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL DEFAULT '',
    detail    TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_org ON audit_log(org_id, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- Platform actions waiting to be delivered (the transactional outbox).
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    connection   TEXT NOT NULL,
    idem_key     TEXT NOT NULL UNIQUE,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending',
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    done_at      INTEGER
);
CREATE INDEX outbox_due ON outbox(status, connection, next_at);

-- Adapter read positions (update offsets, sync tokens).
CREATE TABLE cursors (
    connection  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (connection, name)
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    hash        TEXT NOT NULL UNIQUE,
    scope       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES orgs(id),
    username       TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    created_at     INTEGER NOT NULL
);
