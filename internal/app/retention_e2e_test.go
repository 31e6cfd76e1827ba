package app_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRetentionWhileServing: the service applies [retention] on its own,
// under the scheduler's lease: an action for a bridge that pulls its
// actions and never does is given up, marked dead with the reason, and
// no longer offered to the bridge.
func TestRetentionWhileServing(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "[retention]\npulled = \"1s\"\nevery = \"1s\"\n")
	p := start(t, dir, "serve", "--migrate")
	join := fmt.Sprintf(`[{"id":"j1","type":"member_joined","group":"g1","time":%q,"sender":{"id":"u1","name":"李四"}}]`, time.Now().Format(time.RFC3339))
	if code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, join); code != 200 || res["accepted"] != 1.0 {
		t.Fatalf("post a join: %d %v", code, res)
	}
	if _, res := call(t, "GET", p.url+"/api/v1/actions", bridgeToken, ""); len(res["actions"].([]any)) == 0 {
		t.Fatalf("the join queued no action for the bridge: %v", res)
	}
	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "qunzhu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		var dead, pending int
		var reason string
		db.QueryRow("SELECT COUNT(*), COALESCE(MAX(last_error), '') FROM outbox WHERE status = 'dead'").Scan(&dead, &reason)
		db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status = 'pending'").Scan(&pending)
		if dead > 0 && pending == 0 {
			if !strings.Contains(reason, "not pulled by the bridge within 1s") {
				t.Fatalf("the given-up action says %q", reason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s: %d dead, %d pending actions\n%s", dead, pending, p.stderr)
		}
	}
	if _, res := call(t, "GET", p.url+"/api/v1/actions", bridgeToken, ""); len(res["actions"].([]any)) != 0 {
		t.Fatalf("the bridge is still offered given-up actions: %v", res)
	}
}
