package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaffQueriesUseTheirIndex: the organisation's staff and a group's
// assistants are read through memberships_staff, and its bots through
// identities_bots, not by walking every membership (or identity) of the
// organisation or the group (which took a quarter of
// the CPU of a sustained ingest with 200,000 members).
func TestStaffQueriesUseTheirIndex(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, "sqlite", filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for name, q := range map[string]string{"staff": db.staffQuery(), "assistants": db.assistantsQuery()} {
		rows, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, 1, 1)
		if name == "assistants" {
			rows, err = db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, 1)
		}
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		p := strings.Join(plan, "\n")
		if !strings.Contains(p, "INDEX memberships_staff (role=? AND left_at=?") {
			t.Errorf("%s: plan does not search memberships_staff:\n%s", name, p)
		}
		if name == "staff" && !strings.Contains(p, "SCAN i USING COVERING INDEX identities_bots") {
			t.Errorf("staff: the bots are not read through identities_bots:\n%s", p)
		}
		if name == "assistants" && strings.Contains(p, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: plan sorts:\n%s", name, p)
		}
	}
}
