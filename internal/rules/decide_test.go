package rules_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var now = time.Date(2026, 11, 25, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// TestDeciderInPipeline runs the rules through the real pipeline and store:
// the escalation ladder reads earlier offences from the store.
func TestDeciderInPipeline(t *testing.T) {
	clock := now
	db := storetest.Open(t, store.SQLite, func() time.Time { return clock })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences, NoticeOnJoin: true}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: d, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return clock }})
	go in.Run(ctx)
	seq := 0
	send := func(typ chat.EventType, user, text string) {
		seq++
		e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "sim", Platform: "sim", Type: typ, Group: "g", Time: clock, Sender: chat.User{ID: user, Name: user}}
		if typ == chat.EventMessage {
			e.Message = &chat.Message{ID: fmt.Sprint("m", seq), Kind: chat.KindText, Text: text}
		}
		if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
	}
	kinds := func() string { return actionKinds(ctx, db) }
	send(chat.EventMemberJoined, "spammer", "")
	if k := kinds(); k != "send" {
		t.Fatalf("join: %s, want the rules notice", k)
	}
	send(chat.EventMessage, "spammer", "加 薇 信 abc1688 领资料")
	send(chat.EventMessage, "spammer", "➕V：abc1688")
	send(chat.EventMessage, "spammer", "加威信abc1688")
	// warn (the ad deleted, a warning sent), then mute (delete, mute,
	// send), then kick (delete, kick, send).
	if k := kinds(); k != "send,delete,send,delete,mute,send,delete,kick,send" {
		t.Fatalf("ladder: %s", k)
	}
	send(chat.EventMessage, "member", "老师讲得好")
	if k := kinds(); strings.Count(k, ",") != 8 {
		t.Fatalf("a clean message caused actions: %s", k)
	}
	n, _ := db.CountOffences(ctx, 2, now.Add(-time.Hour))
	var total int
	db.SQL().QueryRow("SELECT COUNT(*) FROM moderation_actions").Scan(&total)
	if total != 3 {
		t.Fatalf("%d moderation records (person count %d), want 3", total, n)
	}
}

// actionKinds lists the kinds of the actions waiting in the outbox for
// the sim connection, oldest first.
func actionKinds(ctx context.Context, db *store.DB) string {
	acts, _ := db.PullActions(ctx, []string{"sim"}, 0, 100)
	var ks []string
	for _, a := range acts {
		ks = append(ks, string(a.Action.Kind))
	}
	return strings.Join(ks, ",")
}

func TestDeciderFlood(t *testing.T) {
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup()}
	in := &pipeline.Input{Group: community.Group{ID: 1, Kind: community.KindCohort}, PersonID: 7, Membership: community.Membership{Role: community.RoleMember, JoinedAt: now.Add(-48 * time.Hour)}, Caps: chat.AllActions()}
	var last []pipeline.Verdict
	for i := 0; i < 3; i++ {
		e := chat.Event{Type: chat.EventMessage, Time: now.Add(time.Duration(i) * time.Second), Sender: chat.User{ID: "u"}, Message: &chat.Message{ID: fmt.Sprint(i), Kind: chat.KindText, Text: "哈哈哈哈"}}
		in.Event = &e
		var err error
		if last, err = d.Decide(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
	if len(last) != 1 || last[0].Action != chat.ActMute || last[0].Category != "flood" {
		t.Fatalf("three identical messages in 3 s: %+v, want a mute for flooding", last)
	}
}

// TestLadderWithinOneBatch: three ads delivered in one burst (one ingest
// batch, one transaction) climb the ladder as three ads one by one do.
func TestLadderWithinOneBatch(t *testing.T) {
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: d, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now }})
	go in.Run(ctx)
	var evs []chat.Event
	for i, text := range []string{"加 薇 信 abc1688 领资料", "➕V：abc1688", "加威信abc1688"} {
		evs = append(evs, chat.Event{ID: fmt.Sprint("b", i), Connection: "sim", Platform: "sim", Type: chat.EventMessage, Group: "g", Time: now,
			Sender: chat.User{ID: "spammer"}, Message: &chat.Message{ID: fmt.Sprint("m", i), Kind: chat.KindText, Text: text}})
	}
	if err := in.Ingest(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if k := actionKinds(ctx, db); k != "delete,send,delete,mute,send,delete,kick,send" {
		t.Fatalf("ladder in one batch: %s", k)
	}
}

