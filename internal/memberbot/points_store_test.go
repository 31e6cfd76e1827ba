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

// TestPointsStored: points through the ingester and the store, in each
// dialect. Substantive posts score up to the day's cap; a retried batch
// (the same events again) records nothing twice; a staff award is
// recorded with who gave it and why, audited, and shown in the member's
// history; the board and the profile add check-ins, posts and awards up;
// a welcome's mention reaches the outbox.
func TestPointsStored(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		org, rs := orgWith(t, db, "[checkin]\npost_points = 2\nposts_per_day = 2\nreset = \"monthly\"\n[welcome]\ntext = \"欢迎 {members}！\"\nwindow = \"10s\"\n")
		day0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
		now := day0
		in := runBot(t, db, org.ID, rs, &now)
		ingest := func(evs ...chat.Event) {
			t.Helper()
			now = evs[len(evs)-1].Time
			if err := in.Ingest(ctx, evs); err != nil {
				t.Fatal(err)
			}
		}
		say := func(id string, at time.Time, user, name, text string, mentions ...string) chat.Event {
			return chat.Event{ID: id, Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "g1", Time: at,
				Sender: chat.User{ID: user, Name: name}, Message: &chat.Message{ID: "m" + id, Kind: chat.KindText, Text: text, Mentions: mentions}}
		}
		long := "今天的作业：\n一、选品\n二、定价"
		// The owner speaks first, to be made the group's 群主.
		ingest(say("o1", day0, "boss", "李老师", "早上好"))
		if err := db.SetRole(ctx, "wx", "g1", "boss", community.RoleOwner); err != nil {
			t.Fatal(err)
		}
		in = runBot(t, db, org.ID, rs, &now) // one that has not cached the owner as a member
		batch := []chat.Event{say("p1", day0.Add(time.Minute), "u1", "小王", long), say("p2", day0.Add(2*time.Minute), "u1", "小王", long),
			say("p3", day0.Add(3*time.Minute), "u1", "小王", long), say("c1", day0.Add(4*time.Minute), "u1", "小王", "打卡")}
		ingest(batch...)
		ingest(batch...) // retried: duplicates, ignored
		ingest(say("p4", day0.AddDate(0, 0, 1), "u1", "小王", long))
		ingest(say("a1", day0.AddDate(0, 0, 1).Add(time.Hour), "boss", "李老师", "/award @小王 5 作业认真", "u1"))
		ingest(say("a1", day0.AddDate(0, 0, 1).Add(time.Hour), "boss", "李老师", "/award @小王 5 作业认真", "u1")) // redelivered
		ingest(say("a2", day0.AddDate(0, 0, 1).Add(2*time.Hour), "u1", "小王", "/award @李老师 100", "boss"))  // a member may not
		ingest(chat.Event{ID: "j1", Connection: "wx", Platform: "webhook", Type: chat.EventMemberJoined, Group: "g1", Time: day0.AddDate(0, 0, 1).Add(3 * time.Hour),
			Sender: chat.User{ID: "u9", Name: "新人"}})

		var posts, awards int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM points WHERE kind = 'post'").Scan(&posts); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM points WHERE kind = 'award'").Scan(&awards); err != nil {
			t.Fatal(err)
		}
		if posts != 3 || awards != 1 {
			t.Fatalf("%d posts scored (want 2 on the first day, 1 the next), %d awards (want 1)", posts, awards)
		}
		var pid int64
		if err := db.SQL().QueryRow("SELECT person_id FROM checkins").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		// 3 posts × 2, a check-in's 1, the award's 5.
		pts, err := db.PersonPoints(ctx, pid, "2026-12-02")
		if err != nil || len(pts) != 1 || pts[0].Total != 12 || pts[0].Month != 7 || pts[0].Last != "2026-12-01" || pts[0].Streak != 1 {
			t.Fatalf("profile: %+v %v", pts, err)
		}
		hist, err := db.PointsHistory(ctx, pid, 10)
		if err != nil || len(hist) != 5 {
			t.Fatalf("history: %+v %v", hist, err)
		}
		if h := hist[0]; h.Kind != pipeline.PointsAward || h.Points != 5 || h.Reason != "作业认真" || h.ActorName != "李老师" {
			t.Errorf("latest in the history: %+v", h)
		}
		if h := hist[2]; h.Kind != pipeline.PointsCheckin || h.Reason != "1" {
			t.Errorf("the check-in in the history: %+v", h)
		}
		board, err := db.TopPoints(ctx, org.ID, nil, "2026-12-02", true, 10)
		if err != nil || len(board) != 1 || board[0].PersonID != pid || board[0].Month != 7 || board[0].Total != 12 || board[0].Name != "小王" {
			t.Fatalf("board: %+v %v", board, err)
		}
		if none, err := db.TopPoints(ctx, org.ID, []int64{}, "2026-12-02", true, 10); err != nil || len(none) != 0 {
			t.Errorf("board of no groups: %+v %v", none, err)
		}
		var audited int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'points.award' AND actor = 'staff:boss'").Scan(&audited); err != nil || audited != 1 {
			t.Errorf("awards audited: %d %v", audited, err)
		}

		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 50)
		if err != nil {
			t.Fatal(err)
		}
		var texts []string
		var welcome *chat.Action
		for _, a := range acts {
			texts = append(texts, a.Action.Text)
			if strings.HasPrefix(a.Action.Text, "欢迎") {
				welcome = &a.Action
			}
		}
		if !strings.Contains(strings.Join(texts, "|"), "已加分 +5（作业认真），TA 本月共 12 分。") {
			t.Errorf("no award reply in %q", texts)
		}
		if strings.Contains(strings.Join(texts, "|"), "+100") {
			t.Errorf("a member's award was answered: %q", texts)
		}
		if welcome == nil || welcome.Text != "欢迎 @新人！" || len(welcome.Mentions) != 1 || welcome.Mentions[0].User.ID != "u9" ||
			welcome.Mentions[0].Offset != len("欢迎 ") || welcome.Mentions[0].Length != len("@新人") {
			t.Errorf("welcome: %+v", welcome)
		}

		// The console's award: once per form.
		award := pipeline.PointsEntry{PersonID: pid, Day: "2026-12-02", Points: 3, Ref: "console:f1", Actor: "staff:admin", ActorName: "admin", Reason: "活动", At: now}
		var gid int64
		if err := db.SQL().QueryRow("SELECT group_id FROM checkins").Scan(&gid); err != nil {
			t.Fatal(err)
		}
		award.GroupID = gid
		for i, want := range []bool{true, false} {
			added, err := db.AwardPoints(ctx, award)
			if err != nil || added != want {
				t.Errorf("award %d: %v %v, want %v", i, added, err, want)
			}
		}
		if pts, _ := db.PersonPoints(ctx, pid, "2026-12-02"); len(pts) != 1 || pts[0].Total != 15 {
			t.Errorf("after the console's award: %+v", pts)
		}
	})
}

// runBot runs an ingester of db with the member bot deciding on rs, at
// the time *now, until the test ends.
func runBot(t *testing.T, db *store.DB, orgID int64, rs *rules.RuleSet, now *time.Time) *pipeline.Ingester {
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return orgID }, Now: func() time.Time { return *now },
		Decider: &memberbot.Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return in
}
