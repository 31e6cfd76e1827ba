-- WeCom customer groups wired into the community (issue #11): join ways
-- behind join links, the platform's daily statistics where there is no
-- message content, staff accounts the platform can message, and what a
-- pending action waits for.

-- What an accepted but unfinished action waits for (a WeCom 群发 its group
-- owner must confirm): a code (chat.PendingError's For) and the
-- platform's words, apart from last_error, which says why a delivery
-- failed.
ALTER TABLE outbox ADD COLUMN pending_for TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN pending_reason TEXT NOT NULL DEFAULT '';

-- An identity that is a staff account of its platform (a WeCom corp
-- member's userid, learnt as a customer group's owner, admin or staff
-- member): the platform can message it directly (application messages),
-- so duty reminders and alerts reach that person there.
ALTER TABLE identities ADD COLUMN staff INTEGER NOT NULL DEFAULT 0;

-- The platform's own rolling join code behind a join link (群活码): the
-- join way of an invite code of a group, what it was last made to be
-- (want, JSON), its QR code — where /join/{code} sends newcomers — and
-- why it could not be made when it could not.
CREATE TABLE join_ways (
    code         TEXT PRIMARY KEY,
    connection   TEXT NOT NULL,
    config_id    TEXT NOT NULL DEFAULT '',
    qr_url       TEXT NOT NULL DEFAULT '',
    want         TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    checked_at   INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);

-- A platform's daily statistics of one group owner's customer groups
-- (WeCom's groupchat/statistic), the only activity figures where there is
-- no message content. group_id is set when they are one group's (the
-- owner had exactly one that day); chat_total is how many groups the
-- owner had; owner_stats_groups lists those qunzhu knows.
CREATE TABLE owner_stats (
    id              INTEGER PRIMARY KEY,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    connection      TEXT NOT NULL,
    owner           TEXT NOT NULL,
    day             INTEGER NOT NULL,
    group_id        INTEGER REFERENCES chat_groups(id),
    chat_total      INTEGER NOT NULL DEFAULT 0,
    new_members     INTEGER NOT NULL DEFAULT 0,
    leavers         INTEGER NOT NULL DEFAULT 0,
    members         INTEGER NOT NULL DEFAULT 0,
    messages        INTEGER NOT NULL DEFAULT 0,
    active_members  INTEGER NOT NULL DEFAULT 0,
    active_groups   INTEGER NOT NULL DEFAULT 0,
    imported_at     INTEGER NOT NULL,
    UNIQUE (connection, owner, day)
);
CREATE INDEX owner_stats_org ON owner_stats(org_id, day);

CREATE TABLE owner_stats_groups (
    stats_id  INTEGER NOT NULL REFERENCES owner_stats(id),
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    PRIMARY KEY (stats_id, group_id)
);
CREATE INDEX owner_stats_groups_group ON owner_stats_groups(group_id);

-- Where a rolled-up day's activity figures come from: '' qunzhu's own
-- messages; 'stats' the platform's statistics of the group; 'owner_stats'
-- none of the group's own (the platform counted the owner's groups
-- together).
ALTER TABLE group_days ADD COLUMN source TEXT NOT NULL DEFAULT '';
