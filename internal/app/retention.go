package app

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/store"
)

// newImports is the service that runs the console's imports of chat
// exports into this process's ingester; uploads wait in <data>/imports.
func (s *service) newImports() *imports.Service {
	return &imports.Service{Store: s.db, Ingest: s.in, Dir: filepath.Join(s.cfg.Data.Dir, "imports"), Location: s.loc, Connections: s.conns.importable,
		Holder: s.replica, MaxUpload: s.cfg.Import.MaxUpload, Logger: s.log.With("component", "imports"), Forget: s.in.Forget}
}

// retention is the configured policy ([retention]).
func (s *service) retention() store.Retention {
	r := s.cfg.Retention
	return store.Retention{OutboxDone: time.Duration(r.OutboxDone), OutboxDead: time.Duration(r.OutboxDead), Pulled: time.Duration(r.Pulled),
		PulledConnections: s.conns.pulled(), AuditDetail: time.Duration(r.AuditDetail), EventKeys: time.Duration(r.EventKeys)}
}

// retain applies the retention policy and drops stale uploads; the
// scheduler runs it under its lease, so one replica does.
func (s *service) retain(ctx context.Context, log *slog.Logger) {
	now := time.Now()
	r, err := s.db.Retain(ctx, s.retention(), now)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("retention", "err", err)
		}
		return
	}
	if r.Total() > 0 {
		log.Info("retention", "delivered_actions", r.OutboxDone, "dead_actions", r.OutboxDead, "pulled_given_up", r.PulledGivenUp,
			"audit_details", r.AuditDetails, "event_keys", r.EventKeys)
	}
	if keep := time.Duration(s.cfg.Retention.Uploads); keep > 0 {
		if n, err := s.imports.ExpireUploads(ctx, now.Add(-keep)); err != nil && ctx.Err() == nil {
			log.Error("retention: import uploads", "err", err)
		} else if n > 0 {
			log.Info("retention: import uploads removed", "count", n)
		}
	}
}
