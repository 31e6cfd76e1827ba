package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var t0 = time.Date(2026, 11, 25, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))

func msg(id, group, user, text string) chat.Event {
	return chat.Event{ID: id, Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: group, Time: t0,
		Sender: chat.User{ID: user, Name: "用户" + user}, Message: &chat.Message{ID: "m-" + id, Kind: chat.KindText, Text: text}}
}

func member(id string, typ chat.EventType, group, user string) chat.Event {
	return chat.Event{ID: id, Connection: "wx", Platform: "webhook", Type: typ, Group: group, Time: t0, Sender: chat.User{ID: user, Name: "用户" + user}}
}

// setup returns a migrated database with one organisation and a running
// ingester.
func setup(t *testing.T, db *store.DB, cfg pipeline.IngestConfig) *pipeline.Ingester {
	t.Helper()
	org := community.Org{Name: "测试学院", Slug: "test"}
	if err := db.CreateOrg(context.Background(), &org); err != nil {
		t.Fatal(err)
	}
	cfg.Store = db
	cfg.OrgFor = func(string) int64 { return org.ID }
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return t0.Add(time.Second) } // the test events are live
	}
	in := pipeline.NewIngester(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return in
}

// sent ingests events in one batch and returns the actions the bot queued
// for them.
func sent(t *testing.T, db *store.DB, in *pipeline.Ingester, evs ...chat.Event) []chat.Action {
	t.Helper()
	ctx := context.Background()
	before := count(t, db, "SELECT COUNT(*) FROM outbox")
	if err := in.Ingest(ctx, evs); err != nil {
		t.Fatal(err)
	}
	acts, err := db.PullActions(ctx, []string{"wx"}, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]chat.Action, 0, len(acts)-before)
	for _, a := range acts[before:] {
		out = append(out, a.Action)
	}
	return out
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestIngestIdempotent(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{})
		ctx := context.Background()
		evs := []chat.Event{msg("e1", "g1", "u1", "大家好"), msg("e2", "g1", "u2", "老师好"), member("e3", chat.EventMemberJoined, "g1", "u3")}
		res, err := in.IngestCount(ctx, evs)
		if err != nil || res.Accepted != 3 || res.Duplicates != 0 {
			t.Fatalf("first ingest = %+v, %v", res, err)
		}
		res, err = in.IngestCount(ctx, evs)
		if err != nil || res.Accepted != 0 || res.Duplicates != 3 {
			t.Fatalf("redelivery = %+v, %v", res, err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 2 {
			t.Fatalf("messages = %d, want 2", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM memberships"); n != 3 {
			t.Fatalf("memberships = %d, want 3", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM chat_groups"); n != 1 {
			t.Fatalf("groups = %d, want 1 (created on first sight)", n)
		}
	})
}

func TestIngestMembershipLifecycle(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Welcome: "欢迎 {name} 加入 {group}！", Now: func() time.Time { return t0.Add(time.Minute) }})
		ctx := context.Background()
		join := member("j1", chat.EventMemberJoined, "g1", "u1")
		join.Source = chat.SourceReferral
		join.Inviter = &chat.User{ID: "u0", Name: "推荐人"}
		join.Code = "INV42"
		join.GroupName = "NF-阳新第6期微营销培训群"
		rename := member("r1", chat.EventMemberRenamed, "g1", "u1")
		rename.NewName = "5-1-3305 吕凯"
		left := member("l1", chat.EventMemberLeft, "g1", "u1")
		left.Reason = chat.LeftRemoved
		rejoin := member("j2", chat.EventMemberJoined, "g1", "u1")
		for _, e := range []chat.Event{join, rename, left, rejoin} {
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		rows, err := db.SQL().Query("SELECT source, code, nickname, left_reason, left_at IS NULL, inviter_id IS NOT NULL FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = 'u1' ORDER BY m.id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var src, code, nick, reason string
			var open, invited bool
			if err := rows.Scan(&src, &code, &nick, &reason, &open, &invited); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%s|%s|%s|%s|%v|%v", src, code, nick, reason, open, invited))
		}
		want := []string{"referral|INV42|5-1-3305 吕凯|removed|false|true", "||用户u1||true|false"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("stints:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		out, err := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if err != nil || len(out) != 2 || out[0].Action.Text != "欢迎 用户u1 加入 NF-阳新第6期微营销培训群！" {
			t.Fatalf("welcome actions = %+v, %v", out, err)
		}
		// An old join (an import) is not welcomed.
		old := member("j-old", chat.EventMemberJoined, "g1", "u-old")
		old.Time = t0.Add(-24 * time.Hour)
		if err := in.Ingest(ctx, []chat.Event{old}); err != nil {
			t.Fatal(err)
		}
		if out, _ := db.PullActions(ctx, []string{"wx"}, 0, 10); len(out) != 2 {
			t.Fatalf("an imported join was welcomed: %d actions", len(out))
		}
	})
}

