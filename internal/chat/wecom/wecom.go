// Package wecom connects qunzhu to WeChat customer groups (客户群) through
// WeCom's external-contact API, as a self-built app (自建应用) of the
// operator's corp.
//
// What WeCom gives an app, and how it maps:
//
//   - Callbacks: WeCom POSTs signed, AES-encrypted events to the
//     connection's URL (/connect/{name}). The customer-group events
//     (change_external_chat: create; update with add_member, del_member,
//     change_owner, change_name; dismiss) become qunzhu's events. The
//     group is read again with groupchat/get and compared with the last
//     snapshot, so joins carry WeCom's join scene (invited by a member, or
//     the QR code of a join way whose state is an invite code), inviter
//     and join time; leaves carry the quit scene.
//   - Sync: every customer group (groupchat/list, groupchat/get) on start
//     and periodically, so nothing is missed while qunzhu was down.
//     Snapshots are kept through chat.Cursors and saved only after the
//     events derived from them are stored; event ids are derived from
//     WeCom's data (chat id, member, join time), so a change seen twice is
//     stored once.
//   - Pushes: a customer group receives messages only as a 群发 its owner
//     confirms (add_msg_template with chat_type group). A scheduled push
//     becomes such a task; its receipt stays pending, saying so, until the
//     owner confirmed and WeCom reports it sent (get_groupmsg_task,
//     get_groupmsg_send_result).
//   - Staff: application messages (message/send) to members, and a group
//     robot's webhook for an internal staff group.
//   - Join ways (群活码): community.JoinWays over add/get/update/del_join_way.
//   - Daily statistics per owner (groupchat/statistic).
//   - Message content only through 会话内容存档 (see Archive).
//
// What WeCom does not allow an app — deleting a message, muting or
// removing a customer, posting instantly into a customer group — is not
// declared in Capabilities, and such actions are refused with the reason.
package wecom

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Platform is the platform name of WeCom connections.
const Platform = "wecom"

// RobotGroup is the external id of the staff group a group robot posts to:
// the connection reports it as a group so it can be chosen as the
// organisation's staff group (duty reminders go there).
const RobotGroup = "robot"

// AppPrefix starts the group id of an action for application messages:
// "app:zhangsan|lisi" sends to those members (chat.StaffPrefix: duty
// reminders and alerts to staff are addressed so).
const AppPrefix = chat.StaffPrefix

// Config configures a WeCom connection.
type Config struct {
	Name           string
	CorpID         string
	AgentID        int64
	Secret         string // the self-built app's Secret
	CallbackToken  string // 接收消息 Token
	EncodingAESKey string // 接收消息 EncodingAESKey (43 characters)
	// APIURL is the WeCom API server (DefaultAPIURL when empty).
	APIURL string
	// RobotWebhook is a group robot's webhook URL (or its key) for the
	// staff group; empty: no robot.
	RobotWebhook string
	// RobotName names the robot's group in qunzhu ("员工群（群机器人）").
	RobotName string
	// SyncEvery is how often every group is read again (6h when 0).
	SyncEvery time.Duration
	// ConfirmCheck is how often a pending 群发 is asked about (1m when 0);
	// ConfirmWithin is how long its owner has to confirm it before qunzhu
	// cancels it and the push fails (24h when 0).
	ConfirmCheck  time.Duration
	ConfirmWithin time.Duration
	// UpkeepEvery is how often qunzhu's join ways are brought in step and
	// missing daily statistics fetched (UpkeepEvery; 1m when 0).
	UpkeepEvery time.Duration
	// Cursors keeps the group snapshots, 群发 ids and join ways; required.
	Cursors chat.Cursors
	// Listener, when set, is told what chat events do not carry: each
	// customer group's staff (its owner, admins and corp members) and its
	// dismissal. internal/app sets it to keep qunzhu's roles and groups
	// in step.
	Listener Listener
	// Archive, when not nil, reads message content (会话内容存档);
	// ArchiveConfig, when Archive is nil, opens one (an error when this
	// binary was built without -tags msgaudit).
	Archive       Archive
	ArchiveConfig *ArchiveConfig
	// ArchiveEvery is how often the archive is read (5s when 0).
	ArchiveEvery time.Duration
	HTTPClient   *http.Client
	Logger       *slog.Logger
	Now          func() time.Time
	// Rates overrides the pace of some APIs (see Client).
	Rates map[string]Rate
}

// Status is the connection's health.
type Status struct {
	Running   bool
	LastSync  time.Time // the last sync that could list the groups
	SyncError string    // why the last sync failed, in part or whole
	// APIError is the last API failure an operator must fix (a refused
	// secret, an untrusted IP, a missing permission); empty once a call
	// succeeds again.
	APIError string
	Groups   int // customer groups known
}

// Adapter is one WeCom connection: a chat.Adapter, the http.Handler of
// its callback URL, and a community.JoinWays.
type Adapter struct {
	cfg   Config
	log   *slog.Logger
	api   *Client
	crypt *Crypter
	robot string // the robot's full webhook URL

	notes chan delivery // verified callbacks, to Run
	seen  *recent       // callbacks handled lately, by id

	mu       sync.Mutex
	live     chan struct{} // closed when Run ends; nil when not running
	status   Status
	apiFails map[string]string // API → the failure an operator must fix
	known    map[string]string // customer group → owner, for the archive and statistics
}

