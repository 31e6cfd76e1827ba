// Package config is qunzhu's configuration: one TOML file, overridden by
// QUNZHU_<SECTION>_<KEY> environment variables, validated at start-up into
// field-level errors, and passed explicitly (no globals).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Duration is qunzhu's one duration type, chat.Duration: written as a
// Go duration ("5s", "2m30s") or whole days ("30d").
type Duration = chat.Duration

// Config is the whole configuration.
type Config struct {
	Server      Server       `toml:"server"`
	Data        Data         `toml:"data"`
	Database    Database     `toml:"database"`
	Log         Log          `toml:"log"`
	API         API          `toml:"api"`
	Pipeline    Pipeline     `toml:"pipeline"`
	Dispatcher  Dispatcher   `toml:"dispatcher"`
	Rules       Rules        `toml:"rules"`
	Retention   Retention    `toml:"retention"`
	Import      Import       `toml:"import"`
	Connections []Connection `toml:"connections"`
}

// Server is the HTTP listener.
type Server struct {
	Addr            string   `toml:"addr"`
	BaseURL         string   `toml:"base_url"`
	ReadTimeout     Duration `toml:"read_timeout"`
	WriteTimeout    Duration `toml:"write_timeout"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// Timezone is the IANA zone of the calendar days qunzhu counts in
	// (rollups, daily leaderboards, temporary groups' ends, the console's
	// times) and of push slots that name none.
	Timezone string `toml:"timezone"`
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes)
	// whose X-Forwarded-For names the client; from anyone else the header
	// is ignored. Login and join-link limits count per client.
	TrustedProxies []string `toml:"trusted_proxies"`
	// ReplicaID names this process among the replicas sharing the
	// database (the holder of a connection's lease); the host name and
	// the process id when empty. Each replica needs its own.
	ReplicaID string `toml:"replica_id"`
	// ReplicaURL is where the other replicas reach this one, to forward
	// the requests of the connections it holds (http://host:port); from
	// the listening address (and the host name when that is 0.0.0.0)
	// when empty.
	ReplicaURL string `toml:"replica_url"`
	// ConnectionLease is how long a replica's hold on a connection lasts
	// without renewal: a replica that dies is replaced within it. It is
	// renewed every third of it.
	ConnectionLease Duration `toml:"connection_lease"`
	// DebugAddr, when set, serves Go's profiles (net/http/pprof) on a
	// listener of its own, never on the public address: 127.0.0.1:6060.
	DebugAddr string `toml:"debug_addr"`
}

// Data is where qunzhu keeps its files.
type Data struct {
	Dir string `toml:"dir"`
}

// Database selects the store.
type Database struct {
	URL          string   `toml:"url"`
	MaxOpenConns int      `toml:"max_open_conns"`
	BusyTimeout  Duration `toml:"busy_timeout"`
}

// Log configures logging.
type Log struct {
	Level  string `toml:"level"`
	Format string `toml:"format"`
}

// API limits the HTTP API.
type API struct {
	MaxBodyBytes        int `toml:"max_body_bytes"`
	MaxEventsPerRequest int `toml:"max_events_per_request"`
}

// Pipeline tunes ingestion.
type Pipeline struct {
	BatchSize int      `toml:"batch_size"`
	BatchWait Duration `toml:"batch_wait"`
	Welcome   string   `toml:"welcome"`
}

// Dispatcher tunes action delivery.
type Dispatcher struct {
	MaxAttempts  int      `toml:"max_attempts"`
	BackoffBase  Duration `toml:"backoff_base"`
	BackoffMax   Duration `toml:"backoff_max"`
	Lease        Duration `toml:"lease"`
	PollInterval Duration `toml:"poll_interval"`
}

// Rules turns the rules engine (群规) on and off.
type Rules struct {
	Enabled      bool   `toml:"enabled"`
	NoticeOnJoin bool   `toml:"notice_on_join"`
	Dir          string `toml:"dir"`
}

// Retention says how long what would otherwise grow forever is kept; a
// retention of 0 keeps everything of its kind. It runs every Every, on
// one replica at a time (docs/operations.md).
type Retention struct {
	OutboxDone  Duration `toml:"outbox_done"`    // delivered actions
	OutboxDead  Duration `toml:"outbox_dead"`    // actions given up on
	Pulled      Duration `toml:"pulled"`         // actions a pulling bridge never fetched, then given up
	AuditDetail Duration `toml:"audit_detail"`   // the detail of audit entries (the entries stay)
	EventKeys   Duration `toml:"event_keys"`     // idempotency keys of events
	Uploads     Duration `toml:"import_uploads"` // uploaded exports not imported
	Every       Duration `toml:"every"`
}

// Import limits the console's imports of chat exports.
type Import struct {
	// MaxUpload is the largest export the console accepts, in bytes.
	MaxUpload int64 `toml:"max_upload"`
}

// Connection is one platform connection.
type Connection struct {
	Name      string            `toml:"name"`
	Platform  string            `toml:"platform"`
	Enabled   *bool             `toml:"enabled"`
	Token     string            `toml:"token"`
	PushURL   string            `toml:"push_url"`
	Secret    string            `toml:"secret"`
	Rate      float64           `toml:"rate"`
	Burst     int               `toml:"burst"`
	GroupRate string            `toml:"group_rate"`
	Options   map[string]string `toml:"options"`
}

// Platforms are the platform names a connection may use.
var Platforms = []string{"sim", "webhook", "telegram", "onebot", "matrix", "wecom"}

// IsEnabled reports whether the connection runs (default true).
func (c Connection) IsEnabled() bool { return c.Enabled == nil || *c.Enabled }

// Limits returns the connection's delivery limits: calls per second and
// burst, and at most count actions per period in one group. Defaults are
// per platform (Telegram: 30/s, 20/min per group).
func (c Connection) Limits() (rate float64, burst int, count int, per time.Duration) {
	rate, burst = c.Rate, c.Burst
	if rate == 0 {
		rate = 20
		if c.Platform == "telegram" {
			rate = 30
		}
		if c.Platform == "sim" {
			rate = 200
		}
	}
	if burst == 0 {
		burst = max(1, int(rate))
	}
	gr := c.GroupRate
	if gr == "" && c.Platform == "telegram" {
		gr = "20/min"
	}
	if gr != "" {
		count, per, _ = ParseRate(gr)
	}
	return rate, burst, count, per
}

// ParseRate reads "N/s", "N/min", "N/h" or "N/<duration>" ("3/10s").
func ParseRate(s string) (int, time.Duration, error) {
	n, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if !ok || err != nil || count <= 0 {
		return 0, 0, fmt.Errorf("want N/s, N/min, N/h or N/<duration> with N ≥ 1, got %q", s)
	}
	var per time.Duration
	switch strings.TrimSpace(unit) {
	case "s", "sec", "second":
		per = time.Second
	case "m", "min", "minute":
		per = time.Minute
	case "h", "hour":
		per = time.Hour
	default:
		per, err = time.ParseDuration(strings.TrimSpace(unit))
		if err != nil || per <= 0 {
			return 0, 0, fmt.Errorf("want N/s, N/min, N/h or N/<duration>, got %q", s)
		}
	}
	return count, per, nil
}

const day = 24 * time.Hour

// Default returns the default configuration.
func Default() *Config {
	return &Config{
		Server: Server{Addr: "127.0.0.1:8080", ReadTimeout: Duration(10 * time.Second), WriteTimeout: Duration(30 * time.Second), ShutdownTimeout: Duration(10 * time.Second), Timezone: content.DefaultZone,
			TrustedProxies: []string{}, ConnectionLease: Duration(15 * time.Second)},
		Data:       Data{Dir: "./data"},
		Database:   Database{BusyTimeout: Duration(5 * time.Second)},
		Log:        Log{Level: "info", Format: "text"},
		API:        API{MaxBodyBytes: 1 << 20, MaxEventsPerRequest: 1000},
		Pipeline:   Pipeline{BatchSize: 4096},
		Rules:      Rules{Enabled: true, NoticeOnJoin: true},
		Retention:  Retention{OutboxDone: Duration(7 * day), OutboxDead: Duration(30 * day), Pulled: Duration(3 * day), AuditDetail: Duration(180 * day), Uploads: Duration(7 * day), Every: Duration(time.Hour)},
		Import:     Import{MaxUpload: 2 << 30},
		Dispatcher: Dispatcher{MaxAttempts: 12, BackoffBase: Duration(time.Second), BackoffMax: Duration(10 * time.Minute), Lease: Duration(30 * time.Second), PollInterval: Duration(200 * time.Millisecond)},
	}
}

// Load reads the configuration: defaults, then the file (if path is not
// empty; a named file must exist), then QUNZHU_ variables from environ.
// The result is validated.
func Load(path string, environ []string) (*Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("read configuration: %w", err)
		}
		if err := cfg.decode(path, b); err != nil {
			return nil, err
		}
	}
	if err := cfg.applyEnv(environ); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (c *Config) decode(name string, b []byte) error {
	md, err := toml.NewDecoder(bytes.NewReader(b)).Decode(c)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return errkind.Errorf(errkind.Invalid, "%s:%d: %s", name, pe.Position.Line, pe.Message)
		}
		return errkind.Errorf(errkind.Invalid, "%s: %v", name, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		for _, k := range und {
			keys = append(keys, k.String())
		}
		return errkind.Errorf(errkind.Invalid, "%s: unknown setting(s): %s", name, strings.Join(keys, ", "))
	}
	return nil
}

// applyEnv applies QUNZHU_<SECTION>_<KEY> overrides to the scalar fields
// of every section. Unknown QUNZHU_ variables are an error: a typo must
// not be silently ignored.
func (c *Config) applyEnv(environ []string) error {
	fields := map[string]reflect.Value{}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sec := v.Field(i)
		if sec.Kind() != reflect.Struct {
			continue
		}
		secName := strings.ToUpper(t.Field(i).Tag.Get("toml"))
		for j := 0; j < sec.NumField(); j++ {
			key := strings.ToUpper(sec.Type().Field(j).Tag.Get("toml"))
			fields["QUNZHU_"+secName+"_"+key] = sec.Field(j)
		}
	}
	var unknown, bad []string
	for _, kv := range environ {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "QUNZHU_") || k == "QUNZHU_CONFIG" || strings.HasPrefix(k, "QUNZHU_TEST_") {
			continue
		}
		f, ok := fields[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if err := setScalar(f, val); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", k, err))
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		bad = append(bad, "unknown environment variable(s): "+strings.Join(unknown, ", "))
	}
	if len(bad) > 0 {
		return errkind.Errorf(errkind.Invalid, "%s", strings.Join(bad, "\n"))
	}
	return nil
}

func setScalar(f reflect.Value, s string) error {
	if tu, ok := f.Addr().Interface().(interface{ UnmarshalText([]byte) error }); ok {
		return tu.UnmarshalText([]byte(s))
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("want a whole number, got %q", s)
		}
		f.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("want a number, got %q", s)
		}
		f.SetFloat(n)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", s)
		}
		f.SetBool(b)
	case reflect.Slice:
		if f.Type().Elem().Kind() != reflect.String {
			return fmt.Errorf("cannot be set from the environment")
		}
		// A list: comma-separated, "" for none.
		var list []string
		for _, v := range strings.Split(s, ",") {
			if v = strings.TrimSpace(v); v != "" {
				list = append(list, v)
			}
		}
		f.Set(reflect.ValueOf(list))
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

// FieldError is one invalid setting.
type FieldError struct {
	Field string
	Msg   string
}

// ValidationError lists every invalid setting, one per line.
type ValidationError []FieldError

func (v ValidationError) Error() string {
	lines := make([]string, len(v))
	for i, e := range v {
		lines[i] = e.Field + ": " + e.Msg
	}
	return strings.Join(lines, "\n")
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// telegramSecretRE is the Telegram webhook secret qunzhu accepts (the
// adapter checks the same rule, telegram.SecretRE). Compiled on first use: every
// command of the one binary initialises this package.
var telegramSecretRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{16,256}$`) })

