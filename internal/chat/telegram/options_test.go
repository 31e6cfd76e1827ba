package telegram

import (
	"strings"
	"testing"
	"time"
)

func TestFromOptions(t *testing.T) {
	cfg, err := FromOptions("tg", map[string]string{"bot_token": " " + testToken + "\n", "mode": "webhook", "api_url": "http://127.0.0.1:8081",
		"webhook_secret": testSecret, "webhook_url": "https://q.example.com/connect/tg", "member_events": "service", "edited_messages": "recheck", "poll_timeout": "50s"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Name: "tg", Token: testToken, Mode: ModeWebhook, APIURL: "http://127.0.0.1:8081", WebhookSecret: testSecret,
		WebhookURL: "https://q.example.com/connect/tg", MemberEvents: MembersFromService, Edits: EditsRecheck, PollTimeout: 50 * time.Second}
	if cfg.Name != want.Name || cfg.Token != want.Token || cfg.Mode != want.Mode || cfg.APIURL != want.APIURL || cfg.WebhookSecret != want.WebhookSecret ||
		cfg.WebhookURL != want.WebhookURL || cfg.MemberEvents != want.MemberEvents || cfg.Edits != want.Edits || cfg.PollTimeout != want.PollTimeout {
		t.Errorf("got %+v", cfg)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New: %v", err)
	}
	for _, tt := range []struct {
		opts map[string]string
		want string
	}{
		{map[string]string{"bot_token": testToken, "poll_timeout": "soon"}, "options.poll_timeout"},
		{map[string]string{"bot_token": testToken, "poll_timeout": "100ms"}, "options.poll_timeout"},
		{map[string]string{"token": testToken}, `unknown option "token"`},
		{map[string]string{"bot_token": testToken, "webhook_secert": "x"}, `unknown option "webhook_secert"`},
	} {
		if _, err := FromOptions("tg", tt.opts, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error about %s", tt.opts, err, tt.want)
		}
	}
}

func TestNewValidates(t *testing.T) {
	ok := func(c *Config) {}
	tests := []struct {
		name string
		edit func(*Config)
		want string // "" for valid
	}{
		{"polling", ok, ""},
		{"no name", func(c *Config) { c.Name = "" }, "name required"},
		{"no token", func(c *Config) { c.Token = "" }, "bot_token required"},
		{"short token", func(c *Config) { c.Token = "123:ABC" }, "does not look like a token"},
		{"no cursors", func(c *Config) { c.Cursors = nil }, "cursor store"},
		{"bad mode", func(c *Config) { c.Mode = "push" }, "want polling or webhook"},
		{"bad api url", func(c *Config) { c.APIURL = "api.telegram.org" }, "api_url"},
		{"webhook url when polling", func(c *Config) { c.WebhookURL = "https://x.example.com/h" }, "webhook mode"},
		{"webhook without secret", func(c *Config) { c.Mode = ModeWebhook }, "webhook_secret required"},
		{"webhook bad secret", func(c *Config) { c.Mode, c.WebhookSecret = ModeWebhook, "has spaces" }, "webhook_secret required"},
		{"webhook one-character secret", func(c *Config) { c.Mode, c.WebhookSecret = ModeWebhook, "x" }, "16 to 256 characters"},
		{"webhook 15-character secret", func(c *Config) { c.Mode, c.WebhookSecret = ModeWebhook, "abcdefghij01234" }, "16 to 256 characters"},
		{"webhook 16-character secret", func(c *Config) { c.Mode, c.WebhookSecret = ModeWebhook, "abcdefghij012345" }, ""},
		{"webhook 257-character secret", func(c *Config) { c.Mode, c.WebhookSecret = ModeWebhook, strings.Repeat("a", 257) }, "16 to 256 characters"},
		{"webhook http url", func(c *Config) {
			c.Mode, c.WebhookSecret, c.WebhookURL = ModeWebhook, testSecret, "http://x.example.com/h"
		}, "https"},
		{"webhook without cursors", func(c *Config) { c.Mode, c.WebhookSecret, c.Cursors = ModeWebhook, testSecret, nil }, ""},
		{"member events", func(c *Config) { c.MemberEvents = "both" }, "member_events"},
		{"edits", func(c *Config) { c.Edits = "sometimes" }, "edited_messages"},
		{"negative timeout", func(c *Config) { c.PollTimeout = -time.Second }, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Name: "tg", Token: testToken, Cursors: &memCursors{}}
			tt.edit(&cfg)
			a, err := New(cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("New: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("New: %v, want an error about %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), testToken):
				t.Errorf("the error shows the token: %v", err)
			case err == nil && (a.Name() != "tg" || a.Platform() != "telegram" || a.cfg.APIURL != DefaultAPIURL):
				t.Errorf("adapter %+v", a.cfg)
			}
		})
	}
}
