package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The daily digest (docs/metrics.md, "The daily digest"): MakeDigest reads
// a day of an organisation's groups — messages, questions, joins and
// leaves, moderation, pushes — builds each group's digest and the
// organisation's (analytics.Summarise), keeps them in digests, and keeps
// each group's most used terms of the day as the baseline of the days
// after it.

// digestThreads and digestTerms are how many threads and terms a group's
// digest lists.
const (
	digestThreads = 3
	digestTerms   = 8
	digestOpen    = 10 // open questions listed
)

// staffQuery reads the staff through memberships_staff and the bots
// through identities_bots (migration 0033). The query names the index's
// condition, role <> 'member', and asks for the roles and left_at IS NULL
// as equalities; on SQLite it also names the indexes (INDEXED BY): without
// statistics its planner's choice between them and memberships_open was
// seen to differ from one run to the next (TestStaffQueriesUseTheirIndex).
func (db *DB) staffQuery() string {
	return `SELECT m.group_id, m.person_id FROM memberships m` + db.indexedBy("memberships_staff") + ` JOIN chat_groups g ON g.id = m.group_id
		WHERE m.role <> 'member' AND m.role IN (` + staffRoles() + `) AND m.left_at IS NULL AND g.org_id = ?
		UNION SELECT 0, i.person_id FROM identities i` + db.indexedBy("identities_bots") + ` JOIN people p ON p.id = i.person_id WHERE p.org_id = ? AND i.bot = TRUE`
}

// indexedBy is SQLite's clause that makes a query read a table through the
// index named, and nothing on PostgreSQL, which has no such clause and
// plans with its statistics.
func (db *DB) indexedBy(index string) string {
	if db.dialect == SQLite {
		return " INDEXED BY " + index
	}
	return ""
}

// staffRoles lists the roles other than member as SQL literals.
func staffRoles() string {
	var out []string
	for _, r := range community.Roles {
		if r != community.RoleMember {
			out = append(out, "'"+string(r)+"'")
		}
	}
	return strings.Join(out, ", ")
}

// staffOf reads who is staff in the organisation's groups: (group, person)
// of open memberships with a staff role, and (0, person) of its bots.
func staffOf(ctx context.Context, db *DB, q queryer, orgID int64) (map[[2]int64]bool, error) {
	out := map[[2]int64]bool{}
	rows, err := q.QueryContext(ctx, db.q(db.staffQuery()), orgID, orgID)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var k [2]int64
		if err := r.Scan(&k[0], &k[1]); err != nil {
			return err
		}
		out[k] = true
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	return out, nil
}

// MakeDigest builds and keeps the digests of day d (in loc) of the
// organisation's groups not archived, and the organisation's, with terms
// folded by fold (the rules' normaliser); made again, it replaces them
// (the day's terms too). now is when it is made: questions still open
// then are listed.
func (db *DB) MakeDigest(ctx context.Context, orgID int64, d analytics.Day, loc *time.Location, fold func(string) string, now time.Time) (analytics.OrgDigest, error) {
	var org analytics.OrgDigest
	pushes, err := db.PushResponses(ctx, orgID, d.Start(loc), (d + 1).Start(loc).Add(-time.Millisecond))
	if err != nil {
		return org, err
	}
	leaves, err := db.Leaves(ctx, orgID, d.Start(loc), (d + 1).Start(loc), loc)
	if err != nil {
		return org, err
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		groups, err := groupsOf(ctx, db, tx, orgID)
		if err != nil {
			return err
		}
		staff, err := staffOf(ctx, db, tx, orgID)
		if err != nil {
			return err
		}
		from, to := d.Start(loc), (d + 1).Start(loc)
		date := from.Format("2006-01-02")
		digests := map[int64]*analytics.GroupDigest{}
		var order []int64
		for _, g := range groups {
			if g.Lifecycle == community.Archived {
				continue
			}
			digests[g.ID] = &analytics.GroupDigest{GroupID: g.ID, Group: g.Name, Date: date, Threads: []analytics.Thread{}, Terms: []analytics.Term{},
				Open: []analytics.DigestQuestion{}, Joined: []string{}, Left: []string{}, Removed: []string{}, Moderation: []analytics.Count{}, Pushes: []analytics.DigestPush{}}
			order = append(order, g.ID)
		}
		if err := db.digestMessages(ctx, tx, orgID, d, from, to, staff, digests, fold); err != nil {
			return err
		}
		if err := digestQuestions(ctx, db, tx, orgID, from, to, now, digests); err != nil {
			return err
		}
		if err := digestMembers(ctx, db, tx, orgID, from, to, digests); err != nil {
			return err
		}
		if err := digestModeration(ctx, db, tx, orgID, from, to, digests); err != nil {
			return err
		}
		// The formerly active members who left or were removed that day
		// (analytics.Leave.FormerlyActive, from the rollups' member days),
		// oldest first.
		for i := len(leaves) - 1; i >= 0; i-- {
			if l := leaves[i]; l.FormerlyActive(loc) && digests[l.GroupID] != nil {
				digests[l.GroupID].ActiveLeft = append(digests[l.GroupID].ActiveLeft, l.Name)
			}
		}
		for _, p := range pushes {
			if gd := digests[p.GroupID]; gd != nil {
				dp := analytics.DigestPush{PushID: p.PushID, Title: p.Title, SentAt: p.SentAt, Posts60: p.Posts60, Members: p.Members60,
					Replies: p.Replies, Uplift: p.Uplift, Followed: p.FollowedUp, Duty: p.DutyName}
				if dp.Links, dp.Clicks, dp.Visitors, err = linkFigures(ctx, db, tx, p.PushID); err != nil {
					return err
				}
				gd.Pushes = append(gd.Pushes, dp)
			}
		}
		list := make([]analytics.GroupDigest, 0, len(order))
		for _, id := range order {
			list = append(list, *digests[id])
		}
		org = analytics.Summarise(date, list, analytics.ActiveLeavers(list))
		if org.Lines == nil {
			org.Lines = []analytics.DigestLine{}
		}
		for _, g := range list {
			if err := putDigest(ctx, db, tx, orgID, g.GroupID, d, g, now); err != nil {
				return err
			}
		}
		return putDigest(ctx, db, tx, orgID, 0, d, org, now)
	})
	return org, err
}

