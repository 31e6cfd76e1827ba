package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestSessions: a session authenticates its account until it expires, is
// ended (logout), the password changes or the account is disabled.
func TestSessions(t *testing.T) {
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return clock }, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		boss := access.User{OrgID: org.ID, Username: "boss", PasswordHash: "h1", Role: access.Manager}
		sec := access.User{OrgID: org.ID, Username: "sec", PasswordHash: "h2", Role: access.Secretary, ScopeGroupID: g.ID}
		for _, u := range []*access.User{&boss, &sec} {
			if err := db.CreateUserAs(ctx, u, "staff:admin"); err != nil {
				t.Fatal(err)
			}
		}
		valid := func(tok string) bool {
			t.Helper()
			u, s, err := db.SessionUser(ctx, tok)
			if err != nil && !errkind.Is(err, errkind.Unauthorized) {
				t.Fatal(err)
			}
			return err == nil && u.ID == s.UserID && s.ExpiresAt.After(clock)
		}
		a, err := db.CreateSession(ctx, sec.ID, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := db.CreateSession(ctx, sec.ID, time.Hour)
		c, _ := db.CreateSession(ctx, boss.ID, time.Hour)
		if u, _, err := db.SessionUser(ctx, a); err != nil || u.Username != "sec" || u.ScopeGroupID != g.ID || u.LastLogin == nil || !u.LastLogin.Equal(clock) {
			t.Fatalf("session user: %+v %v", u, err)
		}
		if valid("not-a-session") || valid("") {
			t.Fatal("an unknown token authenticates")
		}
		// Logout ends that session only.
		if err := db.EndSession(ctx, a); err != nil || valid(a) || !valid(b) {
			t.Fatalf("after logout: a %v, b %v (%v)", valid(a), valid(b), err)
		}
		// A new password ends every session of the account.
		if err := db.SetPassword(ctx, org.ID, sec.ID, "h3", "staff:boss"); err != nil || valid(b) || !valid(c) {
			t.Fatalf("after a new password: b %v, c %v (%v)", valid(b), valid(c), err)
		}
		if u, _ := db.UserByName(ctx, "sec"); u.PasswordHash != "h3" {
			t.Fatalf("password hash %q", u.PasswordHash)
		}
		// Disabling ends them too, and a disabled account's new session
		// does not authenticate.
		d, _ := db.CreateSession(ctx, sec.ID, time.Hour)
		if err := db.SetUserDisabled(ctx, org.ID, sec.ID, true, "staff:boss"); err != nil || valid(d) {
			t.Fatalf("after disabling: %v %v", valid(d), err)
		}
		e, _ := db.CreateSession(ctx, sec.ID, time.Hour)
		if valid(e) {
			t.Fatal("a disabled account's session authenticates")
		}
		if u, _ := db.UserByName(ctx, "sec"); !u.Disabled {
			t.Fatal("not marked disabled")
		}
		if err := db.SetUserDisabled(ctx, org.ID, sec.ID, true, "staff:boss"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("disabling twice: %v, want conflict", err)
		}
		if err := db.SetUserDisabled(ctx, org.ID, sec.ID, false, "staff:boss"); err != nil {
			t.Fatal(err)
		}
		f, _ := db.CreateSession(ctx, sec.ID, time.Hour)
		if !valid(f) {
			t.Fatal("an enabled account's new session does not authenticate")
		}
		// The last enabled manager cannot be disabled.
		if err := db.SetUserDisabled(ctx, org.ID, boss.ID, true, "staff:boss"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("disabling the last manager: %v, want conflict", err)
		}
		if err := db.SetPassword(ctx, org.ID+1, sec.ID, "h4", "x"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's account: %v, want not found", err)
		}
		// Expiry.
		clock = clock.Add(2 * time.Hour)
		if valid(f) || valid(c) {
			t.Fatal("an expired session authenticates")
		}
		var left int
		db.CreateSession(ctx, boss.ID, time.Hour) // clears the expired ones
		db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM sessions").Scan(&left)
		if left != 1 {
			t.Fatalf("%d sessions left, want the new one", left)
		}
		// What the accounts page lists; every change is in the audit log.
		us, err := db.Users(ctx, org.ID)
		if err != nil || len(us) != 2 || us[1].Username != "sec" || us[1].Disabled || us[1].LastLogin == nil || us[1].PasswordHash != "" {
			t.Fatalf("users: %+v %v", us, err)
		}
		if u, err := db.User(ctx, org.ID, sec.ID); err != nil || u.Username != "sec" || u.PasswordHash != "" {
			t.Fatalf("user: %+v %v", u, err)
		}
		if _, err := db.User(ctx, org.ID+1, sec.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's user: %v", err)
		}
		assertAudit(t, db, org.ID, "user.create", "user.password", "user.disable", "user.enable")
	})
}

// TestTokenRevokeAndUse: a revoked token authenticates nothing; a token's
// use is noted, at most every few minutes.
func TestTokenRevokeAndUse(t *testing.T) {
	clock := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return clock }, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		tok, plain, err := db.CreateTokenAs(ctx, org.ID, "看板", access.ScopeRead, "staff:boss")
		if err != nil || tok.ID == 0 {
			t.Fatal(err)
		}
		if _, _, err := db.CreateTokenAs(ctx, org.ID, "bad\x01name", access.ScopeRead, "staff:boss"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a control character in a name: %v", err)
		}
		lastUsed := func() *time.Time {
			ts, err := db.Tokens(ctx, org.ID)
			if err != nil || len(ts) != 1 {
				t.Fatalf("tokens %+v %v", ts, err)
			}
			return ts[0].LastUsed
		}
		if lastUsed() != nil {
			t.Fatal("a new token was used")
		}
		if _, err := db.TokenByPlaintext(ctx, plain); err != nil {
			t.Fatal(err)
		}
		first := clock
		clock = clock.Add(time.Minute)
		db.TokenByPlaintext(ctx, plain)
		if u := lastUsed(); u == nil || !u.Equal(first) {
			t.Fatalf("last used %v, want %v (not written again within minutes)", u, first)
		}
		clock = clock.Add(10 * time.Minute)
		db.TokenByPlaintext(ctx, plain)
		if u := lastUsed(); u == nil || !u.Equal(clock) {
			t.Fatalf("last used %v, want %v", u, clock)
		}
		if err := db.RevokeToken(ctx, org.ID, tok.ID, "staff:boss"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.TokenByPlaintext(ctx, plain); !errkind.Is(err, errkind.Unauthorized) {
			t.Fatalf("a revoked token: %v", err)
		}
		if err := db.RevokeToken(ctx, org.ID, tok.ID, "staff:boss"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("revoking twice: %v", err)
		}
		if err := db.RevokeToken(ctx, org.ID+1, tok.ID, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's token: %v", err)
		}
		assertAudit(t, db, org.ID, "token.create", "token.revoke")
	})
}

func assertAudit(t *testing.T, db *store.DB, orgID int64, actions ...string) {
	t.Helper()
	entries, err := db.AuditLog(ctx, orgID, community.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Action] = true
	}
	for _, a := range actions {
		if !have[a] {
			t.Errorf("no %s in the audit log", a)
		}
	}
}
