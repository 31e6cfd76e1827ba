// Package store implements qunzhu's storage on SQLite (the embedded default,
// pure Go, WAL and foreign keys on) and PostgreSQL (for scale), behind one
// type. Queries are written once with ? placeholders and rebound for
// PostgreSQL; schema migrations are embedded and numbered per dialect.
//
// Times are stored as unix milliseconds (UTC) in both dialects so that the
// same Go code reads them back identically.
//
// The store implements the domain packages' interfaces (community,
// content, analytics, access, pipeline's Tx and Outbox): its methods take
// and return their types. Only internal/app imports it; the API and the
// console declare the small interfaces they need (docs/architecture.md).
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // also registers the "pgx" driver
	_ "modernc.org/sqlite"           // registers the "sqlite" driver

	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Dialect is the SQL dialect of a database.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

//go:embed migrations
var migrationFS embed.FS

// DB is qunzhu's database.
type DB struct {
	sql     *sql.DB
	dialect Dialect
	log     *slog.Logger
	now     func() time.Time
	zone    string         // the zone of push slots that name none
	policy  content.Policy // groups' rules for pushes, running connections (SetPushPolicy)
	// linkBase is where short links are served (SetLinkBase); "": pushes
	// keep their links.
	linkBase string

	mu      sync.Mutex
	rebinds map[string]string    // ?-query → $n-query, PostgreSQL only
	stmts   map[string]*sql.Stmt // prepared statements of the hot paths

	ingestMu   sync.Mutex
	ingestConn *sql.Conn // the ingest batches' own connection (Ingest)

	// writes queues this process's SQLite writers (writeTurn): SQLite
	// lets one write at a time and makes the others poll for the lock,
	// so under a continuous ingest the lease renewals and the
	// scheduler's writes lost every race and failed after busy_timeout
	// (the webhook connection was dropped under load). Blocked senders
	// on a channel are served in turn. nil on PostgreSQL.
	writes chan struct{}
	busy   time.Duration
	// ckpt copies SQLite's log into the database file off the writing
	// connection (checkpoint.go); nil on PostgreSQL.
	ckpt *checkpoints
}

// Options configure Open.
type Options struct {
	Logger       *slog.Logger
	Now          func() time.Time // the clock; time.Now when nil
	MaxOpenConns int              // 0: a dialect default
	BusyTimeout  time.Duration    // SQLite busy timeout; 5s when 0
	// Location is the server's time zone, the zone of push slots that
	// name none; content.DefaultZone's when nil.
	Location *time.Location
}

// mapSize is how much of an SQLite database file a connection of
// mappedConn reads through a memory map (PRAGMA mmap_size): SQLite's own
// limit, just under 2 GB. The mapped pages are the operating system's
// page cache, shared and reclaimable, though they count in the process's
// resident memory while mapped.
const mapSize = 0x7fff0000

