package app_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestTwoReplicasSendEachPushOnce runs two qunzhu serve processes on one
// PostgreSQL database, as a deployment with two replicas does. Pushes are
// planned into 40 groups; the schedulers of both hand due pushes over
// under a database lease, and both dispatchers deliver from the shared
// outbox. Every push reaches the bridge exactly once.
func TestTwoReplicasSendEachPushOnce(t *testing.T) {
	_, dsn := storetest.DSN(t, store.Postgres)
	rec := &receiver{keys: map[string]int{}}
	bridge := httptest.NewServer(rec)
	defer bridge.Close()
	var procs []*proc
	var admin string
	for i := range 2 {
		dir := t.TempDir()
		writeConfig(t, dir, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 200\nburst = 20\n[database]\nurl = %q", bridge.URL, dsn))
		// The first one migrates and sets the organisation up; the second
		// joins it.
		procs = append(procs, start(t, dir, "serve", "--migrate"))
		if i == 0 {
			tok, err := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
			if err != nil {
				t.Fatal(err)
			}
			admin = strings.TrimSpace(string(tok))
		}
	}
	a, b := procs[0], procs[1]
	const groups = 40
	planPushes(t, a.url, b.url, admin, groups)
	pushes := func() (n int, twice []string) {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for k, c := range rec.keys {
			if strings.HasPrefix(k, "push:") {
				n++
				if c > 1 {
					twice = append(twice, k)
				}
			}
		}
		return n, twice
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n, _ := pushes(); n == groups {
			break
		}
		if time.Now().After(deadline) {
			n, _ := pushes()
			t.Fatalf("%d of %d pushes arrived\n%s\n%s", n, groups, a.stderr, b.stderr)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(6 * time.Second) // another scheduler round on each replica
	if n, twice := pushes(); n != groups || len(twice) > 0 {
		t.Fatalf("%d pushes, sent more than once: %v", n, twice)
	}
	a.stop(t)
	b.stop(t)
}
