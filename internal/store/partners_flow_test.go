package store_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// member makes a person with an account on the group's connection (wx)
// who is in the group and has said texts there.
func member(t *testing.T, db *store.DB, org int64, g community.Group, user, name string, texts ...string) int64 {
	t.Helper()
	var pid int64
	err := db.Ingest(ctx, func(tx pipeline.Tx) error {
		var err error
		if pid, err = tx.ResolvePerson(ctx, org, g.Connection, g.Platform, chat.User{ID: user, Name: name}); err != nil {
			return err
		}
		if _, open, err := tx.OpenMembership(ctx, g.ID, pid); err != nil || open {
			return err
		}
		if err := tx.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: pid, Role: community.RoleMember, JoinedAt: joinedAt}); err != nil {
			return err
		}
		var msgs []community.Message
		for i, text := range texts {
			msgs = append(msgs, community.Message{GroupID: g.ID, PersonID: pid, ExternalID: fmt.Sprint(user, i), Kind: chat.KindText, Text: text, SentAt: joinedAt})
		}
		return tx.InsertMessages(ctx, msgs)
	})
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// joinedAt is when member's people join: newClock's time.
var joinedAt = newClock().Now()

// TestAdmitUnknownPerson: an unknown person, or one of another
// organisation, is not found (the API's 404), and nothing is written.
func TestAdmitUnknownPerson(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		other := community.Org{Name: "别家", Slug: "other"}
		if err := db.CreateOrg(ctx, &other); err != nil {
			t.Fatal(err)
		}
		stranger := people(t, db, other.ID, 1)[0]
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 1}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		for _, p := range []int64{999999, stranger} {
			if _, err := db.Admit(ctx, lvl.ID, g.NodeID, p); !errkind.Is(err, errkind.NotFound) {
				t.Errorf("admit person %d: %v, want not found", p, err)
			}
		}
		// Full: the unknown person must not reach the waitlist either.
		if _, err := db.Admit(ctx, lvl.ID, g.NodeID, people(t, db, org.ID, 1)[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Admit(ctx, lvl.ID, g.NodeID, 999999); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("admit an unknown person to a full level: %v, want not found", err)
		}
		if w, _ := db.PartnerWaitlist(ctx, org.ID, lvl.ID, g.NodeID); len(w) != 0 {
			t.Errorf("waitlist %+v", w)
		}
		if _, err := db.AdmitPartner(ctx, other.ID, lvl.ID, g.NodeID, stranger, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("another organisation's level: %v, want not found", err)
		}
	})
}

