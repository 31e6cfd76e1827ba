package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
)

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxDone    = "done"
	OutboxDead    = "dead"
)

// OutboxItem is a stored action being delivered.
type OutboxItem struct {
	ID        int64
	Action    chat.Action
	Status    string // OutboxPending, OutboxDone or OutboxDead
	Attempts  int    // claims so far, this one included
	LastError string
	// PendingFor and PendingReason say what an accepted action waits for
	// while it is pending (chat.PendingError's For and State).
	PendingFor, PendingReason string
	CreatedAt                 time.Time
}

// Outbox is the delivery side of the store.
type Outbox interface {
	ClaimActions(ctx context.Context, connection string, limit int, lease time.Duration) ([]OutboxItem, error)
	CompleteAction(ctx context.Context, id int64) error
	// CompleteActions marks several delivered actions done at once.
	CompleteActions(ctx context.Context, ids []int64) error
	RetryAction(ctx context.Context, id int64, next time.Time, cause string) error
	DeferAction(ctx context.Context, id int64, next time.Time) error
	KillAction(ctx context.Context, id int64, cause string) error
}

// FencedOutbox is implemented by outboxes that claim a connection's
// actions only for the replica holding the connection's lease with the
// fencing token given (see Route.Tenure).
type FencedOutbox interface {
	ClaimActionsFenced(ctx context.Context, connection, holder string, fence int64, limit int, lease time.Duration) ([]OutboxItem, error)
}

// Tenure is a replica's hold on a connection (internal/connections):
// Fence returns the holder and fencing token while the replica may act
// for the connection, and ok false once it may not.
type Tenure interface {
	Fence() (holder string, fence int64, ok bool)
}

// Pender is implemented by outboxes that record what an accepted but
// unfinished action waits for (chat.PendingError), for its receipt; with
// other outboxes such an action is only postponed.
type Pender interface {
	PendAction(ctx context.Context, id int64, next time.Time, p chat.PendingError) error
}

// DispatchConfig configures a Dispatcher.
type DispatchConfig struct {
	Outbox       Outbox
	Logger       *slog.Logger
	Now          func() time.Time
	MaxAttempts  int           // then the action is dead; 12 when 0
	BackoffBase  time.Duration // 1s when 0
	BackoffMax   time.Duration // 10m when 0
	Lease        time.Duration // 30s when 0
	PollInterval time.Duration // 200ms when 0
	CallTimeout  time.Duration // per Do call; 30s when 0
}

// Route is one connection the dispatcher delivers to, with its limits.
type Route struct {
	Adapter chat.Adapter
	// Rate and Burst limit calls per second on the connection (a token
	// bucket); Rate 0 means unlimited.
	Rate  float64
	Burst int
	// GroupCount actions per GroupPer in any one group (a sliding window,
	// never exceeded); 0 means unlimited.
	GroupCount int
	GroupPer   time.Duration
	// Tenure, when set, is this replica's hold on the connection: actions
	// are claimed through the outbox's fenced claim (FencedOutbox, which
	// it must implement) and none is sent once the tenure has ended; the
	// ones claimed but not sent are handed back at once. Nil: the
	// connection is this process's alone.
	Tenure Tenure
}

// DispatchStats are running totals, for metrics.
type DispatchStats struct {
	Delivered, Retried, Deferred, Dead atomic.Int64
}

// Dispatcher delivers outbox actions through adapters with retries, backoff
// and per-connection and per-group rate limits.
type Dispatcher struct {
	cfg   DispatchConfig
	wake  chan struct{}
	stats DispatchStats

	mu      sync.Mutex
	wakes   map[chan struct{}]bool // the routes being served
	stopFan chan struct{}          // ends the fan-out when no route is served
}

// NewDispatcher returns a Dispatcher.
func NewDispatcher(cfg DispatchConfig) *Dispatcher {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 12
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = 10 * time.Minute
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = 30 * time.Second
	}
	return &Dispatcher{cfg: cfg, wake: make(chan struct{}, 1)}
}

// Stats returns the running totals.
func (d *Dispatcher) Stats() *DispatchStats { return &d.stats }

