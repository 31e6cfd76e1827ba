package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// cohortSeries applies the test template at the org's first node and
// makes the groups of its two cohort tasks: the series and its family.
func cohortSeries(t *testing.T, db *store.DB, orgID int64) ([]community.Group, int64) {
	t.Helper()
	nodes, _ := db.Nodes(ctx, orgID)
	tpl := seedTemplate(orgID)
	if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
		t.Fatal(err)
	}
	tasks, _, err := db.ApplyTemplate(ctx, orgID, tpl.ID, nodes[0].ID, map[string]string{"county": "阳新", "year": "2026"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	var cohorts []community.Group
	var family int64
	for _, task := range tasks {
		if task.Kind != community.KindCohort {
			continue
		}
		g := community.Group{OrgID: orgID, Connection: "wx", Platform: "webhook", ExternalID: task.Name, Name: task.Name, Kind: community.KindCohort}
		if err := db.CreateGroup(ctx, &g); err != nil {
			t.Fatal(err)
		}
		if _, err := db.BindTask(ctx, orgID, task.ID, g.ID, "test"); err != nil {
			t.Fatal(err)
		}
		cohorts = append(cohorts, g)
		family = task.FamilyID
	}
	return cohorts, family
}

// TestMemberSeats: a member in two cohorts of one family and in a group
// of none is listed with each group's family and her messages there;
// members in one group and staff are not; the duplicate finder keeps the
// cohort she posts in.
func TestMemberSeats(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, other := seedOrg(t, db)
		cohorts, _ := cohortSeries(t, db, org.ID)
		if len(cohorts) != 2 {
			t.Fatalf("cohorts: %d", len(cohorts))
		}
		ids := named(t, db, org.ID, "阿梅", "老周", "店小二")
		mei, zhou, staff := ids[0], ids[1], ids[2]
		join(t, db, cohorts[0].ID, community.RoleMember, mei, zhou)
		join(t, db, cohorts[1].ID, community.RoleMember, mei)
		join(t, db, other.ID, community.RoleMember, mei)
		join(t, db, cohorts[0].ID, community.RoleAssistant, staff)
		join(t, db, cohorts[1].ID, community.RoleAssistant, staff)
		now := newClock().Now()
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.InsertMessages(ctx, []community.Message{
				{GroupID: cohorts[1].ID, PersonID: mei, ExternalID: "s1", Kind: chat.KindText, Text: "在", SentAt: now.Add(-time.Hour)},
				{GroupID: cohorts[1].ID, PersonID: mei, ExternalID: "s2", Kind: chat.KindText, Text: "好", SentAt: now.Add(-time.Minute)},
				{GroupID: cohorts[0].ID, PersonID: mei, ExternalID: "s3", Kind: chat.KindText, Text: "早", SentAt: now.AddDate(0, 0, -40)},
			})
		}); err != nil {
			t.Fatal(err)
		}
		seats, err := db.MemberSeats(ctx, org.ID, now)
		if err != nil {
			t.Fatal(err)
		}
		if len(seats) != 3 {
			t.Fatalf("seats: %+v", seats)
		}
		fam := map[int64]int64{}
		msgs := map[int64]int{}
		for _, s := range seats {
			if s.Person != mei || s.Name != "阿梅" {
				t.Fatalf("a seat of someone else: %+v", s)
			}
			fam[s.Group], msgs[s.Group] = s.Family, s.Messages
		}
		if fam[cohorts[0].ID] == 0 || fam[cohorts[0].ID] != fam[cohorts[1].ID] || fam[other.ID] != 0 {
			t.Fatalf("families: %v", fam)
		}
		if msgs[cohorts[1].ID] != 2 || msgs[cohorts[0].ID] != 0 {
			t.Fatalf("messages over 30 days: %v", msgs)
		}
		dups := analytics.FindDuplicates(seats, 0, analytics.KeepActive)
		if len(dups) != 1 || len(dups[0].Families) != 1 || dups[0].Families[0].Keep != cohorts[1].ID || len(dups[0].Remove()) != 1 || dups[0].Remove()[0].Group != cohorts[0].ID {
			t.Fatalf("duplicates: %+v", dups)
		}
	})
}

