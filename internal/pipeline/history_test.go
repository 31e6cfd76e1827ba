package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// at is an event of the tests' group g1 at t0 plus d.
func at(e chat.Event, d time.Duration) chat.Event {
	e.Time = t0.Add(d)
	return e
}

// stints lists u's stints in g1 as "joined→left" offsets from t0 in
// hours ("-" while open).
func stints(t *testing.T, db *store.DB, user string) string {
	t.Helper()
	rows, err := db.SQL().Query(`SELECT m.joined_at, m.left_at FROM memberships m JOIN identities i ON i.person_id = m.person_id
		WHERE i.external_id = '` + user + `' ORDER BY m.joined_at`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var joined int64
		var left *int64
		if err := rows.Scan(&joined, &left); err != nil {
			t.Fatal(err)
		}
		s := fmt.Sprintf("%g→", time.UnixMilli(joined).Sub(t0).Hours())
		if left == nil {
			s += "-"
		} else {
			s += fmt.Sprintf("%g", time.UnixMilli(*left).Sub(t0).Hours())
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(out, " ")
}

// TestHistoryActsOnNothing: history is stored like live traffic but, even
// when it is minutes old, nothing is acted on — the rules do not judge it
// (no moderation, no offences), commands do not run, joins get no welcome.
func TestHistoryActsOnNothing(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ban := pipeline.Verdict{Action: chat.ActBan, Rule: "ads", Category: "ad", Reason: "广告", Text: "请勿发广告"}
		in := setup(t, db, pipeline.IngestConfig{Decider: wordDecider{word: "加微信", v: ban}, Welcome: "欢迎 {name}"})
		ctx := context.Background()
		join := member("h-join", chat.EventMemberJoined, "g1", "u1")
		ad := msg("h-ad", "g1", "u1", "加微信领资料")
		cmd := msg("h-cmd", "g1", "u2", "/rules")
		report := msg("h-report", "g1", "u3", "举报")
		report.Message.ReplyTo = "m-h-ad"
		res, err := in.IngestHistory(ctx, []chat.Event{join, ad, cmd, report})
		if err != nil || res.Accepted != 4 {
			t.Fatalf("history = %+v, %v", res, err)
		}
		for q, want := range map[string]int{
			"SELECT COUNT(*) FROM messages":           3,
			"SELECT COUNT(*) FROM outbox":             0,
			"SELECT COUNT(*) FROM moderation_actions": 0,
			"SELECT COUNT(*) FROM reports":            0,
			"SELECT COUNT(*) FROM org_bans":           0,
		} {
			if n := count(t, db, q); n != want {
				t.Errorf("%s = %d, want %d", q, n, want)
			}
		}
		// The same message live is acted on: the test's decider works.
		if _, err := in.IngestCount(ctx, []chat.Event{msg("live-ad", "g1", "u4", "加微信领资料")}); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM moderation_actions"); n != 1 {
			t.Fatalf("a live ad: %d moderation actions, want 1", n)
		}
	})
}

// TestHistoryYieldsToLaterState: history that reaches qunzhu after later
// events changes no membership those events settled, keeps the group's
// later name and a member's known name, and its messages are all stored.
func TestHistoryYieldsToLaterState(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Now: func() time.Time { return t0.Add(100 * time.Hour) }})
		ctx := context.Background()
		// Live: u1 joined at +50h and is there; u2 was there from +50h to
		// +60h; the group was last named at +50h.
		live := []chat.Event{
			at(member("l1", chat.EventMemberJoined, "g1", "u1"), 50*time.Hour),
			at(member("l2", chat.EventMemberJoined, "g1", "u2"), 50*time.Hour),
			at(member("l3", chat.EventMemberLeft, "g1", "u2"), 60*time.Hour),
			at(msg("l4", "g1", "u1", "现在的消息"), 70*time.Hour),
		}
		live[0].Sender.Name = "新名字"
		live[0].GroupName = "现在的群名"
		if _, err := in.IngestCount(ctx, live); err != nil {
			t.Fatal(err)
		}
		// History: u1 was in from +1h to +2h and wrote at +3h under an old
		// name; u2 wrote at +30h; u3, seen only in history, came and went
		// and came back; the group had an old name.
		rename := at(member("h0", chat.EventGroupRenamed, "g1", "u9"), 0)
		rename.NewName = "以前的群名"
		old := at(msg("h3", "g1", "u1", "以前的消息"), 3*time.Hour)
		old.Sender.Name = "旧名字"
		history := []chat.Event{
			rename,
			at(member("h1", chat.EventMemberJoined, "g1", "u1"), time.Hour),
			at(member("h2", chat.EventMemberLeft, "g1", "u1"), 2*time.Hour),
			old,
			at(msg("h4", "g1", "u2", "离开前的消息"), 30*time.Hour),
			at(member("h5", chat.EventMemberJoined, "g1", "u3"), 10*time.Hour),
			at(member("h6", chat.EventMemberLeft, "g1", "u3"), 11*time.Hour),
			at(msg("h7", "g1", "u3", "回来了"), 12*time.Hour),
		}
		res, err := in.IngestHistory(ctx, history)
		if err != nil || res.Accepted != len(history) {
			t.Fatalf("history = %+v, %v", res, err)
		}
		for user, want := range map[string]string{"u1": "50→-", "u2": "50→60", "u3": "10→11 12→-"} {
			if got := stints(t, db, user); got != want {
				t.Errorf("%s's stints %q, want %q", user, got, want)
			}
		}
		if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 4 {
			t.Errorf("messages = %d, want 4", n)
		}
		var name, ident string
		if err := db.SQL().QueryRow("SELECT name FROM chat_groups").Scan(&name); err != nil || name != "现在的群名" {
			t.Errorf("group name %q (%v), want the live one", name, err)
		}
		if err := db.SQL().QueryRow("SELECT name FROM identities WHERE external_id = 'u1'").Scan(&ident); err != nil || ident != "新名字" {
			t.Errorf("u1's name %q (%v), want the live one", ident, err)
		}
		// History of a group qunzhu has not seen live takes its names in
		// order.
		r1 := at(member("n1", chat.EventGroupCreated, "g2", "u1"), 0)
		r1.GroupName = "第一个名字"
		r2 := at(member("n3", chat.EventGroupRenamed, "g2", "u1"), 2*time.Hour)
		r2.NewName = "第二个名字"
		if _, err := in.IngestHistory(ctx, []chat.Event{r1, at(msg("n2", "g2", "u1", "你好"), time.Hour), r2}); err != nil {
			t.Fatal(err)
		}
		if err := db.SQL().QueryRow("SELECT name FROM chat_groups WHERE external_id = 'g2'").Scan(&name); err != nil || name != "第二个名字" {
			t.Errorf("imported group's name %q (%v), want its last", name, err)
		}
	})
}
