package store_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestShortLinks: a push handed to the outbox carries its web links as
// short links under the link base — one per address, a link with a user
// name left as written; following one redirects to the stored address
// only, counting every click and each visitor once a day; an unknown or
// malformed code is not found.
func TestShortLinks(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		db.SetPushPolicy(content.Policy{})
		db.SetLinkBase("https://qz.example.com/")
		defer db.SetLinkBase("")
		org, cohort := seedOrg(t, db)
		article := "https://mp.weixin.qq.com/s/abc?x=1&y=2"
		s := approved(t, db, content.Script{OrgID: org.ID, Title: "今日推荐", Body: "看这篇：" + article + " 很实用。\n再贴一次 " + article + "\n别点 http://user:pw@evil.example/x", Author: "person:1"})
		p, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: cohort.ID, Want: clk.Now().Add(time.Minute), Actor: "user:pub"})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Minute)
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
			t.Fatalf("sent %d %v", n, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 {
			t.Fatalf("outbox: %+v", acts)
		}
		text := acts[0].Action.Text
		codes := regexp.MustCompile(`https://qz\.example\.com/l/([A-Za-z0-9]{10})`).FindAllStringSubmatch(text, -1)
		if len(codes) != 2 || codes[0][1] != codes[1][1] || strings.Contains(text, article) || !strings.Contains(text, "http://user:pw@evil.example/x") {
			t.Fatalf("the push's text: %q", text)
		}
		code := codes[0][1]
		for _, v := range []string{"v1", "v1", "v2", ""} {
			if u, err := db.FollowLink(ctx, code, v); err != nil || u != article {
				t.Fatalf("follow %s: %q %v, want %q", code, u, err, article)
			}
		}
		if clicks, visitors, err := db.LinkClicks(ctx, p.ID); err != nil || clicks != 4 || visitors != 2 {
			t.Fatalf("clicks %d, visitors %d, %v; want 4, 2", clicks, visitors, err)
		}
		clk.Add(24 * time.Hour)
		db.FollowLink(ctx, code, "v1")
		if _, visitors, _ := db.LinkClicks(ctx, p.ID); visitors != 3 {
			t.Fatalf("a visitor the next day: %d visitors, want 3", visitors)
		}
		// The day's digest tells the push's clicks.
		org2, err := db.MakeDigest(ctx, org.ID, analytics.DayOf(p.PlannedAt, cst), cst, strings.ToLower, clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		var got []analytics.DigestPush
		for _, g := range org2.Lines {
			if g.GroupID == cohort.ID {
				var gd analytics.GroupDigest
				db.Digest(ctx, org.ID, cohort.ID, analytics.DayOf(p.PlannedAt, cst), &gd)
				got = gd.Pushes
			}
		}
		if len(got) != 1 || got[0].Links != 1 || got[0].Clicks != 5 || got[0].Visitors != 3 {
			t.Fatalf("the digest's push: %+v", got)
		}
		// The push responses carry the push's clicks; a second push with
		// two links, both opened by v1 on the day she opened the first
		// push's: one visitor of that push, none more of the group.
		s2 := approved(t, db, content.Script{OrgID: org.ID, Title: "两篇", Body: "https://a.example.com/1 和 https://b.example.com/2", Author: "person:1"})
		p2, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s2.ID, GroupID: cohort.ID, Want: clk.Now().Add(time.Minute), Actor: "user:pub"})
		if err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Minute)
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
			t.Fatalf("sent %d %v", n, err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 10)
		codes = regexp.MustCompile(`https://qz\.example\.com/l/([A-Za-z0-9]{10})`).FindAllStringSubmatch(acts[len(acts)-1].Action.Text, -1)
		if len(codes) != 2 || codes[0][1] == codes[1][1] {
			t.Fatalf("the second push's text: %q", acts[len(acts)-1].Action.Text)
		}
		for _, c := range codes {
			if _, err := db.FollowLink(ctx, c[1], "v1"); err != nil {
				t.Fatal(err)
			}
		}
		resps, err := db.PushResponses(ctx, org.ID, p.PlannedAt.Add(-time.Hour), clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		figures := map[int64]content.LinkFigures{}
		for _, r := range resps {
			figures[r.PushID] = r.LinkFigures
		}
		if figures[p.ID] != (content.LinkFigures{Links: 1, Clicks: 5, Visitors: 3}) || figures[p2.ID] != (content.LinkFigures{Links: 2, Clicks: 2, Visitors: 1}) {
			t.Fatalf("the responses' clicks: %+v", figures)
		}
		groups, err := db.GroupLinkClicks(ctx, org.ID, p.PlannedAt.Add(-time.Hour), clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || groups[0].GroupID != cohort.ID || groups[0].Pushes != 2 || groups[0].LinkFigures != (content.LinkFigures{Links: 3, Clicks: 7, Visitors: 3}) {
			t.Fatalf("the group's clicks: %+v", groups)
		}
		if groups, err := db.GroupLinkClicks(ctx, org.ID, clk.Now().Add(time.Minute), clk.Now().Add(time.Hour)); err != nil || len(groups) != 0 {
			t.Fatalf("no pushes sent in the window: %+v %v", groups, err)
		}
		for _, bad := range []string{"", "short", strings.Repeat("A", 10), code + "x", "../../etc/p"} {
			if u, err := db.FollowLink(ctx, bad, "v1"); !errkind.Is(err, errkind.NotFound) || u != "" {
				t.Errorf("follow %q: %q %v, want not found", bad, u, err)
			}
		}
	})
}
