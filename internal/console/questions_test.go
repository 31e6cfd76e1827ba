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

// qaWorld is the world with questions tracked: in the cohort one answered
// in time by a member's reply and one overdue; in the owners' group (out
// of the region's scope) one still waiting.
func qaWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	var owner int64
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		var err error
		owner, err = tx.ResolvePerson(ctx, w.org.ID, "wx", "wecom", chat.User{ID: "o1", Name: "业主老刘"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.db.AddMembership(ctx, &community.Membership{GroupID: w.owners.ID, PersonID: owner, JoinedAt: now.AddDate(0, 0, -5)}); err != nil {
		t.Fatal(err)
	}
	seq := 0
	say := func(g community.Group, person int64, at time.Time, text, reply string) string {
		seq++
		id := fmt.Sprint("qa", seq)
		if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: person, ExternalID: id, Kind: chat.KindText, Text: text, ReplyTo: reply, SentAt: at}})
		}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	a, b, c := w.personIn(w.cohort.ID, "学员a"), w.personIn(w.cohort.ID, "学员b"), w.personIn(w.cohort.ID, "学员c")
	q := say(w.cohort, a, now.Add(-2*time.Hour), "请问作业什么时候交？", "")
	say(w.cohort, b, now.Add(-2*time.Hour+5*time.Minute), "周五之前", q)
	say(w.cohort, c, now.Add(-30*time.Minute), "直播回放在哪里看？", "")
	say(w.owners, owner, now.Add(-3*time.Minute), "物业电话多少？", "")
	if run, err := w.db.TrackQuestions(ctx, w.org.ID, now, cst(t)); err != nil || run.Asked != 3 || run.Answered != 1 {
		t.Fatalf("fixture: %+v %v", run, err)
	}
	w.srv.Questions = w.db
	return w
}

// TestQuestionsPage: the page lists the questions waiting, overdue first,
// and the figures per group and per assistant (the dashboard the week's); a secretary scoped to a
// region sees only its groups and sets their target, not others'; bad
// input is a 400 that says what is wrong.
func TestQuestionsPage(t *testing.T) {
	w := qaWorld(t)
	c := w.user()
	page := w.page(c, "/questions")
	contains(t, "the questions page", page, "成员提问", "直播回放在哪里看？", "物业电话多少？", "请问作业什么时候交？", "已超时", "等待中", `<span class="ud">学员b</span> 回复了`,
		`id="qa-group-table-`+itoa(w.cohort.ID)+`"`, `id="qa-group-table-`+itoa(w.owners.ID)+`"`, "10 分钟（08:00-22:00）", "（无人值班）")
	if m := between(page, `id="qa-rate">`, "<"); m != "50%" {
		t.Errorf("the rate: %q, want 50%% (one of the two due answered in time)", m)
	}
	if i, j := strings.Index(page, "直播回放在哪里看？"), strings.Index(page, "物业电话多少？"); i < 0 || j < i {
		t.Errorf("overdue before waiting")
	}
	lacks(t, "the page without a group chosen", page, `id="qa-target"`)
	dash := w.page(c, "/")
	if a, r, o := between(dash, `id="dash-qa-asked">`, "<"), between(dash, `id="dash-qa-rate">`, "<"), between(dash, `id="dash-qa-open">`, "<"); a != "3" || r != "50%" || o != "2" {
		t.Errorf("the dashboard's questions: asked %q, rate %q, waiting %q; want 3, 50%%, 2", a, r, o)
	}
	contains(t, "the English page", w.page(c, "/questions?lang=en"), "Questions waiting for an answer", "overdue", `<span class="ud">学员b</span> replied`, "Answered in time")
	w.page(c, "/questions?lang=zh")
	for _, bad := range []string{"/questions?days=2", "/questions?days=x", "/questions?group=x"} {
		if code := w.status(c, bad); code != 400 {
			t.Errorf("GET %s: %d, want 400", bad, code)
		}
	}
	if code := w.status(c, "/questions?group=999999"); code != 404 && code != 403 {
		t.Errorf("an unknown group: %d", code)
	}

	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	page = w.page(sec, "/questions")
	contains(t, "the secretary's page", page, "直播回放在哪里看？", "请问作业什么时候交？")
	lacks(t, "the secretary's page", page, "物业电话多少？", `id="qa-group-table-`+itoa(w.owners.ID)+`"`)
	if a := between(w.page(sec, "/"), `id="dash-qa-asked">`, "<"); a != "2" {
		t.Errorf("the secretary's dashboard counts %q questions, want her region's 2", a)
	}
	if code := w.status(sec, "/questions?group="+itoa(w.owners.ID)); code != 403 {
		t.Errorf("another region's group: %d, want 403", code)
	}
	from := "/questions?group=" + itoa(w.cohort.ID)
	contains(t, "the cohort's target form", w.page(sec, from), `id="qa-target"`, "默认时限：10 分钟")
	if code, _ := w.post(sec, from, "/questions/target/"+itoa(w.owners.ID), url.Values{"minutes": {"30"}, "from": {"09:00"}, "to": {"21:00"}}, true); code != 403 {
		t.Errorf("setting another region's target: %d, want 403", code)
	}
	target := "/questions/target/" + itoa(w.cohort.ID)
	for _, bad := range []url.Values{{"minutes": {"0"}, "from": {"09:00"}, "to": {"21:00"}}, {"minutes": {"半小时"}, "from": {"09:00"}, "to": {"21:00"}},
		{"minutes": {"30"}, "from": {"25:00"}, "to": {"21:00"}}, {"minutes": {"30"}, "from": {"09:00"}, "to": {"09:30"}}} {
		if code, _ := w.post(sec, from, target, bad, true); code != 400 {
			t.Errorf("target %v: %d, want 400", bad, code)
		}
	}
	if code, _ := w.post(sec, from, target, url.Values{"minutes": {"30"}, "from": {"09:00"}, "to": {"21:00"}}, false); code != 403 {
		t.Errorf("without the CSRF token: %d", code)
	}
	code, page := w.post(sec, from, target, url.Values{"minutes": {"30"}, "from": {"09:00"}, "to": {"21:00"}}, true)
	if code != 200 || !strings.Contains(page, "回答时限已改为 30 分钟") || !strings.Contains(page, "30 分钟（09:00-21:00）") || strings.Contains(page, "默认时限") {
		t.Fatalf("set the target: %d\n%s", code, page)
	}
	viewer := w.scoped("viewer", access.Viewer, 0, w.cohort.ID)
	lacks(t, "the viewer's page", w.page(viewer, from), `id="qa-target"`)
	if code, _ := w.post(viewer, from, target, url.Values{"minutes": {"20"}, "from": {"09:00"}, "to": {"21:00"}}, true); code != 403 {
		t.Errorf("a viewer setting the target: %d, want 403", code)
	}
}

// between returns the text of s after open up to the next close.
func between(s, open, close string) string {
	_, after, ok := strings.Cut(s, open)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, close)
	return v
}
