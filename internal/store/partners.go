package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var _ community.Partners = (*DB)(nil)

// errSeatTaken: a concurrent admission took the seat number first.
var errSeatTaken = &errkind.Error{Kind: errkind.Conflict, Message: "seat taken by a concurrent admission; try again"}

// CreatePartnerLevel adds a level to an organisation's programme.
func (db *DB) CreatePartnerLevel(ctx context.Context, l *community.PartnerLevel) error {
	if l.Slug == "" {
		return errkind.New(errkind.Invalid, "partner level: slug and name are required")
	}
	check := community.LevelPatch{Name: &l.Name, Cap: &l.Cap}
	if err := check.Validate(); err != nil {
		return errkind.Errorf(errkind.Invalid, "partner level %q: %s", l.Slug, errkind.Message(err))
	}
	l.Name = *check.Name
	if l.CreatedAt.IsZero() {
		l.CreatedAt = db.now()
	}
	tiers, err := encodeTiers(l.Tiers, l.Cap)
	if err != nil {
		return err
	}
	err = db.scanWrite(ctx, db.q(`INSERT INTO partner_levels (org_id, slug, name, rank, cap, reuse_seats, tiers, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), []any{l.OrgID, l.Slug, l.Name, l.Rank, l.Cap, l.ReuseSeats, tiers, ms(l.CreatedAt)}, &l.ID)
	if err != nil {
		return fmt.Errorf("create partner level %q: %w", l.Slug, classify(err))
	}
	return nil
}

// PartnerLevels lists an organisation's levels, junior first.
func (db *DB) PartnerLevels(ctx context.Context, orgID int64) ([]community.PartnerLevel, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+levelColumns+" FROM partner_levels WHERE org_id = ? ORDER BY rank, id"), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, l *community.PartnerLevel) error { return scanLevel(r, l) })
	if err != nil {
		return nil, fmt.Errorf("list partner levels: %w", err)
	}
	return out, nil
}

const levelColumns = "id, org_id, slug, name, rank, cap, reuse_seats, tiers, created_at"

// scanLevel reads a level's levelColumns.
func scanLevel(r interface{ Scan(...any) error }, l *community.PartnerLevel) error {
	var c int64
	var tiers string
	if err := r.Scan(&l.ID, &l.OrgID, &l.Slug, &l.Name, &l.Rank, &l.Cap, &l.ReuseSeats, &tiers, &c); err != nil {
		return err
	}
	if tiers != "" {
		if err := json.Unmarshal([]byte(tiers), &l.Tiers); err != nil {
			return fmt.Errorf("partner level %d: tiers: %w", l.ID, err)
		}
	}
	l.CreatedAt = fromMS(c)
	return nil
}

// Admit implements community.Partners: AdmitPartner by the system.
func (db *DB) Admit(ctx context.Context, levelID, entityID, personID int64) (community.Admission, error) {
	return db.AdmitPartner(ctx, 0, levelID, entityID, personID, "system")
}

// AdmitPartner gives the person the next seat of the level at the entity,
// or puts them on the waitlist when the level is full there. The level,
// the entity and the person must be of one organisation (orgID's, unless
// 0): an unknown level or person is not found, an entity of another
// organisation is invalid. The seat number is the next after the highest
// ever given (or the lowest free one when the level reuses seats); the
// unique (level, entity, number) index makes a concurrent admission for
// the same seat fail, and it is retried against the new count.
func (db *DB) AdmitPartner(ctx context.Context, orgID, levelID, entityID, personID int64, actor string) (community.Admission, error) {
	for attempt := 0; ; attempt++ {
		a, err := db.admitOnce(ctx, orgID, levelID, entityID, personID, actor)
		if err == nil || !errors.Is(err, errSeatTaken) || attempt >= 50 {
			return a, err
		}
	}
}

// seatLevel is what taking a seat needs to know of its level.
type seatLevel struct {
	id, org int64
	name    string
	capN    int
	reuse   bool
	bands   []community.TierBand
}

// lockSeats reads a level of the organisation (any when orgID is 0) and,
// on PostgreSQL, serialises changes to its seats at one entity: under READ
// COMMITTED the seat count and the next number are read at different
// moments, and two admissions could both fit. (SQLite transactions are
// serialised already.)
func (db *DB) lockSeats(ctx context.Context, tx *sql.Tx, orgID, levelID, entityID int64) (seatLevel, error) {
	if db.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", seatLockKey(levelID, entityID)); err != nil {
			return seatLevel{}, fmt.Errorf("lock seats: %w", err)
		}
	}
	l := seatLevel{id: levelID}
	var tiers string
	err := tx.QueryRowContext(ctx, db.q("SELECT org_id, name, cap, reuse_seats, tiers FROM partner_levels WHERE id = ?"), levelID).Scan(&l.org, &l.name, &l.capN, &l.reuse, &tiers)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && orgID != 0 && l.org != orgID) {
		return l, errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
	}
	if err != nil {
		return l, fmt.Errorf("find partner level: %w", err)
	}
	if tiers != "" {
		if err := json.Unmarshal([]byte(tiers), &l.bands); err != nil {
			return l, fmt.Errorf("partner level %d: tiers: %w", levelID, err)
		}
	}
	l.bands = community.PartnerLevel{Cap: l.capN, Tiers: l.bands}.Bands()
	return l, nil
}

func (db *DB) admitOnce(ctx context.Context, orgID, levelID, entityID, personID int64, actor string) (community.Admission, error) {
	var a community.Admission
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		lvl, err := db.lockSeats(ctx, tx, orgID, levelID, entityID)
		if err != nil {
			return err
		}
		var entityOrg, personOrg int64
		err = tx.QueryRowContext(ctx, db.q("SELECT org_id FROM nodes WHERE id = ?"), entityID).Scan(&entityOrg)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && entityOrg != lvl.org) {
			return errkind.Errorf(errkind.Invalid, "entity %d is not a node of the level's organisation", entityID)
		}
		if err != nil {
			return fmt.Errorf("find entity: %w", err)
		}
		err = tx.QueryRowContext(ctx, db.q("SELECT org_id FROM people WHERE id = ?"), personID).Scan(&personOrg)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && personOrg != lvl.org) {
			return errkind.Errorf(errkind.NotFound, "person %d not found", personID)
		}
		if err != nil {
			return fmt.Errorf("find person: %w", err)
		}
		var have int64
		err = tx.QueryRowContext(ctx, db.q("SELECT id FROM partner_seats WHERE level_id = ? AND entity_id = ? AND person_id = ? AND released_at IS NULL"), levelID, entityID, personID).Scan(&have)
		if err == nil {
			return errkind.Errorf(errkind.Conflict, "person %d already holds a seat of this level here", personID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find seat: %w", err)
		}
		var open int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL"), levelID, entityID).Scan(&open); err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		if open >= lvl.capN {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO partner_waitlist (level_id, entity_id, person_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (level_id, entity_id, person_id) DO NOTHING"),
				levelID, entityID, personID, ms(db.now())); err != nil {
				return fmt.Errorf("join waitlist: %w", err)
			}
			a.Waitlisted = true
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM partner_waitlist w WHERE w.level_id = ? AND w.entity_id = ?
				AND w.id <= (SELECT id FROM partner_waitlist WHERE level_id = ? AND entity_id = ? AND person_id = ?)`),
				levelID, entityID, levelID, entityID, personID).Scan(&a.Position); err != nil {
				return fmt.Errorf("waitlist position: %w", err)
			}
			return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: lvl.org, Actor: actor, Action: "partner.waitlist",
				Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"level":%d,"entity":%d,"position":%d}`, levelID, entityID, a.Position)})
		}
		if a.Seat, err = db.takeSeat(ctx, tx, lvl, entityID, personID); err != nil {
			return err
		}
		a.Admitted = true
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: lvl.org, Actor: actor, Action: "partner.admit",
			Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"level":%d,"entity":%d,"seat":%d}`, levelID, entityID, a.Seat.Number)})
	})
	return a, err
}

