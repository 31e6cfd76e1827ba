-- Invite codes and campaigns (裂变): who brought whom.
CREATE TABLE campaigns (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    name         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    archived_at  INTEGER,
    UNIQUE (org_id, name)
);

CREATE TABLE invite_codes (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    code         TEXT NOT NULL UNIQUE,
    person_id    INTEGER REFERENCES people(id),
    campaign_id  INTEGER REFERENCES campaigns(id),
    group_id     INTEGER REFERENCES chat_groups(id),
    created_at   INTEGER NOT NULL,
    archived_at  INTEGER
);
CREATE INDEX invite_codes_person ON invite_codes(person_id);
CREATE INDEX memberships_inviter ON memberships(inviter_id);
