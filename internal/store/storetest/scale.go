package storetest

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
)

// The scale benchmarks' sizes (docs/benchmarks.md, issue 6), settable on
// the command line of any test binary that imports this package.
var (
	flagGroups   = flag.Int("scale.groups", 10_000, "scale benchmarks: groups")
	flagMembers  = flag.Int("scale.members", 1_000_000, "scale benchmarks: memberships (one person each)")
	flagMessages = flag.Int("scale.messages", 10_000_000, "scale benchmarks: messages")
	flagDays     = flag.Int("scale.days", 90, "scale benchmarks: days of history")
	flagCache    = flag.String("scale.cache", "", "scale benchmarks: a directory keeping the generated SQLite databases between runs (and, when set, PostgreSQL databases named for the scale are kept on the server)")
)

// Scale describes a generated organisation: its size and its clock.
type Scale struct {
	Groups, Members, Messages, Days int
	Now                             time.Time // the end of the history
	Loc                             *time.Location
	Seed                            uint64
}

// ScaleFromFlags returns the sizes set by the -scale.* flags (the issue's
// sizes by default), ending at a fixed instant in Asia/Shanghai time.
func ScaleFromFlags() Scale {
	return Scale{Groups: *flagGroups, Members: *flagMembers, Messages: *flagMessages, Days: *flagDays,
		Now: time.Date(2026, 6, 30, 15, 0, 0, 0, ScaleLoc), Loc: ScaleLoc, Seed: 6}
}

// ScaleLoc is the generated organisation's time zone.
var ScaleLoc = time.FixedZone("CST", 8*3600)

// Generated is what Generate built.
type Generated struct {
	OrgID    int64
	BigGroup int64 // a group of exactly 500 members (when Members allows)
	Dead     int   // groups silent for 30 days or more (or never spoken in)
	Members  int
	Messages int
}

// ScaleDB returns a migrated database of the dialect holding the
// generated organisation. With -scale.cache set, SQLite databases are kept
// there and reused by later runs of the same scale.
func ScaleDB(tb testing.TB, d store.Dialect, s Scale, now func() time.Time) (*store.DB, Generated) {
	tb.Helper()
	ctx := context.Background()
	if d == store.SQLite && *flagCache != "" {
		name := fmt.Sprintf("scale-%d-%d-%d-%d-%d.db", s.Groups, s.Members, s.Messages, s.Days, s.Seed)
		path := filepath.Join(*flagCache, name)
		info := path + ".json"
		if _, err := os.Stat(info); err == nil {
			var g Generated
			b, _ := os.ReadFile(info)
			if _, err := fmt.Sscanf(string(b), "%d %d %d %d %d", &g.OrgID, &g.BigGroup, &g.Dead, &g.Members, &g.Messages); err == nil {
				return openMigrated(tb, "sqlite", path, now), g
			}
		}
		os.Remove(path)
		if err := os.MkdirAll(*flagCache, 0o755); err != nil {
			tb.Fatal(err)
		}
		db := openMigrated(tb, "sqlite", path, now)
		g, err := Generate(ctx, db, s)
		if err != nil {
			tb.Fatal(err)
		}
		os.WriteFile(info, fmt.Appendf(nil, "%d %d %d %d %d", g.OrgID, g.BigGroup, g.Dead, g.Members, g.Messages), 0o644)
		return db, g
	}
	if d == store.Postgres && *flagCache != "" {
		return keptPostgres(tb, s, now)
	}
	db := Open(tb, d, now)
	g, err := Generate(ctx, db, s)
	if err != nil {
		tb.Fatal(err)
	}
	return db, g
}

