package store

import (
	"context"
	"strings"
	"testing"
)

// TestStaffQueriesUseTheirIndex: the organisation's staff and a group's
// assistants are read through memberships_staff, and its bots through
// identities_bots, not by walking every membership (or identity) of the
// organisation or the group (which took a quarter of the CPU of a
// sustained ingest with 200,000 members); the ladder's count and the
// ingest's other lookups by group and person ask by both (migration 0037).
func TestStaffQueriesUseTheirIndex(t *testing.T) {
	ctx := context.Background()
	db := openMigrated(t)
	for _, tt := range []struct {
		name, query string
		args        []any
		want        []string // in the plan
	}{
		{"staff", db.staffQuery(), []any{1, 1}, []string{"INDEX memberships_staff (role=? AND left_at=?", "SCAN i USING COVERING INDEX identities_bots"}},
		{"assistants", db.assistantsQuery(), []any{1}, []string{"INDEX memberships_staff (role=? AND left_at=? AND group_id=?)"}},
		// The ladder's count, in the ingest writer for every laddered offence.
		{"ladder", db.q(countOffencesSQL), []any{1, 0}, []string{"INDEX moderation_person (person_id=? AND created_at>?)",
			"INDEX memberships_person (person_id=? AND group_id=?)", "INDEX memberships_person (person_id=? AND group_id=? AND joined_at>?)"}},
		{"last left", lastLeftSQL, []any{1, 1}, []string{"INDEX memberships_person (person_id=? AND group_id=?)"}},
		{"open membership", openMembershipSQL, []any{1, 1}, []string{"INDEX memberships_open (group_id=? AND person_id=?)"}},
		{"group active", groupActiveSQL, []any{1, 0}, []string{"INDEX messages_group_time (group_id=? AND sent_at>?)"}},
	} {
		rows, err := db.sql.QueryContext(ctx, "EXPLAIN QUERY PLAN "+tt.query, tt.args...)
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
		for _, w := range tt.want {
			if !strings.Contains(p, w) {
				t.Errorf("%s: the plan does not read %q:\n%s", tt.name, w, p)
			}
		}
		if tt.name == "assistants" && strings.Contains(p, "USE TEMP B-TREE FOR ORDER BY") {
			t.Errorf("%s: the plan sorts:\n%s", tt.name, p)
		}
	}
}
