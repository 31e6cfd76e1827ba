package access

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestValidScope(t *testing.T) {
	for _, tc := range []struct {
		scope string
		ok    bool
	}{
		{"admin", true}, {"read", true}, {"ops:editor", true}, {"ops:editor,reviewer", true},
		{"", false}, {"ops:", false}, {"ops:janitor", false}, {"ops:editor,", false}, {"Admin", false},
	} {
		err := ValidScope(tc.scope)
		if (err == nil) != tc.ok {
			t.Errorf("ValidScope(%q) = %v, want ok %v", tc.scope, err, tc.ok)
		}
		if err != nil && !errkind.Is(err, errkind.Invalid) {
			t.Errorf("ValidScope(%q): kind %s, want invalid", tc.scope, errkind.Of(err))
		}
	}
}

func TestTokenCan(t *testing.T) {
	ops := Token{Scope: "ops:editor,reviewer"}
	if !ops.Can("editor") || !ops.Can("reviewer") || ops.Can("publisher") {
		t.Errorf("ops token roles %v", ops.Roles())
	}
	if !(Token{Scope: ScopeAdmin}).Can("publisher") || (Token{Scope: ScopeRead}).Can("contributor") {
		t.Error("admin may act in any role, read in none")
	}
}

func TestUserValidate(t *testing.T) {
	for _, tc := range []struct {
		u  User
		ok bool
	}{
		{User{Username: "admin", Role: Manager}, true},
		{User{Username: "admin", Role: Manager, ScopeNodeID: 1}, false},
		{User{Username: "秘书长小李", Role: Secretary, ScopeNodeID: 1}, true},
		{User{Username: "v.iewer_1", Role: Viewer, ScopeGroupID: 2}, true},
		{User{Username: "asst", Role: Assistant}, false},
		{User{Username: "asst", Role: Assistant, ScopeNodeID: 1, ScopeGroupID: 2}, false},
		{User{Username: "owner", Role: "owner", ScopeGroupID: 2}, false}, // a group role is not a console role
		{User{Username: "", Role: Manager}, false},
		{User{Username: "a", Role: Manager}, false},
		{User{Username: "two words", Role: Manager}, false},
		{User{Username: "tab\tname", Role: Manager}, false},
		{User{Username: "<script>", Role: Manager}, false},
		{User{Username: strings.Repeat("长", 33), Role: Manager}, false},
	} {
		if err := tc.u.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok %v", tc.u, err, tc.ok)
		}
	}
	if (User{Role: Manager}).Scoped() || !(User{Role: Viewer, ScopeGroupID: 1}).Scoped() {
		t.Error("only a manager sees the whole organisation")
	}
}

func TestTokenMay(t *testing.T) {
	admin, read, ops := Token{Scope: ScopeAdmin}, Token{Scope: ScopeRead}, Token{Scope: "ops:editor,publisher"}
	for _, p := range Permissions {
		if !admin.May(p) {
			t.Errorf("an admin token may not %s", p)
		}
		if read.May(p) {
			t.Errorf("a read token may %s", p)
		}
		if err := read.Check(p); !errkind.Is(err, errkind.Forbidden) {
			t.Errorf("read.Check(%s) = %v, want forbidden", p, err)
		}
		want := p == WriteScript || p == PlanPush
		if ops.May(p) != want {
			t.Errorf("ops:editor,publisher May(%s) = %v, want %v", p, ops.May(p), want)
		}
	}
	if (Token{Scope: "ops:reviewer"}).May(BanOrgWide) || !(Token{Scope: "ops:reviewer"}).May(ReviewScript) {
		t.Error("a reviewer token reviews scripts and bans no one")
	}
	if (Token{Scope: "ops:"}).May(WriteScript) || (Token{}).May(WriteScript) {
		t.Error("a token without a known scope may write")
	}
}

func TestValidTokenName(t *testing.T) {
	for name, ok := range map[string]bool{"ci": true, "数据看板 read": true, "": false, " padded": false, "bell\a": false, strings.Repeat("x", 65): false} {
		if err := ValidTokenName(name); (err == nil) != ok {
			t.Errorf("ValidTokenName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}
