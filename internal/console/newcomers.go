package console

import (
	"context"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// NewcomerSource gives a group's newcomers for retention and how they came.
type NewcomerSource interface {
	Newcomers(ctx context.Context, groupID int64, since time.Time, loc *time.Location) ([]analytics.Stint, error)
	JoinsBySource(ctx context.Context, groupID int64, since time.Time) (map[string]int, error)
}

// newcomerWindow is how far back the group page looks at newcomers.
const newcomerWindow = 90 * 24 * time.Hour

type retentionRow struct {
	Horizon                   string // d1, d7, d30
	Cohort                    int
	Strict, Rolling, Survival int // percent
}

type sourceCount struct {
	Source string // pulled_in, event, referral, promotion, or "" (unknown)
	N      int
}

// groupNewcomers is the group page's newcomers card: retention D1/D7/D30
// three ways and joins by source over the last 90 days.
type groupNewcomers struct {
	Newcomers int
	Retention []retentionRow
	Sources   []sourceCount
}

func (s *Server) groupNewcomers(ctx context.Context, groupID int64) (*groupNewcomers, error) {
	if s.Newcomers == nil {
		return nil, nil
	}
	now := s.Now()
	since := now.Add(-newcomerWindow)
	stints, err := s.Newcomers.Newcomers(ctx, groupID, since, s.Location)
	if err != nil {
		return nil, err
	}
	joins, err := s.Newcomers.JoinsBySource(ctx, groupID, since)
	if err != nil {
		return nil, err
	}
	r := analytics.Retain(stints, now, s.Location)
	pct := func(x float64) int { return int(x*100 + 0.5) }
	n := &groupNewcomers{Newcomers: len(stints)}
	for i, h := range []string{"d1", "d7", "d30"} {
		n.Retention = append(n.Retention, retentionRow{h, r.Cohort[i], pct(r.Strict[i]), pct(r.Rolling[i]), pct(r.Survival[i])})
	}
	for src, c := range joins {
		n.Sources = append(n.Sources, sourceCount{src, c})
	}
	sort.Slice(n.Sources, func(i, j int) bool {
		if n.Sources[i].N != n.Sources[j].N {
			return n.Sources[i].N > n.Sources[j].N
		}
		return n.Sources[i].Source < n.Sources[j].Source
	})
	return n, nil
}