func TestIngestRejectsInvalid(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	in := setup(t, db, pipeline.IngestConfig{})
	bad := []chat.Event{msg("ok", "g1", "u1", "hi"), {ID: "x", Connection: "wx", Type: "poke", Group: "g1", Time: t0}}
	_, err := in.IngestCount(context.Background(), bad)
	if !errkind.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "events[1]: type") {
		t.Fatalf("err = %v, want an invalid error naming events[1].type", err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM events"); n != 0 {
		t.Fatalf("%d events stored from a rejected batch", n)
	}
}

// wordDecider flags messages containing a word.
type wordDecider struct {
	word string
	v    pipeline.Verdict
	fail bool
}

func (d wordDecider) Decide(_ context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	if d.fail {
		return nil, errors.New("rules engine exploded")
	}
	if in.Event.Message != nil && strings.Contains(in.Event.Message.Text, d.word) {
		return []pipeline.Verdict{d.v}, nil
	}
	return nil, nil
}

func TestDecisionsBecomeActions(t *testing.T) {
	mute := pipeline.Verdict{Action: chat.ActMute, Duration: time.Hour, Rule: "ads", Category: "ad", Reason: "广告", Text: "请勿发广告", Matched: []string{"加微信"}}
	tests := []struct {
		name  string
		caps  chat.Capabilities
		v     pipeline.Verdict
		kinds string
	}{
		{"mute supported", chat.AllActions(), mute, "delete,mute,send"},
		{"mute degrades", chat.Capabilities{chat.ActSend: true, chat.ActDelete: true}, mute, "delete,send"},
		{"mutes that do not expire are lifted later", chat.Capabilities{chat.ActSend: true, chat.ActDelete: true, chat.ActMute: true, chat.ActUnmute: true}, mute, "delete,mute,unmute,send"},
		{"ban degrades to kick", chat.Capabilities{chat.ActSend: true, chat.ActDelete: true, chat.ActKick: true},
			pipeline.Verdict{Action: chat.ActBan, Rule: "porn", Reason: "黄赌毒"}, "delete,kick,send"},
		{"nothing possible", chat.Capabilities{}, mute, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t, store.SQLite, nil)
			in := setup(t, db, pipeline.IngestConfig{Decider: wordDecider{word: "加微信", v: tt.v}, Caps: func(string) chat.Capabilities { return tt.caps }})
			ctx := context.Background()
			if err := in.Ingest(ctx, []chat.Event{msg("e1", "g1", "u1", "加微信领资料"), msg("e2", "g1", "u2", "老师讲得好")}); err != nil {
				t.Fatal(err)
			}
			acts, err := db.PullActions(ctx, []string{"wx"}, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, a := range acts {
				kinds = append(kinds, string(a.Action.Kind))
			}
			if got := strings.Join(kinds, ","); got != tt.kinds {
				t.Fatalf("actions = %s, want %s", got, tt.kinds)
			}
			if n := count(t, db, "SELECT COUNT(*) FROM moderation_actions"); n != 1 {
				t.Fatalf("moderation actions = %d, want 1", n)
			}
			var detail string
			db.SQL().QueryRow("SELECT detail FROM audit_log WHERE action LIKE 'moderation.%'").Scan(&detail)
			if !strings.Contains(detail, `"text":"加微信领资料"`) || (tt.v.Matched != nil && !strings.Contains(detail, `"matched":["加微信"]`)) {
				t.Fatalf("audit evidence = %s", detail)
			}
		})
	}
}

