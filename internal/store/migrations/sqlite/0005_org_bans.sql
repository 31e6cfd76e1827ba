-- Organisation-wide bans: a member banned for an offence cannot rejoin any
-- group of the organisation; lifting the ban undoes it everywhere.
CREATE TABLE org_bans (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    reason      TEXT NOT NULL DEFAULT '',
    actor       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    lifted_at   INTEGER,
    lifted_by   TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX org_bans_open ON org_bans(org_id, person_id) WHERE lifted_at IS NULL;
CREATE INDEX messages_external ON messages(group_id, external_id);