// groupsOf lists the organisation's groups (id, name, lifecycle).
func groupsOf(ctx context.Context, db *DB, q queryer, orgID int64) ([]community.Group, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT id, name, lifecycle FROM chat_groups WHERE org_id = ? ORDER BY id`), orgID)
	out, err := scanAll(rows, err, func(r *sql.Rows, g *community.Group) error { return r.Scan(&g.ID, &g.Name, &g.Lifecycle) })
	if err != nil {
		return nil, fmt.Errorf("digest: groups: %w", err)
	}
	return out, nil
}

func putDigest(ctx context.Context, db *DB, tx *sql.Tx, orgID, groupID int64, d analytics.Day, v any, now time.Time) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO digests (org_id, group_id, day, body, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (org_id, group_id, day) DO UPDATE SET body = excluded.body, created_at = excluded.created_at`), orgID, groupID, int64(d), string(body), ms(now)); err != nil {
		return fmt.Errorf("digest: keep: %w", err)
	}
	return nil
}

// digestMessages counts the day's messages per group, finds its threads,
// ranks its terms against its baseline and keeps the day's terms.
func (db *DB) digestMessages(ctx context.Context, tx *sql.Tx, orgID int64, d analytics.Day, from, to time.Time, staff map[[2]int64]bool, digests map[int64]*analytics.GroupDigest, fold func(string) string) error {
	threads := map[int64][]analytics.ThreadMsg{}
	terms := map[int64][]analytics.TermMsg{}
	people := map[int64]map[int64]bool{}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT m.group_id, m.person_id, p.name, m.external_id, m.reply_to, m.text, m.sent_at
		FROM messages m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.org_id = ? AND m.sent_at >= ? AND m.sent_at < ? ORDER BY m.sent_at, m.id`), orgID, ms(from), ms(to))
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var g int64
		var m analytics.ThreadMsg
		var at int64
		if err := r.Scan(&g, &m.Person, &m.Name, &m.ID, &m.ReplyTo, &m.Text, &at); err != nil {
			return err
		}
		gd := digests[g]
		if gd == nil {
			return nil // archived
		}
		m.At = fromMS(at)
		gd.Messages++
		threads[g] = append(threads[g], m)
		if staff[[2]int64{g, m.Person}] || staff[[2]int64{0, m.Person}] {
			return nil
		}
		gd.MemberMessages++
		if people[g] == nil {
			people[g] = map[int64]bool{}
		}
		people[g][m.Person] = true
		terms[g] = append(terms[g], analytics.TermMsg{Person: m.Person, Text: m.Text})
		return nil
	})
	if err != nil {
		return fmt.Errorf("digest: messages: %w", err)
	}
	for g, gd := range digests {
		gd.Communicators = len(people[g])
		if ts := analytics.Threads(threads[g], digestThreads); ts != nil {
			gd.Threads = ts
		}
		counts := analytics.CountTerms(terms[g], fold)
		base, days, err := termBaseline(ctx, db, tx, g, d)
		if err != nil {
			return err
		}
		if ts := analytics.RankTerms(counts, base, days, digestTerms); ts != nil {
			gd.Terms = ts
		}
		if err := keepTerms(ctx, db, tx, g, d, analytics.TopTerms(counts, analytics.KeptTerms, analytics.TermMinMessages)); err != nil {
			return err
		}
	}
	return nil
}

// termBaseline reads how many of the group's BaselineDays days before d
// each term was among the most used on, and how many days were counted.
func termBaseline(ctx context.Context, db *DB, q queryer, group int64, d analytics.Day) (map[string]int, int, error) {
	lo, hi := int64(d-analytics.BaselineDays), int64(d-1)
	var days int
	if err := q.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM digest_term_days WHERE group_id = ? AND day >= ? AND day <= ?`), group, lo, hi).Scan(&days); err != nil {
		return nil, 0, fmt.Errorf("digest: baseline days: %w", err)
	}
	base := map[string]int{}
	rows, err := q.QueryContext(ctx, db.q(`SELECT term, COUNT(*) FROM digest_terms WHERE group_id = ? AND day >= ? AND day <= ? GROUP BY term`), group, lo, hi)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var t string
		var n int
		if err := r.Scan(&t, &n); err != nil {
			return err
		}
		base[t] = n
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("digest: baseline: %w", err)
	}
	return base, days, nil
}

