package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/community"
)

// Platform upkeep: what a held connection's adapter keeps in step besides
// its events and actions — the join ways behind qunzhu's join links
// (community.JoinWays: WeCom's 群活码) and, where the platform gives no
// message content, its daily statistics imported into the rollups.

// upkept is an adapter that wants upkeep, and how often.
type upkept interface {
	UpkeepEvery() time.Duration
}

// joinWayKeeper is an adapter that keeps join ways, and the most members a
// group may have for its join way to send newcomers there.
type joinWayKeeper interface {
	community.JoinWays
	JoinWayLimit() int
}

// statser is an adapter with daily group statistics: each owner's figures
// for the day starting at day (a midnight of the server's time zone).
type statser interface {
	DailyStats(ctx context.Context, day time.Time) ([]analytics.OwnerStats, error)
}

// statsDays is how many days back missing statistics are fetched;
// statsRetry how long a day the platform had nothing for, or could not
// answer, waits before it is asked again.
const (
	statsDays  = 7
	statsRetry = time.Hour
)

// joinWayRecheck is how long a join way found as wanted is left alone
// while qunzhu wants the same of it: a change in WeCom's admin is undone
// within it.
const joinWayRecheck = 30 * time.Minute

// joinWayMemo is what the upkeep remembers of its join ways: what was last
// logged of each, and what each was last found to be, when.
type joinWayMemo struct {
	failed map[string]string
	inStep map[string]joinWaySeen
}

type joinWaySeen struct {
	want community.JoinWay
	at   time.Time
}

// upkeep runs a connection's upkeep until ctx is done.
func (cs *connSet) upkeep(ctx context.Context, a chat.Adapter, u upkept) {
	log := cs.log.With("connection", a.Name(), "component", "upkeep")
	memo := joinWayMemo{failed: map[string]string{}, inStep: map[string]joinWaySeen{}}
	asked := map[analytics.Day]time.Time{} // statistics asked for in vain, when
	t := time.NewTicker(u.UpkeepEvery())
	defer t.Stop()
	for {
		if jw, ok := a.(joinWayKeeper); ok {
			if err := cs.keepJoinWays(ctx, a.Name(), jw, memo); err != nil && ctx.Err() == nil {
				log.Error("join ways not brought in step; trying again", "err", err, "in", u.UpkeepEvery())
			}
		}
		if st, ok := a.(statser); ok {
			if err := cs.importStats(ctx, a.Name(), st, asked); err != nil && ctx.Err() == nil {
				log.Error("daily statistics not imported; trying again", "err", err, "in", statsRetry)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// keepJoinWays brings a connection's join ways in step with qunzhu's join
// links (store.JoinWayWants) and records each (its QR code, or why it
// could not be made: the operator sees it in the log once per change), and
// deletes those no longer wanted. A join way wanted as it was when last
// found in step is left alone for joinWayRecheck.
func (cs *connSet) keepJoinWays(ctx context.Context, conn string, jw joinWayKeeper, memo joinWayMemo) error {
	failed := memo.failed
	log := cs.log.With("connection", conn, "component", "join-ways")
	wants, err := cs.db.JoinWayWants(ctx, conn, jw.JoinWayLimit())
	if err != nil {
		return err
	}
	wanted := map[string]bool{}
	now := time.Now()
	for _, w := range wants {
		wanted[w.Key] = true
		if seen, ok := memo.inStep[w.Key]; ok && now.Sub(seen.at) < joinWayRecheck && sameWant(seen.want, w) {
			continue
		}
		delete(memo.inStep, w.Key)
		st, err := jw.EnsureJoinWay(ctx, w)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && failed[w.Key] != err.Error() {
			log.Error("join way not made; the join link sends newcomers on as before", "code", w.Key, "err", err)
		}
		if err == nil && failed[w.Key] != "" {
			log.Info("join way made after all", "code", w.Key)
		}
		if err != nil {
			failed[w.Key] = err.Error()
		} else {
			delete(failed, w.Key)
		}
		if st.Changed {
			log.Info("join way in step", "code", w.Key, "groups", st.Groups, "room_base_name", w.RoomBaseName, "room_base_id", w.RoomBaseID)
		}
		if err := cs.db.RecordJoinWay(ctx, conn, w, st, err); err != nil {
			return err
		}
		if err == nil {
			memo.inStep[w.Key] = joinWaySeen{want: w, at: now}
		}
	}
	have, err := cs.db.JoinWayCodes(ctx, conn)
	if err != nil {
		return err
	}
	for _, code := range have {
		if wanted[code] {
			continue
		}
		if err := jw.DeleteJoinWay(ctx, code); err != nil {
			return err
		}
		if err := cs.db.ForgetJoinWay(ctx, code); err != nil {
			return err
		}
		delete(memo.inStep, code)
		log.Info("join way deleted: its invite code is archived or its groups are gone", "code", code)
	}
	return nil
}

func sameWant(a, b community.JoinWay) bool {
	return a.Key == b.Key && a.Remark == b.Remark && slices.Equal(a.Groups, b.Groups) && a.RoomBaseName == b.RoomBaseName && a.RoomBaseID == b.RoomBaseID && a.State == b.State
}

// importStats imports the platform's daily statistics of the last
// statsDays days that have none yet (the platform has yesterday's at the
// earliest) and, when any came, has the rollup run again.
func (cs *connSet) importStats(ctx context.Context, conn string, st statser, asked map[analytics.Day]time.Time) error {
	loc := cs.deps.Location
	if loc == nil {
		loc = time.Local
	}
	now := time.Now()
	today := analytics.DayOf(now, loc)
	have, err := cs.db.OwnerStatsDays(ctx, conn, today-statsDays, today-1)
	if err != nil {
		return err
	}
	imported := 0
	for d := today - statsDays; d < today; d++ {
		if have[d] || now.Sub(asked[d]) < statsRetry {
			continue
		}
		stats, err := st.DailyStats(ctx, d.Start(loc))
		if errors.Is(err, wecom.ErrNotSynced) {
			return nil // on a later round
		}
		if err != nil {
			asked[d] = now
			return err
		}
		n, err := cs.db.ImportOwnerStats(ctx, conn, stats)
		if err != nil {
			return err
		}
		if n == 0 {
			asked[d] = now
			continue
		}
		delete(asked, d)
		imported += n
	}
	if imported > 0 {
		cs.log.Info("daily group statistics imported", "connection", conn, "owners", imported)
		if cs.statsImported != nil {
			cs.statsImported()
		}
	}
	return nil
}
