-- Content workflows (issues #15 and #16): separation of duties, the duty
-- roster, and pushes' reasons as codes.

-- A one-person team may let the writer of a script approve it.
ALTER TABLE content_settings ADD COLUMN self_approval INTEGER NOT NULL DEFAULT 0;

-- Why a reviewer approved a script the lint flags (ad, banned category).
ALTER TABLE scripts ADD COLUMN lint_override TEXT NOT NULL DEFAULT '';

-- Who of a group's staff take turns following its pushes up, in order;
-- a group without rows rotates over all its assistants (店小二).
CREATE TABLE duty_rosters (
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    position    INTEGER NOT NULL,
    person_id   INTEGER NOT NULL REFERENCES people(id),
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT NOT NULL,
    PRIMARY KEY (group_id, position)
);

-- A push's reason was English words; it is reason codes now
-- (content.ReasonCodes), translated where shown.
UPDATE pushes SET reason = 'no_fit,' || SUBSTR(reason, INSTR(reason, ': ') + 2) WHERE reason LIKE 'nothing fits within %: %';
UPDATE pushes SET reason = REPLACE(REPLACE(REPLACE(REPLACE(reason, 'quiet hours', 'quiet_hours'), 'too close to another push', 'min_gap'), 'daily cap reached', 'daily_cap'), ', ', ',');
UPDATE cadence_runs SET reason = 'no_fit,' || SUBSTR(reason, INSTR(reason, ': ') + 2) WHERE reason LIKE 'nothing fits within %: %';
UPDATE cadence_runs SET reason = REPLACE(REPLACE(REPLACE(REPLACE(REPLACE(reason, 'quiet hours', 'quiet_hours'), 'too close to another push', 'min_gap'), 'daily cap reached', 'daily_cap'), ', ', ','), 'the push had gone out already', 'missed');