// Open opens a database. driver is "sqlite" (dsn: a file path) or
// "postgres" (dsn: a postgres:// URL). It does not migrate: call Migrate.
func Open(ctx context.Context, driver, dsn string, opt Options) (*DB, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Location == nil {
		opt.Location, _ = content.LoadZone("")
	}
	db := &DB{log: opt.Logger, now: opt.Now, zone: opt.Location.String(), rebinds: map[string]string{}, stmts: map[string]*sql.Stmt{}}
	var err error
	switch driver {
	case "sqlite":
		db.dialect = SQLite
		busy := opt.BusyTimeout
		if busy <= 0 {
			busy = 5 * time.Second
		}
		db.writes, db.busy, db.ckpt = make(chan struct{}, 1), busy, &checkpoints{restartAt: restartFrames}
		// _txlock=immediate makes every write transaction take the write lock
		// at BEGIN, so concurrent writers queue on busy_timeout instead of
		// failing with SQLITE_BUSY on upgrade. No connection checkpoints
		// by itself: the checkpointer does (checkpoint.go).
		q := fmt.Sprintf("_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(%d)&_pragma=cache_size(-65536)&_pragma=wal_autocheckpoint(0)&_txlock=immediate", busy.Milliseconds())
		if err := privateFiles(dsn, opt.Logger); err != nil {
			return nil, err
		}
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		db.sql, err = sql.Open("sqlite", "file:"+strings.TrimPrefix(dsn, "file:")+sep+q)
		if err == nil {
			n := opt.MaxOpenConns
			if n <= 0 {
				n = 8
			}
			db.sql.SetMaxOpenConns(n)
			db.sql.SetMaxIdleConns(n)
			db.sql.SetConnMaxLifetime(0)
		}
	case "postgres":
		db.dialect = Postgres
		var cfg *pgx.ConnConfig
		if cfg, err = pgx.ParseConfig(dsn); err != nil {
			return nil, errkind.Errorf(errkind.Invalid, "database url: %v", err)
		}
		// PostgreSQL's JIT compiles the rollup's and the console's large
		// reads at every execution (1.4 s of an 18 s read at full size)
		// and gains nothing on them; a DSN's own jit setting wins.
		if _, set := cfg.RuntimeParams["jit"]; !set {
			cfg.RuntimeParams["jit"] = "off"
		}
		db.sql = stdlib.OpenDB(*cfg)
		if err == nil {
			n := opt.MaxOpenConns
			if n <= 0 {
				n = 16
			}
			db.sql.SetMaxOpenConns(n)
			db.sql.SetMaxIdleConns(n)
		}
	default:
		return nil, errkind.Errorf(errkind.Invalid, "database driver %q: want sqlite or postgres", driver)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", driver, err)
	}
	if err := db.sql.PingContext(ctx); err != nil {
		db.sql.Close()
		return nil, fmt.Errorf("connect to %s database: %w", driver, err)
	}
	if db.dialect == SQLite {
		// Verify the pragmas took: a silently rollback-journal or FK-less
		// database would be a correctness bug, not a slowdown.
		var mode string
		var fk int
		if err := db.sql.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
			db.sql.Close()
			return nil, fmt.Errorf("read journal mode: %w", err)
		}
		if err := db.sql.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			db.sql.Close()
			return nil, fmt.Errorf("read foreign_keys: %w", err)
		}
		if !strings.EqualFold(mode, "wal") && !strings.Contains(dsn, ":memory:") {
			db.sql.Close()
			return nil, fmt.Errorf("sqlite journal mode is %q, want wal", mode)
		}
		if fk != 1 {
			db.sql.Close()
			return nil, errors.New("sqlite foreign keys are off")
		}
	}
	return db, nil
}

// privateFiles makes a SQLite database readable by its owner only: the
// file is created 0600 before SQLite opens it (SQLite gives the -wal and
// -shm files the database's mode), and an existing database and its -wal
// and -shm files that others could read are made 0600, with a log line.
// An in-memory database has no files.
func privateFiles(dsn string, log *slog.Logger) error {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	if path == "" || strings.Contains(path, ":memory:") {
		return nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open database file: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("database file: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("make %s private: %w", p, err)
			}
			log.Warn("database file was readable by others: made it 0600", "file", p, "was", fi.Mode().Perm().String())
		}
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.stopCheckpoints()
	db.ingestMu.Lock()
	db.dropIngestConn()
	db.ingestMu.Unlock()
	db.mu.Lock()
	for _, st := range db.stmts {
		st.Close()
	}
	clear(db.stmts)
	db.mu.Unlock()
	return db.sql.Close()
}

