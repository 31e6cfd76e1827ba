package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
)

// openStore opens the configured database.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.DB, error) {
	driver, dsn := cfg.DatabaseDSN()
	if err := privateDir(cfg.Data.Dir, log); err != nil {
		return nil, err
	}
	if driver == "sqlite" {
		if err := os.MkdirAll(filepath.Dir(dsn), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
	}
	db, err := store.Open(ctx, driver, dsn, store.Options{Logger: log, MaxOpenConns: cfg.Database.MaxOpenConns, BusyTimeout: time.Duration(cfg.Database.BusyTimeout), Location: cfg.Location()})
	if err != nil {
		return nil, err
	}
	return db, nil
}

// secretFiles are the secrets qunzhu keeps in its data directory.
var secretFiles = []string{"admin.password", "admin.token", "session.key", "bridge.token"}

// privateDir creates the data directory readable by its owner only (0700),
// and makes an existing one that others could read so, and the secrets in
// it 0600, each with a log line: it holds the database, the session key,
// the admin password and token. (The store makes the database's own files
// 0600.)
func privateDir(dir string, log *slog.Logger) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if err := tighten(dir, 0o700, log); err != nil {
		return err
	}
	for _, f := range secretFiles {
		if err := tighten(filepath.Join(dir, f), 0o600, log); err != nil {
			return err
		}
	}
	return nil
}

// tighten gives path the mode private when others may read it (a missing
// path is left alone), and logs that it did.
func tighten(path string, private os.FileMode, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, private); err != nil {
		return fmt.Errorf("make %s private: %w", path, err)
	}
	log.Warn(fmt.Sprintf("%s was open to others: made it %#o", path, private), "was", fi.Mode().Perm().String())
	return nil
}

// service is a running qunzhu: store, pipeline, adapters and HTTP.
type service struct {
	cfg     *config.Config
	log     *slog.Logger
	loc     *time.Location // the server's time zone
	db      *store.DB
	in      *pipeline.Ingester
	disp    *pipeline.Dispatcher
	conns   *connSet
	replica string // this replica's id
	// rollNow: the rollup should run at the next round (a platform's
	// statistics were imported).
	rollNow atomic.Bool
	url     string // where the other replicas reach this one, once listening
	handler http.Handler
	orgID   int64
	decider pipeline.Decider

	observeDecision func(time.Duration)
	rules           *rules.Registry
	imports         *imports.Service
}

