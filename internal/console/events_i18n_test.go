package console

import (
	"regexp"
	"testing"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
)

// TestEventsHealthKeys: every message key the events and health pages name
// in Go — including those passed to helpers, which TestTranslations does
// not see — and every state they build a key from has both languages.
func TestEventsHealthKeys(t *testing.T) {
	quoted := regexp.MustCompile(`"((?:ev|flash|why|purge|pm|confirm|err|snooze|alert)_\w+)"`)
	keys := map[string]bool{}
	for _, f := range []string{"events.go", "healthpage.go", "health.go"} {
		src, err := readSource(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range quoted.FindAllStringSubmatch(src, -1) {
			keys[m[1]] = true
		}
	}
	if len(keys) < 30 {
		t.Fatalf("found only %d keys: the pattern no longer matches the sources", len(keys))
	}
	for _, k := range []string{analytics.AlertDormant, analytics.AlertDying, analytics.AlertDead, analytics.AlertCoreQuiet} {
		keys["why_"+k], keys["alert_"+k] = true, true
	}
	for _, st := range []string{community.PurgeExcluded, community.PurgeNamed, community.PurgeKept, community.PurgeSpoke, community.PurgeLeft, community.PurgeRemoved} {
		keys["pm_"+st] = true
	}
	for _, st := range append(attentionStates, analytics.GroupHealthy) {
		keys["hs_"+string(st)] = true
	}
	for k := range keys {
		if m, ok := messages[k]; !ok || m[0] == "" || m[1] == "" {
			t.Errorf("key %q lacks a translation", k)
		}
	}
}