// keptPostgres is ScaleDB's PostgreSQL database with -scale.cache set: a
// database named for the scale on the server of EnvPostgres, kept between
// runs. The generated figures are written into a table of its own once
// the generation has finished, so a database whose generation was cut
// short has none and is made again.
func keptPostgres(tb testing.TB, s Scale, now func() time.Time) (*store.DB, Generated) {
	tb.Helper()
	ctx := context.Background()
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		tb.Skipf("PostgreSQL: set %s to an admin URL to run", EnvPostgres)
	}
	name := fmt.Sprintf("qz_scale_%d_%d_%d_%d_%d", s.Groups, s.Members, s.Messages, s.Days, s.Seed)
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	adm, err := sql.Open("pgx", admin)
	if err != nil {
		tb.Fatalf("open postgres admin: %v", err)
	}
	defer adm.Close()
	var exists bool
	if err := adm.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		tb.Fatal(err)
	}
	if exists {
		db := openMigrated(tb, "postgres", u.String(), now)
		var g Generated
		err := db.SQL().QueryRowContext(ctx, "SELECT org_id, big_group, dead, members, messages FROM scale_generated").Scan(&g.OrgID, &g.BigGroup, &g.Dead, &g.Members, &g.Messages)
		if err == nil {
			return db, g
		}
		db.Close()
		if _, err := adm.ExecContext(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := adm.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create scale database: %v", err)
	}
	db := openMigrated(tb, "postgres", u.String(), now)
	g, err := Generate(ctx, db, s)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, "CREATE TABLE scale_generated (org_id BIGINT, big_group BIGINT, dead BIGINT, members BIGINT, messages BIGINT)"); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, "INSERT INTO scale_generated VALUES ($1, $2, $3, $4, $5)", g.OrgID, g.BigGroup, g.Dead, g.Members, g.Messages); err != nil {
		tb.Fatal(err)
	}
	return db, g
}

// Kept is a testing.TB whose cleanups never run and whose temp dirs
// stay: what it opens lives as long as the process, for benchmarks that
// share one generated database.
type Kept struct{ testing.TB }

func (Kept) Cleanup(func()) {}

func (k Kept) TempDir() string {
	dir, err := os.MkdirTemp("", "qunzhu-scale-")
	if err != nil {
		k.Fatal(err)
	}
	return dir
}

// openMigrated opens and migrates a database, closed when tb ends.
func openMigrated(tb testing.TB, driver, dsn string, now func() time.Time) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), driver, dsn, store.Options{Now: now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	return db
}

// genGroup is a generated group's plan.
type genGroup struct {
	id      int64
	created time.Time
	members []genMember // by joining time; the first is the owner
	act     float64     // relative activity
	stop    int         // the last day (0-based) anyone posts; -1 for never
	decay   bool        // posting halves over the last weeks (dying)
	lastMsg string      // the last message's platform id, for replies
}

type genMember struct {
	person int64
	joined time.Time
}

