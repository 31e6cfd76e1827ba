package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// The fault tests run the real binary and break what it stands on: its
// database restarted under it, a replica killed in the middle of sending
// pushes, a platform refusing for a long while. They assert what must
// hold whatever the timing — no acknowledged event lost, none stored
// twice, every action delivered, a push once (at least once with its
// idempotency key, twice only if it was in flight when its sender died)
// — and allow a busy machine generous time for everything.

// stream posts member_joined events, one a request, from workers clients
// (each pausing pace between events) to the urls in turn until ctx is
// done, as a bridge does: a request that
// failed is sent again with the same event until it is acknowledged (or
// the stream ends). Once ctx is done and every worker has stopped, the
// function returned gives the acknowledged event ids and how many
// requests failed.
func stream(ctx context.Context, urls []string, workers int, pace time.Duration) func() (map[string]bool, int) {
	var mu sync.Mutex
	acked := map[string]bool{}
	failed := 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: 30 * time.Second}
			for i := 0; ctx.Err() == nil; i++ {
				time.Sleep(pace)
				id := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`[{"id":%q,"type":"member_joined","group":"g%d","time":%q,"sender":{"id":"u-%s","name":"成员%s"}}]`,
					id, i%7, time.Now().Format(time.RFC3339Nano), id, id)
				for try := 0; ctx.Err() == nil; try++ {
					req, _ := http.NewRequestWithContext(ctx, "POST", urls[(i+try)%len(urls)]+"/api/v1/events", strings.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+bridgeToken)
					resp, err := cl.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 {
							mu.Lock()
							acked[id] = true
							mu.Unlock()
							break
						}
					}
					mu.Lock()
					failed++
					mu.Unlock()
					time.Sleep(100 * time.Millisecond)
				}
			}
		}()
	}
	return func() (map[string]bool, int) {
		wg.Wait()
		return acked, failed
	}
}

// waitStored waits until the count query q says n or more.
func waitStored(t *testing.T, db *sql.DB, q string, n int, within time.Duration) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d events stored", n), within, func() bool {
		var got int
		return db.QueryRow(q).Scan(&got) == nil && got >= n
	})
}

// checkIngested: every acknowledged event stored once, one membership
// per stored join, and (once delivered) every committed action received
// by the bridge.
func checkIngested(t *testing.T, db *sql.DB, acked map[string]bool, rec *receiver, within time.Duration) {
	t.Helper()
	stored := storedEvents(t, db)
	for id := range acked {
		if stored[id] != 1 {
			t.Errorf("acknowledged event %s stored %d times", id, stored[id])
		}
	}
	for id, n := range stored {
		if n != 1 {
			t.Errorf("event %s stored %d times", id, n)
		}
	}
	var members int
	if err := db.QueryRow("SELECT COUNT(*) FROM memberships").Scan(&members); err != nil {
		t.Fatal(err)
	}
	if members != len(stored) {
		t.Errorf("%d memberships for %d stored joins", members, len(stored))
	}
	waitFor(t, "every committed action delivered", within, func() bool {
		var pending int
		return db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status <> 'done'").Scan(&pending) == nil && pending == 0
	})
	rows, err := db.Query("SELECT idem_key FROM outbox")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for rows.Next() {
		var k string
		rows.Scan(&k)
		n++
		if rec.keys[k] == 0 {
			t.Errorf("action %s marked done but never received", k)
		}
	}
	t.Logf("%d acknowledged events, %d stored, %d actions delivered", len(acked), len(stored), n)
}

// storedEvents counts the stored events of the connection wx by id.
func storedEvents(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	stored := map[string]int{}
	rows, err := db.Query("SELECT external_id FROM events WHERE connection = 'wx'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		stored[id]++
	}
	return stored
}

