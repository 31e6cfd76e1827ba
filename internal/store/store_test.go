package store_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)} }
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var ctx = context.Background()

func seedOrg(t *testing.T, db *store.DB) (community.Org, community.Group) {
	t.Helper()
	org := community.Org{Name: "大别山网商学院", Slug: "dabieshan"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	root := community.Node{OrgID: org.ID, Name: "湖北农夫电商", Kind: community.NodeCompany}
	if err := db.CreateNode(ctx, &root); err != nil {
		t.Fatal(err)
	}
	g := community.Group{OrgID: org.ID, NodeID: root.ID, Connection: "wx", Platform: "webhook", ExternalID: "g1", Name: "NF-阳新第6期微营销培训群", Kind: community.KindCohort}
	if err := db.CreateGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	return org, g
}

func TestMigrations(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			db := storetest.OpenUnmigrated(t, d, nil)
			err := db.CheckSchema(ctx)
			if !errkind.Is(err, errkind.Unavailable) {
				t.Fatalf("CheckSchema before migrate = %v, want an unavailable error", err)
			}
			n, err := db.Migrate(ctx)
			if err != nil || n == 0 {
				t.Fatalf("Migrate = %d, %v", n, err)
			}
			if n, err := db.Migrate(ctx); err != nil || n != 0 {
				t.Fatalf("second Migrate = %d, %v; want 0, nil", n, err)
			}
			if err := db.CheckSchema(ctx); err != nil {
				t.Fatalf("CheckSchema after migrate: %v", err)
			}
		})
	}
}

func TestMigrationsNumbered(t *testing.T) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		ms, err := store.Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			t.Fatalf("%s: no migrations", d)
		}
	}
	a, _ := store.Migrations(store.SQLite)
	b, _ := store.Migrations(store.Postgres)
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d: every change needs both", len(a), len(b))
	}
}

func TestTreeAndGroups(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		bad := community.Node{OrgID: org.ID, ParentID: 9999, Name: "x"}
		if err := db.CreateNode(ctx, &bad); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("node with unknown parent: %v, want invalid", err)
		}
		dup := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g1", Name: "dup"}
		if err := db.CreateGroup(ctx, &dup); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("duplicate group: %v, want conflict", err)
		}
		got, err := db.Group(ctx, org.ID, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != g.Name || got.Capacity != community.DefaultCapacity || got.Lifecycle != community.Active || got.Kind != community.KindCohort {
			t.Fatalf("group = %+v", got)
		}
		if _, err := db.Group(ctx, org.ID+1, g.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("group of another org: %v, want not found", err)
		}
		nodes, err := db.Nodes(ctx, org.ID)
		if err != nil || len(nodes) != 1 {
			t.Fatalf("nodes = %v, %v", nodes, err)
		}
	})
}

