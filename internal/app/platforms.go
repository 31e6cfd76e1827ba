package app

import (
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/matrix"
	"github.com/qunzhu/qunzhu/internal/chat/onebot"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/chat/telegram"
	"github.com/qunzhu/qunzhu/internal/chat/webhook"
	"github.com/qunzhu/qunzhu/internal/config"
)

// Webhook builds the adapter of a generic HTTP bridge connection.
func Webhook(c config.Connection, d Deps) (chat.Adapter, error) {
	return webhook.New(webhook.Config{Name: c.Name, PushURL: c.PushURL, Secret: c.Secret, Logger: d.Logger})
}

// Sim builds a simulated platform with the demo community. Its speed is
// options.rate (events per second, default 2).
func Sim(c config.Connection, d Deps) (chat.Adapter, error) {
	return sim.New(c.Name, sim.DemoScenario(), sim.Options{Logger: d.Logger, Rate: optFloat(c.Options, "rate", 2), Now: time.Now, Location: d.Location}), nil
}

// Matrix builds a Matrix connection (options homeserver, user_id,
// access_token).
func Matrix(c config.Connection, d Deps) (chat.Adapter, error) {
	return matrix.New(matrix.Config{Name: c.Name, Homeserver: c.Options["homeserver"], UserID: c.Options["user_id"], AccessToken: c.Options["access_token"], Cursors: d.Cursors, Logger: d.Logger})
}

// OneBot builds a OneBot v11 connection (options mode, url, access_token,
// self_id, call_timeout, capabilities). In reverse mode the implementation
// connects to /connect/{name} on qunzhu's HTTP address.
func OneBot(c config.Connection, d Deps) (chat.Adapter, error) {
	cfg, err := onebot.FromOptions(c.Name, c.Options, d.Logger)
	if err != nil {
		return nil, err
	}
	return onebot.New(cfg)
}

// Telegram builds a Telegram bot connection (options bot_token, mode
// polling or webhook, webhook_secret, webhook_url, api_url, poll_timeout,
// member_events, edited_messages). In webhook mode Telegram posts updates
// to /connect/{name} on qunzhu's HTTP address.
func Telegram(c config.Connection, d Deps) (chat.Adapter, error) {
	cfg, err := telegram.FromOptions(c.Name, c.Options, d.Logger)
	if err != nil {
		return nil, err
	}
	cfg.Cursors = d.Cursors
	return telegram.New(cfg)
}
