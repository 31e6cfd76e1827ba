package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// TestShortCodes: invite codes issued before codes had 8 characters are
// listed with an offer to replace each; a region's secretary sees and
// replaces only her groups' codes; a replaced code stops working.
func TestShortCodes(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.srv.ShortCodes, w.srv.Accounts = w.db, w.db
	camp := community.Campaign{OrgID: w.org.ID, Name: "冬季海报"}
	if err := w.db.CreateCampaign(ctx, &camp); err != nil {
		t.Fatal(err)
	}
	short := map[string]int64{}
	for code, group := range map[string]int64{"YX6": w.cohort.ID, "DY88": w.owners.ID, "ANY1": 0} {
		var g any
		if group != 0 {
			g = group
		}
		if err := w.db.SQL().QueryRowContext(ctx, "INSERT INTO invite_codes (org_id, code, campaign_id, group_id, created_at) VALUES (?, ?, ?, ?, 0) RETURNING id", w.org.ID, code, camp.ID, g).Scan(new(int64)); err != nil {
			t.Fatal(err)
		}
	}
	codes, _ := w.db.ShortInviteCodes(ctx, w.org.ID)
	for _, c := range codes {
		short[c.Code] = c.ID
	}
	long := community.InviteCode{OrgID: w.org.ID, CampaignID: camp.ID, GroupID: w.cohort.ID}
	if err := w.db.CreateInviteCode(ctx, &long); err != nil {
		t.Fatal(err)
	}
	c := w.user()
	if s := w.page(c, "/settings"); !strings.Contains(s, "有 3 个邀请码太短") {
		t.Error("the settings page does not point to the short codes")
	}
	page := w.page(c, "/invite-codes/short")
	for _, want := range []string{"YX6", "DY88", "ANY1", "活动 · 冬季海报", w.cohort.Name, "入哪个群", "不限", "至少 8 位"} {
		if !strings.Contains(page, want) {
			t.Errorf("the short codes page lacks %q", want)
		}
	}
	if strings.Contains(page, long.Code) {
		t.Error("a long code is offered for replacing")
	}

	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/invite-codes/short")
	if !strings.Contains(mine, "YX6") || strings.Contains(mine, "DY88") || strings.Contains(mine, "ANY1") {
		t.Error("the region's secretary sees another region's or every group's codes")
	}
	if code, _ := w.post(sec, "/invite-codes/short", "/invite-codes/"+itoa(short["DY88"])+"/regenerate", url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("the secretary replaces another region's code: %d", code)
	}
	if code, body := w.post(sec, "/invite-codes/short", "/invite-codes/"+itoa(short["YX6"])+"/regenerate", url.Values{}, true); code != 200 || !strings.Contains(body, "旧码（包括印在海报上的）立即失效") {
		t.Fatalf("replace without confirming: %d", code)
	}
	code, body := w.post(sec, "/invite-codes/short", "/invite-codes/"+itoa(short["YX6"])+"/regenerate", url.Values{"confirm": {"yes"}}, true)
	fresh := secretOf(t, body)
	if code != 200 || len(fresh) != community.MinCodeLength || !strings.Contains(body, "YX6 → "+fresh) {
		t.Fatalf("replace: %d %q\n%s", code, fresh, body)
	}
	if _, err := w.db.JoinLink(ctx, "YX6"); !errkind.Is(err, errkind.NotFound) {
		t.Fatalf("the replaced code still works: %v", err)
	}
	if tg, err := w.db.JoinLink(ctx, fresh); err != nil || tg.Group == nil || tg.Group.ID != w.cohort.ID {
		t.Fatalf("the new code: %+v %v", tg, err)
	}
	if code, _ := w.post(c, "/invite-codes/short", "/invite-codes/"+itoa(short["YX6"])+"/regenerate", url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("replacing a replaced code: %d", code)
	}
	viewer := w.scoped("viewer", access.Viewer, 0, w.cohort.ID)
	if code, _ := get(t, viewer, w.url+"/invite-codes/short"); code != 403 {
		t.Errorf("a viewer opens the short codes: %d", code)
	}
	if en := w.page(c, "/invite-codes/short?lang=en"); !strings.Contains(en, "Short invite codes to replace") {
		t.Error("the English page")
	}
}
