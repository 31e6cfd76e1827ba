package rules

import (
	"bufio"
	"embed"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

//go:embed dict/*.tsv
var dictFS embed.FS

// Categories are the built-in categories, in order of severity of their
// usual action.
var Categories = []string{"ad", "religion", "vote", "donation", "abuse", "rumor", "porn", "gambling", "drugs", "politics"}

// IsBuiltinCategory reports whether c is a built-in category.
func IsBuiltinCategory(c string) bool { return slices.Contains(Categories, c) }

// ParseDictionary reads a dictionary: UTF-8, one term per line, optionally
// "term<TAB>category" (defaultCategory otherwise), # comments, blank lines.
// A category that is not built in defines a custom category. Errors name
// the file and line.
func ParseDictionary(name string, r io.Reader, defaultCategory string) ([]Pattern, error) {
	var out []Pattern
	var n Normalizer
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[string]int{}
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		if !utf8.ValidString(raw) {
			return nil, fmt.Errorf("%s:%d: not valid UTF-8", name, line)
		}
		text := strings.TrimSpace(raw)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		term, cat, hasCat := strings.Cut(text, "\t")
		term, cat = strings.TrimSpace(term), strings.TrimSpace(cat)
		if !hasCat {
			cat = defaultCategory
		}
		if cat == "" {
			return nil, fmt.Errorf("%s:%d: no category: write term<TAB>category (or give the file a default category)", name, line)
		}
		if !validCategory(cat) {
			return nil, fmt.Errorf("%s:%d: category %q: use letters, digits, _ or -", name, line, cat)
		}
		norm := slices.Clone(n.Normalize(term))
		if len(norm) == 0 {
			return nil, fmt.Errorf("%s:%d: term %q is empty once spaces and punctuation are removed: it would match nothing", name, line, term)
		}
		if len(norm) == 1 && norm[0] < utf8.RuneSelf {
			return nil, fmt.Errorf("%s:%d: term %q is a single letter or digit: it would match almost every message", name, line, term)
		}
		key := string(norm) + "\x00" + cat
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("%s:%d: term %q repeats line %d", name, line, term, prev)
		}
		seen[key] = line
		out = append(out, Pattern{Term: term, Category: cat, Norm: norm})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no terms: an empty dictionary matches nothing", name)
	}
	return out, nil
}

func validCategory(c string) bool {
	if c == "" || len(c) > 32 {
		return false
	}
	for _, r := range c {
		if !(r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// BuiltinDictionary returns the built-in terms of every category.
func BuiltinDictionary() []Pattern {
	f, err := dictFS.Open("dict/builtin.tsv")
	if err != nil {
		panic("rules: built-in dictionary: " + err.Error())
	}
	defer f.Close()
	ps, err := ParseDictionary("builtin.tsv", f, "")
	if err != nil {
		panic("rules: built-in dictionary: " + err.Error())
	}
	return ps
}

// BuiltinAllow returns the built-in allow phrases.
func BuiltinAllow() []string {
	b, err := dictFS.ReadFile("dict/allow.tsv")
	if err != nil {
		panic("rules: built-in allow list: " + err.Error())
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}
