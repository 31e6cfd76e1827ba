package app

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/telegram"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
)

// The platform connections of a running qunzhu: those of qunzhu.toml and
// those added in the console (re-read every few seconds, and at once
// after a change made here), each with its adapter built on every
// replica (for its capabilities and its limits), and run — adapter and
// deliveries — only on the replica holding its lease.

// conn is one platform connection in this process.
type conn struct {
	def     connections.Def
	cfg     config.Connection
	adapter chat.Adapter
	err     error // why the adapter could not be built
	fixed   bool  // given by the caller (the demo's simulator): never rebuilt

	// While this replica holds it.
	tenure  *connections.Tenure
	cancel  context.CancelFunc
	done    chan struct{} // closed when what ran for it has stopped
	failed  string        // the adapter's last failure, while it waits to restart
	started time.Time     // when it was last launched here
}

// startGrace is how long a connection just launched is "starting" rather
// than failing while it has not connected yet.
const startGrace = 20 * time.Second

// connSet is the connections and their leases.
type connSet struct {
	db      *store.DB
	log     *slog.Logger
	factory map[string]Factory
	deps    Deps
	in      *pipeline.Ingester
	disp    *pipeline.Dispatcher
	keeper  *connections.Keeper
	replica string
	file    []config.Connection // the file's, in its order
	fixed   []chat.Adapter
	// statsImported is called when a connection's daily statistics were
	// imported: the rollup should run again.
	statsImported func()

	ctx      context.Context // the service's, while it runs
	wg       sync.WaitGroup  // what runs for held connections
	reloadMu sync.Mutex      // one reload at a time

	mu     sync.Mutex
	byName map[string]*conn
	all    []connections.Def // every definition, enabled or not, for the console
	clash  map[string]bool   // console connections whose name the file took
}

// fileDef is a [[connections]] block as a definition.
func fileDef(c config.Connection) connections.Def {
	return connections.Def{Name: c.Name, Platform: c.Platform, Source: connections.FromFile, Enabled: c.IsEnabled(),
		Token: c.Token, PushURL: c.PushURL, Secret: c.Secret, Options: c.Options}
}

// configOf is a console connection as a [[connections]] block, for the
// platform factories.
func configOf(d connections.Def) config.Connection {
	return config.Connection{Name: d.Name, Platform: d.Platform, Token: d.Token, PushURL: d.PushURL, Secret: d.Secret, Options: d.Options}
}