// newService builds the service on an open, migrated store.
func newService(ctx context.Context, env Env, cfg *config.Config, db *store.DB, log *slog.Logger, extra []chat.Adapter) (*service, error) {
	s := &service{cfg: cfg, log: log, db: db, loc: cfg.Location(), decider: pipeline.PassThrough{}}
	if cfg.Rules.Enabled {
		reg, err := rules.NewRegistry(ctx, cfg.Rules.Dir, s.loc, rules.NewEngine(nil, nil), db.NodeParents, log.With("component", "rules"))
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		s.rules = reg
		s.decider = contextDecider(&rules.Decider{Engine: reg.Engine(), RuleSet: reg.For, Offences: db.CountOffences, NoticeOnJoin: cfg.Rules.NoticeOnJoin}, db)
		// The bot members talk to: the groups' [faq], [welcome] and [checkin].
		s.decider = &memberbot.Bot{Next: s.decider, RuleSet: reg.For, Location: s.loc}
	}
	orgs, err := db.Orgs(ctx)
	if err != nil {
		return nil, err
	}
	if len(orgs) == 0 {
		return nil, errors.New("no organisation: run bootstrap first")
	}
	s.orgID = orgs[0].ID

	// The connections: the file's, the console's and the caller's; each
	// is run by the replica holding its lease.
	s.replica = cfg.Server.ReplicaID
	host, _ := os.Hostname()
	if s.replica == "" {
		s.replica = connections.ReplicaID(host, os.Getpid())
	}
	s.conns = &connSet{db: db, log: log, factory: env.Platforms, replica: s.replica, file: cfg.Connections, fixed: extra,
		deps: Deps{Logger: log, Cursors: db, DataDir: cfg.Data.Dir, Location: s.loc, Book: db}}
	s.conns.statsImported = func() { s.rollNow.Store(true) }
	s.conns.keeper = &connections.Keeper{Store: db, Holder: s.replica, TTL: time.Duration(cfg.Server.ConnectionLease),
		Logger: log.With("component", "leases"), URL: func() string { return s.url }, Gone: gone(host, os.Getpid()),
		Status: s.conns.status, Hold: s.conns.hold, Drop: s.conns.drop}
	db.SetPushPolicy(pushPolicy(s.rules, s.conns.has))
	db.SetLinkBase(cfg.Server.BaseURL) // pushed links become short links served at /l/

	s.disp = pipeline.NewDispatcher(pipeline.DispatchConfig{
		Outbox: db, Logger: log.With("component", "dispatcher"),
		MaxAttempts: cfg.Dispatcher.MaxAttempts, BackoffBase: time.Duration(cfg.Dispatcher.BackoffBase),
		BackoffMax: time.Duration(cfg.Dispatcher.BackoffMax), Lease: time.Duration(cfg.Dispatcher.Lease),
		PollInterval: time.Duration(cfg.Dispatcher.PollInterval),
	})
	s.in = pipeline.NewIngester(pipeline.IngestConfig{
		Store: db, Decider: s.decider, Logger: log.With("component", "ingest"),
		BatchSize: cfg.Pipeline.BatchSize, BatchWait: time.Duration(cfg.Pipeline.BatchWait),
		OrgFor:    func(string) int64 { return s.orgID },
		Caps:      s.conns.caps,
		Welcome:   cfg.Pipeline.Welcome,
		Location:  s.loc,
		OnActions: s.disp.Wake,
		ObserveDecision: func(d time.Duration) {
			if s.observeDecision != nil {
				s.observeDecision(d)
			}
		},
	})

	s.conns.in, s.conns.disp = s.in, s.disp
	if err := s.conns.start(ctx); err != nil {
		return nil, err
	}
	s.imports = s.newImports()

	key, err := secretFile(filepath.Join(cfg.Data.Dir, "session.key"), 32)
	if err != nil {
		return nil, err
	}
	clients, err := clientip.New(cfg.Server.TrustedProxies) // validated with the configuration
	if err != nil {
		return nil, fmt.Errorf("server.trusted_proxies: %w", err)
	}
	apiSrv := &api.Server{ClientAddr: clients.Addr, Store: db, Ingest: s.in, Decode: decoder(cfg, log.With("component", "api")), ConnectionList: s.conns.apiConnections, Ready: s.ready,
		Replica: func() api.Replica { return api.Replica{ID: s.replica, Holds: s.conns.keeper.Holds()} },
		Logger:  log.With("component", "api"), Location: s.loc, MaxBodyBytes: int64(cfg.API.MaxBodyBytes), Admin: db, Content: db, Audit: db, Analytics: db, Structure: db, Tags: db, OnChange: s.in.Forget,
		Caps: s.conns.caps, Links: db, LinkKey: key,
		Metrics: s.metrics(ctx)}
	if s.rules != nil {
		reg := s.rules
		apiSrv.LintMatcher = content.CategoryMatcherFunc(func(text string) []content.CategoryHit {
			hits, _ := reg.Engine().Classify(text)
			out := make([]content.CategoryHit, 0, len(hits))
			for _, h := range hits {
				if h.Term != rules.ModelTerm { // a lint shows words, not guesses
					out = append(out, content.CategoryHit{Category: h.Category, Term: h.Term, Text: h.Text})
				}
			}
			return out
		})
	}
	con := &console.Server{Store: db, Logger: log.With("component", "console"), Location: s.loc, Key: key, Secure: strings.HasPrefix(cfg.Server.BaseURL, "https://"),
		Rules: console.RulesFromRegistry(s.rules), People: db, Health: db, Questions: db, Digests: db, Duplicates: db, Churn: db, Tags: db, Connections: s.conns.statuses,
		Profiles: db, Content: db, Cadences: db, Community: db, Lint: apiSrv.LintMatcher, Appeals: db, Newcomers: db, Accounts: db,
		Events: db, Maintenance: db, Tree: db, Caps: apiSrv.Caps, OnChange: s.in.Forget,
		Partners: db, Growth: db, BaseURL: cfg.Server.BaseURL, Replay: db,
		ConnAdmin: &connAdmin{s: s}, Setup: db,
		ShortCodes: db, ClientAddr: clients.Addr}
	con.Imports, con.MaxUpload = s.imports, cfg.Import.MaxUpload
	apiH := s.forwardEvents(apiSrv.Handler(), int64(cfg.API.MaxBodyBytes))
	mux := http.NewServeMux()
	mux.Handle("/api/", apiH)
	mux.Handle("/join/", apiH) // public join links (群活码)
	mux.Handle("/l/", apiH)    // short links of pushes
	mux.Handle("/healthz", apiH)
	mux.Handle("/readyz", apiH)
	mux.Handle("/metrics", apiH)
	// Connections the platform calls (a reverse WebSocket, a webhook) are
	// served at /connect/{name}, outside the API's bearer tokens: each
	// adapter authenticates its platform itself, under the server's
	// timeouts; one that accepts a WebSocket lifts them for it only
	// after authentication. A replica that does not hold the connection
	// forwards the request to the one that does.
	mux.Handle("/connect/", http.HandlerFunc(s.serveConnect))
	mux.Handle("/", con.Handler())
	s.handler = mux
	return s, nil
}

