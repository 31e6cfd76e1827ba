// Package onebot connects qunzhu to QQ groups (and WeChat bridges) through
// an implementation of the OneBot v11 protocol: NapCat, Lagrange.OneBot,
// LLOneBot, go-cqhttp and their kin.
//
// Two transports are supported, both over WebSocket: reverse (qunzhu is the
// server, the implementation connects to the http.Handler the Adapter is)
// and forward (qunzhu dials the implementation's WebSocket URL and redials
// with exponential backoff when it drops). Events arrive as JSON frames and
// are mapped to chat.Event; actions are API calls correlated with their
// answers by echo.
package onebot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
)

// Modes of a connection.
const (
	ModeReverse = "reverse"
	ModeForward = "forward"
)

// MinTokenLen is the shortest access token a reverse connection accepts.
const MinTokenLen = 16

// TokenRule says what a reverse connection's token must be, for errors.
const TokenRule = "access_token of at least 16 characters required in reverse mode (for example the output of: openssl rand -hex 16); set the same token in NapCat or Lagrange, or anyone who can reach qunzhu could connect as the bot"

// Config configures a OneBot connection.
type Config struct {
	Name string
	Mode string // "reverse" or "forward"
	URL  string // forward: ws(s)://host:port of the implementation
	// AccessToken is the shared secret. In reverse mode it is required
	// (MinTokenLen characters at least): qunzhu is the server, and the
	// token is all that keeps strangers from posting events as the bot.
	// In forward mode it is sent when set.
	AccessToken string
	SelfID      string // optional: the bot's QQ number; other accounts are refused
	// CallTimeout bounds one API call (10s when 0).
	CallTimeout time.Duration
	Logger      *slog.Logger // the connection's logger: the caller names the connection in it
	Now         func() time.Time
	// Capabilities, when not nil, narrows what the connection claims to
	// support (see ParseCapabilities): WeChat bridges speaking OneBot
	// usually cannot mute or kick.
	Capabilities chat.Capabilities
	// Sleep waits between reconnects and sink retries; it returns false
	// when ctx is done first. Tests inject a fast one.
	Sleep func(ctx context.Context, d time.Duration) bool
	// MinBackoff and MaxBackoff bound the reconnect and retry backoff
	// (1s and 1m when 0).
	MinBackoff, MaxBackoff time.Duration
}

// Status reports the connection's health for /readyz.
type Status struct {
	Mode          string
	Connected     bool      // an API-capable connection is up
	SelfID        string    // the bot account, once known
	Since         time.Time // when Connected last changed
	LastError     string    // why the last connection ended or failed
	LastHeartbeat time.Time // last heartbeat meta event
	Interval      time.Duration
	Online        bool // the last heartbeat said the account is online (true until one says otherwise)
}

// Ready reports whether the connection can take actions now: connected,
// and, when the implementation sends heartbeats, one arrived within three
// intervals and it did not report the account offline.
func (s Status) Ready(now time.Time) bool {
	if !s.Connected || !s.Online {
		return false
	}
	if s.Interval > 0 && !s.LastHeartbeat.IsZero() && now.Sub(s.LastHeartbeat) > 3*s.Interval {
		return false
	}
	return true
}

// Adapter is one OneBot connection. It is a chat.Adapter and, in reverse
// mode, the http.Handler the implementation connects to.
type Adapter struct {
	cfg  Config
	log  *slog.Logger
	caps chat.Capabilities

	events chan []chat.Event // frames' events, in arrival order, to Run

	mu      sync.Mutex
	api     *conn                  // the connection API calls go through
	conns   map[*conn]struct{}     // every open connection
	pending map[string]pendingCall // echo → waiting call
	seq     uint64
	prefix  string
	status  Status
}

var _ chat.Adapter = (*Adapter)(nil)
var _ chat.HealthReporter = (*Adapter)(nil)

// New validates cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.Name == "" {
		return nil, errors.New("onebot: name required")
	}
	switch cfg.Mode {
	case ModeReverse:
		if cfg.URL != "" {
			return nil, fmt.Errorf("onebot %s: url is for forward mode; in reverse mode the implementation connects to qunzhu", cfg.Name)
		}
		if len(cfg.AccessToken) < MinTokenLen {
			return nil, fmt.Errorf("onebot %s: %s", cfg.Name, TokenRule)
		}
	case ModeForward:
		u, err := url.Parse(cfg.URL)
		if err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			return nil, fmt.Errorf("onebot %s: url %q: want ws://host:port or wss://host:port", cfg.Name, cfg.URL)
		}
	default:
		return nil, fmt.Errorf("onebot %s: mode %q: want reverse or forward", cfg.Name, cfg.Mode)
	}
	if cfg.SelfID != "" && !isDecimal(cfg.SelfID) {
		return nil, fmt.Errorf("onebot %s: self_id %q: want the bot's QQ number", cfg.Name, cfg.SelfID)
	}
	if cfg.CallTimeout < 0 {
		return nil, fmt.Errorf("onebot %s: call timeout %s is negative", cfg.Name, cfg.CallTimeout)
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 10 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = backoff.Sleep
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Minute
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	caps := NativeCapabilities()
	if cfg.Capabilities != nil {
		for k := range caps {
			if k != chat.CapTimedMute { // a property of OneBot's mutes, not an action to narrow
				caps[k] = caps[k] && cfg.Capabilities[k]
			}
		}
	}
	a := &Adapter{
		cfg:     cfg,
		log:     cfg.Logger.With("platform", "onebot"), // the caller names the connection
		caps:    caps,
		events:  make(chan []chat.Event, 64),
		conns:   map[*conn]struct{}{},
		pending: map[string]pendingCall{},
		prefix:  fmt.Sprintf("qz%06x", rand.Uint32()&0xffffff),
	}
	a.status = Status{Mode: cfg.Mode, SelfID: cfg.SelfID, Since: cfg.Now(), Online: true}
	return a, nil
}

