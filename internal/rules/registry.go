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
	"slices"
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
// file:line and the rules in force keep running. Quiet hours that name
// no zone keep the server's ([server] timezone).
type Registry struct {
	dir     string
	loc     *time.Location // the server's time zone
	log     *slog.Logger
	engine  *Engine
	parents func(ctx context.Context) (map[int64]int64, error) // node → parent

	cur    atomic.Pointer[snapshot]
	failed atomic.Pointer[string] // fingerprint of the last refused change
}

type snapshot struct {
	hash     string
	loc      *time.Location
	def      *RuleSet
	nodes    map[int64]*RuleSet
	groups   map[int64]*RuleSet
	parents  map[int64]int64
	academy  *RuleSet
	owners   *RuleSet
	mu       sync.Mutex
	resolved map[[2]int64]*RuleSet // (group id, kind bit) → merged
}

// NewRegistry loads dir (empty: built-in presets only). loc is the
// server's time zone, the zone of quiet hours that name none (nil:
// Asia/Shanghai, the default of [server] timezone). parents returns the
// organisation tree; it is read at each reload.
func NewRegistry(ctx context.Context, dir string, loc *time.Location, engine *Engine, parents func(context.Context) (map[int64]int64, error), log *slog.Logger) (*Registry, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if loc == nil {
		loc = defaultZone
	}
	r := &Registry{dir: dir, loc: loc, log: log, engine: engine, parents: parents}
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
	s := &snapshot{hash: fp, loc: r.loc, nodes: map[int64]*RuleSet{}, groups: map[int64]*RuleSet{}, parents: parents, academy: academy, owners: owners, resolved: map[[2]int64]*RuleSet{}}
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
	extra, err := loadDictionaries(r.dir, dicts)
	if err != nil {
		return false, err
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

// loadDictionaries reads the dictionaries named, each once, relative to
// dir unless absolute.
func loadDictionaries(dir string, names []string) ([]Pattern, error) {
	var extra []Pattern
	seen := map[string]bool{}
	for _, d := range slices.Sorted(slices.Values(names)) {
		if seen[d] {
			continue
		}
		seen[d] = true
		p := d
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, d)
		}
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("dictionary %s: %w", d, err)
		}
		ps, err := ParseDictionary(p, f, "custom")
		f.Close()
		if err != nil {
			return nil, err
		}
		extra = append(extra, ps...)
	}
	return extra, nil
}

// LoadFile reads a rules file as it applies on its own, which is how
// `qunzhu check --rules` uses a file the console saved: laid over the
// preset it names (academy when it names none) and, when it lies in the
// nodes/ or groups/ folder of a rules directory, over that directory's
// default.toml; with the dictionaries the result names, read relative to
// the rules directory. It returns the rules, the layers, base first, and
// the extra dictionary terms. The tree's node files between default.toml
// and a group's file cannot be known from a file alone: Registry.For (and
// `qunzhu check --group`) applies the whole chain.
func LoadFile(path string) (*RuleSet, []Layer, []Pattern, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	file, err := ParseRuleSet(path, src)
	if err != nil {
		return nil, nil, nil, err
	}
	root := filepath.Dir(path)
	var layers []Layer
	if sub := filepath.Base(root); sub == "nodes" || sub == "groups" {
		root = filepath.Dir(root)
		def := filepath.Join(root, "default.toml")
		if src, err := os.ReadFile(def); err == nil {
			rs, err := ParseRuleSet(def, src)
			if err != nil {
				return nil, nil, nil, err
			}
			layers = append(layers, Layer{def, rs})
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, nil, nil, err
		}
	}
	layers = append(layers, Layer{path, file})
	base := "academy"
	for _, l := range layers {
		if l.Rules.Preset != "" {
			base = l.Rules.Preset
		}
	}
	preset, err := Preset(base)
	if err != nil {
		return nil, nil, nil, err
	}
	layers = append([]Layer{{"preset " + base, preset}}, layers...)
	rs, err := mergeLayers(layers)
	if err != nil {
		return nil, nil, nil, err
	}
	extra, err := loadDictionaries(root, rs.Dictionaries)
	if err != nil {
		return nil, nil, nil, err
	}
	return rs, layers, extra, nil
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

// Layer is one rule set of the chain that makes a group's rules: a
// built-in preset or a file of the rules directory.
type Layer struct {
	Name  string // "preset academy", "default.toml", "nodes/4.toml", "groups/17.toml"
	Rules *RuleSet
}

// chain lists the layers of a group's rules, base first: the preset, then
// default.toml, each node's file from the root down, the group's file.
// The preset is the one the most specific file names (preset = …), or
// the one for the group's kind.
func (s *snapshot) chain(g community.Group) []Layer {
	var files []Layer
	if s.def != nil {
		files = append(files, Layer{"default.toml", s.def})
	}
	var nodes []int64
	for n, hops := g.NodeID, 0; n != 0 && hops < 64; n, hops = s.parents[n], hops+1 {
		nodes = append(nodes, n)
	}
	for i := len(nodes) - 1; i >= 0; i-- {
		if nrs := s.nodes[nodes[i]]; nrs != nil {
			files = append(files, Layer{filepath.Join("nodes", strconv.FormatInt(nodes[i], 10)+".toml"), nrs})
		}
	}
	if grs := s.groups[g.ID]; grs != nil && g.ID != 0 {
		files = append(files, Layer{filepath.Join("groups", strconv.FormatInt(g.ID, 10)+".toml"), grs})
	}
	base := s.academy
	if g.Kind == community.KindOwners {
		base = s.owners
	}
	for _, l := range files {
		switch l.Rules.Preset {
		case "academy":
			base = s.academy
		case "owners":
			base = s.owners
		}
	}
	return append([]Layer{{"preset " + base.Preset, base}}, files...)
}

// resolve merges the chain for a group; quiet hours that name no zone
// keep the server's.
func (s *snapshot) resolve(g community.Group) (*RuleSet, error) {
	rs, err := mergeLayers(s.chain(g))
	if err != nil {
		return nil, err
	}
	return rs.inZone(s.loc), nil
}

// defaultZone is the zone of quiet hours when neither the rules nor the
// server name one: Asia/Shanghai, the default of [server] timezone.
var defaultZone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// inZone returns the rules with loc as the zone of quiet hours that name
// none; rs itself does not change.
func (rs *RuleSet) inZone(loc *time.Location) *RuleSet {
	if loc == nil || !rs.Quiet.set || rs.Quiet.loc != nil {
		return rs
	}
	out := *rs
	out.Quiet.loc = loc
	return &out
}

func mergeLayers(layers []Layer) (*RuleSet, error) {
	rs := layers[0].Rules
	for _, l := range layers[1:] {
		var err error
		if rs, err = Merge(rs, l.Rules); err != nil {
			return nil, fmt.Errorf("%s: %w", l.Name, err)
		}
	}
	return rs, nil
}

// Layers returns the chain of rule sets that makes a group's rules, base
// first (for `qunzhu check --group` and the console to say what applies).
func (r *Registry) Layers(g community.Group) []Layer { return r.cur.Load().chain(g) }

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
		rs = s.academy.inZone(s.loc)
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
