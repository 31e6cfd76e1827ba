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
	var evs []string
	for i := range groups {
		evs = append(evs, fmt.Sprintf(`{"id":"m%d","type":"message","group":"g%d","time":%q,"sender":{"id":"u%d"},"message":{"id":"x%d","kind":"text","text":"早上好"}}`,
			i, i, time.Now().Add(-time.Hour).Format(time.RFC3339), i, i))
	}
	if code, out := call(t, "POST", b.url+"/api/v1/events", bridgeToken, "["+strings.Join(evs, ",")+"]"); code != 200 {
		t.Fatalf("events: %d %v", code, out)
	}
	_, out := call(t, "POST", a.url+"/api/v1/scripts", admin, `{"title":"晚高峰","body":"今天的复盘：\n一、选品\n二、定价\n大家怎么看？"}`)
	id := int(out["id"].(float64))
	// One admin token writes and approves: a team of one.
	if code, out := call(t, "PUT", b.url+"/api/v1/settings/content", admin, `{"self_approval":true}`); code != 200 {
		t.Fatalf("allow self-approval: %d %v", code, out)
	}
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}, {"approved", "reviewer"}} {
		if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/scripts/%d/transitions", b.url, id), admin, fmt.Sprintf(`{"to":%q,"role":%q}`, step[0], step[1])); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	code, out := call(t, "POST", a.url+"/api/v1/pushes", admin, fmt.Sprintf(`{"script_id":%d,"kind":"custom","at":%q}`, id, time.Now().Add(-time.Minute).Format(time.RFC3339)))
	if ps, _ := out["pushes"].([]any); code != 201 || len(ps) != groups {
		t.Fatalf("plan: %d %v", code, out)
	}
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
