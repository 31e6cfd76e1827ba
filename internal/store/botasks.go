package store

import (
	"context"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// The member bot's answers, counted (migration 0027): how often each FAQ
// entry was asked in a group a day.

const countAsksSQL = `INSERT INTO bot_asks (group_id, entry, day, asks) VALUES (?, ?, ?, ?)
	ON CONFLICT (group_id, day, entry) DO UPDATE SET asks = bot_asks.asks + excluded.asks`

// CountAsks adds to the counts of FAQ entries asked, in the ingest batch.
func (t *ingestTx) CountAsks(ctx context.Context, asks []pipeline.Ask) error {
	for _, a := range asks {
		if _, err := t.tx.ExecContext(ctx, t.db.q(countAsksSQL), a.GroupID, a.Entry, a.Day, a.N); err != nil {
			return fmt.Errorf("count asks: %w", err)
		}
	}
	return nil
}

// TopAsks ranks the FAQ entries asked in a group since a day (YYYY-MM-DD,
// inclusive), the most asked first, at most limit.
func (db *DB) TopAsks(ctx context.Context, groupID int64, since string, limit int) ([]memberbot.AskCount, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT entry, SUM(asks) AS n FROM bot_asks WHERE group_id = ? AND day >= ?
		GROUP BY entry ORDER BY n DESC, entry LIMIT ?`), groupID, since, limit)
	if err != nil {
		return nil, fmt.Errorf("top asks: %w", err)
	}
	defer rows.Close()
	var out []memberbot.AskCount
	for rows.Next() {
		var a memberbot.AskCount
		if err := rows.Scan(&a.Entry, &a.Asks); err != nil {
			return nil, fmt.Errorf("top asks: %w", err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("top asks: %w", err)
	}
	return out, nil
}
