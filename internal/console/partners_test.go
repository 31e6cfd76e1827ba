package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// eligibilityCase opens a pending approval case for a person in a group,
// as the ingest pipeline does for a joiner of a partners-only group.
func (w *pages) eligibilityCase(groupID, personID int64) int64 {
	w.t.Helper()
	ctx := context.Background()
	if err := w.db.SetEligibility(ctx, w.org.ID, groupID, w.city.ID, community.EligibilityApprove, 0, "admin"); err != nil {
		w.t.Fatal(err)
	}
	if err := w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		return tx.OpenEligibilityCase(ctx, groupID, personID, community.EligibilityApprove, time.Time{}, now)
	}); err != nil {
		w.t.Fatal(err)
	}
	cases, err := w.db.EligibilityCases(ctx, w.org.ID, "pending")
	if err != nil || len(cases) == 0 {
		w.t.Fatalf("eligibility cases %v, %v", cases, err)
	}
	return cases[0].ID
}

// TestPartnerLevelForms: a manager renames a level and raises its cap
// (the one waiting moves up and is told in their group), re-bands it;
// bad input is refused in the reader's language with a 4xx.
func TestPartnerLevelForms(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	c := w.user()
	city := "/partners/levels/" + itoa(w.city.ID)
	for _, tt := range []struct {
		form url.Values
		code int
		says string
	}{
		{url.Values{"name": {"城市合伙人"}, "cap": {"两个"}}, 400, "名额要填一个整数"},
		{url.Values{"name": {"  "}, "cap": {"2"}}, 400, "层次名称不能为空"},
		{url.Values{"name": {"城市合伙人"}, "cap": {"0"}}, 400, "名额在 1 到"},
	} {
		code, body := w.post(c, "/partners", city, tt.form, true)
		if code != tt.code || !strings.Contains(html.UnescapeString(body), tt.says) {
			t.Errorf("%v: %d, want %d saying %q", tt.form, code, tt.code, tt.says)
		}
	}
	if code, _ := w.post(c, "/partners", "/partners/levels/99999", url.Values{"name": {"x"}, "cap": {"3"}}, true); code != 404 {
		t.Errorf("an unknown level: %d, want 404", code)
	}
	if code, _ := w.post(c, "/partners", city, url.Values{"name": {"x"}, "cap": {"3"}}, false); code != 403 {
		t.Errorf("without the CSRF token: %d, want 403", code)
	}
	// The city level's one seat at the region is taken, 学员b waits: a cap
	// of 2 seats her, and she is told in the cohort, in Chinese.
	code, body := w.post(c, "/partners", city, url.Values{"name": {"城市合伙人（阳新）"}, "cap": {"2"}}, true)
	contains(t, "after raising the cap", body, "层次已保存；名额增加后，1 位候补已入席并收到通知。", "城市合伙人（阳新）", "候补转正记录", w.cohort.Name, "中文")
	if code != 200 {
		t.Fatalf("raise the cap: %d", code)
	}
	items, _ := w.db.PullActions(ctx, []string{"wx"}, 0, 100)
	told := false
	for _, it := range items {
		told = told || it.Action.Mention != nil && it.Action.Mention.ID == "b" && strings.Contains(it.Action.Text, "恭喜") && it.Action.Group == "g1"
	}
	if !told {
		t.Errorf("学员b was not told in the cohort: %+v", items)
	}
	// A cap below the two seats taken: 409.
	if code, body := w.post(c, "/partners", city, url.Values{"name": {"城市合伙人"}, "cap": {"1"}}, true); code != 409 || !strings.Contains(body, "名额不能少于") {
		t.Errorf("a cap below the seats: %d", code)
	}
	// Tiers: bad lines, bands short of the cap, then the level's own, then the default.
	tiers := city + "/tiers"
	if code, body := w.post(c, "/partners", tiers, url.Values{"tiers": {"创始 一到十"}}, true); code != 400 || !strings.Contains(html.UnescapeString(body), "每行写") {
		t.Errorf("bad tier lines: %d", code)
	}
	if code, body := w.post(c, "/partners", tiers, url.Values{"tiers": {"1-1 元老"}}, true); code != 400 || !strings.Contains(body, "覆盖到名额 2") {
		t.Errorf("bands short of the cap: %d", code)
	}
	code, body = w.post(c, "/partners", tiers, url.Values{"tiers": {"1-1 元老\n2–2 先锋"}}, true)
	contains(t, "own bands", body, "级别划分已保存。", `1–1 <span class="ud">元老</span>`, `2–2 <span class="ud">先锋</span>`)
	ls, _ := w.db.PartnerLevels(ctx, w.org.ID)
	for _, l := range ls {
		if l.ID == w.city.ID && (len(l.Tiers) != 2 || l.Tiers[0].Slug != "founding" || l.Tiers[1].Slug != "initiating") {
			t.Errorf("bands %+v: the slugs are kept by position", l.Tiers)
		}
	}
	_, body = w.post(c, "/partners", tiers, url.Values{"reset": {"1"}}, true)
	contains(t, "reset", body, "级别划分已保存。", `1–10 <span class="ud">创始合伙人</span>`)
	if code != 200 {
		t.Fatalf("tiers: %d", code)
	}
}