// TestDuplicateNotice: the members in both cohorts of a series are named
// in the cohort they joined second, each with the one they stay in; a
// caller scoped away from a cohort is refused; after the notice period
// the purge removes them, but for the one who meanwhile left the cohort
// they were to stay in. A second notice is withdrawn with its own text.
func TestDuplicateNotice(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		org, _ := seedOrg(t, db)
		cohorts, family := cohortSeries(t, db, org.ID)
		first, second := cohorts[0], cohorts[1]
		people := map[string]int64{}
		seats := map[string]int64{} // 阿强's seat in the first cohort
		for i, n := range []string{"阿梅", "老周", "阿强", "小李"} {
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				people[n], err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: fmt.Sprint("u", i), Name: n})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if n != "小李" {
				m := community.Membership{GroupID: first.ID, PersonID: people[n], Role: community.RoleMember, JoinedAt: clk.Now().AddDate(0, 0, -20)}
				if err := db.AddMembership(ctx, &m); err != nil {
					t.Fatal(err)
				}
				seats[n] = m.ID
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: second.ID, PersonID: people[n], Role: community.RoleMember, JoinedAt: clk.Now().AddDate(0, 0, -5)}); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []struct {
			family int64
			rule   analytics.KeepRule
			days   int
			within []int64
			want   errkind.Kind
		}{
			{family, analytics.KeepEarliest, 0, nil, errkind.Invalid},
			{family, analytics.KeepEarliest, 61, nil, errkind.Invalid},
			{family, "newest", 7, nil, errkind.Invalid},
			{99999, analytics.KeepEarliest, 7, nil, errkind.NotFound},
			{family, analytics.KeepEarliest, 7, []int64{second.ID}, errkind.Forbidden},
		} {
			if _, err := db.DuplicateNotice(ctx, org.ID, bad.family, bad.rule, bad.days, bad.within, "admin"); !errkind.Is(err, bad.want) {
				t.Fatalf("%+v: %v, want %s", bad, err, bad.want)
			}
		}
		purges, err := db.DuplicateNotice(ctx, org.ID, family, analytics.KeepEarliest, 7, []int64{first.ID, second.ID}, "admin")
		if err != nil || len(purges) != 1 || purges[0].GroupID != second.ID || purges[0].Kind != community.PurgeDuplicate || len(purges[0].Members) != 3 {
			t.Fatalf("the notice: %+v %v", purges, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 1 || acts[0].Action.Group != second.ExternalID || !strings.Contains(acts[0].Action.Text, "@阿梅（留在「"+first.Name+"」）") || strings.Contains(acts[0].Action.Text, "小李") {
			t.Fatalf("the notice posted: %+v", acts)
		}
		if _, err := db.DuplicateNotice(ctx, org.ID, family, analytics.KeepEarliest, 7, nil, "admin"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a second notice while one is pending: %v", err)
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.EndMembership(ctx, seats["阿强"], clk.Now(), chat.LeftVoluntarily)
		}); err != nil {
			t.Fatal(err)
		}
		p, ok, err := db.PendingPurge(ctx, org.ID, second.ID)
		if err != nil || !ok || p.Kind != community.PurgeDuplicate {
			t.Fatalf("pending: %+v %v %v", p, ok, err)
		}
		for _, m := range p.Members {
			want := community.PurgeNamed
			if m.PersonID == people["阿强"] {
				want = community.PurgeSingle
			}
			if m.Status != want || m.KeepGroup != first.ID || m.KeepName != first.Name {
				t.Errorf("pending %s: %+v, want %s staying in %d", m.Name, m, want, first.ID)
			}
		}
		clk.Add(8 * 24 * time.Hour)
		if n, err := db.PurgeExecute(ctx, org.ID, second.ID, nil, "admin"); err != nil || n != 2 {
			t.Fatalf("execute: %d %v", n, err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 10)
		kicked := 0
		for _, a := range acts {
			if a.Action.Kind == chat.ActKick {
				kicked++
				if a.Action.Reason != "duplicate (purge)" || a.Action.User == "u2" {
					t.Errorf("a kick: %+v", a.Action)
				}
			}
		}
		if kicked != 2 {
			t.Fatalf("%d kicks, want 2: %+v", kicked, acts)
		}
		// The removed are members until the platform reports them gone: a
		// new notice names them again, and is withdrawn.
		if _, err := db.DuplicateNotice(ctx, org.ID, family, analytics.KeepActive, 3, nil, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.PurgeWithdraw(ctx, org.ID, second.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		acts, _ = db.PullActions(ctx, []string{"wx"}, 0, 20)
		if last := acts[len(acts)-1].Action; last.Text != community.DuplicateWithdrawnText(community.BotZh) {
			t.Fatalf("withdrawal: %+v", last)
		}
		all, _ := db.Purges(ctx, org.ID, false, 10)
		if len(all) != 2 || all[0].Kind != community.PurgeDuplicate || all[0].Outcome != community.PurgeWithdrawn {
			t.Fatalf("purges: %+v", all)
		}
	})
}
