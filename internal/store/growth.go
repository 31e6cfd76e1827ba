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

// CreateCampaign implements community.Growth: CreateCampaignBy the system.
func (db *DB) CreateCampaign(ctx context.Context, c *community.Campaign) error {
	return db.CreateCampaignBy(ctx, c, "system")
}

// CreateCampaignBy adds a campaign, of the organisation or of a node of
// its tree (NodeID).
func (db *DB) CreateCampaignBy(ctx context.Context, c *community.Campaign, actor string) error {
	name, err := community.ValidateCampaignName(c.Name)
	if err != nil {
		return err
	}
	c.Name = name
	if c.CreatedAt.IsZero() {
		c.CreatedAt = db.now()
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if c.NodeID != 0 {
			if err := inOrg(ctx, db, tx, "nodes", "node", c.OrgID, c.NodeID); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO campaigns (org_id, node_id, name, created_at) VALUES (?, ?, ?, ?) RETURNING id"),
			c.OrgID, nullID(c.NodeID), c.Name, ms(c.CreatedAt)).Scan(&c.ID)
		if err = classify(err); errkind.Is(err, errkind.Conflict) {
			return errkind.Errorf(errkind.Conflict, "a campaign named %q exists already", c.Name)
		}
		if err != nil {
			return fmt.Errorf("create campaign %q: %w", c.Name, err)
		}
		return auditJSON(ctx, db, tx, c.OrgID, actor, "campaign.create", fmt.Sprintf("campaign:%d", c.ID), map[string]any{"name": c.Name, "node": c.NodeID})
	})
}

// inOrg checks that a row of table (nodes, people, chat_groups) is the
// organisation's: not found, naming what, otherwise.
func inOrg(ctx context.Context, db *DB, q queryer, table, what string, orgID, id int64) error {
	var n int
	if err := q.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM "+table+" WHERE org_id = ? AND id = ?"), orgID, id).Scan(&n); err != nil {
		return fmt.Errorf("find %s %d: %w", what, id, err)
	}
	if n == 0 {
		return errkind.Errorf(errkind.NotFound, "%s %d not found", what, id)
	}
	return nil
}

// ArchiveCampaign implements community.Growth: ArchiveCampaignBy the
// system.
func (db *DB) ArchiveCampaign(ctx context.Context, orgID, id int64) error {
	return db.ArchiveCampaignBy(ctx, orgID, id, "system")
}

// ArchiveCampaignBy ends a campaign: its codes stop being accepted.
func (db *DB) ArchiveCampaignBy(ctx context.Context, orgID, id int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q("UPDATE campaigns SET archived_at = ? WHERE org_id = ? AND id = ? AND archived_at IS NULL"), ms(db.now()), orgID, id)
		if err != nil {
			return fmt.Errorf("archive campaign: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "no active campaign %d", id)
		}
		return auditJSON(ctx, db, tx, orgID, actor, "campaign.archive", fmt.Sprintf("campaign:%d", id), struct{}{})
	})
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

// CreateInviteCode implements community.Growth: CreateInviteCodeBy the
// system.
func (db *DB) CreateInviteCode(ctx context.Context, c *community.InviteCode) error {
	return db.CreateInviteCodeBy(ctx, c, "system")
}

// CreateInviteCodeBy adds a code of a member, of a campaign or both, for a
// group or any; an empty Code is generated (community.MinCodeLength random
// characters).
// The member, campaign and group must be the organisation's.
func (db *DB) CreateInviteCodeBy(ctx context.Context, c *community.InviteCode, actor string) error {
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
			if c.PersonID != 0 {
				if err := inOrg(ctx, db, tx, "people", "person", c.OrgID, c.PersonID); err != nil {
					return err
				}
			}
			if c.GroupID != 0 {
				if err := inOrg(ctx, db, tx, "chat_groups", "group", c.OrgID, c.GroupID); err != nil {
					return err
				}
			}
			err := tx.QueryRowContext(ctx, db.q("INSERT INTO invite_codes (org_id, code, person_id, campaign_id, group_id, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
				c.OrgID, c.Code, nullID(c.PersonID), nullID(c.CampaignID), nullID(c.GroupID), ms(c.CreatedAt)).Scan(&c.ID)
			if err != nil {
				return err
			}
			return auditJSON(ctx, db, tx, c.OrgID, actor, "invite_code.create", fmt.Sprintf("code:%d", c.ID),
				map[string]any{"code": c.Code, "person": c.PersonID, "campaign": c.CampaignID, "group": c.GroupID})
		})
		if err == nil {
			return nil
		}
		if errkind.Of(err) != errkind.Internal {
			return err
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
	if err := inOrg(ctx, db, db.sql, "people", "person", orgID, root); err != nil {
		return nil, err
	}
	edges, err := db.referralEdges(ctx, orgID)
	if err != nil {
		return nil, err
	}
	return descendants(edges, map[int64]bool{root: true}, []int64{root}, 1, maxDepth), nil
}

