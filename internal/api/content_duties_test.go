package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestCancelAndMovePushAPI: a planned push is read, moved (fitted into
// the group's day again) and cancelled; a sent one is neither; bad input
// is a 400, an unknown push a 404, a read or reviewer token a 403.
func TestCancelAndMovePushAPI(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		now = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		e := newOpsEnv(t, db, &now)
		reviewer, _ := db.CreateToken(context.Background(), e.org, "审核岗", "ops:reviewer")
		code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"group_ids":[%d],"date":"2026-11-27","slot":"morning"}`, e.script, e.groups[0]))
		if code != 201 {
			t.Fatalf("plan: %d %v", code, out)
		}
		id := int64(out["pushes"].([]any)[0].(map[string]any)["id"].(float64))
		path := func(p int64, what string) string { return fmt.Sprintf("/api/v1/pushes/%d%s", p, what) }
		if code, out := e.do(t, "GET", path(id, ""), e.read, ""); code != 200 || out["status"] != "planned" {
			t.Fatalf("read: %d %v", code, out)
		}
		// Another push at noon: a move to 11:00 is too close, so it goes
		// to the evening peak, with the reason.
		e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"group_ids":[%d],"date":"2026-11-27","slot":"noon"}`, e.script, e.groups[0]))
		code, out = e.do(t, "POST", path(id, "/move"), e.token, `{"at":"2026-11-27T11:00:00+08:00"}`)
		if code != 200 || out["reason"] != "min_gap" || out["deferred"] != true || !apiTime(t, out["planned_at"]).Equal(time.Date(2026, 11, 27, 12, 30, 0, 0, time.UTC)) {
			t.Fatalf("move next to noon: %d %v", code, out)
		}
		if code, out := e.do(t, "POST", path(id, "/move"), e.token, `{"date":"2026-11-28","slot":"evening"}`); code != 200 || out["slot"] != "evening" || out["deferred"] != false {
			t.Fatalf("move to a peak: %d %v", code, out)
		}
		for _, bad := range []struct {
			token, body string
			id          int64
			want        int
		}{
			{e.token, `{}`, id, 400},
			{e.token, `{"date":"28/11","slot":"evening"}`, id, 400},
			{e.token, `{"date":"2026-11-28","slot":"midnight"}`, id, 400},
			{e.token, `{"at":"tomorrow"}`, id, 400},
			{e.token, `{"at":"2026-11-28T09:00:00Z","when":"now"}`, id, 400},
			{e.token, `{"at":"2026-11-28T09:00:00Z"}`, 99999, 404},
			{e.read, `{"at":"2026-11-28T09:00:00Z"}`, id, 403},
			{reviewer, `{"at":"2026-11-28T09:00:00Z"}`, id, 403},
		} {
			if code, out := e.do(t, "POST", path(bad.id, "/move"), bad.token, bad.body); code != bad.want {
				t.Errorf("move %d %s: %d %v, want %d", bad.id, bad.body, code, out, bad.want)
			}
		}
		if code, _ := e.do(t, "POST", "/api/v1/pushes/x/move", e.token, `{"at":"2026-11-28T09:00:00Z"}`); code != 400 {
			t.Errorf("a bad id: %d", code)
		}
		if code, _ := e.do(t, "POST", path(id, "/cancel"), e.read, ""); code != 403 {
			t.Errorf("a read token cancels: %d", code)
		}
		if code, out := e.do(t, "POST", path(id, "/cancel"), e.token, ""); code != 200 || out["status"] != "cancelled" || out["reason"] != "cancelled" {
			t.Fatalf("cancel: %d %v", code, out)
		}
		if code, _ := e.do(t, "POST", path(id, "/cancel"), e.token, ""); code != 409 {
			t.Errorf("cancel twice: %d", code)
		}
		if code, _ := e.do(t, "POST", path(id, "/move"), e.token, `{"date":"2026-11-29","slot":"evening"}`); code != 409 {
			t.Errorf("move a cancelled push: %d", code)
		}
		if code, _ := e.do(t, "POST", path(99999, "/cancel"), e.token, ""); code != 404 {
			t.Errorf("cancel an unknown push: %d", code)
		}
		if code, _ := e.do(t, "GET", path(99999, ""), e.read, ""); code != 404 {
			t.Errorf("read an unknown push: %d", code)
		}
		// A sent push stays.
		e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"group_ids":[%d],"at":"2026-11-25T15:00:00+08:00"}`, e.script, e.groups[1]))
		if n, err := db.SendDuePushes(context.Background(), 10); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		var sent int64
		db.SQL().QueryRow("SELECT id FROM pushes WHERE status = 'sent'").Scan(&sent)
		if code, _ := e.do(t, "POST", path(sent, "/cancel"), e.token, ""); code != 409 {
			t.Errorf("cancel a sent push: %d", code)
		}
	})
}

// TestSeparationOfDutiesAPI: the token that wrote a script cannot approve
// it until self-approval is allowed; a script the lint flags is approved
// only by an admin token with a reason, which is kept.
func TestSeparationOfDutiesAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	reviewer, _ := e.db.CreateToken(ctx, e.org, "审核岗", "ops:reviewer")
	create := func(body string) int {
		t.Helper()
		code, out := e.do(t, "POST", "/api/v1/scripts", e.token, body)
		if code != 201 {
			t.Fatalf("create: %d %v", code, out)
		}
		id := int(out["id"].(float64))
		if code, out := e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), e.token, `{"to":"submitted","role":"contributor"}`); code != 200 {
			t.Fatalf("submit: %d %v", code, out)
		}
		return id
	}
	approve := func(token string, id int, reason string) (int, map[string]any) {
		return e.do(t, "POST", fmt.Sprintf("/api/v1/scripts/%d/transitions", id), token, fmt.Sprintf(`{"to":"approved","role":"reviewer","reason":%q}`, reason))
	}
	own := create(`{"title":"复盘三步","body":"第一步，看数据。\n第二步，找原因。\n第三步，定动作。"}`)
	if code, out := approve(e.token, own, ""); code != 403 || !strings.Contains(fmt.Sprint(out), "writer") {
		t.Fatalf("the writer approves: %d %v", code, out)
	}
	for _, bad := range []string{`{}`, `{"self_approval":"yes"}`, `{"self_approval":true,"x":1}`} {
		if code, _ := e.do(t, "PUT", "/api/v1/settings/content", e.token, bad); code != 400 {
			t.Errorf("settings %s: %d", bad, code)
		}
	}
	if code, _ := e.do(t, "PUT", "/api/v1/settings/content", e.read, `{"self_approval":true}`); code != 403 {
		t.Errorf("a read token changes the settings: %d", code)
	}
	if code, out := e.do(t, "PUT", "/api/v1/settings/content", e.token, `{"self_approval":true}`); code != 200 || out["self_approval"] != true {
		t.Fatalf("allow self-approval: %d %v", code, out)
	}
	if code, out := e.do(t, "GET", "/api/v1/settings/content", e.read, ""); code != 200 || out["self_approval"] != true {
		t.Fatalf("read settings: %d %v", code, out)
	}
	if code, out := approve(e.token, own, ""); code != 200 || out["status"] != "approved" {
		t.Fatalf("self-approval allowed: %d %v", code, out)
	}

	// Hard selling: a reviewer token may not override the lint, an admin
	// token needs a reason.
	ad := create(`{"title":"爆款","body":"限时秒杀！！！原价299元，现价99元，立即下单，私聊下单送优惠券！！！\n手慢无\n快来抢购","author":"person:7"}`)
	if code, out := approve(reviewer, ad, "合作方活动"); code != 403 || !strings.Contains(fmt.Sprint(out), "override") {
		t.Fatalf("a reviewer overrides the lint: %d %v", code, out)
	}
	if code, out := approve(e.token, ad, ""); code != 400 || !strings.Contains(fmt.Sprint(out), "reason") {
		t.Fatalf("an override without a reason: %d %v", code, out)
	}
	if code, out := approve(e.token, ad, "合作方的公益义卖，已核实"); code != 200 || out["lint_override"] != "合作方的公益义卖，已核实" {
		t.Fatalf("an override with a reason: %d %v", code, out)
	}
}

// TestDutyRosterAPI: a group's roster is read and set; only the group's
// staff may be on it.
func TestDutyRosterAPI(t *testing.T) {
	now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		e := newOpsEnv(t, db, &now)
		ctx := context.Background()
		sec := community.Person{OrgID: e.org, Name: "秘书长"}
		db.CreatePerson(ctx, &sec)
		db.AddMembership(ctx, &community.Membership{GroupID: e.groups[1], PersonID: sec.ID, Role: community.RoleSecretary, JoinedAt: now.AddDate(0, -1, 0)})
		member := community.Person{OrgID: e.org, Name: "学员"}
		db.CreatePerson(ctx, &member)
		db.AddMembership(ctx, &community.Membership{GroupID: e.groups[1], PersonID: member.ID, JoinedAt: now.AddDate(0, -1, 0)})
		code, out := e.do(t, "GET", "/api/v1/duty/rosters", e.read, "")
		rosters, _ := out["rosters"].([]any)
		if code != 200 || len(rosters) != 2 || rosters[1].(map[string]any)["default"] != true || len(rosters[1].(map[string]any)["people"].([]any)) != 1 {
			t.Fatalf("rosters: %d %v", code, out)
		}
		path := fmt.Sprintf("/api/v1/groups/%d/duty-roster", e.groups[1])
		for _, bad := range []struct {
			token, path, body string
			want              int
		}{
			{e.token, path, fmt.Sprintf(`{"person_ids":[%d]}`, member.ID), 400},
			{e.token, path, fmt.Sprintf(`{"person_ids":[%d,%d]}`, sec.ID, sec.ID), 400},
			{e.token, path, `{"person_ids":"all"}`, 400},
			{e.token, path, `{"people":[1]}`, 400},
			{e.token, "/api/v1/groups/99999/duty-roster", fmt.Sprintf(`{"person_ids":[%d]}`, sec.ID), 404},
			{e.read, path, fmt.Sprintf(`{"person_ids":[%d]}`, sec.ID), 403},
		} {
			if code, out := e.do(t, "PUT", bad.path, bad.token, bad.body); code != bad.want {
				t.Errorf("%s %s: %d %v, want %d", bad.path, bad.body, code, out, bad.want)
			}
		}
		code, out = e.do(t, "PUT", path, e.token, fmt.Sprintf(`{"person_ids":[%d,%d]}`, sec.ID, e.helper))
		people, _ := out["people"].([]any)
		if code != 200 || out["default"] != false || len(people) != 2 || people[0].(map[string]any)["name"] != "秘书长" || out["updated_by"] != "api:ops" {
			t.Fatalf("set roster: %d %v", code, out)
		}
		// The next push of the group has the roster's first on duty.
		code, out = e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"group_ids":[%d],"date":"2026-11-27","slot":"morning"}`, e.script, e.groups[1]))
		if code != 201 || out["pushes"].([]any)[0].(map[string]any)["duty_person"] != float64(sec.ID) {
			t.Fatalf("duty after the roster: %d %v", code, out)
		}
		if code, out := e.do(t, "PUT", path, e.token, `{"person_ids":[]}`); code != 200 || out["default"] != true {
			t.Fatalf("clear roster: %d %v", code, out)
		}
	})
}

