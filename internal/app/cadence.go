package app

import (
	"context"
	"log/slog"
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
