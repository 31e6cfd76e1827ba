package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// TestWritesFollowThePermissionTable: every form the console had before
// the permission table checks it (docs/permissions.md). A viewer writes
// nothing — the case from #12: a viewer of one group upheld a report with
// "ban" (an organisation-wide ban) or "warn" (the bot posts the note); a
// secretary handles her groups' reports but does not ban; a scoped
// account edits only its own groups' and nodes' rules.
func TestWritesFollowThePermissionTable(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if _, err := w.db.Rollup(ctx, w.org.ID, now, loc, 60); err != nil {
		t.Fatal(err)
	}
	w.srv.Health, w.srv.Content, w.srv.Appeals = w.db, w.db, w.db
	reg, err := rules.NewRegistry(ctx, t.TempDir(), nil, rules.NewEngine(nil, nil), w.db.NodeParents, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Rules = console.RulesFromRegistry(reg)
	alerts, err := w.db.Alerts(ctx, w.org.ID, true, 10)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("fixture: alerts %v %v", alerts, err)
	}
	status := func(id int64) string {
		t.Helper()
		c, err := w.db.ReportCase(ctx, w.org.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return c.Status
	}
	count := func(table string) int {
		t.Helper()
		var n int
		if err := w.db.SQL().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	outbox := func() int { return count("outbox") }
	bans := func() int { return count("org_bans") }
	sent := outbox()

	viewer := w.scoped("viewer", access.Viewer, 0, w.cohort.ID)
	mod := w.page(viewer, "/moderation")
	if !strings.Contains(mod, "小王") || strings.Contains(mod, `action="/moderation/reports/`) {
		t.Error("a viewer sees no case, or is offered the review form")
	}
	if dash := w.page(viewer, "/"); strings.Contains(dash, `/resolve"`) {
		t.Error("a viewer is offered to resolve alerts")
	}
	refused := []struct {
		path string
		form url.Values
	}{
		{"/moderation/reports/" + itoa(w.rumour), url.Values{"decision": {"uphold"}, "action": {"ban"}, "note": {"造谣"}}},
		{"/moderation/reports/" + itoa(w.rumour), url.Values{"decision": {"uphold"}, "action": {"warn"}, "note": {"机器人替我发的话"}}},
		{"/moderation/reports/" + itoa(w.rumour), url.Values{"decision": {"dismiss"}}},
		{"/moderation/appeals/1", url.Values{"decision": {"accept"}}},
		{"/alerts/" + itoa(alerts[0].ID) + "/resolve", url.Values{}},
		{"/rules/edit", url.Values{"scope": {"group:" + itoa(w.cohort.ID)}, "group": {itoa(w.cohort.ID)}, "op": {"save"}, "text": {"[quiet]\nallow = \"08:00-21:00\"\n"}}},
		{"/scripts/1/move", url.Values{"from": {"in_review"}, "to": {"approved"}}},
	}
	for _, r := range refused {
		if code, page := w.post(viewer, "/moderation", r.path, r.form, true); code != http.StatusForbidden || !strings.Contains(page, "只读") {
			t.Errorf("a viewer's POST %s %v: %d, want 403 naming the role", r.path, r.form, code)
		}
	}
	if code := w.status(viewer, "/rules/edit"); code != http.StatusForbidden {
		t.Errorf("a viewer opens the rules editor: %d", code)
	}
	if status(w.rumour) != "open" || outbox() != sent || bans() != 0 {
		t.Fatalf("a viewer's refused forms changed something: case %s, outbox %d → %d, bans %d", status(w.rumour), sent, outbox(), bans())
	}
	if open, _ := w.db.Alerts(ctx, w.org.ID, true, 10); len(open) != len(alerts) {
		t.Fatal("a viewer resolved an alert")
	}

	// A secretary of the region: her groups' reports, but no ban.
	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	if mod := w.page(sec, "/moderation"); !strings.Contains(mod, `action="/moderation/reports/`) || strings.Contains(mod, `value="ban"`) {
		t.Error("a secretary is not offered the review form, or is offered a ban")
	}
	if code, page := w.post(sec, "/moderation", "/moderation/reports/"+itoa(w.rumour), url.Values{"decision": {"uphold"}, "action": {"ban"}, "note": {"造谣"}}, true); code != http.StatusForbidden || !strings.Contains(page, "秘书长") {
		t.Errorf("a secretary's ban: %d", code)
	}
	if status(w.rumour) != "open" || bans() != 0 {
		t.Fatal("a secretary's refused ban changed the case")
	}
	if code, _ := w.post(sec, "/moderation", "/moderation/reports/"+itoa(w.rumour), url.Values{"decision": {"uphold"}, "action": {"kick"}, "note": {"造谣"}}, true); code != http.StatusOK || status(w.rumour) != "upheld" {
		t.Errorf("a secretary's removal in her group: %d, case %s", code, status(w.rumour))
	}
	if code, _ := w.post(sec, "/moderation", "/alerts/"+itoa(alerts[0].ID)+"/resolve", url.Values{}, true); code != http.StatusOK {
		t.Errorf("a secretary resolving her group's alert: %d", code)
	}
	// Rules: her nodes and groups, not the organisation's default or
	// another region's group.
	save := func(c *http.Client, scope, group string) int {
		t.Helper()
		code, _ := w.post(c, "/moderation", "/rules/edit", url.Values{"scope": {scope}, "group": {group}, "op": {"save"}, "text": {"[quiet]\nallow = \"08:00-21:00\"\n"}}, true)
		return code
	}
	for _, tc := range []struct {
		scope, group string
		want         int
	}{
		{"default", itoa(w.cohort.ID), 403},
		{"group:" + itoa(w.owners.ID), itoa(w.owners.ID), 403},
		{"group:" + itoa(w.owners.ID), itoa(w.cohort.ID), 403},
		{"node:" + itoa(w.owners.NodeID), itoa(w.cohort.ID), 403},
		{"node:" + itoa(w.shop.ID), itoa(w.cohort.ID), 200},
		{"group:" + itoa(w.cohort.ID), itoa(w.cohort.ID), 200},
	} {
		if got := save(sec, tc.scope, tc.group); got != tc.want {
			t.Errorf("a secretary saves the rules of %s (previewed on group %s): %d, want %d", tc.scope, tc.group, got, tc.want)
		}
	}
	if ed := w.page(sec, "/rules/edit"); strings.Contains(ed, `value="default"`) || strings.Contains(ed, w.owners.Name) {
		t.Error("the rules editor offers a secretary the default or another region's group")
	}
	if code := w.status(sec, "/rules/edit?scope=default"); code != http.StatusForbidden {
		t.Errorf("a secretary opens the default rules: %d", code)
	}
	if reg.For(w.cohort).Quiet.Allow != "08:00-21:00" || reg.For(w.owners).Quiet.Allow == "08:00-21:00" {
		t.Error("the secretary's saved rules are not in force, or reached another region")
	}

	// An assistant handles reports but edits no rules.
	asst := w.scoped("asst", access.Assistant, 0, w.cohort.ID)
	if code := w.status(asst, "/rules/edit"); code != http.StatusForbidden {
		t.Errorf("an assistant opens the rules editor: %d", code)
	}
}