// takeSeat seats a person at the entity (room is checked by the caller)
// and takes them off the waitlist there.
func (db *DB) takeSeat(ctx context.Context, tx *sql.Tx, lvl seatLevel, entityID, personID int64) (community.Seat, error) {
	next := 0
	if lvl.reuse {
		// The lowest number not held by an open seat.
		rows, err := tx.QueryContext(ctx, db.q("SELECT number FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL ORDER BY number"), lvl.id, entityID)
		taken, err := scanAll(rows, err, scanInt64)
		if err != nil {
			return community.Seat{}, fmt.Errorf("list seats: %w", err)
		}
		next = 1
		for _, n := range taken {
			if int(n) == next {
				next++
			}
		}
		// A reused number may still be on a released row: free it.
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM partner_seats WHERE level_id = ? AND entity_id = ? AND number = ? AND released_at IS NOT NULL"), lvl.id, entityID, next); err != nil {
			return community.Seat{}, fmt.Errorf("reuse seat: %w", err)
		}
	} else {
		var maxNo int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COALESCE(MAX(number), 0) FROM partner_seats WHERE level_id = ? AND entity_id = ?"), lvl.id, entityID).Scan(&maxNo); err != nil {
			return community.Seat{}, fmt.Errorf("number seat: %w", err)
		}
		next = maxNo + 1
	}
	st := community.Seat{LevelID: lvl.id, EntityID: entityID, Number: next, PersonID: personID, AdmittedAt: db.now()}
	err := tx.QueryRowContext(ctx, db.q("INSERT INTO partner_seats (level_id, entity_id, number, person_id, admitted_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
		lvl.id, entityID, next, personID, ms(st.AdmittedAt)).Scan(&st.ID)
	if err != nil {
		if errkind.Is(classify(err), errkind.Conflict) {
			return st, fmt.Errorf("take seat %d: %w", next, errSeatTaken)
		}
		return st, fmt.Errorf("take seat %d: %w", next, err)
	}
	if _, err := tx.ExecContext(ctx, db.q("DELETE FROM partner_waitlist WHERE level_id = ? AND entity_id = ? AND person_id = ?"), lvl.id, entityID, personID); err != nil {
		return st, fmt.Errorf("leave waitlist: %w", err)
	}
	return st, nil
}