// ownPostgres starts a PostgreSQL server of the test's own (the shared
// one is never restarted) with the project's .ci/start-postgres, on a free
// port; it returns the URL and a function that restarts the server. The
// test is skipped where PostgreSQL tests are (no QUNZHU_TEST_POSTGRES).
func ownPostgres(t *testing.T) (string, func()) {
	t.Helper()
	if os.Getenv(storetest.EnvPostgres) == "" {
		storetest.DSN(t, store.Postgres) // skips, or fails in CI
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	dir, err := os.MkdirTemp("", "qunzhu-faults-pg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	out, err := exec.Command("../../.ci/start-postgres", strconv.Itoa(port), dir).Output()
	if err != nil {
		t.Fatalf("start a PostgreSQL server of the test's own: %v", err)
	}
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_ctl")
	if len(bins) == 0 {
		t.Fatal("no pg_ctl")
	}
	pgctl := func(args ...string) *exec.Cmd {
		args = append([]string{"-D", filepath.Join(dir, "data")}, args...)
		if os.Getuid() == 0 {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", bins[len(bins)-1]}, args...)...)
		}
		return exec.Command(bins[len(bins)-1], args...)
	}
	t.Cleanup(func() {
		pgctl("stop", "-m", "immediate").Run()
		os.RemoveAll(dir)
	})
	restart := func() {
		if out, err := pgctl("restart", "-m", "fast", "-w", "-l", filepath.Join(dir, "log")).CombinedOutput(); err != nil {
			t.Fatalf("restart PostgreSQL: %v\n%s", err, out)
		}
	}
	return strings.TrimSpace(string(out)), restart
}

// TestPostgresRestartedMidIngest restarts the database under a replica
// while bridges stream joins into it. Requests fail while it is down (and
// are sent again, as bridges do); qunzhu reconnects by itself, without a
// restart. Every acknowledged event is stored once, each join makes one
// membership, and every welcome committed is delivered.
func TestPostgresRestartedMidIngest(t *testing.T) {
	dsn, restart := ownPostgres(t)
	rec := &receiver{keys: map[string]int{}}
	bridge := httptest.NewServer(rec)
	defer bridge.Close()
	reps, _ := startReplicasWith(t, 1, dsn, 5*time.Second, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 300\nburst = 20\n", bridge.URL))
	db := openPostgres(t, dsn)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acked := stream(ctx, []string{reps[0].p.url}, 4, 0)
	const count = "SELECT COUNT(*) FROM events"
	waitStored(t, db, count, 200, 60*time.Second)
	restart()
	t.Log("PostgreSQL restarted")
	before := 0
	waitFor(t, "the database back", 60*time.Second, func() bool { return db.QueryRow(count).Scan(&before) == nil })
	waitStored(t, db, count, before+200, 90*time.Second) // ingest goes on after the restart
	cancel()
	got, failed := acked()
	t.Logf("%d requests failed and were sent again", failed)
	checkIngested(t, db, got, rec, 90*time.Second)
	if len(got) < 400 {
		t.Errorf("only %d events acknowledged", len(got))
	}
	reps[0].p.stop(t)
}

// slowBridge is a bridge that takes its time over each push and records
// every request's idempotency key in arrival order.
type slowBridge struct {
	receiver
	delay   time.Duration
	mu2     sync.Mutex
	arrived []string
}

func (s *slowBridge) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	s.mu2.Lock()
	s.arrived = append(s.arrived, req.Header.Get("Idempotency-Key"))
	s.mu2.Unlock()
	time.Sleep(s.delay)
	s.receiver.ServeHTTP(w, req)
}

// TestReplicaKilledWhileSendingPushes: two replicas on PostgreSQL, a push
// planned into 40 groups, a bridge that takes 150 ms over each. When some
// pushes have arrived, the replica holding the bridge (the only one that
// sends through it) is killed with SIGKILL. The other takes the
// connection over and sends the rest. Every push arrives; one arrives a
// second time only if it had reached the bridge before the kill (the dead
// replica could not mark it sent; its idempotency key lets the bridge
// drop it), and none arrives more than twice.
func TestReplicaKilledWhileSendingPushes(t *testing.T) {
	_, dsn := storetest.DSN(t, store.Postgres)
	br := &slowBridge{receiver: receiver{keys: map[string]int{}}, delay: 150 * time.Millisecond}
	srv := httptest.NewServer(br)
	defer srv.Close()
	reps, admin := startReplicasWith(t, 2, dsn, 3*time.Second, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 5\nburst = 2\n", srv.URL))
	db := openPostgres(t, dsn)
	const groups = 40
	planPushes(t, reps[0].p.url, reps[1].p.url, admin, groups)

	pushes := func() (keys map[string]int) {
		br.mu.Lock()
		defer br.mu.Unlock()
		keys = map[string]int{}
		for k, c := range br.keys {
			if strings.HasPrefix(k, "push:") {
				keys[k] = c
			}
		}
		return keys
	}
	waitFor(t, "the first pushes", 60*time.Second, func() bool { return len(pushes()) >= 3 })
	h := holder(t, db, "wx")
	var victim, survivor *replica
	for _, r := range reps {
		if r.id == h {
			victim = r
		} else {
			survivor = r
		}
	}
	if victim == nil {
		t.Fatalf("no replica holds wx (holder %q)", h)
	}
	victim.p.cmd.Process.Signal(syscall.SIGKILL)
	<-victim.p.done
	victim.p.done <- nil
	br.mu2.Lock()
	before := map[string]bool{}
	for _, k := range br.arrived {
		before[k] = true
	}
	br.mu2.Unlock()
	n := 0
	for k := range before {
		if strings.HasPrefix(k, "push:") {
			n++
		}
	}
	t.Logf("%s killed with %d pushes arrived or arriving; %s goes on", victim.id, n, survivor.id)
	if n == groups {
		t.Log("every push had arrived before the kill: nothing was left to take over")
	}
	waitFor(t, "every push", 90*time.Second, func() bool { return len(pushes()) == groups })
	time.Sleep(4 * time.Second) // a scheduler round and a dispatcher poll or two more
	for k, c := range pushes() {
		switch {
		case c > 2:
			t.Errorf("push %s arrived %d times", k, c)
		case c == 2 && !before[k]:
			t.Errorf("push %s arrived twice, and not because it was in flight when its sender died", k)
		}
	}
	var pending int
	if err := db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status <> 'done' AND idem_key LIKE 'push:%'").Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d pushes not done in the outbox (%v)", pending, err)
	}
	survivor.p.stop(t)
}

// planPushes writes a script, approves it (one admin: a team of one) and
// plans it as a push due now into every group, after the groups' first
// messages; posts go to a, the console's requests to b.
func planPushes(t *testing.T, a, b, admin string, groups int) {
	t.Helper()
	var evs []string
	for i := range groups {
		evs = append(evs, fmt.Sprintf(`{"id":"m%d","type":"message","group":"g%d","time":%q,"sender":{"id":"u%d"},"message":{"id":"x%d","kind":"text","text":"早上好"}}`,
			i, i, time.Now().Add(-time.Hour).Format(time.RFC3339), i, i))
	}
	if code, out := call(t, "POST", b+"/api/v1/events", bridgeToken, "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := call(t, "POST", a+"/api/v1/scripts", admin, `{"title":"晚高峰","body":"今天的复盘：\n一、选品\n二、定价\n大家怎么看？"}`)
	id := int(out["id"].(float64))
	if code, out := call(t, "PUT", b+"/api/v1/settings/content", admin, `{"self_approval":true}`); code != 200 {
		t.Fatalf("allow self-approval: %d %v", code, out)
	}
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}, {"approved", "reviewer"}} {
		if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/scripts/%d/transitions", b, id), admin, fmt.Sprintf(`{"to":%q,"role":%q}`, step[0], step[1])); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	code, out := call(t, "POST", a+"/api/v1/pushes", admin, fmt.Sprintf(`{"script_id":%d,"kind":"custom","at":%q}`, id, time.Now().Add(-time.Minute).Format(time.RFC3339)))
	if ps, _ := out["pushes"].([]any); code != 201 || len(ps) != groups {
		t.Fatalf("plan: %d %v", code, out)
	}
}

// refusingBridge answers 429 (with Retry-After) and 503 in turn until it
// is told to recover, then takes every push.
type refusingBridge struct {
	receiver
	mu2     sync.Mutex
	refuse  bool
	refused int
}

func (r *refusingBridge) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu2.Lock()
	refuse := r.refuse
	if refuse {
		r.refused++
	}
	n := r.refused
	r.mu2.Unlock()
	switch {
	case refuse && n%2 == 0:
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	case refuse:
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
	default:
		r.receiver.ServeHTTP(w, req)
	}
}

