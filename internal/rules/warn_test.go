package rules_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestWarningsReachTheMember: a warning names the member it is about as
// the action's Mention (adapters mention them natively), and answers the
// offending message while it stands: the ad a staff /warn replied to, the
// command itself when the member was only mentioned; an ad taken down is
// not replied to.
func TestWarningsReachTheMember(t *testing.T) {
	clock := now
	db := storetest.Open(t, store.SQLite, func() time.Time { return clock })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: d, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return clock }})
	go in.Run(ctx)
	seq := 0
	say := func(user, text string, mod func(*chat.Message)) (string, []chat.Action) {
		seq++
		e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "wx", Platform: "webhook", Type: chat.EventMessage, Group: "g", Time: clock,
			Sender: chat.User{ID: user, Name: map[string]string{"u-wang": "王五", "u-boss": "群主"}[user]}, Message: &chat.Message{ID: fmt.Sprint("m", seq), Kind: chat.KindText, Text: text}}
		if mod != nil {
			mod(e.Message)
		}
		before, _ := db.PullActions(ctx, []string{"wx"}, 0, 1000)
		if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
			t.Fatal(err)
		}
		clock = clock.Add(time.Minute)
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 1000)
		var out []chat.Action
		for _, a := range acts[len(before):] {
			out = append(out, a.Action)
		}
		return e.Message.ID, out
	}
	say("u-boss", "大家好", nil)
	if err := db.SetRole(ctx, "wx", "g", "u-boss", community.RoleOwner); err != nil {
		t.Fatal(err)
	}
	in.Forget()
	say("u-wang", "大家好", nil)

	// An ad: taken down, and the warning mentions its sender.
	_, acts := say("u-wang", "加 薇 信 abc1688 领 免 费 资 料", nil)
	if len(acts) != 2 || acts[0].Kind != chat.ActDelete || acts[1].Kind != chat.ActSend {
		t.Fatalf("ad: %+v", acts)
	}
	if w := acts[1]; w.Mention == nil || *w.Mention != (chat.User{ID: "u-wang", Name: "王五"}) || w.MessageID != "" || w.SplitMention() == w.Text {
		t.Errorf("warning about the ad: %+v (mention %+v)", w, w.Mention)
	}

	// A staff /warn replying to a member's message answers that message.
	said, _ := say("u-wang", "这个群好无聊", nil)
	_, acts = say("u-boss", "/warn 注意言辞", func(m *chat.Message) { m.ReplyTo = said })
	if len(acts) != 1 || acts[0].Kind != chat.ActSend || acts[0].Mention == nil || acts[0].Mention.ID != "u-wang" || acts[0].MessageID != said {
		t.Fatalf("/warn as a reply: %+v", acts)
	}
	// Mentioning the member instead: the warning answers the command.
	cmd, acts := say("u-boss", "/warn 注意言辞", func(m *chat.Message) { m.Mentions = []string{"u-wang"} })
	if len(acts) != 1 || acts[0].Mention == nil || acts[0].Mention.ID != "u-wang" || acts[0].MessageID != cmd {
		t.Fatalf("/warn with a mention: %+v", acts)
	}
	// /rules is a plain answer, to nobody in particular.
	cmd, acts = say("u-wang", "/rules", nil)
	if len(acts) != 1 || acts[0].Mention != nil || acts[0].MessageID != cmd {
		t.Fatalf("/rules: %+v", acts)
	}
}
