package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Config configures a webhook connection.
type Config struct {
	Name    string
	PushURL string // empty: pull mode
	Secret  string // signs pushed actions; required with PushURL
	Timeout time.Duration
	Client  *http.Client
	Logger  *slog.Logger
	Now     func() time.Time
}

// Adapter is a webhook connection. Its events arrive through the HTTP API
// (internal/api), not through Run.
type Adapter struct {
	cfg Config
}

var (
	_ chat.Adapter = (*Adapter)(nil)
	_ chat.Puller  = (*Adapter)(nil)
)

// New validates cfg and returns the adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.Name == "" {
		return nil, errors.New("webhook: name required")
	}
	if cfg.PushURL != "" {
		u, err := url.Parse(cfg.PushURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("webhook %s: push URL %q is not an absolute http(s) URL", cfg.Name, cfg.PushURL)
		}
		if cfg.Secret == "" {
			return nil, fmt.Errorf("webhook %s: a secret is required to sign pushed actions", cfg.Name)
		}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Adapter{cfg: cfg}, nil
}

// Name implements chat.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return "webhook" }

// Capabilities implements chat.Adapter: a bridge is asked to do everything
// and answers what it cannot.
func (a *Adapter) Capabilities() chat.Capabilities { return chat.AllActions() }

// Pulled implements chat.Puller.
func (a *Adapter) Pulled() bool { return a.cfg.PushURL == "" }

// Run implements chat.Adapter: events come through the HTTP API, so it
// only waits.
func (a *Adapter) Run(ctx context.Context, _ chat.Sink) error {
	<-ctx.Done()
	return nil
}

// EncodeAction is the JSON of a pushed action.
func EncodeAction(act chat.Action) ([]byte, error) {
	b, err := json.Marshal(act)
	if err != nil {
		return nil, fmt.Errorf("encode action: %w", err)
	}
	return b, nil
}

// Do pushes one action to the bridge.
func (a *Adapter) Do(ctx context.Context, act chat.Action) error {
	if a.Pulled() {
		return fmt.Errorf("webhook %s pulls its actions; the dispatcher must not push them: %w", a.cfg.Name, chat.ErrPermanent)
	}
	body, err := EncodeAction(act)
	if err != nil {
		return fmt.Errorf("%v: %w", err, chat.ErrPermanent)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.PushURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %v: %w", err, chat.ErrPermanent)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", act.Key)
	req.Header.Set(SignatureHeader, Sign([]byte(a.cfg.Secret), a.cfg.Now(), body))
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return fmt.Errorf("push to %s: %w", a.cfg.PushURL, err)
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests:
		return &chat.RetryAfterError{After: retryAfter(resp.Header.Get("Retry-After"), a.cfg.Now()), Err: fmt.Errorf("bridge answered 429")}
	case resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode >= 500:
		return fmt.Errorf("bridge answered %d: %s", resp.StatusCode, bytes.TrimSpace(snippet))
	}
	return fmt.Errorf("bridge refused the action with %d: %s: %w", resp.StatusCode, bytes.TrimSpace(snippet), chat.ErrPermanent)
}

// retryAfter reads a Retry-After header (seconds or an HTTP date); 1s when
// absent or unreadable.
func retryAfter(h string, now time.Time) time.Duration {
	if s, err := strconv.Atoi(h); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
		return 0
	}
	return time.Second
}
