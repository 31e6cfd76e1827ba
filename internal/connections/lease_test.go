package connections_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/connections"
)

// memLeases is the lease table in memory, with the store's rules.
type memLeases struct {
	mu   sync.Mutex
	now  func() time.Time
	rows map[string]connections.Lease
	down bool // every call fails, as with the database unreachable
}

var errDown = errors.New("database unreachable")

func (m *memLeases) ConnectionLeases(context.Context) ([]connections.Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return nil, errDown
	}
	var out []connections.Lease
	for _, l := range m.rows {
		out = append(out, l)
	}
	return out, nil
}

func (m *memLeases) AcquireConnection(_ context.Context, conn, holder, url string, ttl time.Duration, from int64) (connections.Lease, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return connections.Lease{}, false, errDown
	}
	now := m.now()
	l, ok := m.rows[conn]
	if ok && !l.Until.Before(now) && l.Holder != holder && (from == 0 || l.Fence != from) {
		return connections.Lease{}, false, nil
	}
	l = connections.Lease{Connection: conn, Holder: holder, HolderURL: url, Fence: l.Fence + 1, Until: now.Add(ttl), Since: now}
	m.rows[conn] = l
	return l, true, nil
}

func (m *memLeases) RenewConnection(_ context.Context, conn, holder string, fence int64, ttl time.Duration, status string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return false, errDown
	}
	l, ok := m.rows[conn]
	if !ok || l.Holder != holder || l.Fence != fence {
		return false, nil
	}
	l.Until, l.Status = m.now().Add(ttl), status
	m.rows[conn] = l
	return true, nil
}

func (m *memLeases) ReleaseConnection(_ context.Context, conn, holder string, fence int64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errDown
	}
	if l, ok := m.rows[conn]; ok && l.Holder == holder && l.Fence == fence {
		l.Until = time.Time{}
		m.rows[conn] = l
	}
	return nil
}

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// replica is a keeper with a record of what it was told.
type replica struct {
	k       *connections.Keeper
	mu      sync.Mutex
	tenures map[string]*connections.Tenure
	events  []string
}

func newReplica(id string, store connections.Leases, c *clock) *replica {
	r := &replica{tenures: map[string]*connections.Tenure{}}
	r.k = &connections.Keeper{Store: store, Holder: id, TTL: 15 * time.Second, Now: c.now,
		URL: func() string { return "http://" + id },
		Hold: func(name string, t *connections.Tenure) {
			r.mu.Lock()
			r.tenures[name] = t
			r.events = append(r.events, "hold "+name)
			r.mu.Unlock()
		},
		Drop: func(name string) { r.mu.Lock(); r.events = append(r.events, "drop "+name); r.mu.Unlock() }}
	return r
}

func (r *replica) acting(name string) bool {
	r.mu.Lock()
	t := r.tenures[name]
	r.mu.Unlock()
	if t == nil {
		return false
	}
	_, _, ok := t.Fence()
	return ok
}

func TestKeeperOneHolderAndTakeover(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	db := &memLeases{now: c.now, rows: map[string]connections.Lease{}}
	a, b, d := newReplica("a-1", db, c), newReplica("b-2", db, c), newReplica("c-3", db, c)
	want := []string{"qq", "tg"}
	for _, r := range []*replica{a, b, d} {
		r.k.Round(ctx, want)
	}
	if got := a.k.Holds(); !slices.Equal(got, want) || len(b.k.Holds())+len(d.k.Holds()) != 0 {
		t.Fatalf("holds: a %v, b %v, c %v; want a to hold both", got, b.k.Holds(), d.k.Holds())
	}
	if l, _ := b.k.Lease("tg"); l.Holder != "a-1" || l.HolderURL != "http://a-1" || l.Fence != 1 {
		t.Fatalf("b sees the lease %+v", l)
	}
	// a renews every round; the others leave it alone.
	for range 6 {
		c.add(5 * time.Second)
		for _, r := range []*replica{a, b, d} {
			r.k.Round(ctx, want)
		}
	}
	if !a.acting("tg") || len(b.k.Holds()) != 0 {
		t.Fatalf("after renewals: a acting %v, b holds %v", a.acting("tg"), b.k.Holds())
	}
	// a dies: its lease expires 15s after its last renewal; b and c try
	// every 5s, and the first to find it expired takes it, with a new
	// fence.
	c.add(10 * time.Second)
	b.k.Round(ctx, want)
	d.k.Round(ctx, want)
	if len(b.k.Holds())+len(d.k.Holds()) != 0 {
		t.Fatal("the lease was taken before it expired")
	}
	c.add(5*time.Second + time.Millisecond)
	b.k.Round(ctx, want)
	d.k.Round(ctx, want)
	if got := b.k.Holds(); !slices.Equal(got, want) || len(d.k.Holds()) != 0 {
		t.Fatalf("after expiry: b holds %v, c %v", got, d.k.Holds())
	}
	if l := db.rows["tg"]; l.Holder != "b-2" || l.Fence != 2 {
		t.Fatalf("lease after the takeover: %+v", l)
	}
	// a was not dead but stalled (a long pause): it comes back, its
	// renewal finds the fence moved on, and it stops.
	if a.acting("tg") {
		t.Fatal("a still acts for tg after its deadline")
	}
	a.k.Round(ctx, want)
	if len(a.k.Holds()) != 0 || !slices.Contains(a.events, "drop tg") {
		t.Fatalf("a after the takeover: holds %v, events %v", a.k.Holds(), a.events)
	}
}

