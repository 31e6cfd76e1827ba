package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestGateChecksMerged: merging two people keeps one gate check a group
// (the kept person's where both had one) and moves the other's.
func TestGateChecksMerged(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		g2 := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "二群", Kind: community.KindCohort}
		if err := db.CreateGroup(ctx, &g2); err != nil {
			t.Fatal(err)
		}
		var from, into int64
		at := clk.Now()
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if from, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "阿梅"}); err != nil {
				return err
			}
			if into, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u9", Name: "Amei"}); err != nil {
				return err
			}
			for _, c := range []pipeline.GateCheck{
				{GroupID: g.ID, PersonID: from, User: "u1", Name: "阿梅", Mode: "code", Code: "1234", Due: at.Add(time.Minute), At: at},
				{GroupID: g.ID, PersonID: into, User: "u9", Name: "Amei", Mode: "button", Muted: true, Due: at.Add(time.Minute), At: at},
				{GroupID: g2.ID, PersonID: from, User: "u1", Name: "阿梅", Mode: pipeline.GateRaid, Muted: true, At: at},
			} {
				if err := tx.OpenGate(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MergePeople(ctx, org.ID, from, into, "staff:test"); err != nil {
			t.Fatal(err)
		}
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			c, ok, err := tx.PendingGate(ctx, g.ID, into)
			if err != nil || !ok || c.Mode != "button" || !c.Muted || !c.Due.Equal(at.Add(time.Minute).Truncate(time.Millisecond)) {
				t.Errorf("the kept check in g1: %+v %v %v", c, ok, err)
			}
			c, ok, err = tx.PendingGate(ctx, g2.ID, into)
			if err != nil || !ok || c.Mode != pipeline.GateRaid || !c.Due.IsZero() {
				t.Errorf("the moved check in g2: %+v %v %v", c, ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := db.SQL().QueryRow("SELECT COUNT(*) FROM gate_checks").Scan(&n); err != nil || n != 2 {
			t.Errorf("gate checks after the merge: %d %v, want 2", n, err)
		}
	})
}