// TestAdmitAndRelease: admit by name (a partial name offers a choice), the
// waitlist by name, release with confirmation (the first waiting moves
// up; one no chat reaches is flagged).
func TestAdmitAndRelease(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	c := w.user()
	region := "/partners/" + itoa(w.city.ID) + "/" + itoa(w.region.ID)
	admit := func(form url.Values) (int, string) {
		t.Helper()
		form.Set("level", itoa(w.city.ID))
		if form.Get("entity") == "" {
			form.Set("entity", itoa(w.region.ID))
		}
		code, body := w.post(c, region, "/partners/admit", form, true)
		return code, html.UnescapeString(body)
	}
	// The city seat at the region is full: 学员b waits.
	body := w.page(c, region)
	contains(t, "the region's city seats", body, "业主张先生", "学员b", "名额已满", "加入候补", "释放席位")
	// 学员 matches several: a choice, with their groups.
	code, body := admit(url.Values{"name": {"学员"}})
	if code != 200 || !strings.Contains(body, `有几个人的名字里有“<span class="ud">学员</span>”`) || !strings.Contains(body, "学员a") || !strings.Contains(body, w.cohort.Name) {
		t.Fatalf("a partial name: %d\n%s", code, body)
	}
	if code, body = admit(url.Values{"name": {"没有这个人"}}); code != 404 || !strings.Contains(body, "找不到名字里有“没有这个人”的人") {
		t.Errorf("nobody of that name: %d", code)
	}
	if code, _ = admit(url.Values{"name": {""}}); code != 400 {
		t.Errorf("no name: %d", code)
	}
	if code, _ = admit(url.Values{"person": {"999999"}}); code != 404 {
		t.Errorf("an unknown person id: %d, want 404", code)
	}
	if code, _ = admit(url.Values{"name": {"学员a"}, "entity": {"abc"}}); code != 400 {
		t.Errorf("a bad entity: %d, want 400", code)
	}
	if code, _ = admit(url.Values{"person": {itoa(w.owner)}}); code != 409 {
		t.Errorf("the seat holder again: %d, want 409", code)
	}
	// 学员a, chosen by id: second on the waitlist.
	if code, body = admit(url.Values{"person": {itoa(w.a)}}); code != 200 || !strings.Contains(body, "名额已满，已加入候补，排第 2 位。") {
		t.Fatalf("admit 学员a: %d", code)
	}
	if rows := strings.Count(body, "<tr><td>"); rows < 2 || strings.Index(body, "学员b") > strings.Index(body, ">学员a<") {
		t.Errorf("the waitlist is not 学员b then 学员a:\n%s", body)
	}
	// A unique exact name admits at once (the shop's store level has room).
	code, body = w.post(c, "/partners", "/partners/admit", url.Values{"level": {itoa(w.store.ID)}, "entity": {itoa(w.shop.ID)}, "name": {"卖货郎"}}, true)
	if code != 200 || !strings.Contains(body, "已入席：第 3 号席位。") {
		t.Fatalf("admit 卖货郎: %d", code)
	}
	// Release 业主张先生's seat: a confirmation first, nothing done.
	seats, _ := w.db.Seats(ctx, w.city.ID, w.region.ID)
	release := "/partners/seats/" + itoa(seats[0].ID) + "/release"
	code, body = w.post(c, region, release, url.Values{}, true)
	if code != 200 || !strings.Contains(html.UnescapeString(body), "释放 业主张先生 的第 1 号席位？") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("release asks first: %d\n%s", code, body)
	}
	if s, _ := w.db.Seats(ctx, w.city.ID, w.region.ID); len(s) != 1 || s[0].PersonID != w.owner {
		t.Fatal("asking released the seat")
	}
	code, body = w.post(c, region, release, url.Values{"confirm": {"yes"}}, true)
	if code != 200 || !strings.Contains(body, "席位已释放；候补第一位已入第 2 号席位，并已在群里通知。") {
		t.Fatalf("release: %d\n%s", code, body)
	}
	if s, _ := w.db.Seats(ctx, w.city.ID, w.region.ID); len(s) != 1 || s[0].PersonID != w.b {
		t.Fatalf("seats after the release %+v: want 学员b", s)
	}
	if code, _ = w.post(c, region, release, url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("release twice: %d, want 404", code)
	}
	// 学员a moves up next; a person in no group is flagged untold.
	lonely := community.Person{OrgID: w.org.ID, Name: "独行侠"}
	if err := w.db.CreatePerson(ctx, &lonely); err != nil {
		t.Fatal(err)
	}
	if code, _ = admit(url.Values{"person": {itoa(lonely.ID)}}); code != 200 {
		t.Fatalf("admit 独行侠: %d", code)
	}
	s, _ := w.db.Seats(ctx, w.city.ID, w.region.ID)
	w.post(c, region, "/partners/seats/"+itoa(s[0].ID)+"/release", url.Values{"confirm": {"yes"}}, true) // 学员a moves up
	s, _ = w.db.Seats(ctx, w.city.ID, w.region.ID)
	_, body = w.post(c, region, "/partners/seats/"+itoa(s[0].ID)+"/release", url.Values{"confirm": {"yes"}}, true)
	if !strings.Contains(body, "但没有能通知到他的群，请另行告知") {
		t.Fatalf("an untold move up:\n%s", body)
	}
	contains(t, "the notices", w.page(c, "/partners"), "独行侠", "没有能通知到的群，请另行告知", "学员a")
	if code, _ = w.post(c, region, "/partners/seats/abc/release", url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("seat abc: %d", code)
	}
}