func TestKeeperStopsAtItsDeadlineWhenTheDatabaseIsGone(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	db := &memLeases{now: c.now, rows: map[string]connections.Lease{}}
	a := newReplica("a-1", db, c)
	a.k.Round(ctx, []string{"tg"})
	if !a.acting("tg") {
		t.Fatal("a does not act for tg")
	}
	db.down = true
	c.add(11 * time.Second)
	a.k.Round(ctx, []string{"tg"})
	if !a.acting("tg") || len(a.k.Holds()) != 1 {
		t.Fatal("a stopped before its deadline")
	}
	// The deadline is a fifth of the lease time before the lease's end:
	// 12s after the last renewal, while another replica may take over
	// only after 15s.
	c.add(time.Second + time.Millisecond)
	if a.acting("tg") {
		t.Fatal("a acts for tg past its deadline")
	}
	a.k.Round(ctx, []string{"tg"})
	if len(a.k.Holds()) != 0 {
		t.Fatalf("a still holds %v", a.k.Holds())
	}
}

func TestKeeperReleaseAndGone(t *testing.T) {
	ctx := context.Background()
	c := &clock{t: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)}
	db := &memLeases{now: c.now, rows: map[string]connections.Lease{}}
	a, b := newReplica("a-1", db, c), newReplica("b-2", db, c)
	a.k.Round(ctx, []string{"tg", "qq"})
	// A connection a no longer wants (deleted, disabled) is released at
	// once: b takes it in its next round without waiting.
	a.k.Round(ctx, []string{"tg"})
	b.k.Round(ctx, []string{"tg", "qq"})
	if !slices.Equal(b.k.Holds(), []string{"qq"}) || !slices.Equal(a.k.Holds(), []string{"tg"}) {
		t.Fatalf("after a let qq go: a %v, b %v", a.k.Holds(), b.k.Holds())
	}
	// Stopping: a ends its tenures, stops, releases.
	if ended := a.k.EndAll(); !slices.Equal(ended, []string{"tg"}) || a.acting("tg") {
		t.Fatalf("EndAll: %v, still acting %v", ended, a.acting("tg"))
	}
	a.k.ReleaseAll(ctx)
	b.k.Round(ctx, []string{"tg", "qq"})
	if !slices.Equal(b.k.Holds(), []string{"qq", "tg"}) {
		t.Fatalf("after a released: b %v", b.k.Holds())
	}
	// b's process dies; a replica that knows it is gone (same host, no
	// such process) takes its leases before they expire, fencing it off.
	g := newReplica("a-9", db, c)
	g.k.Gone = func(l connections.Lease) bool { return l.Holder == "b-2" }
	g.k.Round(ctx, []string{"tg", "qq"})
	if !slices.Equal(g.k.Holds(), []string{"qq", "tg"}) {
		t.Fatalf("the replica that knows b is gone holds %v", g.k.Holds())
	}
	if l := db.rows["tg"]; l.Fence != 3 || l.Holder != "a-9" {
		t.Fatalf("tg after taking it from b: %+v", l)
	}
	b.k.Round(ctx, []string{"tg", "qq"})
	if len(b.k.Holds()) != 0 {
		t.Fatalf("b kept %v after being fenced off", b.k.Holds())
	}
	// A replica restarted under the same id takes its own lease back.
	again := newReplica("a-9", db, c)
	again.k.Round(ctx, []string{"tg"})
	if !slices.Equal(again.k.Holds(), []string{"tg"}) {
		t.Fatalf("the restarted replica holds %v", again.k.Holds())
	}
}

func TestMaskAndNames(t *testing.T) {
	for in, want := range map[string]string{"": "", "short": "••••", "123456789:AAEabcdefghijklmnopqrstuvwxyz012345": "••••2345", "中文秘密中文秘密中文秘密": "••••中文秘密"} {
		if got := connections.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
	d := connections.Def{Token: "bridge-token-0123456789", PushURL: "https://bridge.example/push", Options: map[string]string{"bot_token": "123456789:AAEabcdefghijklmnopqrstuvwxyz012345", "mode": "polling"}}
	m := d.Masked()
	if m["token"] != "••••6789" || m["bot_token"] != "••••2345" || m["mode"] != "polling" || m["push_url"] != "https://bridge.example/push" {
		t.Fatalf("masked: %v", m)
	}
	for _, bad := range []string{"", "Tg", "-tg", "a b", "abcdefghijklmnopqrstuvwxyz0123456"} {
		if connections.CheckName(bad) == nil {
			t.Errorf("name %q accepted", bad)
		}
	}
	if host, pid, ok := connections.SplitReplicaID(connections.ReplicaID("web-1", 42)); !ok || host != "web-1" || pid != 42 {
		t.Fatalf("split: %q %d %v", host, pid, ok)
	}
	if _, _, ok := connections.SplitReplicaID("replica-a"); ok {
		t.Fatal("a configured id read as host-pid")
	}
}
