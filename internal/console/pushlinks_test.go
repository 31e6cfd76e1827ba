package console_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestPushLinkClicks: a push sent with a link carries its short link's
// clicks and visitors on the calendar's row and in its CSV, and the
// group's sum in the card by group; a secretary whose scope lacks the
// group sees neither.
func TestPushLinkClicks(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	w.db.SetLinkBase("https://qz.example.com")
	s := storetest.ApprovedScript(t, w.db, w.org.ID, "业主须知", "请看通知：https://wy.example.com/notice?id=7 谢谢。")
	p, err := w.db.PlanPush(ctx, content.PushRequest{OrgID: w.org.ID, ScriptID: s.ID, GroupID: w.owners.ID, Want: now.Add(-30 * time.Minute), Caps: content.DefaultCaps(),
		Window: community.Window{From: community.Clock{Hour: 0, Minute: 0}, To: community.Clock{Hour: 0, Minute: 0}}, Actor: "user:pub"})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := w.db.SendDuePushes(ctx, 10); err != nil || n != 1 {
		t.Fatalf("sent %d, %v", n, err)
	}
	var text string
	for _, o := range w.outbox(0) {
		if strings.HasPrefix(o, w.owners.ExternalID+": send ") {
			text = o
		}
	}
	code := regexp.MustCompile(`https://qz\.example\.com/l/([A-Za-z0-9]{10})`).FindStringSubmatch(text)
	if code == nil {
		t.Fatalf("the push's text: %q", text)
	}
	for _, v := range []string{"v1", "v1", "v2"} {
		if _, err := w.db.FollowLink(ctx, code[1], v); err != nil {
			t.Fatal(err)
		}
	}
	m := w.user()
	page := w.page(m, "/pushes")
	row := between(page, `id="push-`+itoa(p.ID)+`"`, "</tr>")
	contains(t, "the push's row", row, `class="push-clicks">3 次 · 2 人`)
	card := between(page, `id="link-clicks"`, "</section>")
	contains(t, "the card by group", card, `id="link-clicks-`+itoa(w.owners.ID)+`"`, w.owners.Name, "<td data-label=\"链接点击\">3</td>", "<td data-label=\"链接访客\">2</td>")
	contains(t, "the English page", w.page(m, "/pushes?lang=en"), "3 clicks · 2 visitors", "Link clicks by group (last 7 days)")
	w.page(m, "/pushes?lang=zh")
	rows := w.csv(m, "/pushes?format=csv")
	header := strings.Join(rows[0], ",")
	if !strings.HasSuffix(header, "链接点击,链接访客") {
		t.Fatalf("the CSV's header: %s", header)
	}
	found := false
	for _, r := range rows[1:] {
		if r[0] == itoa(p.ID) {
			found = r[len(r)-2] == "3" && r[len(r)-1] == "2"
		}
	}
	if !found {
		t.Fatalf("the CSV's clicks: %v", rows)
	}
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	lacks(t, "the secretary's calendar", w.page(sec, "/pushes"), `id="link-clicks"`, `id="push-`+itoa(p.ID)+`"`)
}