func platformNames(m map[string]Factory) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ready is /readyz: the database answers, the schema is current, and no
// connection this replica holds is failing.
func (s *service) ready(ctx context.Context) error {
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("database unreachable: %w", err)
	}
	if err := s.db.CheckSchema(ctx); err != nil {
		return err
	}
	if bad := s.conns.failing(time.Now()); len(bad) > 0 {
		return fmt.Errorf("connections failing: %s", strings.Join(bad, "; "))
	}
	return nil
}

// run serves on ln until ctx is done, then shuts down in order: stop
// taking requests, stop the connections (and give up their leases), drain
// the writer.
func (s *service) run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if s.cfg.Server.DebugAddr != "" {
		if err := s.serveDebug(ctx); err != nil {
			return fmt.Errorf("debug listener: %w", err)
		}
	}
	var wg sync.WaitGroup
	inCtx, stopIngest := context.WithCancel(context.Background())
	ingestDone := make(chan struct{})
	go func() { s.in.Run(inCtx); close(ingestDone) }()

	s.url = replicaURL(s.cfg.Server.ReplicaURL, ln.Addr())
	s.conns.ctx = ctx
	if _, err := s.conns.reload(ctx); err != nil { // added since newService (the demo's)
		s.log.Error("read the console's connections", "err", err)
	}
	// The first round before the first request: a single replica answers
	// /readyz about the connections it holds from the start.
	s.conns.keeper.Round(ctx, s.conns.wanted())
	keeperDone := make(chan struct{})
	go func() { defer close(keeperDone); s.conns.keeper.Run(ctx, s.conns.wanted) }()
	wg.Add(1)
	go func() { defer wg.Done(); s.conns.watch(ctx, 3*time.Second) }()
	wg.Add(1)
	go func() { defer wg.Done(); s.schedule(ctx) }()
	wg.Add(1)
	go func() { defer wg.Done(); s.imports.Serve(ctx) }()
	if s.rules != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.rules.Watch(ctx, 2*time.Second) }()
	}

	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: time.Duration(s.cfg.Server.ReadTimeout), WriteTimeout: time.Duration(s.cfg.Server.WriteTimeout)}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
		err = fmt.Errorf("http server: %w", err)
	}
	shutCtx, c2 := context.WithTimeout(context.Background(), time.Duration(s.cfg.Server.ShutdownTimeout))
	defer c2()
	srv.Shutdown(shutCtx)
	cancel()
	<-keeperDone
	s.conns.endAll()
	wg.Wait()
	stopIngest()
	<-ingestDone
	s.log.Info("stopped")
	return err
}

