package rules

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestParseScope(t *testing.T) {
	for in, want := range map[string]string{"": "default", "default": "default", "node:12": "node:12", "group:3": "group:3"} {
		sc, err := ParseScope(in)
		if err != nil || sc.String() != want {
			t.Errorf("ParseScope(%q) = %v %v", in, sc, err)
		}
	}
	for _, bad := range []string{"node", "group:0", "group:x", "room:1", "node:-2"} {
		if _, err := ParseScope(bad); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("ParseScope(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestEditRules(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	r, err := NewRegistry(ctx, dir, nil, NewEngine(nil, nil), func(context.Context) (map[int64]int64, error) { return map[int64]int64{2: 1}, nil }, nil)
	if err != nil {
		t.Fatal(err)
	}
	g := community.Group{ID: 9, NodeID: 2, Name: "NF-测试群", Kind: community.KindCohort}
	node := Scope{Kind: "node", ID: 2}
	if src, err := r.Source(node); err != nil || src != "" {
		t.Fatalf("a node without a file: %q %v", src, err)
	}
	// Preview changes nothing.
	quiet := "[quiet]\nallow = \"07:00-22:00\"\n"
	rs, err := r.Preview(g, node, quiet)
	if err != nil || rs.Quiet.Allow != "07:00-22:00" {
		t.Fatalf("preview: %+v %v", rs, err)
	}
	if !strings.Contains(Notice(rs, "zh", g.Name), "07:00") {
		t.Fatalf("the previewed notice lacks the quiet hours:\n%s", Notice(rs, "zh", g.Name))
	}
	if r.For(g).Quiet.Allow != "" {
		t.Fatal("a preview changed the rules in force")
	}
	// A bad text: file:line, nothing saved.
	if _, err := r.Preview(g, node, "[quiet]\nallow = \"25:00-22:00\"\n"); err == nil || !strings.Contains(err.Error(), "2.toml:2:") {
		t.Fatalf("bad preview: %v", err)
	}
	if err := r.Save(ctx, node, "[quiet]\nallow = \"25:00-22:00\"\n"); !errkind.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "2.toml:2:") {
		t.Fatalf("bad save: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodes", "2.toml")); !os.IsNotExist(err) {
		t.Fatal("a refused edit left a file")
	}
	// Save applies at once, twice in a row (same size, same tick).
	if err := r.Save(ctx, node, quiet); err != nil {
		t.Fatal(err)
	}
	if r.For(g).Quiet.Allow != "07:00-22:00" {
		t.Fatalf("saved rules not in force: %+v", r.For(g).Quiet)
	}
	if err := r.Save(ctx, node, strings.Replace(quiet, "07:00", "08:00", 1)); err != nil {
		t.Fatal(err)
	}
	if r.For(g).Quiet.Allow != "08:00-22:00" {
		t.Fatalf("second save not in force: %+v", r.For(g).Quiet)
	}
	if src, _ := r.Source(node); !strings.Contains(src, "08:00") {
		t.Fatalf("source after save: %q", src)
	}
	// A text that parses but cannot load (a missing dictionary) is undone.
	if err := r.Save(ctx, node, "dictionaries = [\"missing.txt\"]\n"); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Fatalf("missing dictionary: %v", err)
	}
	if src, _ := r.Source(node); !strings.Contains(src, "08:00") || r.For(g).Quiet.Allow != "08:00-22:00" {
		t.Fatalf("a refused save was not undone: %q %+v", src, r.For(g).Quiet)
	}
	// Empty text removes the file.
	if err := r.Save(ctx, node, ""); err != nil {
		t.Fatal(err)
	}
	if r.For(g).Quiet.Allow != "" {
		t.Fatal("removing the node's rules did not apply")
	}
	// Without a directory nothing is editable.
	builtin, _ := NewRegistry(ctx, "", nil, NewEngine(nil, nil), nil, nil)
	if builtin.Editable() || builtin.Save(ctx, node, quiet) != ErrNotEditable {
		t.Fatal("a registry without a directory accepted an edit")
	}
}
