package store

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/pipeline"
)

var _ pipeline.Pender = (*DB)(nil)

// PendAction implements pipeline.Pender: the platform accepted the action
// but has not carried it out (a WeCom 群发 waits for the group owner's
// confirmation). It stays pending, is asked about again at next, the
// attempt is not counted, and state is what its receipt shows meanwhile
// (in last_error, where a push's receipt reads it).
func (db *DB) PendAction(ctx context.Context, id int64, next time.Time, state string) error {
	_, err := db.sql.ExecContext(ctx, db.q("UPDATE outbox SET next_at = ?, lease_until = 0, attempts = attempts - 1, last_error = ? WHERE id = ? AND status = 'pending'"), ms(next), state, id)
	if err != nil {
		return fmt.Errorf("pend action %d: %w", id, err)
	}
	return nil
}
