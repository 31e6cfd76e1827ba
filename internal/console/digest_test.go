package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestDigestPage: yesterday's digest shows the user's groups, each linked
// to its day; a secretary sees only her region's; bad days and groups are
// refused; only a manager changes the settings.
func TestDigestPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	loc := cst(t)
	yesterday := analytics.DayOf(now, loc) - 1
	base := yesterday.Start(loc).Add(10 * time.Hour)
	a, b, c := w.personIn(w.cohort.ID, "学员a"), w.personIn(w.cohort.ID, "学员b"), w.personIn(w.cohort.ID, "学员c")
	msgs := []community.Message{
		{GroupID: w.cohort.ID, PersonID: a, ExternalID: "d1", Text: "小黄车怎么挂？", SentAt: base},
		{GroupID: w.cohort.ID, PersonID: b, ExternalID: "d2", Text: "小黄车在后台挂", ReplyTo: "d1", SentAt: base.Add(time.Minute)},
		{GroupID: w.cohort.ID, PersonID: c, ExternalID: "d3", Text: "小黄车要交保证金", ReplyTo: "d2", SentAt: base.Add(2 * time.Minute)},
	}
	// 学员d posted on the five days before and left yesterday: a formerly
	// active member the summary names.
	d := w.personIn(w.cohort.ID, "学员d")
	for i := 2; i <= 6; i++ {
		msgs = append(msgs, community.Message{GroupID: w.cohort.ID, PersonID: d, ExternalID: "dl" + itoa(int64(i)), Text: "打卡", SentAt: base.AddDate(0, 0, -i+1).Add(-time.Hour)})
	}
	for i := range msgs {
		msgs[i].Kind = chat.KindText
	}
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.InsertMessages(ctx, msgs) }); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Rollup(ctx, w.org.ID, yesterday.Start(loc), loc, 30); err != nil {
		t.Fatal(err)
	}
	ms, _ := w.db.Members(ctx, w.cohort.ID)
	for _, m := range ms {
		if m.PersonID == d {
			if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
				return tx.EndMembership(ctx, m.ID, base.Add(time.Hour), chat.LeftVoluntarily)
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := w.db.MakeDigest(ctx, w.org.ID, yesterday, loc, strings.ToLower, now); err != nil {
		t.Fatal(err)
	}
	w.srv.Digests = w.db
	day := yesterday.Start(loc).Format("2006-01-02")
	m := w.user()
	page := w.page(m, "/digest")
	contains(t, "the digest", page, "日报", `id="dg-`+itoa(w.cohort.ID)+`"`, "小黄车", `id="dg-settings"`, `value="08:00"`,
		`id="dg-leavers"`, `活跃成员退群：<span class="ud">学员d</span>（<span class="ud">`+w.cohort.Name+`</span>）`)
	if n := between(page, `id="dg-member-messages">`, "<"); n != "3" {
		t.Errorf("member messages: %q", n)
	}
	page = w.page(m, "/digest?day="+day+"&group="+itoa(w.cohort.ID))
	contains(t, "the cohort's digest", page, "消息 3 条（群友 3 条，3 人发言）", `id="dg-threads"`, "学员a", "3 条 · 3 人", `id="dg-terms"`, `<span class="ud">小黄车</span> (3)`)
	contains(t, "the English digest", w.page(m, "/digest?lang=en"), "Daily digest", "Groups with news")
	w.page(m, "/digest?lang=zh")
	for path, want := range map[string]int{"/digest?day=昨天": 400, "/digest?day=2020-01-01": 404, "/digest?group=x": 400} {
		if code := w.status(m, path); code != want {
			t.Errorf("GET %s: %d, want %d", path, code, want)
		}
	}

	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	page = w.page(sec, "/digest")
	contains(t, "the secretary's digest", page, `id="dg-`+itoa(w.cohort.ID)+`"`)
	lacks(t, "the secretary's digest", page, `id="dg-`+itoa(w.owners.ID)+`"`, `id="dg-settings"`)
	if code := w.status(sec, "/digest?group="+itoa(w.owners.ID)); code != 403 {
		t.Errorf("another region's group: %d, want 403", code)
	}
	if code, _ := w.post(sec, "/digest", "/digest/settings", url.Values{"time": {"07:30"}}, true); code != 403 {
		t.Errorf("the secretary changing the settings: %d, want 403", code)
	}
	for _, bad := range []string{"25:00", "早上", ""} {
		if code, _ := w.post(m, "/digest", "/digest/settings", url.Values{"time": {bad}}, true); code != 400 {
			t.Errorf("time %q: %d, want 400", bad, code)
		}
	}
	code, page := w.post(m, "/digest", "/digest/settings", url.Values{"time": {"07:30"}, "send": {"1"}}, true)
	if code != 200 || !strings.Contains(page, "日报设置已保存") || !strings.Contains(page, `value="07:30"`) {
		t.Fatalf("settings: %d\n%s", code, page)
	}
	if s, err := w.db.DigestSettings(ctx, w.org.ID); err != nil || s != (analytics.DigestSettings{Minute: 7*60 + 30, Send: true}) {
		t.Fatalf("settings kept: %+v %v", s, err)
	}
}