// Wake tells the dispatcher new actions are waiting (it polls anyway).
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers for every route until ctx is done.
func (d *Dispatcher) Run(ctx context.Context, routes []Route) error {
	var wg sync.WaitGroup
	for _, r := range routes {
		wg.Add(1)
		go func(r Route) {
			defer wg.Done()
			d.Serve(ctx, r)
		}(r)
	}
	wg.Wait()
	return nil
}

// Serve delivers for one route until ctx is done or, for a route with a
// Tenure, the tenure ends: connections come and go while the dispatcher
// runs (a replica takes or loses one, an operator adds one).
func (d *Dispatcher) Serve(ctx context.Context, r Route) {
	wake := make(chan struct{}, 1)
	d.mu.Lock()
	if len(d.wakes) == 0 {
		// The first route: fan the shared wake-up out to every route
		// being served, until the last one ends.
		d.wakes = map[chan struct{}]bool{}
		d.stopFan = make(chan struct{})
		go d.fanOut(d.stopFan)
	}
	d.wakes[wake] = true
	d.mu.Unlock()
	defer func() {
		d.mu.Lock()
		delete(d.wakes, wake)
		if len(d.wakes) == 0 {
			close(d.stopFan)
		}
		d.mu.Unlock()
	}()
	d.route(ctx, r, wake)
}

func (d *Dispatcher) fanOut(stop chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-d.wake:
			d.mu.Lock()
			for w := range d.wakes {
				select {
				case w <- struct{}{}:
				default:
				}
			}
			d.mu.Unlock()
		}
	}
}

// held reports whether the route may still send: always without a
// tenure.
func (r Route) held() bool {
	if r.Tenure == nil {
		return true
	}
	_, _, ok := r.Tenure.Fence()
	return ok
}

// claim claims the route's next batch, through the fenced claim when the
// route has a tenure (nothing once it has ended).
func (d *Dispatcher) claim(ctx context.Context, r Route, limit int) ([]OutboxItem, error) {
	if r.Tenure == nil {
		return d.cfg.Outbox.ClaimActions(ctx, r.Adapter.Name(), limit, d.cfg.Lease)
	}
	holder, fence, ok := r.Tenure.Fence()
	if !ok {
		return nil, nil
	}
	fo, isFenced := d.cfg.Outbox.(FencedOutbox)
	if !isFenced {
		return nil, errors.New("the outbox cannot claim for a lease holder (no ClaimActionsFenced)")
	}
	return fo.ClaimActionsFenced(ctx, r.Adapter.Name(), holder, fence, limit, d.cfg.Lease)
}

