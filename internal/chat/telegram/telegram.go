// Package telegram connects qunzhu to Telegram groups and supergroups as a
// bot, over the Bot API: JSON over net/http, with the few types it reads.
//
// Updates arrive either by long polling (getUpdates; the offset is saved
// through chat.Cursors only after the sink stored the events before it, so
// a restart neither loses nor repeats updates) or by webhook (the Adapter
// is the http.Handler Telegram POSTs to; it checks the secret-token header
// and answers 200 only once the events are stored, so Telegram redelivers
// otherwise). Updates are mapped to chat.Event by DecodeUpdate; actions are
// Bot API calls (sendMessage, deleteMessage, restrictChatMember,
// banChatMember, unbanChatMember, pinChatMessage, sendPhoto); buttons are
// inline keyboards, whose presses (callback_query) become button events,
// answered once stored.
package telegram

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
)

// Modes of a connection.
const (
	ModePolling = "polling"
	ModeWebhook = "webhook"
)

// Where member joins and leaves are read from (Config.MemberEvents).
const (
	// MembersFromChatMember reads chat_member updates: they tell invite
	// links and join requests, but need the bot to be an administrator.
	MembersFromChatMember = "chat_member"
	// MembersFromService reads the service messages (new_chat_members,
	// left_chat_member) every member sees.
	MembersFromService = "service"
)

// How edited messages are treated (Config.Edits).
const (
	EditsIgnore  = "ignore"  // edits produce no event
	EditsRecheck = "recheck" // an edit is a message event of its own, so the rules see the new text
)

// DefaultAPIURL is the public Bot API server.
const DefaultAPIURL = "https://api.telegram.org"

// Config configures a Telegram connection.
type Config struct {
	Name  string
	Token string // the bot token from @BotFather, 123456:ABC…
	Mode  string // "polling" (default) or "webhook"
	// APIURL is the Bot API server (DefaultAPIURL when empty); point it at
	// a local telegram-bot-api server, or at a fake one in tests.
	APIURL string
	// WebhookSecret is the secret Telegram sends in the
	// X-Telegram-Bot-Api-Secret-Token header (required in webhook mode;
	// 16–256 characters of A-Z a-z 0-9 _ -: Telegram allows one
	// character, which anyone could guess).
	WebhookSecret string
	// WebhookURL, when set in webhook mode, is registered with setWebhook
	// when Run starts: the public https URL of this connection's handler.
	WebhookURL string
	// MemberEvents picks the one source of joins and leaves:
	// MembersFromChatMember (default) or MembersFromService.
	MemberEvents string
	// Edits says what an edited message does: EditsIgnore (default) or
	// EditsRecheck.
	Edits string
	// Cursors persists the polling offset; required in polling mode.
	Cursors chat.Cursors
	// PollTimeout is getUpdates' long-poll timeout (30s when 0).
	PollTimeout time.Duration
	// HTTPClient makes the Bot API calls (a client without a timeout when
	// nil: every call carries a context deadline).
	HTTPClient *http.Client
	// Logger is the connection's logger; the caller names the connection
	// in it (the adapter adds platform=telegram).
	Logger *slog.Logger
	Now    func() time.Time
	// Sleep waits between retries; it returns false when ctx is done
	// first. Tests inject a fast one.
	Sleep func(ctx context.Context, d time.Duration) bool
	// MinBackoff and MaxBackoff bound the retry backoff (1s and 1m when 0).
	MinBackoff, MaxBackoff time.Duration
}

// Status reports the connection's health for /readyz.
type Status struct {
	Mode          string
	Running       bool      // Run is running
	Connected     bool      // the last call to the Bot API succeeded
	TokenRejected bool      // Telegram refused the token (401): Run returned
	BotID         string    // the bot's user id, once getMe answered
	BotUsername   string    // without @, once getMe answered
	Since         time.Time // when Connected last changed
	LastError     string
	LastPoll      time.Time     // polling: when getUpdates last answered
	PollTimeout   time.Duration // polling: getUpdates' timeout
	LastUpdate    time.Time     // when the last update arrived
	WebhookSet    bool          // webhook: setWebhook succeeded (or no URL is configured)
}

