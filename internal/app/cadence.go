package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// planCadences plans the cadences' (SOPs') due occurrences into pushes,
// a day ahead, each once; it runs in the scheduler's lease loop, before
// due pushes are handed over, so an occurrence planned for now goes out
// in the same round. Failures are logged and retried on the next round.
func (s *service) planCadences(ctx context.Context, log *slog.Logger) {
	n, err := s.db.PlanCadences(ctx)
	if err != nil && ctx.Err() == nil {
		log.Error("plan cadences", "err", err)
	}
	if n > 0 {
		log.Info("cadence occurrences planned", "count", n)
	}
}

// pushPolicy is what planning and sending pushes ask of the running
// service: each group's own rules for pushes — the rules engine's quiet
// hours for the group and its [pushes] caps (none and the defaults when
// the rules are off) — and whether a group's connection runs here (a push
// to a group whose connection is not configured is skipped, not left in
// the outbox forever).
func pushPolicy(reg *rules.Registry, connected func(name string) bool) content.Policy {
	p := content.Policy{Connected: connected}
	if reg != nil {
		p.Rules = func(g community.Group) content.PushRules { return pushRules(reg.For(g)) }
	}
	return p
}

// pushRules reads a group's rules for pushes from its rule set.
func pushRules(rs *rules.RuleSet) content.PushRules {
	out := content.PushRules{Caps: content.Caps{PerDay: rs.Pushes.PerDay, MinGap: time.Duration(rs.Pushes.MinGap)}}
	if w, loc, ok := rs.Quiet.Window(); ok {
		out.Quiet = content.ZonedWindow{Window: w, Loc: loc}
	}
	return out
}
