-- The join gate ([gate], issue #17): a newcomer in a gated group is held
-- (muted, or their posts deleted) until they pass — press the button, reply
-- with the code shown, or are let in by staff — and removed if due_at
-- passes first. A newcomer held by an anti-raid lockdown ("hold") waits
-- here too, with no due time, until staff let them in or remove them.
-- One row a member a group: a rejoin starts a new check.
CREATE TABLE gate_checks (
    group_id   BIGINT NOT NULL REFERENCES chat_groups(id),
    person_id  BIGINT NOT NULL REFERENCES people(id),
    user_id    TEXT NOT NULL,              -- their platform user id
    name       TEXT NOT NULL,              -- their name when they joined
    mode       TEXT NOT NULL,              -- button, code, approve, raid
    code       TEXT NOT NULL DEFAULT '',   -- code mode: what they must reply
    lang       TEXT NOT NULL DEFAULT 'zh', -- the bot's language in the group: its words when they are removed
    muted      BIGINT NOT NULL DEFAULT 0,      -- 1: muted on the platform (unmuted when let in)
    due_at     BIGINT,                         -- removed unless passed by then; NULL: held for staff
    created_at BIGINT NOT NULL,
    passed_at  BIGINT,
    removed_at BIGINT,
    decided_by TEXT NOT NULL DEFAULT '',   -- who let them in or removed them: gate, rules, staff:<name>
    PRIMARY KEY (group_id, person_id)
);
CREATE INDEX gate_checks_due ON gate_checks (due_at) WHERE passed_at IS NULL AND removed_at IS NULL;
