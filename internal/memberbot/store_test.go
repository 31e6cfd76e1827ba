package memberbot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestCheckinsStored: check-ins through the ingester and the store, in
// each dialect: a streak over three days, a second the same day told so,
// a retried batch (the same events again) recording nothing twice.
func TestCheckinsStored(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, rs := orgWith(t, db, "[checkin]\nstreak_bonus = 5\n")
		day0 := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
		now := day0
		in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now },
			Decider: &memberbot.Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { in.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		checkin := func(id string, at time.Time) {
			t.Helper()
			now = at
			e := chat.Event{ID: id, Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "g1", Time: at,
				Sender: chat.User{ID: "u1", Name: "小王"}, Message: &chat.Message{ID: "m" + id, Kind: chat.KindText, Text: "打卡"}}
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range 3 {
			checkin("d"+string(rune('0'+i)), day0.AddDate(0, 0, i))
		}
		checkin("again", day0.AddDate(0, 0, 2).Add(time.Hour))
		checkin("again", day0.AddDate(0, 0, 2).Add(time.Hour)) // redelivered: a duplicate, ignored
		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		for _, a := range acts {
			texts = append(texts, a.Action.Text)
		}
		want := []string{"小王 打卡成功！已连续 1 天，积分 +1（共 1 分）。", "小王 打卡成功！已连续 2 天，积分 +1（共 2 分）。",
			"小王 打卡成功！已连续 3 天，积分 +1（共 3 分）。", "小王 今天已经打过卡了：已连续 3 天，积分共 3 分。"}
		if strings.Join(texts, "|") != strings.Join(want, "|") {
			t.Fatalf("replies:\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM checkins").Scan(&n); err != nil || n != 3 {
			t.Fatalf("check-ins stored: %d %v", n, err)
		}
		var pid int64
		if err := db.SQL().QueryRow("SELECT person_id FROM checkins LIMIT 1").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pts, err := db.PersonPoints(ctx, pid, "2026-12-02")
		if err != nil || len(pts) != 1 || pts[0].Total != 3 || pts[0].Month != 2 || pts[0].Streak != 3 || pts[0].Last != "2026-12-03" {
			t.Fatalf("points on the profile: %+v %v", pts, err)
		}
	})
}

// TestRaidLockdown: 30 joins in 10 seconds through the ingester and the
// store, in each dialect. The 11th join (more than 10 within a minute)
// locks the group down: the joins that tripped it and every later one are
// removed, the welcome their window would have sent becomes the one
// notice of the lockdown, the staff group is alerted once, and the
// group's all-clear is queued for the lockdown's end. A restart (a new
// bot: its counts forgotten) does not lift the lockdown; a join after it
// ends is welcomed again.
func TestRaidLockdown(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, rs := orgWith(t, db, "[raid]\njoins = 10\nwithin = \"1m\"\nlockdown = \"30m\"\n[welcome]\ntext = \"欢迎 {members}\"\nwindow = \"60s\"\n")
		t0 := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
		now := t0
		var in *pipeline.Ingester
		start := func() {
			in = pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now },
				Decider: &memberbot.Bot{RuleSet: func(g community.Group) *rules.RuleSet {
					if g.ExternalID == "staff" {
						return nil
					}
					return rs
				}}})
			runCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { in.Run(runCtx); close(done) }()
			t.Cleanup(func() { cancel(); <-done })
		}
		start()
		send := func(e chat.Event) {
			t.Helper()
			now = e.Time
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		join := func(i int, at time.Time) {
			t.Helper()
			u := fmt.Sprintf("u%02d", i)
			send(chat.Event{ID: "j" + u, Connection: "wx", Platform: "webhook", Type: chat.EventMemberJoined, Group: "g1", Time: at, Sender: chat.User{ID: u, Name: "新人" + u}})
		}
		// The staff group, known before the raid.
		send(chat.Event{ID: "s1", Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "staff", GroupName: "工作群", Time: t0.Add(-time.Hour),
			Sender: chat.User{ID: "boss", Name: "群主"}, Message: &chat.Message{ID: "ms1", Kind: chat.KindText, Text: "早"}})
		sg, ok, err := db.GroupByExternalID(ctx, org.ID, "wx", "staff")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if err := db.SetStaffGroup(ctx, org.ID, sg.ID, "test"); err != nil {
			t.Fatal(err)
		}
		for i := range 30 {
			join(i, t0.Add(time.Duration(i)*333*time.Millisecond))
		}
		// A restart: the counts are forgotten, the lockdown is not.
		start()
		join(30, t0.Add(20*time.Minute))
		join(31, t0.Add(31*time.Minute)) // after the lockdown

		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 200)
		if err != nil {
			t.Fatal(err)
		}
		kicked := map[string]bool{}
		var group, staff []chat.Action
		for _, a := range acts {
			switch a.Action.Kind {
			case chat.ActKick:
				kicked[a.Action.User] = true
			case chat.ActSend:
				if a.Action.Group == "staff" {
					staff = append(staff, a.Action)
				} else {
					group = append(group, a.Action)
				}
			}
		}
		if len(kicked) != 31 || kicked["u31"] {
			t.Errorf("removed %d (%v), want u00–u30 and not u31", len(kicked), kicked)
		}
		if len(staff) != 1 || !strings.Contains(staff[0].Text, "入群防刷") || !strings.Contains(staff[0].Text, "11 人") {
			t.Errorf("staff alerts: %+v, want one", staff)
		}
		var texts []string
		for _, a := range group {
			texts = append(texts, a.Text)
		}
		want := []string{"1 分钟内有 11 人入群，本群临时锁定 30 分钟：期间新入群的人将被移出。", "入群锁定已结束，欢迎新朋友加入。", "欢迎 @新人u31"}
		if strings.Join(texts, "|") != strings.Join(want, "|") {
			t.Fatalf("posted in the group:\n%s\nwant\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
		}
		if !group[0].NotBefore.Equal(t0.Add(3330*time.Millisecond)) || !group[1].NotBefore.Equal(t0.Add(3330*time.Millisecond+30*time.Minute)) {
			t.Errorf("the notice at %v and the all-clear at %v", group[0].NotBefore, group[1].NotBefore)
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM moderation_actions WHERE rule = 'raid'").Scan(&n); err != nil || n != 31 {
			t.Errorf("raid removals recorded: %d %v", n, err)
		}
	})
}

// orgWith creates an organisation in db and parses its rules.
func orgWith(t *testing.T, db *store.DB, src string) (community.Org, *rules.RuleSet) {
	t.Helper()
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(context.Background(), &org); err != nil {
		t.Fatal(err)
	}
	rs, err := rules.ParseRuleSet("g.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return org, rs
}