func TestIngestTx(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		evs := []chat.Event{
			{ID: "e1", Connection: "wx", Type: chat.EventMessage},
			{ID: "e2", Connection: "wx", Type: chat.EventMessage},
			{ID: "e1", Connection: "wx", Type: chat.EventMessage}, // repeated in the batch
			{ID: "e1", Connection: "tg", Type: chat.EventMessage}, // same id, other connection
		}
		var fresh []bool
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			fresh, err = tx.ClaimEvents(ctx, evs, clk.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{true, true, false, true}; fmt.Sprint(fresh) != fmt.Sprint(want) {
			t.Fatalf("fresh = %v, want %v", fresh, want)
		}
		// A rolled-back batch leaves nothing behind.
		boom := fmt.Errorf("boom")
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			if _, err := tx.ClaimEvents(ctx, []chat.Event{{ID: "e3", Connection: "wx", Type: chat.EventMessage}}, clk.Now()); err != nil {
				return err
			}
			return boom
		})
		if err != boom {
			t.Fatalf("ingest error = %v", err)
		}
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			fresh, err = tx.ClaimEvents(ctx, []chat.Event{evs[0], {ID: "e3", Connection: "wx"}}, clk.Now())
			return err
		})
		if err != nil || fmt.Sprint(fresh) != "[false true]" {
			t.Fatalf("after rollback fresh = %v, %v; want [false true]", fresh, err)
		}

		// People, memberships and messages.
		var pid, pid2 int64
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if pid, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "张三"}); err != nil {
				return err
			}
			if pid2, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "张三丰"}); err != nil {
				return err
			}
			m := community.Membership{GroupID: g.ID, PersonID: pid, Source: chat.SourceReferral, JoinedAt: clk.Now()}
			if err := tx.AddMembership(ctx, &m); err != nil {
				return err
			}
			dup := community.Membership{GroupID: g.ID, PersonID: pid, JoinedAt: clk.Now()}
			if err := tx.AddMembership(ctx, &dup); !errkind.Is(err, errkind.Conflict) {
				return fmt.Errorf("second open membership: %v, want conflict", err)
			}
			return nil
		})
		// PostgreSQL aborts the transaction after a failed statement, so
		// the conflict check above fails the whole batch there; SQLite
		// carries on. Either way the conflict is reported as a conflict.
		if err != nil && db.Dialect() == store.SQLite {
			t.Fatal(err)
		}
		if db.Dialect() == store.Postgres {
			err = db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				if pid, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "张三丰"}); err != nil {
					return err
				}
				pid2 = pid
				m := community.Membership{GroupID: g.ID, PersonID: pid, Source: chat.SourceReferral, JoinedAt: clk.Now()}
				return tx.AddMembership(ctx, &m)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if pid != pid2 {
			t.Fatalf("same platform user resolved to persons %d and %d", pid, pid2)
		}
		msgs := make([]community.Message, 450)
		for i := range msgs {
			msgs[i] = community.Message{GroupID: g.ID, PersonID: pid, ExternalID: fmt.Sprintf("m%d", i), Kind: chat.KindText, Text: fmt.Sprintf("第%d条", i), SentAt: clk.Now()}
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.InsertMessages(ctx, msgs) }); err != nil {
			t.Fatal(err)
		}
		page, err := db.Messages(ctx, g.ID, community.Page{Limit: 100})
		if err != nil || len(page) != 100 || page[0].Text != "第449条" || page[0].SenderName != "张三丰" {
			t.Fatalf("first page: %d messages, first %+v, %v", len(page), page[0], err)
		}
		page2, err := db.Messages(ctx, g.ID, community.Page{Limit: 100, Before: page[99].ID})
		if err != nil || len(page2) != 100 || page2[0].Text != "第349条" {
			t.Fatalf("second page: %d, %v", len(page2), err)
		}
		members, err := db.Members(ctx, g.ID)
		if err != nil || len(members) != 1 || members[0].PlatformUserID != "u1" || members[0].Source != chat.SourceReferral {
			t.Fatalf("members = %+v, %v", members, err)
		}
		groups, err := db.Groups(ctx, org.ID)
		if err != nil || len(groups) != 1 || groups[0].Members != 1 {
			t.Fatalf("groups = %+v, %v", groups, err)
		}
	})
}

// TestClaimActionsAtOnce: dispatchers claiming a backlog at the same time
// each get the oldest actions still free, and every action goes to one
// of them once.
func TestClaimActionsAtOnce(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		var acts []chat.Action
		for i := range 300 {
			acts = append(acts, chat.Action{Key: fmt.Sprintf("k%d", i), Connection: "wx", Kind: chat.ActSend, Group: "g1", Text: fmt.Sprint(i)})
		}
		if err := db.Enqueue(ctx, acts); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		got := map[int64]int{}
		var wg sync.WaitGroup
		errs := make(chan error, 6)
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					items, err := db.ClaimActions(ctx, "wx", 25, 30*time.Second)
					if err != nil {
						errs <- err
						return
					}
					if len(items) == 0 {
						return
					}
					mu.Lock()
					for i, it := range items {
						got[it.ID]++
						if i > 0 && it.ID <= items[i-1].ID {
							errs <- fmt.Errorf("claim not in id order: %d after %d", it.ID, items[i-1].ID)
						}
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(got) != 300 {
			t.Fatalf("%d of 300 actions claimed", len(got))
		}
		for id, n := range got {
			if n != 1 {
				t.Fatalf("action %d claimed %d times", id, n)
			}
		}
	})
}