func (d *Dispatcher) route(ctx context.Context, r Route, wake chan struct{}) {
	name := r.Adapter.Name()
	log := d.cfg.Logger.With("connection", name)
	limit := 64
	if r.Rate > 0 {
		// Claim no more than can be sent well inside the lease (two
		// batches are out at a time: one sending, one claimed ahead).
		limit = max(1, min(limit, int(r.Rate*d.cfg.Lease.Seconds()/4)))
	}
	conn := newBucket(r.Rate, r.Burst)
	// The bucket smooths; this window guarantees the platform never sees
	// more than Rate sends in any one second, whatever the burst: each
	// send counts from when its call returned, which is after the platform
	// saw it.
	second := newWindows(0, 0)
	if r.Rate >= 1 {
		second = newWindows(int(r.Rate), time.Second)
	}
	groups := newWindows(r.GroupCount, r.GroupPer)
	var pause atomic.Int64 // unix nanoseconds until which the platform asked us to wait

	// The claimer fetches the next batch while this one is sent, so a
	// busy connection never waits on the database between batches.
	batches := make(chan []OutboxItem)
	claimCtx, stopClaiming := context.WithCancel(ctx)
	// handBack returns actions claimed but not sent to the outbox at
	// once, rather than leaving them to their lease: when the tenure ends
	// another replica sends them now, and after a restart nothing waits.
	handBack := func(items []OutboxItem) {
		for _, it := range items {
			d.deferItem(context.WithoutCancel(ctx), log, it, d.cfg.Now())
		}
	}
	defer func() {
		// Stop the claimer and wait for it, handing back a batch it
		// claimed ahead.
		stopClaiming()
		for items := range batches {
			handBack(items)
		}
	}()
	go func() {
		defer close(batches)
		for claimCtx.Err() == nil {
			if wait := time.Duration(pause.Load() - d.cfg.Now().UnixNano()); wait > 0 {
				if !backoff.Sleep(claimCtx, wait) {
					return
				}
			}
			if !r.held() {
				return // the tenure ended: another replica sends now
			}
			// The claim is not cut short by a stop: a claim the database
			// made whose answer was dropped would strand its actions for
			// the whole lease; claimed, they are handed back below.
			qctx, cancel := context.WithTimeout(context.WithoutCancel(claimCtx), time.Minute)
			items, err := d.claim(qctx, r, limit)
			cancel()
			if err != nil {
				if claimCtx.Err() == nil {
					log.Error("claim actions", "err", err)
				}
				backoff.Sleep(claimCtx, d.cfg.PollInterval)
				continue
			}
			if len(items) == 0 {
				t := time.NewTimer(d.cfg.PollInterval)
				select {
				case <-claimCtx.Done():
					t.Stop()
					return
				case <-wake:
					t.Stop()
				case <-t.C:
				}
				continue
			}
			select {
			case batches <- items:
			case <-claimCtx.Done():
				handBack(items)
				return
			}
		}
	}()

	var done []int64 // delivered, to be marked done together
	flush := func() {
		if len(done) == 0 {
			return
		}
		// Deliveries are at least once: were this lost in a crash, the
		// actions would be sent again, carrying their idempotency keys.
		if err := d.cfg.Outbox.CompleteActions(context.WithoutCancel(ctx), done); err != nil {
			log.Error("complete actions", "count", len(done), "err", err)
		}
		d.stats.Delivered.Add(int64(len(done)))
		done = done[:0]
	}
	defer flush()
	for items := range batches {
		blocked := map[string]time.Time{}
		for i, it := range items {
			if ctx.Err() != nil {
				handBack(items[i:])
				return
			}
			if !r.held() {
				// Another replica holds the connection now: hand back
				// what was not sent, for it to claim at once.
				log.Warn("connection no longer held here: handing back its actions", "count", len(items)-i)
				handBack(items[i:])
				return
			}
			if until := time.Unix(0, pause.Load()); d.cfg.Now().Before(until) {
				// The platform asked us to slow down: hand the rest back.
				for _, rest := range items[i:] {
					d.deferItem(ctx, log, rest, until)
				}
				break
			}
			g := it.Action.Group
			if until, ok := blocked[g]; ok {
				d.deferItem(ctx, log, it, until) // keep the group's order
				continue
			}
			now := d.cfg.Now()
			if wait := groups.reserve(g, now); wait > 0 {
				blocked[g] = now.Add(wait)
				d.deferItem(ctx, log, it, now.Add(wait))
				continue
			}
			if wait := conn.reserve(now); wait > 0 && !backoff.Sleep(ctx, wait) {
				handBack(items[i:])
				return
			}
			for {
				wait := second.reserve("", d.cfg.Now())
				if wait <= 0 {
					break
				}
				if !backoff.Sleep(ctx, wait) {
					handBack(items[i:])
					return
				}
			}
			ok, until := d.deliver(ctx, log, r.Adapter, it)
			now = d.cfg.Now()
			second.settle("", now)
			groups.settle(g, now)
			if ok {
				done = append(done, it.ID)
			}
			if !until.IsZero() {
				pause.Store(until.UnixNano())
			}
		}
		flush()
	}
}

func (d *Dispatcher) deferItem(ctx context.Context, log *slog.Logger, it OutboxItem, next time.Time) {
	d.stats.Deferred.Add(1)
	if err := d.cfg.Outbox.DeferAction(ctx, it.ID, next); err != nil && ctx.Err() == nil {
		log.Error("defer action", "id", it.ID, "err", err)
	}
}

