// Package storetest opens throw-away databases for tests: a SQLite file in
// the test's temp dir always, and a fresh PostgreSQL database when
// QUNZHU_TEST_POSTGRES is set to an admin URL (.ci/run starts a server and
// sets it). Under CI=true the PostgreSQL run is mandatory.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL admin URL.
const EnvPostgres = "QUNZHU_TEST_POSTGRES"

// Dialects runs fn once per available dialect, each with a fresh, migrated
// database.
func Dialects(t *testing.T, now func() time.Time, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, Open(t, store.SQLite, now)) })
	t.Run("postgres", func(t *testing.T) { fn(t, Open(t, store.Postgres, now)) })
}

// Open returns a fresh migrated database of the dialect, closed (and for
// PostgreSQL dropped) when the test ends. It skips a PostgreSQL test when no
// server is configured, except under CI where that is a failure.
func Open(t testing.TB, d store.Dialect, now func() time.Time) *store.DB {
	t.Helper()
	db := OpenUnmigrated(t, d, now)
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// OpenUnmigrated is Open without migrating.
func OpenUnmigrated(t testing.TB, d store.Dialect, now func() time.Time) *store.DB {
	t.Helper()
	driver, dsn := DSN(t, d)
	db, err := store.Open(context.Background(), driver, dsn, store.Options{Now: now})
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// DSN returns a driver and DSN for a fresh database of the dialect.
func DSN(t testing.TB, d store.Dialect) (driver, dsn string) {
	t.Helper()
	if d == store.SQLite {
		return "sqlite", filepath.Join(t.TempDir(), "test.db")
	}
	admin := os.Getenv(EnvPostgres)
	if admin == "" {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is not set: PostgreSQL tests are mandatory in CI", EnvPostgres)
		}
		t.Skipf("PostgreSQL: set %s to an admin URL to run", EnvPostgres)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "qz_test_" + hex.EncodeToString(b[:])
	adm, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatalf("open postgres admin: %v", err)
	}
	defer adm.Close()
	if _, err := adm.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		adm, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer adm.Close()
		adm.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvPostgres, err)
	}
	u.Path = "/" + name
	return "postgres", u.String()
}
