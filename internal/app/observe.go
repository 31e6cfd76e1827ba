package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/metrics"
)

// metrics registers the service's metrics and returns the /metrics handler.
func (s *service) metrics(ctx context.Context) http.Handler {
	r := metrics.NewRegistry()
	processMetrics(r)
	st := s.in.Stats()
	r.CounterFunc("qunzhu_events_ingested_total", "Events stored (new, not duplicates).", func() float64 { return float64(st.Events.Load()) })
	r.CounterFunc("qunzhu_events_duplicate_total", "Redelivered events ignored by the idempotency key.", func() float64 { return float64(st.Duplicates.Load()) })
	r.CounterFunc("qunzhu_messages_stored_total", "Messages stored.", func() float64 { return float64(st.Messages.Load()) })
	r.CounterFunc("qunzhu_actions_queued_total", "Platform actions written to the outbox by the pipeline.", func() float64 { return float64(st.Actions.Load()) })
	r.CounterFunc("qunzhu_ingest_batches_total", "Ingest transactions committed.", func() float64 { return float64(st.Batches.Load()) })
	r.CounterFunc("qunzhu_ingest_failures_total", "Ingest transactions that failed.", func() float64 { return float64(st.Failures.Load()) })
	ds := s.disp.Stats()
	r.CounterFunc("qunzhu_actions_delivered_total", "Actions delivered to platforms.", func() float64 { return float64(ds.Delivered.Load()) })
	r.CounterFunc("qunzhu_actions_retried_total", "Delivery attempts that failed and will be retried.", func() float64 { return float64(ds.Retried.Load()) })
	r.CounterFunc("qunzhu_actions_deferred_total", "Actions postponed by a rate limit.", func() float64 { return float64(ds.Deferred.Load()) })
	r.CounterFunc("qunzhu_actions_dead_total", "Actions given up on.", func() float64 { return float64(ds.Dead.Load()) })
	r.LabeledFunc("qunzhu_outbox_actions", "Actions in the outbox by status.", "status", func() map[string]float64 {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		counts, err := s.db.OutboxCounts(c)
		out := map[string]float64{}
		if err != nil {
			return out
		}
		for k, v := range counts {
			out[k] = float64(v)
		}
		return out
	})
	r.LabeledFunc("qunzhu_connection_up", "1 when a connection this replica holds runs without error, 0 when it fails.", "connection", func() map[string]float64 {
		out := map[string]float64{}
		for _, name := range s.conns.keeper.Holds() {
			out[name] = 1
		}
		for _, bad := range s.conns.failing(time.Now()) {
			name, _, _ := strings.Cut(bad, ": ")
			out[name] = 0
		}
		return out
	})
	h := r.Histogram("qunzhu_decision_seconds", "Time the rules hook took per event.", []float64{0.00001, 0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.1})
	s.observeDecision = func(d time.Duration) { h.Observe(d.Seconds()) }
	return r.Handler()
}

func optFloat(opts map[string]string, key string, def float64) float64 {
	if v, err := strconv.ParseFloat(opts[key], 64); err == nil && v > 0 {
		return v
	}
	return def
}
