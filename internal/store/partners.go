package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var _ community.Partners = (*DB)(nil)

// errSeatTaken: a concurrent admission took the seat number first.
var errSeatTaken = &errkind.Error{Kind: errkind.Conflict, Message: "seat taken by a concurrent admission; try again"}

// CreatePartnerLevel adds a level to an organisation's programme.
func (db *DB) CreatePartnerLevel(ctx context.Context, l *community.PartnerLevel) error {
	if l.Slug == "" || l.Name == "" {
		return errkind.New(errkind.Invalid, "partner level: slug and name are required")
	}
	if l.Cap <= 0 {
		return errkind.Errorf(errkind.Invalid, "partner level %q: cap must be at least 1, got %d", l.Slug, l.Cap)
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = db.now()
	}
	tiers, err := encodeTiers(l.Tiers, l.Cap)
	if err != nil {
		return err
	}
	err = db.sql.QueryRowContext(ctx, db.q(`INSERT INTO partner_levels (org_id, slug, name, rank, cap, reuse_seats, tiers, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), l.OrgID, l.Slug, l.Name, l.Rank, l.Cap, l.ReuseSeats, tiers, ms(l.CreatedAt)).Scan(&l.ID)
	if err != nil {
		return fmt.Errorf("create partner level %q: %w", l.Slug, classify(err))
	}
	return nil
}

// PartnerLevels lists an organisation's levels, junior first.
func (db *DB) PartnerLevels(ctx context.Context, orgID int64) ([]community.PartnerLevel, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, org_id, slug, name, rank, cap, reuse_seats, tiers, created_at FROM partner_levels WHERE org_id = ? ORDER BY rank, id"), orgID)
	if err != nil {
		return nil, fmt.Errorf("list partner levels: %w", err)
	}
	defer rows.Close()
	var out []community.PartnerLevel
	for rows.Next() {
		var l community.PartnerLevel
		var c int64
		var tiers string
		if err := rows.Scan(&l.ID, &l.OrgID, &l.Slug, &l.Name, &l.Rank, &l.Cap, &l.ReuseSeats, &tiers, &c); err != nil {
			return nil, fmt.Errorf("list partner levels: %w", err)
		}
		if tiers != "" {
			if err := json.Unmarshal([]byte(tiers), &l.Tiers); err != nil {
				return nil, fmt.Errorf("partner level %d: tiers: %w", l.ID, err)
			}
		}
		l.CreatedAt = fromMS(c)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Admit implements community.Partners. The seat number is the next after
// the highest ever given (or the lowest free one when the level reuses
// seats); the unique (level, entity, number) index makes a concurrent
// admission for the same seat fail, and it is retried against the new
// count.
func (db *DB) Admit(ctx context.Context, levelID, entityID, personID int64) (community.Admission, error) {
	for attempt := 0; ; attempt++ {
		a, err := db.admitOnce(ctx, levelID, entityID, personID)
		if err == nil || !errors.Is(err, errSeatTaken) || attempt >= 50 {
			return a, err
		}
	}
}

func (db *DB) admitOnce(ctx context.Context, levelID, entityID, personID int64) (community.Admission, error) {
	var a community.Admission
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if db.dialect == Postgres {
			// Serialise admissions to one level at one entity: under READ
			// COMMITTED the seat count and the next number are read at
			// different moments, and two admissions could both fit.
			// (SQLite transactions are serialised already.)
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", seatLockKey(levelID, entityID)); err != nil {
				return fmt.Errorf("lock seats: %w", err)
			}
		}
		var capN int
		var reuse bool
		var org, entityOrg int64
		err := tx.QueryRowContext(ctx, db.q("SELECT org_id, cap, reuse_seats FROM partner_levels WHERE id = ?"), levelID).Scan(&org, &capN, &reuse)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
		}
		if err != nil {
			return fmt.Errorf("find partner level: %w", err)
		}
		err = tx.QueryRowContext(ctx, db.q("SELECT org_id FROM nodes WHERE id = ?"), entityID).Scan(&entityOrg)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && entityOrg != org) {
			return errkind.Errorf(errkind.Invalid, "entity %d is not a node of the level's organisation", entityID)
		}
		if err != nil {
			return fmt.Errorf("find entity: %w", err)
		}
		var have int64
		err = tx.QueryRowContext(ctx, db.q("SELECT id FROM partner_seats WHERE level_id = ? AND entity_id = ? AND person_id = ? AND released_at IS NULL"), levelID, entityID, personID).Scan(&have)
		if err == nil {
			return errkind.Errorf(errkind.Conflict, "person %d already holds a seat of this level here", personID)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find seat: %w", err)
		}
		var open, maxNo int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL"), levelID, entityID).Scan(&open); err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		if open >= capN {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO partner_waitlist (level_id, entity_id, person_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (level_id, entity_id, person_id) DO NOTHING"),
				levelID, entityID, personID, ms(db.now())); err != nil {
				return fmt.Errorf("join waitlist: %w", err)
			}
			a.Waitlisted = true
			return tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM partner_waitlist w WHERE w.level_id = ? AND w.entity_id = ?
				AND w.id <= (SELECT id FROM partner_waitlist WHERE level_id = ? AND entity_id = ? AND person_id = ?)`),
				levelID, entityID, levelID, entityID, personID).Scan(&a.Position)
		}
		next := 0
		if reuse {
			// The lowest number not held by an open seat.
			rows, err := tx.QueryContext(ctx, db.q("SELECT number FROM partner_seats WHERE level_id = ? AND entity_id = ? AND released_at IS NULL ORDER BY number"), levelID, entityID)
			taken, err := scanAll(rows, err, scanInt64)
			if err != nil {
				return fmt.Errorf("list seats: %w", err)
			}
			next = 1
			for _, n := range taken {
				if int(n) == next {
					next++
				}
			}
			// A reused number may still be on a released row: free it.
			if _, err := tx.ExecContext(ctx, db.q("DELETE FROM partner_seats WHERE level_id = ? AND entity_id = ? AND number = ? AND released_at IS NOT NULL"), levelID, entityID, next); err != nil {
				return fmt.Errorf("reuse seat: %w", err)
			}
		} else {
			if err := tx.QueryRowContext(ctx, db.q("SELECT COALESCE(MAX(number), 0) FROM partner_seats WHERE level_id = ? AND entity_id = ?"), levelID, entityID).Scan(&maxNo); err != nil {
				return fmt.Errorf("number seat: %w", err)
			}
			next = maxNo + 1
		}
		a.Seat = community.Seat{LevelID: levelID, EntityID: entityID, Number: next, PersonID: personID, AdmittedAt: db.now()}
		err = tx.QueryRowContext(ctx, db.q("INSERT INTO partner_seats (level_id, entity_id, number, person_id, admitted_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			levelID, entityID, next, personID, ms(a.Seat.AdmittedAt)).Scan(&a.Seat.ID)
		if err != nil {
			if errkind.Is(classify(err), errkind.Conflict) {
				return fmt.Errorf("take seat %d: %w", next, errSeatTaken)
			}
			return fmt.Errorf("take seat %d: %w", next, err)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM partner_waitlist WHERE level_id = ? AND entity_id = ? AND person_id = ?"), levelID, entityID, personID); err != nil {
			return fmt.Errorf("leave waitlist: %w", err)
		}
		a.Admitted = true
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: org, Actor: "system", Action: "partner.admit",
			Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"level":%d,"entity":%d,"seat":%d}`, levelID, entityID, next)})
	})
	return a, err
}

// ReleaseSeat frees a seat.
func (db *DB) ReleaseSeat(ctx context.Context, seatID int64) error {
	res, err := db.sql.ExecContext(ctx, db.q("UPDATE partner_seats SET released_at = ? WHERE id = ? AND released_at IS NULL"), ms(db.now()), seatID)
	if err != nil {
		return fmt.Errorf("release seat: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errkind.Errorf(errkind.NotFound, "no open seat %d", seatID)
	}
	return nil
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

// SetPartnerCap implements community.Partners.
func (db *DB) SetPartnerCap(ctx context.Context, levelID int64, capN int) error {
	if capN <= 0 {
		return errkind.Errorf(errkind.Invalid, "cap must be at least 1, got %d", capN)
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var most int
		if err := tx.QueryRowContext(ctx, db.q(`SELECT COALESCE(MAX(n), 0) FROM (SELECT COUNT(*) AS n FROM partner_seats
			WHERE level_id = ? AND released_at IS NULL GROUP BY entity_id) t`), levelID).Scan(&most); err != nil {
			return fmt.Errorf("count seats: %w", err)
		}
		if capN < most {
			return errkind.Errorf(errkind.Conflict, "cap %d is below the %d seats already taken at one entity", capN, most)
		}
		var tiers string
		if err := tx.QueryRowContext(ctx, db.q("SELECT tiers FROM partner_levels WHERE id = ?"), levelID).Scan(&tiers); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read tiers: %w", err)
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
		res, err := tx.ExecContext(ctx, db.q("UPDATE partner_levels SET cap = ? WHERE id = ?"), capN, levelID)
		if err != nil {
			return fmt.Errorf("set cap: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "partner level %d not found", levelID)
		}
		return nil
	})
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
