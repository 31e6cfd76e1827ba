package connections

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Several replicas of qunzhu may share one database. Each platform
// connection is held by exactly one of them at a time, through a lease
// row per connection: the holder's id, a fencing token that grows at
// every takeover, and an expiry. The holder renews the lease every third
// of its time; a replica whose renewal fails because the fence moved on
// has lost the connection, and one whose renewals keep failing stops
// acting for it at its own deadline, a fifth of the lease time before the
// lease runs out in the database, so that two replicas never act for one
// connection at once while their clocks agree within that margin. The
// holder runs the connection's adapter and is the only replica that
// claims its outgoing actions (the store's fenced claim checks the fence
// in the same statement); when it dies, another replica takes the lease
// once it has expired and resumes from the persisted cursors.

// Lease is a connection's lease row.
type Lease struct {
	Connection string
	Holder     string // the replica holding it
	HolderURL  string // where the other replicas forward the connection's requests
	Fence      int64  // grows at every takeover
	Until      time.Time
	Since      time.Time // when Holder took it
	// Status is what the holder last said is wrong with the connection
	// ("" when it works), at StatusAt.
	Status   string
	StatusAt time.Time
}

// Live reports whether the lease is held at now.
func (l Lease) Live(now time.Time) bool { return l.Holder != "" && now.Before(l.Until) }

// Leases is the store side of the leases.
type Leases interface {
	// ConnectionLeases reads every lease row.
	ConnectionLeases(ctx context.Context) ([]Lease, error)
	// AcquireConnection gives holder the lease until now+ttl when there
	// is none, it has expired, it is holder's already (a replica
	// restarted under the same id), or its fence is still from (a holder
	// known to be gone; 0 when none is). Taking it increments the fence;
	// ok is false when the lease stays another's.
	AcquireConnection(ctx context.Context, connection, holder, url string, ttl time.Duration, from int64) (l Lease, ok bool, err error)
	// RenewConnection extends holder's lease to now+ttl and records the
	// connection's status, if the lease still carries fence; false when
	// it does not (another replica took it).
	RenewConnection(ctx context.Context, connection, holder string, fence int64, ttl time.Duration, status string) (bool, error)
	// ReleaseConnection ends holder's lease now, if it still carries
	// fence, so that another replica takes it without waiting.
	ReleaseConnection(ctx context.Context, connection, holder string, fence int64) error
}

// Tenure is this replica's hold on one connection: its fencing token, and
// the local deadline until which it may act for the connection.
type Tenure struct {
	holder string
	fence  int64
	now    func() time.Time

	mu       sync.Mutex
	deadline time.Time
	ended    bool
	done     chan struct{}
}

func newTenure(holder string, fence int64, deadline time.Time, now func() time.Time) *Tenure {
	return &Tenure{holder: holder, fence: fence, deadline: deadline, now: now, done: make(chan struct{})}
}

// Fence returns the holder and fencing token while this replica may act
// for the connection; ok is false once it may not (the lease was lost or
// released, or it was not renewed in time).
func (t *Tenure) Fence() (holder string, fence int64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.holder, t.fence, !t.ended && t.now().Before(t.deadline)
}

// Done is closed when the tenure ends.
func (t *Tenure) Done() <-chan struct{} { return t.done }

func (t *Tenure) extend(deadline time.Time) {
	t.mu.Lock()
	if deadline.After(t.deadline) {
		t.deadline = deadline
	}
	t.mu.Unlock()
}

func (t *Tenure) end() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.ended {
		t.ended = true
		close(t.done)
	}
}

// expired reports whether the local deadline has passed.
func (t *Tenure) expired() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return !t.now().Before(t.deadline)
}

// DefaultTTL is the lease time when none is configured.
const DefaultTTL = 15 * time.Second