// On a platform whose mutes do not expire (Matrix), the unmute waits in the
// outbox until the mute's end, then is delivered.
func TestTimedMuteIsLiftedWhenDue(t *testing.T) {
	now := t0.Add(time.Second)
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	caps := chat.AllActions()
	caps[chat.CapTimedMute] = false
	v := pipeline.Verdict{Action: chat.ActMute, Duration: 90 * time.Minute, Rule: "ads", Reason: "广告"}
	in := setup(t, db, pipeline.IngestConfig{Decider: wordDecider{word: "加微信", v: v}, Caps: func(string) chat.Capabilities { return caps }})
	ctx := context.Background()
	if err := in.Ingest(ctx, []chat.Event{msg("e1", "g1", "u1", "加微信领资料")}); err != nil {
		t.Fatal(err)
	}
	claim := func() string {
		items, err := db.ClaimActions(ctx, "wx", 10, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, it := range items {
			kinds = append(kinds, string(it.Action.Kind))
			if err := db.CompleteAction(ctx, it.ID); err != nil {
				t.Fatal(err)
			}
		}
		return strings.Join(kinds, ",")
	}
	if got := claim(); got != "delete,mute" {
		t.Fatalf("due now: %s", got)
	}
	now = now.Add(89 * time.Minute)
	if got := claim(); got != "" {
		t.Fatalf("the unmute came early: %s", got)
	}
	now = now.Add(2 * time.Minute)
	if got := claim(); got != "unmute" {
		t.Fatalf("the unmute did not come when the mute ended: %q", got)
	}
}

func TestOldEventsAreNotModerated(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	v := pipeline.Verdict{Action: chat.ActKick, Rule: "ads", Reason: "广告"}
	in := setup(t, db, pipeline.IngestConfig{Decider: wordDecider{word: "加微信", v: v}, Now: func() time.Time { return t0.Add(pipeline.LiveWindow) }})
	if err := in.Ingest(context.Background(), []chat.Event{msg("e1", "g1", "u1", "加微信领资料")}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM outbox"); n != 0 {
		t.Fatalf("an event %v old caused %d actions", pipeline.LiveWindow, n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 1 {
		t.Fatal("the old message was not stored")
	}
}

func TestBrokenDeciderKeepsEvents(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	in := setup(t, db, pipeline.IngestConfig{Decider: wordDecider{fail: true}})
	if err := in.Ingest(context.Background(), []chat.Event{msg("e1", "g1", "u1", "hi")}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 1 {
		t.Fatalf("messages = %d, want 1", n)
	}
}

func TestConcurrentIngest(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{BatchSize: 64, BatchWait: time.Millisecond})
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := 0; w < 8; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					// Every worker also redelivers its neighbour's events.
					evs := []chat.Event{msg(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("g%d", i%5), fmt.Sprintf("u%d", i%17), "hi"),
						msg(fmt.Sprintf("w%d-%d", (w+1)%8, i), fmt.Sprintf("g%d", i%5), fmt.Sprintf("u%d", i%17), "hi")}
					if err := in.Ingest(context.Background(), evs); err != nil {
						errs <- err
						return
					}
				}
			}(w)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 400 {
			t.Fatalf("messages = %d, want 400 (each event once)", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM chat_groups"); n != 5 {
			t.Fatalf("groups = %d, want 5", n)
		}
		// i runs to 50 < lcm(5, 17): every (group, user) pair is distinct.
		if n := count(t, db, "SELECT COUNT(*) FROM memberships"); n != 50 {
			t.Fatalf("memberships = %d, want 50", n)
		}
	})
}

func TestJoinByInviteCode(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{})
		ctx := context.Background()
		// The referrer is a member already.
		if err := in.Ingest(ctx, []chat.Event{member("j0", chat.EventMemberJoined, "g1", "ref")}); err != nil {
			t.Fatal(err)
		}
		var refID, orgID int64
		db.SQL().QueryRow("SELECT person_id FROM identities WHERE external_id = 'ref'").Scan(&refID)
		db.SQL().QueryRow("SELECT id FROM orgs").Scan(&orgID)
		code := community.InviteCode{OrgID: orgID, PersonID: refID, Code: "LUKAI888"}
		if err := db.CreateInviteCode(ctx, &code); err != nil {
			t.Fatal(err)
		}
		j := member("j1", chat.EventMemberJoined, "g1", "new")
		j.Code = "lukai888"
		unknown := member("j2", chat.EventMemberJoined, "g1", "other")
		unknown.Code = "NOSUCH"
		if err := in.Ingest(ctx, []chat.Event{j, unknown}); err != nil {
			t.Fatal(err)
		}
		var src string
		var inviter int64
		db.SQL().QueryRow("SELECT m.source, COALESCE(m.inviter_id, 0) FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = 'new'").Scan(&src, &inviter)
		if src != "referral" || inviter != refID {
			t.Fatalf("joined with a member's code: source %q inviter %d, want referral by %d", src, inviter, refID)
		}
		db.SQL().QueryRow("SELECT m.source, COALESCE(m.inviter_id, 0) FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = 'other'").Scan(&src, &inviter)
		if src != "" || inviter != 0 {
			t.Fatalf("unknown code: source %q inviter %d, want neither", src, inviter)
		}
	})
}

