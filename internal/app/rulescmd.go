package app

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The rules' commands that need the configuration and the store:
// `qunzhu check --group` (CheckGroup, given to rules.CheckCommand by
// cmd/qunzhu) and `qunzhu rules replay`.

// CheckGroup resolves `qunzhu check --group ID [--config FILE]` to what the
// running service applies to that group: the preset, default.toml, the
// tree's node files, the group's file (console edits included) and the
// dictionaries they name, with the engine that holds them. The
// configuration is found as `qunzhu serve` finds it (--config, then
// QUNZHU_CONFIG, then ./qunzhu.toml).
func CheckGroup(ctx context.Context, configPath string, id int64) (rules.GroupRules, error) {
	return checkGroup(ctx, configPath, os.Environ(), id)
}

func checkGroup(ctx context.Context, configPath string, environ []string, id int64) (rules.GroupRules, error) {
	cfg, db, org, err := openConfigured(ctx, environ, io.Discard, configPath, "check --group")
	if err != nil {
		return rules.GroupRules{}, err
	}
	defer db.Close()
	if !cfg.Rules.Enabled {
		return rules.GroupRules{}, fmt.Errorf("the rules are off in this configuration ([rules] enabled = false): the service judges no message")
	}
	g, err := db.Group(ctx, org, id)
	if err != nil {
		return rules.GroupRules{}, err
	}
	reg, err := rules.NewRegistry(ctx, cfg.Rules.Dir, cfg.Location(), rules.NewEngine(nil, nil), db.NodeParents, nil)
	if err != nil {
		return rules.GroupRules{}, fmt.Errorf("rules: %w", err)
	}
	return rules.GroupRules{Rules: reg.For(g), Layers: reg.Layers(g), Engine: reg.Engine(), Kind: string(g.Kind)}, nil
}

const rulesUsage = `usage: qunzhu rules replay (--group ID | --node ID) [--since 30d] [--rules FILE] [--config FILE] [--json] [--examples N]

Replays the rules over stored history: judges the messages a group — or every
group under a tree node — has had in the last --since (default 30d), as the
service would have (flood and the escalation ladder from the messages' own
times, each sender in their role now), and prints what the rules would have
done: counts by verdict and category, examples, and how that differs from
what was done. Nothing is done to anyone.

With --rules FILE the replay uses FILE in place of one rules file, unsaved:
the file of the rules directory it is (default.toml, nodes/ID.toml,
groups/ID.toml), else the replayed group's or node's own; the dictionaries it
names are read from the rules directory. Without it, the rules in force.
--json prints the result as one JSON object. Progress goes to standard error.
`

// cmdRules runs `qunzhu rules SUBCOMMAND`.
func cmdRules(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("rules: want a subcommand: replay")
	}
	switch args[0] {
	case "replay":
		return cmdReplay(ctx, env, args[1:])
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, rulesUsage)
		return nil
	}
	return usagef("rules: unknown subcommand %q%s", args[0], suggest(args[0], []string{"replay"}))
}

// replayRun is one replay: what is replayed, with what, and its result.
type replayRun struct {
	groups      []community.Group
	byID        map[int64]community.Group
	node        *community.Node
	since, now  time.Time
	loc         *time.Location
	file, as    string // --rules FILE, and the file of the directory it stands for
	result      *rules.ReplayResult
	names       map[int64]string
	rulesLayers []rules.Layer // of a single group's rules in force
}