// build makes a connection's adapter through its platform's factory.
func (cs *connSet) build(c config.Connection) (chat.Adapter, error) {
	f, ok := cs.factory[c.Platform]
	if !ok {
		return nil, fmt.Errorf("platform %q is not built into this binary (have: %s)", c.Platform, joinNames(cs.factory))
	}
	a, err := f(c, Deps{Logger: cs.log.With("connection", c.Name), Cursors: cs.deps.Cursors, DataDir: cs.deps.DataDir, Location: cs.deps.Location, Book: cs.deps.Book})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// start builds the file's connections (an error in one stops qunzhu, as a
// bad file does) and the console's.
func (cs *connSet) start(ctx context.Context) error {
	cs.byName = map[string]*conn{}
	for _, c := range cs.file {
		if !c.IsEnabled() {
			continue
		}
		a, err := cs.build(c)
		if err != nil {
			return fmt.Errorf("connection %q: %w", c.Name, err)
		}
		cs.byName[c.Name] = &conn{def: fileDef(c), cfg: c, adapter: a}
	}
	for _, a := range cs.fixed {
		c := config.Connection{Name: a.Name(), Platform: a.Platform()}
		cs.byName[a.Name()] = &conn{def: fileDef(c), cfg: c, adapter: a, fixed: true}
	}
	_, err := cs.reload(ctx)
	return err
}

// reload reads the console's connections again and brings the set in
// step: new ones are built, changed ones rebuilt (and restarted where
// held here), removed and stopped ones let go. It reports whether the
// set changed.
func (cs *connSet) reload(ctx context.Context) (bool, error) {
	cs.reloadMu.Lock()
	defer cs.reloadMu.Unlock()
	stored, err := cs.db.ConnectionDefs(ctx)
	if err != nil {
		return false, err
	}
	fileNames := map[string]bool{}
	all := make([]connections.Def, 0, len(cs.file)+len(cs.fixed)+len(stored))
	for _, c := range cs.file {
		fileNames[c.Name] = true
		all = append(all, fileDef(c))
	}
	for _, a := range cs.fixed {
		fileNames[a.Name()] = true
		all = append(all, fileDef(config.Connection{Name: a.Name(), Platform: a.Platform()}))
	}
	want := map[string]connections.Def{}
	clash := map[string]bool{}
	for _, d := range stored {
		if fileNames[d.Name] {
			clash[d.Name] = true
			continue
		}
		all = append(all, d)
		if d.Enabled {
			want[d.Name] = d
		}
	}
	// Build what is new or changed outside the lock: factories only check
	// settings, but they are the platforms' code.
	cs.mu.Lock()
	var build []connections.Def
	for name, d := range want {
		if c, ok := cs.byName[name]; !ok || c.def.Version != d.Version {
			build = append(build, d)
		}
	}
	var gone []string
	for name, c := range cs.byName {
		if c.def.Source == connections.FromConsole {
			if _, ok := want[name]; !ok {
				gone = append(gone, name)
			}
		}
	}
	cs.mu.Unlock()
	built := map[string]*conn{}
	for _, d := range build {
		cfg := configOf(d)
		a, err := cs.build(cfg)
		if err != nil {
			cs.log.Error("connection cannot be built", "connection", d.Name, "err", err)
		}
		built[d.Name] = &conn{def: d, cfg: cfg, adapter: a, err: err}
	}
	// Let go of the removed ones first (the keeper calls drop).
	for _, name := range gone {
		cs.keeper.Release(ctx, name)
	}
	cs.mu.Lock()
	for _, name := range gone {
		delete(cs.byName, name)
	}
	var restart []string
	for name, nc := range built {
		old := cs.byName[name]
		if old != nil && old.tenure != nil {
			nc.tenure, nc.done = old.tenure, old.done
			old.cancel()
			restart = append(restart, name)
		}
		cs.byName[name] = nc
	}
	cs.all, cs.clash = connections.Sorted(all), clash
	for _, name := range restart {
		if c := cs.byName[name]; c.adapter != nil {
			cs.launch(c)
		} else {
			c.tenure = nil
		}
	}
	cs.mu.Unlock()
	for _, name := range restart {
		if !cs.has(name) {
			cs.keeper.Release(ctx, name)
		}
	}
	changed := len(built) > 0 || len(gone) > 0
	if changed {
		cs.keeper.Kick()
	}
	return changed, nil
}

// has reports whether a connection can run here (its adapter is built).
func (cs *connSet) has(name string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	return c != nil && c.adapter != nil
}

// wanted lists the connections this replica may hold: those it could
// build.
func (cs *connSet) wanted() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]string, 0, len(cs.byName))
	for name, c := range cs.byName {
		if c.adapter != nil {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// watch re-reads the console's connections every few seconds (another
// replica's console may have changed them) until ctx is done.
func (cs *connSet) watch(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := cs.reload(ctx); err != nil && ctx.Err() == nil {
			cs.log.Error("read the console's connections", "err", err)
		}
	}
}

// hold runs a connection this replica has just taken: its adapter and its
// deliveries. The keeper calls it.
func (cs *connSet) hold(name string, t *connections.Tenure) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	if c == nil || c.adapter == nil {
		return // gone since; the next round lets the lease go
	}
	c.tenure = t
	cs.launch(c)
}

// drop stops a connection this replica no longer holds. The keeper calls
// it; it does not wait.
func (cs *connSet) drop(name string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	if c == nil || c.tenure == nil {
		return
	}
	c.tenure = nil
	if c.cancel != nil {
		c.cancel()
	}
}

