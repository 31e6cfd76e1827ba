package memberbot_test

import (
	"context"
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
		org := community.Org{Name: "学院", Slug: "acad"}
		if err := db.CreateOrg(ctx, &org); err != nil {
			t.Fatal(err)
		}
		rs, err := rules.ParseRuleSet("g.toml", []byte("[checkin]\nstreak_bonus = 5\n"))
		if err != nil {
			t.Fatal(err)
		}
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
	})
}
