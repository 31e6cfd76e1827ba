package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// checkpointEvery is how often the checkpointer looks for written pages
// to copy from SQLite's write-ahead log into the database file.
const checkpointEvery = 200 * time.Millisecond

// checkpoints moves SQLite's checkpoints off the writing connection.
//
// SQLite's automatic checkpoint runs in the connection that commits, once
// the log holds wal_autocheckpoint pages: it copied every page of the log
// into the database file inside the ingest's write turn, a ninth of the
// single writer's time under a sustained ingest. Connections open with the
// automatic checkpoint off; after writes, this goroutine copies the log
// with a PASSIVE checkpoint on a connection of its own, alongside the
// writer, every checkpointEvery; when the log has grown long it copies
// what is left in a write turn and restarts it (checkpoint). Closing the
// last connection checkpoints what is left, as SQLite always does.
type checkpoints struct {
	dirty    atomic.Bool // written since the last checkpoint
	start    sync.Once
	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
	runs     atomic.Int64 // checkpoints that found pages in the log (tests)
	rounds   atomic.Int64 // rounds of the loop finished, with or without a checkpoint (tests)
	// restartAt is the log's length (pages) at which a checkpoint restarts
	// it; restartFrames unless a test sets it.
	restartAt int
}

// wrote tells the checkpointer that the log has new pages, and starts it
// on the first write.
func (db *DB) wrote() {
	c := db.ckpt
	if c == nil {
		return
	}
	c.dirty.Store(true)
	c.start.Do(func() {
		c.stop, c.done = make(chan struct{}), make(chan struct{})
		go db.checkpointLoop()
	})
}

func (db *DB) checkpointLoop() {
	c := db.ckpt
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if c.dirty.Swap(false) {
			if err := db.checkpoint(context.Background()); err != nil {
				db.log.Warn("checkpoint", "err", err)
			}
		}
		c.rounds.Add(1)
	}
}

// restartFrames is the size of the log (pages) at which the checkpointer
// makes the next write start it again from the beginning: 128 MB of log
// with SQLite's 4 KB pages.
//
// Under a continuous ingest the log never restarts by itself: SQLite's
// writer starts the log again only in a transaction that began after
// every page of it was copied, and the ingest's next transaction begins
// as soon as the last one commits, while that one's pages are still being
// copied. So the restart takes a write turn (checkpoint), and a turn's
// cost hardly depends on the log's length: it copies and syncs to disk
// the pages of the transaction that committed while the turn was awaited
// (50–80 ms for a 2,000-message batch of the spread mix in
// bench/httpingest, two thirds of it the two syncs). At 4,000 pages that
// turn came several times a second and the ingest waited for it an
// eighth of its time; at 32,768, about once in two seconds of a
// sustained ingest (the batched rate went up by a tenth). When writes
// pause for longer than a checkpoint takes, the next one restarts the log
// without a turn: a log this long is reached only under a sustained load.
const restartFrames = 32768

// checkpoint copies the log into the database beside the writer; once the
// log is restartFrames long, it copies the rest in a write turn, where
// nothing is appended meanwhile, so that the next write starts it again
// from the beginning (RESTART) — unless a reader is still in it, which
// keeps it for the next round: the turn is not held waiting for readers.
func (db *DB) checkpoint(ctx context.Context) error {
	var busy, logged, copied int
	if err := db.sql.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied); err != nil {
		return fmt.Errorf("beside the writer: %w", err)
	}
	if logged <= 0 {
		return nil
	}
	db.ckpt.runs.Add(1)
	if logged < db.ckpt.restartAt {
		return nil
	}
	err := db.writeOn(ctx, false, func(c *sql.Conn) (bool, error) {
		// The RESTART does not wait for readers: the turn is not held for them.
		if _, err := c.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
			return true, err
		}
		err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &logged, &copied)
		if _, e := c.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", db.busy.Milliseconds())); e != nil {
			return true, e // a connection left with the short wait is not kept
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("in the write turn: %w", err)
	}
	return nil
}

// stopCheckpoints ends the checkpointer (Close, which may be called more
// than once).
func (db *DB) stopCheckpoints() {
	c := db.ckpt
	if c == nil {
		return
	}
	c.start.Do(func() {}) // none starts after this
	c.stopOnce.Do(func() {
		if c.stop != nil {
			close(c.stop)
			<-c.done
		}
	})
}