// Generate writes an organisation of the given scale straight into the
// database with multi-row INSERTs (no ingest pipeline): groups of varied
// sizes, one person per membership, and messages over s.Days days skewed
// three ways — a few groups and, in each group, a few members post most;
// some groups fall silent (dead or dormant) or fade (dying); owners post
// answers, members ask questions and reply. The same scale and seed give
// the same data on both dialects.
func Generate(ctx context.Context, db *store.DB, s Scale) (Generated, error) {
	rng := rand.New(rand.NewPCG(s.Seed, 0x9e3779b97f4a7c15))
	org := community.Org{Name: "规模测试", Slug: fmt.Sprintf("scale-%d", s.Seed)}
	if err := db.CreateOrg(ctx, &org); err != nil {
		return Generated{}, err
	}
	out := Generated{OrgID: org.ID}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		return out, err
	}
	defer conn.Close()
	pg := db.Dialect() == store.Postgres
	if !pg {
		// Bulk loading: the generator's ids are consistent by construction.
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
			return out, err
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON")
	}
	base := func(table string) (int64, error) {
		var n sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT MAX(id) FROM "+table).Scan(&n)
		return n.Int64, err
	}
	first := s.Now.AddDate(0, 0, -s.Days)
	first = time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, s.Loc).AddDate(0, 0, 1) // day 0 of the history
	day := func(i int) time.Time { return first.AddDate(0, 0, i) }

	// Nodes: 100 stores under 10 regions.
	nodeBase, err := base("nodes")
	if err != nil {
		return out, err
	}
	w := &bulk{ctx: ctx, conn: conn, pg: pg}
	w.start("INSERT INTO nodes (id, org_id, parent_id, name, kind, created_at) VALUES ", 6)
	for i := int64(1); i <= 110; i++ {
		var parent any
		name, kind := fmt.Sprintf("区域%d", i), string(community.NodeRegion)
		if i > 10 {
			parent, name, kind = nodeBase+1+(i-11)%10, fmt.Sprintf("门店%d", i-10), string(community.NodeStore)
		}
		w.row(nodeBase+i, org.ID, parent, name, kind, first.AddDate(0, 0, -60).UnixMilli())
	}
	if err := w.flush(); err != nil {
		return out, fmt.Errorf("nodes: %w", err)
	}

	// Groups and their sizes: one of 500, the rest around the average.
	groupBase, err := base("chat_groups")
	if err != nil {
		return out, err
	}
	sizes := make([]int, s.Groups)
	rest := s.Members
	if s.Members >= 500+2*(s.Groups-1) {
		sizes[0], rest = 500, s.Members-500
	}
	others := sizes[1:]
	if sizes[0] == 0 {
		others = sizes
	}
	weights := make([]float64, len(others))
	sum := 0.0
	for i := range weights {
		weights[i] = 0.3 + 1.4*rng.Float64()
		sum += weights[i]
	}
	left := rest
	for i := range others {
		others[i] = max(2, int(float64(rest)*weights[i]/sum))
		left -= others[i]
	}
	for i := 0; left != 0; i = (i + 1) % len(others) {
		switch {
		case left > 0:
			others[i]++
			left--
		case others[i] > 2:
			others[i]--
			left++
		}
	}
	groups := make([]*genGroup, s.Groups)
	kinds := community.GroupKinds
	w.start("INSERT INTO chat_groups (id, org_id, node_id, connection, platform, external_id, name, kind, lifecycle, capacity, created_at) VALUES ", 11)
	for i := range groups {
		g := &genGroup{id: groupBase + 1 + int64(i), act: 0.05 + 4*math.Pow(rng.Float64(), 3), stop: s.Days - 1}
		g.created = first.AddDate(0, 0, -30-rng.IntN(60))
		if i > 0 && rng.IntN(10) == 0 {
			g.created = first.Add(time.Duration(rng.Int64N(int64(s.Days) * int64(24*time.Hour))))
		}
		switch r := rng.IntN(100); {
		case i == 0:
		case r < 10: // dead: silent for 30 days and more, or never spoken in
			g.stop = rng.IntN(max(1, s.Days-35)) - 1
			out.Dead++
		case r < 18: // dormant
			g.stop = s.Days - 15 - rng.IntN(14)
		case r < 28:
			g.decay = true
		}
		lifecycle := community.Active
		if i > 0 && rng.IntN(50) == 0 {
			lifecycle = community.Archived
		}
		var node any
		if i%7 != 0 {
			node = nodeBase + 11 + int64(i%100)
		}
		w.row(g.id, org.ID, node, "wx", "wecom", fmt.Sprintf("g%d", i), fmt.Sprintf("规模群%05d", i), string(kinds[i%len(kinds)]), string(lifecycle), 500, g.created.UnixMilli())
		groups[i] = g
		if sizes[i] == 500 && out.BigGroup == 0 {
			out.BigGroup = g.id
		}
	}
	if err := w.flush(); err != nil {
		return out, fmt.Errorf("groups: %w", err)
	}

	// People and memberships: one person per membership; 70% joined before
	// the history, 30% during it; 5% have left.
	personBase, err := base("people")
	if err != nil {
		return out, err
	}
	membershipBase, err := base("memberships")
	if err != nil {
		return out, err
	}
	pid := personBase
	for i, g := range groups {
		g.members = make([]genMember, sizes[i])
		for k := range g.members {
			pid++
			joined := g.created.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
			if k > 0 && rng.IntN(10) < 3 {
				joined = first.Add(time.Duration(rng.Int64N(int64(s.Days) * int64(24*time.Hour))))
			}
			if k == 0 || joined.Before(g.created) {
				joined = g.created
			}
			g.members[k] = genMember{person: pid, joined: joined}
		}
		sort.SliceStable(g.members, func(a, b int) bool { return g.members[a].joined.Before(g.members[b].joined) })
	}
	w.start("INSERT INTO people (id, org_id, name, created_at) VALUES ", 4)
	for _, g := range groups {
		for _, m := range g.members {
			if err := w.row(m.person, org.ID, fmt.Sprintf("成员%d", m.person), m.joined.UnixMilli()); err != nil {
				return out, fmt.Errorf("people: %w", err)
			}
		}
	}
	if err := w.flush(); err != nil {
		return out, fmt.Errorf("people: %w", err)
	}
	w.start("INSERT INTO memberships (id, group_id, person_id, role, joined_at, left_at) VALUES ", 6)
	for _, g := range groups {
		for k, m := range g.members {
			role := community.RoleMember
			if k == 0 {
				role = community.RoleOwner
			}
			var leftAt any
			if k > 0 && rng.IntN(20) == 0 {
				if l := m.joined.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour)))); l.Before(s.Now) {
					leftAt = l.UnixMilli()
				}
			}
			out.Members++
			if err := w.row(membershipBase+int64(out.Members), g.id, m.person, string(role), m.joined.UnixMilli(), leftAt); err != nil {
				return out, fmt.Errorf("memberships: %w", err)
			}
		}
	}
	if err := w.flush(); err != nil {
		return out, fmt.Errorf("memberships: %w", err)
	}

	// Messages, day by day (ids grow with time, as ingested): each group
	// gets its share of the day by size and activity; within a group the
	// earliest members post most (a sender's rank is size·u³).
	msgBase, err := base("messages")
	if err != nil {
		return out, err
	}
	// lambda is a group's expected messages on day d (of span hours);
	// scaled so that the history holds s.Messages in all.
	spanOf := func(d int) time.Duration {
		end := day(d + 1)
		if s.Now.Before(end) {
			end = s.Now // today, so far
		}
		return end.Sub(day(d))
	}
	lambda := func(g *genGroup, d int, span time.Duration) float64 {
		if d > g.stop || !g.created.Before(day(d).Add(span)) || span <= 0 {
			return 0
		}
		l := float64(len(g.members)) * g.act * span.Hours() / 24
		if g.decay && d > s.Days-28 {
			l *= 0.3
		}
		return l
	}
	total := 0.0
	for d := 0; d < s.Days; d++ {
		for _, g := range groups {
			total += lambda(g, d, spanOf(d))
		}
	}
	scale := float64(s.Messages) / total
	w.start("INSERT INTO messages (id, group_id, person_id, external_id, kind, text, reply_to, sent_at) VALUES ", 8)
	texts := []string{"收到", "好的", "谢谢老师", "打卡", "今天学到三点：\n一、选品\n二、定价", "请问明天几点上课？", "直播间怎么挂链接", "大家好", "赞", "已完成作业"}
	mid := msgBase
	for d := 0; d < s.Days; d++ {
		from, span := day(d), spanOf(d)
		for _, g := range groups {
			l := lambda(g, d, span)
			if l == 0 {
				continue
			}
			n := int(l*scale + rng.Float64())
			joined := 0
			for joined < len(g.members) && g.members[joined].joined.Before(from.Add(span)) {
				joined++
			}
			for ; n > 0 && joined > 0; n-- {
				at := from.Add(time.Duration(rng.Int64N(int64(span))))
				sender := g.members[int(float64(joined)*math.Pow(rng.Float64(), 3))].person
				if rng.IntN(100) < 8 {
					sender = g.members[0].person // the owner answers
				}
				text := texts[rng.IntN(len(texts))]
				reply := ""
				if g.lastMsg != "" && rng.IntN(100) < 6 {
					reply = g.lastMsg
				}
				mid++
				g.lastMsg = fmt.Sprintf("m%d", mid)
				if err := w.row(mid, g.id, sender, g.lastMsg, "text", text, reply, at.UnixMilli()); err != nil {
					return out, fmt.Errorf("messages: %w", err)
				}
				out.Messages++
			}
		}
	}
	if err := w.flush(); err != nil {
		return out, fmt.Errorf("messages: %w", err)
	}
	if pg {
		for _, t := range []string{"nodes", "chat_groups", "people", "memberships", "messages"} {
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT MAX(id) FROM %s))", t, t)); err != nil {
				return out, err
			}
			if _, err := conn.ExecContext(ctx, "ANALYZE "+t); err != nil {
				return out, err
			}
		}
	} else if _, err := conn.ExecContext(ctx, "ANALYZE"); err != nil {
		return out, err
	}
	return out, nil
}

