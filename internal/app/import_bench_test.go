package app_test

import (
	"database/sql"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/importer/importertest"
)

var benchMessages = flag.Int("import.messages", 1_000_000, "BenchmarkImportMillion: messages in the generated export")

// BenchmarkImportMillion imports a generated Telegram export of a million
// messages (about 260 MB, 500 members) with the real binary into a fresh
// SQLite database: `qunzhu migrate`, then `qunzhu import --connection tg
// FILE`, timed whole — reading, validating, storing through the ingest,
// recomputing the rollups. docs/benchmarks.md has the figures:
//
//	go test ./internal/app -run XXX -bench ImportMillion -benchtime 1x
func BenchmarkImportMillion(b *testing.B) {
	export, size := importertest.TelegramFile(b, b.TempDir(), *benchMessages)
	b.SetBytes(size)
	var took time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(importConfig), 0o600)
		if code, _, errs := runQunzhu(b, dir, "migrate"); code != 0 {
			b.Fatalf("migrate: %s", errs)
		}
		b.StartTimer()
		began := time.Now()
		code, out, errs := runQunzhu(b, dir, "import", "--connection", "tg", export)
		took += time.Since(began)
		b.StopTimer()
		if code != 0 {
			b.Fatalf("import: %d\n%s\n%s", code, out, errs)
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, "data", "qunzhu.db"))
		if err != nil {
			b.Fatal(err)
		}
		var msgs int
		db.QueryRow("SELECT COUNT(*) FROM messages").Scan(&msgs)
		if st, err := os.Stat(filepath.Join(dir, "data", "qunzhu.db")); err == nil {
			b.ReportMetric(float64(st.Size())/(1<<20), "db-MB")
		}
		db.Close()
		if want := *benchMessages - *benchMessages/1000; msgs != want {
			b.Fatalf("%d messages stored, want %d\n%s", msgs, want, out)
		}
		b.Logf("%s", out)
		b.StartTimer()
	}
	b.ReportMetric(float64(*benchMessages)*float64(b.N)/took.Seconds(), "msgs/s")
}
