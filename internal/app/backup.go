package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/store"
)

// Backup, restore and the database's sizes (docs/operations.md).

const pgBackupHint = `the database is PostgreSQL: back it up with pg_dump, e.g.
  pg_dump --format=custom --file=qunzhu-$(date +%F).dump "$DATABASE_URL"
and restore into an empty database with pg_restore, then run qunzhu migrate
(it refuses a database newer than the binary and migrates an older one)`

// cmdBackup is `qunzhu backup [--force] FILE`: a consistent copy of the
// SQLite database, taken while qunzhu serves.
func cmdBackup(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("backup")
	cfgPath := fs.String("config", "", "configuration file")
	force := fs.Bool("force", false, "replace FILE if it exists")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("backup: name one file to write the backup to")
	}
	target := files[0]
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	driver, dsn := cfg.DatabaseDSN()
	if driver != "sqlite" {
		return errors.New("backup: " + pgBackupHint)
	}
	if _, err := os.Stat(dsn); err != nil {
		return fmt.Errorf("backup: no database at %s: %w", dsn, errors.Unwrap(err))
	}
	if _, err := os.Stat(target); err == nil && !*force {
		return fmt.Errorf("backup: %s exists (use --force to replace it)", target)
	}
	began := time.Now()
	db, err := openStore(ctx, cfg, newLogger(env.Stderr, "warn", cfg.Log.Format))
	if err != nil {
		return err
	}
	defer db.Close()
	// Into a new file beside the target, then renamed over it: a backup
	// that fails half-way leaves no half file under the backup's name.
	tmp := filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".tmp-"+randomHex(4))
	if err := db.BackupTo(ctx, tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	keep := false
	defer func() {
		if !keep {
			os.Remove(tmp)
		}
	}()
	version, err := checkBackup(ctx, tmp)
	if err != nil {
		return fmt.Errorf("backup: the copy does not read back: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	keep = true
	syncDir(filepath.Dir(target))
	st, _ := os.Stat(target)
	fmt.Fprintf(env.Stdout, "backed up %s to %s: %s, schema version %d, in %s\n", dsn, target, size(st.Size()), version, time.Since(began).Round(time.Millisecond))
	return nil
}

// checkBackup opens a backup and checks it whole; it returns its schema
// version.
func checkBackup(ctx context.Context, path string) (int, error) {
	db, err := store.Open(ctx, "sqlite", path, store.Options{})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	if msg, err := db.IntegrityCheck(ctx); err != nil {
		return 0, err
	} else if msg != "ok" {
		return 0, fmt.Errorf("integrity check: %s", msg)
	}
	cur, _, err := db.SchemaStatus(ctx)
	return cur, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable (best effort: not every system
// syncs directories).
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// cmdRestore is `qunzhu restore FILE`: a backup into an empty data
// directory, checked, and migrated when it is older than the binary.
func cmdRestore(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("restore")
	cfgPath := fs.String("config", "", "configuration file")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return usagef("restore: name the backup file to restore")
	}
	src := files[0]
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	driver, dsn := cfg.DatabaseDSN()
	if driver != "sqlite" {
		return errors.New("restore: " + pgBackupHint)
	}
	if err := checkSQLiteFile(src); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	created, err := emptyDataDir(cfg, dsn)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	ok := false
	restoring := dsn + ".restoring"
	defer func() {
		if !ok {
			os.Remove(restoring)
			for _, d := range created {
				os.Remove(d)
			}
		}
	}()
	if err := copyFile(src, restoring); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	from, to, err := checkRestored(ctx, cfg, restoring, src)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(restoring, dsn); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	ok = true
	syncDir(filepath.Dir(dsn))
	if from != to {
		fmt.Fprintf(env.Stdout, "restored %s into %s and migrated its schema from version %d to %d; start qunzhu serve\n", src, dsn, from, to)
	} else {
		fmt.Fprintf(env.Stdout, "restored %s into %s (schema version %d); start qunzhu serve\n", src, dsn, to)
	}
	return nil
}

// checkSQLiteFile refuses what is not a SQLite database.
func checkSQLiteFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 16)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("SQLite format 3\x00")) {
		return fmt.Errorf("%s is not a qunzhu backup: not a SQLite database", path)
	}
	return nil
}

