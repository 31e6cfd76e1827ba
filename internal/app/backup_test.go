package app_test

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/store"
)

// TestBackupWhileServing: `qunzhu backup` takes a copy while the real
// binary serves and a loader posts events as fast as it can; `qunzhu
// restore` brings it back into an empty data directory, and every event
// acknowledged before the backup began is in it, whole (its message
// too). The restore refuses a non-empty directory, a file that is not a
// qunzhu database and one from a newer qunzhu, and migrates an older one.
func TestBackupWhileServing(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	p := start(t, dir, "serve", "--migrate")

	var mu sync.Mutex
	var acked []string // ids of acknowledged events, in order
	stop := make(chan struct{})
	loaded := make(chan struct{})
	go func() {
		defer close(loaded)
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var b strings.Builder
			var ids []string
			b.WriteString("[")
			for i := range 50 {
				id := fmt.Sprintf("load-%d-%d", n, i)
				ids = append(ids, id)
				if i > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, `{"id":%q,"type":"message","group":"g-%d","time":%q,"sender":{"id":"u%d","name":"成员%d"},"message":{"id":%q,"kind":"text","text":"第%d条"}}`,
					id, i%5, time.Now().Add(-time.Hour).Format(time.RFC3339), i, i, id, n)
			}
			b.WriteString("]")
			if code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, b.String()); code != 200 || res["accepted"] != 50.0 {
				t.Errorf("post: %d %v", code, res)
				return
			}
			mu.Lock()
			acked = append(acked, ids...)
			mu.Unlock()
		}
	}()
	waitFor := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			mu.Lock()
			have := len(acked)
			mu.Unlock()
			if have >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("only %d events acknowledged", have)
			}
		}
	}
	waitFor(2000)
	mu.Lock()
	before := append([]string(nil), acked...) // acknowledged before the backup began
	mu.Unlock()
	backup := filepath.Join(t.TempDir(), "nightly.db")
	code, out, errs := runQunzhu(t, dir, "backup", backup)
	if code != 0 || !strings.Contains(out, "backed up") || !strings.Contains(out, "schema version") {
		t.Fatalf("backup: %d\n%s\n%s", code, out, errs)
	}
	mu.Lock()
	during := len(acked) - len(before)
	mu.Unlock()
	waitFor(len(before) + during + 200) // the server kept taking events after the backup
	close(stop)
	<-loaded
	if st, err := os.Stat(backup); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("backup file: %v %v", st, err)
	}
	if code, _, errs := runQunzhu(t, dir, "backup", backup); code != 1 || !strings.Contains(errs, "exists") {
		t.Fatalf("a backup over an existing file: %d %s", code, errs)
	}
	t.Logf("%d events acknowledged before the backup, %d while it ran", len(before), during)

	// Restore into a new, empty data directory.
	rdir := t.TempDir()
	os.WriteFile(filepath.Join(rdir, "qunzhu.toml"), []byte("[server]\naddr = \"127.0.0.1:0\"\n[data]\ndir = \"restored\"\n"), 0o600)
	code, out, errs = runQunzhu(t, rdir, "restore", backup)
	if code != 0 || !strings.Contains(out, "restored") {
		t.Fatalf("restore: %d\n%s\n%s", code, out, errs)
	}
	restored := filepath.Join(rdir, "restored", "qunzhu.db")
	db, err := sql.Open("sqlite", restored)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	rows, err := db.Query("SELECT e.external_id FROM events e JOIN messages m ON m.external_id = e.external_id WHERE e.connection = 'wx'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		have[id] = true
	}
	rows.Close()
	var events, messages int
	db.QueryRow("SELECT COUNT(*) FROM events WHERE connection = 'wx' AND external_id LIKE 'load-%'").Scan(&events)
	db.QueryRow("SELECT COUNT(*) FROM messages WHERE external_id LIKE 'load-%'").Scan(&messages)
	db.Close()
	for _, id := range before {
		if !have[id] {
			t.Fatalf("event %s, acknowledged before the backup, is not in it (%d of %d are)", id, len(have), len(before))
		}
	}
	if events != messages || events%50 != 0 {
		t.Fatalf("the backup holds %d event keys and %d messages: a batch is cut", events, messages)
	}
	// The restored installation serves.
	r := start(t, rdir, "serve")
	if code, body := call(t, "GET", r.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("the restored installation is not ready: %d %v", code, body)
	}
	r.stop(t)

	// Refusals.
	if code, _, errs := runQunzhu(t, rdir, "restore", backup); code != 1 || !strings.Contains(errs, "not empty") {
		t.Fatalf("restore into a used directory: %d %s", code, errs)
	}
	fresh := func() string {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "qunzhu.toml"), []byte("[data]\ndir = \"data\"\n"), 0o600)
		return d
	}
	notDB := filepath.Join(t.TempDir(), "notes.db")
	os.WriteFile(notDB, []byte("not a database, but long enough to have a header"), 0o600)
	other := filepath.Join(t.TempDir(), "other.db")
	if o, err := sql.Open("sqlite", other); err == nil {
		o.Exec("CREATE TABLE things (x)")
		o.Close()
	}
	newer := dbCopy(t, backup, func(db *sql.DB) {
		db.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)")
	})
	// A backup from before the newest migration: a database built by
	// every migration but the last.
	migs, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	latest := len(migs)
	older := filepath.Join(t.TempDir(), "older.db")
	if o, err := sql.Open("sqlite", older); err != nil {
		t.Fatal(err)
	} else {
		if _, err := o.Exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"); err != nil {
			t.Fatal(err)
		}
		for _, m := range migs[:latest-1] {
			if _, err := o.Exec(m.SQL); err != nil {
				t.Fatalf("migration %s: %v", m.Name, err)
			}
			if _, err := o.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, 0)", m.Version, m.Name); err != nil {
				t.Fatal(err)
			}
		}
		o.Close()
	}
	for _, tt := range []struct {
		file, want string
		code       int
	}{
		{notDB, "not a SQLite database", 1},
		{other, "not a qunzhu backup", 1},
		{newer, "newer qunzhu (schema version 999", 1},
		{filepath.Join(t.TempDir(), "missing.db"), "no such file", 1},
		{older, fmt.Sprintf("migrated its schema from version %d to %d", latest-1, latest), 0},
	} {
		d := fresh()
		code, out, errs := runQunzhu(t, d, "restore", tt.file)
		if code != tt.code || !strings.Contains(out+errs, tt.want) {
			t.Errorf("restore %s: %d\n%s%s\nwant %d and %q", filepath.Base(tt.file), code, out, errs, tt.code, tt.want)
		}
		if _, err := os.Stat(filepath.Join(d, "data", "qunzhu.db")); (err == nil) != (tt.code == 0) {
			t.Errorf("restore %s: database there: %v", filepath.Base(tt.file), err == nil)
		}
		if tt.code != 0 {
			if _, err := os.Stat(filepath.Join(d, "data")); err == nil {
				t.Errorf("restore %s: a refused restore left the data directory", filepath.Base(tt.file))
			}
		}
	}
}

// copyOf copies a database file and changes the copy.
func dbCopy(t *testing.T, src string, change func(*sql.DB)) string {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dst)
	if err != nil {
		t.Fatal(err)
	}
	change(db)
	db.Close()
	return dst
}