// Keeper takes, renews and gives up this replica's leases.
type Keeper struct {
	Store  Leases
	Holder string // this replica's id
	// URL is where the other replicas reach this one ("" while unknown).
	URL    func() string
	TTL    time.Duration // DefaultTTL when 0
	Now    func() time.Time
	Logger *slog.Logger
	// Gone reports a holder known to have died (a process of this host
	// that no longer exists): its lease is taken without waiting for it
	// to expire. Nil: none is.
	Gone func(Lease) bool
	// Status says what is wrong with a held connection ("" when it
	// works); it is written with each renewal, for the other replicas'
	// consoles.
	Status func(name string) string
	// Hold is called when this replica takes a connection, Drop when it
	// no longer holds one (lost, not wanted any more, or released). They
	// run in the keeper's goroutine and must not wait for long.
	Hold func(name string, t *Tenure)
	Drop func(name string)

	kick chan struct{}

	// turn serialises rounds with releases: a connection released while
	// a round renews it would otherwise be renewed after its release.
	turn sync.Mutex

	mu     sync.Mutex
	held   map[string]*Tenure
	leases map[string]Lease   // the last reading, with this replica's own takes
	ended  map[string]*Tenure // ended by EndAll, to be released
	once   sync.Once
}

func (k *Keeper) init() {
	k.once.Do(func() {
		if k.TTL <= 0 {
			k.TTL = DefaultTTL
		}
		if k.Now == nil {
			k.Now = time.Now
		}
		if k.Logger == nil {
			k.Logger = slog.New(slog.DiscardHandler)
		}
		if k.URL == nil {
			k.URL = func() string { return "" }
		}
		k.kick = make(chan struct{}, 1)
		k.held = map[string]*Tenure{}
		k.leases = map[string]Lease{}
	})
}

// margin is how long before the lease's end in the database the holder
// stops acting on its own: the clocks of the replicas may differ by that
// much.
func (k *Keeper) margin() time.Duration { return k.TTL / 5 }

// Run keeps the leases of the connections wanted returns (re-read every
// round) until ctx is done, a round every third of the lease time and
// at once after Kick. It does not release the leases when it returns:
// the caller stops what it runs for them, then calls ReleaseAll.
func (k *Keeper) Run(ctx context.Context, wanted func() []string) {
	k.init()
	t := time.NewTicker(k.TTL / 3)
	defer t.Stop()
	for {
		k.Round(ctx, wanted())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-k.kick:
		}
	}
}

// Kick asks for a round now (the set of connections changed).
func (k *Keeper) Kick() {
	k.init()
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// Round renews the leases held, gives up those no longer wanted, and
// tries to take the wanted ones that are free.
func (k *Keeper) Round(ctx context.Context, wanted []string) {
	k.init()
	k.turn.Lock()
	defer k.turn.Unlock()
	want := map[string]bool{}
	for _, n := range wanted {
		want[n] = true
	}
	rows, readErr := k.Store.ConnectionLeases(ctx)
	if readErr != nil {
		if ctx.Err() == nil {
			k.Logger.Error("read connection leases", "err", readErr)
		}
	} else {
		k.mu.Lock()
		k.leases = make(map[string]Lease, len(rows))
		for _, l := range rows {
			k.leases[l.Connection] = l
		}
		k.mu.Unlock()
	}
	k.mu.Lock()
	held := make(map[string]*Tenure, len(k.held))
	for n, t := range k.held {
		held[n] = t
	}
	k.mu.Unlock()
	for _, name := range sortedKeys(held) {
		t := held[name]
		if ctx.Err() != nil {
			return
		}
		if !want[name] {
			k.drop(name)
			k.release(ctx, name, t)
			continue
		}
		status := ""
		if k.Status != nil {
			status = k.Status(name)
		}
		start := k.Now()
		ok, err := k.Store.RenewConnection(ctx, name, k.Holder, t.fence, k.TTL, status)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			if t.expired() {
				k.Logger.Error("connection lease not renewed in time: stopping", "connection", name, "err", err)
				k.drop(name)
			} else {
				k.Logger.Warn("renew connection lease", "connection", name, "err", err)
			}
		case !ok:
			k.Logger.Warn("connection lease lost to another replica: stopping", "connection", name, "fence", t.fence)
			k.drop(name)
		default:
			t.extend(start.Add(k.TTL - k.margin()))
			k.mu.Lock()
			l := k.leases[name]
			l.Until, l.Status = start.Add(k.TTL), status
			k.leases[name] = l
			k.mu.Unlock()
		}
	}
	if readErr != nil {
		return
	}
	now := k.Now()
	for _, name := range wanted {
		if ctx.Err() != nil {
			return
		}
		k.mu.Lock()
		_, mine := k.held[name]
		l, exists := k.leases[name]
		k.mu.Unlock()
		if mine {
			continue
		}
		var from int64
		if exists && l.Live(now) && l.Holder != k.Holder {
			if k.Gone == nil || !k.Gone(l) {
				continue // another replica holds it
			}
			from = l.Fence
		}
		start := k.Now()
		got, ok, err := k.Store.AcquireConnection(ctx, name, k.Holder, k.URL(), k.TTL, from)
		if err != nil {
			if ctx.Err() == nil {
				k.Logger.Error("acquire connection lease", "connection", name, "err", err)
			}
			continue
		}
		if !ok {
			continue // another replica was quicker
		}
		t := newTenure(k.Holder, got.Fence, start.Add(k.TTL-k.margin()), k.Now)
		k.mu.Lock()
		k.held[name] = t
		k.leases[name] = got
		k.mu.Unlock()
		k.Logger.Info("holding connection", "connection", name, "fence", got.Fence, "previous", l.Holder)
		if k.Hold != nil {
			k.Hold(name, t)
		}
	}
}

