package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Points (migration 0030): a member's points in a group are their
// check-ins' (table checkins, botasks.go) and those of the points table —
// substantive posts and staff's awards — added up.

// allPoints is every points row as (group_id, person_id, day, points):
// the check-ins' and the points table's.
const allPoints = `(SELECT group_id, person_id, day, points FROM checkins UNION ALL SELECT group_id, person_id, day, points FROM points)`

// PointsSince sums a member's points in a group since a day.
func (t *ingestTx) PointsSince(ctx context.Context, groupID, personID int64, since string) (int, error) {
	return pointsSince(ctx, t.db, t.tx, groupID, personID, since)
}

func pointsSince(ctx context.Context, db *DB, q queryer, groupID, personID int64, since string) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, db.q(`SELECT COALESCE(SUM(x.points), 0) FROM `+allPoints+` x
		WHERE x.group_id = ? AND x.person_id = ? AND x.day >= ?`), groupID, personID, since).Scan(&n); err != nil {
		return 0, fmt.Errorf("points: %w", err)
	}
	return n, nil
}

// AddPoints records points once per group, kind and ref; an award is
// audited with them.
func (t *ingestTx) AddPoints(ctx context.Context, p pipeline.PointsEntry) (bool, error) {
	return addPoints(ctx, t.db, t.tx, p)
}

func addPoints(ctx context.Context, db *DB, q queryer, p pipeline.PointsEntry) (bool, error) {
	res, err := q.ExecContext(ctx, db.q(`INSERT INTO points (group_id, person_id, day, kind, points, ref, actor, actor_name, reason, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, kind, ref) DO NOTHING`),
		p.GroupID, p.PersonID, p.Day, p.Kind, p.Points, p.Ref, p.Actor, p.ActorName, p.Reason, ms(p.At))
	if err != nil {
		return false, fmt.Errorf("add points: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if p.Kind != pipeline.PointsAward {
		return true, nil
	}
	var orgID int64
	if err := q.QueryRowContext(ctx, db.q("SELECT org_id FROM chat_groups WHERE id = ?"), p.GroupID).Scan(&orgID); err != nil {
		return false, fmt.Errorf("add points: group %d: %w", p.GroupID, err)
	}
	return true, appendAudit(ctx, db, q, community.AuditEntry{OrgID: orgID, At: p.At, Actor: p.Actor, Action: "points.award",
		Subject: "person:" + strconv.FormatInt(p.PersonID, 10),
		Detail:  community.Detail("group", p.GroupID, "points", p.Points, "reason", p.Reason, "by", p.ActorName)})
}

// CountPoints counts a member's entries of a kind in a group on a day.
func (t *ingestTx) CountPoints(ctx context.Context, groupID, personID int64, kind, day string) (int, error) {
	var n int
	if err := t.tx.QueryRowContext(ctx, t.db.q("SELECT COUNT(*) FROM points WHERE group_id = ? AND person_id = ? AND day = ? AND kind = ?"),
		groupID, personID, day, kind).Scan(&n); err != nil {
		return 0, fmt.Errorf("count points: %w", err)
	}
	return n, nil
}

// PointsBoard ranks a group's members by their points since a day.
func (t *ingestTx) PointsBoard(ctx context.Context, groupID int64, since string, limit int) ([]pipeline.PointsRank, error) {
	rows, err := t.tx.QueryContext(ctx, t.db.q(`SELECT x.person_id, p.name, SUM(x.points) AS n FROM `+allPoints+` x JOIN people p ON p.id = x.person_id
		WHERE x.group_id = ? AND x.day >= ? GROUP BY x.person_id, p.name HAVING SUM(x.points) > 0 ORDER BY n DESC, x.person_id LIMIT ?`), groupID, since, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *pipeline.PointsRank) error { return r.Scan(&p.PersonID, &p.Name, &p.Points) })
	if err != nil {
		return nil, fmt.Errorf("points board: %w", err)
	}
	return out, nil
}

// AwardPoints records staff's award from the console (audited, once per
// p.Ref: a form sent twice awards once); added is false for a repeat.
func (db *DB) AwardPoints(ctx context.Context, p pipeline.PointsEntry) (added bool, err error) {
	p.Kind = pipeline.PointsAward
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		added, err = addPoints(ctx, db, tx, p)
		return err
	})
	return added, err
}

