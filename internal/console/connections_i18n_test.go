package console

import (
	"os"
	"regexp"
	"testing"
)

// TestConnectionTranslations: every key the connections pages build from
// a platform, a state, a field or a reason has both languages, and so has
// every key connections.go names.
func TestConnectionTranslations(t *testing.T) {
	keys := map[string]bool{"platform_sim": true, "conn_add": true}
	for _, p := range connPlatforms {
		for _, k := range []string{"platform_", "conn_add_", "conn_about_", "conn_intro_", "setup_hint_"} {
			keys[k+p] = true
		}
		for _, f := range connForms[p] {
			keys["cf_"+p+"_"+f.Key], keys["cfh_"+p+"_"+f.Key] = true, true
			for _, c := range f.Choices {
				keys["cfo_"+c] = true
			}
		}
	}
	for _, st := range []string{ConnOK, ConnProblem, ConnStopped, ConnWaiting, ConnStarting, ConnBroken, ConnClash} {
		keys["connst_"+st] = true
	}
	for _, src := range []string{"file", "console"} {
		keys["conn_src_"+src] = true
	}
	for _, step := range []string{"connect", "add_bot", "kind", "staff"} {
		keys["setup_"+step] = true
	}
	for _, k := range []string{"access_token", "token", "secret"} { // what the service generates
		keys["cf_secret_"+k] = true
	}
	// The reasons the service gives (internal/app/connadmin.go).
	for _, r := range []string{"platform", "name", "name_taken", "name_file", "required", "invalid", "token_refused", "unreachable", "https", "no_secret"} {
		keys["conn_err_"+r] = true
	}
	src, err := os.ReadFile("connections.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`T\(\w+(?:\(r\))?, "(\w+)"\)|Key: "(flash_\w+)"|"(conn_confirm_\w+)"|"(flash_conn_\w+)"`).FindAllStringSubmatch(string(src), -1) {
		for _, k := range m[1:] {
			if k != "" {
				keys[k] = true
			}
		}
	}
	if len(keys) < 80 {
		t.Fatalf("only %d keys: the pattern no longer matches", len(keys))
	}
	for k := range keys {
		if m, ok := messages[k]; !ok || m[0] == "" || m[1] == "" {
			t.Errorf("key %q lacks a translation", k)
		}
	}
}
