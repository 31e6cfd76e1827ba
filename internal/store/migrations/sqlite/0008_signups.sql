-- Sign-up lists (群接龙): staff open a list in a group with a title, members
-- add themselves with /signup (接龙), each numbered in order; one list per
-- group is open at a time.
CREATE TABLE signup_lists (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    title       TEXT NOT NULL,
    opened_by   INTEGER REFERENCES people(id),
    opened_at   INTEGER NOT NULL,
    closed_at   INTEGER
);
CREATE UNIQUE INDEX signup_lists_open ON signup_lists(group_id) WHERE closed_at IS NULL;

CREATE TABLE signups (
    list_id     INTEGER NOT NULL REFERENCES signup_lists(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    n           INTEGER NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (list_id, person_id),
    UNIQUE (list_id, n)
);
