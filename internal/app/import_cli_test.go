package app_test

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/store"
)

// qunzhu runs the binary in dir and returns its exit code and output.
func runQunzhu(t testing.TB, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		t.Fatalf("qunzhu %v: %v", args, err)
	}
	return code, out.String(), errb.String()
}

// counts reads the row counts of the tables an import writes.
func importCounts(t *testing.T, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var parts []string
	for _, tb := range []string{"events", "messages", "chat_groups", "people", "memberships", "group_days"} {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM " + tb).Scan(&n); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", tb, n))
	}
	return strings.Join(parts, " ")
}

const importConfig = `[data]
dir = "data"
[[connections]]
name = "tg"
platform = "telegram"
options = { bot_token = "123456:not-a-real-token" }
[[connections]]
name = "wx"
platform = "webhook"
token = "bridge-token-0123456789"
`

func importFixture(name string) string {
	p, _ := filepath.Abs(filepath.Join("..", "importer", "testdata", name))
	return p
}

// TestImportCLIRefusesMalformed: every refusal of `qunzhu import` — a
// malformed file, a file that does not fit the flags, bad usage — says
// what is wrong (with the line or JSON path for a file), exits non-zero,
// and leaves the database as it was; with several files, one bad file
// imports none.
func TestImportCLIRefusesMalformed(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(importConfig), 0o600)
	if code, _, errs := runQunzhu(t, dir, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s", code, errs)
	}
	good, err := os.ReadFile(importFixture("telegram/supergroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := write("truncated.json", string(good[:len(good)/2]))
	badDate := write("bad-date.json", strings.Replace(string(good), `"date_unixtime": "1709254870"`, `"date_unixtime": "yesterday"`, 1))
	badPeer := write("bad-peer.json", strings.Replace(string(good), `"from_id": "user1002"`, `"from_id": "bob"`, 1))
	badTime := write("bad-time.txt", "2024-03-01 09:15:02 陈默\n大家好\n\n2024-02-30 10:00:00 林晓\n路线\n")
	gbk := write("gbk.txt", "2024-03-01 09:15:02 \xb3\xc2\xc4\xac\n\xb4\xf3\xbc\xd2\xba\xc3\n")
	notExport := write("notes.txt", "shopping list\nmilk\n")
	empty := write("empty.json", "")
	text := importFixture("wechat/memotrace.txt")
	db := filepath.Join(dir, "data", "qunzhu.db")
	before := importCounts(t, db)
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"truncated JSON", []string{"import", "--connection", "tg", truncated}, 1, []string{"truncated.json", "messages["}},
		{"bad date", []string{"import", "--connection", "tg", badDate}, 1, []string{"messages[1].date_unixtime", "yesterday"}},
		{"bad peer id", []string{"import", "--connection", "tg", badPeer}, 1, []string{"from_id", `"bob"`}},
		{"bad time in a text log", []string{"import", "--connection", "wx", "--name", "徒步群", badTime}, 1, []string{"line 4", "2024-02-30"}},
		{"not UTF-8", []string{"import", "--connection", "wx", "--name", "徒步群", gbk}, 1, []string{"gbk.txt", "not UTF-8", "GBK"}},
		{"not an export", []string{"import", "--connection", "wx", notExport}, 1, []string{"notes.txt"}},
		{"empty file", []string{"import", "--connection", "tg", empty}, 1, []string{"empty.json"}},
		{"one bad file of two", []string{"import", "--connection", "tg", importFixture("telegram/supergroup.json"), badDate}, 1, []string{"bad-date.json", "date_unixtime"}},
		{"an export that names no group", []string{"import", "--connection", "wx", text}, 1, []string{"does not name its group", "--name"}},
		{"several groups into one", []string{"import", "--group", "1", importFixture("qq/all.txt")}, 1, []string{"--group 1"}},
		{"an export of another platform", []string{"import", "--connection", "tg", importFixture("qq/all.txt")}, 1, []string{"a qq-text export goes into a connection of onebot or webhook, and tg is telegram"}},
		{"no such file", []string{"import", "--connection", "tg", filepath.Join(dir, "nope.json")}, 1, []string{"nope.json", "no such file"}},
		{"unknown connection", []string{"import", "--connection", "xx", importFixture("telegram/supergroup.json")}, 1, []string{`connection "xx" is not configured`}},
		{"no file", []string{"import", "--connection", "tg"}, 2, []string{"name the export file"}},
		{"no target", []string{"import", importFixture("telegram/supergroup.json")}, 2, []string{"--group ID", "--connection NAME"}},
		{"both targets", []string{"import", "--group", "1", "--connection", "tg", importFixture("telegram/supergroup.json")}, 2, []string{"not both"}},
		{"unknown format", []string{"import", "--connection", "tg", "--format", "whatsapp", importFixture("telegram/supergroup.json")}, 2, []string{"whatsapp", "telegram, matrix, wechat-csv, qq-json"}},
		{"bad since", []string{"import", "--connection", "tg", "--since", "last week", importFixture("telegram/supergroup.json")}, 2, []string{"--since", "2024-01-02"}},
		{"bad zone", []string{"import", "--connection", "tg", "--tz", "Mars/Olympus", importFixture("telegram/supergroup.json")}, 2, []string{"--tz"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runQunzhu(t, dir, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errs)
				}
			}
			if after := importCounts(t, db); after != before {
				t.Fatalf("the database changed: %s, was %s", after, before)
			}
		})
	}
	// And a good import says what it did; a second stores nothing.
	code, out, errs := runQunzhu(t, dir, "import", importFixture("telegram/supergroup.json"), "--connection", "tg")
	if code != 0 || !strings.Contains(out, "stored 24 new, 0 already there") || !strings.Contains(out, "周末徒步俱乐部 → group 1") {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "import   supergroup.json  100%  24 events (24 new)") {
		t.Errorf("no progress on stderr:\n%s", errs)
	}
	after := importCounts(t, db)
	code, out, _ = runQunzhu(t, dir, "import", "--group", "1", importFixture("telegram/supergroup.json"))
	if code != 0 || !strings.Contains(out, "stored 0 new, 24 already there") || importCounts(t, db) != after {
		t.Fatalf("second import: %d\n%s", code, out)
	}
	// --validate reads and stores nothing, and needs no connection.
	code, out, _ = runQunzhu(t, dir, "import", "--validate", importFixture("qq/all.txt"))
	if code != 0 || !strings.Contains(out, "读书会") || !strings.Contains(out, "not imported: personal chat") || importCounts(t, db) != after {
		t.Fatalf("validate: %d\n%s", code, out)
	}
	if code, _, errs := runQunzhu(t, dir, "import", "--validate", badDate); code != 1 || !strings.Contains(errs, "date_unixtime") {
		t.Fatalf("validate a bad file: %d %s", code, errs)
	}
	// db stats lists the tables with their rows.
	code, out, errs = runQunzhu(t, dir, "db", "stats")
	migs, err := store.Migrations(store.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !regexp.MustCompile(`(?m)^\s*messages\s+15\s+\d`).MatchString(out) || !strings.Contains(out, fmt.Sprintf("schema version %d of %d", len(migs), len(migs))) {
		t.Fatalf("db stats: %d\n%s\n%s", code, out, errs)
	}
	// migrate refuses a database newer than the binary (a restored
	// PostgreSQL dump is checked so).
	sdb, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)"); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	if code, _, errs := runQunzhu(t, dir, "migrate"); code != 1 || !strings.Contains(errs, "newer than this binary knows") {
		t.Fatalf("migrate a newer database: %d %s", code, errs)
	}
}
