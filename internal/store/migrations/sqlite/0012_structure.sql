-- Group structure: each group's profile (定位, 门槛, 群规, KOL, 目标),
-- templates that lay out a set of groups, the families of groups they
-- create and the "to create" tasks bound to groups once they exist.
CREATE TABLE group_profiles (
    group_id     INTEGER PRIMARY KEY REFERENCES chat_groups(id),
    positioning  TEXT NOT NULL DEFAULT '',
    threshold    TEXT NOT NULL DEFAULT '',
    rules        TEXT NOT NULL DEFAULT '',
    goal         TEXT NOT NULL DEFAULT '',
    updated_at   INTEGER NOT NULL,
    updated_by   TEXT NOT NULL DEFAULT ''
);

CREATE TABLE group_kols (
    group_id   INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    ordinal    INTEGER NOT NULL,
    PRIMARY KEY (group_id, person_id)
);

CREATE TABLE group_templates (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    variables   TEXT NOT NULL DEFAULT '[]',
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE group_template_steps (
    id           INTEGER PRIMARY KEY,
    template_id  INTEGER NOT NULL REFERENCES group_templates(id),
    ordinal      INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    group_count  INTEGER NOT NULL,
    topics       TEXT NOT NULL DEFAULT '[]',
    pattern      TEXT NOT NULL,
    UNIQUE (template_id, ordinal)
);

-- A family: the groups of one template step applied with one set of
-- variables and one topic (capacity routing moves along it).
CREATE TABLE group_families (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    step_id     INTEGER NOT NULL REFERENCES group_template_steps(id),
    topic       TEXT NOT NULL DEFAULT '',
    vars        TEXT NOT NULL,
    node_id     INTEGER REFERENCES nodes(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (step_id, topic, vars)
);

CREATE TABLE group_tasks (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    family_id   INTEGER NOT NULL REFERENCES group_families(id),
    n           INTEGER NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    node_id     INTEGER REFERENCES nodes(id),
    origin      TEXT NOT NULL DEFAULT 'template',
    status      TEXT NOT NULL DEFAULT 'open',
    group_id    INTEGER REFERENCES chat_groups(id),
    created_at  INTEGER NOT NULL,
    done_at     INTEGER,
    UNIQUE (org_id, name),
    UNIQUE (family_id, n)
);
CREATE UNIQUE INDEX group_tasks_group ON group_tasks(group_id) WHERE group_id IS NOT NULL;
CREATE INDEX group_tasks_open ON group_tasks(org_id, status);
