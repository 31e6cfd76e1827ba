-- Insights (issue #18): what an operator of many groups needs to see —
-- questions and how soon they are answered, a daily digest, members in
-- several groups of a family, tags and segments, click-tracked links and
-- the churn log (docs/metrics.md).

-- The platform user ids a message mentions, space-separated: a message
-- that mentions a question's asker answers it, and a member who mentions
-- staff asks them something.
ALTER TABLE messages ADD COLUMN mention_ids TEXT NOT NULL DEFAULT '';

-- A group's response target: its questions should be answered within
-- target_seconds of its active hours ("HH:MM-HH:MM"; "00:00-00:00":
-- always). A group without a row has the defaults (10 minutes,
-- 08:00-22:00).
CREATE TABLE response_targets (
    group_id        INTEGER PRIMARY KEY REFERENCES chat_groups(id),
    target_seconds  INTEGER NOT NULL,
    active          TEXT NOT NULL,
    updated_at      INTEGER NOT NULL,
    updated_by      TEXT NOT NULL DEFAULT ''
);

-- Members' questions and what became of them: when the clock started,
-- when it was due, when, how and by whom it was answered, the active time
-- waited, who was on duty, when staff were alerted.
CREATE TABLE questions (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    group_id     INTEGER NOT NULL REFERENCES chat_groups(id),
    person_id    INTEGER NOT NULL REFERENCES people(id),
    message_id   TEXT NOT NULL,
    text         TEXT NOT NULL DEFAULT '',
    asked_at     INTEGER NOT NULL,
    starts_at    INTEGER NOT NULL,
    due_at       INTEGER NOT NULL,
    answered_at  INTEGER,
    answered_by  INTEGER REFERENCES people(id),
    answer_kind  TEXT NOT NULL DEFAULT '',
    by_staff     INTEGER NOT NULL DEFAULT 0,
    waited_ms    INTEGER NOT NULL DEFAULT 0,
    duty_person  INTEGER REFERENCES people(id),
    alerted_at   INTEGER,
    UNIQUE (group_id, message_id)
);
CREATE INDEX questions_org ON questions(org_id, asked_at);
CREATE INDEX questions_group ON questions(group_id, asked_at);

-- How far the insights have read an organisation's history: the last
-- message the question tracker read (messages.id), the last leave the
-- churn alerts saw (left_at).
CREATE TABLE insight_marks (
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    value       INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, name)
);

-- An organisation's insight settings: when the day's digest is made
-- (minutes after midnight) and whether it is posted in the staff group,
-- with a page per group or not; whether a second group of a family is
-- refused at joining; from how many groups a member counts as in too many;
-- which group a duplicate stays in.
CREATE TABLE insight_settings (
    org_id           INTEGER PRIMARY KEY REFERENCES orgs(id),
    digest_minute    INTEGER NOT NULL DEFAULT 480,
    digest_send      INTEGER NOT NULL DEFAULT 0,
    digest_groups    INTEGER NOT NULL DEFAULT 0,
    family_gate      INTEGER NOT NULL DEFAULT 0,
    overall_groups   INTEGER NOT NULL DEFAULT 0,
    keep_rule        TEXT NOT NULL DEFAULT 'earliest',
    last_digest_day  INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL,
    updated_by       TEXT NOT NULL DEFAULT ''
);

-- The daily digests: a group's day, or the organisation's (group_id 0),
-- as JSON; when it was posted in the staff group.
CREATE TABLE digests (
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    group_id    INTEGER NOT NULL DEFAULT 0,
    day         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    sent_at     INTEGER,
    PRIMARY KEY (org_id, group_id, day)
);

-- The terms a group used most on a day (analytics.KeptTerms), the
-- baseline of the digests of the 30 days after; digest_term_days says
-- which days were counted (a quiet day keeps no terms).
CREATE TABLE digest_terms (
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    day       INTEGER NOT NULL,
    term      TEXT NOT NULL,
    messages  INTEGER NOT NULL,
    PRIMARY KEY (group_id, day, term)
);
CREATE TABLE digest_term_days (
    group_id  INTEGER NOT NULL REFERENCES chat_groups(id),
    day       INTEGER NOT NULL,
    PRIMARY KEY (group_id, day)
);

-- A purge is of inactive members or of members in another group of the
-- same family too; a duplicate stays in keep_group_id.
ALTER TABLE purges ADD COLUMN kind TEXT NOT NULL DEFAULT 'inactive';
ALTER TABLE purge_members ADD COLUMN keep_group_id INTEGER REFERENCES chat_groups(id);

-- Tags on groups or people: put in by hand (group_tags, person_tags) or
-- matched by the tag's rules (a kind, a node, a template; a join source,
-- a campaign, a partner level, an activity status).
CREATE TABLE tags (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    name        TEXT NOT NULL,
    subject     TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, subject, name)
);
CREATE TABLE tag_rules (
    id          INTEGER PRIMARY KEY,
    tag_id      INTEGER NOT NULL REFERENCES tags(id),
    field       TEXT NOT NULL,
    value       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (tag_id, field, value)
);
CREATE TABLE group_tags (
    tag_id      INTEGER NOT NULL REFERENCES tags(id),
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tag_id, group_id)
);
CREATE INDEX group_tags_group ON group_tags(group_id);
CREATE TABLE person_tags (
    tag_id      INTEGER NOT NULL REFERENCES tags(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tag_id, person_id)
);
CREATE INDEX person_tags_person ON person_tags(person_id);

-- A cadence may aim at the groups of a tag.
ALTER TABLE cadences ADD COLUMN tag_id INTEGER REFERENCES tags(id);

-- Click-tracked links: each web link of a sent push becomes /l/{code},
-- which redirects to url only; clicks counts every redirect, link_visits
-- one row per visitor and day — the hash of the visitor's address and
-- browser with that day's key, never the address itself.
CREATE TABLE short_links (
    code        TEXT PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs(id),
    push_id     INTEGER NOT NULL REFERENCES pushes(id),
    group_id    INTEGER NOT NULL REFERENCES chat_groups(id),
    url         TEXT NOT NULL,
    clicks      INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    UNIQUE (push_id, url)
);
CREATE INDEX short_links_org ON short_links(org_id, created_at);
CREATE TABLE link_visits (
    code     TEXT NOT NULL REFERENCES short_links(code),
    day      INTEGER NOT NULL,
    visitor  TEXT NOT NULL,
    PRIMARY KEY (code, day, visitor)
);

-- The churn log reads leaves by time.
CREATE INDEX memberships_left ON memberships(left_at);