// keepTerms replaces the group's kept terms of day d.
func keepTerms(ctx context.Context, db *DB, tx *sql.Tx, group int64, d analytics.Day, top map[string]int) error {
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM digest_terms WHERE group_id = ? AND day = ?`), group, int64(d)); err != nil {
		return fmt.Errorf("digest: terms: %w", err)
	}
	for t, n := range top {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO digest_terms (group_id, day, term, messages) VALUES (?, ?, ?, ?)`), group, int64(d), t, n); err != nil {
			return fmt.Errorf("digest: terms: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO digest_term_days (group_id, day) VALUES (?, ?) ON CONFLICT (group_id, day) DO NOTHING`), group, int64(d)); err != nil {
		return fmt.Errorf("digest: term days: %w", err)
	}
	return nil
}

// digestQuestions sums up the questions asked on the day and lists those
// still not answered at now.
func digestQuestions(ctx context.Context, db *DB, q queryer, orgID int64, from, to, now time.Time, digests map[int64]*analytics.GroupDigest) error {
	qs, err := questionsWhere(ctx, db, q, `q.org_id = ? AND q.asked_at >= ? AND q.asked_at < ? ORDER BY q.asked_at, q.id`, orgID, ms(from), ms(to))
	if err != nil {
		return err
	}
	byGroup := map[int64][]analytics.Question{}
	for _, q := range qs {
		byGroup[q.GroupID] = append(byGroup[q.GroupID], q)
	}
	for g, list := range byGroup {
		gd := digests[g]
		if gd == nil {
			continue
		}
		f := analytics.Respond(list, now)
		gd.Questions, gd.InTime, gd.Late, gd.MedianSeconds = f.Questions, f.InTime, f.Late, int(f.Median/time.Second)
		for _, q := range list {
			if q.AnsweredAt == nil && len(gd.Open) < digestOpen {
				gd.Open = append(gd.Open, analytics.DigestQuestion{Asker: q.Asker, Text: analytics.Excerpt(q.Text, 40), AskedAt: q.AskedAt, Duty: q.DutyName})
			}
		}
	}
	return nil
}

