package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sort"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// TableStat is the size of one table, its indexes included.
type TableStat struct {
	Name  string
	Rows  int64
	Bytes int64
	// Estimated: Rows is the planner's estimate (PostgreSQL), not a count.
	Estimated bool
}

// TableStats returns every table of qunzhu's schema with its rows and
// bytes on disk (indexes included), largest first. On SQLite the rows are
// counted; on PostgreSQL they are the statistics' estimate where there is
// one (a count where there is none).
func (db *DB) TableStats(ctx context.Context) ([]TableStat, error) {
	var out []TableStat
	var err error
	if db.dialect == SQLite {
		out, err = db.sqliteTableStats(ctx)
	} else {
		out, err = db.postgresTableStats(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("table sizes: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

func (db *DB) sqliteTableStats(ctx context.Context) ([]TableStat, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT s.tbl_name, SUM(d.pgsize) FROM dbstat d JOIN sqlite_schema s ON s.name = d.name
		WHERE s.tbl_name NOT LIKE 'sqlite_%' GROUP BY s.tbl_name`)
	sizes := map[string]int64{}
	if err := eachRow(rows, err, func(r *sql.Rows) error {
		var name string
		var n int64
		if err := r.Scan(&name, &n); err != nil {
			return err
		}
		sizes[name] = n
		return nil
	}); err != nil {
		return nil, err
	}
	rows, err = db.sql.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	names, err := scanAll(rows, err, func(r *sql.Rows, s *string) error { return r.Scan(s) })
	if err != nil {
		return nil, err
	}
	out := make([]TableStat, 0, len(names))
	for _, name := range names {
		t := TableStat{Name: name, Bytes: sizes[name]}
		if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+name+`"`).Scan(&t.Rows); err != nil {
			return nil, fmt.Errorf("count %s: %w", name, err)
		}
		out = append(out, t)
	}
	return out, nil
}

func (db *DB) postgresTableStats(ctx context.Context) ([]TableStat, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT c.relname, c.reltuples::BIGINT, pg_total_relation_size(c.oid) FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() ORDER BY c.relname`)
	out, err := scanAll(rows, err, func(r *sql.Rows, t *TableStat) error {
		t.Estimated = true
		return r.Scan(&t.Name, &t.Rows, &t.Bytes)
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Rows < 0 { // never analysed: count
			if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+out[i].Name+`"`).Scan(&out[i].Rows); err != nil {
				return nil, fmt.Errorf("count %s: %w", out[i].Name, err)
			}
			out[i].Estimated = false
		}
	}
	return out, nil
}

// BackupTo writes a consistent copy of a SQLite database to path, which
// must not exist, while the database stays in use (VACUUM INTO reads one
// snapshot: what committed before it began is in the copy, whatever is
// written meanwhile). The copy is created readable by its owner only.
// PostgreSQL is backed up with pg_dump (docs/operations.md).
func (db *DB) BackupTo(ctx context.Context, path string) error {
	if db.dialect != SQLite {
		return errkind.New(errkind.Invalid, "back up PostgreSQL with pg_dump (see docs/operations.md)")
	}
	// VACUUM INTO writes into an empty file as it finds it: create it
	// first, so that it is the owner's only.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return errkind.Errorf(errkind.Conflict, "%s exists: back up to a new file", path)
	}
	if err != nil {
		return fmt.Errorf("create backup: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("create backup: %w", err)
	}
	if _, err := db.sql.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("back up to %s: %w", path, err)
	}
	return nil
}

// IntegrityCheck runs SQLite's integrity check and returns its findings
// ("ok" when there are none). On PostgreSQL it returns "ok".
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	if db.dialect != SQLite {
		return "ok", nil
	}
	rows, err := db.sql.QueryContext(ctx, "PRAGMA integrity_check")
	lines, err := scanAll(rows, err, func(r *sql.Rows, s *string) error { return r.Scan(s) })
	if err != nil {
		return "", fmt.Errorf("integrity check: %w", err)
	}
	if len(lines) == 1 && lines[0] == "ok" {
		return "ok", nil
	}
	msg := ""
	for i, l := range lines {
		if i == 5 {
			msg += fmt.Sprintf("; … %d more", len(lines)-5)
			break
		}
		if i > 0 {
			msg += "; "
		}
		msg += l
	}
	return msg, nil
}
