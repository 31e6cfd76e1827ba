package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var _ community.Growth = (*DB)(nil)

// CreateCampaign adds a campaign.
func (db *DB) CreateCampaign(ctx context.Context, c *community.Campaign) error {
	if strings.TrimSpace(c.Name) == "" {
		return errkind.New(errkind.Invalid, "campaign name is required")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now()
	}
	err := db.sql.QueryRowContext(ctx, db.q("INSERT INTO campaigns (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id"), c.OrgID, c.Name, ms(c.CreatedAt)).Scan(&c.ID)
	if err != nil {
		return fmt.Errorf("create campaign %q: %w", c.Name, classify(err))
	}
	return nil
}

// ArchiveCampaign ends a campaign: its codes stop being accepted.
func (db *DB) ArchiveCampaign(ctx context.Context, orgID, id int64) error {
	res, err := db.sql.ExecContext(ctx, db.q("UPDATE campaigns SET archived_at = ? WHERE org_id = ? AND id = ? AND archived_at IS NULL"), ms(db.now()), orgID, id)
	if err != nil {
		return fmt.Errorf("archive campaign: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errkind.Errorf(errkind.NotFound, "no active campaign %d", id)
	}
	return nil
}

// codeAlphabet avoids look-alikes (0/O, 1/I/L) so codes survive being read
// aloud or copied from a poster.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// newCode returns community.MinCodeLength random letters of codeAlphabet,
// each equally likely: a random byte at or above the largest multiple of
// the alphabet's size is drawn again.
func newCode() string {
	const limit = 256 - 256%len(codeAlphabet)
	out := make([]byte, 0, community.MinCodeLength)
	var b [16]byte
	for len(out) < community.MinCodeLength {
		rand.Read(b[:])
		for _, c := range b {
			if int(c) < limit && len(out) < community.MinCodeLength {
				out = append(out, codeAlphabet[int(c)%len(codeAlphabet)])
			}
		}
	}
	return string(out)
}

// CreateInviteCode adds a code; an empty Code is generated.
func (db *DB) CreateInviteCode(ctx context.Context, c *community.InviteCode) error {
	gen := c.Code == ""
	if !gen {
		c.Code = strings.ToUpper(strings.TrimSpace(c.Code))
		if err := community.CheckNewCode(c.Code); err != nil {
			return err
		}
	}
	if c.PersonID == 0 && c.CampaignID == 0 {
		return errkind.New(errkind.Invalid, "invite code: give the member or the campaign it belongs to")
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now()
	}
	for attempt := 0; ; attempt++ {
		if gen {
			c.Code = newCode()
		}
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			if c.CampaignID != 0 {
				var archived sql.NullInt64
				err := tx.QueryRowContext(ctx, db.q("SELECT archived_at FROM campaigns WHERE org_id = ? AND id = ?"), c.OrgID, c.CampaignID).Scan(&archived)
				if errors.Is(err, sql.ErrNoRows) {
					return errkind.Errorf(errkind.NotFound, "campaign %d not found", c.CampaignID)
				}
				if err != nil {
					return fmt.Errorf("find campaign: %w", err)
				}
				if archived.Valid {
					return errkind.Errorf(errkind.Invalid, "campaign %d is archived: its codes are no longer issued", c.CampaignID)
				}
			}
			return tx.QueryRowContext(ctx, db.q("INSERT INTO invite_codes (org_id, code, person_id, campaign_id, group_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
				c.OrgID, c.Code, nullID(c.PersonID), nullID(c.CampaignID), nullID(c.GroupID), ms(c.CreatedAt)).Scan(&c.ID)
		})
		if err == nil {
			return nil
		}
		err = classify(err)
		if gen && errkind.Is(err, errkind.Conflict) && attempt < 5 {
			continue
		}
		if errkind.Is(err, errkind.Conflict) {
			return errkind.Errorf(errkind.Conflict, "invite code %q is taken", c.Code)
		}
		return fmt.Errorf("create invite code: %w", err)
	}
}

// InviteCode finds a usable code: not archived, and not of an archived
// campaign.
func (t *ingestTx) InviteCode(ctx context.Context, code string) (community.InviteCode, bool, error) {
	var c community.InviteCode
	var person, campaign, group sql.NullInt64
	var created int64
	err := t.row(ctx, `SELECT i.id, i.org_id, i.code, i.person_id, i.campaign_id, i.group_id, i.created_at FROM invite_codes i
		LEFT JOIN campaigns c ON c.id = i.campaign_id
		WHERE i.code = ? AND i.archived_at IS NULL AND c.archived_at IS NULL`, strings.ToUpper(strings.TrimSpace(code))).
		Scan(&c.ID, &c.OrgID, &c.Code, &person, &campaign, &group, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, nil
	}
	if err != nil {
		return c, false, fmt.Errorf("find invite code: %w", err)
	}
	c.PersonID, c.CampaignID, c.GroupID, c.CreatedAt = person.Int64, campaign.Int64, group.Int64, fromMS(created)
	return c, true, nil
}

type edge struct {
	person, inviter int64
	name            string
	joined          time.Time
	qualified       bool
}

