package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// careWorld is the world after the daily rollup (the enrolment group,
// silent for 20 days, is dormant and alerted), with three zombies in the
// cohort: in it 60 days, never a word.
type careWorld struct {
	*world
	alert   int64 // the enrolment group's alert
	zombies []int64
	changes int // OnChange calls
}

func newCareWorld(t *testing.T) *careWorld {
	t.Helper()
	w := &careWorld{world: newWorld(t)}
	ctx := context.Background()
	for i := range 3 {
		var p int64
		if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			p, err = tx.ResolvePerson(ctx, w.org.ID, "wx", "wecom", chat.User{ID: fmt.Sprint("z", i+1), Name: fmt.Sprint("潜水员", i+1)})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := w.db.AddMembership(ctx, &community.Membership{GroupID: w.cohort.ID, PersonID: p, JoinedAt: now.AddDate(0, 0, -60).Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		w.zombies = append(w.zombies, p)
	}
	if _, err := w.db.Rollup(ctx, w.org.ID, now, cst(t), 60); err != nil {
		t.Fatal(err)
	}
	alerts, err := w.db.Alerts(ctx, w.org.ID, true, 10)
	if err != nil || len(alerts) != 1 || alerts[0].GroupID != w.enrol.ID {
		t.Fatalf("fixture: alerts %+v %v", alerts, err)
	}
	w.alert = alerts[0].ID
	w.srv.Health, w.srv.Maintenance = w.db, w.db
	w.srv.OnChange = func() { w.changes++ }
	return w
}

// TestHealthAlerts: the health page gives each alert its reason in words
// and its actions; snoozing puts it among the snoozed (off the dashboard)
// and resolving closes it; bad choices and unknown alerts are refused.
func TestHealthAlerts(t *testing.T) {
	w := newCareWorld(t)
	c := w.user()
	page := w.page(c, "/health")
	contains(t, "the health page", page, `id="alert-`+itoa(w.alert)+`"`, "群沉寂（14 天无人发言）", "14 天没有群友发言", `href="/groups/`+itoa(w.enrol.ID)+`"`,
		`action="/alerts/`+itoa(w.alert)+`/snooze"`, `id="g-`+itoa(w.enrol.ID)+`"`, `action="/health/groups/`+itoa(w.enrol.ID)+`/archive"`, `id="purge-pick"`)
	contains(t, "the English health page", w.page(c, "/health?lang=en"), "No member has posted for 14 days.", "Snooze", "Groups that need attention")
	w.page(c, "/health?lang=zh")
	snooze := "/alerts/" + itoa(w.alert) + "/snooze"
	for _, days := range []string{"2", "x", ""} {
		if code, _ := w.post(c, "/health", snooze, url.Values{"days": {days}}, true); code != 400 {
			t.Errorf("snooze for %q days: %d, want 400", days, code)
		}
	}
	if code, _ := w.post(c, "/health", "/alerts/999999/snooze", url.Values{"days": {"3"}}, true); code != 404 {
		t.Errorf("an unknown alert: %d", code)
	}
	if code, _ := w.post(c, "/health", "/alerts/x/resolve", url.Values{}, true); code != 404 {
		t.Errorf("a bad alert id: %d", code)
	}
	code, page := w.post(c, "/health", snooze, url.Values{"days": {"3"}}, true)
	if code != 200 || !strings.Contains(page, "预警已推迟 3 天") || !strings.Contains(page, `id="snoozed"`) || !strings.Contains(page, "推迟到 2026-11-28") {
		t.Fatalf("snooze: %d\n%s", code, page)
	}
	lacks(t, "the dashboard with the alert snoozed", w.page(c, "/"), "群沉寂（14 天无人发言）")
	code, page = w.post(c, "/health", "/alerts/"+itoa(w.alert)+"/resolve", url.Values{}, true)
	if code != 200 || !strings.Contains(page, "已处理") || strings.Contains(page, `id="alert-`+itoa(w.alert)+`"`) {
		t.Fatalf("resolve: %d", code)
	}
	if code, _ := w.post(c, "/health", "/alerts/"+itoa(w.alert)+"/resolve", url.Values{}, true); code != 404 {
		t.Errorf("resolving twice: %d", code)
	}
}

// TestPurgeReview: the proposal lists the zombies, each ticked; the one
// left unticked is not named in the notice; the notice asks first; it
// cannot be carried out before its period; after it, the one kept stays
// and the other named is removed; a second notice is withdrawn.
func TestPurgeReview(t *testing.T) {
	w := newCareWorld(t)
	c := w.user()
	queued := len(w.outbox(0))
	base := "/health/purge/" + itoa(w.cohort.ID)
	page := w.page(c, "/health/purge?group="+itoa(w.cohort.ID))
	for _, z := range w.zombies {
		contains(t, "the proposal", page, `name="person" value="`+itoa(z)+`" checked`)
	}
	contains(t, "the proposal", page, "潜水员1", "潜水员3", `id="notice-form"`)
	for _, bad := range []url.Values{{"days": {"0"}, "person": {itoa(w.zombies[0])}}, {"days": {"61"}, "person": {itoa(w.zombies[0])}}, {"days": {"七"}}, {"days": {"7"}, "person": {"abc"}}} {
		if code, _ := w.post(c, base, base+"/notice", bad, true); code != 400 {
			t.Errorf("notice %v: %d, want 400", bad, code)
		}
	}
	if _, page := w.post(c, base, base+"/notice", url.Values{"days": {"7"}}, true); !strings.Contains(page, "没有勾选任何人") {
		t.Errorf("a notice naming nobody: %s", page)
	}
	if _, page := w.post(c, base, base+"/notice", url.Values{"days": {"7"}, "person": {itoa(w.personIn(w.cohort.ID, "学员a"))}}, true); !strings.Contains(page, "名单刚刚有变化") {
		t.Errorf("naming someone not proposed: %s", page)
	}
	form := url.Values{"days": {"7"}, "person": {itoa(w.zombies[0]), itoa(w.zombies[1])}}
	code, page := w.post(c, base, base+"/notice", form, true)
	if code != 200 || !strings.Contains(page, "@ 2 位成员") || !strings.Contains(page, `name="confirm" value="yes"`) {
		t.Fatalf("notice without confirming: %d\n%s", code, page)
	}
	form.Set("confirm", "yes")
	code, page = w.post(c, base, base+"/notice", form, true)
	if code != 200 || !strings.Contains(page, "清理公告已发布，@ 了 2 位成员") || !strings.Contains(page, `id="pending"`) || !strings.Contains(page, "未列入公告") || !strings.Contains(page, `id="execute" disabled`) {
		t.Fatalf("notice: %d\n%s", code, page)
	}
	out := w.outbox(queued)
	if len(out) != 1 || !strings.Contains(out[0], "@潜水员1 @潜水员2") || strings.Contains(out[0], "潜水员3") {
		t.Fatalf("the notice: %q", out)
	}
	contains(t, "the health page's pending purges", w.page(c, "/health"), `id="purge-`+itoa(w.cohort.ID)+`"`, "公告了 2 人")
	if _, page := w.post(c, base, base+"/execute", url.Values{"confirm": {"yes"}}, true); !strings.Contains(page, "公告期还没结束") {
		t.Errorf("carried out early: %s", page)
	}
	w.advance(8 * 24 * time.Hour)
	c = w.user() // the session has expired
	page = w.page(c, base)
	contains(t, "the notice after its period", page, "可以执行", `name="keep" value="`+itoa(w.zombies[1])+`"`)
	lacks(t, "the notice after its period", page, `id="execute" disabled`)
	if code, _ := w.post(c, base, base+"/execute", url.Values{"keep": {"x"}}, true); code != 400 {
		t.Errorf("keeping %q: %d", "x", code)
	}
	keep := url.Values{"keep": {itoa(w.zombies[1])}}
	code, page = w.post(c, base, base+"/execute", keep, true)
	if code != 200 || !strings.Contains(page, "移出 1 位仍未发言的成员") || !strings.Contains(page, "保留 1 位") {
		t.Fatalf("execute without confirming: %d\n%s", code, page)
	}
	keep.Set("confirm", "yes")
	code, page = w.post(c, base, base+"/execute", keep, true)
	if code != 200 || !strings.Contains(page, "移出了 1 位成员") {
		t.Fatalf("execute: %d\n%s", code, page)
	}
	out = w.outbox(queued)
	if len(out) != 2 || !strings.HasPrefix(out[1], "g1: kick") {
		t.Fatalf("the removal: %q", out)
	}
	// A second notice, withdrawn.
	if code, _ := w.post(c, base, base+"/notice", url.Values{"days": {"3"}, "person": {itoa(w.zombies[2])}, "confirm": {"yes"}}, true); code != 200 {
		t.Fatal("second notice")
	}
	code, page = w.post(c, base, base+"/withdraw", url.Values{}, true)
	if code != 200 || !strings.Contains(page, "不会移出任何人") {
		t.Fatalf("withdraw without confirming: %d", code)
	}
	if code, page := w.post(c, base, base+"/withdraw", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(page, "清理公告已撤回") || strings.Contains(page, `id="pending"`) {
		t.Fatalf("withdraw: %d", code)
	}
	if _, page := w.post(c, base, base+"/withdraw", url.Values{"confirm": {"yes"}}, true); !strings.Contains(page, "名单刚刚有变化") {
		t.Errorf("withdrawing twice: %s", page)
	}
	if code := w.status(c, "/health/purge/999999"); code != 404 {
		t.Errorf("an unknown group: %d", code)
	}
	if code := w.status(c, "/health/purge?group=x"); code != 400 {
		t.Errorf("a bad group pick: %d", code)
	}
}

// TestArchiveGroup: archiving asks first, saying what it does; then the
// group is archived, the ingester told, and the group leaves the page.
func TestArchiveGroup(t *testing.T) {
	w := newCareWorld(t)
	c := w.user()
	path := "/health/groups/" + itoa(w.enrol.ID) + "/archive"
	code, page := w.post(c, "/health", path, url.Values{}, true)
	if code != 200 || !strings.Contains(page, "归档「阳新报名咨询群」") || !strings.Contains(page, "聊天记录") {
		t.Fatalf("archive without confirming: %d", code)
	}
	code, page = w.post(c, "/health", path, url.Values{"confirm": {"yes"}}, true)
	if code != 200 || !strings.Contains(page, "群已归档") || strings.Contains(page, `id="g-`+itoa(w.enrol.ID)+`"`) {
		t.Fatalf("archive: %d\n%s", code, page)
	}
	if g, _ := w.db.Group(context.Background(), w.org.ID, w.enrol.ID); g.Lifecycle != community.Archived || w.changes != 1 {
		t.Fatalf("after archiving: %s, %d changes", g.Lifecycle, w.changes)
	}
	if _, page := w.post(c, "/health", path, url.Values{"confirm": {"yes"}}, true); !strings.Contains(page, "已经归档") {
		t.Errorf("archiving twice: %s", page)
	}
	if code, _ := w.post(c, "/health", "/health/groups/999999/archive", url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("an unknown group: %d", code)
	}
}

// TestHealthScope: the shop's secretary sees only her cohort, and is
// refused the enrolment group's alert, archive and purge; an assistant
// handles alerts but neither purges nor archives; a viewer does nothing.
func TestHealthScope(t *testing.T) {
	w := newCareWorld(t)
	sec := w.scoped("shop", access.Secretary, w.shop.ID, 0)
	page := w.page(sec, "/health")
	lacks(t, "the secretary's health page", page, `id="alert-`+itoa(w.alert)+`"`, `id="g-`+itoa(w.enrol.ID)+`"`, `value="`+itoa(w.enrol.ID)+`"`)
	contains(t, "the secretary's health page", page, `<option class="ud" value="`+itoa(w.cohort.ID)+`"`)
	for _, path := range []string{"/alerts/" + itoa(w.alert) + "/resolve", "/alerts/" + itoa(w.alert) + "/snooze", "/health/groups/" + itoa(w.enrol.ID) + "/archive", "/health/purge/" + itoa(w.enrol.ID) + "/notice"} {
		if code, page := w.post(sec, "/health", path, url.Values{"days": {"3"}, "confirm": {"yes"}, "person": {itoa(w.zombies[0])}}, true); code != 403 || !strings.Contains(page, "不在你负责的范围内") {
			t.Errorf("secretary: POST %s: %d, want 403", path, code)
		}
	}
	if code := w.status(sec, "/health/purge/"+itoa(w.enrol.ID)); code != 403 {
		t.Errorf("secretary: another group's purge page: %d", code)
	}
	cohort := "/health/purge/" + itoa(w.cohort.ID)
	if code, page := w.post(sec, cohort, cohort+"/notice", url.Values{"days": {"7"}, "person": {itoa(w.zombies[0])}, "confirm": {"yes"}}, true); code != 200 || !strings.Contains(page, "清理公告已发布") {
		t.Errorf("secretary: a notice in her group: %d", code)
	}

	helper := w.scoped("xiaozhou", access.Assistant, w.region.ID, 0)
	for _, path := range []string{"/health/groups/" + itoa(w.enrol.ID) + "/archive", cohort + "/withdraw"} {
		if code, _ := w.post(helper, "/health", path, url.Values{"confirm": {"yes"}}, true); code != 403 {
			t.Errorf("assistant: POST %s: %d, want 403", path, code)
		}
	}
	lacks(t, "the assistant's purge page", w.page(helper, cohort), `id="withdraw-form"`, `name="keep"`)
	if code, page := w.post(helper, "/health", "/alerts/"+itoa(w.alert)+"/snooze", url.Values{"days": {"1"}}, true); code != 200 || !strings.Contains(page, "预警已推迟 1 天") {
		t.Errorf("assistant: snoozing an alert: %d", code)
	}

	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	if code, page := w.post(viewer, "/health", "/alerts/"+itoa(w.alert)+"/resolve", url.Values{}, true); code != 403 || !strings.Contains(page, "处理提醒") {
		t.Errorf("viewer: resolving: %d", code)
	}
	lacks(t, "the viewer's health page", w.page(viewer, "/health"), `/resolve"`, `/archive"`)
}

// TestHealthPageLimits: with more open alerts than the page lists, it
// shows the most pressing and says how many there are.
func TestHealthPageLimits(t *testing.T) {
	w := newCareWorld(t)
	for i := range 120 {
		if _, err := w.db.SQL().Exec(w.db.Rebind(`INSERT INTO alerts (org_id, group_id, person_id, kind, day, detail, created_at) VALUES (?, ?, ?, 'core_quiet', ?, '', ?)`),
			w.org.ID, w.cohort.ID, w.zombies[i%3], 20000+i, now.UnixMilli()); err != nil {
			t.Fatal(err)
		}
	}
	page := w.page(w.user(), "/health")
	if n := strings.Count(page, `<article class="case alert"`); n != 100 {
		t.Errorf("%d alerts listed, want 100", n)
	}
	contains(t, "the health page", page, `id="alerts-more"`, "显示最需要处理的 100 条", `id="alert-`+itoa(w.alert)+`"`)
}