// replicaURL is where the other replicas reach this one: the configured
// URL, else the listening address (with the host name when it listens on
// every address).
func replicaURL(configured string, addr net.Addr) string {
	if configured != "" {
		return strings.TrimRight(configured, "/")
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// schedule hands due pushes to the outbox. Several replicas may run it:
// a database lease lets exactly one do the work at a time.
func (s *service) schedule(ctx context.Context) {
	holder := instanceID()
	log := s.log.With("component", "scheduler")
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	var lastNick, lastRollup, lastRetention, lastQuestions time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := s.db.AcquireLease(ctx, "pushes", holder, 30*time.Second)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("acquire lease", "err", err)
			}
			continue
		}
		if !ok {
			continue // another replica is on duty
		}
		if r, a, err := s.db.ExpireGroups(ctx, 24*time.Hour, s.loc); err != nil {
			if ctx.Err() == nil {
				log.Error("expire temporary groups", "err", err)
			}
		} else if r+a > 0 {
			log.Info("temporary groups", "reminded", r, "archived", a)
			s.in.Forget() // archived groups: rules and pushes stop
			s.disp.Wake()
		}
		// The join gate's timeouts, every tick: a newcomer's time (30
		// seconds at the least) is up within a tick of its end.
		if k, err := s.db.SweepGates(ctx); err != nil && ctx.Err() == nil {
			log.Error("join gate timeouts", "err", err)
		} else if k > 0 {
			log.Info("newcomers removed at the join gate", "members", k)
			s.disp.Wake()
		}
		if time.Since(lastNick) >= time.Minute {
			lastNick = time.Now()
			if k, err := s.enforceNicknames(ctx); err != nil && ctx.Err() == nil {
				log.Error("enforce nicknames", "err", err)
			} else if k > 0 {
				log.Info("nickname rule enforced", "members", k)
			}
			if k, err := s.db.EnforceEligibility(ctx); err != nil && ctx.Err() == nil {
				log.Error("enforce group eligibility", "err", err)
			} else if k > 0 {
				log.Info("members removed after their grace period", "members", k)
				s.disp.Wake()
			}
		}
		if s.rollNow.Swap(false) || time.Since(lastRollup) >= rollupEvery {
			lastRollup = time.Now()
			start := time.Now()
			if n, err := s.db.Rollup(ctx, s.orgID, time.Now(), s.loc, 400); err != nil {
				if ctx.Err() == nil {
					log.Error("daily rollup", "err", err, "days", n)
				}
			} else {
				log.Debug("daily rollup", "days", n, "took", time.Since(start))
			}
		}
		if time.Since(lastRetention) >= time.Duration(s.cfg.Retention.Every) {
			lastRetention = time.Now()
			s.retain(ctx, log)
		}
		if time.Since(lastQuestions) >= questionsEvery {
			lastQuestions = time.Now()
			s.trackQuestions(ctx, log)
			if made, err := s.db.DueDigest(ctx, s.orgID, time.Now(), s.loc, rules.Folder()); err != nil {
				if ctx.Err() == nil {
					log.Error("daily digest", "err", err)
				}
			} else if made {
				log.Info("daily digest made")
				s.disp.Wake()
			}
			if n, err := s.db.ChurnAlerts(ctx, s.orgID, time.Now(), s.loc); err != nil {
				if ctx.Err() == nil {
					log.Error("churn alerts", "err", err)
				}
			} else if n > 0 {
				log.Info("leaves sent to staff", "leaves", n)
				s.disp.Wake()
			}
		}
		s.planCadences(ctx, log)
		if n, err := s.db.PostDailyTops(ctx, time.Now(), s.loc); err != nil {
			if ctx.Err() == nil {
				log.Error("daily leaderboards", "err", err)
			}
		} else if n > 0 {
			log.Info("daily leaderboards posted", "groups", n)
			s.disp.Wake()
		}
		// Hand every due push over, 500 at a time, waking the dispatcher
		// after each batch so delivery starts at once.
		total := 0
		for ctx.Err() == nil {
			n, err := s.db.SendDuePushes(ctx, 500)
			if err != nil {
				if ctx.Err() == nil {
					log.Error("send due pushes", "err", err)
				}
				break
			}
			total += n
			if n > 0 {
				s.disp.Wake()
			}
			if n < 500 {
				break
			}
		}
		if total > 0 {
			log.Info("pushes handed to the outbox", "count", total)
		}
	}
}

