package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// A member's profile for the console: who they are on each platform, every
// stint in every group with who brought them in, the partner seats they
// hold and the moderation against them.

// PersonProfile returns a person of the organisation with their
// identities, memberships and open partner seats.
func (db *DB) PersonProfile(ctx context.Context, orgID, personID int64) (community.PersonProfile, error) {
	var out community.PersonProfile
	p := &out.Person
	var created int64
	err := db.sql.QueryRowContext(ctx, db.q("SELECT id, org_id, name, created_at FROM people WHERE org_id = ? AND id = ?"), orgID, personID).Scan(&p.ID, &p.OrgID, &p.Name, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return out, errkind.Errorf(errkind.NotFound, "person %d not found", personID)
	}
	if err != nil {
		return out, fmt.Errorf("get person %d: %w", personID, err)
	}
	p.CreatedAt = fromMS(created)
	if out.Identities, err = db.identitiesOf(ctx, personID); err != nil {
		return out, err
	}
	if out.Stints, err = db.stintsOf(ctx, orgID, personID); err != nil {
		return out, err
	}
	out.Seats, err = db.seatsOf(ctx, orgID, personID)
	return out, err
}

func (db *DB) identitiesOf(ctx context.Context, personID int64) ([]community.Identity, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT id, person_id, connection, platform, external_id, name, bot FROM identities WHERE person_id = ? ORDER BY id"), personID)
	out, err := scanAll(rows, err, func(r *sql.Rows, i *community.Identity) error {
		if err := r.Scan(&i.ID, &i.PersonID, &i.Connection, &i.Platform, &i.ExternalID, &i.Name, &i.Bot); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person identities: %w", err)
	}
	return out, nil
}

func (db *DB) stintsOf(ctx context.Context, orgID, personID int64) ([]community.PersonStint, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.id, m.group_id, m.person_id, m.role, m.source, m.inviter_id, m.code, m.nickname, m.joined_at, m.left_at, m.left_reason,
			g.name, COALESCE(ip.name, '')
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id LEFT JOIN people ip ON ip.id = m.inviter_id
		WHERE m.person_id = ? AND g.org_id = ? ORDER BY m.joined_at, m.id`), personID, orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, s *community.PersonStint) error {
		m, err := scanMembership(r, &s.Group, &s.Inviter)
		if err != nil {
			return err
		}
		s.Membership = m
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person memberships: %w", err)
	}
	return out, nil
}

func (db *DB) seatsOf(ctx context.Context, orgID, personID int64) ([]community.PersonSeat, error) {
	levels, err := db.PartnerLevels(ctx, orgID)
	if err != nil {
		return nil, err
	}
	byID := map[int64]community.PartnerLevel{}
	for _, l := range levels {
		byID[l.ID] = l
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT s.id, s.level_id, s.entity_id, s.number, s.person_id, s.admitted_at, n.name
		FROM partner_seats s JOIN partner_levels l ON l.id = s.level_id JOIN nodes n ON n.id = s.entity_id
		WHERE s.person_id = ? AND l.org_id = ? AND s.released_at IS NULL ORDER BY l.rank, s.id`), personID, orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, s *community.PersonSeat) error {
		var at int64
		if err := r.Scan(&s.ID, &s.LevelID, &s.EntityID, &s.Number, &s.PersonID, &at, &s.Entity); err != nil {
			return err
		}
		s.AdmittedAt, s.Level = fromMS(at), byID[s.LevelID]
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person seats: %w", err)
	}
	return out, nil
}

