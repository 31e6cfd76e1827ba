package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// TestPushesAndQuietWindow: a rule set's [pushes] caps, inherited field by
// field, and its quiet hours as the window pushes keep to.
func TestPushesAndQuietWindow(t *testing.T) {
	owners, err := Preset("owners")
	if err != nil {
		t.Fatal(err)
	}
	w, loc, ok := owners.Quiet.Window()
	if !ok || w != (community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}) || loc == nil {
		t.Fatalf("the owners' quiet hours: %v %v %v", w, loc, ok)
	}
	if at := time.Date(2026, 11, 25, 23, 45, 0, 0, loc); w.Allows(at, loc) {
		t.Fatal("23:45 allowed in the owners' group")
	}
	if _, _, ok := Default().Quiet.Window(); ok {
		t.Fatal("the academy's preset has quiet hours")
	}
	node, err := ParseRuleSet("node.toml", []byte("[pushes]\nper_day = 2\nmin_gap = \"3h\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	group, err := ParseRuleSet("group.toml", []byte("[pushes]\nper_day = 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := Merge(owners, node)
	final, err := Merge(a, group)
	if err != nil {
		t.Fatal(err)
	}
	if final.Pushes.PerDay != 1 || time.Duration(final.Pushes.MinGap) != 3*time.Hour {
		t.Fatalf("merged pushes: %+v", final.Pushes)
	}
	if _, _, ok := final.Quiet.Window(); !ok {
		t.Fatal("the quiet hours were lost in the merge")
	}
	for src, want := range map[string]string{
		"[pushes]\nper_day = -1\n":        "r.toml:2: per_day -1",
		"[pushes]\nper_day = 99\n":        "want 1 to 24",
		"[pushes]\nmin_gap = \"30h\"\n":   "r.toml:2: min_gap `30h0m0s`",
		"[pushes]\nmin_gap = \"soon\"\n":  "r.toml:2:",
		"[pushes]\nevery = \"morning\"\n": "unknown setting `pushes.every`",
	} {
		if _, err := ParseRuleSet("r.toml", []byte(src)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseRuleSet(%q) = %v, want %q", src, err, want)
		}
	}
}