// TestEligibilityForms: approve a joiner, refuse one after confirming
// (they are removed: a kick in the outbox), a decided case is 409.
func TestEligibilityForms(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	c := w.user()
	first := w.eligibilityCase(w.cohort.ID, w.adguy)
	body := w.page(c, "/partners")
	contains(t, "the cases", body, "入群资格审核 (1)", "卖货郎", w.cohort.Name, "拒绝并移出")
	path := "/partners/eligibility/" + itoa(first)
	if code, _ := w.post(c, "/partners", path, url.Values{"decision": {"maybe"}}, true); code != 400 {
		t.Errorf("a bad decision: %d", code)
	}
	code, body := w.post(c, "/partners", path, url.Values{"decision": {"refuse"}}, true)
	if code != 200 || !strings.Contains(html.UnescapeString(body), "拒绝 卖货郎 并将其移出「"+w.cohort.Name+"」？") {
		t.Fatalf("refuse asks first: %d\n%s", code, body)
	}
	_, body = w.post(c, "/partners", path, url.Values{"decision": {"refuse"}, "confirm": {"yes"}}, true)
	contains(t, "refused", body, "已拒绝并移出")
	items, _ := w.db.PullActions(ctx, []string{"wx"}, 0, 100)
	kicked := false
	for _, it := range items {
		kicked = kicked || it.Action.Kind == chat.ActKick && it.Action.User == "adguy"
	}
	if !kicked {
		t.Error("the refused joiner is not removed")
	}
	if code, _ := w.post(c, "/partners", path, url.Values{"decision": {"approve"}}, true); code != 409 {
		t.Errorf("deciding twice: %d, want 409", code)
	}
	second := w.eligibilityCase(w.cohort.ID, w.newbie)
	_, body = w.post(c, "/partners", "/partners/eligibility/"+itoa(second), url.Values{"decision": {"approve"}}, true)
	contains(t, "approved", body, "已通过", "入群资格审核 (0)")
	if code, _ := w.post(c, "/partners", "/partners/eligibility/99999", url.Values{"decision": {"approve"}}, true); code != 404 {
		t.Errorf("an unknown case: %d", code)
	}
}

// TestPartnersRefuseSecretary: the programme is a manager's; a secretary
// is refused every page and form, in her language.
func TestPartnersRefuseSecretary(t *testing.T) {
	w := newPages(t)
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	for _, path := range []string{"/partners", "/partners/" + itoa(w.city.ID) + "/" + itoa(w.region.ID)} {
		if code := w.status(sec, path); code != 403 {
			t.Errorf("secretary: %s = %d, want 403", path, code)
		}
	}
	seats, _ := w.db.Seats(context.Background(), w.city.ID, w.region.ID)
	for _, path := range []string{"/partners/levels/" + itoa(w.city.ID), "/partners/levels/" + itoa(w.city.ID) + "/tiers", "/partners/admit",
		"/partners/seats/" + itoa(seats[0].ID) + "/release", "/partners/eligibility/1"} {
		code, body := w.post(sec, "/", path, url.Values{"name": {"x"}, "cap": {"9"}, "confirm": {"yes"}, "level": {itoa(w.city.ID)}, "entity": {itoa(w.region.ID)}, "person": {itoa(w.a)}}, true)
		if code != 403 || !strings.Contains(body, "管理合伙人") {
			t.Errorf("secretary: POST %s = %d, want 403 naming the permission", path, code)
		}
	}
	if s, _ := w.db.Seats(context.Background(), w.city.ID, w.region.ID); len(s) != 1 || s[0].ID != seats[0].ID {
		t.Error("a secretary's release went through")
	}
}
