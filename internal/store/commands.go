package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The reads and writes of the chat commands (/top, /stats, /invite,
// /signup, /unban), inside the ingest transaction.

// memberName is how a member is shown in the group: their group nickname,
// else their name.
const memberName = "COALESCE(NULLIF(m.nickname, ''), p.name)"

// LiftOrgBan lifts a person's organisation ban and lists the groups they
// were ever in, to unban them there.
func (t *ingestTx) LiftOrgBan(ctx context.Context, orgID, personID int64, actor string) (bool, []community.Place, error) {
	now := t.db.now()
	res, err := t.tx.ExecContext(ctx, t.db.q("UPDATE org_bans SET lifted_at = ?, lifted_by = ? WHERE org_id = ? AND person_id = ? AND lifted_at IS NULL"), ms(now), actor, orgID, personID)
	if err != nil {
		return false, nil, fmt.Errorf("lift ban: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil, nil
	}
	places, err := placesOf(ctx, t.db, t.tx, orgID, personID, false)
	if err != nil {
		return false, nil, err
	}
	err = t.Audit(ctx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "ban.lift", Subject: fmt.Sprintf("person:%d", personID), Detail: fmt.Sprintf(`{"groups":%d,"via":"chat command"}`, len(places))})
	return true, places, err
}

// TopPosters ranks the group's members by messages since a time; staff and
// bots are left out.
func (t *ingestTx) TopPosters(ctx context.Context, groupID int64, since time.Time, limit int) ([]analytics.Poster, error) {
	rows, err := t.tx.QueryContext(ctx, t.db.q(`SELECT `+memberName+`, COUNT(*) AS n FROM messages x
		JOIN memberships m ON m.group_id = x.group_id AND m.person_id = x.person_id AND m.left_at IS NULL
		JOIN people p ON p.id = x.person_id
		WHERE x.group_id = ? AND x.sent_at >= ? AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = x.person_id AND i.bot = TRUE)
		GROUP BY x.person_id, m.nickname, p.name ORDER BY n DESC, MIN(x.id) LIMIT ?`), groupID, ms(since), limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *analytics.Poster) error {
		if err := r.Scan(&p.Name, &p.Messages); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("top posters: %w", err)
	}
	return out, nil
}

// GroupStats counts the group's members now, and joins, leaves, member
// messages and communicators since a time.
func (t *ingestTx) GroupStats(ctx context.Context, groupID int64, since time.Time) (analytics.GroupStats, error) {
	var s analytics.GroupStats
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT
		(SELECT COUNT(*) FROM memberships WHERE group_id = ? AND left_at IS NULL),
		(SELECT COUNT(*) FROM memberships WHERE group_id = ? AND joined_at >= ?),
		(SELECT COUNT(*) FROM memberships WHERE group_id = ? AND left_at >= ?)`),
		groupID, groupID, ms(since), groupID, ms(since)).Scan(&s.Members, &s.Joined, &s.Left)
	if err != nil {
		return s, fmt.Errorf("group stats: %w", err)
	}
	err = t.tx.QueryRowContext(ctx, t.db.q(`SELECT COUNT(*), COUNT(DISTINCT x.person_id) FROM messages x
		JOIN memberships m ON m.group_id = x.group_id AND m.person_id = x.person_id AND m.left_at IS NULL
		WHERE x.group_id = ? AND x.sent_at >= ? AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = x.person_id AND i.bot = TRUE)`), groupID, ms(since)).Scan(&s.Messages, &s.Communicators)
	if err != nil {
		return s, fmt.Errorf("group stats: %w", err)
	}
	return s, nil
}

// PersonalInviteCode returns the person's code for the group, creating it
// on first use.
func (t *ingestTx) PersonalInviteCode(ctx context.Context, orgID, groupID, personID int64, at time.Time) (string, error) {
	var code string
	err := t.tx.QueryRowContext(ctx, t.db.q(`SELECT code FROM invite_codes WHERE org_id = ? AND person_id = ? AND group_id = ? AND campaign_id IS NULL AND archived_at IS NULL ORDER BY id LIMIT 1`),
		orgID, personID, groupID).Scan(&code)
	if err == nil {
		return code, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("find invite code: %w", err)
	}
	for attempt := 0; attempt < 8; attempt++ {
		code = newCode()
		var id int64
		err := t.tx.QueryRowContext(ctx, t.db.q(`INSERT INTO invite_codes (org_id, code, person_id, group_id, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (code) DO NOTHING RETURNING id`), orgID, code, personID, groupID, ms(at)).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			continue // taken: draw again
		}
		if err != nil {
			return "", fmt.Errorf("create invite code: %w", err)
		}
		return code, nil
	}
	return "", errors.New("create invite code: no free code after 8 draws")
}
