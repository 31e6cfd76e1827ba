-- The partner programme (合伙人): levels with a cap per entity, seats
-- numbered by order of admission, and a waitlist.
CREATE TABLE partner_levels (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    slug         TEXT NOT NULL,
    name         TEXT NOT NULL,
    rank         INTEGER NOT NULL,
    cap          INTEGER NOT NULL CHECK (cap > 0),
    reuse_seats  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE partner_seats (
    id           INTEGER PRIMARY KEY,
    level_id     INTEGER NOT NULL REFERENCES partner_levels(id),
    entity_id    INTEGER NOT NULL REFERENCES nodes(id),
    number       INTEGER NOT NULL,
    person_id    INTEGER NOT NULL REFERENCES people(id),
    admitted_at  INTEGER NOT NULL,
    released_at  INTEGER,
    UNIQUE (level_id, entity_id, number)
);
CREATE UNIQUE INDEX partner_seats_open_person ON partner_seats(level_id, entity_id, person_id) WHERE released_at IS NULL;

CREATE TABLE partner_waitlist (
    id          INTEGER PRIMARY KEY,
    level_id    INTEGER NOT NULL REFERENCES partner_levels(id),
    entity_id   INTEGER NOT NULL REFERENCES nodes(id),
    person_id   INTEGER NOT NULL REFERENCES people(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (level_id, entity_id, person_id)
);