// ReleaseSeat implements community.Partners: ReleasePartnerSeat by the
// system.
func (db *DB) ReleaseSeat(ctx context.Context, seatID int64) error {
	_, err := db.ReleasePartnerSeat(ctx, 0, seatID, "system")
	return err
}

// ReleasePartnerSeat frees an open seat of the organisation (any when
// orgID is 0). The waitlist moves up: the first person waiting for the
// level at that entity takes a seat and is told (see promote).
func (db *DB) ReleasePartnerSeat(ctx context.Context, orgID, seatID int64, actor string) (community.SeatRelease, error) {
	var out community.SeatRelease
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		st := &out.Released
		var at, org int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT s.id, s.level_id, s.entity_id, s.number, s.person_id, s.admitted_at, l.org_id, p.name
			FROM partner_seats s JOIN partner_levels l ON l.id = s.level_id JOIN people p ON p.id = s.person_id
			WHERE s.id = ? AND s.released_at IS NULL`), seatID).Scan(&st.ID, &st.LevelID, &st.EntityID, &st.Number, &st.PersonID, &at, &org, &out.Person)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && orgID != 0 && org != orgID) {
			return errkind.Errorf(errkind.NotFound, "no open seat %d", seatID)
		}
		if err != nil {
			return fmt.Errorf("find seat: %w", err)
		}
		st.AdmittedAt = fromMS(at)
		lvl, err := db.lockSeats(ctx, tx, org, st.LevelID, st.EntityID)
		if err != nil {
			return err
		}
		now := db.now()
		res, err := tx.ExecContext(ctx, db.q("UPDATE partner_seats SET released_at = ? WHERE id = ? AND released_at IS NULL"), ms(now), seatID)
		if err != nil {
			return fmt.Errorf("release seat: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "no open seat %d", seatID)
		}
		st.ReleasedAt = &now
		if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: org, Actor: actor, Action: "partner.release",
			Subject: fmt.Sprintf("person:%d", st.PersonID), Detail: fmt.Sprintf(`{"level":%d,"entity":%d,"seat":%d}`, st.LevelID, st.EntityID, st.Number)}); err != nil {
			return err
		}
		moved, err := db.promote(ctx, tx, lvl, st.EntityID, actor)
		if len(moved) > 0 {
			out.Promoted = &moved[0]
		}
		return err
	})
	return out, err
}

// promote seats the people waiting for the level at the entity, first come
// first served, while there is room, and tells each: in a chat group they
// are in — one at the entity or below it if they are in one, else their
// longest-held — through the outbox, in that group's language; the notice
// is recorded either way so that the console can show whom no chat
// reached. The caller holds the seat lock (lockSeats).
func (db *DB) promote(ctx context.Context, tx *sql.Tx, lvl seatLevel, entityID int64, actor string) ([]community.PartnerNotice, error) {
	var open int
	if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL"), lvl.id, entityID).Scan(&open); err != nil {
		return nil, fmt.Errorf("count seats: %w", err)
	}
	var out []community.PartnerNotice
	for ; open < lvl.capN; open++ {
		var personID int64
		var name string
		err := tx.QueryRowContext(ctx, db.q(`SELECT w.person_id, p.name FROM partner_waitlist w JOIN people p ON p.id = w.person_id
			WHERE w.level_id = ? AND w.entity_id = ? ORDER BY w.id LIMIT 1`), lvl.id, entityID).Scan(&personID, &name)
		if errors.Is(err, sql.ErrNoRows) {
			break
		}
		if err != nil {
			return out, fmt.Errorf("first on the waitlist: %w", err)
		}
		st, err := db.takeSeat(ctx, tx, lvl, entityID, personID)
		if err != nil {
			return out, err
		}
		n := community.PartnerNotice{OrgID: lvl.org, LevelID: lvl.id, Level: lvl.name, EntityID: entityID, Number: st.Number, PersonID: personID, Person: name, Actor: actor, CreatedAt: db.now()}
		if band, ok := community.TierOf(st.Number, lvl.bands); ok {
			n.Tier = band.Name
		}
		target, err := db.noticeTarget(ctx, tx, lvl.org, entityID, personID)
		if err != nil {
			return out, err
		}
		if target != nil {
			n.GroupID, n.Group, n.Lang = target.group, target.name, target.lang
			n.Text = community.PromotionText(n.Lang, name, community.TierName(lvl.name, n.Lang), community.TierName(n.Tier, n.Lang), st.Number)
		}
		err = tx.QueryRowContext(ctx, db.q(`INSERT INTO partner_notices (org_id, level_id, entity_id, number, person_id, group_id, lang, text, actor, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), n.OrgID, n.LevelID, n.EntityID, n.Number, n.PersonID, nullID(n.GroupID), n.Lang, n.Text, actor, ms(n.CreatedAt)).Scan(&n.ID)
		if err != nil {
			return out, fmt.Errorf("record partner notice: %w", err)
		}
		if target != nil {
			act := chat.Action{Key: fmt.Sprintf("partner-notice:%d", n.ID), Connection: target.connection, Kind: chat.ActSend, Group: target.external,
				Text: n.Text, Mention: &chat.User{ID: target.user, Name: name}, Reason: "partner waitlist"}
			if err := enqueue(ctx, db, tx, []chat.Action{act}, n.CreatedAt); err != nil {
				return out, err
			}
		}
		if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: lvl.org, Actor: actor, Action: "partner.promote", Subject: fmt.Sprintf("person:%d", personID),
			Detail: fmt.Sprintf(`{"level":%d,"entity":%d,"seat":%d,"group":%d}`, lvl.id, entityID, st.Number, n.GroupID)}); err != nil {
			return out, err
		}
		out = append(out, n)
	}
	return out, nil
}