// Ready reports whether the connection receives updates and can take
// actions: Run is running, the token was accepted and the last call
// succeeded; when polling, getUpdates answered within two poll timeouts
// and a minute.
func (s Status) Ready(now time.Time) bool {
	if !s.Running || !s.Connected || s.TokenRejected {
		return false
	}
	if s.Mode == ModeWebhook {
		return s.WebhookSet
	}
	return !s.LastPoll.IsZero() && now.Sub(s.LastPoll) <= 2*s.PollTimeout+time.Minute
}

// Adapter is one Telegram connection. It is a chat.Adapter and, in webhook
// mode, the http.Handler Telegram posts updates to.
type Adapter struct {
	cfg Config
	api *apiClient
	log *slog.Logger

	deliveries chan delivery // webhook: decoded updates waiting for Run's sink

	mu        sync.Mutex
	status    Status
	live      chan struct{}     // closed when Run returns; nil while it is not running
	usernames map[string]string // lower-case username → user id, learned from updates
	names     map[string]string // user id → name, learned from updates
	migrated  map[int64]int64   // basic group → the supergroup it became
	notices   map[string]int    // set_notice action key → message sent, so a retry only pins
}

var (
	_ chat.Adapter        = (*Adapter)(nil)
	_ chat.HealthReporter = (*Adapter)(nil)
	_ http.Handler        = (*Adapter)(nil)
)

// SecretRE is what a webhook secret must look like: Telegram's alphabet,
// and at least 16 characters (Telegram itself accepts one).
// Compiled on first use, as is tokenRE: every command of the one binary
// initialises this package, and the counted repetitions make large programs.
var SecretRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`) })

// SecretRule explains SecretRE to whoever configures a secret.
const SecretRule = "16 to 256 characters of A-Z a-z 0-9 _ - (for example the output of: openssl rand -hex 16)"

// New validates cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.Name == "" {
		return nil, errors.New("telegram: name required")
	}
	if cfg.Mode == "" {
		cfg.Mode = ModePolling
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	}
	cfg.APIURL = strings.TrimRight(cfg.APIURL, "/")
	if cfg.MemberEvents == "" {
		cfg.MemberEvents = MembersFromChatMember
	}
	if cfg.Edits == "" {
		cfg.Edits = EditsIgnore
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("telegram %s: %w", cfg.Name, err)
	}
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 30 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
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
	cfg.MaxBackoff = max(cfg.MaxBackoff, cfg.MinBackoff)
	a := &Adapter{
		cfg:        cfg,
		log:        cfg.Logger.With("platform", "telegram"),
		deliveries: make(chan delivery),
		usernames:  map[string]string{},
		names:      map[string]string{},
		migrated:   map[int64]int64{},
		notices:    map[string]int{},
	}
	a.api = &apiClient{http: cfg.HTTPClient, base: cfg.APIURL + "/bot" + cfg.Token}
	a.status = Status{Mode: cfg.Mode, PollTimeout: cfg.PollTimeout, Since: cfg.Now(), WebhookSet: cfg.WebhookURL == ""}
	return a, nil
}

func (cfg Config) check() error {
	switch {
	case cfg.Token == "":
		return errors.New("bot_token required (from @BotFather)")
	case !tokenRE().MatchString(cfg.Token):
		return errors.New("bot_token does not look like a token from @BotFather (123456789:AAE… with 35 characters after the colon)")
	case cfg.Cursors == nil && cfg.Mode == ModePolling:
		return errors.New("a cursor store is required in polling mode")
	case cfg.PollTimeout < 0:
		return fmt.Errorf("poll timeout %s is negative", cfg.PollTimeout)
	}
	if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("api_url %q: want an http(s) URL such as %s", cfg.APIURL, DefaultAPIURL)
	}
	switch cfg.Mode {
	case ModePolling:
		if cfg.WebhookURL != "" {
			return errors.New("webhook_url is for webhook mode")
		}
	case ModeWebhook:
		if !SecretRE().MatchString(cfg.WebhookSecret) {
			return errors.New("webhook_secret required in webhook mode: " + SecretRule)
		}
		if cfg.WebhookURL != "" {
			if u, err := url.Parse(cfg.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
				return fmt.Errorf("webhook_url %q: Telegram posts only to https URLs", cfg.WebhookURL)
			}
		}
	default:
		return fmt.Errorf("mode %q: want polling or webhook", cfg.Mode)
	}
	switch cfg.MemberEvents {
	case MembersFromChatMember, MembersFromService:
	default:
		return fmt.Errorf("member_events %q: want chat_member or service", cfg.MemberEvents)
	}
	switch cfg.Edits {
	case EditsIgnore, EditsRecheck:
	default:
		return fmt.Errorf("edited_messages %q: want ignore or recheck", cfg.Edits)
	}
	return nil
}

// tokenRE is the shape of a token from @BotFather.
var tokenRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\d+:[\w-]{35}$`) })

