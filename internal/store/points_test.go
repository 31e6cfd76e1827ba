package store_test

import (
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestPointsMerged: one human's two records, each with check-ins (one on
// the same day) and points, merge into one: the day both checked in is
// kept once, everything else adds up, and the board names one person.
func TestPointsMerged(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		at := clk.Now()
		var wx, tg int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if wx, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "阿梅"}); err != nil {
				return err
			}
			if tg, err = tx.ResolvePerson(ctx, org.ID, "tg", "telegram", chat.User{ID: "777", Name: "Amei"}); err != nil {
				return err
			}
			for _, c := range []pipeline.Checkin{{GroupID: g.ID, PersonID: wx, Day: "2026-12-01", Streak: 1, Points: 1, At: at},
				{GroupID: g.ID, PersonID: tg, Day: "2026-12-01", Streak: 1, Points: 1, At: at}, {GroupID: g.ID, PersonID: tg, Day: "2026-12-02", Streak: 2, Points: 1, At: at}} {
				if err := tx.AddCheckin(ctx, c); err != nil {
					return err
				}
			}
			for i, p := range []pipeline.PointsEntry{{PersonID: wx, Kind: pipeline.PointsPost, Points: 2, Ref: "m1"}, {PersonID: tg, Kind: pipeline.PointsAward, Points: 5, Ref: "e1", Actor: "staff:boss"}} {
				p.GroupID, p.Day, p.At = g.ID, "2026-12-02", at
				if added, err := tx.AddPoints(ctx, p); err != nil || !added {
					t.Errorf("points %d: %v %v", i, added, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.MergePeople(ctx, org.ID, tg, wx, "staff:admin"); err != nil {
			t.Fatal(err)
		}
		pts, err := db.PersonPoints(ctx, wx, "2026-12-01")
		if err != nil || len(pts) != 1 || pts[0].Total != 9 || pts[0].Last != "2026-12-02" || pts[0].Streak != 2 {
			t.Errorf("merged points: %+v %v (want 2 check-ins, a post's 2 and an award's 5)", pts, err)
		}
		board, err := db.TopPoints(ctx, org.ID, []int64{g.ID}, "2026-12-01", true, 10)
		if err != nil || len(board) != 1 || board[0].PersonID != wx {
			t.Errorf("board: %+v %v", board, err)
		}
	})
}