// stmt returns a prepared statement for an already rebound query, used
// within tx when tx is not nil. Preparing once matters on SQLite, where
// parsing a statement costs as much as running it.
func (db *DB) stmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	db.mu.Lock()
	st, ok := db.stmts[query]
	db.mu.Unlock()
	if !ok {
		var err error
		st, err = db.sql.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		db.mu.Lock()
		if prev, ok := db.stmts[query]; ok {
			st.Close()
			st = prev
		} else {
			db.stmts[query] = st
		}
		db.mu.Unlock()
	}
	if tx != nil {
		return tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

// prepared is a queryer running each statement through stmt: for code that
// runs the same few statements thousands of times — the ingest's helpers
// shared with the rest of the store (createGroup, addMembership), the
// question tracker — where SQLite would otherwise parse each of them at
// every call (parsing costs as much as running). A statement that fails
// to prepare runs unprepared, which reports why the same way.
type prepared struct {
	db *DB
	tx *sql.Tx // nil: outside a transaction
}

// prepared returns a queryer over tx (nil: the database) whose statements
// are prepared once per text. Only for statements of fixed text.
func (db *DB) prepared(tx *sql.Tx) queryer { return prepared{db, tx} }

func (p prepared) plain() queryer {
	if p.tx != nil {
		return p.tx
	}
	return p.db.sql
}

func (p prepared) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := p.db.stmt(ctx, p.tx, query)
	if err != nil {
		return p.plain().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

func (p prepared) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := p.db.stmt(ctx, p.tx, query)
	if err != nil {
		return p.plain().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

func (p prepared) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := p.db.stmt(ctx, p.tx, query)
	if err != nil {
		return p.plain().ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Rebind turns a query written with ? placeholders into the dialect's.
func (db *DB) Rebind(query string) string { return db.q(query) }

// SQL returns the underlying *sql.DB, for tests and benchmarks.
func (db *DB) SQL() *sql.DB { return db.sql }

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.sql.PingContext(ctx) }

// q rebinds a ?-placeholder query for the dialect, caching the result.
func (db *DB) q(query string) string {
	if db.dialect != Postgres {
		return query
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	if r, ok := db.rebinds[query]; ok {
		return r
	}
	r := rebind(query)
	db.rebinds[query] = r
	return r
}

// rebind turns ? placeholders into $1, $2… outside string literals.
func rebind(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inStr := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inStr = !inStr
			b.WriteByte(c)
		case c == '?' && !inStr:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// ms converts a time to stored unix milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// fromMS converts stored unix milliseconds to a UTC time.
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// nullMS converts an optional time.
func nullMS(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

// fromNullMS converts an optional stored time.
func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

// nullID stores 0 as NULL for optional foreign keys.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the embedded migrations of the dialect, in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := path.Join("migrations", string(d))
	entries, err := fs.ReadDir(migrationFS, dir)
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and _", name)
		}
		body, err := fs.ReadFile(migrationFS, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("read migration %s: %w", name, err)
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d (migrations are numbered without gaps)", out[i].Name, i+1)
		}
	}
	return out, nil
}

// SchemaStatus reports the applied and the latest known schema version.
func (db *DB) SchemaStatus(ctx context.Context) (current, latest int, err error) {
	ms, err := Migrations(db.dialect)
	if err != nil {
		return 0, 0, err
	}
	latest = len(ms)
	if err := db.ensureMigrationTable(ctx); err != nil {
		return 0, latest, err
	}
	var v sql.NullInt64
	if err := db.sql.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return 0, latest, fmt.Errorf("read schema version: %w", err)
	}
	return int(v.Int64), latest, nil
}

// ErrSchemaOutOfDate is returned by CheckSchema when migrations are pending.
var ErrSchemaOutOfDate = errors.New("database schema is out of date")

// CheckSchema returns an error wrapping ErrSchemaOutOfDate (kind
// Unavailable) unless the schema is current, and an error when the database
// is newer than this binary.
func (db *DB) CheckSchema(ctx context.Context) error {
	cur, latest, err := db.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	switch {
	case cur < latest:
		return &errkind.Error{Kind: errkind.Unavailable, Message: fmt.Sprintf("database schema is at version %d, this binary needs %d: run `qunzhu migrate` or start with --migrate", cur, latest), Err: ErrSchemaOutOfDate}
	case cur > latest:
		return errkind.Errorf(errkind.Unavailable, "database schema is at version %d, newer than this binary knows (%d): upgrade qunzhu", cur, latest)
	}
	return nil
}

func (db *DB) ensureMigrationTable(ctx context.Context) error {
	_, err := db.sql.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT PRIMARY KEY,
		name       TEXT NOT NULL,
		applied_at BIGINT NOT NULL)`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return nil
}

// Migrate applies pending migrations, each in its own transaction, and
// returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	migs, err := Migrations(db.dialect)
	if err != nil {
		return 0, err
	}
	cur, _, err := db.SchemaStatus(ctx)
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, m := range migs {
		if m.Version <= cur {
			continue
		}
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			if db.dialect == Postgres {
				// Serialise concurrent migrators on PostgreSQL.
				if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7236661)"); err != nil {
					return err
				}
				var done int
				if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&done); err != nil {
					return err
				}
				if done > 0 {
					return nil
				}
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, db.q("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)"), m.Version, m.Name, ms(db.now()))
			return err
		})
		if err != nil {
			return applied, fmt.Errorf("apply migration %s: %w", m.Name, err)
		}
		db.log.Info("applied migration", "version", m.Version, "name", m.Name)
		applied++
	}
	return applied, nil
}

// writeTurn waits for this process's turn to write to SQLite (at once on
// PostgreSQL) and returns the function that ends it. Waiting longer than
// the busy timeout fails as SQLite's own wait would.
func (db *DB) writeTurn(ctx context.Context) (func(), error) {
	if db.writes == nil {
		return func() {}, nil
	}
	t := time.NewTimer(db.busy)
	defer t.Stop()
	select {
	case db.writes <- struct{}{}:
		got := time.Now()
		var pcs [16]uintptr
		n := runtime.Callers(2, pcs[:]) // from writeTurn's caller
		return func() {
			if d := time.Since(got); d > time.Second {
				db.log.Warn("long write", "held", d, "by", writer(pcs[:n]))
			}
			<-db.writes
		}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, errkind.Errorf(errkind.Unavailable, "database busy: no turn to write within %v", db.busy)
	}
}

// writePlumbing are the store's functions between a write and its turn.
var writePlumbing = map[string]bool{"onWriter": true, "writeOn": true, "onIngestConn": true, "exec": true, "scanWrite": true, "inTx": true}

// writer names the first caller on the stack that is not the store's
// write plumbing: the code that wrote.
func writer(pcs []uintptr) string {
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if name := f.Function[strings.LastIndex(f.Function, ".")+1:]; !writePlumbing[name] || !more {
			return fmt.Sprintf("%s:%d", f.File, f.Line)
		}
	}
}

// exec runs one write statement outside a transaction, in this process's
// turn to write and, on SQLite, on the writing connection (onWriter): a
// statement through the pool that raced the queue instead would wait on
// SQLite's polling busy handler and lose to it under a continuous ingest.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.onIngestConn(ctx, func(q queryer) error {
		var err error
		res, err = q.ExecContext(ctx, query, args...)
		return err
	})
	return res, err
}

// scanWrite runs one write statement that returns a row (INSERT …
// RETURNING) outside a transaction as exec does, and scans the row into
// dest.
func (db *DB) scanWrite(ctx context.Context, query string, args []any, dest ...any) error {
	return db.onIngestConn(ctx, func(q queryer) error {
		return q.QueryRowContext(ctx, query, args...).Scan(dest...)
	})
}

// inTx runs fn in a transaction, committing when it returns nil: on
// SQLite on the writing connection in its turn (onWriter).
func (db *DB) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if db.dialect == SQLite {
		return db.onWriter(ctx, func(c *sql.Conn) (bool, error) {
			tx, err := c.BeginTx(ctx, nil)
			if err != nil {
				return true, fmt.Errorf("begin: %w", err)
			}
			return commitOrRollback(tx, fn(tx))
		})
	}
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	_, err = commitOrRollback(tx, fn(tx))
	return err
}

// commitOrRollback ends a transaction: rolled back when its work failed
// (err), else committed. It reports whether the connection may be broken
// (the rollback or the commit failed).
func commitOrRollback(tx *sql.Tx, err error) (bool, error) {
	if err != nil {
		if rerr := tx.Rollback(); rerr != nil && !errors.Is(rerr, sql.ErrTxDone) {
			return true, err
		}
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return true, fmt.Errorf("commit: %w", err)
	}
	return false, nil
}
