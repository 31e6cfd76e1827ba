package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/content"
)

// scriptByTitle finds a script of the world's organisation by its title.
func (w *pages) scriptByTitle(title string) content.Script {
	w.t.Helper()
	list, err := w.db.Scripts(context.Background(), w.org.ID, "")
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range list {
		if s.Title == title {
			return s
		}
	}
	w.t.Fatalf("no script %q", title)
	return content.Script{}
}

// TestWriteAndReviewScript: a manager writes a script, checks it with
// 预览/检查 (the findings, the text kept, nothing saved), saves and submits
// it; cannot approve it herself; a secretary approves it; editing the
// approved script sends it back to a draft. Bad input is a 400 that says
// what is wrong; a viewer writes nothing.
func TestWriteAndReviewScript(t *testing.T) {
	w := newPages(t)
	w.srv.People = w.db
	admin := w.user()
	ctx := context.Background()
	title := "晚高峰：今天的复盘三问"
	body := "今天卖出了几单？\n哪一款最好卖，为什么？\n明天打算怎么调整？"

	// Preview: the findings of the text as written, nothing saved.
	code, page := w.post(admin, "/scripts/new", "/scripts/new", url.Values{"title": {title}, "body": {"就一句"}, "action": {"preview"}}, true)
	if code != 200 {
		t.Fatalf("preview: %d", code)
	}
	contains(t, "the preview", page, `id="preview-badge"`, `id="preview-body"`, "就一句", "finding-too_short", `value="`+title+`"`)
	if list, _ := w.db.Scripts(ctx, w.org.ID, ""); len(list) != 3 {
		t.Fatalf("a preview saved a script: %d scripts", len(list))
	}
	if code, page := w.post(admin, "/scripts/new", "/scripts/new", url.Values{"title": {" "}, "body": {body}, "action": {"save"}}, true); code != 400 || !strings.Contains(page, "请填写标题") {
		t.Fatalf("no title: %d", code)
	}
	if code, _ := w.post(admin, "/scripts/new", "/scripts/new", url.Values{"title": {title}, "body": {body}, "action": {"publish"}}, true); code != 400 {
		t.Fatalf("an unknown action: %d", code)
	}
	code, page = w.post(admin, "/scripts/new", "/scripts/new", url.Values{"title": {title}, "body": {body}, "tags": {"复盘，晚高峰"}, "action": {"submit"}}, true)
	sc := w.scriptByTitle(title)
	if code != 200 || sc.Status != content.Submitted || sc.Author != "user:admin" || strings.Join(sc.Tags, ",") != "复盘,晚高峰" {
		t.Fatalf("save and submit: %d %+v", code, sc)
	}
	contains(t, "the submitted script", page, `id="flash"`, "已提交审核", `id="self-approval-note"`, `id="move_reject"`)
	lacks(t, "the submitted script", page, `id="move_approve"`)

	// The writer's approval is refused even when posted.
	path := "/scripts/" + itoa(sc.ID)
	_, landed := w.post(admin, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}}, true)
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); s.Status != content.Submitted || !strings.Contains(landed, "须由另一位审核人批准") {
		t.Fatalf("self-approval: %s", s.Status)
	}
	// A secretary (in the region) approves it.
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	contains(t, "the secretary's view", w.page(sec, path), `id="move_approve"`, "admin")
	if code, landed := w.post(sec, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}}, true); code != 200 || !strings.Contains(landed, "已通过审核") {
		t.Fatalf("the secretary approves: %d", code)
	}
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); s.Status != content.Approved || s.LintOverride != "" {
		t.Fatalf("after approval: %+v", s)
	}
	page = w.page(admin, path)
	contains(t, "the approved script", page, `id="plan-link"`, `id="edit-approved-note"`, "已投稿 → 已通过", "yangxin")

	// Preview an edit: the stored text stays.
	code, page = w.post(admin, path, path+"/edit", url.Values{"title": {title}, "body": {body + "\n限时秒杀，私聊下单送优惠券！"}, "action": {"preview"}}, true)
	if code != 200 || !strings.Contains(page, "限时秒杀") || !strings.Contains(page, `id="preview-badge"`) {
		t.Fatalf("edit preview: %d", code)
	}
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); s.Body != body || s.Status != content.Approved {
		t.Fatalf("a preview changed the script: %+v", s)
	}
	if code, _ := w.post(admin, path, path+"/edit", url.Values{"title": {title}, "body": {""}, "action": {"save"}}, true); code != 400 {
		t.Fatalf("an empty body: %d", code)
	}
	code, landed = w.post(admin, path, path+"/edit", url.Values{"title": {title}, "body": {body + "\n欢迎留言。"}, "was": {"approved"}, "action": {"save"}}, true)
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); code != 200 || s.Status != content.Draft || !strings.Contains(landed, "退回草稿") {
		t.Fatalf("an approved script edited: %d %s", code, s.Status)
	}

	// A viewer writes nothing; an assistant may not review.
	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	if code := w.status(viewer, "/scripts/new"); code != 403 {
		t.Errorf("a viewer opens the form: %d", code)
	}
	if code, _ := w.post(viewer, "/scripts", "/scripts/new", url.Values{"title": {"t"}, "body": {"b"}, "action": {"save"}}, true); code != 403 {
		t.Errorf("a viewer saves a script: %d", code)
	}
	asst := w.scoped("xiaozhou", access.Assistant, w.region.ID, 0)
	w.post(admin, path, path+"/move", url.Values{"from": {"draft"}, "to": {"submitted"}}, true)
	if code, _ := w.post(asst, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}}, true); code != 403 {
		t.Errorf("an assistant approves: %d", code)
	}
	w.anonymous("POST", "/scripts/new")
}

