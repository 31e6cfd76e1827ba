package store_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/qunzhu/qunzhu/internal/store"
)

// TestDatabaseFilesPrivate: the SQLite database and its -wal and -shm
// files are readable by their owner only, a new database and an old one
// that others could read alike.
func TestDatabaseFilesPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := t.TempDir()
	fresh, existing := filepath.Join(dir, "new.db"), filepath.Join(dir, "old.db")
	for _, f := range []string{existing, existing + "-wal"} {
		if err := os.WriteFile(f, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, path := range []string{fresh, existing} {
		db, err := store.Open(ctx, "sqlite", path, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(ctx); err != nil { // writes: the -wal and -shm files exist while it is open
			t.Fatal(err)
		}
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(f)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: mode %v, want 0600", filepath.Base(f), fi.Mode().Perm())
			}
		}
		db.Close()
	}
}
