package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	// Make the change visible to a size-and-time fingerprint even within
	// one clock tick.
	later := time.Now().Add(time.Duration(len(body)) * time.Millisecond)
	os.Chtimes(path, later, later)
}

func TestRegistry(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	writeFile(t, filepath.Join(dir, "default.toml"), "name = \"我们的群规\"\ndictionaries = [\"words.txt\"]\n[categories]\ngroupbuy = \"warn\"\n")
	writeFile(t, filepath.Join(dir, "words.txt"), "团购接龙\tgroupbuy\n")
	writeFile(t, filepath.Join(dir, "nodes", "2.toml"), "[quiet]\nallow = \"07:00-22:00\"\n")
	writeFile(t, filepath.Join(dir, "groups", "9.toml"), "[banned]\nvideo = \"delete\"\n")
	parents := map[int64]int64{2: 1, 3: 2}
	e := NewEngine(nil, nil)
	r, err := NewRegistry(ctx, dir, nil, e, func(context.Context) (map[int64]int64, error) { return parents, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := community.Group{ID: 9, NodeID: 3, Kind: community.KindCohort}
	rs := r.For(g)
	if rs.Name != "我们的群规" || rs.Quiet.Allow != "07:00-22:00" || rs.Banned["video"] != Delete || rs.Banned["voice"] != Delete || rs.Categories["vote"] != Kick {
		t.Fatalf("effective rules: %+v", rs)
	}
	if other := r.For(community.Group{ID: 10, NodeID: 1}); other.Quiet.Allow != "" || other.Banned["video"] != "" {
		t.Fatalf("a group outside the node inherited its rules: %+v", other)
	}
	if owners := r.For(community.Group{ID: 11, Kind: community.KindOwners}); owners.Nickname.Pattern == "" {
		t.Fatal("an owners' group lost the owners' preset")
	}
	if v := e.Evaluate(rs, Input{Text: "团 购 接 龙", Kind: chat.KindText, Role: "member"}); v.Action != Warn || v.Category != "groupbuy" {
		t.Fatalf("operator dictionary: %+v", v)
	}

	// A bad change is refused with file:line; the old rules keep running.
	writeFile(t, filepath.Join(dir, "nodes", "2.toml"), "[quiet]\nallow = \"25:00-22:00\"\n")
	if _, err := r.Reload(ctx); err == nil || !strings.Contains(err.Error(), "2.toml:2:") {
		t.Fatalf("bad change: %v", err)
	}
	if r.For(g).Quiet.Allow != "07:00-22:00" {
		t.Fatal("a refused change replaced the rules in force")
	}
	if changed, err := r.Reload(ctx); changed || err != nil {
		t.Fatalf("the same refused change again: %v %v (want it ignored until the next change)", changed, err)
	}
	// A good change is picked up.
	writeFile(t, filepath.Join(dir, "nodes", "2.toml"), "[quiet]\nallow = \"06:00-23:00\"\n")
	if changed, err := r.Reload(ctx); !changed || err != nil {
		t.Fatalf("good change: %v %v", changed, err)
	}
	if got := r.For(g).Quiet.Allow; got != "06:00-23:00" {
		t.Fatalf("after reload: %q", got)
	}
	// A moved node changes what its groups inherit.
	parents = map[int64]int64{3: 1}
	r.Reload(ctx)
	if got := r.For(g).Quiet.Allow; got != "" {
		t.Fatalf("group moved out of node 2 still has its quiet hours %q", got)
	}
	writeFile(t, filepath.Join(dir, "groups", "x.toml"), "")
	if _, err := r.Reload(ctx); err == nil || !strings.Contains(err.Error(), "name the file after the group id") {
		t.Fatalf("badly named file: %v", err)
	}
}

func TestRegistryBuiltin(t *testing.T) {
	r, err := NewRegistry(context.Background(), "", nil, NewEngine(nil, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rs := r.For(community.Group{ID: 1}); rs.Name != "网商学院群规" {
		t.Fatalf("built-in: %s", rs.Name)
	}
}

// TestRegistryPresetAndLayers: a file can name the preset its subtree
// starts from, and Layers says what makes a group's rules.
func TestRegistryPresetAndLayers(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	writeFile(t, filepath.Join(dir, "default.toml"), "name = \"我们的群规\"\n")
	writeFile(t, filepath.Join(dir, "nodes", "5.toml"), "preset = \"owners\"\n")
	writeFile(t, filepath.Join(dir, "groups", "9.toml"), "[flood]\nmessages = 20\nwindow = \"1m\"\naction = \"warn\"\n")
	parents := map[int64]int64{5: 1}
	r, err := NewRegistry(ctx, dir, nil, NewEngine(nil, nil), func(context.Context) (map[int64]int64, error) { return parents, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := community.Group{ID: 9, NodeID: 5, Kind: community.KindCohort}
	rs := r.For(g)
	if rs.Nickname.Pattern == "" || rs.Name != "我们的群规" || rs.Flood.Messages != 20 || rs.Categories["religion"] != Allow {
		t.Fatalf("a cohort under an owners' node: %+v", rs)
	}
	var names []string
	for _, l := range r.Layers(g) {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, " + "); got != "preset owners + default.toml + "+filepath.Join("nodes", "5.toml")+" + "+filepath.Join("groups", "9.toml") {
		t.Errorf("layers: %s", got)
	}
	if rs := r.For(community.Group{ID: 10, NodeID: 1}); rs.Nickname.Pattern != "" {
		t.Errorf("a group outside the node got the owners' preset")
	}
}

// TestRegistryZone: quiet hours that name no zone keep the server's
// ([server] timezone); a file's own zone wins.
func TestRegistryZone(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	writeFile(t, filepath.Join(dir, "groups", "1.toml"), "[quiet]\nallow = \"08:00-22:00\"\n")
	writeFile(t, filepath.Join(dir, "groups", "2.toml"), "[quiet]\nallow = \"08:00-22:00\"\nzone = \"Asia/Shanghai\"\n")
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip(err)
	}
	r, err := NewRegistry(ctx, dir, berlin, NewEngine(nil, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 07:30 in Berlin is 14:30 in Shanghai; 20:00 in Berlin is 03:00 there.
	early := time.Date(2026, 11, 20, 7, 30, 0, 0, berlin)
	evening := time.Date(2026, 11, 20, 20, 0, 0, 0, berlin)
	e := NewEngine(nil, nil)
	quiet := func(g int64, at time.Time) bool {
		v := e.Evaluate(r.For(community.Group{ID: g}), Input{Text: "早上好", Kind: chat.KindText, Role: "member", At: at})
		return v.Category == "quiet"
	}
	if !quiet(1, early) || quiet(1, evening) {
		t.Errorf("the server's zone: quiet at 07:30 %v, at 20:00 %v (Berlin)", quiet(1, early), quiet(1, evening))
	}
	if quiet(2, early) || !quiet(2, evening) {
		t.Errorf("the file's zone: quiet at 14:30 %v, at 03:00 %v (Shanghai)", quiet(2, early), quiet(2, evening))
	}
	// A preview keeps the zone too.
	rs, err := r.Preview(community.Group{ID: 3}, Scope{Kind: "group", ID: 3}, "[quiet]\nallow = \"08:00-22:00\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if v := e.Evaluate(rs, Input{Text: "早上好", Kind: chat.KindText, Role: "member", At: early}); v.Category != "quiet" {
		t.Errorf("a preview at 07:30 Berlin: %+v", v)
	}
}
