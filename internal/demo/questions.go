package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// QuestionsStore tracks the members' questions of the history.
type QuestionsStore interface {
	TrackHistory(ctx context.Context, orgID int64, since, now time.Time, loc *time.Location) (int, error)
}

// questionDays is how much of the history the questions page shows.
const questionDays = 30

// seedQuestions has the question tracker read the simulated history, once
// the staff roles are set (staff answer, they do not ask), as if it had
// read each message as it came: the questions page and the dashboard show
// the last 30 days' questions and how soon they were answered.
func seedQuestions(ctx context.Context, db Store, org community.Org, now time.Time) error {
	cfg, err := db.Slots(ctx, org.ID, 0)
	if err != nil {
		return err
	}
	if _, err := db.TrackHistory(ctx, org.ID, now.AddDate(0, 0, -questionDays), now, cfg.Location()); err != nil {
		return fmt.Errorf("track the history's questions: %w", err)
	}
	return nil
}