// digestMembers lists the day's joins and leaves of members (not staff),
// a removal apart from a leave.
func digestMembers(ctx context.Context, db *DB, q queryer, orgID int64, from, to time.Time, digests map[int64]*analytics.GroupDigest) error {
	rows, err := q.QueryContext(ctx, db.q(`SELECT m.group_id, p.name, m.joined_at, COALESCE(m.left_at, 0), m.left_reason FROM memberships m
		JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		WHERE g.org_id = ? AND m.role = ? AND ((m.joined_at >= ? AND m.joined_at < ?) OR (m.left_at >= ? AND m.left_at < ?)) ORDER BY m.id`),
		orgID, string(community.RoleMember), ms(from), ms(to), ms(from), ms(to))
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var g, joined, left int64
		var name, reason string
		if err := r.Scan(&g, &name, &joined, &left, &reason); err != nil {
			return err
		}
		gd := digests[g]
		if gd == nil {
			return nil
		}
		if joined >= ms(from) && joined < ms(to) {
			gd.Joined = append(gd.Joined, name)
		}
		if left >= ms(from) && left < ms(to) {
			switch reason {
			case "merged":
			case string(chat.LeftRemoved):
				gd.Removed = append(gd.Removed, name)
			default:
				gd.Left = append(gd.Left, name)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("digest: members: %w", err)
	}
	return nil
}

// moderationKinds are the moderation actions the digest counts, by the
// kind it names them with (analytics.ModerationKinds): a warning sent is a
// warning.
var moderationKinds = map[string]string{
	"delete": "delete", "warn": "warn", "send": "warn", "mute": "mute", "kick": "kick",
	"ban": "ban", "unmute": "unmute", "unban": "unban",
}

// digestModeration counts the day's moderation actions per group and kind.
func digestModeration(ctx context.Context, db *DB, q queryer, orgID int64, from, to time.Time, digests map[int64]*analytics.GroupDigest) error {
	rows, err := q.QueryContext(ctx, db.q(`SELECT group_id, action, COUNT(*) FROM moderation_actions WHERE org_id = ? AND group_id IS NOT NULL AND created_at >= ? AND created_at < ?
		GROUP BY group_id, action ORDER BY group_id, COUNT(*) DESC, action`), orgID, ms(from), ms(to))
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var g int64
		var action string
		var n int
		if err := r.Scan(&g, &action, &n); err != nil {
			return err
		}
		gd := digests[g]
		name, ok := moderationKinds[action]
		if gd == nil || !ok {
			return nil
		}
		gd.Moderation = append(gd.Moderation, analytics.Count{Name: name, N: n})
		return nil
	})
	if err != nil {
		return fmt.Errorf("digest: moderation: %w", err)
	}
	return nil
}

// Digest returns the kept digest of a group (0: the organisation's) on day
// d, into v (an analytics.GroupDigest or OrgDigest).
func (db *DB) Digest(ctx context.Context, orgID, groupID int64, d analytics.Day, v any) error {
	var body string
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT body FROM digests WHERE org_id = ? AND group_id = ? AND day = ?`), orgID, groupID, int64(d)).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return errkind.Errorf(errkind.NotFound, "no digest of %s", d.Start(time.UTC).Format("2006-01-02"))
	}
	if err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	if err := json.Unmarshal([]byte(body), v); err != nil {
		return fmt.Errorf("digest: %w", err)
	}
	return nil
}

// DigestDays lists the days the organisation has a digest of, newest
// first, at most limit.
func (db *DB) DigestDays(ctx context.Context, orgID int64, limit int) ([]analytics.Day, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT day FROM digests WHERE org_id = ? AND group_id = 0 ORDER BY day DESC LIMIT ?`), orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, d *analytics.Day) error { return r.Scan((*int)(d)) })
	if err != nil {
		return nil, fmt.Errorf("digest days: %w", err)
	}
	return out, nil
}

// DigestSettings reads when the organisation's digest is made and whether
// it is posted (the defaults when never set).
func (db *DB) DigestSettings(ctx context.Context, orgID int64) (analytics.DigestSettings, error) {
	s := analytics.DigestSettings{Minute: analytics.DefaultDigestMinute}
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT digest_minute, digest_send, digest_groups FROM insight_settings WHERE org_id = ?`), orgID).Scan(&s.Minute, &s.Send, &s.Groups)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("digest settings: %w", err)
	}
	return s, nil
}

// SetDigestSettings sets when the organisation's digest is made and
// whether it is posted.
func (db *DB) SetDigestSettings(ctx context.Context, orgID int64, s analytics.DigestSettings, actor string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO insight_settings (org_id, digest_minute, digest_send, digest_groups, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET digest_minute = excluded.digest_minute, digest_send = excluded.digest_send, digest_groups = excluded.digest_groups,
			updated_at = excluded.updated_at, updated_by = excluded.updated_by`), orgID, s.Minute, s.Send, s.Groups, ms(now), actor); err != nil {
			return fmt.Errorf("set digest settings: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "digest.settings", Subject: fmt.Sprintf("org:%d", orgID),
			Detail: community.Detail("time", fmt.Sprintf("%02d:%02d", s.Minute/60, s.Minute%60), "send", fmt.Sprint(s.Send), "groups", fmt.Sprint(s.Groups))})
	})
}