var (
	_ chat.Adapter        = (*Adapter)(nil)
	_ chat.HealthReporter = (*Adapter)(nil)
	_ chat.LimitReporter  = (*Adapter)(nil)
	_ http.Handler        = (*Adapter)(nil)
	_ community.JoinWays  = (*Adapter)(nil)
)

// New validates cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	if cfg.Name == "" {
		return nil, errors.New("wecom: name required")
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("wecom %s: "+format, append([]any{cfg.Name}, args...)...)
	}
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, fail("corp_id and secret are required")
	}
	if cfg.AgentID <= 0 {
		return nil, fail("agent_id is required (the self-built app's AgentId)")
	}
	if cfg.Cursors == nil {
		return nil, fail("cursors are required")
	}
	crypt, err := NewCrypter(cfg.CallbackToken, cfg.EncodingAESKey, cfg.CorpID)
	if err != nil {
		return nil, fail("%v", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	for _, d := range []*time.Duration{&cfg.SyncEvery, &cfg.ConfirmCheck, &cfg.ConfirmWithin, &cfg.ArchiveEvery} {
		if *d < 0 {
			return nil, fail("durations must not be negative")
		}
	}
	if cfg.SyncEvery == 0 {
		cfg.SyncEvery = 6 * time.Hour
	}
	if cfg.ConfirmCheck == 0 {
		cfg.ConfirmCheck = time.Minute
	}
	if cfg.ConfirmWithin == 0 {
		cfg.ConfirmWithin = 24 * time.Hour
	}
	if cfg.ArchiveEvery == 0 {
		cfg.ArchiveEvery = 5 * time.Second
	}
	if cfg.RobotName == "" {
		cfg.RobotName = "员工群（群机器人）"
	}
	api, err := NewClient(ClientConfig{APIURL: cfg.APIURL, CorpID: cfg.CorpID, Secret: cfg.Secret, HTTPClient: cfg.HTTPClient, Now: cfg.Now, Logger: cfg.Logger, Rates: cfg.Rates})
	if err != nil {
		return nil, fail("%v", err)
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger.With("platform", Platform, "connection", cfg.Name), api: api, crypt: crypt,
		notes: make(chan delivery), seen: newRecent(4096), known: map[string]string{}, apiFails: map[string]string{}}
	if cfg.RobotWebhook != "" {
		if a.robot, err = robotURL(cfg.RobotWebhook, api.base); err != nil {
			return nil, fail("%v", err)
		}
	}
	api.observe = a.observe
	if cfg.Archive == nil && cfg.ArchiveConfig != nil {
		// Last: the SDK holds resources for the life of the process.
		ac := *cfg.ArchiveConfig
		ac.CorpID = cfg.CorpID
		if a.cfg.Archive, err = OpenArchive(ac); err != nil {
			return nil, fail("%v", err)
		}
	}
	return a, nil
}

// robotURL accepts a robot's full webhook URL or just its key.
func robotURL(s, base string) (string, error) {
	if !strings.Contains(s, "/") {
		return base + "/cgi-bin/webhook/send?key=" + url.QueryEscape(s), nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.Query().Get("key") == "" {
		return "", fmt.Errorf("robot_webhook: want the robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) or its key")
	}
	return s, nil
}

// Options are the options a [[connections]] block of platform wecom takes.
var Options = []string{"corp_id", "agent_id", "secret", "callback_token", "encoding_aes_key", "api_url", "robot_webhook", "robot_name",
	"sync_every", "confirm_check", "confirm_within", "upkeep_every", "archive_every", "msgaudit_secret", "msgaudit_keys", "msgaudit_proxy"}

// FromOptions builds a Config from a [[connections]] block's options:
// corp_id, agent_id, secret, callback_token, encoding_aes_key (required);
// api_url, robot_webhook, robot_name, sync_every, confirm_check,
// confirm_within, upkeep_every, archive_every (Go durations such as "6h");
// msgaudit_secret, msgaudit_keys ("3=/path/key.pem,…") and
// msgaudit_proxy for the message archive.
func FromOptions(name string, opts map[string]string, logger *slog.Logger) (Config, error) {
	var unknown []string
	for k := range opts {
		if !slices.Contains(Options, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return Config{}, fmt.Errorf("wecom %s: unknown options %s (known: %s)", name, strings.Join(unknown, ", "), strings.Join(Options, ", "))
	}
	cfg := Config{Name: name, CorpID: opts["corp_id"], Secret: opts["secret"], CallbackToken: opts["callback_token"],
		EncodingAESKey: opts["encoding_aes_key"], APIURL: opts["api_url"], RobotWebhook: opts["robot_webhook"], RobotName: opts["robot_name"], Logger: logger}
	if s := opts["agent_id"]; s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n <= 0 {
			return cfg, fmt.Errorf("wecom %s: options.agent_id %q: want the app's AgentId (a number)", name, s)
		}
		cfg.AgentID = n
	}
	for k, d := range map[string]*time.Duration{"sync_every": &cfg.SyncEvery, "confirm_check": &cfg.ConfirmCheck, "confirm_within": &cfg.ConfirmWithin, "upkeep_every": &cfg.UpkeepEvery, "archive_every": &cfg.ArchiveEvery} {
		if s := opts[k]; s != "" {
			v, err := time.ParseDuration(s)
			if err != nil || v <= 0 {
				return cfg, fmt.Errorf("wecom %s: options.%s %q: want a positive duration like 6h or 90s", name, k, s)
			}
			*d = v
		}
	}
	if sec := opts["msgaudit_secret"]; sec != "" || opts["msgaudit_keys"] != "" {
		keys, err := ParseArchiveKeys(opts["msgaudit_keys"])
		if err != nil {
			return cfg, fmt.Errorf("wecom %s: options.%w", name, err)
		}
		if sec == "" {
			return cfg, fmt.Errorf("wecom %s: options.msgaudit_secret: required with msgaudit_keys (the 会话内容存档 Secret)", name)
		}
		cfg.ArchiveConfig = &ArchiveConfig{Secret: sec, Keys: keys, Proxy: opts["msgaudit_proxy"]}
	}
	return cfg, nil
}

// Name implements chat.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// UpkeepEvery is how often internal/app brings the connection's join ways
// in step and fetches missing daily statistics (options.upkeep_every).
func (a *Adapter) UpkeepEvery() time.Duration {
	if a.cfg.UpkeepEvery > 0 {
		return a.cfg.UpkeepEvery
	}
	return time.Minute
}

// QRJoinLimit is the most members a group may have for a join way to send
// newcomers there: WeCom stops joins by QR code at 200.
const QRJoinLimit = 200

// JoinWayLimit implements what internal/app asks of a platform that keeps
// join ways: QRJoinLimit.
func (a *Adapter) JoinWayLimit() int { return QRJoinLimit }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return Platform }

// Capabilities implements chat.Adapter: none. WeCom's API cannot delete a
// message, mute, remove or ban a customer, set a customer group's notice
// or make someone its admin, and it cannot post into a customer group
// instantly: a message goes out only as a 群发 its owner confirms, a few a
// month. So send is not declared either (the rules and welcomes must not
// count on it); scheduled pushes are still delivered, as 群发 tasks, and
// staff messages go to members and the robot's group (see Do).
func (a *Adapter) Capabilities() chat.Capabilities {
	c := chat.Capabilities{}
	for _, k := range chat.ActionKinds {
		c[k] = false
	}
	c[chat.CapTimedMute] = false
	return c
}

// Limitations implements chat.LimitReporter.
func (a *Adapter) Limitations() []string {
	out := []string{
		"WeCom lets no app delete messages or mute, remove or ban customers in a customer group: rule decisions are recorded for staff to carry out by hand.",
		"A customer group receives messages only as a 群发 its owner confirms in WeCom (and only a few a month): scheduled pushes go that way and stay pending until confirmed; welcomes, warnings and replies are not sent.",
	}
	if a.cfg.Archive == nil {
		out = append(out, "No message content: 会话内容存档 is not set up for this connection (or qunzhu was built without -tags msgaudit), so the rules see no messages and activity figures come from WeCom's daily statistics per group owner.")
	}
	return out
}

// Status returns the connection's health.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.status
	s.Groups = len(a.known)
	return s
}

