package rules

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Editing rules from the console: each scope is one file of the rules
// directory, so an edit and a hand-edited file are the same thing, and a
// console edit goes through the same check (file:line) and hot reload.

// Scope names one rules file: the organisation's default, a tree node's or
// a group's.
type Scope struct {
	Kind string // "default", "node" or "group"
	ID   int64  // the node or group id
}

// ParseScope reads "default", "node:12" or "group:3".
func ParseScope(s string) (Scope, error) {
	if s == "" || s == "default" {
		return Scope{Kind: "default"}, nil
	}
	kind, id, ok := strings.Cut(s, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || (kind != "node" && kind != "group") || err != nil || n <= 0 {
		return Scope{}, errkind.Errorf(errkind.Invalid, "rules scope %q: want default, node:ID or group:ID", s)
	}
	return Scope{Kind: kind, ID: n}, nil
}

func (s Scope) String() string {
	if s.Kind == "default" {
		return "default"
	}
	return s.Kind + ":" + strconv.FormatInt(s.ID, 10)
}

// file is the scope's path inside the rules directory.
func (s Scope) file() string {
	switch s.Kind {
	case "node":
		return filepath.Join("nodes", strconv.FormatInt(s.ID, 10)+".toml")
	case "group":
		return filepath.Join("groups", strconv.FormatInt(s.ID, 10)+".toml")
	}
	return "default.toml"
}

// ErrNotEditable is returned when no rules directory is configured.
var ErrNotEditable = errkind.New(errkind.Conflict, "rules cannot be edited: no rules directory is configured ([rules] dir)")

// Editable reports whether rules can be edited (a directory is configured).
func (r *Registry) Editable() bool { return r.dir != "" }

// Source returns the text of the scope's rules file, "" when it has none.
func (r *Registry) Source(sc Scope) (string, error) {
	if !r.Editable() {
		return "", ErrNotEditable
	}
	b, err := os.ReadFile(filepath.Join(r.dir, sc.file()))
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read rules %s: %w", sc, err)
	}
	return string(b), nil
}

// Preview returns the rules group g would have if the scope's file held
// text (empty: no file), without saving anything. A bad text is an error
// with the file name and line.
func (r *Registry) Preview(g community.Group, sc Scope, text string) (*RuleSet, error) {
	cur := r.cur.Load()
	s := &snapshot{hash: "preview", loc: cur.loc, def: cur.def, nodes: maps.Clone(cur.nodes), groups: maps.Clone(cur.groups), parents: cur.parents,
		academy: cur.academy, owners: cur.owners, resolved: map[[2]int64]*RuleSet{}}
	var rs *RuleSet
	if strings.TrimSpace(text) != "" {
		var err error
		if rs, err = ParseRuleSet(sc.file(), []byte(text)); err != nil {
			return nil, errkind.Errorf(errkind.Invalid, "%w", err)
		}
	}
	switch sc.Kind {
	case "default":
		s.def = rs
	case "node":
		s.nodes[sc.ID] = rs
	case "group":
		s.groups[sc.ID] = rs
	}
	out, err := s.resolve(g)
	if err != nil {
		return nil, errkind.Errorf(errkind.Invalid, "%s: %w", sc.file(), err)
	}
	return out, nil
}

// PreviewEngine returns an engine to replay a change with before it is
// saved: the built-in dictionaries and model, and the dictionaries and
// allow phrases that every rules file names, the scope's file being text.
// It is built afresh (as long as a reload takes); the engine in force is
// not touched.
func (r *Registry) PreviewEngine(sc Scope, text string) (*Engine, error) {
	cur := r.cur.Load()
	var sets []*RuleSet
	if cur.def != nil && sc.Kind != "default" {
		sets = append(sets, cur.def)
	}
	for id, rs := range cur.nodes {
		if sc.Kind != "node" || id != sc.ID {
			sets = append(sets, rs)
		}
	}
	for id, rs := range cur.groups {
		if sc.Kind != "group" || id != sc.ID {
			sets = append(sets, rs)
		}
	}
	if strings.TrimSpace(text) != "" {
		rs, err := ParseRuleSet(sc.file(), []byte(text))
		if err != nil {
			return nil, errkind.Errorf(errkind.Invalid, "%w", err)
		}
		sets = append(sets, rs)
	}
	var dicts, phrases []string
	for _, rs := range sets {
		dicts = append(dicts, rs.Dictionaries...)
		phrases = append(phrases, rs.Allow.Phrases...)
	}
	extra, err := loadDictionaries(r.dir, dicts)
	if err != nil {
		return nil, errkind.Errorf(errkind.Invalid, "%w", err)
	}
	return NewEngine(extra, phrases), nil
}

// Save makes text the scope's rules file (empty: removes it) and reloads.
// The text is checked first; if the reload refuses it (a dictionary it
// names is missing, a merge fails), the old file is put back and the rules
// in force are unchanged.
func (r *Registry) Save(ctx context.Context, sc Scope, text string) error {
	if !r.Editable() {
		return ErrNotEditable
	}
	if strings.TrimSpace(text) != "" {
		if _, err := ParseRuleSet(sc.file(), []byte(text)); err != nil {
			return errkind.Errorf(errkind.Invalid, "%w", err)
		}
	}
	path := filepath.Join(r.dir, sc.file())
	old, err := os.ReadFile(path)
	existed := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read rules %s: %w", sc, err)
	}
	restore := func() {
		if existed {
			writeAtomic(path, old)
		} else {
			os.Remove(path)
		}
	}
	if strings.TrimSpace(text) == "" {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove rules %s: %w", sc, err)
		}
	} else if err := writeAtomic(path, []byte(text)); err != nil {
		return err
	}
	if _, err := r.reload(ctx, true); err != nil {
		restore()
		r.reload(ctx, true) // the restored files, as they were
		return errkind.Errorf(errkind.Invalid, "%w", err)
	}
	return nil
}

// writeAtomic writes a file through a temporary file and a rename, so a
// reload never reads half a file.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".edit-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