// noticeGroup is where a person can be told something in a chat.
type noticeGroup struct {
	group                      int64
	name, lang                 string
	connection, external, user string
}

// noticeTarget picks the group to tell a person in: of the active groups
// they are in and have an account on the group's platform, one placed at
// the entity or below it, else the one they joined first; nil when there
// is none. It is told in the group's bot language.
func (db *DB) noticeTarget(ctx context.Context, tx *sql.Tx, orgID, entityID, personID int64) (*noticeGroup, error) {
	type cand struct {
		noticeGroup
		node int64
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT g.id, g.name, COALESCE(g.node_id, 0), g.connection, g.external_id, i.external_id, g.bot_lang
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE m.person_id = ? AND m.left_at IS NULL AND g.org_id = ? AND g.lifecycle <> ? ORDER BY m.joined_at, m.id`), personID, orgID, string(community.Archived))
	cands, err := scanAll(rows, err, func(r *sql.Rows, c *cand) error {
		return r.Scan(&c.group, &c.name, &c.node, &c.connection, &c.external, &c.user, &c.lang)
	})
	if err != nil {
		return nil, fmt.Errorf("find the groups of person %d: %w", personID, err)
	}
	if len(cands) == 0 {
		return nil, nil
	}
	type link struct{ id, parent int64 }
	rows, err = tx.QueryContext(ctx, db.q("SELECT id, COALESCE(parent_id, 0) FROM nodes WHERE org_id = ?"), orgID)
	links, err := scanAll(rows, err, func(r *sql.Rows, l *link) error { return r.Scan(&l.id, &l.parent) })
	if err != nil {
		return nil, fmt.Errorf("read the tree: %w", err)
	}
	parent := make(map[int64]int64, len(links))
	for _, l := range links {
		parent[l.id] = l.parent
	}
	below := func(node int64) bool {
		for hops := 0; node != 0 && hops <= len(parent); node, hops = parent[node], hops+1 {
			if node == entityID {
				return true
			}
		}
		return false
	}
	best := cands[0]
	for _, c := range cands {
		if below(c.node) {
			best = c
			break
		}
	}
	return &best.noticeGroup, nil
}

// Seats lists the open seats of a level at an entity, by number.
func (db *DB) Seats(ctx context.Context, levelID, entityID int64) ([]community.Seat, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, level_id, entity_id, number, person_id, admitted_at FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL ORDER BY number"), levelID, entityID)
	out, err := scanAll(rows, err, func(r *sql.Rows, s *community.Seat) error {
		var at int64
		if err := r.Scan(&s.ID, &s.LevelID, &s.EntityID, &s.Number, &s.PersonID, &at); err != nil {
			return err
		}
		s.AdmittedAt = fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list seats: %w", err)
	}
	return out, nil
}

// SetPartnerCap implements community.Partners: UpdatePartnerLevel of the
// cap by the system.
func (db *DB) SetPartnerCap(ctx context.Context, levelID int64, capN int) error {
	_, _, err := db.UpdatePartnerLevel(ctx, 0, levelID, community.LevelPatch{Cap: &capN}, "system")
	return err
}

// UpdatePartnerLevel renames a level of the organisation (any when orgID
// is 0) or changes its cap. A cap below the seats already taken at one
// entity, or beyond the level's own tier bands, is refused (conflict); a
// higher cap moves the waitlists up at every entity, as a release does,
// and returns who moved.
func (db *DB) UpdatePartnerLevel(ctx context.Context, orgID, levelID int64, p community.LevelPatch, actor string) (community.PartnerLevel, []community.PartnerNotice, error) {
	if err := p.Validate(); err != nil {
		return community.PartnerLevel{}, nil, err
	}
	var moved []community.PartnerNotice
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var org int64
		var tiers string
		err := tx.QueryRowContext(ctx, db.q("SELECT org_id, tiers FROM partner_levels WHERE id = ?"), levelID).Scan(&org, &tiers)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && orgID != 0 && org != orgID) {
			return errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
		}
		if err != nil {
			return fmt.Errorf("find partner level: %w", err)
		}
		if p.Name != nil {
			if _, err := tx.ExecContext(ctx, db.q("UPDATE partner_levels SET name = ? WHERE id = ?"), *p.Name, levelID); err != nil {
				return fmt.Errorf("rename partner level: %w", err)
			}
		}
		if p.Cap != nil {
			capN := *p.Cap
			var most int
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM partner_seats
				WHERE level_id = ? AND released_at IS NULL GROUP BY entity_id) t`), levelID).Scan(&most); err != nil {
				return fmt.Errorf("count seats: %w", err)
			}
			if capN < most {
				return errkind.Errorf(errkind.Conflict, "cap %d is below the %d seats already taken at one entity", capN, most)
			}
			if tiers != "" {
				var bands []community.TierBand
				if err := json.Unmarshal([]byte(tiers), &bands); err != nil {
					return fmt.Errorf("read tiers: %w", err)
				}
				if err := community.ValidateTiers(bands, capN); err != nil {
					return errkind.Errorf(errkind.Conflict, "cap %d: the level's tiers do not cover it (%v): change the tiers first", capN, err)
				}
			}
			if _, err := tx.ExecContext(ctx, db.q("UPDATE partner_levels SET cap = ? WHERE id = ?"), capN, levelID); err != nil {
				return fmt.Errorf("set cap: %w", err)
			}
			rows, err := tx.QueryContext(ctx, db.q("SELECT DISTINCT entity_id FROM partner_waitlist WHERE level_id = ? ORDER BY entity_id"), levelID)
			entities, err := scanAll(rows, err, scanInt64)
			if err != nil {
				return fmt.Errorf("find waitlists: %w", err)
			}
			for _, e := range entities {
				lvl, err := db.lockSeats(ctx, tx, org, levelID, e)
				if err != nil {
					return err
				}
				m, err := db.promote(ctx, tx, lvl, e, actor)
				if err != nil {
					return err
				}
				moved = append(moved, m...)
			}
		}
		detail, _ := json.Marshal(map[string]any{"name": p.Name, "cap": p.Cap, "moved_up": len(moved)})
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: org, Actor: actor, Action: "partners.level", Subject: fmt.Sprintf("level:%d", levelID), Detail: string(detail)})
	})
	if err != nil {
		return community.PartnerLevel{}, nil, err
	}
	l, err := db.partnerLevel(ctx, levelID)
	return l, moved, err
}