// TestApproveOverTheLint: a script the lint flags as hard selling cannot
// be approved by a secretary; a manager approves it only with a reason,
// which the page shows.
func TestApproveOverTheLint(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	sc := content.Script{OrgID: w.org.ID, Title: "爆款清仓", Body: "限时秒杀！！！原价299元，现价99元，立即下单，私聊下单送优惠券！！！\n手慢无\n快来抢购", Author: "person:1"}
	if err := w.db.CreateScript(ctx, &sc); err != nil {
		t.Fatal(err)
	}
	w.db.MoveScript(ctx, w.org.ID, sc.ID, content.Submitted, content.Contributor, "person:1", "")
	path := "/scripts/" + itoa(sc.ID)
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	page := w.page(sec, path)
	contains(t, "the secretary's view", page, `id="override-note"`, "批准须越过检查")
	lacks(t, "the secretary's view", page, `id="move_approve"`)
	if _, landed := w.post(sec, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}, "reason": {"合作方"}}, true); !strings.Contains(landed, "不能越过检查批准") {
		t.Error("the secretary's override is not refused")
	}
	admin := w.user()
	contains(t, "the manager's view", w.page(admin, path), `id="override-reason"`)
	if _, landed := w.post(admin, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}}, true); !strings.Contains(landed, "批准须写明理由") {
		t.Error("an override without a reason is not refused")
	}
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); s.Status != content.Submitted {
		t.Fatalf("approved without a reason: %s", s.Status)
	}
	w.post(admin, path, path+"/move", url.Values{"from": {"submitted"}, "to": {"approved"}, "reason": {"合作方的公益义卖，已核实"}}, true)
	if s, _ := w.db.Script(ctx, w.org.ID, sc.ID); s.Status != content.Approved || s.LintOverride != "合作方的公益义卖，已核实" {
		t.Fatalf("an override with a reason: %+v", s)
	}
	contains(t, "the approved script", w.page(admin, path), `id="lint-override"`, "合作方的公益义卖，已核实")
}