func cmdReplay(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("rules replay")
	group := fs.Int64("group", 0, "replay this group's messages")
	node := fs.Int64("node", 0, "replay the messages of every group under this tree node")
	since := fs.String("since", "30d", "how far back: 7d, 30d, 12h…")
	file := fs.String("rules", "", "replay with this rules file in place of one, unsaved")
	cfgPath := fs.String("config", "", "configuration file")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	examples := fs.Int("examples", 3, "examples of each verdict and of each change (1–20)")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(env.Stdout, rulesUsage)
			return nil
		}
		return err
	}
	period, perr := chat.ParseDuration(*since)
	switch {
	case fs.NArg() > 0:
		return usagef("rules replay: unexpected argument %q", fs.Arg(0))
	case (*group == 0) == (*node == 0):
		return usagef("rules replay: give --group ID or --node ID")
	case *group < 0 || *node < 0:
		return usagef("rules replay: --group and --node want an id")
	case perr != nil || period <= 0:
		return usagef("rules replay: --since %q: want a duration like 7d, 30d or 12h", *since)
	case *examples < 1 || *examples > 20:
		return usagef("rules replay: --examples %d: want 1 to 20", *examples)
	}
	cfg, db, org, err := openConfigured(ctx, env.Environ, env.Stderr, *cfgPath, "rules replay")
	if err != nil {
		return err
	}
	defer db.Close()
	run := &replayRun{loc: cfg.Location(), now: env.now(), byID: map[int64]community.Group{}}
	run.since = run.now.Add(-period)
	if *group != 0 {
		g, err := db.Group(ctx, org, *group)
		if err != nil {
			return fmt.Errorf("rules replay: %w", err)
		}
		run.groups = []community.Group{g}
	} else {
		nodes, err := db.Nodes(ctx, org)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(nodes, func(n community.Node) bool { return n.ID == *node })
		if i < 0 {
			return fmt.Errorf("rules replay: node %d not found", *node)
		}
		run.node = &nodes[i]
		under := community.Subtree(nodes, *node)
		all, err := db.Groups(ctx, org)
		if err != nil {
			return err
		}
		for _, g := range all {
			if g.NodeID != 0 && under[g.NodeID] {
				run.groups = append(run.groups, g)
			}
		}
	}
	ids := make([]int64, len(run.groups))
	for i, g := range run.groups {
		ids[i], run.byID[g.ID] = g.ID, g
	}
	log := newLogger(env.Stderr, cfg.Log.Level, cfg.Log.Format).With("component", "rules")
	reg, err := rules.NewRegistry(ctx, cfg.Rules.Dir, run.loc, rules.NewEngine(nil, nil), db.NodeParents, log)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	rulesFor := func(id int64) (*rules.RuleSet, error) { return reg.For(run.byID[id]), nil }
	engine := reg.Engine()
	if *file != "" {
		text, err := os.ReadFile(*file)
		if err != nil {
			return fmt.Errorf("rules replay: %w", err)
		}
		if _, err := rules.ParseRuleSet(*file, text); err != nil { // file:line, of the file given
			return fmt.Errorf("rules replay: %w", err)
		}
		sc := scopeOfFile(*file, cfg.Rules.Dir)
		if sc == (rules.Scope{}) {
			sc = rules.Scope{Kind: "group", ID: *group}
			if *node != 0 {
				sc = rules.Scope{Kind: "node", ID: *node}
			}
		}
		run.file, run.as = *file, scopeFile(sc)
		if engine, err = reg.PreviewEngine(sc, string(text)); err != nil {
			return fmt.Errorf("rules replay: %s: %w", *file, err)
		}
		for _, g := range run.groups { // a bad file says so now, not halfway
			if _, err := reg.Preview(g, sc, string(text)); err != nil {
				return fmt.Errorf("rules replay: %s: %w", *file, err)
			}
		}
		rulesFor = func(id int64) (*rules.RuleSet, error) { return reg.Preview(run.byID[id], sc, string(text)) }
	} else if len(run.groups) == 1 {
		run.rulesLayers = reg.Layers(run.groups[0])
	}
	total, msgs, err := db.ReplayMessages(ctx, org, ids, run.since, run.now)
	if err != nil {
		return err
	}
	bar := newReplayProgress(env.Stderr, total)
	start := time.Now()
	run.result, err = rules.Replay(ctx, rules.ReplayOptions{RulesFor: rulesFor, Engine: engine, Examples: *examples,
		Progress: bar.update, ProgressEvery: 10_000}, msgs)
	bar.finish()
	if err != nil {
		return fmt.Errorf("rules replay: %w", err)
	}
	var people []int64
	for _, xs := range slices.Concat(slices.Collect(maps.Values(run.result.Examples)), slices.Collect(maps.Values(run.result.ChangeExamples))) {
		for _, x := range xs {
			people = append(people, x.PersonID)
		}
	}
	if run.names, err = db.PersonNames(ctx, org, people); err != nil {
		return err
	}
	el := time.Since(start)
	rate := 0.0
	if el > 0 {
		rate = float64(run.result.Messages) / el.Seconds()
	}
	fmt.Fprintf(env.Stderr, "qunzhu rules replay: %d messages in %v (%.0f a second)\n", run.result.Messages, el.Round(time.Millisecond), rate)
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(run.json())
	}
	run.text(env.Stdout)
	return nil
}