// partnerLevel reads one level.
func (db *DB) partnerLevel(ctx context.Context, id int64) (community.PartnerLevel, error) {
	var l community.PartnerLevel
	err := scanLevel(db.sql.QueryRowContext(ctx, db.q("SELECT "+levelColumns+" FROM partner_levels WHERE id = ?"), id), &l)
	if errors.Is(err, sql.ErrNoRows) {
		return l, errkind.Errorf(errkind.NotFound, "partner level %d not found", id)
	}
	if err != nil {
		return l, fmt.Errorf("read partner level: %w", err)
	}
	return l, nil
}

// PartnerWaitlist lists who waits for a level of the organisation at an
// entity, first come first.
func (db *DB) PartnerWaitlist(ctx context.Context, orgID, levelID, entityID int64) ([]community.Waiting, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT w.person_id, p.name, w.created_at FROM partner_waitlist w
		JOIN partner_levels l ON l.id = w.level_id JOIN people p ON p.id = w.person_id
		WHERE w.level_id = ? AND w.entity_id = ? AND l.org_id = ? ORDER BY w.id`), levelID, entityID, orgID)
	pos := 0
	out, err := scanAll(rows, err, func(r *sql.Rows, w *community.Waiting) error {
		var at int64
		if err := r.Scan(&w.PersonID, &w.Person, &at); err != nil {
			return err
		}
		pos++
		w.Position, w.Since = pos, fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list waitlist: %w", err)
	}
	return out, nil
}

// PartnerNotices lists the organisation's latest moves up from a
// waitlist, newest first, with where each person was told.
func (db *DB) PartnerNotices(ctx context.Context, orgID int64, limit int) ([]community.PartnerNotice, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT n.id, n.level_id, l.name, l.cap, l.tiers, n.entity_id, n.number, n.person_id, p.name,
			COALESCE(n.group_id, 0), COALESCE(g.name, ''), n.lang, n.text, n.actor, n.created_at
		FROM partner_notices n JOIN partner_levels l ON l.id = n.level_id JOIN people p ON p.id = n.person_id
		LEFT JOIN chat_groups g ON g.id = n.group_id
		WHERE n.org_id = ? ORDER BY n.id DESC LIMIT ?`), orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, n *community.PartnerNotice) error {
		var capN int
		var tiers string
		var at int64
		if err := r.Scan(&n.ID, &n.LevelID, &n.Level, &capN, &tiers, &n.EntityID, &n.Number, &n.PersonID, &n.Person,
			&n.GroupID, &n.Group, &n.Lang, &n.Text, &n.Actor, &at); err != nil {
			return err
		}
		n.OrgID, n.CreatedAt = orgID, fromMS(at)
		lvl := community.PartnerLevel{Cap: capN}
		if tiers != "" {
			if err := json.Unmarshal([]byte(tiers), &lvl.Tiers); err != nil {
				return fmt.Errorf("partner level %d: tiers: %w", n.LevelID, err)
			}
		}
		if band, ok := community.TierOf(n.Number, lvl.Bands()); ok {
			n.Tier = band.Name
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list partner notices: %w", err)
	}
	return out, nil
}

