package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// MemberSeats lists the open memberships of members (not staff, not bots) in
// the organisation's active groups, of the people who hold two or more:
// each with its group's family (the template step that made it) and the
// member's messages there over the 30 days before now — what
// analytics.FindDuplicates reads (docs/metrics.md, "One member, several
// groups").
func (db *DB) MemberSeats(ctx context.Context, orgID int64, now time.Time) ([]analytics.Seat, error) {
	member, active := string(community.RoleMember), string(community.Active)
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, m.group_id, g.name, COALESCE(t.family_id, 0), m.joined_at,
			(SELECT COUNT(*) FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id AND x.sent_at >= ?)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		LEFT JOIN group_tasks t ON t.group_id = m.group_id
		WHERE g.org_id = ? AND g.lifecycle = ? AND m.left_at IS NULL AND m.role = ?
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = m.person_id AND i.bot = TRUE)
		  AND m.person_id IN (SELECT m2.person_id FROM memberships m2 JOIN chat_groups g2 ON g2.id = m2.group_id
			WHERE g2.org_id = ? AND g2.lifecycle = ? AND m2.left_at IS NULL AND m2.role = ? GROUP BY m2.person_id HAVING COUNT(*) > 1)
		ORDER BY m.person_id, m.joined_at, m.group_id`),
		ms(now.Add(-30*24*time.Hour)), orgID, active, member, orgID, active, member)
	out, err := scanAll(rows, err, func(r *sql.Rows, s *analytics.Seat) error {
		var joined int64
		if err := r.Scan(&s.Person, &s.Name, &s.Group, &s.GroupName, &s.Family, &joined, &s.Messages); err != nil {
			return err
		}
		s.JoinedAt = fromMS(joined)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seats: %w", err)
	}
	return out, nil
}