// descendants walks the referral edges breadth first from the people of
// level (at depth first), to maxDepth (0: unlimited), leaving out the
// people seen (and a cycle in bad data where it closes).
func descendants(edges map[int64]edge, seen map[int64]bool, level []int64, first, maxDepth int) []community.Referral {
	children := map[int64][]edge{}
	for _, e := range edges {
		children[e.inviter] = append(children[e.inviter], e)
	}
	var out []community.Referral
	for depth := first; len(level) > 0 && (maxDepth <= 0 || depth <= maxDepth); depth++ {
		var next []int64
		for _, p := range level {
			kids := children[p]
			sort.Slice(kids, func(i, j int) bool { return kids[i].joined.Before(kids[j].joined) })
			for _, k := range kids {
				if seen[k.person] {
					continue
				}
				seen[k.person] = true
				out = append(out, community.Referral{PersonID: k.person, InviterID: k.inviter, Name: k.name, Depth: depth, JoinedAt: k.joined, Qualified: k.qualified})
				next = append(next, k.person)
			}
		}
		level = next
	}
	return out
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

// campaignColumns are read by scanCampaign.
const campaignColumns = "c.id, c.org_id, COALESCE(c.node_id, 0), c.name, c.created_at, c.archived_at"

func scanCampaign(r interface{ Scan(...any) error }, c *community.Campaign, more ...any) error {
	var created int64
	var archived sql.NullInt64
	if err := r.Scan(append([]any{&c.ID, &c.OrgID, &c.NodeID, &c.Name, &created, &archived}, more...)...); err != nil {
		return err
	}
	c.CreatedAt, c.ArchivedAt = fromMS(created), fromNullMS(archived)
	return nil
}

// Campaigns lists the organisation's campaigns, running ones first and
// newest first, with their codes and the people who joined with them.
func (db *DB) Campaigns(ctx context.Context, orgID int64) ([]community.CampaignSummary, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT `+campaignColumns+`,
			(SELECT COUNT(*) FROM invite_codes i WHERE i.campaign_id = c.id),
			(SELECT COUNT(DISTINCT m.person_id) FROM memberships m JOIN invite_codes i ON i.code = m.code AND i.org_id = c.org_id WHERE i.campaign_id = c.id)
		FROM campaigns c WHERE c.org_id = ? ORDER BY c.archived_at IS NOT NULL, c.id DESC`), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, c *community.CampaignSummary) error {
		return scanCampaign(r, &c.Campaign, &c.Codes, &c.Members)
	})
	if err != nil {
		return nil, fmt.Errorf("list campaigns: %w", err)
	}
	return out, nil
}

// Campaign returns one of the organisation's campaigns.
func (db *DB) Campaign(ctx context.Context, orgID, id int64) (community.Campaign, error) {
	var c community.Campaign
	err := scanCampaign(db.sql.QueryRowContext(ctx, db.q("SELECT "+campaignColumns+" FROM campaigns c WHERE c.org_id = ? AND c.id = ?"), orgID, id), &c)
	if errors.Is(err, sql.ErrNoRows) {
		return c, errkind.Errorf(errkind.NotFound, "campaign %d not found", id)
	}
	if err != nil {
		return c, fmt.Errorf("read campaign: %w", err)
	}
	return c, nil
}

// codeQuery reads invite codes with the names of their member, campaign
// and group and how many joined with each.
const codeQuery = `SELECT i.id, i.org_id, i.code, COALESCE(i.person_id, 0), COALESCE(i.campaign_id, 0), COALESCE(i.group_id, 0), i.created_at, i.archived_at,
		COALESCE(p.name, ''), COALESCE(c.name, ''), COALESCE(g.name, ''),
		(SELECT COUNT(*) FROM memberships m WHERE m.code = i.code)
	FROM invite_codes i LEFT JOIN people p ON p.id = i.person_id LEFT JOIN campaigns c ON c.id = i.campaign_id LEFT JOIN chat_groups g ON g.id = i.group_id
	WHERE i.org_id = ? `

func scanCode(r *sql.Rows, c *community.CodeInfo) error {
	var created int64
	var archived sql.NullInt64
	if err := r.Scan(&c.ID, &c.OrgID, &c.Code, &c.PersonID, &c.CampaignID, &c.GroupID, &created, &archived, &c.Person, &c.Campaign, &c.Group, &c.Joins); err != nil {
		return err
	}
	c.CreatedAt, c.ArchivedAt = fromMS(created), fromNullMS(archived)
	return nil
}

// InviteCodes lists the organisation's codes of a campaign, or (campaignID
// 0) the members' own codes outside any campaign, newest first, at most
// limit.
func (db *DB) InviteCodes(ctx context.Context, orgID, campaignID int64, limit int) ([]community.CodeInfo, error) {
	cond, args := "AND i.campaign_id = ?", []any{orgID, campaignID, limit}
	if campaignID == 0 {
		cond, args = "AND i.campaign_id IS NULL", []any{orgID, limit}
	}
	rows, err := db.sql.QueryContext(ctx, db.q(codeQuery+cond+" ORDER BY i.id DESC LIMIT ?"), args...)
	out, err := scanAll(rows, err, scanCode)
	if err != nil {
		return nil, fmt.Errorf("list invite codes: %w", err)
	}
	return out, nil
}

// InviteCodeInfo returns one of the organisation's codes.
func (db *DB) InviteCodeInfo(ctx context.Context, orgID, id int64) (community.CodeInfo, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(codeQuery+"AND i.id = ?"), orgID, id)
	out, err := scanAll(rows, err, scanCode)
	if err != nil {
		return community.CodeInfo{}, fmt.Errorf("read invite code: %w", err)
	}
	if len(out) == 0 {
		return community.CodeInfo{}, errkind.Errorf(errkind.NotFound, "invite code %d not found", id)
	}
	return out[0], nil
}

// CampaignTree returns the people a campaign brought in and everyone they
// brought in after them, as referrals to arrange with
// community.ReferralForest: the campaign's own joiners (InviterID 0, or the
// member whose code they used) and, below them, whom each invited. Its
// roots are the members whose personal codes of the campaign were used
// and the joiners who came by the campaign's own codes.
func (db *DB) CampaignTree(ctx context.Context, orgID, campaignID int64) ([]community.Referral, error) {
	if _, err := db.Campaign(ctx, orgID, campaignID); err != nil {
		return nil, err
	}
	// A joiner qualifies as a referral does: posted, or stayed 7 days.
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, MIN(m.joined_at), COALESCE(MIN(i.person_id), 0),
			MAX(CASE WHEN EXISTS (SELECT 1 FROM messages x WHERE x.person_id = m.person_id AND x.group_id = m.group_id AND x.sent_at >= m.joined_at)
				OR COALESCE(m.left_at, ?) - m.joined_at >= ? THEN 1 ELSE 0 END)
		FROM memberships m JOIN invite_codes i ON i.code = m.code AND i.org_id = ? JOIN people p ON p.id = m.person_id
		WHERE i.campaign_id = ? GROUP BY m.person_id, p.name ORDER BY MIN(m.joined_at), m.person_id`),
		ms(db.now()), community.QualifyingStay.Milliseconds(), orgID, campaignID)
	type joiner struct {
		person, holder int64
		name           string
		at             int64
		qualified      int
	}
	joiners, err := scanAll(rows, err, func(r *sql.Rows, j *joiner) error { return r.Scan(&j.person, &j.name, &j.at, &j.holder, &j.qualified) })
	if err != nil {
		return nil, fmt.Errorf("campaign joiners: %w", err)
	}
	edges, err := db.referralEdges(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []community.Referral
	seen := map[int64]bool{}
	var level []int64
	// The code holders first, so that their joiners sit below them.
	for _, j := range joiners {
		if j.holder != 0 && !seen[j.holder] {
			seen[j.holder] = true
			var name string
			if err := db.sql.QueryRowContext(ctx, db.q("SELECT name FROM people WHERE id = ?"), j.holder).Scan(&name); err != nil {
				return nil, fmt.Errorf("name code holder %d: %w", j.holder, err)
			}
			out = append(out, community.Referral{PersonID: j.holder, Name: name})
		}
	}
	for _, j := range joiners {
		if seen[j.person] {
			continue
		}
		seen[j.person] = true
		out = append(out, community.Referral{PersonID: j.person, InviterID: j.holder, Name: j.name, Depth: 1, JoinedAt: fromMS(j.at), Qualified: j.qualified == 1})
		level = append(level, j.person)
	}
	return append(out, descendants(edges, seen, level, 2, 0)...), nil
}