// PersonPoints returns a member's points in each group they have any,
// with this month's since monthStart (YYYY-MM-DD), and the streak and day
// of their last check-in there (0 and "" when they never checked in), the
// groups of their latest points first.
func (db *DB) PersonPoints(ctx context.Context, personID int64, monthStart string) ([]memberbot.Points, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT x.group_id, SUM(x.points), SUM(CASE WHEN x.day >= ? THEN x.points ELSE 0 END),
		COALESCE((SELECT MAX(l.day) FROM checkins l WHERE l.group_id = x.group_id AND l.person_id = x.person_id), ''),
		COALESCE((SELECT l.streak FROM checkins l WHERE l.group_id = x.group_id AND l.person_id = x.person_id ORDER BY l.day DESC LIMIT 1), 0)
		FROM `+allPoints+` x WHERE x.person_id = ? GROUP BY x.group_id, x.person_id ORDER BY MAX(x.day) DESC, x.group_id`), monthStart, personID)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *memberbot.Points) error {
		return r.Scan(&p.GroupID, &p.Total, &p.Month, &p.Last, &p.Streak)
	})
	if err != nil {
		return nil, fmt.Errorf("person points: %w", err)
	}
	return out, nil
}

// PointsHistory lists a member's latest points, at most limit, the
// newest first: check-ins (Kind pipeline.PointsCheckin, Reason the
// streak), substantive posts and awards.
func (db *DB) PointsHistory(ctx context.Context, personID int64, limit int) ([]pipeline.PointsEntry, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT group_id, day, kind, points, actor_name, reason, at FROM (
		SELECT group_id, day, 'checkin' AS kind, points, '' AS actor_name, CAST(streak AS TEXT) AS reason, at FROM checkins WHERE person_id = ?
		UNION ALL SELECT group_id, day, kind, points, actor_name, reason, at FROM points WHERE person_id = ?) h
		ORDER BY at DESC, kind LIMIT ?`), personID, personID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *pipeline.PointsEntry) error {
		var at int64
		if err := r.Scan(&p.GroupID, &p.Day, &p.Kind, &p.Points, &p.ActorName, &p.Reason, &at); err != nil {
			return err
		}
		p.PersonID, p.At = personID, fromMS(at)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("points history: %w", err)
	}
	return out, nil
}

// TopPoints ranks an organisation's members by points — in the groups
// given, or all of the organisation's when groups is nil — with this
// month's (since monthStart) and all time's; byMonth orders by this
// month's, else by all time's. At most limit.
func (db *DB) TopPoints(ctx context.Context, orgID int64, groups []int64, monthStart string, byMonth bool, limit int) ([]memberbot.BoardRow, error) {
	if groups != nil && len(groups) == 0 {
		return nil, nil
	}
	args := []any{monthStart, orgID}
	where := ""
	if groups != nil {
		marks := make([]string, len(groups))
		for i, g := range groups {
			marks[i] = "?"
			args = append(args, g)
		}
		where = " AND x.group_id IN (" + strings.Join(marks, ", ") + ")"
	}
	order, having := "total DESC, month DESC", "SUM(x.points) > 0"
	if byMonth {
		order, having = "month DESC, total DESC", "SUM(CASE WHEN x.day >= ? THEN x.points ELSE 0 END) > 0"
		args = append(args, monthStart)
	}
	args = append(args, limit)
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT x.person_id, p.name, SUM(CASE WHEN x.day >= ? THEN x.points ELSE 0 END) AS month, SUM(x.points) AS total
		FROM `+allPoints+` x JOIN people p ON p.id = x.person_id JOIN chat_groups g ON g.id = x.group_id
		WHERE g.org_id = ?`+where+` GROUP BY x.person_id, p.name HAVING `+having+` ORDER BY `+order+`, x.person_id LIMIT ?`), args...)
	out, err := scanAll(rows, err, func(r *sql.Rows, b *memberbot.BoardRow) error {
		return r.Scan(&b.PersonID, &b.Name, &b.Month, &b.Total)
	})
	if err != nil {
		return nil, fmt.Errorf("top points: %w", err)
	}
	return out, nil
}