// TestPlanPushesByNode: a node picks its groups and those below it.
func TestPlanPushesByNode(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	top := community.Node{OrgID: e.org, Name: "学院", Kind: community.NodeTeam}
	e.db.CreateNode(ctx, &top)
	branch := community.Node{OrgID: e.org, ParentID: top.ID, Name: "阳新分院", Kind: community.NodeRegion}
	e.db.CreateNode(ctx, &branch)
	for i, n := range []int64{top.ID, branch.ID, 0} {
		g := community.Group{OrgID: e.org, NodeID: n, Connection: "wx", Platform: "webhook", ExternalID: fmt.Sprint("n", i), Name: fmt.Sprint("群", i), Kind: community.KindCohort}
		e.db.CreateGroup(ctx, &g)
	}
	sc := storetest.ApprovedScript(t, e.db, e.org, "选品三问", "一问市场，\n二问利润，\n三问供应链。")
	code, out := e.do(t, "POST", "/api/v1/pushes", e.token, fmt.Sprintf(`{"script_id":%d,"node_id":%d,"date":"2026-12-01","slot":"noon"}`, sc.ID, top.ID))
	if ps, _ := out["pushes"].([]any); code != 201 || len(ps) != 2 {
		t.Fatalf("node and below: %d %v", code, out)
	}
	for _, bad := range []struct {
		body string
		want int
	}{
		{fmt.Sprintf(`{"script_id":%d,"node_id":99999,"date":"2026-12-02","slot":"noon"}`, sc.ID), 404},
		{fmt.Sprintf(`{"script_id":%d,"kind":"wizards","date":"2026-12-02","slot":"noon"}`, sc.ID), 400},
		{`{"kind":"cohort","date":"2026-12-02","slot":"noon"}`, 400},
		{fmt.Sprintf(`{"script_id":%d,"kind":"cohort"}`, sc.ID), 400},
		{`{"script_id":99999,"kind":"cohort","date":"2026-12-02","slot":"noon"}`, 404},
	} {
		if code, out := e.do(t, "POST", "/api/v1/pushes", e.token, bad.body); code != bad.want {
			t.Errorf("%s: %d %v, want %d", bad.body, code, out, bad.want)
		}
	}
}
