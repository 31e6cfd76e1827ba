package app_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var profilesRE = regexp.MustCompile(`profiles served.*addr=(http://\S+/debug/pprof/)`)

// TestDebugListener: server.debug_addr serves Go's profiles on a listener
// of its own, never on the public address; /metrics tells the process's
// goroutines and memory (what a soak samples).
func TestDebugListener(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	cfg, _ := os.ReadFile(filepath.Join(dir, "qunzhu.toml"))
	cfg = []byte(strings.Replace(string(cfg), "[server]\n", "[server]\ndebug_addr = \"127.0.0.1:0\"\n", 1))
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	p := start(t, dir, "serve", "--migrate")
	var profiles string
	waitFor(t, "the profiles' address in the log", 30*time.Second, func() bool {
		m := profilesRE.FindStringSubmatch(p.stderr.String())
		if m != nil {
			profiles = m[1]
		}
		return m != nil
	})
	if code, out := call(t, "GET", profiles+"goroutine?debug=1", "", ""); code != 200 || !strings.Contains(out["raw"].(string), "goroutine profile") {
		t.Fatalf("%sgoroutine: %d %.200v", profiles, code, out)
	}
	if code, _ := call(t, "GET", p.url+"/debug/pprof/", "", ""); code == 200 {
		t.Fatal("the public address serves the profiles")
	}
	code, out := call(t, "GET", p.url+"/metrics", "", "")
	for _, m := range []string{"go_goroutines ", "go_memstats_heap_inuse_bytes ", "process_resident_memory_bytes "} {
		if code != 200 || !strings.Contains(out["raw"].(string), "\n"+m) {
			t.Errorf("/metrics (%d) lacks %s", code, m)
		}
	}
	p.stop(t)
}
