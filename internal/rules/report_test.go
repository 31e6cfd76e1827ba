package rules_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestReports: three established members reply 举报 to a message; it is
// hidden pending review; staff uphold the report with a ban; the member
// appeals and the appeal, accepted, lifts the ban.
func TestReports(t *testing.T) {
	clock := now
	storetest.Dialects(t, func() time.Time { return clock }, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		org := community.Org{Name: "业主", Slug: "o"}
		db.CreateOrg(ctx, &org)
		in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return clock }})
		go in.Run(ctx)
		seq := 0
		send := func(user, text, reply string, at time.Time) string {
			seq++
			id := fmt.Sprint("m", seq)
			e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "g", Time: at, Sender: chat.User{ID: user},
				Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text, ReplyTo: reply}}
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		old := clock.Add(-10 * 24 * time.Hour)
		for _, u := range []string{"a", "b", "c", "d"} {
			send(u, "大家好", "", old) // members of long standing
		}
		bad := send("spammer", "某某业主家的事大家都知道吧，骗子一个", "", clock)
		clock = clock.Add(time.Minute)
		send("a", "举报", bad, clock)
		send("b", "举报", bad, clock)
		send("b", "举报", bad, clock)           // the same member twice counts once
		send("newbie", "/report", bad, clock) // a newcomer's report does not count
		if acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10); len(acts) != 0 {
			t.Fatalf("hidden after two reports: %+v", acts)
		}
		send("c", "/report", bad, clock)
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 || acts[0].Action.Kind != chat.ActDelete || acts[0].Action.MessageID != bad {
			t.Fatalf("after three reports: %+v", acts)
		}
		cases, err := db.ReportCases(ctx, org.ID, "open")
		if err != nil || len(cases) != 1 || cases[0].Reports != 3 || !cases[0].Hidden || cases[0].Text == "" {
			t.Fatalf("review queue: %+v %v", cases, err)
		}
		if err := db.DecideReport(ctx, org.ID, cases[0].ID, true, chat.ActBan, "造谣、人身攻击", "staff:alice"); err != nil {
			t.Fatal(err)
		}
		if err := db.DecideReport(ctx, org.ID, cases[0].ID, false, "", "", "staff:bob"); err == nil {
			t.Fatal("a decided report was decided again")
		}
		var pid int64
		db.SQL().QueryRow("SELECT person_id FROM identities WHERE external_id = 'spammer'").Scan(&pid)
		appeal, err := db.FileAppeal(ctx, org.ID, pid, "我错了，保证不再发")
		if err != nil {
			t.Fatal(err)
		}
		if err := db.DecideAppeal(ctx, org.ID, appeal, true, "初犯，给一次机会", "staff:alice"); err != nil {
			t.Fatal(err)
		}
		var lifted int
		db.SQL().QueryRow(fmt.Sprintf("SELECT COUNT(*) FROM org_bans WHERE person_id = %d AND lifted_at IS NOT NULL", pid)).Scan(&lifted)
		if lifted != 1 {
			t.Fatal("the accepted appeal did not lift the ban")
		}
		// A message sent longer than pipeline.ReplyReach before the
		// reports is not looked up: no case is opened.
		ancient := send("e", "很久以前的一条消息", "", clock.Add(-pipeline.ReplyReach-time.Hour))
		for _, u := range []string{"a", "b", "c"} {
			send(u, "举报", ancient, clock)
		}
		if cases, err := db.ReportCases(ctx, org.ID, "open"); err != nil || len(cases) != 0 {
			t.Fatalf("reports of a message beyond the reach: %+v %v", cases, err)
		}
	})
}

// TestReportByMentioningStaff: a reply that only calls the group's staff
// ("@群主") reports the message, like 举报; mentioning a member, or adding
// words of one's own, is an ordinary reply.
func TestReportByMentioningStaff(t *testing.T) {
	clock := now
	storetest.Dialects(t, func() time.Time { return clock }, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		org := community.Org{Name: "业主", Slug: "o"}
		db.CreateOrg(ctx, &org)
		in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return clock }})
		go in.Run(ctx)
		seq := 0
		send := func(user, text, reply string, mentions ...string) string {
			seq++
			id := fmt.Sprint("m", seq)
			e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "g", Time: clock, Sender: chat.User{ID: user},
				Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text, ReplyTo: reply, Mentions: mentions}}
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		old := clock
		clock = clock.Add(-10 * 24 * time.Hour)
		for _, u := range []string{"a", "b", "c", "owner"} {
			send(u, "大家好", "")
		}
		clock = old
		if err := db.SetRole(ctx, "wx", "g", "owner", community.RoleOwner); err != nil {
			t.Fatal(err)
		}
		in.Forget()
		bad := send("spammer", "某某家的事大家都知道吧", "")
		send("a", "@b", bad, "b")          // a member: just a reply
		send("b", "@群主 你看看", bad, "owner") // words of their own: a reply
		cases, _ := db.ReportCases(ctx, org.ID, "open")
		if len(cases) != 0 {
			t.Fatalf("replies counted as reports: %+v", cases)
		}
		send("a", "@群主", bad, "owner")
		send("c", "＠群主", bad, "owner")
		cases, err := db.ReportCases(ctx, org.ID, "open")
		if err != nil || len(cases) != 1 || cases[0].Reports != 2 || cases[0].MessageID != bad {
			t.Fatalf("reports by mentioning the owner: %+v %v", cases, err)
		}
	})
}