// launch starts what runs for a held connection, once what ran before for
// it has stopped. cs.mu is held.
func (cs *connSet) launch(c *conn) {
	ctx, cancel := context.WithCancel(cs.ctx)
	prev, done := c.done, make(chan struct{})
	c.cancel, c.done, c.failed, c.started = cancel, done, "", time.Now()
	t, a := c.tenure, c.adapter
	var route *pipeline.Route
	if !pulledBy(a) {
		rate, burst, gc, gp := c.cfg.Limits()
		route = &pipeline.Route{Adapter: a, Rate: rate, Burst: burst, GroupCount: gc, GroupPer: gp, Tenure: t}
	}
	cs.wg.Add(1)
	go func() {
		defer cs.wg.Done()
		defer close(done)
		defer cancel()
		if prev != nil {
			<-prev
		}
		go func() {
			select {
			case <-t.Done():
				cancel()
			case <-ctx.Done():
			}
		}()
		var wg sync.WaitGroup
		if route != nil {
			wg.Add(1)
			go func() { defer wg.Done(); cs.disp.Serve(ctx, *route) }()
		}
		if u, ok := a.(upkept); ok {
			wg.Add(1)
			go func() { defer wg.Done(); cs.upkeep(ctx, a, u) }()
		}
		cs.runAdapter(ctx, a)
		wg.Wait()
	}()
}

// runAdapter keeps an adapter running until ctx is done, restarting it
// with backoff.
func (cs *connSet) runAdapter(ctx context.Context, a chat.Adapter) {
	log := cs.log.With("connection", a.Name(), "platform", a.Platform())
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := a.Run(ctx, cs.in)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			attempt = 0
			continue
		}
		wait := backoff.Delay(attempt, time.Second, 5*time.Minute)
		log.Error("connection failed; restarting", "err", err, "in", wait)
		cs.setFailed(a.Name(), err.Error())
		if !backoff.Sleep(ctx, wait) {
			return
		}
		cs.setFailed(a.Name(), "")
	}
}

func (cs *connSet) setFailed(name, msg string) {
	cs.mu.Lock()
	if c := cs.byName[name]; c != nil {
		c.failed = msg
	}
	cs.mu.Unlock()
}

// problem says what is wrong with a connection held here, "" when
// nothing is. cs.mu is held.
func problemOf(c *conn, now time.Time) string {
	if c.failed != "" {
		return c.failed
	}
	if h, ok := c.adapter.(chat.HealthReporter); ok {
		if err := h.Health(now); err != nil {
			return err.Error()
		}
	}
	return ""
}

// status is what the keeper writes with a renewal.
func (cs *connSet) status(name string) string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	if c == nil || c.adapter == nil {
		return ""
	}
	return problemOf(c, time.Now())
}

// failing lists the connections held here that cannot work now, as
// "name: why".
func (cs *connSet) failing(now time.Time) []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var bad []string
	for name, c := range cs.byName {
		if c.tenure == nil || c.adapter == nil {
			continue
		}
		if p := problemOf(c, now); p != "" {
			bad = append(bad, name+": "+p)
		}
	}
	sort.Strings(bad)
	return bad
}

// caps returns a connection's capabilities (none for an unknown one).
func (cs *connSet) caps(name string) chat.Capabilities {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if c := cs.byName[name]; c != nil && c.adapter != nil {
		return c.adapter.Capabilities()
	}
	return chat.Capabilities{}
}