// PersonModeration lists the moderation actions against a person, newest
// first.
func (db *DB) PersonModeration(ctx context.Context, orgID, personID int64, limit int) ([]community.ModerationAction, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT id, org_id, COALESCE(group_id, 0), person_id, message_id, action, rule, category, reason, actor, created_at
		FROM moderation_actions WHERE org_id = ? AND person_id = ? ORDER BY created_at DESC, id DESC LIMIT ?`), orgID, personID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, a *community.ModerationAction) error {
		var kind string
		var at int64
		if err := r.Scan(&a.ID, &a.OrgID, &a.GroupID, &a.PersonID, &a.MessageID, &kind, &a.Rule, &a.Category, &a.Reason, &a.Actor, &at); err != nil {
			return err
		}
		a.Action, a.CreatedAt = chat.ActionKind(kind), fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person moderation: %w", err)
	}
	return out, nil
}

// PersonGroups returns, for each of the given people of the organisation,
// the groups they have been members of (left ones included), by group
// id; people without a membership are left out.
func (db *DB) PersonGroups(ctx context.Context, orgID int64, ids []int64) (map[int64][]int64, error) {
	out := map[int64][]int64{}
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		args := []any{orgID}
		ph := make([]string, len(part))
		for i, id := range part {
			ph[i] = "?"
			args = append(args, id)
		}
		rows, err := db.sql.QueryContext(ctx, db.q(`SELECT DISTINCT m.person_id, m.group_id FROM memberships m JOIN chat_groups g ON g.id = m.group_id
			WHERE g.org_id = ? AND m.person_id IN (`+strings.Join(ph, ",")+`) ORDER BY m.person_id, m.group_id`), args...)
		if err != nil {
			return nil, fmt.Errorf("person groups: %w", err)
		}
		for rows.Next() {
			var p, g int64
			if err := rows.Scan(&p, &g); err != nil {
				rows.Close()
				return nil, fmt.Errorf("person groups: %w", err)
			}
			out[p] = append(out[p], g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("person groups: %w", err)
		}
	}
	return out, nil
}

// FindPeople finds the organisation's people whose name, nickname in a
// group or name on a platform contains text (Latin letters in any case),
// at most limit, the closest names first. When groups is not nil, only
// people in one of those groups now are found (a scoped account's). Each
// match lists the groups the person is in now.
func (db *DB) FindPeople(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error) {
	text = strings.TrimSpace(text)
	if text == "" || (groups != nil && len(groups) == 0) {
		return []community.PersonMatch{}, nil
	}
	if utf8.RuneCountInString(text) > 100 {
		return nil, errkind.New(errkind.Invalid, "q: at most 100 characters")
	}
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(strings.ToLower(text)) + "%"
	args := []any{orgID, like, like, like}
	in := ""
	if groups != nil {
		ph := make([]string, len(groups))
		for i, g := range groups {
			ph[i], args = "?", append(args, g)
		}
		in = ` AND EXISTS (SELECT 1 FROM memberships o WHERE o.person_id = p.id AND o.left_at IS NULL AND o.group_id IN (` + strings.Join(ph, ",") + `))`
	}
	args = append(args, text, limit)
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.org_id, p.name, p.created_at FROM people p
		WHERE p.org_id = ? AND (LOWER(p.name) LIKE ? ESCAPE '\'
			OR EXISTS (SELECT 1 FROM memberships m WHERE m.person_id = p.id AND LOWER(m.nickname) LIKE ? ESCAPE '\')
			OR EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id AND LOWER(i.name) LIKE ? ESCAPE '\'))`+in+`
		ORDER BY CASE WHEN p.name = ? THEN 0 ELSE 1 END, LENGTH(p.name), p.id LIMIT ?`), args...)
	out, err := scanAll(rows, err, func(r *sql.Rows, m *community.PersonMatch) error {
		var c int64
		err := r.Scan(&m.ID, &m.OrgID, &m.Name, &c)
		m.CreatedAt = fromMS(c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("find people: %w", err)
	}
	if len(out) == 0 {
		return []community.PersonMatch{}, nil
	}
	ph := make([]string, len(out))
	ids := make([]any, len(out))
	at := map[int64]int{}
	for i, m := range out {
		ph[i], ids[i], at[m.ID] = "?", m.ID, i
	}
	type membership struct {
		person, group int64
		name          string
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, m.group_id, g.name FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE m.left_at IS NULL AND m.person_id IN (`+strings.Join(ph, ",")+`) ORDER BY m.person_id, m.group_id`), ids...)
	pairs, err := scanAll(rows, err, func(r *sql.Rows, p *membership) error { return r.Scan(&p.person, &p.group, &p.name) })
	if err != nil {
		return nil, fmt.Errorf("find people: their groups: %w", err)
	}
	for _, p := range pairs {
		m := &out[at[p.person]]
		m.Groups = append(m.Groups, p.group)
		m.GroupNames = append(m.GroupNames, p.name)
	}
	return out, nil
}