// Validate checks every setting and returns a ValidationError naming each
// bad field.
func (c *Config) Validate() error {
	var errs ValidationError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	if _, _, err := splitHostPort(c.Server.Addr); err != nil {
		add("server.addr", "%v", err)
	}
	if c.Server.DebugAddr != "" {
		if _, _, err := splitHostPort(c.Server.DebugAddr); err != nil {
			add("server.debug_addr", "%v", err)
		}
	}
	if _, err := time.LoadLocation(c.Server.Timezone); err != nil || c.Server.Timezone == "" {
		add("server.timezone", "want an IANA time zone like Asia/Shanghai or Europe/Berlin, got %q", c.Server.Timezone)
	}
	for i, p := range c.Server.TrustedProxies {
		if _, err := clientip.ParsePrefix(p); err != nil {
			add(fmt.Sprintf("server.trusted_proxies[%d]", i), "%v", err)
		}
	}
	for _, f := range []struct{ name, v string }{{"server.base_url", c.Server.BaseURL}, {"server.replica_url", c.Server.ReplicaURL}} {
		if f.v == "" {
			continue
		}
		if u, err := url.Parse(f.v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add(f.name, "want an absolute http(s) URL, got %q", f.v)
		}
	}
	if c.Server.ReplicaID != "" && (len(c.Server.ReplicaID) > 64 || strings.ContainsAny(c.Server.ReplicaID, " \t\n")) {
		add("server.replica_id", "want up to 64 characters without spaces, got %q", c.Server.ReplicaID)
	}
	if d := time.Duration(c.Server.ConnectionLease); d < time.Second || d > 10*time.Minute {
		add("server.connection_lease", "want 1s to 10m, got %s", d)
	}
	for _, d := range []struct {
		f string
		v Duration
	}{{"server.read_timeout", c.Server.ReadTimeout}, {"server.write_timeout", c.Server.WriteTimeout}, {"server.shutdown_timeout", c.Server.ShutdownTimeout},
		{"dispatcher.backoff_base", c.Dispatcher.BackoffBase}, {"dispatcher.backoff_max", c.Dispatcher.BackoffMax}, {"dispatcher.lease", c.Dispatcher.Lease}, {"dispatcher.poll_interval", c.Dispatcher.PollInterval}} {
		if d.v <= 0 {
			add(d.f, "must be positive, got %s", time.Duration(d.v))
		}
	}
	if c.Retention.Every <= 0 {
		add("retention.every", "must be positive, got %s", time.Duration(c.Retention.Every))
	}
	if c.Import.MaxUpload < 1<<20 {
		add("import.max_upload", "want at least 1048576 (1 MB), got %d", c.Import.MaxUpload)
	}
	if c.Pipeline.BatchWait < 0 {
		add("pipeline.batch_wait", "must not be negative")
	}
	if c.Data.Dir == "" {
		add("data.dir", "required")
	}
	if _, _, err := parseDatabaseURL(c.Database.URL, c.Data.Dir); err != nil {
		add("database.url", "%v", err)
	}
	if c.Database.MaxOpenConns < 0 || c.Database.MaxOpenConns == 1 {
		// The ingest writer keeps a connection of its own and reads
		// beside it: one connection would stop everything else.
		add("database.max_open_conns", "want 0 (the driver's default) or at least 2, got %d", c.Database.MaxOpenConns)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "want debug, info, warn or error, got %q", c.Log.Level)
	}
	if c.Log.Format != "text" && c.Log.Format != "json" {
		add("log.format", "want text or json, got %q", c.Log.Format)
	}
	if c.API.MaxBodyBytes < 1024 {
		add("api.max_body_bytes", "want at least 1024, got %d", c.API.MaxBodyBytes)
	}
	if c.API.MaxEventsPerRequest < 1 {
		add("api.max_events_per_request", "want at least 1, got %d", c.API.MaxEventsPerRequest)
	}
	if c.Pipeline.BatchSize < 1 || c.Pipeline.BatchSize > 100000 {
		add("pipeline.batch_size", "want 1 to 100000, got %d", c.Pipeline.BatchSize)
	}
	if c.Dispatcher.MaxAttempts < 1 {
		add("dispatcher.max_attempts", "want at least 1, got %d", c.Dispatcher.MaxAttempts)
	}
	seen := map[string]bool{}
	tokens := map[string]string{}
	for i, cn := range c.Connections {
		f := func(k string) string { return fmt.Sprintf("connections[%d].%s", i, k) }
		if !nameRE.MatchString(cn.Name) {
			add(f("name"), "want 1–32 of a-z 0-9 _ - starting with a letter or digit, got %q", cn.Name)
		} else if seen[cn.Name] {
			add(f("name"), "duplicate %q", cn.Name)
		}
		seen[cn.Name] = true
		for _, fe := range ValidateConnection(cn) {
			add(f(fe.Field), "%s", fe.Msg)
		}
		if cn.Token != "" {
			if other, dup := tokens[cn.Token]; dup {
				add(f("token"), "same as connection %q: each connection needs its own", other)
			}
			tokens[cn.Token] = cn.Name
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// ValidateConnection checks one connection's settings but its name (a
// [[connections]] block's, or one the console is about to store). Field
// names are relative to the connection: "token", "options.bot_token".
func ValidateConnection(cn Connection) []FieldError {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		errs = append(errs, FieldError{field, fmt.Sprintf(format, args...)})
	}
	if !contains(Platforms, cn.Platform) {
		add("platform", "want one of %s, got %q", strings.Join(Platforms, ", "), cn.Platform)
	}
	if cn.Rate < 0 {
		add("rate", "must not be negative")
	}
	if cn.Burst < 0 {
		add("burst", "must not be negative")
	}
	if cn.GroupRate != "" {
		if _, _, err := ParseRate(cn.GroupRate); err != nil {
			add("group_rate", "%v", err)
		}
	}
	if cn.Token != "" && len(cn.Token) < 16 {
		add("token", "at least 16 characters")
	}
	switch cn.Platform {
	case "webhook":
		if cn.Token == "" {
			add("token", "required: bridges authenticate with it")
		}
		if cn.PushURL != "" {
			if u, err := url.Parse(cn.PushURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				add("push_url", "want an absolute http(s) URL, got %q", cn.PushURL)
			}
			if cn.Secret == "" {
				add("secret", "required with push_url: pushed actions are signed with it")
			}
		}
	case "telegram":
		if cn.Options["bot_token"] == "" {
			add("options.bot_token", "required (from @BotFather)")
		}
		if s, ok := cn.Options["webhook_secret"]; (ok || cn.Options["mode"] == "webhook") && !telegramSecretRE().MatchString(s) {
			// Telegram itself accepts one character; anyone could guess it.
			add("options.webhook_secret", "want 16 to 256 characters of A-Z a-z 0-9 _ - (for example the output of: openssl rand -hex 16), got %d", len(s))
		}
	case "onebot":
		switch cn.Options["mode"] {
		case "reverse":
			// qunzhu is the server: the token is all that keeps
			// strangers from connecting as the bot.
			if len(cn.Options["access_token"]) < 16 {
				add("options.access_token", "required in reverse mode, at least 16 characters (for example the output of: openssl rand -hex 16); set the same token in NapCat or Lagrange")
			}
		case "forward":
			if cn.Options["url"] == "" {
				add("options.url", "required in forward mode (ws://host:port of the OneBot implementation)")
			}
		default:
			add("options.mode", "want reverse or forward, got %q", cn.Options["mode"])
		}
	case "matrix":
		for _, k := range []string{"homeserver", "user_id", "access_token"} {
			if cn.Options[k] == "" {
				add("options."+k, "required")
			}
		}
	case "wecom":
		for _, fe := range validateWeCom(cn.Options) {
			add("options."+fe.Field, "%s", fe.Msg)
		}
	}
	return errs
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("want host:port, got %q", addr)
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port in %q", addr)
	}
	return addr[:i], port, nil
}

