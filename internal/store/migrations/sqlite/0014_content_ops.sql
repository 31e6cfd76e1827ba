-- Content operations: members' 投稿 from the chat, editable push slots,
-- cadences (SOPs) and duty reminders.

-- A script submitted in the chat: which message of which group, by whom.
-- A message is submitted once (a second 投稿 gets the same script).
CREATE TABLE script_submissions (
    id                INTEGER PRIMARY KEY,
    script_id         INTEGER NOT NULL REFERENCES scripts(id),
    group_id          INTEGER NOT NULL REFERENCES chat_groups(id),
    message_id        TEXT NOT NULL,
    person_id         INTEGER NOT NULL REFERENCES people(id),
    name              TEXT NOT NULL DEFAULT '',
    source_person_id  INTEGER REFERENCES people(id),
    created_at        INTEGER NOT NULL,
    UNIQUE (group_id, message_id)
);

-- Named push slots (peaks) of an organisation (group_id 0) or one group
-- (which overrides the organisation's): a zone and JSON
-- [{"name":"morning","at":"07:30"}, …].
CREATE TABLE slot_configs (
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    group_id    INTEGER NOT NULL DEFAULT 0,
    zone        TEXT NOT NULL DEFAULT '',
    slots       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, group_id)
);

-- Per-organisation content settings: the staff group duty reminders are
-- posted in.
CREATE TABLE content_settings (
    org_id          INTEGER PRIMARY KEY REFERENCES orgs(id),
    staff_group_id  INTEGER REFERENCES chat_groups(id),
    updated_at      INTEGER NOT NULL
);

-- Cadences (SOPs): a script × a group selector × a repetition.
CREATE TABLE cadences (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    script_id   INTEGER NOT NULL REFERENCES scripts(id),
    name        TEXT NOT NULL DEFAULT '',
    group_ids   TEXT NOT NULL DEFAULT '',
    group_kind  TEXT NOT NULL DEFAULT '',
    node_id     INTEGER REFERENCES nodes(id),
    kind        TEXT NOT NULL,
    slot        TEXT NOT NULL,
    weekday     INTEGER NOT NULL DEFAULT 0,
    day         INTEGER NOT NULL DEFAULT 0,
    quiet       TEXT NOT NULL DEFAULT '',
    paused_at   INTEGER,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX cadences_org ON cadences(org_id, id);

-- Each occurrence of a cadence in a group is planned once: the key is the
-- occurrence's date ("2026-11-26") or, for member-day cadences, the
-- member ("member:12").
CREATE TABLE cadence_runs (
    cadence_id  INTEGER NOT NULL REFERENCES cadences(id),
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    occurrence  TEXT NOT NULL,
    push_id     INTEGER REFERENCES pushes(id),
    status      TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (cadence_id, group_id, occurrence)
);

-- Members a push mentions (a member-day follow-up names its newcomers).
CREATE TABLE push_mentions (
    push_id    INTEGER NOT NULL REFERENCES pushes(id),
    person_id  INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (push_id, person_id)
);

-- Reminders to the assistant on duty, one per sent push.
CREATE TABLE duty_reminders (
    push_id         INTEGER PRIMARY KEY REFERENCES pushes(id),
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    group_id        INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id       INTEGER NOT NULL REFERENCES people(id),
    prompt          TEXT NOT NULL,
    staff_group_id  INTEGER REFERENCES chat_groups(id),
    created_at      INTEGER NOT NULL
);
CREATE INDEX duty_reminders_person ON duty_reminders(person_id, created_at);
CREATE INDEX pushes_duty ON pushes(duty_person, planned_at);
