package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// schema is what a database looks like after all migrations, in terms both
// dialects share: per table its columns (a type family and whether NULL is
// allowed), its primary key, its unique constraints and its named indexes.
type schema map[string]*table

type table struct {
	columns map[string]column
	pk      string            // the primary key's columns, comma-separated
	uniques []string          // unique constraints' columns, sorted
	indexes map[string]string // named index → "unique a,b" or "a,b"
}

type column struct {
	family  string // int, text, real, bool, bytes
	notNull bool
}

// family groups a declared type by what values it holds, so that SQLite's
// INTEGER and PostgreSQL's BIGINT agree.
func family(t string) string {
	t = strings.ToLower(t)
	switch {
	case strings.Contains(t, "bool"):
		return "bool"
	case strings.Contains(t, "int"):
		return "int"
	case strings.Contains(t, "char"), strings.Contains(t, "text"), strings.Contains(t, "clob"), t == "json", t == "jsonb":
		return "text"
	case strings.Contains(t, "real"), strings.Contains(t, "floa"), strings.Contains(t, "doub"), strings.Contains(t, "numeric"):
		return "real"
	case strings.Contains(t, "blob"), t == "bytea":
		return "bytes"
	}
	return "other:" + t
}

// TestSchemasAgree: the SQLite and PostgreSQL migrations build the same
// schema — tables, columns of compatible types and nullability, primary
// keys, unique constraints and named indexes with their columns — so a
// query or a feature tested on one dialect meets the same tables on the
// other. It needs PostgreSQL (QUNZHU_TEST_POSTGRES; mandatory under CI).
// postgresOnlyIndexes are the indexes PostgreSQL has on purpose and SQLite
// has not, with the reason.
var postgresOnlyIndexes = map[string]string{
	"messages_sent":      "PostgreSQL reads an organisation's day of messages through it; SQLite's planner reads a group at a time and never used it (migration message_indexes)",
	"member_days_window": "the day rollup's window read, index-only on PostgreSQL; SQLite reads it in primary-key order (migration member_days_window)",
}

func TestSchemasAgree(t *testing.T) {
	ctx := context.Background()
	lite := sqliteSchema(t, ctx, storetest.Open(t, store.SQLite, nil).SQL())
	pg := postgresSchema(t, ctx, storetest.Open(t, store.Postgres, nil).SQL())
	for d, s := range map[string]schema{"SQLite": lite, "PostgreSQL": pg} {
		n := 0
		for _, tb := range s {
			n += len(tb.indexes) + len(tb.uniques)
		}
		if len(s) < 10 || n < 10 {
			t.Fatalf("%s schema: %d tables, %d indexes and unique constraints: the introspection is broken", d, len(s), n)
		}
	}
	var diffs []string
	for _, name := range union(keys(lite), keys(pg)) {
		l, p := lite[name], pg[name]
		switch {
		case l == nil:
			diffs = append(diffs, fmt.Sprintf("table %s: only in PostgreSQL", name))
			continue
		case p == nil:
			diffs = append(diffs, fmt.Sprintf("table %s: only in SQLite", name))
			continue
		}
		for _, c := range union(keys(l.columns), keys(p.columns)) {
			lc, lok := l.columns[c]
			pc, pok := p.columns[c]
			switch {
			case !lok:
				diffs = append(diffs, fmt.Sprintf("column %s.%s: only in PostgreSQL", name, c))
			case !pok:
				diffs = append(diffs, fmt.Sprintf("column %s.%s: only in SQLite", name, c))
			// SQLite has no boolean type: its booleans are INTEGER 0 and 1.
			case lc != pc && !(lc.family == "int" && pc.family == "bool" && lc.notNull == pc.notNull):
				diffs = append(diffs, fmt.Sprintf("column %s.%s: SQLite %+v, PostgreSQL %+v", name, c, lc, pc))
			}
		}
		if l.pk != p.pk {
			diffs = append(diffs, fmt.Sprintf("table %s: primary key (%s) in SQLite, (%s) in PostgreSQL", name, l.pk, p.pk))
		}
		if !slices.Equal(l.uniques, p.uniques) {
			diffs = append(diffs, fmt.Sprintf("table %s: unique constraints %q in SQLite, %q in PostgreSQL", name, l.uniques, p.uniques))
		}
		for _, ix := range union(keys(l.indexes), keys(p.indexes)) {
			if _, ok := postgresOnlyIndexes[ix]; ok && l.indexes[ix] == "" && p.indexes[ix] != "" {
				continue
			}
			if l.indexes[ix] != p.indexes[ix] {
				diffs = append(diffs, fmt.Sprintf("index %s on %s: SQLite %q, PostgreSQL %q", ix, name, l.indexes[ix], p.indexes[ix]))
			}
		}
	}
	for _, d := range diffs {
		t.Error(d)
	}
}

