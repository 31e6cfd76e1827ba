package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestLeasesKeepTheIngestCache checks that the leases renewed every few
// seconds while the ingest runs are written on the ingest connection: a
// write from any other connection changes that connection's
// data_version, which is when SQLite drops its page cache.
func TestLeasesKeepTheIngestCache(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)
	if err := db.Ingest(ctx, func(pipeline.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	version := func() int64 {
		t.Helper()
		db.ingestMu.Lock()
		defer db.ingestMu.Unlock()
		var v int64
		if err := db.ingestConn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	v := version()
	if ok, err := db.AcquireLease(ctx, "pushes", "r1", time.Minute); err != nil || !ok {
		t.Fatalf("AcquireLease = %v, %v", ok, err)
	}
	l, ok, err := db.AcquireConnection(ctx, "wx", "r1", "http://r1", time.Minute, 0)
	if err != nil || !ok {
		t.Fatalf("AcquireConnection = %v, %v", ok, err)
	}
	if ok, err := db.RenewConnection(ctx, "wx", "r1", l.Fence, time.Minute, "running"); err != nil || !ok {
		t.Fatalf("RenewConnection = %v, %v", ok, err)
	}
	if _, ok, err := db.AcquireConnection(ctx, "wx", "r2", "http://r2", time.Minute, 0); err != nil || ok {
		t.Fatalf("another holder's AcquireConnection = %v, %v; want refused", ok, err)
	}
	if got := version(); got != v {
		t.Fatalf("the leases were written from another connection: the ingest connection's data_version went from %d to %d", v, got)
	}
	// And the check can fail: a write from the pool changes it.
	if _, err := db.sql.ExecContext(ctx, "UPDATE job_leases SET holder = 'r9'"); err != nil {
		t.Fatal(err)
	}
	if got := version(); got == v {
		t.Fatal("a write from another connection left data_version alone: the check above proves nothing")
	}
}

// openMigrated opens a migrated SQLite store in the test's directory,
// closed when the test ends (for the tests inside the package, which
// cannot use storetest).
func openMigrated(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite", filepath.Join(t.TempDir(), "test.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}