// TestReleaseMovesWaitlistUp: releasing a seat seats the first waiting
// person and tells them in a group of theirs at the entity, in its
// language, through the outbox; someone no chat reaches is recorded
// untold.
func TestReleaseMovesWaitlistUp(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		// An English-speaking group elsewhere, which Ann joined first, and
		// the Chinese group at the entity.
		away := community.Node{OrgID: org.ID, Name: "海外", Kind: community.NodeRegion}
		if err := db.CreateNode(ctx, &away); err != nil {
			t.Fatal(err)
		}
		abroad := community.Group{OrgID: org.ID, NodeID: away.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "Overseas alumni", BotLang: community.BotEn}
		if err := db.CreateGroup(ctx, &abroad); err != nil {
			t.Fatal(err)
		}
		ann := member(t, db, org.ID, abroad, "ann", "Ann", "hello", "see you", "thanks", "ok", "great")
		member(t, db, org.ID, g, "ann", "Ann", "大家好")
		bob := member(t, db, org.ID, abroad, "bob", "Bob", "hi there", "where is it", "fine", "yes", "no")
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市合伙人 city partner", Rank: 2, Cap: 1}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		first := people(t, db, org.ID, 1)[0]
		hermit := people(t, db, org.ID, 1)[0] // in no group
		for _, p := range []int64{first, ann, hermit, bob} {
			if _, err := db.AdmitPartner(ctx, org.ID, lvl.ID, g.NodeID, p, "staff:admin"); err != nil {
				t.Fatal(err)
			}
		}
		w, err := db.PartnerWaitlist(ctx, org.ID, lvl.ID, g.NodeID)
		if err != nil || len(w) != 3 || w[0].Person != "Ann" || w[0].Position != 1 || w[2].Person != "Bob" || w[2].Position != 3 {
			t.Fatalf("waitlist %+v, %v", w, err)
		}
		seats, _ := db.Seats(ctx, lvl.ID, g.NodeID)
		if _, err := db.ReleasePartnerSeat(ctx, org.ID+1, seats[0].ID, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation releasing: %v", err)
		}
		rel, err := db.ReleasePartnerSeat(ctx, org.ID, seats[0].ID, "staff:admin")
		if err != nil {
			t.Fatal(err)
		}
		n := rel.Promoted
		if rel.Person != "合伙人0" || n == nil || n.PersonID != ann || n.Number != 2 || n.GroupID != g.ID || n.Lang != "zh" || !strings.Contains(n.Text, "@Ann 恭喜") ||
			!strings.Contains(n.Text, "城市合伙人第 2 号席位（创始合伙人）") {
			t.Fatalf("release %+v, promoted %+v", rel, n)
		}
		items, err := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if err != nil || len(items) != 1 || items[0].Action.Group != "g1" || items[0].Action.Mention == nil || items[0].Action.Mention.ID != "ann" || items[0].Action.Text != n.Text {
			t.Fatalf("outbox %+v, %v", items, err)
		}
		// Ann's seat goes; the hermit moves up, told nowhere.
		seats, _ = db.Seats(ctx, lvl.ID, g.NodeID)
		rel, err = db.ReleasePartnerSeat(ctx, org.ID, seats[0].ID, "staff:admin")
		if err != nil || rel.Promoted == nil || rel.Promoted.PersonID != hermit || rel.Promoted.Told() {
			t.Fatalf("second release %+v, %v", rel.Promoted, err)
		}
		// Bob's only group's bot speaks English.
		seats, _ = db.Seats(ctx, lvl.ID, g.NodeID)
		rel, err = db.ReleasePartnerSeat(ctx, org.ID, seats[0].ID, "staff:admin")
		if err != nil || rel.Promoted == nil || rel.Promoted.GroupID != abroad.ID || rel.Promoted.Lang != "en" ||
			rel.Promoted.Text != "@Bob a seat has opened: you have moved up from the waitlist and are now city partner no. 4 (founding partner). Congratulations!" {
			t.Fatalf("third release %+v, %v", rel.Promoted, err)
		}
		// Nobody waits now: a release moves nobody.
		seats, _ = db.Seats(ctx, lvl.ID, g.NodeID)
		if rel, err = db.ReleasePartnerSeat(ctx, org.ID, seats[0].ID, "staff:admin"); err != nil || rel.Promoted != nil {
			t.Fatalf("a release with nobody waiting: %+v, %v", rel, err)
		}
		notices, err := db.PartnerNotices(ctx, org.ID, 10)
		if err != nil || len(notices) != 3 || notices[0].Person != "Bob" || notices[0].Group != "Overseas alumni" || notices[1].Told() || notices[2].Tier != "创始合伙人 founding partner" {
			t.Fatalf("notices %+v, %v", notices, err)
		}
		if n, _ := db.PartnerNotices(ctx, org.ID+1, 10); len(n) != 0 {
			t.Fatalf("another organisation's notices %+v", n)
		}
		// Merging Ann into another person carries her notice along.
		into := people(t, db, org.ID, 1)[0]
		if err := db.MergePeople(ctx, org.ID, ann, into, "admin"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestUpdatePartnerLevel(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "单店合伙人", Rank: 1, Cap: 2}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		ps := people(t, db, org.ID, 4)
		for _, p := range ps {
			if _, err := db.Admit(ctx, lvl.ID, g.NodeID, p); err != nil {
				t.Fatal(err)
			}
		}
		name, capN, low, bad := "门店合伙人", 3, 1, 0
		got, moved, err := db.UpdatePartnerLevel(ctx, org.ID, lvl.ID, community.LevelPatch{Name: &name, Cap: &capN}, "staff:admin")
		if err != nil || got.Name != name || got.Cap != 3 || len(moved) != 1 || moved[0].PersonID != ps[2] || moved[0].Number != 3 {
			t.Fatalf("rename and raise: %+v, moved %+v, %v", got, moved, err)
		}
		if _, _, err := db.UpdatePartnerLevel(ctx, org.ID, lvl.ID, community.LevelPatch{Cap: &low}, "x"); !errkind.Is(err, errkind.Conflict) {
			t.Errorf("cap below the seats taken: %v", err)
		}
		if _, _, err := db.UpdatePartnerLevel(ctx, org.ID, lvl.ID, community.LevelPatch{Cap: &bad}, "x"); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("cap 0: %v", err)
		}
		blank := " "
		if _, _, err := db.UpdatePartnerLevel(ctx, org.ID, lvl.ID, community.LevelPatch{Name: &blank}, "x"); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("a blank name: %v", err)
		}
		if _, _, err := db.UpdatePartnerLevel(ctx, org.ID+1, lvl.ID, community.LevelPatch{Name: &name}, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("another organisation's level: %v", err)
		}
		if _, _, err := db.UpdatePartnerLevel(ctx, org.ID, 99999, community.LevelPatch{Name: &name}, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("an unknown level: %v", err)
		}
	})
}

func TestFindPeopleByNickname(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		member(t, db, org.ID, g, "w1", "王芳")
		member(t, db, org.ID, g, "w2", "王芳芳")
		member(t, db, org.ID, g, "p1", "100%_Ann")
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			pid, err := tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "z1", Name: "张三"})
			if err != nil {
				return err
			}
			m := community.Membership{GroupID: g.ID, PersonID: pid, Role: community.RoleMember, Nickname: "5-1-3305 老张", JoinedAt: joinedAt}
			return tx.AddMembership(ctx, &m)
		}); err != nil {
			t.Fatal(err)
		}
		names := func(q string) string {
			t.Helper()
			ms, err := db.FindPeople(ctx, org.ID, q, nil, 10)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, m := range ms {
				out = append(out, m.Name+"@"+strings.Join(m.GroupNames, "+"))
			}
			return strings.Join(out, ",")
		}
		if got := names("王芳"); got != "王芳@"+g.Name+",王芳芳@"+g.Name {
			t.Errorf("王芳: %s", got)
		}
		if got := names("老张"); got != "张三@"+g.Name {
			t.Errorf("by nickname: %s", got)
		}
		if got := names("%_a"); got != "100%_Ann@"+g.Name {
			t.Errorf("LIKE characters are literal: %s", got)
		}
		if got := names("nobody"); got != "" {
			t.Errorf("nobody: %s", got)
		}
		if ms, err := db.FindPeople(ctx, org.ID, "  ", nil, 10); err != nil || len(ms) != 0 {
			t.Errorf("an empty query: %+v %v", ms, err)
		}
		if ms, _ := db.FindPeople(ctx, org.ID+1, "王", nil, 10); len(ms) != 0 {
			t.Errorf("another organisation: %+v", ms)
		}
	})
}
