package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

func TestScanAll(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite", filepath.Join(t.TempDir(), "scan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.sql.ExecContext(ctx, "CREATE TABLE t (n INTEGER, s TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'not a number')"); err != nil {
		t.Fatal(err)
	}
	rows, err := db.sql.QueryContext(ctx, "SELECT n FROM t ORDER BY n")
	got, err := scanAll(rows, err, scanInt64)
	if err != nil || len(got) != 3 || got[0] != 1 || got[2] != 3 {
		t.Fatalf("scanAll = %v, %v; want [1 2 3]", got, err)
	}
	// A Scan error ends the read and comes out, with no partial list.
	rows, err = db.sql.QueryContext(ctx, "SELECT s FROM t ORDER BY n")
	got, err = scanAll(rows, err, scanInt64)
	if err == nil || got != nil {
		t.Fatalf("scanning text into an integer: %v, %v; want an error", got, err)
	}
	// The query's own error comes out.
	rows, err = db.sql.QueryContext(ctx, "SELECT n FROM no_such_table")
	if _, err := scanAll(rows, err, scanInt64); err == nil {
		t.Fatal("a failed query: want its error")
	}
	// eachRow stops at the first error fn returns.
	stop := errors.New("stop")
	seen := 0
	rows, err = db.sql.QueryContext(ctx, "SELECT n FROM t ORDER BY n")
	err = eachRow(rows, err, func(r *sql.Rows) error {
		seen++
		return stop
	})
	if !errors.Is(err, stop) || seen != 1 {
		t.Fatalf("eachRow = %v after %d rows; want stop after 1", err, seen)
	}
	// Rows are closed: the database still has its one connection free.
	db.sql.SetMaxOpenConns(1)
	for range 3 {
		rows, err := db.sql.QueryContext(ctx, "SELECT n FROM t")
		if _, err := scanAll(rows, err, scanInt64); err != nil {
			t.Fatal(err)
		}
	}
}
