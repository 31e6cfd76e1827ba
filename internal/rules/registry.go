package rules

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Registry holds the rule sets in force and reloads them when the files
// change. A rules directory holds:
//
//	default.toml          the organisation's rules (over the built-in preset)
//	nodes/<node id>.toml  a tree node's overrides, inherited by its subtree
//	groups/<id>.toml      one group's overrides
//	*.txt                 dictionaries named by a rule set's `dictionaries`
//
// Effective rules for a group: the preset for its kind (owners' groups:
// owners; others: academy), then default.toml, then each node from the
// root down, then the group's file. A bad file is refused with
// file:line and the rules in force keep running.
type Registry struct {
	dir     string
	log     *slog.Logger
	engine  *Engine
	parents func(ctx context.Context) (map[int64]int64, error) // node → parent

	cur    atomic.Pointer[snapshot]
	failed atomic.Pointer[string] // fingerprint of the last refused change
}

type snapshot struct {
	hash     string
	def      *RuleSet
	nodes    map[int64]*RuleSet
	groups   map[int64]*RuleSet
	parents  map[int64]int64
	academy  *RuleSet
	owners   *RuleSet
	mu       sync.Mutex
	resolved map[[2]int64]*RuleSet // (group id, kind bit) → merged
}

// NewRegistry loads dir (empty: built-in presets only). parents returns
// the organisation tree; it is read at each reload.
func NewRegistry(ctx context.Context, dir string, engine *Engine, parents func(context.Context) (map[int64]int64, error), log *slog.Logger) (*Registry, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Registry{dir: dir, log: log, engine: engine, parents: parents}
	if _, err := r.Reload(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Engine returns the engine whose dictionaries the registry keeps current.
func (r *Registry) Engine() *Engine { return r.engine }

// fingerprint hashes the names, sizes and times of the rules files.
func (r *Registry) fingerprint() (string, error) {
	if r.dir == "" {
		return "builtin", nil
	}
	h := sha256.New()
	err := filepath.WalkDir(r.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s|%d|%d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("read rules directory: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reload reads the rules directory again when it changed (or the tree did)
// and swaps the new rules in atomically. It reports whether anything was
// swapped; on error nothing is.
func (r *Registry) Reload(ctx context.Context) (bool, error) { return r.reload(ctx, false) }

// reload is Reload; force reads the files even when their names, sizes and
// times look unchanged (a console edit within one clock tick).
func (r *Registry) reload(ctx context.Context, force bool) (bool, error) {
	fp, err := r.fingerprint()
	if err != nil {
		return false, err
	}
	parents := map[int64]int64{}
	if r.parents != nil {
		if parents, err = r.parents(ctx); err != nil {
			return false, err
		}
	}
	fp += treeHash(parents)
	if old := r.cur.Load(); old != nil && old.hash == fp && !force {
		return false, nil
	}
	if f := r.failed.Load(); f != nil && *f == fp && !force {
		return false, nil // refused already; wait for the next change
	}
	ok := false
	defer func() {
		if !ok {
			r.failed.Store(&fp)
		}
	}()
	academy, err := Preset("academy")
	if err != nil {
		return false, err
	}
	owners, err := Preset("owners")
	if err != nil {
		return false, err
	}
	s := &snapshot{hash: fp, nodes: map[int64]*RuleSet{}, groups: map[int64]*RuleSet{}, parents: parents, academy: academy, owners: owners, resolved: map[[2]int64]*RuleSet{}}
	var dicts []string
	var phrases []string
	if r.dir != "" {
		load := func(p string) (*RuleSet, error) {
			src, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			rs, err := ParseRuleSet(p, src)
			if err != nil {
				return nil, err
			}
			dicts = append(dicts, rs.Dictionaries...)
			phrases = append(phrases, rs.Allow.Phrases...)
			return rs, nil
		}
		if _, err := os.Stat(filepath.Join(r.dir, "default.toml")); err == nil {
			if s.def, err = load(filepath.Join(r.dir, "default.toml")); err != nil {
				return false, err
			}
		}
		for sub, into := range map[string]map[int64]*RuleSet{"nodes": s.nodes, "groups": s.groups} {
			entries, err := os.ReadDir(filepath.Join(r.dir, sub))
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return false, fmt.Errorf("read rules directory: %w", err)
			}
			for _, e := range entries {
				name := e.Name()
				if e.IsDir() || !strings.HasSuffix(name, ".toml") {
					continue
				}
				id, err := strconv.ParseInt(strings.TrimSuffix(name, ".toml"), 10, 64)
				if err != nil || id <= 0 {
					return false, fmt.Errorf("%s: name the file after the %s id, like 12.toml", filepath.Join(r.dir, sub, name), strings.TrimSuffix(sub, "s"))
				}
				if into[id], err = load(filepath.Join(r.dir, sub, name)); err != nil {
					return false, err
				}
			}
		}
	}
	// Dictionaries: every file any rule set names, loaded once.
	var extra []Pattern
	seen := map[string]bool{}
	sort.Strings(dicts)
	for _, d := range dicts {
		if seen[d] {
			continue
		}
		seen[d] = true
		p := d
		if !filepath.IsAbs(p) {
			p = filepath.Join(r.dir, d)
		}
		f, err := os.Open(p)
		if err != nil {
			return false, fmt.Errorf("dictionary %s: %w", d, err)
		}
		ps, err := ParseDictionary(p, f, "custom")
		f.Close()
		if err != nil {
			return false, err
		}
		extra = append(extra, ps...)
	}
	// Check every combination merges cleanly now, not on a message later.
	for id := range s.groups {
		if _, err := s.resolve(community.Group{ID: id}); err != nil {
			return false, fmt.Errorf("rules for group %d: %w", id, err)
		}
	}
	for id := range s.nodes {
		if _, err := s.resolve(community.Group{NodeID: id}); err != nil {
			return false, fmt.Errorf("rules for node %d: %w", id, err)
		}
	}
	s.resolved = map[[2]int64]*RuleSet{}
	r.engine.Swap(extra, phrases)
	r.cur.Store(s)
	ok = true
	return true, nil
}

func treeHash(parents map[int64]int64) string {
	keys := make([]int64, 0, len(parents))
	for k := range parents {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	h := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(h, "%d>%d;", k, parents[k])
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// resolve merges the chain for a group.
func (s *snapshot) resolve(g community.Group) (*RuleSet, error) {
	rs := s.academy
	if g.Kind == community.KindOwners {
		rs = s.owners
	}
	var err error
	if s.def != nil {
		if rs, err = Merge(rs, s.def); err != nil {
			return nil, err
		}
	}
	var chain []int64
	for n, hops := g.NodeID, 0; n != 0 && hops < 64; n, hops = s.parents[n], hops+1 {
		chain = append(chain, n)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if nrs := s.nodes[chain[i]]; nrs != nil {
			if rs, err = Merge(rs, nrs); err != nil {
				return nil, err
			}
		}
	}
	if grs := s.groups[g.ID]; grs != nil && g.ID != 0 {
		if rs, err = Merge(rs, grs); err != nil {
			return nil, err
		}
	}
	return rs, nil
}

// For returns the rules in force for a group.
func (r *Registry) For(g community.Group) *RuleSet {
	s := r.cur.Load()
	kind := int64(0)
	if g.Kind == community.KindOwners {
		kind = 1
	}
	key := [2]int64{g.ID, kind<<62 | g.NodeID}
	s.mu.Lock()
	rs, ok := s.resolved[key]
	s.mu.Unlock()
	if ok {
		return rs
	}
	rs, err := s.resolve(g)
	if err != nil { // checked at load; keep the preset if it happens anyway
		r.log.Error("rules: merge failed; using the preset", "group", g.ID, "err", err)
		rs = s.academy
	}
	s.mu.Lock()
	s.resolved[key] = rs
	s.mu.Unlock()
	return rs
}

// Watch reloads every interval until ctx is done; a bad change is logged
// with its file:line and the rules in force keep running.
func (r *Registry) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		changed, err := r.Reload(ctx)
		switch {
		case err != nil:
			r.log.Error("rules: the change was refused; the rules in force keep running", "err", err)
		case changed:
			r.log.Info("rules: reloaded")
		}
	}
}