// Health implements chat.HealthReporter.
func (a *Adapter) Health(time.Time) error {
	s := a.Status()
	switch {
	case !s.Running:
		return errors.New("not running")
	case s.APIError != "":
		return errors.New(s.APIError)
	case s.SyncError != "" && s.LastSync.IsZero():
		return fmt.Errorf("the customer groups could not be read: %s", s.SyncError)
	}
	return nil
}

// observe records, per API, failures an operator must fix (a refused
// secret, an untrusted IP, a missing permission), and clears one once that
// API answers again.
func (a *Adapter) observe(path string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var ae *APIError
	switch {
	case err == nil:
		delete(a.apiFails, path)
	case errors.As(err, &ae) && !ae.Temporary() && (ae.Kind() == errkind.Unauthorized || ae.Kind() == errkind.Forbidden):
		if ae.Path == "gettoken" {
			// No token: every API fails the same way.
			path = "gettoken"
		}
		a.apiFails[path] = err.Error()
	}
	if _, ok := a.apiFails["gettoken"]; ok && err == nil {
		delete(a.apiFails, "gettoken") // a token was fetched since
	}
	a.status.APIError = ""
	for _, p := range sortedKeys(a.apiFails) {
		a.status.APIError = a.apiFails[p]
		break
	}
}

// jitter spreads d by ±10% so replicas and connections do not act in step.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*rand.Float64()))
}

// Known returns the customer groups the connection knows and their owners.
func (a *Adapter) Known() map[string]string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return maps.Clone(a.known)
}
