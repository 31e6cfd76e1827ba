package memberbot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestGateStored: the join gate through the ingester and the store, in
// each dialect, on a fake clock. Two newcomers are muted and shown the
// button; the one who presses it is unmuted, the one who does not is
// removed by the sweep when the timeout passes (and only then, and once).
// Rejoining starts a new check, which staff let in from the console.
func TestGateStored(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 21, 0, 0, 0, time.UTC)
	now := t0
	storetest.Dialects(t, func() time.Time { return now }, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now = t0
		org, rs := orgWith(t, db, "[gate]\nmode = \"button\"\ntimeout = \"30s\"\n")
		caps := chat.AllActions()
		caps[chat.CapButtons] = true
		in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now },
			Caps:    func(string) chat.Capabilities { return caps },
			Decider: &memberbot.Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { in.Run(runCtx); close(done) }()
		t.Cleanup(func() { cancel(); <-done })
		send := func(e chat.Event) {
			t.Helper()
			e.Connection, e.Platform, e.Group = "tg", "telegram", "-100"
			now = e.Time
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		var cursor int64
		pull := func() []chat.Action {
			t.Helper()
			acts, err := db.PullActions(ctx, []string{"tg"}, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []chat.Action
			for _, a := range acts {
				out = append(out, a.Action)
				cursor = a.ID
			}
			return out
		}
		show := func(acts []chat.Action) string {
			var s []string
			for _, a := range acts {
				k := string(a.Kind)
				if a.User != "" {
					k += ":" + a.User
				}
				if len(a.Buttons) > 0 {
					k += "+button"
				}
				s = append(s, k)
			}
			return strings.Join(s, " ")
		}
		// The owner of another group of the organisation joins: not held.
		staffMsg := chat.Event{ID: "s1", Connection: "tg", Platform: "telegram", Group: "-200", Type: chat.EventMessage, Time: t0.Add(-time.Hour),
			Sender: chat.User{ID: "boss", Name: "群主"}, Message: &chat.Message{ID: "ms1", Kind: chat.KindText, Text: "早"}}
		if err := in.Ingest(ctx, []chat.Event{staffMsg}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.SQL().Exec("UPDATE memberships SET role = 'owner'"); err != nil {
			t.Fatal(err)
		}
		send(chat.Event{ID: "jboss", Type: chat.EventMemberJoined, Time: t0.Add(-time.Minute), Sender: chat.User{ID: "boss", Name: "群主"}})
		if got := show(pull()); got != "" {
			t.Fatalf("staff joining: %s, want nothing", got)
		}
		for i, u := range []string{"u1", "u2"} {
			send(chat.Event{ID: "j" + u, Type: chat.EventMemberJoined, Time: t0.Add(time.Duration(i) * time.Second), Sender: chat.User{ID: u, Name: "新人" + u}})
		}
		if got := show(pull()); got != "mute:u1 send+button mute:u2 send+button" {
			t.Fatalf("two gated joins: %s", got)
		}
		g, ok, err := db.GroupByExternalID(ctx, org.ID, "tg", "-100")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		send(chat.Event{ID: "b1", Type: chat.EventButton, Time: t0.Add(10 * time.Second), Sender: chat.User{ID: "u1", Name: "新人u1"}, Button: &chat.Pressed{Data: "gate:u1", MessageID: "5"}})
		acts := pull()
		if got := show(acts); got != "unmute:u1 send" || acts[1].Text != "新人u1 已通过入群验证，可以发言了。" {
			t.Fatalf("the press: %s %+v", got, acts)
		}
		waiting, err := db.WaitingAtGate(ctx, org.ID, g.ID)
		if err != nil || len(waiting) != 1 || waiting[0].Name != "新人u2" || waiting[0].Mode != "button" || waiting[0].Due == nil || !waiting[0].Due.Equal(t0.Add(31*time.Second)) {
			t.Fatalf("waiting: %+v %v", waiting, err)
		}
		now = t0.Add(30 * time.Second) // u2's time is not up yet
		if n, err := db.SweepGates(ctx); err != nil || n != 0 {
			t.Fatalf("sweep before the timeout: %d %v", n, err)
		}
		now = t0.Add(31 * time.Second)
		if n, err := db.SweepGates(ctx); err != nil || n != 1 {
			t.Fatalf("sweep at the timeout: %d %v", n, err)
		}
		acts = pull()
		if got := show(acts); got != "kick:u2 send" || !strings.Contains(acts[1].Text, "新人u2 未在时限内完成入群验证") {
			t.Fatalf("the sweep: %s %+v", got, acts)
		}
		if n, err := db.SweepGates(ctx); err != nil || n != 0 {
			t.Fatalf("a second sweep: %d %v", n, err)
		}
		if waiting, err := db.WaitingAtGate(ctx, org.ID, g.ID); err != nil || len(waiting) != 0 {
			t.Fatalf("waiting after the sweep: %+v %v", waiting, err)
		}

		// u2 comes back: held afresh; staff let them in.
		send(chat.Event{ID: "l2", Type: chat.EventMemberLeft, Time: t0.Add(40 * time.Second), Sender: chat.User{ID: "u2"}, Reason: chat.LeftRemoved})
		send(chat.Event{ID: "j2b", Type: chat.EventMemberJoined, Time: t0.Add(time.Minute), Sender: chat.User{ID: "u2", Name: "新人u2"}})
		if got := show(pull()); got != "mute:u2 send+button" {
			t.Fatalf("the rejoin: %s", got)
		}
		waiting, err = db.WaitingAtGate(ctx, org.ID, g.ID)
		if err != nil || len(waiting) != 1 {
			t.Fatalf("waiting after the rejoin: %+v %v", waiting, err)
		}
		if err := db.LetInAtGate(ctx, org.ID+1, g.ID, waiting[0].PersonID, nil, "staff:x"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("letting in through another organisation: %v, want not found", err)
		}
		welcome := func(u chat.User) (string, []chat.Mention) {
			return "欢迎 @" + u.Name, []chat.Mention{{User: u, Offset: len("欢迎 "), Length: len("@" + u.Name)}}
		}
		if err := db.LetInAtGate(ctx, org.ID, g.ID, waiting[0].PersonID, welcome, "staff:王"); err != nil {
			t.Fatal(err)
		}
		acts = pull()
		if got := show(acts); got != "unmute:u2 send" || acts[1].Text != "欢迎 @新人u2" || len(acts[1].Mentions) != 1 || acts[1].Mentions[0].User.ID != "u2" {
			t.Fatalf("let in: %s %+v", got, acts)
		}
		if err := db.RemoveAtGate(ctx, org.ID, g.ID, waiting[0].PersonID, "staff:王"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("removing one let in: %v, want not found", err)
		}
		now = t0.Add(time.Hour)
		if n, err := db.SweepGates(ctx); err != nil || n != 0 {
			t.Errorf("sweep after letting in: %d %v", n, err)
		}
		var mods int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM moderation_actions WHERE rule = 'gate'").Scan(&mods); err != nil || mods != 5 {
			t.Errorf("gate moderation recorded: %d %v, want 5 (3 mutes, an unmute, a removal)", mods, err)
		}
		var audits int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM audit_log WHERE action = 'bot.gate.let_in' AND actor = 'staff:王'").Scan(&audits); err != nil || audits != 1 {
			t.Errorf("let-in audited: %d %v", audits, err)
		}
	})
}