// bulk writes rows with multi-row INSERTs, committing every 100,000 rows.
type bulk struct {
	ctx   context.Context
	conn  *sql.Conn
	pg    bool
	head  string
	cols  int
	args  []any
	tx    *sql.Tx
	rows  int
	texts map[int]string
}

const bulkRows = 500

func (b *bulk) start(head string, cols int) {
	b.head, b.cols, b.args, b.texts = head, cols, b.args[:0], map[int]string{}
}

func (b *bulk) row(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) >= bulkRows*b.cols {
		return b.exec()
	}
	return nil
}

func (b *bulk) exec() error {
	n := len(b.args) / b.cols
	if n == 0 {
		return nil
	}
	if b.tx == nil {
		tx, err := b.conn.BeginTx(b.ctx, nil)
		if err != nil {
			return err
		}
		b.tx = tx
	}
	q, ok := b.texts[n]
	if !ok {
		var sb strings.Builder
		sb.WriteString(b.head)
		p := 0
		for i := 0; i < n; i++ {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteByte('(')
			for c := 0; c < b.cols; c++ {
				if c > 0 {
					sb.WriteByte(',')
				}
				p++
				if b.pg {
					fmt.Fprintf(&sb, "$%d", p)
				} else {
					sb.WriteByte('?')
				}
			}
			sb.WriteByte(')')
		}
		q = sb.String()
		b.texts[n] = q
	}
	if _, err := b.tx.ExecContext(b.ctx, q, b.args...); err != nil {
		b.tx.Rollback()
		b.tx = nil
		return err
	}
	b.args = b.args[:0]
	b.rows += n
	if b.rows >= 100_000 {
		b.rows = 0
		return b.commit()
	}
	return nil
}

func (b *bulk) flush() error {
	if err := b.exec(); err != nil {
		return err
	}
	if b.tx == nil {
		return nil
	}
	return b.commit()
}

// commit commits the rows written and, on SQLite, copies the log into
// the database file and empties it. The generator writes on a connection
// of its own, past the store's checkpointer (which starts with the
// store's own writes), and the store's connections never checkpoint by
// themselves: without this the log of 10M messages grew to 18 GB, and
// every page read looked for its page among millions of logged ones.
func (b *bulk) commit() error {
	err := b.tx.Commit()
	b.tx = nil
	if err != nil || b.pg {
		return err
	}
	var busy, logged, copied int
	if err := b.conn.QueryRowContext(b.ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logged, &copied); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}