// deliver makes one attempt; it reports a delivery (for the caller to
// mark done) and returns a pause for the whole connection when the
// platform rate-limited us.
func (d *Dispatcher) deliver(ctx context.Context, log *slog.Logger, ad chat.Adapter, it OutboxItem) (ok bool, pause time.Time) {
	cctx, cancel := context.WithTimeout(ctx, d.cfg.CallTimeout)
	err := ad.Do(cctx, it.Action)
	cancel()
	if err == nil {
		return true, time.Time{}
	}
	if ctx.Err() != nil {
		return false, time.Time{} // shutting down; the lease expires and it is retried
	}
	var ra *chat.RetryAfterError
	var pe *chat.PendingError
	switch {
	case errors.As(err, &pe):
		// Accepted, not done yet: ask again later; no attempt is used.
		d.pend(ctx, log, it, d.cfg.Now().Add(max(pe.CheckAfter, d.cfg.PollInterval)), *pe)
	case errors.Is(err, chat.ErrPermanent):
		log.Warn("action failed permanently", "id", it.ID, "kind", it.Action.Kind, "group", it.Action.Group, "err", err)
		d.kill(ctx, log, it, err)
	case it.Attempts >= d.cfg.MaxAttempts:
		log.Warn("action failed too often", "id", it.ID, "kind", it.Action.Kind, "attempts", it.Attempts, "err", err)
		d.kill(ctx, log, it, fmt.Errorf("gave up after %d attempts: %w", it.Attempts, err))
	case errors.As(err, &ra):
		pause = d.cfg.Now().Add(ra.After)
		d.retry(ctx, log, it, pause, err)
	default:
		level := slog.LevelWarn
		if it.Attempts <= 1 {
			level = slog.LevelInfo // a first failure is often a passing hiccup
		}
		log.Log(ctx, level, "action failed, will retry", "id", it.ID, "kind", it.Action.Kind, "attempt", it.Attempts, "err", err)
		d.retry(ctx, log, it, d.cfg.Now().Add(backoff.Delay(it.Attempts, d.cfg.BackoffBase, d.cfg.BackoffMax)), err)
	}
	return false, pause
}

func (d *Dispatcher) pend(ctx context.Context, log *slog.Logger, it OutboxItem, next time.Time, pe chat.PendingError) {
	d.stats.Deferred.Add(1)
	var err error
	if p, ok := d.cfg.Outbox.(Pender); ok {
		err = p.PendAction(ctx, it.ID, next, pe)
	} else {
		err = d.cfg.Outbox.DeferAction(ctx, it.ID, next)
	}
	if err != nil && ctx.Err() == nil {
		log.Error("record a pending action", "id", it.ID, "err", err)
	}
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, it OutboxItem, next time.Time, cause error) {
	d.stats.Retried.Add(1)
	if err := d.cfg.Outbox.RetryAction(ctx, it.ID, next, cause.Error()); err != nil {
		log.Error("schedule retry", "id", it.ID, "err", err)
	}
}

func (d *Dispatcher) kill(ctx context.Context, log *slog.Logger, it OutboxItem, cause error) {
	d.stats.Dead.Add(1)
	if err := d.cfg.Outbox.KillAction(ctx, it.ID, cause.Error()); err != nil {
		log.Error("mark action dead", "id", it.ID, "err", err)
	}
}

// bucket is a token bucket: rate tokens a second, at most burst saved.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate float64, burst int) *bucket {
	if burst <= 0 {
		burst = max(1, int(rate))
	}
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst)}
}

// reserve takes a token and returns how long to wait before using it.
func (b *bucket) reserve(now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	if !b.last.IsZero() {
		b.tokens = min(b.burst, b.tokens+now.Sub(b.last).Seconds()*b.rate)
	}
	b.last = now
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}

// settle moves the group's last send to t (when its call returned).
func (w *windows) settle(group string, t time.Time) {
	if ts := w.m[group]; len(ts) > 0 && t.After(ts[len(ts)-1]) {
		ts[len(ts)-1] = t
	}
}

// windows keeps, per group, the times of the last n sends: a send is allowed
// when fewer than n fall within the last per.
type windows struct {
	n   int
	per time.Duration
	m   map[string][]time.Time
}

func newWindows(n int, per time.Duration) *windows {
	return &windows{n: n, per: per, m: map[string][]time.Time{}}
}

// reserve records a send now and returns 0, or returns how long until one
// is allowed (recording nothing).
func (w *windows) reserve(group string, now time.Time) time.Duration {
	if w.n <= 0 || w.per <= 0 {
		return 0
	}
	ts := w.m[group]
	cut := now.Add(-w.per)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) >= w.n {
		w.m[group] = ts
		return ts[0].Add(w.per).Sub(now)
	}
	w.m[group] = append(ts, now)
	if len(w.m) > 100_000 { // forget idle groups
		for k, v := range w.m {
			if len(v) == 0 || !v[len(v)-1].After(cut) {
				delete(w.m, k)
			}
		}
	}
	return 0
}
