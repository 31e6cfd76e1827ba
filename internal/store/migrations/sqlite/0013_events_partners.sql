-- Sign-up lists become offline events (线下活动): a capacity with a
-- waitlist, when and where, the temporary group that goes with it;
-- entries can be cancelled and checked in.
ALTER TABLE signup_lists ADD COLUMN capacity INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signup_lists ADD COLUMN event_at INTEGER;
ALTER TABLE signup_lists ADD COLUMN place TEXT NOT NULL DEFAULT '';
ALTER TABLE signup_lists ADD COLUMN temp_group_id INTEGER REFERENCES chat_groups(id);
ALTER TABLE signups ADD COLUMN status TEXT NOT NULL DEFAULT 'in';
ALTER TABLE signups ADD COLUMN checked_in_at INTEGER;

-- A partner level's tier bands (JSON; empty: the seed's 1–10, 11–50,
-- 51–199).
ALTER TABLE partner_levels ADD COLUMN tiers TEXT NOT NULL DEFAULT '';

-- Who may join a group: only partners of one level ("only city
-- partners"); a joiner who does not qualify is handled as configured:
-- approve (an approval queue), grace (a notice, then removal) or refuse.
CREATE TABLE group_eligibility (
    group_id       INTEGER PRIMARY KEY REFERENCES chat_groups(id),
    level_id       INTEGER NOT NULL REFERENCES partner_levels(id),
    handling       TEXT NOT NULL,
    grace_seconds  INTEGER NOT NULL DEFAULT 0,
    updated_at     INTEGER NOT NULL
);

-- Joiners who did not qualify: pending (approval, or removal when due),
-- then approved, rejected, removed or qualified (admitted meanwhile).
CREATE TABLE eligibility_cases (
    id          INTEGER PRIMARY KEY,
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    handling    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'pending',
    due_at      INTEGER,
    created_at  INTEGER NOT NULL,
    decided_at  INTEGER,
    decided_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX eligibility_pending ON eligibility_cases(status, due_at);
