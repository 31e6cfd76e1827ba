package rules

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/qunzhu/qunzhu/internal/chat"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const checkUsage = `usage: qunzhu check [--rules FILE | --group ID [--config FILE]] [--kind KIND] [--dict FILE]... [--json] [--count] [--no-cache] [MESSAGE…]

Checks messages against the group rules: the MESSAGE arguments, or one message
per line from standard input. Without --rules or --group the built-in default
rule set (the e-commerce academy's rules) applies. --rules takes a rules file as
it applies on its own: over the preset it names (preset = "owners"), and, for a
file in the nodes/ or groups/ folder of a rules directory, over that directory's
default.toml, with the dictionaries it names. --group checks exactly as the
running service would for that group: the preset, default.toml, the tree's node
files, the group's file and the dictionaries. --kind gives the kind of group
(cohort, owners, …) for the rules that depend on it. Prints one line per message:
verdict, category, matched words and the message, tab-separated; --json prints
a JSON object per line; --count prints only per-category counts and the speed.
The dictionaries are compiled once and kept, compiled, in the user's cache
directory (qunzhu/dict) for the next run with the same files and the same
binary; --no-cache compiles them without reading or writing it.
`

// CheckCommand is ` + "`qunzhu check`" + `. Group, when not nil, resolves --group
// ID (with --config FILE) to the rules and the engine the running service
// uses for that group: the application provides it, as it needs the
// configuration and the store (see Registry.For, Registry.Layers and
// Registry.Engine).
type CheckCommand struct {
	Group func(ctx context.Context, config string, id int64) (GroupRules, error)
	// Cache, when not "", is the directory of compiled dictionaries kept
	// between runs (DictCache; UserCacheDir); --no-cache leaves it alone.
	Cache string
}

// GroupRules is what the service applies to one group.
type GroupRules struct {
	Rules  *RuleSet
	Layers []Layer // base first, for the note on standard error
	Engine *Engine
	Kind   string // the group's kind (community.GroupKind)
}

// CheckMain runs ` + "`qunzhu check`" + ` without --group. It exits 0 whether or not
// violations are found, 2 on bad usage or a bad rules or dictionary file.
func CheckMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return CheckCommand{}.Main(args, stdin, stdout, stderr)
}

// Main runs ` + "`qunzhu check`" + `.
func (c CheckCommand) Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rulesFile := fs.String("rules", "", "rules file (TOML)")
	group := fs.Int64("group", 0, "check as the service does for this group")
	config := fs.String("config", "", "configuration file, for --group")
	kind := fs.String("kind", "", "the kind of group (cohort, owners…)")
	var dicts multiFlag
	fs.Var(&dicts, "dict", "extra dictionary: one term per line, optionally term<TAB>category (repeatable)")
	asJSON := fs.Bool("json", false, "print a JSON object per message")
	count := fs.Bool("count", false, "print only per-category counts and messages per second")
	noCache := fs.Bool("no-cache", false, "compile the dictionaries, neither reading nor writing the cache")
	usage := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "qunzhu check: "+format+"\n\n%s", append(a, checkUsage)...)
		return 2
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, checkUsage)
			return 0
		}
		return usage("%v", err)
	}
	switch {
	case *asJSON && *count:
		return usage("--json and --count exclude each other")
	case *group != 0 && *rulesFile != "":
		return usage("--group and --rules exclude each other")
	case *group < 0:
		return usage("--group %d: want a group id", *group)
	case *group != 0 && c.Group == nil:
		return usage("--group is not available in this build")
	case *config != "" && *group == 0:
		return usage("--config goes with --group")
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "qunzhu check: %v\n", err)
		return 2
	}
	var files []DictFile
	for _, d := range dicts {
		b, err := os.ReadFile(d)
		if err != nil {
			return fail(err)
		}
		files = append(files, DictFile{Name: d, Data: b})
	}
	var named []Pattern // the dictionaries a rules file names
	var o checkOptions
	o.kind, o.json, o.count = *kind, *asJSON, *count
	var layers []Layer
	switch {
	case *group != 0:
		gr, err := c.Group(context.Background(), *config, *group)
		if err != nil {
			return fail(err)
		}
		if len(files) > 0 {
			return usage("--dict does not go with --group: the group's dictionaries apply")
		}
		o.rules, o.engine, layers = gr.Rules, gr.Engine, gr.Layers
		if o.kind == "" {
			o.kind = gr.Kind
		}
	case *rulesFile != "":
		rs, ls, ns, err := LoadFile(*rulesFile)
		if err != nil {
			return fail(err)
		}
		o.rules, layers, named = rs, ls, ns
	default:
		o.rules = Default()
	}
	if o.engine == nil {
		cache := DictCache{Dir: c.Cache}
		if *noCache {
			cache.Dir = ""
		}
		e, use, err := cache.Engine(files, named, o.rules.Allow.Phrases)
		if err != nil {
			return fail(err)
		}
		if use.Ignored != nil {
			fmt.Fprintf(stderr, "qunzhu check: dictionary cache not used (%v): compiled again\n", use.Ignored)
		}
		o.engine = e
	}
	if len(layers) > 0 {
		names := make([]string, len(layers))
		for i, l := range layers {
			names[i] = l.Name
		}
		fmt.Fprintf(stderr, "qunzhu check: rules %q: %s\n", o.rules.Name, strings.Join(names, " + "))
	}
	if err := o.run(fs.Args(), stdin, stdout); err != nil {
		return fail(err)
	}
	return 0
}

type checkOptions struct {
	rules       *RuleSet
	engine      *Engine
	kind        string
	json, count bool
}

// run judges the messages (args, or one a line from stdin) and writes
// the verdicts or the counts.
func (o *checkOptions) run(args []string, stdin io.Reader, stdout io.Writer) error {
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	counts := make([]int, len(countedCategories))
	// The operator's own categories, in the order met: a few, counted in
	// a slice too rather than a map, which cost a hash a message.
	var others []string
	var otherCounts []int
	total := 0
	start := time.Now()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	in := Input{Kind: chat.KindText, Role: "member", GroupKind: o.kind}
	sc := &scratch{} // one goroutine: its own scratch space, not the pool's
	check := func(text string) {
		total++
		in.Text = text
		if o.count {
			v := o.engine.evaluate(o.rules, &in, false, sc) // Decide, without copying in
			c := ""
			if v.Action != Allow {
				c = v.Category
			}
			if i := slices.Index(countedCategories, c); i >= 0 {
				counts[i]++
			} else if i := slices.Index(others, c); i >= 0 {
				otherCounts[i]++
			} else {
				others, otherCounts = append(others, c), append(otherCounts, 1)
			}
			return
		}
		v := o.engine.Evaluate(o.rules, in)
		if v.Action == Allow {
			v.Category = ""
		}
		verdict := string(v.Action)
		if o.json {
			matched := v.Matched
			if matched == nil {
				matched = []string{}
			}
			enc.Encode(struct {
				Text     string   `json:"text"`
				Verdict  string   `json:"verdict"`
				Category string   `json:"category"`
				Matched  []string `json:"matched"`
				Rule     string   `json:"rule"`
			}{text, verdict, v.Category, matched, v.Rule})
			return
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", verdict, v.Category, strings.Join(v.Matched, ","), text)
	}
	if len(args) > 0 {
		for _, m := range args {
			check(m)
		}
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			// The line as a string without copying it: check keeps
			// nothing of it once it returns, and the scanner overwrites
			// the bytes only on the next Scan.
			if b := sc.Bytes(); len(b) > 0 {
				check(unsafe.String(&b[0], len(b)))
			} else {
				check("")
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
	if o.count {
		el := time.Since(start).Seconds()
		custom := map[string]int{}
		for i, c := range others {
			custom[c] = otherCounts[i]
		}
		for i, n := range counts {
			if n > 0 {
				custom[countedCategories[i]] += n
			}
		}
		cats := slices.Sorted(maps.Keys(custom))
		for _, c := range cats {
			name := c
			if name == "" {
				name = "allow"
			}
			fmt.Fprintf(out, "%s\t%d\n", name, custom[c])
		}
		rate := 0.0
		if el > 0 {
			rate = float64(total) / el
		}
		fmt.Fprintf(out, "total\t%d\nmessages/s\t%.0f\n", total, rate)
	}
	return nil
}

// countedCategories are counted in an array, the rest in a map: no map
// access per message for the usual ones.
var countedCategories = append([]string{""}, append(slices.Clone(Categories), "content", "flood", "mentions")...)
