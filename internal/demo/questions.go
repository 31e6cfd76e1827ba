package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// QuestionsStore tracks the members' questions of the history, rolls it
// up and makes its daily digests.
type QuestionsStore interface {
	TrackHistory(ctx context.Context, orgID int64, since, now time.Time, loc *time.Location) (int, error)
	Rollup(ctx context.Context, orgID int64, now time.Time, loc *time.Location, maxDays int) (int, error)
	MakeDigest(ctx context.Context, orgID int64, d analytics.Day, loc *time.Location, fold func(string) string, now time.Time) (analytics.OrgDigest, error)
}

// digestDays is how many days of digests the demo starts with (each day's
// terms ranked against the kept terms of the days before it).
const digestDays = 14

// questionDays is how much of the history the questions page shows.
const questionDays = 30

// rollupDays is how far back the first rollup goes, as the service's.
const rollupDays = 400

// seedQuestions has the question tracker read the simulated history, once
// the staff roles are set (staff answer, they do not ask), as if it had
// read each message as it came: the questions page and the dashboard show
// the last 30 days' questions and how soon they were answered; and makes
// the daily digests of the last two weeks — after the first rollup (the
// one the service would run on starting), as the live service makes each
// after that day's, so that they name the formerly active members who
// left (analytics.ActiveLeavers).
func seedQuestions(ctx context.Context, db Store, org community.Org, now time.Time) error {
	cfg, err := db.Slots(ctx, org.ID, 0)
	if err != nil {
		return err
	}
	loc := cfg.Location()
	if _, err := db.TrackHistory(ctx, org.ID, now.AddDate(0, 0, -questionDays), now, loc); err != nil {
		return fmt.Errorf("track the history's questions: %w", err)
	}
	if _, err := db.Rollup(ctx, org.ID, now, loc, rollupDays); err != nil {
		return fmt.Errorf("roll the history up: %w", err)
	}
	fold := rules.Folder()
	today := analytics.DayOf(now, loc)
	for d := today - digestDays; d < today; d++ {
		if _, err := db.MakeDigest(ctx, org.ID, d, loc, fold, now); err != nil {
			return fmt.Errorf("the digest of %s: %w", d.Start(loc).Format("2006-01-02"), err)
		}
	}
	return nil
}