// referralEdges returns, per person of the organisation, the first stint
// that names an inviter: who brought them in.
func (db *DB) referralEdges(ctx context.Context, orgID int64) (map[int64]edge, error) {
	now := db.now()
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, m.inviter_id, p.name, m.joined_at, m.left_at,
			EXISTS (SELECT 1 FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id AND x.sent_at >= m.joined_at)
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.org_id = ? AND m.inviter_id IS NOT NULL ORDER BY m.joined_at, m.id`), orgID)
	if err != nil {
		return nil, fmt.Errorf("referral edges: %w", err)
	}
	defer rows.Close()
	out := map[int64]edge{}
	for rows.Next() {
		var e edge
		var joined int64
		var left sql.NullInt64
		var posted bool
		if err := rows.Scan(&e.person, &e.inviter, &e.name, &joined, &left, &posted); err != nil {
			return nil, fmt.Errorf("referral edges: %w", err)
		}
		e.joined = fromMS(joined)
		end := now
		if left.Valid {
			end = fromMS(left.Int64)
		}
		e.qualified = posted || end.Sub(e.joined) >= community.QualifyingStay
		if prev, ok := out[e.person]; ok {
			prev.qualified = prev.qualified || e.qualified
			out[e.person] = prev
			continue
		}
		if e.person != e.inviter {
			out[e.person] = e
		}
	}
	return out, rows.Err()
}

// ReferralTree returns everyone the root brought in, directly or through
// others, breadth first, to maxDepth levels (0: unlimited).
func (db *DB) ReferralTree(ctx context.Context, orgID, root int64, maxDepth int) ([]community.Referral, error) {
	edges, err := db.referralEdges(ctx, orgID)
	if err != nil {
		return nil, err
	}
	children := map[int64][]edge{}
	for _, e := range edges {
		children[e.inviter] = append(children[e.inviter], e)
	}
	var out []community.Referral
	seen := map[int64]bool{root: true}
	level := []int64{root}
	for depth := 1; len(level) > 0 && (maxDepth <= 0 || depth <= maxDepth); depth++ {
		var next []int64
		for _, p := range level {
			kids := children[p]
			sort.Slice(kids, func(i, j int) bool { return kids[i].joined.Before(kids[j].joined) })
			for _, k := range kids {
				if seen[k.person] { // a cycle in bad data: stop there
					continue
				}
				seen[k.person] = true
				out = append(out, community.Referral{PersonID: k.person, InviterID: k.inviter, Name: k.name, Depth: depth, JoinedAt: k.joined, Qualified: k.qualified})
				next = append(next, k.person)
			}
		}
		level = next
	}
	return out, nil
}

// TopInviters ranks members by qualified referrals who joined since the
// given time.
func (db *DB) TopInviters(ctx context.Context, orgID int64, since time.Time, limit int) ([]community.InviterRank, error) {
	edges, err := db.referralEdges(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ranks := map[int64]*community.InviterRank{}
	for _, e := range edges {
		if e.joined.Before(since) {
			continue
		}
		r := ranks[e.inviter]
		if r == nil {
			r = &community.InviterRank{PersonID: e.inviter}
			ranks[e.inviter] = r
		}
		r.Invited++
		if e.qualified {
			r.Qualified++
		}
	}
	out := make([]community.InviterRank, 0, len(ranks))
	for _, r := range ranks {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Qualified != out[j].Qualified {
			return out[i].Qualified > out[j].Qualified
		}
		if out[i].Invited != out[j].Invited {
			return out[i].Invited > out[j].Invited
		}
		return out[i].PersonID < out[j].PersonID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	for i := range out {
		db.sql.QueryRowContext(ctx, db.q("SELECT name FROM people WHERE id = ?"), out[i].PersonID).Scan(&out[i].Name)
	}
	return out, nil
}

// CampaignGrowth measures a campaign's referral K-factor and cycle time:
// its members are the people who joined with its codes; their invitations
// are the people who name them as inviter (from the platform or their
// personal code).
func (db *DB) CampaignGrowth(ctx context.Context, orgID, campaignID int64) (community.CampaignGrowth, error) {
	g := community.CampaignGrowth{CampaignID: campaignID}
	err := db.sql.QueryRowContext(ctx, db.q("SELECT name FROM campaigns WHERE org_id = ? AND id = ?"), orgID, campaignID).Scan(&g.Name)
	if errors.Is(err, sql.ErrNoRows) {
		return g, errkind.Errorf(errkind.NotFound, "campaign %d not found", campaignID)
	}
	if err != nil {
		return g, fmt.Errorf("find campaign: %w", err)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, MIN(m.joined_at) FROM memberships m
		JOIN invite_codes c ON c.code = m.code AND c.org_id = ? WHERE c.campaign_id = ? GROUP BY m.person_id`), orgID, campaignID)
	if err != nil {
		return g, fmt.Errorf("campaign members: %w", err)
	}
	joined := map[int64]time.Time{}
	for rows.Next() {
		var p, at int64
		if err := rows.Scan(&p, &at); err != nil {
			rows.Close()
			return g, fmt.Errorf("campaign members: %w", err)
		}
		joined[p] = fromMS(at)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return g, fmt.Errorf("campaign members: %w", err)
	}
	g.Members = len(joined)
	edges, err := db.referralEdges(ctx, orgID)
	if err != nil {
		return g, err
	}
	inviters := map[int64]bool{}
	var cycles []time.Duration
	for _, e := range edges {
		at, ok := joined[e.inviter]
		if !ok {
			continue
		}
		inviters[e.inviter] = true
		g.Invitations++
		if e.qualified {
			g.Qualified++
		}
		if d := e.joined.Sub(at); d >= 0 {
			cycles = append(cycles, d)
		}
	}
	g.Inviters = len(inviters)
	g.K = analytics.KFactor(g.Members, g.Invitations, g.Qualified)
	if len(cycles) > 0 {
		sort.Slice(cycles, func(i, j int) bool { return cycles[i] < cycles[j] })
		g.CycleMedian = cycles[len(cycles)/2]
		if len(cycles)%2 == 0 {
			g.CycleMedian = (cycles[len(cycles)/2-1] + cycles[len(cycles)/2]) / 2
		}
	}
	return g, nil
}
