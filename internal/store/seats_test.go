package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestMemberSeats: a member in two cohorts of one family and in a group
// of none is listed with each group's family and her messages there;
// members in one group and staff are not; the duplicate finder keeps the
// cohort she posts in.
func TestMemberSeats(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, other := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		tpl := seedTemplate(org.ID)
		if err := db.CreateTemplate(ctx, &tpl, "test"); err != nil {
			t.Fatal(err)
		}
		tasks, _, err := db.ApplyTemplate(ctx, org.ID, tpl.ID, nodes[0].ID, map[string]string{"county": "阳新", "year": "2026"}, "test")
		if err != nil {
			t.Fatal(err)
		}
		var cohorts []community.Group
		for _, task := range tasks {
			if task.Kind != community.KindCohort {
				continue
			}
			g := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: task.Name, Name: task.Name, Kind: community.KindCohort}
			if err := db.CreateGroup(ctx, &g); err != nil {
				t.Fatal(err)
			}
			if _, err := db.BindTask(ctx, org.ID, task.ID, g.ID, "test"); err != nil {
				t.Fatal(err)
			}
			cohorts = append(cohorts, g)
		}
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