// digestLines is how many groups the organisation's posted digest lists.
const digestLines = 15

// DueDigest makes yesterday's digest once its time of day has come (the
// digest settings), once a day: posted in the staff group when the
// settings say so. It reports whether it made one.
func (db *DB) DueDigest(ctx context.Context, orgID int64, now time.Time, loc *time.Location, fold func(string) string) (bool, error) {
	set, err := db.DigestSettings(ctx, orgID)
	if err != nil {
		return false, err
	}
	local := now.In(loc)
	yesterday := analytics.DayOf(now, loc) - 1
	var last int64
	err = db.sql.QueryRowContext(ctx, db.q(`SELECT last_digest_day FROM insight_settings WHERE org_id = ?`), orgID).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("due digest: %w", err)
	}
	if local.Hour()*60+local.Minute() < set.Minute || last >= int64(yesterday) {
		return false, nil
	}
	org, err := db.MakeDigest(ctx, orgID, yesterday, loc, fold, now)
	if err != nil {
		return false, err
	}
	made := false
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO insight_settings (org_id, digest_minute, updated_at) VALUES (?, ?, ?) ON CONFLICT (org_id) DO NOTHING`), orgID, set.Minute, ms(now)); err != nil {
			return fmt.Errorf("due digest: %w", err)
		}
		res, err := tx.ExecContext(ctx, db.q(`UPDATE insight_settings SET last_digest_day = ? WHERE org_id = ? AND last_digest_day < ?`), int64(yesterday), orgID, int64(yesterday))
		if err != nil {
			return fmt.Errorf("due digest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // another replica made it
		}
		made = true
		if !set.Send {
			return nil
		}
		var conn, ext string
		err = tx.QueryRowContext(ctx, db.q(`SELECT g.connection, g.external_id FROM content_settings cs JOIN chat_groups g ON g.id = cs.staff_group_id
			WHERE cs.org_id = ? AND g.lifecycle = ?`), orgID, string(community.Active)).Scan(&conn, &ext)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // no staff group: the console keeps it
		}
		if err != nil {
			return fmt.Errorf("due digest: staff group: %w", err)
		}
		acts := []chat.Action{{Key: fmt.Sprintf("digest:%d:0:%d", orgID, yesterday), Connection: conn, Kind: chat.ActSend, Group: ext, Reason: "digest", Text: analytics.RenderOrg(org, digestLines, "")}}
		if set.Groups {
			for _, l := range org.Lines {
				var g analytics.GroupDigest
				var body string
				if err := tx.QueryRowContext(ctx, db.q(`SELECT body FROM digests WHERE org_id = ? AND group_id = ? AND day = ?`), orgID, l.GroupID, int64(yesterday)).Scan(&body); err != nil {
					return fmt.Errorf("due digest: %w", err)
				}
				if err := json.Unmarshal([]byte(body), &g); err != nil {
					return fmt.Errorf("due digest: %w", err)
				}
				acts = append(acts, chat.Action{Key: fmt.Sprintf("digest:%d:%d:%d", orgID, l.GroupID, yesterday), Connection: conn, Kind: chat.ActSend, Group: ext, Reason: "digest", Text: analytics.RenderGroup(g, loc)})
			}
		}
		if _, err := tx.ExecContext(ctx, db.q(`UPDATE digests SET sent_at = ? WHERE org_id = ? AND day = ?`), ms(now), orgID, int64(yesterday)); err != nil {
			return fmt.Errorf("due digest: %w", err)
		}
		return enqueue(ctx, db, tx, acts, now)
	})
	return made, err
}

// GroupDigests returns the kept digests of the organisation's groups on
// day d, by group id.
func (db *DB) GroupDigests(ctx context.Context, orgID int64, d analytics.Day) ([]analytics.GroupDigest, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT body FROM digests WHERE org_id = ? AND group_id <> 0 AND day = ? ORDER BY group_id`), orgID, int64(d))
	out, err := scanAll(rows, err, func(r *sql.Rows, g *analytics.GroupDigest) error {
		var body string
		if err := r.Scan(&body); err != nil {
			return err
		}
		return json.Unmarshal([]byte(body), g)
	})
	if err != nil {
		return nil, fmt.Errorf("digests: %w", err)
	}
	return out, nil
}
