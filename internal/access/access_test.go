package access

import (
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
		{User{Role: Manager}, true},
		{User{Role: Manager, ScopeNodeID: 1}, false},
		{User{Role: Secretary, ScopeNodeID: 1}, true},
		{User{Role: Viewer, ScopeGroupID: 2}, true},
		{User{Role: Assistant}, false},
		{User{Role: Assistant, ScopeNodeID: 1, ScopeGroupID: 2}, false},
		{User{Role: "owner", ScopeGroupID: 2}, false}, // a group role is not a console role
	} {
		if err := tc.u.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v: Validate() = %v, want ok %v", tc.u, err, tc.ok)
		}
	}
	if (User{Role: Manager}).Scoped() || !(User{Role: Viewer, ScopeGroupID: 1}).Scoped() {
		t.Error("only a manager sees the whole organisation")
	}
}
