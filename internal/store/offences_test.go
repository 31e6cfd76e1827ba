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

// TestCountOffences: the escalation ladder counts decisions of the rules,
// not reminders (quiet hours, nicknames) nor the model's warnings, and only
// since the window's start.
func TestCountOffences(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		var person int64
		err := db.Ingest(ctx, func(tx pipeline.Tx) error {
			var err error
			if person, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: "u1", Name: "小李"}); err != nil {
				return err
			}
			for i, a := range []struct {
				rule, category string
				ago            time.Duration
			}{
				{"网商学院群规/categories.ad", "ad", time.Hour},
				{"网商学院群规/categories.vote", "vote", 2 * time.Hour},
				{"网商学院群规/model.rumor", "rumor", 3 * time.Hour},      // a guess
				{"网商学院群规/quiet", "quiet", 4 * time.Hour},            // a reminder
				{"网商学院群规/nickname", "nickname", 5 * time.Hour},      // a reminder
				{"网商学院群规/categories.ad", "ad", 40 * 24 * time.Hour}, // before the window
			} {
				if err := tx.RecordModeration(ctx, community.ModerationAction{OrgID: org.ID, GroupID: g.ID, PersonID: person, MessageID: string(rune('a' + i)),
					Action: chat.ActDelete, Rule: a.rule, Category: a.category, Actor: "rules", CreatedAt: clk.Now().Add(-a.ago)}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		n, err := db.CountOffences(ctx, person, clk.Now().AddDate(0, 0, -30))
		if err != nil || n != 2 {
			t.Fatalf("offences: %d %v, want 2", n, err)
		}
	})
}