func TestOutbox(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		acts := []chat.Action{
			{Key: "k1", Connection: "wx", Kind: chat.ActSend, Group: "g1", Text: "欢迎"},
			{Key: "k2", Connection: "wx", Kind: chat.ActKick, Group: "g1", User: "u9"},
			{Key: "k3", Connection: "pull", Kind: chat.ActDelete, Group: "g1", MessageID: "m1"},
		}
		if err := db.Enqueue(ctx, acts); err != nil {
			t.Fatal(err)
		}
		if err := db.Enqueue(ctx, acts[:1]); err != nil {
			t.Fatalf("re-enqueue of the same key: %v", err)
		}
		if err := db.Enqueue(ctx, []chat.Action{{Key: "", Connection: "wx", Kind: chat.ActSend}}); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("action without key: %v, want invalid", err)
		}
		items, err := db.ClaimActions(ctx, "wx", 10, 30*time.Second)
		if err != nil || len(items) != 2 || items[0].Action.Text != "欢迎" || items[0].Attempts != 1 {
			t.Fatalf("claim = %+v, %v", items, err)
		}
		// Leased: nobody else gets them.
		if again, _ := db.ClaimActions(ctx, "wx", 10, 30*time.Second); len(again) != 0 {
			t.Fatalf("claimed leased actions again: %+v", again)
		}
		if err := db.CompleteAction(ctx, items[0].ID); err != nil {
			t.Fatal(err)
		}
		if err := db.RetryAction(ctx, items[1].ID, clk.Now().Add(time.Minute), "timeout"); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.ClaimActions(ctx, "wx", 10, 30*time.Second); len(again) != 0 {
			t.Fatalf("claimed before its retry time: %+v", again)
		}
		clk.Add(time.Minute)
		again, err := db.ClaimActions(ctx, "wx", 10, 30*time.Second)
		if err != nil || len(again) != 1 || again[0].Attempts != 2 {
			t.Fatalf("retry claim = %+v, %v", again, err)
		}
		// A lease that runs out (a crashed dispatcher) makes it due again.
		clk.Add(31 * time.Second)
		again, err = db.ClaimActions(ctx, "wx", 10, 30*time.Second)
		if err != nil || len(again) != 1 || again[0].Attempts != 3 {
			t.Fatalf("claim after lease expiry = %+v, %v", again, err)
		}
		if err := db.DeferAction(ctx, again[0].ID, clk.Now()); err != nil {
			t.Fatal(err)
		}
		again, _ = db.ClaimActions(ctx, "wx", 10, 30*time.Second)
		if len(again) != 1 || again[0].Attempts != 3 {
			t.Fatalf("deferral counted as an attempt: %+v", again)
		}
		if err := db.KillAction(ctx, again[0].ID, "bot is not admin"); err != nil {
			t.Fatal(err)
		}
		counts, err := db.OutboxCounts(ctx)
		if err != nil || counts["done"] != 1 || counts["dead"] != 1 || counts["pending"] != 1 {
			t.Fatalf("counts = %v, %v", counts, err)
		}
		// Pull mode.
		pulled, err := db.PullActions(ctx, []string{"pull"}, 0, 10)
		if err != nil || len(pulled) != 1 || pulled[0].Action.MessageID != "m1" {
			t.Fatalf("pull = %+v, %v", pulled, err)
		}
		if n, err := db.AckActions(ctx, []string{"wx"}, []int64{pulled[0].ID}); err != nil || n != 0 {
			t.Fatalf("ack through another connection = %d, %v; want 0", n, err)
		}
		if n, err := db.AckActions(ctx, []string{"pull"}, []int64{pulled[0].ID}); err != nil || n != 1 {
			t.Fatalf("ack = %d, %v; want 1", n, err)
		}
		if pulled, _ := db.PullActions(ctx, []string{"pull"}, 0, 10); len(pulled) != 0 {
			t.Fatalf("acked action offered again: %+v", pulled)
		}
	})
}

func TestCursorsTokensAudit(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		if v, err := db.LoadCursor(ctx, "tg", "offset"); err != nil || v != "" {
			t.Fatalf("unknown cursor = %q, %v", v, err)
		}
		for _, v := range []string{"100", "101"} {
			if err := db.SaveCursor(ctx, "tg", "offset", v); err != nil {
				t.Fatal(err)
			}
		}
		if v, err := db.LoadCursor(ctx, "tg", "offset"); err != nil || v != "101" {
			t.Fatalf("cursor = %q, %v", v, err)
		}
		plain, err := db.CreateToken(ctx, org.ID, "demo", access.ScopeAdmin)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := db.TokenByPlaintext(ctx, plain)
		if err != nil || tok.OrgID != org.ID || tok.Scope != access.ScopeAdmin {
			t.Fatalf("token = %+v, %v", tok, err)
		}
		if _, err := db.TokenByPlaintext(ctx, plain+"x"); !errkind.Is(err, errkind.Unauthorized) {
			t.Fatalf("bad token: %v, want unauthorized", err)
		}
		if _, err := db.CreateToken(ctx, org.ID, "x", "root"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("bad scope: %v", err)
		}
		log, err := db.AuditLog(ctx, org.ID, community.Page{})
		if err != nil || len(log) != 1 || log[0].Action != "token.create" {
			t.Fatalf("audit = %+v, %v", log, err)
		}
		if _, err := db.SQL().Exec("UPDATE audit_log SET actor = 'mallory'"); err == nil {
			t.Fatal("audit log accepted an UPDATE")
		}
		if _, err := db.SQL().Exec("DELETE FROM audit_log"); err == nil {
			t.Fatal("audit log accepted a DELETE")
		}
	})
}