func sqliteSchema(t *testing.T, ctx context.Context, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	for _, name := range strs(t, ctx, db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name") {
		tb := &table{columns: map[string]column{}, indexes: map[string]string{}}
		s[name] = tb
		rows, err := db.QueryContext(ctx, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, name)
		if err != nil {
			t.Fatal(err)
		}
		pk := map[int]string{}
		for rows.Next() {
			var col, typ string
			var notNull bool
			var pkPos int
			if err := rows.Scan(&col, &typ, &notNull, &pkPos); err != nil {
				t.Fatal(err)
			}
			if pkPos > 0 {
				pk[pkPos] = col
				notNull = true // SQLite does not say so of an INTEGER PRIMARY KEY; it is
			}
			tb.columns[col] = column{family(typ), notNull}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		for i := 1; i <= len(pk); i++ {
			tb.pk = appendCol(tb.pk, pk[i])
		}
		rows, err = db.QueryContext(ctx, `SELECT name, "unique", origin FROM pragma_index_list(?)`, name)
		if err != nil {
			t.Fatal(err)
		}
		type index struct {
			name, origin string
			unique       bool
		}
		var list []index
		for rows.Next() {
			var ix index
			if err := rows.Scan(&ix.name, &ix.unique, &ix.origin); err != nil {
				t.Fatal(err)
			}
			list = append(list, ix)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		for _, ix := range list {
			cols := strings.Join(strs(t, ctx, db, "SELECT COALESCE(name, '<expr>') FROM pragma_index_info(?) ORDER BY seqno", ix.name), ",")
			switch ix.origin {
			case "pk": // the primary key's own index
			case "u": // a UNIQUE constraint
				tb.uniques = append(tb.uniques, cols)
			default: // CREATE [UNIQUE] INDEX
				tb.indexes[ix.name] = indexDesc(ix.unique, cols)
			}
		}
		sort.Strings(tb.uniques)
	}
	return s
}

func postgresSchema(t *testing.T, ctx context.Context, db *sql.DB) schema {
	t.Helper()
	s := schema{}
	for _, name := range strs(t, ctx, db, "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name") {
		tb := &table{columns: map[string]column{}, indexes: map[string]string{}}
		s[name] = tb
		rows, err := db.QueryContext(ctx, `SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = $1`, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var col, typ string
			var notNull bool
			if err := rows.Scan(&col, &typ, &notNull); err != nil {
				t.Fatal(err)
			}
			tb.columns[col] = column{family(typ), notNull}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		rows, err = db.QueryContext(ctx, `SELECT i.relname, ix.indisunique, ix.indisprimary,
				EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype = 'u'),
				(SELECT string_agg(COALESCE(a.attname, '<expr>'), ',' ORDER BY k.ord)
				 FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
				 LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum AND k.attnum > 0)
			FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class tb ON tb.oid = ix.indrelid
			JOIN pg_namespace n ON n.oid = tb.relnamespace
			WHERE n.nspname = current_schema() AND tb.relname = $1`, name)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var ix, cols string
			var unique, primary, constraint bool
			if err := rows.Scan(&ix, &unique, &primary, &constraint, &cols); err != nil {
				t.Fatal(err)
			}
			switch {
			case primary:
				tb.pk = cols
			case constraint:
				tb.uniques = append(tb.uniques, cols)
			default:
				tb.indexes[ix] = indexDesc(unique, cols)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sort.Strings(tb.uniques)
	}
	return s
}

func indexDesc(unique bool, cols string) string {
	if unique {
		return "unique " + cols
	}
	return cols
}

func appendCol(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

func strs(t *testing.T, ctx context.Context, db *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func union(a, b []string) []string {
	out := slices.Concat(a, b)
	slices.Sort(out)
	return slices.Compact(out)
}
