package store_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestRetention, on a fake clock: delivered and dead actions go after
// their time, a pulled connection's actions nobody fetched are given up
// (dead, with the reason) and then go too, old audit entries lose their
// detail but stay, event keys go only when asked — and nothing younger
// than its limit is touched.
func TestRetention(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		day := 24 * time.Hour
		act := func(conn, key string) chat.Action {
			return chat.Action{Key: key, Connection: conn, Kind: chat.ActSend, Group: "g1", Text: strings.Repeat("载荷", 100)}
		}
		enqueue := func(as ...chat.Action) {
			t.Helper()
			if err := db.Enqueue(ctx, as); err != nil {
				t.Fatal(err)
			}
		}
		status := func() string {
			t.Helper()
			rows, err := db.SQL().Query("SELECT idem_key, status FROM outbox ORDER BY idem_key")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var k, s string
				rows.Scan(&k, &s)
				out = append(out, k+":"+s)
			}
			return strings.Join(out, " ")
		}
		// Day 0: two actions delivered, one given up, one pulled but
		// never acknowledged, one pulled and acknowledged.
		enqueue(act("tg", "done-old"), act("tg", "dead-old"), act("bridge", "pull-old"), act("bridge", "pull-acked"))
		items, _ := db.OutboxItems(ctx, "pending", 10)
		for _, it := range items {
			switch it.Action.Key {
			case "done-old":
				db.CompleteAction(ctx, it.ID)
			case "dead-old":
				db.KillAction(ctx, it.ID, "platform refused")
			case "pull-acked":
				db.AckActions(ctx, []string{"bridge"}, []int64{it.ID})
			}
		}
		if err := db.AppendAudit(ctx, community.AuditEntry{OrgID: org.ID, Actor: "rules", Action: "moderation.delete", Subject: "person:1", Detail: `{"text":"加微信"}`}); err != nil {
			t.Fatal(err)
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			_, err := tx.ClaimEvents(ctx, []chat.Event{{ID: "e-old", Connection: "tg", Type: chat.EventMessage}}, clk.Now())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Day 5: the same again, young.
		clk.Add(5 * day)
		enqueue(act("tg", "done-new"), act("bridge", "pull-new"))
		items, _ = db.OutboxItems(ctx, "pending", 10)
		for _, it := range items {
			if it.Action.Key == "done-new" {
				db.CompleteAction(ctx, it.ID)
			}
		}
		if err := db.AppendAudit(ctx, community.AuditEntry{OrgID: org.ID, Actor: "rules", Action: "moderation.delete", Subject: "person:2", Detail: `{"text":"新的"}`}); err != nil {
			t.Fatal(err)
		}
		policy := store.Retention{OutboxDone: 3 * day, OutboxDead: 30 * day, Pulled: 2 * day, PulledConnections: []string{"bridge"}, AuditDetail: 4 * day}
		r, err := db.Retain(ctx, policy, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.Retained{OutboxDone: 2, PulledGivenUp: 1, AuditDetails: 1}); r != want {
			t.Fatalf("day 5: %+v, want %+v", r, want)
		}
		if got, want := status(), "dead-old:dead done-new:done pull-new:pending pull-old:dead"; got != want {
			t.Fatalf("outbox on day 5: %s, want %s", got, want)
		}
		dead, _ := db.OutboxItems(ctx, "dead", 10)
		for _, it := range dead {
			if it.Action.Key == "pull-old" && !strings.Contains(it.LastError, "not pulled") {
				t.Fatalf("the given-up pulled action says %q", it.LastError)
			}
		}
		audit, err := db.AuditLog(ctx, org.ID, community.Page{Limit: 10})
		if err != nil || len(audit) != 2 {
			t.Fatalf("audit: %v, %v", audit, err)
		}
		for _, e := range audit {
			want := `{"text":"新的"}`
			if e.Subject == "person:1" {
				want = store.ExpiredDetail
			}
			if e.Detail != want || e.Action != "moderation.delete" {
				t.Fatalf("audit entry %+v: detail want %s", e, want)
			}
		}
		// The log is append-only still: no other change, no delete.
		if _, err := db.SQL().Exec(db.Rebind("UPDATE audit_log SET actor = 'someone else'")); err == nil {
			t.Fatal("the audit log took an update of its actor")
		}
		if _, err := db.SQL().Exec(db.Rebind("UPDATE audit_log SET detail = '{\"forged\":1}'")); err == nil {
			t.Fatal("the audit log took a forged detail")
		}
		if _, err := db.SQL().Exec("DELETE FROM audit_log"); err == nil {
			t.Fatal("the audit log took a delete")
		}
		if n := count(t, db.SQL(), "SELECT COUNT(*) FROM events"); n != 1 {
			t.Fatalf("event keys without an event_keys retention: %d, want 1", n)
		}
		// Again: nothing more to do.
		if r, err := db.Retain(ctx, policy, clk.Now()); err != nil || r.Total() != 0 {
			t.Fatalf("a second run: %+v, %v", r, err)
		}
		// Day 40: the dead go, and the event keys when asked.
		clk.Add(35 * day)
		policy.EventKeys = 30 * day
		r, err = db.Retain(ctx, policy, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if want := (store.Retained{OutboxDone: 1, OutboxDead: 2, PulledGivenUp: 1, AuditDetails: 1, EventKeys: 1}); r != want {
			t.Fatalf("day 40: %+v, want %+v", r, want)
		}
		if got, want := status(), "pull-new:dead"; got != want {
			t.Fatalf("outbox on day 40: %s, want %s", got, want)
		}
	})
}

