package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// dupWorld is a world with a series of two cohorts, 学员a in both (the
// first joined first, the second posted in), and the series' family.
func dupWorld(t *testing.T) (*world, []community.Group, int64) {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	tpl := community.Template{OrgID: w.org.ID, Name: "开班", Steps: []community.TemplateStep{{Kind: community.KindCohort, Count: 2, Pattern: "阳新第{n}期直播班"}}}
	if err := w.db.CreateTemplate(ctx, &tpl, "test"); err != nil {
		t.Fatal(err)
	}
	tasks, _, err := w.db.ApplyTemplate(ctx, w.org.ID, tpl.ID, w.region.ID, nil, "test")
	if err != nil || len(tasks) != 2 {
		t.Fatalf("tasks %+v %v", tasks, err)
	}
	var series []community.Group
	for i, task := range tasks {
		g := community.Group{OrgID: w.org.ID, NodeID: w.region.ID, Connection: "wx", Platform: "wecom", ExternalID: task.Name, Name: task.Name, Kind: community.KindCohort}
		if err := w.db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		if _, err := w.db.BindTask(ctx, w.org.ID, task.ID, g.ID, "test"); err != nil {
			t.Fatal(err)
		}
		a := w.personIn(w.cohort.ID, "学员a")
		if err := w.db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: a, JoinedAt: now.AddDate(0, 0, -9+i)}); err != nil {
			t.Fatal(err)
		}
		series = append(series, g)
	}
	a := w.personIn(w.cohort.ID, "学员a")
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		return tx.InsertMessages(ctx, []community.Message{{GroupID: series[1].ID, PersonID: a, ExternalID: "dup1", Kind: chat.KindText, Text: "在", SentAt: now.Add(-time.Hour)}})
	}); err != nil {
		t.Fatal(err)
	}
	w.srv.Duplicates, w.srv.Maintenance, w.srv.Health = w.db, w.db, w.db
	return w, series, tasks[0].FamilyID
}

