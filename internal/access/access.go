// Package access is who may use qunzhu's console and API: console
// accounts with their roles and scopes, and API tokens with theirs.
//
// A console account's role (Manager, Secretary, Assistant, Viewer) is an
// operator's place in the console; it is not a member's role in a chat
// group (community.Role: owner, secretary, assistant, member), though the
// names overlap.
package access

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Token is an API token's stored form. The plaintext is shown once, at
// creation; only its SHA-256 is stored.
type Token struct {
	ID        int64
	OrgID     int64
	Name      string
	Scope     string
	CreatedAt time.Time
}

// TokenInfo is an API token as listed: never its secret.
type TokenInfo struct {
	Token
	Revoked  bool
	LastUsed *time.Time // nil when never used; kept to within a few minutes
}

// ValidTokenName checks an API token's name: 1 to 64 characters, no
// control characters (it names the token in lists and the audit log).
func ValidTokenName(name string) error {
	if n := utf8.RuneCountInString(name); n == 0 || n > 64 || strings.TrimSpace(name) != name || strings.ContainsFunc(name, unicode.IsControl) {
		return errkind.Errorf(errkind.Invalid, "token name %q: 1 to 64 characters, no control characters or surrounding spaces", name)
	}
	return nil
}

// Token scopes.
const (
	ScopeAdmin = "admin" // organisation administrator: read and write everything
	ScopeRead  = "read"  // read-only
	// ScopeOps prefixes an operations-centre token's roles, "ops:editor,
	// reviewer": it reads everything and writes content only in its roles.
	ScopeOps = "ops:"
)

// OpsRoles are the operations centre's roles a token may hold.
var OpsRoles = []string{"contributor", "editor", "reviewer", "publisher"}

// Roles returns the operations-centre roles of an ops token (nil for
// others).
func (t Token) Roles() []string {
	if !strings.HasPrefix(t.Scope, ScopeOps) {
		return nil
	}
	return strings.Split(strings.TrimPrefix(t.Scope, ScopeOps), ",")
}

// Can reports whether the token may act in an operations-centre role: an
// admin token in any, an ops token in its own.
func (t Token) Can(role string) bool {
	return t.Scope == ScopeAdmin || slices.Contains(t.Roles(), role)
}

// opsGrants are what an operations-centre role may do through the API:
// contributors and editors write scripts, reviewers review them, and
// publishers plan pushes. The content routes check the finer role
// (Token.Can) as well.
var opsGrants = map[string][]Permission{
	"contributor": {WriteScript},
	"editor":      {WriteScript},
	"reviewer":    {ReviewScript},
	"publisher":   {PlanPush},
}

// May reports whether the token may do p. The permission table applies to
// tokens as to console accounts: an admin token is a manager (its scope is
// the organisation), a read token writes nothing, and an ops token does
// only what its roles do (opsGrants).
func (t Token) May(p Permission) bool {
	switch {
	case t.Scope == ScopeAdmin:
		return true
	case t.Scope == ScopeRead:
		return false
	}
	for _, r := range t.Roles() {
		if slices.Contains(opsGrants[r], p) {
			return true
		}
	}
	return false
}

// Check refuses, as errkind.Forbidden, what the token may not do.
func (t Token) Check(p Permission) error {
	if t.May(p) {
		return nil
	}
	if t.Scope == ScopeRead {
		return errkind.Errorf(errkind.Forbidden, "this token is read-only: %s needs an admin token", p)
	}
	return errkind.Errorf(errkind.Forbidden, "a %s token may not %s", t.Scope, p)
}

// ValidScope checks a token scope: admin, read, or ops: with known roles.
func ValidScope(scope string) error {
	if scope == ScopeAdmin || scope == ScopeRead {
		return nil
	}
	if !strings.HasPrefix(scope, ScopeOps) || scope == ScopeOps {
		return errkind.Errorf(errkind.Invalid, "token scope %q: want admin, read or ops:ROLE,… (roles: %s)", scope, strings.Join(OpsRoles, ", "))
	}
	for _, r := range strings.Split(strings.TrimPrefix(scope, ScopeOps), ",") {
		if !slices.Contains(OpsRoles, r) {
			return errkind.Errorf(errkind.Invalid, "token role %q: want %s", r, strings.Join(OpsRoles, ", "))
		}
	}
	return nil
}

// Role is a console account's role.
type Role string

// Console account roles.
const (
	Manager   Role = "manager"   // the whole organisation
	Secretary Role = "secretary" // the groups of their scope
	Assistant Role = "assistant"
	Viewer    Role = "viewer" // reads only
)

// User is a console account.
type User struct {
	ID           int64
	OrgID        int64
	Username     string
	PasswordHash string
	Role         Role // manager (the whole organisation), secretary, assistant or viewer
	// ScopeNodeID or ScopeGroupID limit a secretary, assistant or viewer
	// to the groups under one tree node or to one group.
	ScopeNodeID  int64
	ScopeGroupID int64
	CreatedAt    time.Time
	Disabled     bool       // a disabled account cannot sign in; its sessions ended
	LastLogin    *time.Time // nil when it never signed in
}

// Session is a signed-in console session. The browser holds its token (a
// cookie); the server keeps only the token's SHA-256, and ends a session
// at logout, when the password changes and when the account is disabled.
type Session struct {
	ID        int64
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ValidUsername checks a console account's name: 2 to 32 letters (any
// script), digits, dots, underscores or hyphens.
func ValidUsername(name string) error {
	n := utf8.RuneCountInString(name)
	ok := n >= 2 && n <= 32 && !strings.ContainsFunc(name, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' && r != '_' && r != '-'
	})
	if !ok {
		return errkind.Errorf(errkind.Invalid, "user name %q: 2 to 32 letters, digits, dots, underscores or hyphens", name)
	}
	return nil
}

// Scoped reports whether the account sees only part of the organisation.
func (u User) Scoped() bool { return u.Role != Manager }

// Validate checks the role and the scope: a manager sees the whole
// organisation; every other role needs a scope (a node or a group).
func (u User) Validate() error {
	if err := ValidUsername(u.Username); err != nil {
		return err
	}
	switch u.Role {
	case Manager:
		if u.ScopeNodeID != 0 || u.ScopeGroupID != 0 {
			return errkind.New(errkind.Invalid, "a manager sees the whole organisation: no node or group scope")
		}
	case Secretary, Assistant, Viewer:
		if (u.ScopeNodeID == 0) == (u.ScopeGroupID == 0) {
			return errkind.Errorf(errkind.Invalid, "a %s needs a scope: one tree node or one group", u.Role)
		}
	default:
		return errkind.Errorf(errkind.Invalid, "role %q: want manager, secretary, assistant or viewer", u.Role)
	}
	return nil
}
