package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
)

// outbox returns the texts the store has queued for the world's
// connection, oldest first, after the first skip.
func (w *world) outbox(skip int) []string {
	w.t.Helper()
	items, err := w.db.PullActions(context.Background(), []string{"wx"}, 0, 1000)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.Action.Group+": "+string(it.Action.Kind)+" "+it.Action.Text)
	}
	return out[min(skip, len(out)):]
}

func (w *world) event(id int64) community.SignupList {
	w.t.Helper()
	ev, err := w.db.Event(context.Background(), w.org.ID, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return ev
}

// TestOpenEventForm: the form offers the user's active groups; what is
// wrong with a form is said on the page (400, or 409 when a group has an
// open list) with what was typed kept; a good one opens the event, posts
// it in its groups and lands on its page.
func TestOpenEventForm(t *testing.T) {
	w := newPages(t)
	w.srv.Events = w.db
	c := w.user()
	queued := len(w.outbox(0))
	body := w.page(c, "/events")
	contains(t, "the events page", body, `id="event-form"`, `<option class="ud" value="`+itoa(w.enrol.ID)+`">阳新报名咨询群</option>`, `name="also" value="`+itoa(w.owners.ID)+`"`)
	lacks(t, "the events page", body, `<option class="ud" value="`+itoa(w.temp.ID)+`"`) // archived
	tomorrow := now.Add(24 * time.Hour).In(cst(t)).Format("2006-01-02T15:04")
	good := url.Values{"title": {"周六线下实操课"}, "at": {tomorrow}, "place": {"阳新县电商产业园"}, "capacity": {"20"}, "group": {itoa(w.enrol.ID)}, "announce": {"yes"}}
	for _, bad := range []struct {
		change url.Values
		code   int
		says   string
	}{
		{url.Values{"title": {""}}, 400, "请填写活动标题"},
		{url.Values{"title": {strings.Repeat("长", 61)}}, 400, "标题最多 60 个字"},
		{url.Values{"place": {strings.Repeat("地", 101)}}, 400, "地点最多 100 个字"},
		{url.Values{"capacity": {"二十"}}, 400, "0 到 10000"},
		{url.Values{"capacity": {"-1"}}, 400, "0 到 10000"},
		{url.Values{"at": {"明天下午"}}, 400, "格式不对"},
		{url.Values{"at": {now.Add(-24 * time.Hour).In(cst(t)).Format("2006-01-02T15:04")}}, 400, "已经过去"},
		{url.Values{"group": {""}}, 400, "请选择一个你负责的"},
		{url.Values{"group": {"x"}}, 400, "请选择一个你负责的"},
		{url.Values{"group": {"999999"}}, 400, "请选择一个你负责的"},
		{url.Values{"also": {"y"}}, 400, "请选择一个你负责的"},
		{url.Values{"also": {itoa(w.temp.ID)}}, 409, "已归档"},
		{url.Values{"also": {itoa(w.cohort.ID)}}, 409, "线下沙龙：直播复盘"}, // the cohort has its salon open
	} {
		form := url.Values{}
		for k, v := range good {
			form[k] = v
		}
		for k, v := range bad.change {
			form[k] = v
		}
		code, page := w.post(c, "/events", "/events", form, true)
		if code != bad.code || !strings.Contains(page, bad.says) || !strings.Contains(page, `id="form-error"`) {
			t.Errorf("%v: %d, want %d saying %q", bad.change, code, bad.code, bad.says)
		}
		if bad.code == 400 && form.Get("place") == "阳新县电商产业园" && !strings.Contains(page, `value="阳新县电商产业园"`) {
			t.Errorf("%v: the form lost what was typed", bad.change)
		}
	}
	if code, _ := w.post(c, "/events", "/events", good, false); code != 403 {
		t.Fatalf("without the CSRF token: %d", code)
	}
	if n := len(w.outbox(queued)); n != 0 {
		t.Fatalf("refused forms posted %d messages", n)
	}
	code, page := w.post(c, "/events", "/events", good, true)
	if code != 200 || !strings.Contains(page, "接龙已发到 1 个群") || !strings.Contains(page, "<h1><span class=\"ud\">周六线下实操课") || !strings.Contains(page, "限 20 人") {
		t.Fatalf("open: %d\n%s", code, page)
	}
	if out := w.outbox(queued); len(out) != 1 || !strings.HasPrefix(out[0], "g2: send 【接龙】周六线下实操课（限 20 人") {
		t.Fatalf("announcement: %q", out)
	}
}

// TestCheckinAtTheDoor: the list with a button per person (those still to
// come first), a search by name or number, checking in and taking it back;
// the waitlisted cannot be checked in; a person not on the list is a 400.
func TestCheckinAtTheDoor(t *testing.T) {
	w := newPages(t)
	w.srv.Events = w.db
	c := w.user()
	base := "/events/" + itoa(w.cohortEvent) + "/checkin"
	page := w.page(c, base)
	contains(t, "the check-in page", page, `id="checkin-count"><b>1</b> / 2`, `id="p-`+itoa(w.a)+`" class="done"`, `id="p-`+itoa(w.b)+`" class=""`, `id="checkin-waiting"`, "新人甲")
	if n := strings.Count(page, `class="big"`); n != 1 {
		t.Errorf("%d check-in buttons, want 1 (学员b)", n)
	}
	for q, want := range map[string][]string{"学员B": {"学员b"}, "2": {"学员b"}, "学员": {"学员b", "学员a"}} { // those to come first
		got := names(strings.Split(w.page(c, base+"?q="+url.QueryEscape(q)), `<li id="p-`)[1:], "学员a", "学员b")
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("search %q: %v, want %v", q, got, want)
		}
	}
	contains(t, "a search with no match", w.page(c, base+"?q=zzz"), `id="no-match"`, "没有找到")

	code, page := w.post(c, base, "/events/"+itoa(w.cohortEvent)+"/checkin", url.Values{"person": {itoa(w.b)}, "q": {"学员"}}, true)
	if code != 200 || !strings.Contains(page, "2 号已签到") || !strings.Contains(page, `id="checkin-count"><b>2</b> / 2`) || !strings.Contains(page, `value="学员"`) {
		t.Fatalf("check in: %d\n%s", code, page)
	}
	if ev := w.event(w.cohortEvent); ev.CheckedIn() != 2 {
		t.Fatalf("checked in: %d", ev.CheckedIn())
	}
	if _, page := w.post(c, base, "/events/"+itoa(w.cohortEvent)+"/checkin", url.Values{"person": {itoa(w.newbie)}}, true); !strings.Contains(page, "3 号现在不能签到") {
		t.Errorf("checking in the waitlisted: %s", page)
	}
	for _, p := range []string{"abc", itoa(w.owner), ""} {
		if code, _ := w.post(c, base, "/events/"+itoa(w.cohortEvent)+"/checkin", url.Values{"person": {p}}, true); code != 400 {
			t.Errorf("check in person %q: %d, want 400", p, code)
		}
	}
	if code, page := w.post(c, base, "/events/"+itoa(w.cohortEvent)+"/undo-checkin", url.Values{"person": {itoa(w.b)}}, true); code != 200 || !strings.Contains(page, "2 号的签到已撤销") {
		t.Fatalf("undo: %d", code)
	}
	if ev := w.event(w.cohortEvent); ev.CheckedIn() != 1 {
		t.Fatalf("checked in after the undo: %d", ev.CheckedIn())
	}
	if code := w.status(c, "/events/999999/checkin"); code != 404 {
		t.Errorf("an unknown event's check-in: %d", code)
	}
	contains(t, "the English check-in page", w.page(c, base+"?lang=en"), "Check-in at the door", "Search a name or number", ">Check in<")
}

