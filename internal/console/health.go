package console

import (
	"context"
	"html/template"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/analytics"
)

// HealthSource is the analytics' daily rollups: group health and states,
// and the alerts they raise (docs/metrics.md).
type HealthSource interface {
	LatestHealth(ctx context.Context, orgID int64, loc *time.Location) (map[int64]analytics.GroupDay, error)
	GroupDays(ctx context.Context, groupID int64, from, to analytics.Day, loc *time.Location) ([]analytics.GroupDay, error)
	Alerts(ctx context.Context, orgID int64, openOnly bool, limit int) ([]analytics.Alert, error)
	ResolveAlert(ctx context.Context, orgID, id int64, actor string) error
	SnoozeAlert(ctx context.Context, orgID, id int64, until time.Time, actor string) error
}

// healthStates are the rollup's group states, best first.
var healthStates = []analytics.GroupState{analytics.GroupHealthy, analytics.GroupDying, analytics.GroupDormant, analytics.GroupDead}

type stateCount struct {
	State analytics.GroupState
	N     int
	Pct   int // of the groups with a state
}

type alertRow struct {
	analytics.Alert
	Date string
}

// dashboardHealth is the health card of the dashboard: how many of the
// visible groups are in each state, and their open alerts.
type dashboardHealth struct {
	States  []stateCount
	Average float64
	Alerts  []alertRow
}

func (s *Server) dashboardHealth(ctx context.Context, u *access.User, sc scope) (*dashboardHealth, error) {
	if s.Health == nil {
		return nil, nil
	}
	latest, err := s.latestHealth(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	d := &dashboardHealth{}
	counts := map[analytics.GroupState]int{}
	total, sum := 0, 0.0
	for id, g := range latest {
		if !sc.has(id) || g.State == "" {
			continue
		}
		counts[g.State]++
		total++
		sum += g.Health.Score
	}
	for _, st := range healthStates {
		c := stateCount{State: st, N: counts[st]}
		if total > 0 {
			c.Pct = c.N * 100 / total
		}
		d.States = append(d.States, c)
	}
	if total > 0 {
		d.Average = float64(int(sum/float64(total)*10)) / 10
	}
	alerts, err := s.Health.Alerts(ctx, u.OrgID, true, 200)
	if err != nil {
		return nil, err
	}
	for _, a := range alerts {
		if sc.has(a.GroupID) && !a.Snoozed(s.Now()) && len(d.Alerts) < 20 {
			d.Alerts = append(d.Alerts, alertRow{Alert: a, Date: a.Day.Start(s.Location).Format("2006-01-02")})
		}
	}
	return d, nil
}

// groupHealth is the health card of a group page: the latest score with
// its parts, and the score over the last 30 days.
type groupHealth struct {
	Latest analytics.GroupDay
	Chart  template.HTML
	// StatsDays and OwnerStatsDays count the days whose message figures
	// come from the platform's statistics, and those it counted with the
	// owner's other groups (analytics.Source*).
	StatsDays, OwnerStatsDays int
}

func (s *Server) groupHealth(ctx context.Context, l Lang, groupID int64) (*groupHealth, error) {
	if s.Health == nil {
		return nil, nil
	}
	today := analytics.DayOf(s.Now(), s.Location)
	days, err := s.Health.GroupDays(ctx, groupID, today-29, today, s.Location)
	if err != nil || len(days) == 0 {
		return nil, err
	}
	h := &groupHealth{Latest: days[len(days)-1]}
	bars := make([]analytics.DayCount, len(days))
	for i, d := range days {
		bars[i] = analytics.DayCount{Day: d.Date, Count: int(d.Health.Score + 0.5)}
		switch d.Source {
		case analytics.SourceStats:
			h.StatsDays++
		case analytics.SourceOwnerStats:
			h.OwnerStatsDays++
		}
	}
	h.Chart = BarChart(bars, T(l, "health_trend"))
	return h, nil
}

// ConnectionStatus is one platform connection as the dashboard shows it.
type ConnectionStatus struct {
	Name     string
	Platform string
	Problem  string // empty when the connection works
	// Limits says what the platform does not allow on this connection
	// (chat.LimitReporter), one sentence each.
	Limits []string
	// The rest is the connections page's (connections.go): where it is
	// defined, its state, who holds it, its settings.
	ConnectionDetail
}