// scopeOfFile says which file of the rules directory dir a path is, the
// zero Scope when it is none of them.
func scopeOfFile(path, dir string) rules.Scope {
	if dir == "" {
		return rules.Scope{}
	}
	abs, err1 := filepath.Abs(path)
	root, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return rules.Scope{}
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil {
		return rules.Scope{}
	}
	rel = filepath.ToSlash(rel)
	if rel == "default.toml" {
		return rules.Scope{Kind: "default"}
	}
	sub, name, ok := strings.Cut(rel, "/")
	id, err := strconv.ParseInt(strings.TrimSuffix(name, ".toml"), 10, 64)
	if !ok || err != nil || id <= 0 || !strings.HasSuffix(name, ".toml") || (sub != "nodes" && sub != "groups") {
		return rules.Scope{}
	}
	return rules.Scope{Kind: strings.TrimSuffix(sub, "s"), ID: id}
}

// scopeFile names a scope's file in the rules directory.
func scopeFile(sc rules.Scope) string {
	switch sc.Kind {
	case "node":
		return "nodes/" + strconv.FormatInt(sc.ID, 10) + ".toml"
	case "group":
		return "groups/" + strconv.FormatInt(sc.ID, 10) + ".toml"
	}
	return "default.toml"
}

// replayActions are the verdicts, mildest first.
var replayActions = []rules.Action{rules.Allow, rules.Warn, rules.Delete, rules.Mute, rules.Kick, rules.Ban}

// what names what the platform was, or would be, asked to do.
func what(a chat.ActionKind) string {
	if a == "" {
		return "nothing"
	}
	if a == chat.ActSend {
		return "warn"
	}
	return string(a)
}

// change names a change "done → would" of rules.ReplayResult.Changes.
func change(k string) string {
	from, to, _ := strings.Cut(k, " → ")
	return what(chat.ActionKind(from)) + " → " + what(chat.ActionKind(to))
}

func (run *replayRun) name(x rules.ReplayExample) string {
	if n := run.names[x.PersonID]; n != "" {
		return n
	}
	return "(a former member)"
}