// muteDecider mutes every message for the duration its text names ("1h"),
// as a flood rule does each message of a flood.
type muteDecider struct{}

func (muteDecider) Decide(_ context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	d, err := time.ParseDuration(in.Event.Message.Text)
	if err != nil {
		return nil, err
	}
	return []pipeline.Verdict{{Action: chat.ActMute, Duration: d, Rule: "flood", Category: "flood", Reason: "刷屏", Text: "@{name} 请勿刷屏"}}, nil
}

// TestMutedAlreadyOnlyDeleted: a member muted for flooding whose next
// messages still arrive (sent before the platform applied the mute) has
// them deleted, and is neither muted nor warned again while the mute
// runs — in the same batch or a later one. A longer mute (the ladder's
// next step) is sent; after the mute ends, the next offence mutes again.
func TestMutedAlreadyOnlyDeleted(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	now := t0.Add(time.Second)
	in := setup(t, db, pipeline.IngestConfig{Decider: muteDecider{}, Now: func() time.Time { return now }})
	ctx := context.Background()
	kinds := func() string {
		t.Helper()
		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, a := range acts {
			out = append(out, string(a.Action.Kind))
		}
		return strings.Join(out, ",")
	}
	steps := []struct {
		evs  []chat.Event
		at   time.Duration
		want string
	}{
		{[]chat.Event{msg("e1", "g1", "u1", "10m"), msg("e2", "g1", "u1", "10m"), msg("e3", "g2", "u1", "10m")}, 0, "delete,mute,send,delete,delete,mute,send"},
		{[]chat.Event{msg("e4", "g1", "u1", "5m")}, time.Minute, ",delete"},
		{[]chat.Event{msg("e5", "g1", "u1", "1h")}, 2 * time.Minute, ",delete,mute,send"},
		{[]chat.Event{msg("e6", "g1", "u1", "1h")}, 3 * time.Minute, ",delete"},
		{[]chat.Event{msg("e7", "g1", "u1", "1h")}, 2 * time.Hour, ",delete,mute,send"},
	}
	got := ""
	want := ""
	for i, s := range steps {
		now = t0.Add(s.at)
		for i := range s.evs {
			s.evs[i].Time = now // live
		}
		if err := in.Ingest(ctx, s.evs); err != nil {
			t.Fatal(err)
		}
		want += s.want
		if got = kinds(); got != want {
			t.Fatalf("step %d: actions %s, want %s", i, got, want)
		}
	}
	if n := count(t, db, "SELECT COUNT(*) FROM moderation_actions WHERE action = 'delete'"); n != 3 {
		t.Errorf("%d offences recorded as deleted only, want 3", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM moderation_actions"); n != 7 {
		t.Errorf("%d offences recorded, want 7", n)
	}
}

// TestBatchWaitIsADeadline: a batch waits for more events at most
// BatchWait after its first, however steadily others keep arriving — a
// wait that each arrival restarted kept one batch open for as long as
// clients trickled in, and every one of them waiting for its answer.
func TestBatchWaitIsADeadline(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	in := setup(t, db, pipeline.IngestConfig{BatchSize: 4096, BatchWait: 100 * time.Millisecond})
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 { // one every 20 ms for 0.8 s
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.Ingest(context.Background(), []chat.Event{msg(fmt.Sprintf("e%d", i), "g1", fmt.Sprintf("u%d", i%7), "hi")}); err != nil {
				errs <- err
			}
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// 0.8 s of arrivals in batches of at most 0.1 s: at least 4 (about 8).
	if n := in.Stats().Batches.Load(); n < 4 {
		t.Fatalf("%d batches for 40 events arriving over 0.8 s with a 100 ms wait", n)
	}
	if n := count(t, db, "SELECT COUNT(*) FROM messages"); n != 40 {
		t.Fatalf("messages = %d, want 40", n)
	}
}
