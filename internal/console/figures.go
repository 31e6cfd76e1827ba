package console

import (
	"context"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The dashboard's and the groups page's 7-day and 30-day figures come from
// the daily rollups (docs/metrics.md): member messages and communicators —
// staff and bots left out — per group and over the organisation, each
// group's last day with a member message (its active, dormant or dead
// state) and the messages per day. They change only when the rollup runs
// (every five minutes), so they are read once per run and organisation and
// kept until the next reading (see figuresCache); the pages say "as of the
// last rollup" and when it ran. Before an
// organisation's first rollup (a fresh installation) they are counted from
// the messages as before, so that a new installation does not show zeros.

// weekFigures are the figures a page shows of the last 7 (and 30) days.
type weekFigures struct {
	Rollup        bool      // read from the rollups; false: counted from the messages
	AsOf          time.Time // when the rollup ran (zero if unknown)
	Groups        map[int64]analytics.GroupActivity
	Messages      int
	Communicators int
	Daily         []analytics.DayCount         // the last 30 days (rollups only)
	DailyComm     []analytics.DayCount         // communicators per day, summed over the groups (rollups only)
	DailyJoins    []analytics.DayCount         // joins per day (rollups only)
	Joined, Left  int                          // over the 30 days (rollups only)
	Members       map[int64]int                // open memberships per group when read (rollups only)
	health        map[int64]analytics.GroupDay // each group's latest rolled-up day, when Health is set
}

// figuresKey is what a cached reading depends on: a rollup run, and the
// day the week ends with.
type figuresKey struct {
	org   int64
	mark  analytics.RollupMark
	today analytics.Day
}

// figuresCache keeps the last reading of the rollups per organisation.
// When a rollup has run since, the reading is served once more while one
// new reading is made in the background: only an organisation's first
// page (after the console starts) waits for the rollups to be read.
type figuresCache struct {
	mu         sync.Mutex
	byOrg      map[int64]figuresEntry
	refreshing map[int64]bool
	first      sync.Mutex // held while reading for a first page, so that it is read once
}

type figuresEntry struct {
	key figuresKey
	f   *weekFigures
}

// FiguresStore is what the console reads the rollups with; the console
// counts from the messages when its Store does not have it.
type FiguresStore interface {
	LastRollup(ctx context.Context, orgID int64) (analytics.RollupMark, bool, error)
	RollupFigures(ctx context.Context, orgID int64, today analytics.Day, n int, loc *time.Location) (analytics.RollupFigures, error)
	GroupList(ctx context.Context, orgID int64) ([]community.Group, error)
}

// figures returns the organisation's figures of the week ending now: from
// the rollups once they have come up to yesterday at least, else counted
// from the messages (before the first rollup has finished, or while the
// rollups catch up after a pause, their figures would be weeks old).
func (s *Server) figures(ctx context.Context, orgID int64) (*weekFigures, error) {
	now := s.Now()
	fs, ok := s.Store.(FiguresStore)
	if ok {
		mark, rolled, err := fs.LastRollup(ctx, orgID)
		if err != nil {
			return nil, err
		}
		if today := analytics.DayOf(now, s.Location); rolled && mark.Day >= today-1 {
			return s.rollupFigures(ctx, fs, figuresKey{org: orgID, mark: mark, today: today})
		}
	}
	act, err := s.Store.Activity(ctx, orgID, now.Add(-7*24*time.Hour))
	if err != nil {
		return nil, err
	}
	return &weekFigures{Groups: act}, nil
}

func (s *Server) rollupFigures(ctx context.Context, fs FiguresStore, k figuresKey) (*weekFigures, error) {
	c := &s.figs
	c.mu.Lock()
	e, ok := c.byOrg[k.org]
	if ok && e.key != k && !c.refreshing[k.org] {
		if c.refreshing == nil {
			c.refreshing = map[int64]bool{}
		}
		c.refreshing[k.org] = true
		go s.refreshFigures(context.WithoutCancel(ctx), fs, k)
	}
	c.mu.Unlock()
	if ok {
		return e.f, nil
	}
	c.first.Lock()
	defer c.first.Unlock()
	c.mu.Lock()
	e, ok = c.byOrg[k.org]
	c.mu.Unlock()
	if ok {
		return e.f, nil
	}
	f, err := s.readFigures(ctx, fs, k)
	if err != nil {
		return nil, err
	}
	s.keepFigures(k, f)
	return f, nil
}

// refreshFigures reads the rollups again in the background.
func (s *Server) refreshFigures(ctx context.Context, fs FiguresStore, k figuresKey) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	f, err := s.readFigures(ctx, fs, k)
	if err != nil {
		s.Logger.Error("read the rollups for the console", "org", k.org, "err", err)
	} else {
		s.keepFigures(k, f)
	}
	s.figs.mu.Lock()
	delete(s.figs.refreshing, k.org)
	s.figs.mu.Unlock()
}

func (s *Server) keepFigures(k figuresKey, f *weekFigures) {
	c := &s.figs
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byOrg == nil {
		c.byOrg = map[int64]figuresEntry{}
	}
	c.byOrg[k.org] = figuresEntry{key: k, f: f}
}

// readFigures reads an organisation's figures from the rollups.
func (s *Server) readFigures(ctx context.Context, fs FiguresStore, k figuresKey) (*weekFigures, error) {
	rf, err := fs.RollupFigures(ctx, k.org, k.today, 30, s.Location)
	if err != nil {
		return nil, err
	}
	f := &weekFigures{Rollup: true, AsOf: k.mark.At, Groups: make(map[int64]analytics.GroupActivity, len(rf.Groups)),
		Messages: rf.Messages, Communicators: rf.Communicators, Daily: rf.Daily, Members: make(map[int64]int, len(rf.Groups)),
		DailyComm: rf.DailyCommunicators, DailyJoins: rf.DailyJoins, Joined: rf.Joined, Left: rf.Left}
	for id, g := range rf.Groups {
		f.Members[id] = g.Members
		a := analytics.GroupActivity{Messages: g.Messages, Communicators: g.Communicators}
		if g.Posted {
			t := g.LastDay.Start(s.Location)
			a.LastAt = &t
		}
		f.Groups[id] = a
	}
	if s.Health != nil {
		if f.health, err = s.Health.LatestHealth(ctx, k.org, s.Location); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// groupsOf lists the organisation's groups with their members: counted now
// before the first rollup, as of the reading of the rollups after.
func (s *Server) groupsOf(ctx context.Context, orgID int64, figs *weekFigures) ([]community.Group, error) {
	fs, ok := s.Store.(FiguresStore)
	if !figs.Rollup || !ok {
		return s.Store.Groups(ctx, orgID)
	}
	gs, err := fs.GroupList(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for i := range gs {
		gs[i].Members = figs.Members[gs[i].ID]
	}
	return gs, nil
}

// latestHealth returns each group's latest rolled-up day, read with the
// other figures.
func (s *Server) latestHealth(ctx context.Context, orgID int64) (map[int64]analytics.GroupDay, error) {
	figs, err := s.figures(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if !figs.Rollup {
		return s.Health.LatestHealth(ctx, orgID, s.Location)
	}
	return figs.health, nil
}