// TestDuplicatesPage: a member in two cohorts of one series is listed
// with the cohort she stays in by the organisation's rule (joined first,
// or posted in most), and as in too many groups by its threshold — both
// settings a manager saves on the page (audited; bad values a 400 in the
// page's language, changing nothing); a secretary sees them in words and
// may not change them; a viewer of one group sees no duplicates.
func TestDuplicatesPage(t *testing.T) {
	w, series, _ := dupWorld(t)
	a := w.personIn(w.cohort.ID, "学员a")
	m := w.user()
	kept := func(page string) string {
		card := between(page, `id="dup-`+itoa(a)+`"`, "</article>")
		return between(card, `class="dup-keep"><a class="ud" href="/groups/`, `"`)
	}
	page := w.page(m, "/duplicates")
	contains(t, "the duplicates", page, "重复入群", `id="dup-`+itoa(a)+`"`, "学员a", "阳新第1期直播班", "阳新第2期直播班", "1 位成员，可腾出 1 个位置",
		`action="/duplicates/settings"`, `name="overall" value="0"`, "同一系列只能加入一个群")
	lacks(t, "the gate off", page, `name="gate" value="1" class="check" checked`)
	if k := kept(page); k != itoa(series[0].ID) {
		t.Errorf("kept by the earliest: group %s, want %d", k, series[0].ID)
	}
	settings := func(keep, overall, gate string) url.Values {
		return url.Values{"keep": {keep}, "overall": {overall}, "gate": {gate}}
	}
	for _, bad := range []struct {
		form url.Values
		lang string
		want string
	}{
		{settings("newest", "0", ""), "zh", "留群规则只能是"}, {settings("active", "1", ""), "zh", "群数只能是"},
		{settings("active", "x", ""), "en", "The number of groups is"}, {settings("active", "101", "1"), "en", "The number of groups is"},
		{settings("", "3", ""), "en", "The rule is"},
	} {
		code, body := w.post(m, "/duplicates?lang="+bad.lang, "/duplicates/settings?lang="+bad.lang, bad.form, true)
		if code != 400 || !strings.Contains(body, bad.want) {
			t.Errorf("settings %v: %d, want 400 with %q", bad.form, code, bad.want)
		}
	}
	w.page(m, "/duplicates?lang=zh")
	if code, _ := w.post(m, "/duplicates", "/duplicates/settings", settings("active", "2", "1"), false); code != 403 {
		t.Errorf("settings without the CSRF token: %d, want 403", code)
	}
	if set, _ := w.db.DuplicateSettings(context.Background(), w.org.ID); set.Keep != "earliest" || set.Overall != 0 || set.FamilyGate {
		t.Fatalf("refused settings changed them: %+v", set)
	}
	code, page := w.post(m, "/duplicates", "/duplicates/settings", settings("active", "2", "1"), true)
	if code != 200 || !strings.Contains(page, "重复入群设置已保存") {
		t.Fatalf("settings saved: %d\n%s", code, page)
	}
	contains(t, "the saved settings", page, `name="overall" value="2"`, `name="gate" value="1" class="check" checked`, `<option value="active" selected>`, "超过 2 个群")
	if k := kept(page); k != itoa(series[1].ID) {
		t.Errorf("kept by activity: group %s, want %d", k, series[1].ID)
	}
	if set, _ := w.db.DuplicateSettings(context.Background(), w.org.ID); set.Keep != "active" || set.Overall != 2 || !set.FamilyGate {
		t.Fatalf("settings stored: %+v", set)
	}
	contains(t, "the audit log", w.page(m, "/audit"), "更改重复入群设置")
	contains(t, "the English page", w.page(m, "/duplicates?lang=en"), "Members in several groups", "the group posted in most", "One group of a series per member")
	w.page(m, "/duplicates?lang=zh")
	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	if code, _ := w.post(sec, "/duplicates", "/duplicates/settings", settings("earliest", "0", ""), true); code != 403 {
		t.Errorf("a secretary's settings: %d, want 403", code)
	}
	secPage := w.page(sec, "/duplicates")
	lacks(t, "the secretary's page", secPage, `action="/duplicates/settings"`)
	contains(t, "the secretary's page", secPage, "留在：最近 30 天发言最多的群 · 加群太多：超过 2 个群 · 同系列只能加入一个群：开启")
	contains(t, "the region's secretary", secPage, `id="dup-`+itoa(a)+`"`)
	viewer := w.scoped("viewer", access.Viewer, 0, w.cohort.ID)
	if page := w.page(viewer, "/duplicates"); !strings.Contains(page, "没有重复入群的成员") {
		t.Errorf("a viewer of one group sees duplicates")
	}
}

