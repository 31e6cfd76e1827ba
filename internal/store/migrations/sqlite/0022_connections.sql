-- Platform connections added in the console; those of qunzhu.toml stay in
-- the file. settings is a JSON object with what a [[connections]] block
-- holds (token, push_url, secret, options), secrets included: the
-- database holds them (docs/console/connections.md says how to protect
-- it), and the console never shows them again in full. info is what was
-- learnt when the connection was verified (a bot's username). version
-- grows with every change and restart, so that each replica rebuilds the
-- connection once; a disabled connection runs nowhere.
CREATE TABLE platform_connections (
    name         TEXT PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    platform     TEXT NOT NULL,
    settings     TEXT NOT NULL,
    info         TEXT NOT NULL DEFAULT '{}',
    version      INTEGER NOT NULL DEFAULT 1,
    disabled_at  INTEGER,
    created_by   TEXT NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

-- Which replica holds each platform connection, file or console: the
-- holder runs its adapter and is the only one that sends its actions.
-- fence grows at every takeover, and a holder acts only while the row
-- still carries its fence and lease_until has not passed; it renews the
-- lease (and writes what is wrong with the connection, status) every
-- third of the lease time. holder_url is where the other replicas
-- forward the connection's incoming requests.
CREATE TABLE connection_leases (
    connection   TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    holder_url   TEXT NOT NULL DEFAULT '',
    fence        INTEGER NOT NULL,
    lease_until  INTEGER NOT NULL,
    since        INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT '',
    status_at    INTEGER NOT NULL DEFAULT 0
);

-- The dashboard's first-run checklist, once an organisation's manager
-- dismissed it.
CREATE TABLE setup_dismissals (
    org_id        INTEGER PRIMARY KEY REFERENCES orgs(id),
    dismissed_by  TEXT NOT NULL,
    dismissed_at  INTEGER NOT NULL
);
