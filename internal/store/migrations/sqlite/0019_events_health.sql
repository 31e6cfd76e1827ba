-- Events run from the console (线下活动): an event is announced in more
-- groups than its own and members sign up in any of them; an event can be
-- cancelled (not merely closed), its sign-ups told in the chat.
ALTER TABLE signup_lists ADD COLUMN cancelled_at INTEGER;
CREATE TABLE event_groups (
    list_id   INTEGER NOT NULL REFERENCES signup_lists(id),
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    PRIMARY KEY (list_id, group_id)
);
CREATE INDEX event_groups_group ON event_groups(group_id);

-- An alert put off: it stays open, out of the lists until then.
ALTER TABLE alerts ADD COLUMN snoozed_until INTEGER;

-- Purges of inactive members (僵尸清理): the advance notice naming the
-- members staff kept on the proposal, then its end — carried out after the
-- notice period, or withdrawn. At most one is pending per group.
CREATE TABLE purges (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    group_id      INTEGER NOT NULL REFERENCES chat_groups(id),
    days          INTEGER NOT NULL,
    noticed_at    INTEGER NOT NULL,
    remove_after  INTEGER NOT NULL,
    noticed_by    TEXT NOT NULL,
    ended_at      INTEGER,
    outcome       TEXT NOT NULL DEFAULT '',
    ended_by      TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX purges_pending ON purges(group_id) WHERE ended_at IS NULL;
CREATE INDEX purges_org ON purges(org_id, id);
-- Each member of a purge's proposal and what became of them: excluded
-- (left out of the notice), named (in it), kept (named, then spared by
-- staff), spoke (spoke up in time), left (left the group), removed.
CREATE TABLE purge_members (
    purge_id   INTEGER NOT NULL REFERENCES purges(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    status     TEXT NOT NULL,
    PRIMARY KEY (purge_id, person_id)
);
