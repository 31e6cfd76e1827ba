package access

import (
	"os"
	"strings"
	"testing"
)

func TestAllowed(t *testing.T) {
	tests := []struct {
		role Role
		p    Permission
		want bool
	}{
		{Manager, BanOrgWide, true},
		{Manager, ManageAccounts, true},
		{Secretary, PlanPush, true},
		{Secretary, Moderate, true},
		{Secretary, EditRules, true},
		{Secretary, RunEvents, true},
		{Secretary, BanOrgWide, false},
		{Secretary, SetLeaderRole, false},
		{Secretary, ManageAccounts, false},
		{Secretary, OverrideLint, false},
		{Assistant, WriteScript, true},
		{Assistant, Moderate, true},
		{Assistant, ReviewScript, false},
		{Assistant, PlanPush, false},
		{Viewer, WriteScript, false},
		{Viewer, Moderate, false},
		{Role("nobody"), WriteScript, false},
	}
	for _, tt := range tests {
		if got := Allowed(tt.role, tt.p); got != tt.want {
			t.Errorf("Allowed(%s, %s) = %v, want %v", tt.role, tt.p, got, tt.want)
		}
	}
	if err := (User{Role: Viewer}).Check(Moderate); err == nil {
		t.Error("a viewer may moderate")
	}
}

// TestPermissionTable keeps docs/permissions.md in step with the table:
// each permission's row there says ✓ for exactly the roles allowed.
func TestPermissionTable(t *testing.T) {
	doc, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	roles := []Role{Manager, Secretary, Assistant, Viewer}
	seen := map[Permission]bool{}
	for _, line := range strings.Split(string(doc), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || !strings.HasSuffix(line, "|") || len(line) < 2 {
			continue
		}
		cells := strings.Split(line[1:len(line)-1], "|")
		if len(cells) != 2+len(roles) {
			continue
		}
		p := Permission(strings.Trim(strings.TrimSpace(cells[1]), "`"))
		if !strings.Contains(cells[1], "`") {
			continue
		}
		seen[p] = true
		for i, r := range roles {
			got := strings.TrimSpace(cells[2+i]) == "✓"
			if got != Allowed(r, p) {
				t.Errorf("docs/permissions.md: %s for %s says %v, the table %v", p, r, got, Allowed(r, p))
			}
		}
	}
	for _, p := range Permissions {
		if !seen[p] {
			t.Errorf("docs/permissions.md has no row for %s", p)
		}
	}
}

func TestActionPermissions(t *testing.T) {
	for role, want := range map[string]Permission{"owner": SetLeaderRole, "secretary": SetLeaderRole, "assistant": SetStaffRole, "member": SetStaffRole} {
		if got := StaffPermission(role); got != want {
			t.Errorf("StaffPermission(%s) = %s, want %s", role, got, want)
		}
	}
	for action, want := range map[string]Permission{"ban": BanOrgWide, "kick": Moderate, "send": Moderate, "delete": Moderate, "": Moderate} {
		if got := DecisionPermission(action); got != want {
			t.Errorf("DecisionPermission(%q) = %s, want %s", action, got, want)
		}
	}
	// The case the issue reported: only a manager's ban goes through.
	for _, r := range []Role{Secretary, Assistant, Viewer} {
		if Allowed(r, DecisionPermission("ban")) {
			t.Errorf("a %s may uphold a report with a ban", r)
		}
	}
	if Allowed(Viewer, DecisionPermission("send")) {
		t.Error("a viewer may make the bot post a warning")
	}
}