func TestPersonNames(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		other := community.Org{Name: "别家", Slug: "other"}
		db.CreateOrg(ctx, &other)
		var ids []int64
		for _, n := range []string{"甲", "乙"} {
			p := community.Person{OrgID: org.ID, Name: n}
			db.CreatePerson(ctx, &p)
			ids = append(ids, p.ID)
		}
		stranger := community.Person{OrgID: other.ID, Name: "外人"}
		db.CreatePerson(ctx, &stranger)
		got, err := db.PersonNames(ctx, org.ID, append(ids, stranger.ID, 9999))
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[ids[0]] != "甲" || got[ids[1]] != "乙" {
			t.Fatalf("names = %v (another organisation's people must not show)", got)
		}
	})
}

func TestScopedUser(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		u := access.User{OrgID: org.ID, Username: "sec", PasswordHash: "x", Role: access.Secretary, ScopeGroupID: g.ID}
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
		got, err := db.UserByName(ctx, "sec")
		if err != nil || got.ScopeGroupID != g.ID || got.ScopeNodeID != 0 || !got.Scoped() {
			t.Fatalf("user = %+v %v", got, err)
		}
		if err := db.CreateUser(ctx, &access.User{OrgID: org.ID, Username: "sec", PasswordHash: "x", Role: access.Manager}); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a second sec: %v, want conflict", err)
		}
	})
}

func TestUsersAndTokens(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		for _, u := range []access.User{{OrgID: org.ID, Username: "zz", PasswordHash: "h", Role: access.Manager}, {OrgID: org.ID, Username: "aa", PasswordHash: "h", Role: access.Viewer, ScopeGroupID: g.ID}} {
			if err := db.CreateUser(ctx, &u); err != nil {
				t.Fatal(err)
			}
		}
		us, err := db.Users(ctx, org.ID)
		if err != nil || len(us) != 2 || us[0].Username != "aa" || us[0].ScopeGroupID != g.ID || us[0].PasswordHash != "" {
			t.Fatalf("users: %+v %v", us, err)
		}
		if _, err := db.CreateToken(ctx, org.ID, "bot", access.ScopeRead); err != nil {
			t.Fatal(err)
		}
		ts, err := db.Tokens(ctx, org.ID)
		if err != nil || len(ts) != 1 || ts[0].Name != "bot" || ts[0].Scope != access.ScopeRead || ts[0].Revoked {
			t.Fatalf("tokens: %+v %v", ts, err)
		}
	})
}

// TestPostgresSettings: connections to PostgreSQL run without JIT unless
// the database URL says otherwise, and a malformed URL is refused with
// what is wrong.
func TestPostgresSettings(t *testing.T) {
	ctx := context.Background()
	_, dsn := storetest.DSN(t, store.Postgres)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("jit", "on")
	u.RawQuery = q.Encode()
	for _, tt := range []struct{ dsn, want string }{
		{dsn, "off"},
		{u.String(), "on"},
	} {
		db, err := store.Open(ctx, "postgres", tt.dsn, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		if err := db.SQL().QueryRowContext(ctx, "SHOW jit").Scan(&jit); err != nil || jit != tt.want {
			t.Errorf("%s: jit %q, %v; want %q", tt.dsn, jit, err, tt.want)
		}
		db.Close()
	}
	if _, err := store.Open(ctx, "postgres", "postgres://user:secret@host:notaport/db", store.Options{}); err == nil || errkind.Of(err) != errkind.Invalid || strings.Contains(err.Error(), "secret") {
		t.Errorf("a malformed url: %v", err)
	}
}
