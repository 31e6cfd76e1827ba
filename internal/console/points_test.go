package console_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
)

var awardRefRE = regexp.MustCompile(`name="ref" value="([0-9a-f]+)"`)

// TestPointsAwardAndBoard: staff award a member points from the profile
// (recorded once per form, shown in the history and on the leaderboards'
// points board); bad input is a 400 in the page's language, a group out
// of the reader's scope a 403, a reader who may not moderate a 403.
func TestPointsAwardAndBoard(t *testing.T) {
	w := newPages(t)
	c := w.user()
	profile := "/people/" + itoa(w.a)
	page := w.page(c, profile)
	contains(t, "the profile's award form", page, `id="award-form"`, `action="/people/`+itoa(w.a)+`/points"`, w.cohort.Name, w.owners.Name)
	m := awardRefRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no award reference in the form:\n%s", page)
	}
	form := func(group int64, points, reason, ref string) url.Values {
		return url.Values{"group": {itoa(group)}, "points": {points}, "reason": {reason}, "ref": {ref}}
	}
	for i := range 2 { // the same form sent twice awards once
		code, body := w.post(c, profile, profile+"/points", form(w.cohort.ID, "5", "作业认真", m[1]), true)
		if code != 200 || (i == 0 && !strings.Contains(body, "已加分。")) {
			t.Fatalf("award %d: %d\n%s", i, code, body)
		}
	}
	page = w.page(c, profile)
	if rows := rowsOf(page, "points-history"); len(rows) != 1 || !strings.Contains(rows[0], "管理员加分") || !strings.Contains(rows[0], "<td>5</td>") ||
		!strings.Contains(rows[0], `<span class="ud">作业认真</span>`) || !strings.Contains(rows[0], "admin") {
		t.Errorf("history: %q", rows)
	}
	if rows := rowsOf(page, "person-points"); len(rows) != 1 || !strings.Contains(rows[0], "<td>5</td><td>5</td>") {
		t.Errorf("points: %q", rows)
	}
	board := w.page(c, "/leaderboards")
	if rows := rowsOf(board, "points"); len(rows) != 1 || !strings.Contains(rows[0], "学员a") || !strings.Contains(rows[0], "<td>5</td><td>5</td>") {
		t.Errorf("points board: %q", rows)
	}
	contains(t, "the English board", w.page(c, "/leaderboards?points=all&lang=en"), "Top points", "Points board by")
	if rows := w.csv(c, "/leaderboards?format=csv&lang=zh"); len(rows) < 2 || strings.Join(rows[len(rows)-1], ",") != "积分榜,1,"+itoa(w.a)+",学员a,,,,,5,5" {
		t.Errorf("the CSV's points board: %q", rows)
	}
	if code := w.status(c, "/leaderboards?points=year"); code != 400 {
		t.Errorf("?points=year: %d, want 400", code)
	}

	fresh := awardRefRE.FindStringSubmatch(page)[1]
	for _, tt := range []struct {
		name, lang string
		f          url.Values
		want       string
	}{
		{"too many", "zh", form(w.cohort.ID, "101", "", fresh), "分数要是 -100 到 100 之间、不为 0 的整数。"},
		{"too many, in English", "en", form(w.cohort.ID, "101", "", fresh), "points: want a whole number from -100 to 100, not 0"},
		{"zero", "zh", form(w.cohort.ID, "0", "", fresh), "分数要是"},
		{"not a number", "en", form(w.cohort.ID, "five", "", fresh), "points: want a whole number"},
		{"no group", "zh", url.Values{"points": {"5"}, "ref": {fresh}}, "请选择一个群。"},
		{"a reason too long", "en", form(w.cohort.ID, "5", strings.Repeat("好", 101), fresh), "reason: one line of at most 100 characters"},
		{"a forged reference", "zh", form(w.cohort.ID, "5", "", "<x>"), "表单已失效"},
		{"a group the member is not in", "en", form(w.enrol.ID, "5", "", fresh), "the member is not in this group"},
	} {
		path := profile + "/points"
		if tt.lang != "" {
			path += "?lang=" + tt.lang
		}
		if code, body := w.post(c, profile, path, tt.f, true); code != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d, want 400 saying %q\n%s", tt.name, code, tt.want, body)
		}
	}

	sec := w.scoped("yangxin-pts", access.Secretary, w.region.ID, 0)
	if code, body := w.post(sec, profile, profile+"/points?lang=zh", form(w.owners.ID, "5", "", fresh), true); code != 403 || !strings.Contains(body, "不在你负责的范围内") {
		t.Errorf("a secretary awarding outside her scope: %d, want 403", code)
	}
	if code, _ := w.post(sec, profile, profile+"/points", form(w.cohort.ID, "2", "", fresh), true); code != 200 {
		t.Errorf("a secretary awarding in her scope: %d, want 200", code)
	}
	viewer := w.scoped("viewer-pts", access.Viewer, w.region.ID, 0)
	lacks(t, "the viewer's profile", w.page(viewer, profile), `id="award-form"`)
	if code, _ := w.post(viewer, profile, profile+"/points", form(w.cohort.ID, "5", "", fresh), true); code != 403 {
		t.Errorf("a viewer awarding: %d, want 403", code)
	}
}