// TestDuplicateNotice: a manager proposes removing the series' duplicates
// — asked first, then a notice in the cohort 学员a leaves naming the one
// she stays in, marked pending on the page and shown on the purge page;
// a second proposal is refused while it is pending. Bad input is a 400
// or 404, a viewer and a secretary of one cohort are refused, and the
// form needs its CSRF token.
func TestDuplicateNotice(t *testing.T) {
	w, series, family := dupWorld(t)
	m := w.user()
	queued := len(w.outbox(0))
	page := w.page(m, "/duplicates")
	contains(t, "the series", page, `id="series-`+itoa(family)+`"`, `action="/duplicates/notice"`, `name="family" value="`+itoa(family)+`"`)
	form := func(kv ...string) url.Values {
		v := url.Values{"family": {itoa(family)}, "keep": {"earliest"}, "days": {"7"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	for _, bad := range []struct {
		form url.Values
		code int
	}{
		{form("family", "abc"), 400}, {form("family", "0"), 400}, {form("keep", "newest"), 400},
		{form("days", "0"), 400}, {form("days", "61"), 400}, {form("days", "七"), 400}, {form("family", "99999"), 404},
	} {
		if code, _ := w.post(m, "/duplicates", "/duplicates/notice", bad.form, true); code != bad.code {
			t.Errorf("notice %v: %d, want %d", bad.form, code, bad.code)
		}
	}
	if code, _ := w.post(m, "/duplicates", "/duplicates/notice", form("confirm", "yes"), false); code != 403 {
		t.Errorf("a notice without the CSRF token: %d, want 403", code)
	}
	viewer := w.scoped("dup-viewer", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's page", w.page(viewer, "/duplicates"), `action="/duplicates/notice"`)
	if code, _ := w.post(viewer, "/duplicates", "/duplicates/notice", form("confirm", "yes"), true); code != 403 {
		t.Errorf("a viewer's notice: %d, want 403", code)
	}
	one := w.scoped("dup-one", access.Secretary, 0, series[1].ID)
	if code, _ := w.post(one, "/", "/duplicates/notice", form("confirm", "yes"), true); code != 403 {
		t.Errorf("the notice of a secretary of one cohort: %d, want 403", code)
	}
	if n := len(w.outbox(0)); n != queued {
		t.Fatalf("refused notices queued %d messages", n-queued)
	}
	code, page := w.post(m, "/duplicates", "/duplicates/notice", form(), true)
	if code != 200 || !strings.Contains(page, "在 1 个群发预告：1 位成员 7 天后将被移出重复的群") || !strings.Contains(page, `name="confirm" value="yes"`) {
		t.Fatalf("the notice unconfirmed: %d\n%s", code, page)
	}
	code, page = w.post(m, "/duplicates", "/duplicates/notice", form("confirm", "yes"), true)
	if code != 200 || !strings.Contains(page, "预告已在 1 个群发出") || !strings.Contains(page, `href="/health/purge/`+itoa(series[1].ID)+`">预告中`) {
		t.Fatalf("the notice: %d\n%s", code, page)
	}
	out := w.outbox(queued)
	if len(out) != 1 || !strings.HasPrefix(out[0], series[1].ExternalID+": send ") || !strings.Contains(out[0], "@学员a（留在「阳新第1期直播班」）") {
		t.Fatalf("the notice posted: %q", out)
	}
	contains(t, "the purge page", w.page(m, "/health/purge/"+itoa(series[1].ID)), "重复入群", "留在「", "阳新第1期直播班", "仍在两个群")
	if _, page := w.post(m, "/duplicates", "/duplicates/notice", form("confirm", "yes"), true); !strings.Contains(page, "名单刚刚有变化") {
		t.Errorf("a second notice while one is pending: %s", page)
	}
	if n := len(w.outbox(queued)); n != 1 {
		t.Fatalf("%d notices posted, want 1", n)
	}
	contains(t, "the English page", w.page(m, "/duplicates?lang=en"), "By series", "Propose the removal", "notice pending")
	w.page(m, "/duplicates?lang=zh")
}

// TestFamilyGateLog: a removal by the family gate reads, in the
// moderation log, as the rule and the reason in words.
func TestFamilyGateLog(t *testing.T) {
	w, series, _ := dupWorld(t)
	ctx := context.Background()
	a := w.personIn(w.cohort.ID, "学员a")
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		return tx.RecordModeration(ctx, community.ModerationAction{OrgID: w.org.ID, GroupID: series[1].ID, PersonID: a, Action: chat.ActKick,
			Rule: "family-gate", Category: "duplicate", Reason: "已在同系列的「阳新第1期直播班」", Actor: "rules"})
	}); err != nil {
		t.Fatal(err)
	}
	m := w.user()
	contains(t, "the moderation log", w.page(m, "/moderation"), "同系列只能加入一个群", "已在同系列的另一个群")
	contains(t, "the English log", w.page(m, "/moderation?lang=en"), "one group of a series per member", "in another group of the series")
	w.page(m, "/moderation?lang=zh")
}