// TestStaffLadder: where the rules judge staff (exempt = ["owner"]), a
// 店小二's ads are judged one by one but do not climb the ladder — nothing
// recorded against a member in a group where she is staff counts, in the
// store or within one batch — and her record as a member before she was
// made staff is left behind.
func TestStaffLadder(t *testing.T) {
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	staffRules, err := rules.ParseRuleSet("g.toml", []byte("exempt = [\"owner\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Merge(rules.Default(), staffRules)
	if err != nil {
		t.Fatal(err)
	}
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: func(community.Group) *rules.RuleSet { return rs }, Offences: db.CountOffences}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: d, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now }})
	go in.Run(ctx)
	seq := 0
	texts := []string{"加 薇 信 abc1688 领资料", "➕V：abc1688", "加威信abc1688", "加我微信 abc12345 领资料", "扫码加微信 abc999"} // not one text: no flood
	ads := func(n int) {
		var evs []chat.Event
		for range n {
			seq++
			evs = append(evs, chat.Event{ID: fmt.Sprint("s", seq), Connection: "sim", Platform: "sim", Type: chat.EventMessage, Group: "g", Time: now.Add(time.Duration(seq) * time.Minute),
				Sender: chat.User{ID: "xiaoer"}, Message: &chat.Message{ID: fmt.Sprint("m", seq), Kind: chat.KindText, Text: texts[seq-1]}})
		}
		if err := in.Ingest(ctx, evs); err != nil {
			t.Fatal(err)
		}
	}
	kinds := func() string { return actionKinds(ctx, db) }
	ads(2) // as a member: warned, then muted
	if k := kinds(); k != "delete,send,delete,mute,send" {
		t.Fatalf("a member's two ads: %s", k)
	}
	if err := db.SetRole(ctx, "sim", "g", "xiaoer", community.RoleAssistant); err != nil {
		t.Fatal(err)
	}
	in.Forget() // as the console and the API do after a change
	ads(3)      // as 店小二, in one batch: warned each time
	if k := kinds(); k != "delete,send,delete,mute,send,delete,send,delete,send,delete,send" {
		t.Fatalf("店小二's three ads in one batch: %s", k)
	}
}

// TestDeciderContext: the Decider asks who speaks and to whom only when a
// verdict could turn on it, and a lecturer's offer of material is no ad.
func TestDeciderContext(t *testing.T) {
	asked := 0
	lecturers := map[int64]bool{7: true}
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(),
		Lecturer: func(_ context.Context, g community.Group, person int64) (bool, error) {
			asked++
			return lecturers[person], nil
		},
		ToStaff: func(_ context.Context, in *pipeline.Input) (bool, error) {
			return in.Event.Message.ReplyTo == "from-owner", nil
		}}
	decide := func(person int64, text, reply string) []pipeline.Verdict {
		e := &chat.Event{ID: "e", Type: chat.EventMessage, Group: "g", Time: now, Sender: chat.User{ID: fmt.Sprint("u", person)},
			Message: &chat.Message{ID: "m", Kind: chat.KindText, Text: text, ReplyTo: reply}}
		vs, err := d.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 1, Kind: community.KindCohort}, PersonID: person,
			Membership: community.Membership{Role: community.RoleMember, JoinedAt: now.Add(-72 * time.Hour)}})
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	if vs := decide(3, "老师讲得真好", ""); len(vs) != 0 || asked != 0 {
		t.Fatalf("a clean message: %+v, context asked %d times", vs, asked)
	}
	if vs := decide(7, "需要学习资料的同学私聊我", ""); len(vs) != 0 {
		t.Errorf("a lecturer's offer: %+v", vs)
	}
	if vs := decide(3, "需要学习资料的同学私聊我", ""); len(vs) != 1 || vs[0].Category != "ad" {
		t.Errorf("a member's offer: %+v", vs)
	}
	if vs := decide(3, "好的，需要的话我私聊您", "from-owner"); len(vs) != 0 {
		t.Errorf("a reply to the owner: %+v", vs)
	}
	if vs := decide(7, "线上棋牌，稳赚不赔，私聊", ""); len(vs) != 1 || vs[0].Category != "gambling" {
		t.Errorf("a lecturer's gambling: %+v", vs)
	}
}