// TestSelfApprovalSetting: a manager lets a team of one approve its own
// scripts; nobody else may change it.
func TestSelfApprovalSetting(t *testing.T) {
	w := newPages(t)
	admin := w.user()
	contains(t, "the library", w.page(admin, "/scripts"), `id="content-settings"`)
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	lacks(t, "the secretary's library", w.page(sec, "/scripts"), `id="content-settings"`)
	if code, _ := w.post(sec, "/scripts", "/scripts/settings", url.Values{"self_approval": {"on"}}, true); code != 403 {
		t.Errorf("a secretary changes the settings: %d", code)
	}
	if code, _ := w.post(admin, "/scripts", "/scripts/settings", url.Values{"self_approval": {"maybe"}}, true); code != 400 {
		t.Errorf("a bad value: %d", code)
	}
	if code, landed := w.post(admin, "/scripts", "/scripts/settings", url.Values{"self_approval": {"on"}}, true); code != 200 || !strings.Contains(landed, "已允许作者批准") {
		t.Fatalf("allow: %d", code)
	}
	if set, _ := w.db.ContentSettings(context.Background(), w.org.ID); !set.SelfApproval {
		t.Fatal("the setting did not change")
	}
	_, page := w.post(admin, "/scripts/new", "/scripts/new", url.Values{"title": {"一人团队"}, "body": {"第一行\n第二行\n第三行"}, "action": {"submit"}}, true)
	contains(t, "a script of a team of one", page, `id="move_approve"`)
	lacks(t, "a script of a team of one", page, `id="self-approval-note"`)
}