// FromOptions builds a Config from a [[connections]] block's options:
// mode, url, access_token, self_id, call_timeout (a Go duration such as
// "15s") and capabilities (see ParseCapabilities).
func FromOptions(name string, opts map[string]string, logger *slog.Logger) (Config, error) {
	cfg := Config{Name: name, Mode: opts["mode"], URL: opts["url"], AccessToken: opts["access_token"], SelfID: opts["self_id"], Logger: logger}
	if s := opts["call_timeout"]; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("onebot %s: options.call_timeout %q: want a positive duration like 15s", name, s)
		}
		cfg.CallTimeout = d
	}
	if s, ok := opts["capabilities"]; ok {
		caps, err := ParseCapabilities(s)
		if err != nil {
			return Config{}, fmt.Errorf("onebot %s: options.capabilities: %w", name, err)
		}
		cfg.Capabilities = caps
	}
	return cfg, nil
}

// NativeCapabilities are what OneBot v11 can do: everything but unban
// (there is no call to lift a kick's "reject further requests").
func NativeCapabilities() chat.Capabilities {
	c := chat.AllActions()
	c[chat.ActUnban] = false
	c[chat.ActSetRole] = true // set_group_admin (the bot must be the group's owner)
	return c
}

// ParseCapabilities parses a comma-separated list of action kinds
// ("send,delete") into capabilities: the listed actions and no others.
// "all" stands for every action OneBot supports; an empty list means none.
// Unknown names and unban (which OneBot v11 cannot do) are errors.
func ParseCapabilities(s string) (chat.Capabilities, error) {
	caps := chat.Capabilities{}
	for _, k := range chat.ActionKinds {
		caps[k] = false
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.ToLower(strings.TrimSpace(f))
		switch {
		case f == "":
			continue
		case f == "all":
			for k, ok := range NativeCapabilities() {
				caps[k] = caps[k] || ok
			}
		case f == string(chat.ActUnban):
			return nil, errors.New("unban: onebot v11 has no call to lift a ban")
		case chat.ActionKind(f).Valid():
			caps[chat.ActionKind(f)] = true
		default:
			names := make([]string, 0, len(chat.ActionKinds))
			for _, k := range chat.ActionKinds {
				names = append(names, string(k))
			}
			return nil, fmt.Errorf("unknown action %q (want some of %s, or all)", f, strings.Join(names, ","))
		}
	}
	return caps, nil
}

// Name implements chat.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return "onebot" }

// Capabilities implements chat.Adapter.
func (a *Adapter) Capabilities() chat.Capabilities { return maps.Clone(a.caps) }

// Status returns the connection's health.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// Run delivers events to sink in the order they arrived, one Ingest per
// frame, retrying a failing sink with backoff without dropping or
// reordering. In forward mode it also keeps the connection up. It returns
// nil when ctx is cancelled.
func (a *Adapter) Run(ctx context.Context, sink chat.Sink) error {
	defer a.closeAll()
	if a.cfg.Mode == ModeForward {
		done := make(chan struct{})
		defer func() { <-done }()
		go func() {
			defer close(done)
			a.dialLoop(ctx)
		}()
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case evs := <-a.events:
			for attempt := 1; ; attempt++ {
				err := sink.Ingest(ctx, evs)
				if err == nil {
					break
				}
				if ctx.Err() != nil {
					return nil
				}
				wait := a.backoff(attempt)
				a.log.Error("onebot: storing events failed; retrying the same events", "err", err, "attempt", attempt, "in", wait)
				if !a.cfg.Sleep(ctx, wait) {
					return nil
				}
			}
		}
	}
}

// backoff is exponential from MinBackoff, capped at MaxBackoff, with ±20%
// jitter so many connections do not retry in step.
func (a *Adapter) backoff(attempt int) time.Duration {
	d := a.cfg.MinBackoff << min(max(attempt-1, 0), 20)
	if d <= 0 || d > a.cfg.MaxBackoff {
		d = a.cfg.MaxBackoff
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Health implements chat.HealthReporter: nil when the connection can take
// actions, else what is wrong, for /readyz and the console.
func (a *Adapter) Health(now time.Time) error {
	s := a.Status()
	switch {
	case s.Ready(now):
		return nil
	case !s.Connected && s.Mode == ModeReverse:
		if s.LastError != "" {
			return fmt.Errorf("no OneBot implementation connected (last: %s)", s.LastError)
		}
		return errors.New("no OneBot implementation connected yet")
	case !s.Connected:
		if s.LastError != "" {
			return fmt.Errorf("not connected to the OneBot implementation: %s", s.LastError)
		}
		return errors.New("not connected to the OneBot implementation yet")
	case !s.Online:
		return errors.New("the OneBot implementation reports the account offline")
	default:
		return fmt.Errorf("no heartbeat since %s", s.LastHeartbeat.Format(time.RFC3339))
	}
}