// encodeTiers checks custom tiers against the cap and encodes them; nil
// (the seed's bands) encodes as "".
func encodeTiers(bands []community.TierBand, capN int) (string, error) {
	if bands == nil {
		return "", nil
	}
	if err := community.ValidateTiers(bands, capN); err != nil {
		return "", errkind.Errorf(errkind.Invalid, "tiers: %v", err)
	}
	b, err := json.Marshal(bands)
	if err != nil {
		return "", fmt.Errorf("encode tiers: %w", err)
	}
	return string(b), nil
}

// SetPartnerTiers replaces a level's tier bands (nil: the seed's). Seats
// keep their numbers; their tier follows the new bands.
func (db *DB) SetPartnerTiers(ctx context.Context, orgID, levelID int64, bands []community.TierBand, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var capN int
		err := tx.QueryRowContext(ctx, db.q("SELECT cap FROM partner_levels WHERE org_id = ? AND id = ?"), orgID, levelID).Scan(&capN)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
		}
		if err != nil {
			return fmt.Errorf("find partner level: %w", err)
		}
		tiers, err := encodeTiers(bands, capN)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, db.q("UPDATE partner_levels SET tiers = ? WHERE id = ?"), tiers, levelID); err != nil {
			return fmt.Errorf("set tiers: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "partners.tiers", Subject: fmt.Sprintf("level:%d", levelID), Detail: tiersDetail(tiers)})
	})
}