// drop ends this replica's tenure of a connection and tells Drop.
func (k *Keeper) drop(name string) {
	k.mu.Lock()
	t := k.held[name]
	delete(k.held, name)
	k.mu.Unlock()
	if t == nil {
		return
	}
	t.end()
	if k.Drop != nil {
		k.Drop(name)
	}
}

func (k *Keeper) release(ctx context.Context, name string, t *Tenure) {
	if err := k.Store.ReleaseConnection(ctx, name, k.Holder, t.fence); err != nil {
		k.Logger.Warn("release connection lease", "connection", name, "err", err)
		return
	}
	k.mu.Lock()
	if l, ok := k.leases[name]; ok && l.Fence == t.fence {
		l.Until = time.Time{}
		k.leases[name] = l
	}
	k.mu.Unlock()
}

// Release gives up one connection now (it is being stopped for good, or
// restarted), calling Drop.
func (k *Keeper) Release(ctx context.Context, name string) {
	k.init()
	k.turn.Lock()
	defer k.turn.Unlock()
	k.mu.Lock()
	t := k.held[name]
	k.mu.Unlock()
	if t == nil {
		return
	}
	k.drop(name)
	k.release(ctx, name, t)
}

// EndAll ends every tenure (calling Drop), keeping the leases: the
// process is stopping, and ReleaseAll follows once what ran for them has
// stopped.
func (k *Keeper) EndAll() []string {
	k.init()
	k.turn.Lock()
	defer k.turn.Unlock()
	k.mu.Lock()
	names := sortedKeys(k.held)
	if k.ended == nil {
		k.ended = map[string]*Tenure{}
	}
	for _, n := range names {
		k.ended[n] = k.held[n]
	}
	k.mu.Unlock()
	for _, n := range names {
		k.drop(n)
	}
	return names
}

// ReleaseAll gives up the leases of the tenures EndAll ended, so that
// other replicas take the connections at once instead of waiting for the
// leases to expire.
func (k *Keeper) ReleaseAll(ctx context.Context) {
	k.init()
	k.turn.Lock()
	defer k.turn.Unlock()
	k.mu.Lock()
	ended := k.ended
	k.ended = nil
	k.mu.Unlock()
	for _, n := range sortedKeys(ended) {
		k.release(ctx, n, ended[n])
	}
}

// Holds lists the connections this replica holds, by name.
func (k *Keeper) Holds() []string {
	k.init()
	k.mu.Lock()
	defer k.mu.Unlock()
	return sortedKeys(k.held)
}

// Held reports whether this replica holds a connection.
func (k *Keeper) Held(name string) bool {
	k.init()
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.held[name]
	return ok
}

// Lease returns a connection's lease as last read (with this replica's
// own takes and renewals).
func (k *Keeper) Lease(name string) (Lease, bool) {
	k.init()
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.leases[name]
	return l, ok
}

// Refresh reads one connection's lease again (a forward to its holder
// failed: the holder may have changed since the last round).
func (k *Keeper) Refresh(ctx context.Context, name string) (Lease, bool) {
	k.init()
	rows, err := k.Store.ConnectionLeases(ctx)
	if err != nil {
		return k.Lease(name)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, l := range rows {
		if _, mine := k.held[l.Connection]; !mine {
			k.leases[l.Connection] = l
		}
	}
	l, ok := k.leases[name]
	return l, ok
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