// questionsEvery is how often the question tracker reads the messages
// stored since its last run.
const questionsEvery = 30 * time.Second

// questionBatchesPerRun and questionPause bound a tracker run (see
// trackQuestions).
const (
	questionBatchesPerRun = 5
	questionPause         = 250 * time.Millisecond
)

// trackQuestions has the question tracker read every message stored since
// its last run, and wakes the dispatcher when it sent a question waiting
// past its group's target to staff.
func (s *service) trackQuestions(ctx context.Context, log *slog.Logger) {
	var total store.QuestionRun
	// A few batches a call, with a pause between them: under a sustained
	// ingest a loop to the end never ends, and the scheduler has other
	// work. (A batch reads and decides outside the write lock and holds
	// it only to store its questions and the mark.) The next call goes on
	// from the mark.
	for i := 0; i < questionBatchesPerRun && ctx.Err() == nil; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(questionPause):
			}
		}
		run, err := s.db.TrackQuestions(ctx, s.orgID, time.Now(), s.loc)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("track questions", "err", err)
			}
			break
		}
		total.Read += run.Read
		total.Asked += run.Asked
		total.Answered += run.Answered
		total.Alerted += run.Alerted
		if run.Read < store.QuestionBatch {
			break
		}
	}
	if total.Alerted > 0 {
		log.Info("questions waiting past their target sent to staff", "questions", total.Alerted)
		s.disp.Wake()
	}
	if total.Read > 0 {
		log.Debug("questions tracked", "messages", total.Read, "asked", total.Asked, "answered", total.Answered)
	}
}

// rollupEvery is how often the analytics' daily rollups are brought up to
// date (today's figures are recomputed each time).
const rollupEvery = 5 * time.Minute

func instanceID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// secretFile returns the contents of a secret file, creating it with n
// random bytes (mode 0600) when missing.
func secretFile(path string, n int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= n {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	b = make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return nil, fmt.Errorf("generate secret: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	return b, nil
}

// tokenFile returns the token in a file, creating a random printable one
// (mode 0600) when missing.
func tokenFile(path string) (string, error) {
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	var raw [24]byte
	if _, err := io.ReadFull(rand.Reader, raw[:]); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	if err := os.WriteFile(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return tok, nil
}

// Credentials are what bootstrap created for the operator: where the
// first password and token are (the secrets themselves are never logged).
type Credentials struct {
	Org          community.Org
	Username     string
	PasswordPath string
	TokenPath    string
	Created      bool
}

// bootstrap makes sure there is an organisation, a console administrator
// and an administrator API token, creating them on first start. The token
// is written to <data>/admin.token and the password to
// <data>/admin.password (both 0600).
func bootstrap(ctx context.Context, db *store.DB, dataDir string, org community.Org) (Credentials, error) {
	cr := Credentials{Username: "admin", PasswordPath: filepath.Join(dataDir, "admin.password"), TokenPath: filepath.Join(dataDir, "admin.token")}
	orgs, err := db.Orgs(ctx)
	if err != nil {
		return cr, err
	}
	if len(orgs) > 0 {
		cr.Org = orgs[0]
		return cr, nil
	}
	if err := db.CreateOrg(ctx, &org); err != nil {
		return cr, err
	}
	cr.Org, cr.Created = org, true
	password := console.NewPassword()
	hash, err := console.HashPassword(password)
	if err != nil {
		return cr, err
	}
	if err := db.CreateUser(ctx, &access.User{OrgID: org.ID, Username: cr.Username, PasswordHash: hash, Role: "manager"}); err != nil {
		return cr, err
	}
	tok, err := db.CreateToken(ctx, org.ID, "admin", access.ScopeAdmin)
	if err != nil {
		return cr, err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return cr, fmt.Errorf("create data directory: %w", err)
	}
	if err := os.WriteFile(cr.TokenPath, []byte(tok+"\n"), 0o600); err != nil {
		return cr, fmt.Errorf("write admin token: %w", err)
	}
	if err := os.WriteFile(cr.PasswordPath, []byte(password+"\n"), 0o600); err != nil {
		return cr, fmt.Errorf("write admin password: %w", err)
	}
	return cr, nil
}