func tiersDetail(tiers string) string {
	if tiers == "" {
		return `{"tiers":"default"}`
	}
	return `{"tiers":` + tiers + `}`
}

// seatLockKey is the advisory lock of one level's seats at one entity.
func seatLockKey(levelID, entityID int64) int64 {
	return 0x5EA7<<48 | (levelID&0xFFFFFF)<<24 | entityID&0xFFFFFF
}

// PartnerBoard returns the organisation's levels, open seats and waitlist
// counts.
func (db *DB) PartnerBoard(ctx context.Context, orgID int64) (community.PartnerBoard, error) {
	b := community.PartnerBoard{Waiting: map[[2]int64]int{}}
	var err error
	if b.Levels, err = db.PartnerLevels(ctx, orgID); err != nil {
		return b, err
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT s.id, s.level_id, s.entity_id, s.number, s.person_id, s.admitted_at, p.name
		FROM partner_seats s JOIN partner_levels l ON l.id = s.level_id JOIN people p ON p.id = s.person_id
		WHERE l.org_id = ? AND s.released_at IS NULL ORDER BY l.rank, s.level_id, s.entity_id, s.number`), orgID)
	if err != nil {
		return b, fmt.Errorf("partner board: %w", err)
	}
	for rows.Next() {
		var s community.BoardSeat
		var at int64
		if err := rows.Scan(&s.ID, &s.LevelID, &s.EntityID, &s.Number, &s.PersonID, &at, &s.Person); err != nil {
			rows.Close()
			return b, fmt.Errorf("partner board: %w", err)
		}
		s.AdmittedAt = fromMS(at)
		b.Seats = append(b.Seats, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, fmt.Errorf("partner board: %w", err)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT w.level_id, w.entity_id, COUNT(*) FROM partner_waitlist w JOIN partner_levels l ON l.id = w.level_id
		WHERE l.org_id = ? GROUP BY w.level_id, w.entity_id`), orgID)
	if err != nil {
		return b, fmt.Errorf("partner waitlist: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var level, entity int64
		var n int
		if err := rows.Scan(&level, &entity, &n); err != nil {
			return b, fmt.Errorf("partner waitlist: %w", err)
		}
		b.Waiting[[2]int64{level, entity}] = n
	}
	return b, rows.Err()
}
