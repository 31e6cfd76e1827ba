package rules_test

import (
	"context"
	"fmt"
	"sort"
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

// TestOrganisationBan: a secretary's /ban in one group bans the member in
// every group of the organisation; a later join anywhere is refused; one
// unban lifts it everywhere.
func TestOrganisationBan(t *testing.T) {
	clock := now
	storetest.Dialects(t, func() time.Time { return clock }, func(t *testing.T, db *store.DB) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		org := community.Org{Name: "学院", Slug: "a"}
		db.CreateOrg(ctx, &org)
		d := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences}
		in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: d, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return clock }})
		go in.Run(ctx)
		seq := 0
		ev := func(typ chat.EventType, group, user string, mod func(*chat.Event)) {
			seq++
			e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "wx", Platform: "webhook", Type: typ, Group: group, Time: clock, Sender: chat.User{ID: user, Name: user}}
			if typ == chat.EventMessage {
				e.Message = &chat.Message{ID: fmt.Sprint("m", seq), Kind: chat.KindText}
			}
			if mod != nil {
				mod(&e)
			}
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
			clock = clock.Add(time.Second)
		}
		for _, g := range []string{"g1", "g2"} {
			ev(chat.EventMemberJoined, g, "troll", nil)
		}
		ev(chat.EventMemberJoined, "g1", "sec", nil)
		if err := db.SetRole(ctx, "wx", "g1", "sec", community.RoleSecretary); err != nil {
			t.Fatal(err)
		}
		in.Forget()
		// A member's "/ban" is only a message.
		ev(chat.EventMessage, "g1", "troll", func(e *chat.Event) { e.Message.Text = "/ban"; e.Message.Mentions = []string{"sec"} })
		ev(chat.EventMessage, "g1", "sec", func(e *chat.Event) { e.Message.Text = "/ban 屡次发广告"; e.Message.Mentions = []string{"troll"} })
		bans := func(kind chat.ActionKind) []string {
			acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 100)
			var out []string
			for _, a := range acts {
				if a.Action.Kind == kind {
					out = append(out, a.Action.Group+"/"+a.Action.User)
				}
			}
			sort.Strings(out)
			return out
		}
		if got := strings.Join(bans(chat.ActBan), " "); got != "g1/troll g2/troll" {
			t.Fatalf("bans after /ban: %q, want troll banned in g1 and g2", got)
		}
		// They leave (the platform removed them) and try another group.
		ev(chat.EventMemberLeft, "g1", "troll", nil)
		ev(chat.EventMemberJoined, "g3", "troll", nil)
		if got := strings.Join(bans(chat.ActBan), " "); got != "g1/troll g2/troll g3/troll" {
			t.Fatalf("bans after joining g3: %q", got)
		}
		var pid int64
		db.SQL().QueryRow("SELECT person_id FROM identities WHERE external_id = 'troll'").Scan(&pid)
		n, err := db.LiftBan(ctx, org.ID, pid, "api:test")
		if err != nil || n != 3 {
			t.Fatalf("lift: %d groups, %v; want 3", n, err)
		}
		if got := len(bans(chat.ActUnban)); got != 3 {
			t.Fatalf("%d unban actions, want 3", got)
		}
		if _, err := db.LiftBan(ctx, org.ID, pid, "api:test"); err == nil {
			t.Fatal("lifting a lifted ban succeeded")
		}
		ev(chat.EventMemberJoined, "g4", "troll", nil)
		if got := len(bans(chat.ActBan)); got != 3 {
			t.Fatalf("joined after the unban and was banned again (%d bans)", got)
		}
	})
}
