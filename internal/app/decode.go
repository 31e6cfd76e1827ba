package app

import (
	"io"
	"log/slog"

	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/webhook"
	"github.com/qunzhu/qunzhu/internal/config"
)

// decoder returns the API's event decoder with the configured limits.
func decoder(cfg *config.Config, log *slog.Logger) api.Decoder {
	return func(r io.Reader, connection, platform string) ([]chat.Event, error) {
		return webhook.DecodeEvents(r, webhook.DecodeOptions{MaxBytes: int64(cfg.API.MaxBodyBytes), MaxEvents: cfg.API.MaxEventsPerRequest, Connection: connection, Platform: platform, Logger: log})
	}
}
