package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// FindPeople finds the organisation's people whose name, or nickname in a
// group they are in, contains query (case-insensitive), exact names first,
// at most limit, each with the groups they are in.
func (db *DB) FindPeople(ctx context.Context, orgID int64, query string, limit int) ([]community.PersonMatch, error) {
	query = strings.ToLower(strings.TrimSpace(query))
	if query == "" {
		return nil, errkind.New(errkind.Invalid, "name: type a name (or part of one) to look for")
	}
	like := "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(query) + "%"
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.name FROM people p
		WHERE p.org_id = ? AND (LOWER(p.name) LIKE ? ESCAPE '\' OR EXISTS (SELECT 1 FROM memberships m
			WHERE m.person_id = p.id AND m.left_at IS NULL AND LOWER(m.nickname) LIKE ? ESCAPE '\'))
		ORDER BY CASE WHEN LOWER(p.name) = ? THEN 0 ELSE 1 END, p.name, p.id LIMIT ?`), orgID, like, like, query, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, m *community.PersonMatch) error { return r.Scan(&m.PersonID, &m.Name) })
	if err != nil {
		return nil, fmt.Errorf("find people: %w", err)
	}
	if len(out) == 0 {
		return out, nil
	}
	at := map[int64]int{}
	args := []any{}
	for i, m := range out {
		at[m.PersonID] = i
		args = append(args, m.PersonID)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, g.name FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE m.left_at IS NULL AND m.person_id IN (?`+strings.Repeat(", ?", len(args)-1)+`) ORDER BY m.joined_at, m.id`), args...)
	type pair struct {
		person int64
		group  string
	}
	pairs, err := scanAll(rows, err, func(r *sql.Rows, p *pair) error { return r.Scan(&p.person, &p.group) })
	if err != nil {
		return nil, fmt.Errorf("find people's groups: %w", err)
	}
	for _, p := range pairs {
		out[at[p.person]].Groups = append(out[at[p.person]].Groups, p.group)
	}
	return out, nil
}