// FromOptions builds a Config from a [[connections]] block's options:
// bot_token (required), mode (polling or webhook), api_url,
// webhook_secret, webhook_url, member_events (chat_member or service),
// edited_messages (ignore or recheck) and poll_timeout (a Go duration such
// as "50s"). The caller sets Cursors.
func FromOptions(name string, opts map[string]string, logger *slog.Logger) (Config, error) {
	cfg := Config{Name: name, Token: strings.TrimSpace(opts["bot_token"]), Mode: opts["mode"], APIURL: opts["api_url"],
		WebhookSecret: opts["webhook_secret"], WebhookURL: opts["webhook_url"], MemberEvents: opts["member_events"],
		Edits: opts["edited_messages"], Logger: logger}
	if s := opts["poll_timeout"]; s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > 10*time.Minute {
			return Config{}, fmt.Errorf("telegram %s: options.poll_timeout %q: want a duration from 1s to 10m such as 50s", name, s)
		}
		cfg.PollTimeout = d
	}
	known := map[string]bool{"bot_token": true, "mode": true, "api_url": true, "webhook_secret": true, "webhook_url": true,
		"member_events": true, "edited_messages": true, "poll_timeout": true}
	for k := range opts {
		if !known[k] {
			return Config{}, fmt.Errorf("telegram %s: unknown option %q (known: bot_token, mode, api_url, webhook_secret, webhook_url, member_events, edited_messages, poll_timeout)", name, k)
		}
	}
	return cfg, nil
}

// Name implements chat.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return "telegram" }

// Capabilities implements chat.Adapter: a bot that is an administrator
// with the delete, ban and restrict rights can do everything, and its
// mutes expire by themselves.
func (a *Adapter) Capabilities() chat.Capabilities {
	c := chat.AllActions()
	c[chat.ActInviteLink] = true // createChatInviteLink, named with the member's code
	c[chat.ActSetRole] = true    // promoteChatMember
	c[chat.CapButtons] = true    // inline keyboards, callback queries
	c[chat.CapImage] = true      // sendPhoto from a URL
	return c
}

// Status returns the connection's health.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

// Health implements chat.HealthReporter: nil when the connection is
// ready, else what is wrong.
func (a *Adapter) Health(now time.Time) error {
	s := a.Status()
	switch {
	case s.Ready(now):
		return nil
	case s.TokenRejected:
		return fmt.Errorf("telegram refused the bot token: %s", s.LastError)
	case !s.Running:
		return errors.New("not running")
	case s.LastError != "":
		return fmt.Errorf("cannot reach the bot api: %s", s.LastError)
	case s.Mode == ModePolling && !s.LastPoll.IsZero():
		return fmt.Errorf("no answer to getUpdates since %s", s.LastPoll.Format(time.RFC3339))
	default:
		return errors.New("not connected yet")
	}
}

// setConnected records the outcome of a call to the Bot API.
func (a *Adapter) setConnected(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ok := err == nil
	if ok != a.status.Connected {
		a.status.Since = a.cfg.Now()
	}
	a.status.Connected = ok
	a.status.LastError = ""
	if err != nil {
		a.status.LastError = err.Error()
	}
}

// redact hides the bot token in an error's text (net/http errors quote the
// request URL, which holds it) and keeps the error's chain for errors.As.
func (a *Adapter) redact(err error) error {
	if err == nil || a.cfg.Token == "" || !strings.Contains(err.Error(), a.cfg.Token) {
		return err
	}
	return &redacted{msg: strings.ReplaceAll(err.Error(), a.cfg.Token, "<token>"), err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