// apiConnections are the connections bridges authenticate as.
func (cs *connSet) apiConnections() []api.Connection {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []api.Connection
	for name, c := range cs.byName {
		if c.def.Token == "" || c.adapter == nil {
			continue
		}
		out = append(out, api.Connection{Name: name, Platform: c.def.Platform, Token: c.def.Token, Pulled: pulledBy(c.adapter)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// importable are the connections built here, which an import may name
// (whichever replica holds them: an import only stores).
func (cs *connSet) importable() []imports.Connection {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]imports.Connection, 0, len(cs.byName))
	for name, c := range cs.byName {
		if c.adapter != nil {
			out = append(out, imports.Connection{Name: name, Platform: c.def.Platform})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// pulled are the connections whose actions a bridge pulls.
func (cs *connSet) pulled() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	var out []string
	for name, c := range cs.byName {
		if pulledBy(c.adapter) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// pulledBy reports whether a bridge pulls the adapter's actions (nil: no
// adapter, nothing pulled).
func pulledBy(a chat.Adapter) bool {
	p, ok := a.(chat.Puller)
	return ok && p.Pulled()
}

// byToken returns the connection a bridge token belongs to, "" for none.
func (cs *connSet) byToken(token string) string {
	for _, c := range cs.apiConnections() {
		if subtle.ConstantTimeCompare([]byte(c.Token), []byte(token)) == 1 {
			return c.Name
		}
	}
	return ""
}

// handler returns a connection's adapter as the handler of its platform's
// requests, nil when it takes none.
func (cs *connSet) handler(name string) http.Handler {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.byName[name]
	if c == nil || c.adapter == nil {
		return nil
	}
	h, _ := c.adapter.(http.Handler)
	return h
}

// statuses reports every connection as the console shows it: its
// definition (secrets masked), its state, and the replica holding it.
func (cs *connSet) statuses() []console.ConnectionStatus {
	now := time.Now()
	cs.mu.Lock()
	defer cs.mu.Unlock()
	out := make([]console.ConnectionStatus, 0, len(cs.all))
	for _, d := range cs.all {
		st := console.ConnectionStatus{Name: d.Name, Platform: d.Platform, ConnectionDetail: console.ConnectionDetail{
			Source: string(d.Source), Enabled: d.Enabled, Settings: d.Masked(), Info: d.Info, UpdatedAt: d.UpdatedAt}}
		c := cs.byName[d.Name]
		switch {
		case !d.Enabled:
			st.State = console.ConnStopped
		case c == nil:
			st.State = console.ConnWaiting
		case c.err != nil:
			st.State, st.Problem = console.ConnBroken, c.err.Error()
		case c.tenure != nil:
			st.Holder, st.HeldHere = cs.replica, true
			switch st.Problem = problemOf(c, now); {
			case st.Problem == "":
				st.State = console.ConnOK
			case c.failed == "" && now.Sub(c.started) < startGrace:
				st.State, st.Problem = console.ConnStarting, ""
			default:
				st.State = console.ConnProblem
			}
		default:
			l, ok := cs.keeper.Lease(d.Name)
			if ok && l.Live(now) {
				st.Holder, st.Problem = l.Holder, l.Status
				if st.Problem != "" {
					st.State = console.ConnProblem
				} else {
					st.State = console.ConnOK
				}
			} else {
				st.State = console.ConnWaiting
			}
		}
		if c != nil && c.adapter != nil {
			if lr, ok := c.adapter.(chat.LimitReporter); ok {
				st.Limits = lr.Limitations()
			}
			// A file's Telegram bot is known by name once it has run here.
			if tg, ok := c.adapter.(*telegram.Adapter); ok && st.Info[connections.InfoBotUsername] == "" {
				if u := tg.Status().BotUsername; u != "" {
					st.Info = maps.Clone(st.Info)
					if st.Info == nil {
						st.Info = map[string]string{}
					}
					st.Info[connections.InfoBotUsername] = u
				}
			}
		}
		if u := st.Info[connections.InfoBotUsername]; u != "" && d.Platform == "telegram" {
			st.AddLink = telegram.AddToGroupLink(u)
		}
		out = append(out, st)
	}
	for name := range cs.clash {
		out = append(out, console.ConnectionStatus{Name: name, ConnectionDetail: console.ConnectionDetail{Source: string(connections.FromConsole), State: console.ConnClash}})
	}
	return out
}

// take has this replica take the connections it may hold now (a change
// made here), instead of at the keeper's next round; not before the
// service runs.
func (cs *connSet) take(ctx context.Context) {
	if cs.ctx == nil {
		return
	}
	cs.keeper.Round(ctx, cs.wanted())
}

// endAll stops everything that runs for held connections and releases
// their leases, when the service stops.
func (cs *connSet) endAll() {
	cs.keeper.EndAll()
	cs.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cs.keeper.ReleaseAll(ctx)
}

// gone reports a lease holder known to be dead: a process of this host
// (a default replica id, host-pid) that no longer exists. Its leases are
// taken at once, so a replica restarted on the same host does not wait
// for its own old leases to expire.
func gone(host string, self int) func(connections.Lease) bool {
	return func(l connections.Lease) bool {
		h, pid, ok := connections.SplitReplicaID(l.Holder)
		if !ok || h != host || pid == self {
			return false
		}
		p, err := os.FindProcess(pid)
		if err != nil {
			return true
		}
		err = p.Signal(syscall.Signal(0))
		return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
	}
}

func joinNames(m map[string]Factory) string { return strings.Join(platformNames(m), ", ") }