func count(t *testing.T, db *sql.DB, q string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestTableStats: every table is listed with its rows; the sizes add up to
// something and the messages' table counts its rows.
func TestTableStats(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			p, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "林晓"})
			if err != nil {
				return err
			}
			var msgs []community.Message
			for i := range 300 {
				msgs = append(msgs, community.Message{GroupID: g.ID, PersonID: p, ExternalID: fmt.Sprint(i), Kind: chat.KindText, Text: "你好", SentAt: time.Now()})
			}
			return tx.InsertMessages(ctx, msgs)
		})
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect() == store.Postgres {
			db.SQL().Exec("ANALYZE")
		}
		stats, err := db.TableStats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]store.TableStat{}
		var bytes int64
		for _, s := range stats {
			byName[s.Name] = s
			bytes += s.Bytes
		}
		for _, name := range []string{"messages", "import_jobs", "outbox", "audit_log", "schema_migrations"} {
			if _, ok := byName[name]; !ok {
				t.Errorf("no %s in %v", name, stats)
			}
		}
		if m := byName["messages"]; m.Rows != 300 || m.Bytes <= 0 {
			t.Errorf("messages: %+v, want 300 rows", m)
		}
		if bytes < 50_000 || len(stats) < 30 {
			t.Errorf("%d tables, %d bytes", len(stats), bytes)
		}
	})
}

// TestBackupTo: a SQLite backup is a whole database, readable by its owner
// only, and is never written over an existing file.
func TestBackupTo(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	seedOrg(t, db)
	path := filepath.Join(t.TempDir(), "backup.db")
	if err := db.BackupTo(ctx, path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() < 10_000 {
		t.Fatalf("backup file: %v, %v", st, err)
	}
	if err := db.BackupTo(ctx, path); !errkind.Is(err, errkind.Conflict) {
		t.Fatalf("a backup over an existing file: %v", err)
	}
	copyDB, err := store.Open(ctx, "sqlite", path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copyDB.Close()
	if orgs, err := copyDB.Orgs(ctx); err != nil || len(orgs) != 1 {
		t.Fatalf("the backup's organisations: %v, %v", orgs, err)
	}
	if msg, err := copyDB.IntegrityCheck(ctx); err != nil || msg != "ok" {
		t.Fatalf("integrity: %q, %v", msg, err)
	}
}
