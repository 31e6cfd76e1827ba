package console_test

import (
	"bytes"
	"context"
	"html"
	"image/png"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	goqr "github.com/piglig/go-qr"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

var campaignPath = regexp.MustCompile(`/growth/campaigns/(\d+)`)

// TestGrowthWorkflow: a manager starts a campaign, gives it a code for
// the cohort and a member's code in it; joiners with the codes and their
// referrals make the campaign's tree (names, nested), its K-factor and
// cycle time; the poster's QR code decodes to the join link; archiving
// asks first and ends the codes.
func TestGrowthWorkflow(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	c := w.user()
	for _, tt := range []struct {
		form url.Values
		code int
		says string
	}{
		{url.Values{"name": {" "}}, 400, "活动名称不能为空"},
		{url.Values{"name": {strings.Repeat("冬", 61)}}, 400, "最多 60 个字"},
		{url.Values{"name": {"x"}, "node": {"abc"}}, 400, "请从列表里选择"},
		{url.Values{"name": {"x"}, "node": {"999999"}}, 404, "请从列表里选择"},
	} {
		code, body := w.post(c, "/growth", "/growth/campaigns", tt.form, true)
		if code != tt.code || !strings.Contains(html.UnescapeString(body), tt.says) {
			t.Errorf("%v: %d, want %d saying %q", tt.form, code, tt.code, tt.says)
		}
	}
	code, body := w.post(c, "/growth", "/growth/campaigns", url.Values{"name": {"阳新冬季招生"}, "node": {itoa(w.region.ID)}}, true)
	m := campaignPath.FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, "活动已创建") {
		t.Fatalf("create a campaign: %d\n%s", code, body)
	}
	camp := m[1]
	if code, _ := w.post(c, "/growth", "/growth/campaigns", url.Values{"name": {"阳新冬季招生"}}, true); code != 409 {
		t.Errorf("a taken name: %d, want 409", code)
	}
	page := "/growth/campaigns/" + camp
	code, body = w.post(c, page, "/growth/codes", url.Values{"campaign": {camp}, "group": {itoa(w.cohort.ID)}}, true)
	if code != 200 || !strings.Contains(body, "邀请码已生成") || !strings.Contains(body, "活动通用码") {
		t.Fatalf("the campaign's code: %d\n%s", code, body)
	}
	_, body = w.post(c, page, "/growth/codes", url.Values{"campaign": {camp}, "group": {itoa(w.cohort.ID)}, "name": {"学员a"}}, true)
	contains(t, "学员a's code", body, `<a class="ud" href="/people/`+itoa(w.a)+`">学员a</a>`)
	if code, _ := w.post(c, page, "/growth/codes", url.Values{"campaign": {camp}, "name": {"谁也不是"}}, true); code != 404 {
		t.Errorf("a code for nobody: %d, want 404", code)
	}
	if code, _ := w.post(c, page, "/growth/codes", url.Values{"campaign": {"999999"}}, true); code != 404 {
		t.Errorf("a code of an unknown campaign: %d, want 404", code)
	}
	if code, _ := w.post(c, "/growth", "/growth/codes", url.Values{}, true); code != 400 {
		t.Errorf("a code of nobody and no campaign: %d, want 400", code)
	}
	codes, err := w.db.InviteCodes(ctx, w.org.ID, atoi(t, camp), 10)
	if err != nil || len(codes) != 2 || codes[0].Person != "学员a" || codes[1].Person != "" {
		t.Fatalf("codes %+v, %v", codes, err)
	}
	// Two join with the campaign's code, one with 学员a's; the first
	// brings in 新朋友, who brings in 再朋友.
	joined := now.Add(-10 * 24 * time.Hour)
	person := func(name, code string, inviter int64, at time.Time) int64 {
		t.Helper()
		p := community.Person{OrgID: w.org.ID, Name: name}
		if err := w.db.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		if err := w.db.AddMembership(ctx, &community.Membership{GroupID: w.cohort.ID, PersonID: p.ID, Code: code, InviterID: inviter, Source: chat.SourcePromo, JoinedAt: at}); err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	first := person("海报甲", codes[1].Code, 0, joined)
	person("海报乙", codes[1].Code, 0, joined)
	person("阿a的朋友", codes[0].Code, w.a, joined)
	friend := person("新朋友", "", first, joined.Add(48*time.Hour))
	person("再朋友", "", friend, now.Add(-time.Hour))
	body = w.page(c, page)
	tree := body[strings.Index(body, `<ul class="referral-tree"`):]
	tree = tree[:strings.Index(tree, "</section>")]
	// 学员a above her friend; 海报甲 above 新朋友 above 再朋友; 海报乙 alone.
	for _, want := range []string{"学员a</span>", "阿a的朋友", "海报甲</span> <small class=\"meta\">+2</small>", "<ul><li><span class=\"who ud qualified\">新朋友</span>", "<ul><li><span class=\"who ud\">再朋友</span>", "海报乙"} {
		if !strings.Contains(tree, want) {
			t.Errorf("the tree lacks %q:\n%s", want, tree)
		}
	}
	if strings.Count(tree, "<ul") != strings.Count(tree, "</ul>") || strings.Count(tree, "<li>") != strings.Count(tree, "</li>") {
		t.Errorf("the tree's lists are not closed:\n%s", tree)
	}
	// Members 海报甲, 海报乙, 阿a的朋友; 海报甲 brought in 新朋友 (qualified:
	// stayed 8 days): K = 1/3 × 1 = 0.33, cycle 48 hours = 2.0 days.
	contains(t, "the figures", body, `<b id="kpi-k">0.33</b>`, `<b id="kpi-cycle">2.0 天</b>`, `<b id="kpi-members">3</b>`)
	contains(t, "in English", w.page(c, page+"?lang=en"), "K-factor", "2.0 days", "Referral tree")
	w.page(c, page+"?lang=zh")

	// The poster of the campaign's code: its join link as a QR code.
	poster := "/growth/codes/" + itoa(codes[1].ID) + "/poster"
	body = w.page(c, poster)
	link := w.url + "/join/" + codes[1].Code
	contains(t, "the poster", body, "阳新冬季招生", "微信扫一扫，加入我们的群", link, codes[1].Code, `src="/growth/codes/`+itoa(codes[1].ID)+`/qr.png"`)
	resp, err := c.Get(w.url + "/growth/codes/" + itoa(codes[1].ID) + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr.png: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := goqr.Decode(img); err != nil || got != link {
		t.Fatalf("the QR code reads %q, %v; want %q", got, err, link)
	}
	// A member's own code for no group has no poster.
	own := community.InviteCode{OrgID: w.org.ID, PersonID: w.b}
	if err := w.db.CreateInviteCode(ctx, &own); err != nil {
		t.Fatal(err)
	}
	contains(t, "a groupless code's poster", w.page(c, "/growth/codes/"+itoa(own.ID)+"/poster"), "给它指定一个群")
	if code := w.status(c, "/growth/codes/"+itoa(own.ID)+"/qr.png"); code != 404 {
		t.Errorf("a groupless code's QR: %d, want 404", code)
	}
	if code := w.status(c, "/growth/codes/99999/poster"); code != 404 {
		t.Errorf("an unknown code's poster: %d", code)
	}
	contains(t, "the members' codes", w.page(c, "/growth"), own.Code, "学员b", "阳新冬季招生")

	// Archiving asks first, then ends the campaign and its codes.
	code, body = w.post(c, page, page+"/archive", url.Values{}, true)
	if code != 200 || !strings.Contains(html.UnescapeString(body), "结束活动「阳新冬季招生」？") {
		t.Fatalf("archive asks first: %d", code)
	}
	if cs, _ := w.db.Campaigns(ctx, w.org.ID); cs[0].ArchivedAt != nil {
		t.Fatal("asking archived the campaign")
	}
	_, body = w.post(c, page, page+"/archive", url.Values{"confirm": {"yes"}}, true)
	contains(t, "archived", body, "活动已结束，它的邀请码不再有效。", "已结束")
	lacks(t, "an archived campaign's page", body, `action="/growth/codes"`)
	if code, _ := w.post(c, page, page+"/archive", url.Values{"confirm": {"yes"}}, true); code != 409 {
		t.Errorf("archive twice: %d, want 409", code)
	}
	if code, _ := w.post(c, "/growth", "/growth/codes", url.Values{"campaign": {camp}}, true); code != 400 {
		t.Errorf("a code of an ended campaign: %d, want 400", code)
	}
}

// TestGrowthScope: a secretary of the region runs the region's campaigns
// and codes for its groups and members, and is refused the rest.
func TestGrowthScope(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	orgWide := community.Campaign{OrgID: w.org.ID, Name: "全组织海报"}
	if err := w.db.CreateCampaign(ctx, &orgWide); err != nil {
		t.Fatal(err)
	}
	theirs := community.InviteCode{OrgID: w.org.ID, CampaignID: orgWide.ID, GroupID: w.owners.ID}
	if err := w.db.CreateInviteCode(ctx, &theirs); err != nil {
		t.Fatal(err)
	}
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	body := w.page(sec, "/growth")
	lacks(t, "the secretary's growth page", body, "全组织海报", w.owners.Name, ">全组织<")
	contains(t, "the secretary's growth page", body, w.region.Name, w.shop.Name, w.cohort.Name)
	lacks(t, "the secretary's nodes", body[strings.Index(body, `name="node"`):], "大冶市")
	for _, path := range []string{"/growth/campaigns/" + itoa(orgWide.ID), "/growth/codes/" + itoa(theirs.ID) + "/poster", "/growth/codes/" + itoa(theirs.ID) + "/qr.png"} {
		if code := w.status(sec, path); code != 403 {
			t.Errorf("secretary: %s = %d, want 403", path, code)
		}
	}
	for _, tt := range []struct {
		path string
		form url.Values
	}{
		{"/growth/campaigns", url.Values{"name": {"大冶的"}, "node": {itoa(w.owners.NodeID)}}},
		{"/growth/campaigns", url.Values{"name": {"全组织的"}}},
		{"/growth/campaigns/" + itoa(orgWide.ID) + "/archive", url.Values{"confirm": {"yes"}}},
		{"/growth/codes", url.Values{"campaign": {itoa(orgWide.ID)}}},
		{"/growth/codes", url.Values{"name": {"学员a"}, "group": {itoa(w.owners.ID)}}},
		{"/growth/codes", url.Values{"person": {itoa(w.owner)}, "group": {itoa(w.cohort.ID)}}},
	} {
		code, body := w.post(sec, "/growth", tt.path, tt.form, true)
		if code != 403 || !strings.Contains(body, "不在你负责的范围内") {
			t.Errorf("secretary: POST %s %v = %d, want 403", tt.path, tt.form, code)
		}
	}
	if code, _ := w.post(sec, "/growth", "/growth/codes", url.Values{"name": {"业主张先生"}, "group": {itoa(w.cohort.ID)}}, true); code != 404 {
		t.Errorf("a member outside her groups by name: %d, want 404 (not found among hers)", code)
	}
	if code, _ := w.post(sec, "/growth", "/growth/codes", url.Values{"name": {"学员a"}}, true); code != 400 {
		t.Errorf("a personal code for no group: %d, want 400", code)
	}
	// Her own campaign and codes.
	code, body := w.post(sec, "/growth", "/growth/campaigns", url.Values{"name": {"阳新裂变"}, "node": {itoa(w.shop.ID)}}, true)
	m := campaignPath.FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("her campaign: %d\n%s", code, body)
	}
	_, body = w.post(sec, "/growth/campaigns/"+m[1], "/growth/codes", url.Values{"campaign": {m[1]}, "group": {itoa(w.cohort.ID)}, "name": {"学员b"}}, true)
	contains(t, "her campaign code", body, "邀请码已生成", "学员b")
	_, body = w.post(sec, "/growth", "/growth/codes", url.Values{"name": {"学员a"}, "group": {itoa(w.cohort.ID)}}, true)
	contains(t, "her member's code", body, "邀请码已生成", "学员a", w.cohort.Name)
	lacks(t, "her growth page", w.page(sec, "/growth"), theirs.Code)
	// An assistant may read but not write.
	asst := w.scoped("xiaozhou", access.Assistant, w.region.ID, 0)
	if code, body := w.post(asst, "/growth", "/growth/campaigns", url.Values{"name": {"x"}, "node": {itoa(w.region.ID)}}, true); code != 403 || !strings.Contains(body, "管理裂变活动和邀请码") {
		t.Errorf("assistant: create a campaign = %d, want 403", code)
	}
	lacks(t, "the assistant's growth page", w.page(asst, "/growth"), `action="/growth/campaigns"`, `action="/growth/codes"`)
}

func atoi(t *testing.T, s string) int64 {
	t.Helper()
	var n int64
	for _, r := range s {
		if r < '0' || r > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + int64(r-'0')
	}
	return n
}