// TestPlatformRefusingForLong: the bridge answers 429 and 503 for 25
// seconds while joins stream in — with the dispatcher's backoff scaled
// down (100 ms doubling to 2 s) that is a dozen retries of each action,
// as minutes are with the defaults (1 s doubling to 10 min: twelve
// attempts span about half an hour). Ingest goes on meanwhile; nothing is
// given up; when the platform recovers every action is delivered, each
// once.
func TestPlatformRefusingForLong(t *testing.T) {
	dir := t.TempDir()
	br := &refusingBridge{receiver: receiver{keys: map[string]int{}}, refuse: true}
	srv := httptest.NewServer(br)
	defer srv.Close()
	writeConfig(t, dir, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 1000\nburst = 50\n", srv.URL))
	cfg, _ := os.ReadFile(filepath.Join(dir, "qunzhu.toml"))
	cfg = []byte(strings.Replace(string(cfg), "backoff_base = \"50ms\"\n", "backoff_base = \"100ms\"\nbackoff_max = \"2s\"\nmax_attempts = 40\n", 1))
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "serve", "--migrate")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	acked := stream(ctx, []string{p.url}, 2, 20*time.Millisecond)
	time.Sleep(25 * time.Second)
	cancel()
	got, _ := acked()
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "qunzhu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Refused, not delivered: nothing may be marked done yet.
	var done int
	if err := db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status = 'done'").Scan(&done); err != nil || done != 0 {
		t.Fatalf("%d actions marked delivered while the bridge refused them all (%v)", done, err)
	}
	br.mu2.Lock()
	br.refuse = false
	refused := br.refused
	br.mu2.Unlock()
	if refused < 10 {
		t.Fatalf("the bridge refused only %d pushes", refused)
	}
	var gaveUp int
	checkIngested(t, db, got, &br.receiver, 120*time.Second)
	if err := db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status = 'dead'").Scan(&gaveUp); err != nil || gaveUp != 0 {
		t.Errorf("%d actions given up (%v)", gaveUp, err)
	}
	br.mu.Lock()
	for k, c := range br.keys {
		if c != 1 {
			t.Errorf("action %s delivered %d times", k, c)
		}
	}
	br.mu.Unlock()
	t.Logf("%d refusals", refused)
	p.stop(t)
}
