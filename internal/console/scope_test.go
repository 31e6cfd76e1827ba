package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// loginAs logs a new client in as a user with the given password.
func loginAs(t *testing.T, base, username, pw string) *http.Client {
	t.Helper()
	c := client(t)
	_, page := get(t, c, base+"/login")
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "username": {username}, "password": {pw}, "next": {"/"}})
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login as %s: %d", username, resp.StatusCode)
	}
	return c
}

// TestScopedUsers: a secretary of one region sees its groups only and is
// refused every other group's page, the audit log and the rules editor; an
// assistant of one group sees that group.
func TestScopedUsers(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	hash, _ := console.HashPassword("secretary pw")
	if err := w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "yangxin", PasswordHash: hash, Role: access.Secretary, ScopeNodeID: w.region.ID}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "owners", PasswordHash: hash, Role: access.Assistant, ScopeGroupID: w.owners.ID}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []access.User{
		{OrgID: w.org.ID, Username: "x1", PasswordHash: hash, Role: access.Secretary},                                                   // no scope
		{OrgID: w.org.ID, Username: "x2", PasswordHash: hash, Role: access.Manager, ScopeGroupID: w.owners.ID},                          // a scoped manager
		{OrgID: w.org.ID, Username: "x3", PasswordHash: hash, Role: "boss", ScopeGroupID: w.owners.ID},                                  // unknown role
		{OrgID: w.org.ID, Username: "x4", PasswordHash: hash, Role: access.Viewer, ScopeGroupID: w.foreign.ID},                          // another organisation's group
		{OrgID: w.org.ID, Username: "x5", PasswordHash: hash, Role: access.Viewer, ScopeNodeID: w.region.ID, ScopeGroupID: w.owners.ID}, // both
	} {
		if err := w.db.CreateUser(ctx, &bad); err == nil || errkind.Of(err) == errkind.Internal {
			t.Errorf("user %+v: %v, want a clear refusal", bad, err)
		}
	}
	w.srv.Rules = console.RulesFromRegistry(w.reg)
	sec := loginAs(t, w.url, "yangxin", "secretary pw")
	dash := w.page(sec, "/")
	if !strings.Contains(dash, w.cohort.Name) || !strings.Contains(dash, w.enrol.Name) || strings.Contains(dash, w.owners.Name) {
		t.Fatalf("the region's secretary's dashboard shows the wrong groups")
	}
	if groups := w.page(sec, "/groups"); strings.Contains(groups, w.owners.Name) || !strings.Contains(groups, w.cohort.Name) || strings.Contains(groups, `href="/audit"`) {
		t.Fatal("the groups page shows a group outside the region, or the audit link")
	}
	w.page(sec, "/groups/"+itoa(w.cohort.ID))
	for _, path := range []string{"/groups/" + itoa(w.owners.ID), "/rules?group=" + itoa(w.owners.ID), "/audit"} {
		if code, _ := get(t, sec, w.url+path); code != 403 {
			t.Errorf("secretary: %s = %d, want 403", path, code)
		}
	}
	if rows := w.csv(sec, "/groups?format=csv"); len(rows) != 3 { // header, cohort, enrolment
		t.Errorf("secretary's CSV: %v", rows)
	}
	if mod := w.page(sec, "/moderation"); !strings.Contains(mod, w.cohort.Name) {
		t.Error("the secretary does not see the reports of their groups")
	}

	asst := loginAs(t, w.url, "owners", "secretary pw")
	if mod := w.page(asst, "/moderation"); strings.Contains(mod, w.cohort.Name) {
		t.Error("the owners' assistant sees another group's reports")
	}
	body := w.page(asst, "/moderation")
	token := csrfRE.FindStringSubmatch(body)[1]
	resp, err := asst.PostForm(w.url+"/moderation/reports/"+itoa(w.rumour), url.Values{"csrf": {token}, "decision": {"dismiss"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("deciding another group's report: %d, want 403", resp.StatusCode)
	}
	if cases, _ := w.db.ReportCases(ctx, w.org.ID, "open"); len(cases) != 2 {
		t.Fatal("a refused decision changed a case")
	}
}
