package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCheckpointsOffTheWriter: with no connection checkpointing by itself,
// the checkpointer keeps the write-ahead log small while writes go on —
// each write turn's pages are copied and the log starts again — and what
// was written is in the database after it is closed and opened again.
func TestCheckpointsOffTheWriter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ckpt.db")
	db := openBlobs(t, path, 500) // restarts a log of 2 MB
	var auto int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil || auto != 0 {
		t.Fatalf("wal_autocheckpoint = %d, %v: connections checkpoint by themselves", auto, err)
	}
	// 200 transactions of 50 rows of 4 KB: 40 MB through the log, over
	// more than a second (the checkpointer looks every 200 ms, and
	// restarts a log of 2 MB).
	const txs, rows = 200, 50
	var most int64
	for range txs {
		writeBlobs(t, db, rows)
		if fi, err := os.Stat(path + "-wal"); err == nil {
			most = max(most, fi.Size())
		}
		time.Sleep(5 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.ckpt.runs.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if db.ckpt.runs.Load() == 0 {
		t.Fatal("no checkpoint within 10 s of the writes")
	}
	written := int64(txs * rows * 4096)
	t.Logf("the log's file grew to %d MB while %d MB were written", most>>20, written>>20)
	if most > written/2 {
		t.Errorf("the log grew to %d MB of the %d MB written: it was not started again", most>>20, written>>20)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db.Close() // a second Close does not stop the checkpointer again
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("after closing, the log holds %d bytes", fi.Size())
	}
	db, err := Open(ctx, "sqlite", path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM blobs").Scan(&n); err != nil || n != txs*rows {
		t.Fatalf("%d rows after reopening, %v; want %d", n, err, txs*rows)
	}
}

// TestLogRestartsAfterAPause: with no write turn taken for it (restartAt out
// of reach), the log starts again from its beginning once writes pause long
// enough for the checkpointer to copy all of it — what keeps it short outside
// a sustained ingest, where restartFrames is never reached. The log's file
// does not shrink when it starts again, so the second half of the writes
// leaves it as long as the first half made it.
func TestLogRestartsAfterAPause(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pause.db")
	db := openBlobs(t, path, 1<<30)
	defer db.Close()
	write := func() { // 4 MB in 20 transactions
		t.Helper()
		for range 20 {
			writeBlobs(t, db, 50)
		}
	}
	size := func() int64 {
		t.Helper()
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	write()
	first := size()
	// The pause: the checkpointer copies the whole log. The second round
	// of its loop to finish after this point began after the writes (the
	// first may have begun before the last of them), and it checkpoints
	// unless a round since the writes has.
	before := db.ckpt.rounds.Load()
	deadline := time.Now().Add(10 * time.Second)
	for db.ckpt.rounds.Load() < before+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if db.ckpt.rounds.Load() < before+2 {
		t.Fatal("the checkpointer did not go round twice within 10 s of the writes")
	}
	write()
	if second := size(); second > first+first/4 {
		t.Errorf("the log's file grew from %d to %d KB over a pause: the writes after it did not start the log again", first>>10, second>>10)
	}
}

// openBlobs opens a SQLite store at path with a table blobs, whose
// checkpointer restarts the log at restartAt pages. The caller closes it.
func openBlobs(t *testing.T, path string, restartAt int) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, "sqlite", path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.exec(ctx, "CREATE TABLE blobs (id INTEGER PRIMARY KEY, b BLOB)"); err != nil {
		db.Close()
		t.Fatal(err)
	}
	db.ckpt.restartAt = restartAt
	return db
}

// writeBlobs writes rows blobs of 4 KB into the table blobs in one
// transaction on the writing connection.
func writeBlobs(t *testing.T, db *DB, rows int) {
	t.Helper()
	ctx := context.Background()
	blob := []byte(strings.Repeat("x", 4096))
	err := db.onWriter(ctx, func(c *sql.Conn) (bool, error) {
		tx, err := c.BeginTx(ctx, nil)
		if err != nil {
			return true, err
		}
		for range rows {
			if _, err := tx.ExecContext(ctx, "INSERT INTO blobs (b) VALUES (?)", blob); err != nil {
				tx.Rollback()
				return true, err
			}
		}
		return false, tx.Commit()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSQLiteSettings: every SQLite connection, the readers' and the
// writer's, has foreign keys on, the log, no checkpoint of its own and no
// memory map; a connection of mappedConn has the map (mapSize) until it
// is given back, unmapped.
func TestSQLiteSettings(t *testing.T) {
	ctx := context.Background()
	db := openBlobs(t, filepath.Join(t.TempDir(), "settings.db"), restartFrames)
	defer db.Close()
	read := func(qr queryer) string {
		var got []string
		for _, p := range []string{"foreign_keys", "journal_mode", "wal_autocheckpoint", "mmap_size"} {
			var v string
			if err := qr.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
		return strings.Join(got, " ")
	}
	const want = "1 wal 0 0"
	readers := func(when string) {
		t.Helper()
		// Several connections of the pool at once.
		conns := make([]*sql.Conn, 3)
		for i := range conns {
			c, err := db.sql.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns[i] = c
			if got := read(c); got != want {
				t.Errorf("%s: reader %d: %s, want %s", when, i, got, want)
			}
		}
		for _, c := range conns {
			c.Close()
		}
	}
	readers("opened")
	err := db.onIngestConn(ctx, func(q queryer) error {
		if got := read(q); got != want {
			t.Errorf("writer: %s, want %s", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, done, err := db.mappedConn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, mapped := read(c), fmt.Sprintf("1 wal 0 %d", mapSize); got != mapped {
		t.Errorf("mapped: %s, want %s", got, mapped)
	}
	done()
	readers("after a mapped connection")
}
