package console_test

import (
	"context"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
)

// text is a page's words: its tags dropped, its spaces collapsed.
func text(page string) string {
	return strings.Join(strings.Fields(tagRE.ReplaceAllString(page, "")), " ")
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

func TestCadencesPage(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	w.srv.Tags = w.db
	w.srv.Cadences = w.db
	watch := community.Tag{OrgID: w.org.ID, Name: "本周重点群", Subject: community.TagGroups}
	mineTag := community.Tag{OrgID: w.org.ID, Name: "阳新的群", Subject: community.TagGroups}
	warm := community.Tag{OrgID: w.org.ID, Name: "高意向", Subject: community.TagPeople}
	for _, tg := range []*community.Tag{&watch, &mineTag, &warm} {
		if err := w.db.CreateTag(ctx, tg); err != nil {
			t.Fatal(err)
		}
	}
	for _, tg := range []struct{ tag, group int64 }{{watch.ID, w.owners.ID}, {watch.ID, w.cohort.ID}, {mineTag.ID, w.cohort.ID}} {
		if err := w.db.SetGroupTag(ctx, w.org.ID, tg.tag, tg.group, true, "test"); err != nil {
			t.Fatal(err)
		}
	}
	admin := w.user()
	empty := w.page(admin, "/cadences")
	contains(t, "the empty page", empty, "还没有定时推送", `id="cadence-form"`, `name="cadence"`, "建群后第几天", "入群后第几天", `id="plan-tag"`, "本周重点群", w.cohort.Name, w.scheduled.Title)
	lacks(t, "the empty page", empty, w.draft.Title, "高意向")
	contains(t, "the push calendar", w.page(admin, "/pushes"), `href="/cadences"`)

	sid := itoa(w.scheduled.ID)
	// Every way to aim and to repeat, listed in words.
	for _, ok := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "tag": {itoa(watch.ID)}}, "每天 07:30（早高峰）"},
		{url.Values{"script": {sid}, "cadence": {"weekly"}, "weekday": {"1"}, "slot": {"evening"}, "kind": {"cohort"}, "name": {"周一复盘"}}, "每周一 20:30（晚高峰）"},
		{url.Values{"script": {sid}, "cadence": {"group_day"}, "day": {"3"}, "slot": {"noon"}, "node": {itoa(w.region.ID)}}, "建群第 3 天 12:00（午高峰）"},
		{url.Values{"script": {sid}, "cadence": {"member_day"}, "day": {"1"}, "slot": {"morning"}, "group": {itoa(w.cohort.ID)}}, "入群第 1 天 07:30（早高峰）"},
	} {
		code, landed := w.post(admin, "/cadences", "/cadences", ok.form, true)
		landed = html.UnescapeString(landed)
		if code != 200 || !strings.Contains(landed, "定时推送已创建") || !strings.Contains(landed, ok.want) {
			t.Fatalf("create %v: %d, want it listed as %q", ok.form, code, ok.want)
		}
	}
	list, err := w.db.Cadences(ctx, w.org.ID)
	if err != nil || len(list) != 4 {
		t.Fatalf("stored: %d cadences, %v", len(list), err)
	}
	page := w.page(admin, "/cadences")
	contains(t, "the list", text(page), w.scheduled.Title, "群标签 本周重点群", "周一复盘", "学员群", "节点 阳新县", w.cohort.Name, "运行中", "已安排 0 次", "还没有执行过")
	lacks(t, "the list", text(page), "daily", "group_day", "member_day", ">cohort<", "cadence:")
	en := text(w.page(admin, "/cadences?lang=en"))
	contains(t, "the list in English", en, "every day at 07:30 (morning)", "every Monday at 20:30 (evening)", "day 3 after the group was created, at 12:00 (noon)", "day 1 after each member joined, at 07:30 (morning)", "running")

	// Bad input: 400 in the page's language, nothing stored.
	for _, bad := range []struct {
		form   url.Values
		zh, en string
	}{
		{url.Values{"cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}}, "已通过审核的剧本", "approved script"},
		{url.Values{"script": {"abc"}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}}, "已通过审核的剧本", "approved script"},
		{url.Values{"script": {itoa(w.draft.ID)}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}}, "已通过审核的剧本", "approved script"},
		{url.Values{"script": {"99999"}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}}, "已通过审核的剧本", "approved script"},
		{url.Values{"script": {sid}, "cadence": {"hourly"}, "slot": {"morning"}, "kind": {"cohort"}}, "请选择重复方式", "Choose how it repeats"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"midnight"}, "kind": {"cohort"}}, "请从列表中选择高峰时段", "Choose a peak"},
		{url.Values{"script": {sid}, "cadence": {"weekly"}, "weekday": {"7"}, "slot": {"morning"}, "kind": {"cohort"}}, "请选择星期几", "Choose a weekday"},
		{url.Values{"script": {sid}, "cadence": {"weekly"}, "slot": {"morning"}, "kind": {"cohort"}}, "请选择星期几", "Choose a weekday"},
		{url.Values{"script": {sid}, "cadence": {"group_day"}, "day": {"366"}, "slot": {"morning"}, "kind": {"cohort"}}, "0 到 365", "0 to 365"},
		{url.Values{"script": {sid}, "cadence": {"group_day"}, "day": {"-1"}, "slot": {"morning"}, "kind": {"cohort"}}, "0 到 365", "0 to 365"},
		{url.Values{"script": {sid}, "cadence": {"member_day"}, "day": {"0"}, "slot": {"morning"}, "kind": {"cohort"}}, "1 到 365", "1 to 365"},
		{url.Values{"script": {sid}, "cadence": {"member_day"}, "day": {"x"}, "slot": {"morning"}, "kind": {"cohort"}}, "1 到 365", "1 to 365"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}}, "请选择要推送到的群", "Choose the groups"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"pirates"}}, "请从列表中选择群类型", "Choose a group kind"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "group": {"abc"}}, "请从列表中勾选群", "Tick groups"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "group": {"99999"}}, "请选择要推送到的群", "Choose the groups"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "node": {"x"}}, "请从列表中选择节点", "Choose a node"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "node": {"99999"}}, "请选择要推送到的群", "Choose the groups"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "tag": {itoa(warm.ID)}}, "请从列表中选择群标签", "Choose a group tag"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "tag": {"99999"}}, "请从列表中选择群标签", "Choose a group tag"},
		{url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}, "name": {strings.Repeat("长", 101)}}, "最多 100 个字", "at most 100"},
	} {
		for lang, want := range map[string]string{"zh": bad.zh, "en": bad.en} {
			code, body := w.post(admin, "/cadences", "/cadences?lang="+lang, bad.form, true)
			if code != 400 || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("create %v (%s): %d, want 400 saying %q", bad.form, lang, code, want)
			}
		}
	}
	if list, _ := w.db.Cadences(ctx, w.org.ID); len(list) != 4 {
		t.Fatalf("bad input stored a cadence: %d", len(list))
	}

	// Pause and resume, audited (in Chinese again).
	w.page(admin, "/cadences?lang=zh")
	id := list[0].ID // the newest: the cohort's member-day follow-up
	code, landed := w.post(admin, "/cadences", "/cadences/"+itoa(id)+"/pause", url.Values{}, true)
	if code != 200 || !strings.Contains(landed, "定时推送已暂停") {
		t.Fatalf("pause: %d\n%s", code, landed)
	}
	if cs, _ := w.db.Cadences(ctx, w.org.ID); !cs[0].Paused || cs[1].Paused {
		t.Fatalf("after pausing: %+v", cs)
	}
	contains(t, "a paused cadence", w.page(admin, "/cadences"), "已暂停", `action="/cadences/`+itoa(id)+`/resume"`)
	if code, landed := w.post(admin, "/cadences", "/cadences/"+itoa(id)+"/resume", url.Values{}, true); code != 200 || !strings.Contains(landed, "定时推送已恢复") {
		t.Fatalf("resume: %d", code)
	}
	if cs, _ := w.db.Cadences(ctx, w.org.ID); cs[0].Paused {
		t.Fatalf("after resuming: %+v", cs[0])
	}
	contains(t, "the audit log", w.page(admin, "/audit"), "创建定时推送", "暂停定时推送", "恢复定时推送")
	if code, _ := w.post(admin, "/cadences", "/cadences/99999/pause", url.Values{}, true); code != 404 {
		t.Errorf("pause an unknown cadence: %d", code)
	}
	if code, _ := w.post(admin, "/cadences", "/cadences/"+itoa(id)+"/pause", url.Values{}, false); code != 403 {
		t.Errorf("pause without the CSRF token: %d", code)
	}

	// The region's secretary: only cadences reaching nothing but her
	// groups, and she aims at hers only.
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/cadences")
	contains(t, "the secretary's cadences", text(mine), "节点 阳新县", "入群第 1 天")
	contains(t, "the secretary's form", mine, `id="cadence-form"`)
	lacks(t, "the secretary's cadences", mine, "本周重点群", "周一复盘", w.owners.Name)
	contains(t, "the secretary's tags", mine, "阳新的群")
	var tagged, byKind int64
	for _, c := range list {
		switch {
		case c.Select.TagID == watch.ID:
			tagged = c.ID
		case c.Select.Kind != "":
			byKind = c.ID
		}
	}
	for _, out := range []url.Values{
		{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "group": {itoa(w.owners.ID)}},
		{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "tag": {itoa(watch.ID)}},
		{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "kind": {"cohort"}},
		{"script": {sid}, "cadence": {"daily"}, "slot": {"morning"}, "node": {itoa(w.owners.NodeID)}},
	} {
		for lang, want := range map[string]string{"zh": "不在你负责范围内", "en": "outside your part"} {
			if code, body := w.post(sec, "/cadences", "/cadences?lang="+lang, out, true); code != 403 || !strings.Contains(html.UnescapeString(body), want) {
				t.Errorf("the secretary aims at %v (%s): %d", out, lang, code)
			}
		}
	}
	for _, other := range []int64{tagged, byKind} {
		if code, _ := w.post(sec, "/cadences", "/cadences/"+itoa(other)+"/pause", url.Values{}, true); code != 403 {
			t.Errorf("the secretary pauses cadence %d: %d", other, code)
		}
	}
	w.page(sec, "/cadences?lang=zh")
	if code, landed := w.post(sec, "/cadences", "/cadences", url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"noon"}, "tag": {itoa(mineTag.ID)}}, true); code != 200 || !strings.Contains(landed, "定时推送已创建") {
		t.Errorf("the secretary aims at a tag of her groups: %d", code)
	}
	if cs, _ := w.db.Cadences(ctx, w.org.ID); len(cs) != 5 || cs[0].CreatedBy != "user:yangxin" || cs[0].Kind != content.Daily {
		t.Errorf("the secretary's cadence: %d, %+v", len(cs), cs[0])
	}

	// Its tag deleted, a cadence is paused and aims nowhere: it is not
	// offered to resume, and resuming it is refused in words.
	if err := w.db.DeleteTag(ctx, w.org.ID, watch.ID, "test"); err != nil {
		t.Fatal(err)
	}
	gone := w.page(admin, "/cadences?lang=zh")
	contains(t, "a cadence whose tag was deleted", text(gone), "群标签已删除，不再推送")
	lacks(t, "a cadence whose tag was deleted", gone, `action="/cadences/`+itoa(tagged)+`/resume"`)
	for lang, want := range map[string]string{"zh": "无法恢复", "en": "cannot be resumed"} {
		if code, body := w.post(admin, "/cadences", "/cadences/"+itoa(tagged)+"/resume?lang="+lang, url.Values{}, true); code != 409 || !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("resume a cadence whose tag was deleted (%s): %d", lang, code)
		}
	}

	// A viewer reads, never changes.
	viewer := w.scoped("kan", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's cadences", w.page(viewer, "/cadences"), `id="cadence-form"`, "/pause", "/resume")
	if code, _ := w.post(viewer, "/cadences", "/cadences", url.Values{"script": {sid}, "cadence": {"daily"}, "slot": {"noon"}, "node": {itoa(w.region.ID)}}, true); code != 403 {
		t.Errorf("a viewer creates a cadence: %d", code)
	}
	w.anonymous("POST", "/cadences")
}
