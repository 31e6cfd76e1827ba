package store

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

var _ pipeline.Pender = (*DB)(nil)

// PendAction implements pipeline.Pender: the platform accepted the action
// but has not carried it out (a WeCom 群发 waits for the group owner's
// confirmation). It stays pending, is asked about again at next, the
// attempt is not counted, and what it waits for is what its receipt shows
// meanwhile (pending_for and pending_reason, where a push's receipt reads
// them; last_error is cleared: waiting is no failure).
func (db *DB) PendAction(ctx context.Context, id int64, next time.Time, p chat.PendingError) error {
	_, err := db.exec(ctx, db.q(`UPDATE outbox SET next_at = ?, lease_until = 0, attempts = attempts - 1, last_error = '', pending_for = ?, pending_reason = ?
		WHERE id = ? AND status = 'pending'`), ms(next), p.For, p.State, id)
	if err != nil {
		return fmt.Errorf("pend action %d: %w", id, err)
	}
	return nil
}