// parseDatabaseURL resolves database.url into a driver and DSN. Empty means
// SQLite at <dataDir>/qunzhu.db. A relative SQLite path is relative to the
// working directory.
func parseDatabaseURL(raw, dataDir string) (string, string, error) {
	switch {
	case raw == "":
		return "sqlite", filepath.Join(dataDir, "qunzhu.db"), nil
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil || u.Host == "" {
			return "", "", fmt.Errorf("bad PostgreSQL URL: want postgres://user:password@host:port/database")
		}
		return "postgres", raw, nil
	case strings.HasPrefix(raw, "sqlite://"):
		p := strings.TrimPrefix(raw, "sqlite://")
		if p == "" {
			return "", "", fmt.Errorf("sqlite:// needs a path, e.g. sqlite:///var/lib/qunzhu/qunzhu.db")
		}
		return "sqlite", p, nil
	case strings.HasPrefix(raw, "file:"):
		return "sqlite", strings.TrimPrefix(raw, "file:"), nil
	case strings.HasSuffix(raw, ".db") && !strings.Contains(raw, "://"):
		return "sqlite", raw, nil
	}
	scheme, _, _ := strings.Cut(raw, "://")
	return "", "", fmt.Errorf("unsupported database %q (want a sqlite:// path, a .db file or a postgres:// URL)", scheme)
}

// DatabaseDSN returns the driver ("sqlite" or "postgres") and DSN.
func (c *Config) DatabaseDSN() (driver, dsn string) {
	d, s, _ := parseDatabaseURL(c.Database.URL, c.Data.Dir)
	return d, s
}

// Location returns the server's time zone ([server] timezone); the
// configuration is validated, so it loads (UTC if it somehow does not).
func (c *Config) Location() *time.Location {
	if l, err := time.LoadLocation(c.Server.Timezone); err == nil && c.Server.Timezone != "" {
		return l
	}
	return time.UTC
}