// emptyDataDir makes sure a restore writes into nothing: the data
// directory is absent or empty, and so is the database's place. It
// returns the directories it created (removed again if the restore fails).
func emptyDataDir(cfg *config.Config, dsn string) ([]string, error) {
	var created []string
	for _, dir := range []string{cfg.Data.Dir, filepath.Dir(dsn)} {
		entries, err := os.ReadDir(dir)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return created, err
			}
			created = append(created, dir)
		case err != nil:
			return created, err
		case len(entries) > 0 && dir == cfg.Data.Dir && !contains(created, dir):
			return created, fmt.Errorf("the data directory %s is not empty: restore into an empty one (move the old one aside first)", dir)
		}
	}
	for _, p := range []string{dsn, dsn + "-wal", dsn + "-shm"} {
		if _, err := os.Stat(p); err == nil {
			return created, fmt.Errorf("%s exists: restore into an empty place", p)
		}
	}
	return created, nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// checkRestored checks a restored copy is a qunzhu database, whole, whose
// schema this binary knows, and migrates it when it is older: it returns
// the schema versions before and after.
func checkRestored(ctx context.Context, cfg *config.Config, path, src string) (from, to int, err error) {
	db, err := store.Open(ctx, "sqlite", path, store.Options{Location: cfg.Location()})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if msg, err := db.IntegrityCheck(ctx); err != nil {
		return 0, 0, err
	} else if msg != "ok" {
		return 0, 0, fmt.Errorf("%s is damaged: %s", src, msg)
	}
	var tables int
	if err := db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('schema_migrations', 'orgs')").Scan(&tables); err != nil {
		return 0, 0, err
	}
	if tables != 2 {
		return 0, 0, fmt.Errorf("%s is not a qunzhu backup: it has no qunzhu schema", src)
	}
	from, latest, err := db.SchemaStatus(ctx)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case from > latest:
		return from, latest, fmt.Errorf("%s was made by a newer qunzhu (schema version %d; this one knows %d): restore it with that version or newer", src, from, latest)
	case from < latest:
		if _, err := db.Migrate(ctx); err != nil {
			return from, from, fmt.Errorf("migrate the restored database: %w", err)
		}
	}
	return from, latest, nil
}

// cmdDB is `qunzhu db stats`: the tables' rows and sizes.
func cmdDB(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "stats" {
		if len(args) > 0 {
			return usagef("db: unknown subcommand %q%s", args[0], suggest(args[0], []string{"stats"}))
		}
		return usagef("db: want a subcommand: stats")
	}
	fs := newFlagSet("db stats")
	cfgPath := fs.String("config", "", "configuration file")
	if err := parseFlags(fs, args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("db stats: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	driver, dsn := cfg.DatabaseDSN()
	if driver == "sqlite" {
		if _, err := os.Stat(dsn); err != nil {
			return fmt.Errorf("db stats: no database at %s", dsn)
		}
	}
	db, err := openStore(ctx, cfg, newLogger(env.Stderr, "warn", cfg.Log.Format))
	if err != nil {
		return err
	}
	defer db.Close()
	stats, err := db.TableStats(ctx)
	if err != nil {
		return err
	}
	cur, latest, err := db.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "table\trows\tsize\t")
	var rows, bytes int64
	estimated := false
	for _, s := range stats {
		mark := ""
		if s.Estimated {
			mark, estimated = "≈", true
		}
		fmt.Fprintf(w, "%s\t%s%s\t%s\t\n", s.Name, mark, thousands(s.Rows), size(s.Bytes))
		rows += s.Rows
		bytes += s.Bytes
	}
	fmt.Fprintf(w, "total\t%s\t%s\t\n", thousands(rows), size(bytes))
	w.Flush()
	fmt.Fprintf(env.Stdout, "\n%s, schema version %d of %d", db.Dialect(), cur, latest)
	if driver == "sqlite" {
		fmt.Fprintf(env.Stdout, "; %s", dsn)
		for _, suffix := range []string{"", "-wal"} {
			if st, err := os.Stat(dsn + suffix); err == nil {
				fmt.Fprintf(env.Stdout, ", file%s %s", suffix, size(st.Size()))
			}
		}
	}
	fmt.Fprintln(env.Stdout)
	if estimated {
		fmt.Fprintln(env.Stdout, "≈: PostgreSQL's estimate (as of the table's last ANALYZE)")
	}
	return nil
}

// size writes a byte count for people.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f kB", float64(n)/(1<<10))
	}
	return strings.TrimSpace(fmt.Sprintf("%d B", n))
}