// TestPlanCancelMovePushes: a manager plans a script into the cohorts
// from the calendar; a region's secretary plans only into her groups and
// is refused another's; a planned push is moved and cancelled after a
// confirmation; reasons show in words.
func TestPlanCancelMovePushes(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	admin := w.user()
	page := w.page(admin, "/pushes?script="+itoa(w.scheduled.ID))
	contains(t, "the calendar", page, `id="plan-form"`, `value="`+itoa(w.scheduled.ID)+`" selected`, "早高峰", w.owners.Name, "离上一条推送太近")
	lacks(t, "the calendar", page, "min_gap")
	count := func(group int64) int {
		ps, _ := w.db.Pushes(ctx, group, now.Add(-30*24*time.Hour), now.Add(30*24*time.Hour))
		return len(ps)
	}
	before := count(w.cohort.ID)
	code, landed := w.post(admin, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"cohort"}, "date": {"2026-11-28"}, "slot": {"evening"}}, true)
	if code != 200 || count(w.cohort.ID) != before+1 || !strings.Contains(landed, "已安排 1 条推送") {
		t.Fatalf("plan to the cohorts: %d, %d pushes", code, count(w.cohort.ID))
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"kind": {"cohort"}, "date": {"2026-11-28"}, "slot": {"noon"}}, "请选择要推送的剧本"},
		{url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"cohort"}, "slot": {"noon"}}, "请选择日期和高峰时段"},
		{url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"cohort"}, "date": {"2026-11-28"}, "slot": {"midnight"}}, "没有这个高峰时段"},
		{url.Values{"script": {itoa(w.draft.ID)}, "kind": {"cohort"}, "date": {"2026-11-28"}, "slot": {"noon"}}, "不是通过状态"},
		{url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"lecturer"}, "date": {"2026-11-28"}, "slot": {"noon"}}, "没有选中任何群"},
	} {
		if code, landed := w.post(admin, "/pushes", "/pushes/plan", bad.form, true); code != 200 || !strings.Contains(landed, bad.want) {
			t.Errorf("plan %v: %d, want the flash %q", bad.form, code, bad.want)
		}
	}
	if code, _ := w.post(admin, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "group": {"abc"}, "date": {"2026-11-28"}, "slot": {"noon"}}, true); code != 400 {
		t.Errorf("a bad group id: %d", code)
	}
	if code, _ := w.post(admin, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "group": {"99999"}, "date": {"2026-11-28"}, "slot": {"noon"}}, true); code != 404 {
		t.Errorf("an unknown group: %d", code)
	}

	// The region's secretary: her cohort by kind, never the owners' group.
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/pushes")
	contains(t, "the secretary's calendar", mine, `id="plan-form"`, w.cohort.Name, "阳新县")
	lacks(t, "the secretary's calendar", mine, w.owners.Name, "大冶市")
	if code, _ := w.post(sec, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "group": {itoa(w.owners.ID)}, "date": {"2026-11-29"}, "slot": {"noon"}}, true); code != 403 {
		t.Errorf("the secretary plans into the owners' group: %d", code)
	}
	if code, landed := w.post(sec, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"owners"}, "date": {"2026-11-29"}, "slot": {"noon"}}, true); code != 200 || !strings.Contains(landed, "没有选中任何群") {
		t.Errorf("the secretary plans into owners' groups by kind: %d", code)
	}
	owners := count(w.owners.ID)
	if code, _ := w.post(sec, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "node": {itoa(w.region.ID)}, "date": {"2026-11-29"}, "slot": {"noon"}}, true); code != 200 || count(w.owners.ID) != owners {
		t.Errorf("the secretary plans by her node: %d", code)
	}

	// Move and cancel the cohort's push of the 28th, after confirming.
	ps, _ := w.db.OrgPushes(ctx, w.org.ID, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC))
	var id int64
	for _, p := range ps {
		if p.GroupID == w.cohort.ID {
			id = p.ID
		}
	}
	if id == 0 {
		t.Fatalf("no push on the 28th: %+v", ps)
	}
	pp := "/pushes/" + itoa(id)
	code, page = w.post(admin, "/pushes", pp+"/move", url.Values{"date": {"2026-11-30"}, "slot": {"noon"}}, true)
	if code != 200 || !strings.Contains(page, `name="confirm" value="yes"`) || !strings.Contains(page, "改到 2026-11-30 午高峰") {
		t.Fatalf("move asks first: %d", code)
	}
	if p, _ := w.db.Push(ctx, w.org.ID, id); p.Slot != "evening" {
		t.Fatalf("moved before confirming: %+v", p)
	}
	if code, landed := w.post(admin, "/pushes", pp+"/move", url.Values{"date": {"2026-11-30"}, "slot": {"noon"}, "confirm": {"yes"}}, true); code != 200 || !strings.Contains(landed, "已改期") {
		t.Fatalf("move: %d", code)
	}
	if p, _ := w.db.Push(ctx, w.org.ID, id); p.Slot != "noon" || !p.WantAt.Equal(time.Date(2026, 11, 30, 4, 0, 0, 0, time.UTC)) {
		t.Fatalf("after the move: %+v", p)
	}
	if code, landed := w.post(admin, "/pushes", pp+"/move", url.Values{"date": {"2026-11-30"}, "slot": {"midnight"}, "confirm": {"yes"}}, true); code != 200 || !strings.Contains(landed, "没有这个高峰时段") {
		t.Errorf("a move to an unknown peak: %d", code)
	}
	// The owners' push is not the secretary's.
	var ownersPush int64
	all, _ := w.db.OrgPushes(ctx, w.org.ID, now, now.Add(7*24*time.Hour))
	for _, p := range all {
		if p.GroupID == w.owners.ID && p.Status == content.PushPlanned {
			ownersPush = p.ID
		}
	}
	if code, _ := w.post(sec, "/pushes", "/pushes/"+itoa(ownersPush)+"/cancel", url.Values{"confirm": {"yes"}}, true); code != 403 {
		t.Errorf("the secretary cancels the owners' push: %d", code)
	}
	code, page = w.post(sec, "/pushes", pp+"/cancel", url.Values{}, true)
	if code != 200 || !strings.Contains(page, "取消《"+w.scheduled.Title+"》到「"+w.cohort.Name+"」的推送") {
		t.Fatalf("cancel asks first: %d", code)
	}
	if code, landed := w.post(sec, "/pushes", pp+"/cancel", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(landed, "已取消") {
		t.Fatalf("cancel: %d", code)
	}
	if p, _ := w.db.Push(ctx, w.org.ID, id); p.Status != content.PushCancelled {
		t.Fatalf("after cancelling: %+v", p)
	}
	if code, landed := w.post(sec, "/pushes", pp+"/cancel", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(landed, "已发出或已取消") {
		t.Errorf("cancel twice: %d", code)
	}
	if code := w.status(admin, "/pushes/x/cancel"); code != 404 && code != 405 {
		t.Errorf("GET of a form path: %d", code)
	}
	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's calendar", w.page(viewer, "/pushes"), `id="plan-form"`, "push-actions")
	if code, _ := w.post(viewer, "/pushes", "/pushes/plan", url.Values{"script": {itoa(w.scheduled.ID)}, "kind": {"cohort"}, "date": {"2026-11-28"}, "slot": {"noon"}}, true); code != 403 {
		t.Errorf("a viewer plans: %d", code)
	}
	w.anonymous("POST", "/pushes/plan")
	// The group page's schedule says states and reasons in words too.
	gp := w.page(admin, "/groups/"+itoa(w.cohort.ID))
	contains(t, "the cohort's schedule", gp, `id="schedule"`, "待推送", "已取消", "离上一条推送太近", "早高峰")
	lacks(t, "the cohort's schedule", gp, "min_gap", ">planned<", ">morning<")
}

// TestDutyRosterPage: the board with who is on duty and the prompt; a
// group's roster set in order, only from its staff; a secretary edits
// only her groups'.
func TestDutyRosterPage(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	admin := w.user()
	page := w.page(admin, "/duty")
	contains(t, "the duty page", page, `id="roster-`+itoa(w.cohort.ID)+`"`, "默认：全体店小二轮流", "店小二小周", `id="roster-`+itoa(w.owners.ID)+`"`)
	// 学员a becomes a secretary of the cohort: on the roster first.
	if err := w.db.SetRole(ctx, "wx", "g1", "a", community.RoleSecretary); err != nil {
		t.Fatal(err)
	}
	path := "/duty/" + itoa(w.cohort.ID)
	if code, landed := w.post(admin, "/duty", path, url.Values{"order_" + itoa(w.a): {"1"}, "order_" + itoa(w.zhou): {"2"}}, true); code != 200 || !strings.Contains(landed, "值班表已保存：2 人轮流") {
		t.Fatalf("set the roster: %d", code)
	}
	rs, _ := w.db.DutyRosters(ctx, w.org.ID)
	for _, r := range rs {
		if r.GroupID == w.cohort.ID && (r.Default || len(r.People) != 2 || r.People[0].PersonID != w.a) {
			t.Fatalf("the cohort's roster: %+v", r)
		}
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"order_" + itoa(w.b): {"1"}}, "只能排这个群的群主、秘书长和店小二"},
		{url.Values{"order_" + itoa(w.a): {"x"}}, "顺序请填 1 到 20"},
		{url.Values{"order_" + itoa(w.a): {"0"}}, "顺序请填 1 到 20"},
	} {
		if code, landed := w.post(admin, "/duty", path, bad.form, true); code != 200 || !strings.Contains(landed, bad.want) {
			t.Errorf("roster %v: %d, want %q", bad.form, code, bad.want)
		}
	}
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	lacks(t, "the secretary's duty page", w.page(sec, "/duty"), w.owners.Name)
	if code, _ := w.post(sec, "/duty", "/duty/"+itoa(w.owners.ID), url.Values{}, true); code != 403 {
		t.Errorf("the secretary edits the owners' roster: %d", code)
	}
	if code, landed := w.post(sec, "/duty", path, url.Values{}, true); code != 200 || !strings.Contains(landed, "已恢复为全体店小二轮流") {
		t.Errorf("the secretary clears her cohort's roster: %d", code)
	}
	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's duty page", w.page(viewer, "/duty"), "roster-edit")
	if code, _ := w.post(viewer, "/duty", path, url.Values{}, true); code != 403 {
		t.Errorf("a viewer edits a roster: %d", code)
	}
	if code := w.status(admin, "/duty/abc"); code != 404 && code != 405 {
		t.Errorf("GET /duty/abc: %d", code)
	}
	w.anonymous("POST", path)
}

// TestContentTranslations: every reason code, push status, receipt and
// default peak a content page builds a key from is said in both
// languages.
func TestContentTranslations(t *testing.T) {
	var keys []string
	for _, c := range content.ReasonCodes() {
		keys = append(keys, "pr_"+c)
	}
	for _, st := range []content.PushStatus{content.PushPlanned, content.PushSent, content.PushDropped, content.PushCancelled, content.PushSkipped} {
		keys = append(keys, "ps_"+string(st))
	}
	for _, r := range []string{"pending", "done", "dead"} { // pipeline.Outbox*
		keys = append(keys, "rc_"+r)
	}
	for _, s := range content.DefaultSlots() {
		keys = append(keys, "slot_"+s.Name)
	}
	for _, k := range keys {
		for _, l := range []console.Lang{console.Zh, console.En} {
			if console.T(l, k) == k {
				t.Errorf("%s has no %s", k, l)
			}
		}
	}
}