// text writes the result for a reader.
func (run *replayRun) text(w io.Writer) {
	r := run.result
	day := func(t time.Time) string { return t.In(run.loc).Format("2006-01-02 15:04") }
	if run.node != nil {
		fmt.Fprintf(w, "Replay of node %s (%d): %d groups\n", run.node.Name, run.node.ID, len(run.groups))
	} else {
		g := run.groups[0]
		fmt.Fprintf(w, "Replay of group %s (%d)\n", g.Name, g.ID)
	}
	fmt.Fprintf(w, "Period: %s to %s (%s)\n", day(run.since), day(run.now), run.loc)
	switch {
	case run.file != "":
		fmt.Fprintf(w, "Rules: %s in place of %s, unsaved\n", run.file, run.as)
	case len(run.rulesLayers) > 0:
		names := make([]string, len(run.rulesLayers))
		for i, l := range run.rulesLayers {
			names[i] = filepath.ToSlash(l.Name)
		}
		fmt.Fprintf(w, "Rules: in force (%s)\n", strings.Join(names, " + "))
	default:
		fmt.Fprintf(w, "Rules: in force\n")
	}
	fmt.Fprintf(w, "\nMessages judged: %d\n", r.Messages)
	if r.Messages == 0 {
		return
	}
	share := func(n int) string { return fmt.Sprintf("%.1f%%", float64(n)*100/float64(r.Messages)) }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "\nVerdicts\n")
	for _, a := range replayActions {
		if n := r.Verdicts[a]; n > 0 || a == rules.Allow {
			fmt.Fprintf(tw, "  %s\t%d\t%s\t\n", a, n, share(n))
		}
	}
	tw.Flush()
	if r.Model > 0 {
		fmt.Fprintf(w, "  of which the model's guesses: %d (warnings only, not counted on the ladder)\n", r.Model)
	}
	if len(r.Categories) > 0 {
		fmt.Fprintf(w, "\nBy category\n")
		fmt.Fprintf(tw, "  \twarn\tdelete\tmute\tkick\tban\ttotal\t\n")
		cats := slices.Sorted(maps.Keys(r.Categories))
		for _, c := range cats {
			fmt.Fprintf(tw, "  %s\t", c)
			total := 0
			for _, a := range replayActions[1:] {
				fmt.Fprintf(tw, "%d\t", r.Categories[c][a])
				total += r.Categories[c][a]
			}
			fmt.Fprintf(tw, "%d\t  %s\n", total, rules.CategoryName(c).Zh) // wide characters last: they would break the columns
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nAgainst what was done\n")
	for _, c := range []struct {
		what string
		n    int
		note string
	}{{"the same", r.Same, ""}, {"added", r.Added, "acted on where nothing was done"}, {"dropped", r.Dropped, "no longer acted on"},
		{"harsher", r.Harsher, ""}, {"milder", r.Milder, ""}} {
		if c.note != "" {
			fmt.Fprintf(tw, "  %s\t%d\t  %s\n", c.what, c.n, c.note)
		} else {
			fmt.Fprintf(tw, "  %s\t%d\t\n", c.what, c.n)
		}
	}
	tw.Flush()
	for _, k := range r.ChangeKeys() {
		fmt.Fprintf(tw, "    %s\t%d\t\n", change(k), r.Changes[k])
	}
	tw.Flush()
	example := func(x rules.ReplayExample) {
		text := oneLine(x.Text)
		if x.Kind != chat.KindText && x.Kind != "" {
			text = strings.TrimSpace("[" + string(x.Kind) + "] " + text)
		}
		fmt.Fprintf(w, "    %s  %s  %s: %s\n", day(x.At), run.byID[x.GroupID].Name, run.name(x), text)
		if x.Verdict.Action == rules.Allow {
			fmt.Fprintf(w, "      allowed now; done: %s", what(x.Done))
		} else {
			if len(x.Verdict.Matched) > 0 {
				fmt.Fprintf(w, "      matched %s;", strings.Join(x.Verdict.Matched, ", "))
			} else {
				fmt.Fprint(w, "     ")
			}
			fmt.Fprintf(w, " rule %s; done: %s", x.Verdict.Rule, what(x.Done))
		}
		if x.DoneRule != "" {
			fmt.Fprintf(w, " (%s)", x.DoneRule)
		}
		fmt.Fprintln(w)
	}
	if len(r.Examples) > 0 {
		fmt.Fprintf(w, "\nExamples\n")
		for _, k := range r.ExampleKeys() {
			a, c, _ := strings.Cut(k, " ")
			fmt.Fprintf(w, "  %s %s %s\n", a, c, rules.CategoryName(c).Zh)
			for _, x := range r.Examples[k] {
				example(x)
			}
		}
	}
	if len(r.ChangeExamples) > 0 {
		fmt.Fprintf(w, "\nChanges from what was done\n")
		for _, k := range r.ChangeKeys() {
			fmt.Fprintf(w, "  %s\n", change(k))
			for _, x := range r.ChangeExamples[k] {
				example(x)
			}
		}
	}
}

// oneLine keeps an example's text on its line, and short.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return s
}

// replayJSON is the result of --json.
type replayJSON struct {
	Group      *replayGroupJSON                `json:"group,omitempty"`
	Node       *replayGroupJSON                `json:"node,omitempty"`
	Groups     []replayGroupJSON               `json:"groups"`
	Since      time.Time                       `json:"since"`
	Until      time.Time                       `json:"until"`
	Rules      string                          `json:"rules"` // "in force", or the file replayed
	As         string                          `json:"as,omitempty"`
	Messages   int                             `json:"messages"`
	Verdicts   map[rules.Action]int            `json:"verdicts"`
	Categories map[string]map[rules.Action]int `json:"categories"`
	Model      int                             `json:"model"`
	Done       replayDoneJSON                  `json:"against_done"`
	Examples   []replayExamplesJSON            `json:"examples"`
	Changes    []replayExamplesJSON            `json:"change_examples"`
}

type replayGroupJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type replayDoneJSON struct {
	Same    int            `json:"same"`
	Added   int            `json:"added"`
	Dropped int            `json:"dropped"`
	Harsher int            `json:"harsher"`
	Milder  int            `json:"milder"`
	Changes map[string]int `json:"changes"`
}

type replayExamplesJSON struct {
	Verdict  string              `json:"verdict,omitempty"`
	Category string              `json:"category,omitempty"`
	Change   string              `json:"change,omitempty"`
	Messages []replayExampleJSON `json:"messages"`
}

type replayExampleJSON struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"`
	Group    string    `json:"group"`
	Member   string    `json:"member"`
	Kind     string    `json:"kind"`
	Text     string    `json:"text"`
	Matched  []string  `json:"matched"`
	Rule     string    `json:"rule"`
	Would    string    `json:"would"`
	Done     string    `json:"done"`
	DoneRule string    `json:"done_rule,omitempty"`
}

func (run *replayRun) json() replayJSON {
	r := run.result
	out := replayJSON{Since: run.since.In(run.loc), Until: run.now.In(run.loc), Rules: "in force", Messages: r.Messages, Verdicts: r.Verdicts,
		Categories: r.Categories, Model: r.Model, Groups: []replayGroupJSON{}, Examples: []replayExamplesJSON{}, Changes: []replayExamplesJSON{},
		Done: replayDoneJSON{Same: r.Same, Added: r.Added, Dropped: r.Dropped, Harsher: r.Harsher, Milder: r.Milder, Changes: map[string]int{}}}
	if run.node != nil {
		out.Node = &replayGroupJSON{run.node.ID, run.node.Name}
	} else {
		out.Group = &replayGroupJSON{run.groups[0].ID, run.groups[0].Name}
	}
	for _, g := range run.groups {
		out.Groups = append(out.Groups, replayGroupJSON{g.ID, g.Name})
	}
	if run.file != "" {
		out.Rules, out.As = run.file, run.as
	}
	for k, n := range r.Changes {
		out.Done.Changes[change(k)] = n
	}
	example := func(x rules.ReplayExample) replayExampleJSON {
		m := x.Verdict.Matched
		if m == nil {
			m = []string{}
		}
		return replayExampleJSON{ID: x.ID, At: x.At.In(run.loc), Group: run.byID[x.GroupID].Name, Member: run.name(x), Kind: string(x.Kind), Text: x.Text, Matched: m,
			Rule: x.Verdict.Rule, Would: what(x.Would), Done: what(x.Done), DoneRule: x.DoneRule}
	}
	for _, k := range r.ExampleKeys() {
		a, c, _ := strings.Cut(k, " ")
		e := replayExamplesJSON{Verdict: a, Category: c}
		for _, x := range r.Examples[k] {
			e.Messages = append(e.Messages, example(x))
		}
		out.Examples = append(out.Examples, e)
	}
	for _, k := range r.ChangeKeys() {
		e := replayExamplesJSON{Change: change(k)}
		for _, x := range r.ChangeExamples[k] {
			e.Messages = append(e.Messages, example(x))
		}
		out.Changes = append(out.Changes, e)
	}
	return out
}

// replayProgress shows a replay's progress on standard error: a bar that
// redraws itself on a terminal, a line at each tenth otherwise.
type replayProgress struct {
	w     io.Writer
	total int
	tty   bool
	tenth int
}

func newReplayProgress(w io.Writer, total int) *replayProgress {
	p := &replayProgress{w: w, total: total, tty: isTerminal(w)}
	fmt.Fprintf(w, "qunzhu rules replay: %d messages to judge\n", total)
	return p
}

func (p *replayProgress) update(n int) {
	if p.total == 0 {
		return
	}
	pct := min(100, n*100/p.total)
	if p.tty {
		const width = 30
		fill := width * pct / 100
		fmt.Fprintf(p.w, "\r[%s%s] %d / %d messages %3d%%", strings.Repeat("#", fill), strings.Repeat("-", width-fill), n, p.total, pct)
		return
	}
	if t := pct / 10; t > p.tenth {
		p.tenth = t
		fmt.Fprintf(p.w, "  %d / %d messages (%d%%)\n", n, p.total, pct)
	}
}

func (p *replayProgress) finish() {
	if p.tty && p.total > 0 {
		fmt.Fprintln(p.w)
	}
}