// TestCloseAndCancelEvent: closing and cancelling ask first; closing posts
// the final list, cancelling tells the groups naming everyone on the list;
// after it, nothing can change the event and its page offers nothing.
func TestCloseAndCancelEvent(t *testing.T) {
	w := newPages(t)
	w.srv.Events = w.db
	c := w.user()
	ev := "/events/" + itoa(w.cohortEvent)
	queued := len(w.outbox(0))
	contains(t, "the event page", w.page(c, ev), `id="event-actions"`, `action="`+ev+`/close"`, `action="`+ev+`/cancel"`)
	code, page := w.post(c, ev, ev+"/close", url.Values{}, true)
	if code != 200 || !strings.Contains(page, "截止「线下沙龙：直播复盘」的报名") || !strings.Contains(page, `name="confirm" value="yes"`) || w.event(w.cohortEvent).Closed {
		t.Fatalf("close without confirming: %d closed=%v", code, w.event(w.cohortEvent).Closed)
	}
	if code, page := w.post(c, ev, ev+"/close", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(page, "最终名单已发到 1 个群") || !w.event(w.cohortEvent).Closed {
		t.Fatalf("close: %d", code)
	}
	if out := w.outbox(queued); len(out) != 1 || !strings.Contains(out[0], "已截止") || !strings.Contains(out[0], "新人甲") {
		t.Fatalf("the final list: %q", out)
	}
	if code, _ := w.post(c, ev, ev+"/cancel", url.Values{"reason": {strings.Repeat("雨", 201)}, "confirm": {"yes"}}, true); code != 400 {
		t.Fatalf("a long reason: %d", code)
	}
	code, page = w.post(c, ev, ev+"/cancel", url.Values{"reason": {"暴雨预警"}}, true)
	if code != 200 || !strings.Contains(page, "3 位已报名或候补的人") || !strings.Contains(page, `name="reason" value="暴雨预警"`) || w.event(w.cohortEvent).Cancelled {
		t.Fatalf("cancel without confirming: %d\n%s", code, page)
	}
	code, page = w.post(c, ev, ev+"/cancel", url.Values{"reason": {"暴雨预警"}, "confirm": {"yes"}}, true)
	if code != 200 || !strings.Contains(page, "已在群里通知 3 位报名的人") || !strings.Contains(page, `id="event-state">已取消`) || strings.Contains(page, `id="event-actions"`) {
		t.Fatalf("cancel: %d\n%s", code, page)
	}
	out := w.outbox(queued)
	if len(out) != 2 || !strings.Contains(out[1], "活动取消") || !strings.Contains(out[1], "暴雨预警") || !strings.Contains(out[1], "@学员a @学员b @新人甲") {
		t.Fatalf("the cancellation: %q", out)
	}
	if _, page := w.post(c, ev, ev+"/cancel", url.Values{"confirm": {"yes"}}, true); !strings.Contains(page, "已经取消过了") {
		t.Errorf("cancelling twice: %s", page)
	}
	if _, page := w.post(c, ev, ev+"/checkin", url.Values{"person": {itoa(w.b)}}, true); !strings.Contains(page, "现在不能签到") {
		t.Errorf("checking in at a cancelled event: %s", page)
	}
	contains(t, "the events list", w.page(c, "/events"), `<span class="badge dead">已取消</span>`)
}

// TestEventsScope: a region's secretary opens events only in her groups
// and runs only those opened there; she sees (not runs) one announced in
// her group from outside; a viewer gets no form and is refused every
// write; an assistant checks people in.
func TestEventsScope(t *testing.T) {
	w := newPages(t)
	w.srv.Events = w.db
	// The owners' meeting is also announced in the enrolment group.
	if _, err := w.db.CancelEvent(context.Background(), w.org.ID, w.ownersEvent, "", "test"); err != nil {
		t.Fatal(err)
	}
	shared, err := w.db.OpenEvent(context.Background(), community.EventRequest{OrgID: w.org.ID, GroupID: w.owners.ID, AlsoIn: []int64{w.enrol.ID}, Title: "业主开放日", Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	body := w.page(sec, "/events")
	contains(t, "the secretary's form", body, `id="event-form"`, `<option class="ud" value="`+itoa(w.enrol.ID)+`"`, "业主开放日")
	lacks(t, "the secretary's form", body, `value="`+itoa(w.owners.ID)+`"`)
	form := url.Values{"title": {"沙龙"}, "group": {itoa(w.owners.ID)}}
	if code, page := w.post(sec, "/events", "/events", form, true); code != 403 || !strings.Contains(page, "不在你负责的范围内") {
		t.Errorf("opening in another's group: %d", code)
	}
	form = url.Values{"title": {"沙龙"}, "group": {itoa(w.cohort.ID)}, "also": {itoa(w.owners.ID)}}
	if code, _ := w.post(sec, "/events", "/events", form, true); code != 403 {
		t.Errorf("announcing in another's group: %d", code)
	}
	page := w.page(sec, "/events/"+itoa(shared.ID))
	lacks(t, "an event announced in her group", page, `id="event-actions"`)
	for _, path := range []string{"/close", "/cancel", "/checkin"} {
		if code, _ := w.post(sec, "/events", "/events/"+itoa(shared.ID)+path, url.Values{"confirm": {"yes"}, "person": {itoa(w.a)}}, true); code != 403 {
			t.Errorf("secretary: POST %s on an event run elsewhere: %d, want 403", path, code)
		}
	}
	if code := w.status(sec, "/events/"+itoa(shared.ID)+"/checkin"); code != 403 {
		t.Errorf("secretary: the check-in page of an event run elsewhere: %d", code)
	}
	if code, _ := w.post(sec, "/events", "/events/"+itoa(w.cohortEvent)+"/checkin", url.Values{"person": {itoa(w.b)}}, true); code != 200 {
		t.Errorf("secretary: checking in at her own event: %d", code)
	}

	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's events", w.page(viewer, "/events"), `id="event-form"`)
	lacks(t, "the viewer's event", w.page(viewer, "/events/"+itoa(w.cohortEvent)), `id="event-actions"`)
	if code, page := w.post(viewer, "/events", "/events", url.Values{"title": {"沙龙"}, "group": {itoa(w.cohort.ID)}}, true); code != 403 || !strings.Contains(page, "组织活动") {
		t.Errorf("a viewer opening an event: %d", code)
	}
	if code := w.status(viewer, "/events/"+itoa(w.cohortEvent)+"/checkin"); code != 403 {
		t.Errorf("a viewer's check-in page: %d", code)
	}

	helper := w.scoped("xiaozhou", access.Assistant, 0, w.cohort.ID)
	if code, page := w.post(helper, "/events", "/events/"+itoa(w.cohortEvent)+"/undo-checkin", url.Values{"person": {itoa(w.a)}}, true); code != 200 || !strings.Contains(page, "1 号的签到已撤销") {
		t.Errorf("an assistant taking a check-in back: %d", code)
	}

	// Without a runner, nothing is offered and the writes are not found.
	w.srv.Events = nil
	c := w.user()
	lacks(t, "the events page without a runner", w.page(c, "/events"), `id="event-form"`)
	if code, _ := w.post(c, "/events", "/events", url.Values{"title": {"沙龙"}, "group": {itoa(w.cohort.ID)}}, true); code != 404 {
		t.Errorf("opening without a runner: %d", code)
	}
}

func cst(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestOpenEventByName: with more groups than the form lists as boxes,
// the other groups are typed by name; a name that is none of the user's
// groups is said on the page.
func TestOpenEventByName(t *testing.T) {
	w := newPages(t)
	w.srv.Events = w.db
	ctx := context.Background()
	for i := range 200 {
		g := community.Group{OrgID: w.org.ID, NodeID: w.region.ID, Connection: "wx", Platform: "wecom", ExternalID: "more" + itoa(int64(i)), Name: "阳新学员群" + itoa(int64(i))}
		if err := w.db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
	}
	c := w.user()
	page := w.page(c, "/events")
	contains(t, "the form of a big organisation", page, `name="also_names"`)
	lacks(t, "the form of a big organisation", page, `name="also"`)
	form := url.Values{"title": {"全县学员大会"}, "group": {itoa(w.enrol.ID)}, "announce": {"yes"}, "also_names": {"阳新学员群7，大冶的群"}}
	if code, page := w.post(c, "/events", "/events", form, true); code != 400 || !strings.Contains(page, "找不到你负责的、未归档的群「大冶的群」") || !strings.Contains(page, "阳新学员群7，大冶的群") {
		t.Fatalf("an unknown name: %d", code)
	}
	form.Set("also_names", "阳新学员群7，阳新学员群8\n阳新报名咨询群")
	if code, page := w.post(c, "/events", "/events", form, true); code != 200 || !strings.Contains(page, "接龙已发到 3 个群") || !strings.Contains(page, "阳新学员群8") {
		t.Fatalf("open by names: %d\n%s", code, page)
	}
}
