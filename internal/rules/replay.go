package rules

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// Replay: what a rule set would have done to the messages a group already
// has — before an operator saves it. The store streams the stored
// messages of a period with what was actually done about each; Replay
// judges each as the service would have (flood and the ladder included,
// from the messages' own times), counts the verdicts by action and
// category, keeps examples, and sets what would be done against what was
// done.

// Stored is one stored message as Replay needs it.
type Stored struct {
	ID       int64 // the store's message id, for examples
	GroupID  int64
	PersonID int64
	UserID   string // the sender's platform user id (allow.members)
	// Role is the sender's role in the group now: staff roles apply to
	// history imported before they were set.
	Role      string
	Lecturer  bool // the sender teaches in the group
	ToStaff   bool // the message replies to or mentions the group's staff
	Kind      chat.MessageKind
	Text      string
	URL       string
	Mentions  int // an @all counts as 100
	At        time.Time
	JoinedAt  time.Time
	Done      chat.ActionKind // what was done about it ("" nothing): the harshest action recorded
	DoneRule  string          // and the rule, when the rules did it
	GroupKind string          // the group's kind (community.GroupKind)
}

// ReplayOptions say what to replay with.
type ReplayOptions struct {
	// Rules is the rule set to replay, or RulesFor the rule set of each
	// group (a node's groups can differ); one of them is needed.
	Rules    *RuleSet
	RulesFor func(groupID int64) (*RuleSet, error)
	Engine   *Engine // nil: the built-in dictionaries and model
	// Examples is how many examples to keep of each verdict and category,
	// and of each change from what was done (default 5).
	Examples int
	// Progress, when not nil, is called every ProgressEvery messages
	// (default 20,000) and once at the end with the number judged.
	Progress      func(judged int)
	ProgressEvery int
}

// ReplayResult is what a rule set would have done.
type ReplayResult struct {
	Messages int
	// Verdicts counts the messages by the action the rules would take
	// (allow included) and, for the others, by category.
	Verdicts   map[Action]int
	Categories map[string]map[Action]int
	// Model counts the verdicts that are the model's.
	Model int
	// Examples of each verdict: key "action category", the first seen.
	Examples map[string][]ReplayExample
	// Against what was done, by what the platform would be asked to do:
	// Same, Added (something where nothing was done), Dropped (nothing
	// where something was), Harsher and Milder.
	Same, Added, Dropped, Harsher, Milder int
	// Changes counts each change "done → would" ("" for nothing), with
	// examples.
	Changes        map[string]int
	ChangeExamples map[string][]ReplayExample
	Elapsed        time.Duration
}

// ReplayExample is one message and its verdicts, then and now.
type ReplayExample struct {
	ID       int64
	GroupID  int64
	PersonID int64 // the sender, to name them
	Kind     chat.MessageKind
	At       time.Time
	Text     string
	Verdict  Verdict         // the rules' verdict, with its words
	Would    chat.ActionKind // what the platform would be asked to do
	Done     chat.ActionKind
	DoneRule string
}

// platformSeverity orders what the platform is asked to do.
var platformSeverity = map[chat.ActionKind]int{"": 0, chat.ActSend: 1, chat.ActDelete: 2, chat.ActMute: 3, chat.ActKick: 4, chat.ActBan: 5}

// Replay judges the messages of msgs, in the order given (by time, for
// flood and the ladder to mean what they do live). It stops at the first
// error of msgs or when ctx is done. It keeps the counts and a few
// examples, never the messages: any number of them streams through.
func Replay(ctx context.Context, o ReplayOptions, msgs iter.Seq2[Stored, error]) (*ReplayResult, error) {
	if o.Rules == nil && o.RulesFor == nil {
		return nil, fmt.Errorf("replay: no rules")
	}
	e := o.Engine
	if e == nil {
		e = NewEngine(nil, nil)
	}
	keep := o.Examples
	if keep <= 0 {
		keep = 5
	}
	every := o.ProgressEvery
	if every <= 0 {
		every = 20_000
	}
	r := &ReplayResult{Verdicts: map[Action]int{}, Categories: map[string]map[Action]int{}, Examples: map[string][]ReplayExample{},
		Changes: map[string]int{}, ChangeExamples: map[string][]ReplayExample{}}
	start := time.Now()
	var flood floodMemory
	offences := map[int64][]time.Time{} // the ladder: each person's offences, oldest first
	var rules map[int64]*RuleSet
	if o.RulesFor != nil {
		rules = map[int64]*RuleSet{}
	}
	for m, err := range msgs {
		if err != nil {
			return r, err
		}
		if r.Messages%every == 0 && r.Messages > 0 {
			if err := ctx.Err(); err != nil {
				return r, err
			}
			if o.Progress != nil {
				o.Progress(r.Messages)
			}
		}
		rs := o.Rules
		if rules != nil {
			if rs = rules[m.GroupID]; rs == nil {
				if rs, err = o.RulesFor(m.GroupID); err != nil {
					return r, fmt.Errorf("replay: rules of group %d: %w", m.GroupID, err)
				}
				rules[m.GroupID] = rs
			}
		}
		in := Input{Text: m.Text, Kind: m.Kind, URL: m.URL, Role: m.Role, UserID: m.UserID, At: m.At, JoinedAt: m.JoinedAt,
			Mentions: m.Mentions, Lecturer: m.Lecturer, ToStaff: m.ToStaff, GroupKind: m.GroupKind}
		if in.Role == "" {
			in.Role = "member"
		}
		if f := rs.Flood; f.Window > 0 {
			in.Recent, in.Identical = flood.observe(floodKey{m.GroupID, m.PersonID}, m.At, m.Text, time.Duration(f.Window))
		}
		window := time.Duration(rs.Escalation.Window)
		if window <= 0 {
			window = 30 * 24 * time.Hour
		}
		past := offences[m.PersonID]
		for len(past) > 0 && m.At.Sub(past[0]) >= window {
			past = past[1:]
		}
		in.Offences = len(past)
		v := e.evaluate(rs, &in, false, nil) // Decide, without copying in
		r.Messages++
		r.Verdicts[v.Action]++
		if v.Action != Allow {
			cs := r.Categories[v.Category]
			if cs == nil {
				cs = map[Action]int{}
				r.Categories[v.Category] = cs
			}
			cs[v.Action]++
			if v.Model {
				r.Model++
			}
			// What counts on the ladder, as the store counts it: not a
			// reminder, not a guess, and nothing against a member in a
			// group where they are staff now (CountOffences).
			if v.Category != "quiet" && v.Category != "nickname" && !v.Model && !community.Role(in.Role).Staff() {
				past = append(past, m.At)
			}
		}
		if len(past) > 0 || offences[m.PersonID] != nil {
			offences[m.PersonID] = past
		}
		would := v.PlatformAction()
		change := ""
		switch d, w := platformSeverity[m.Done], platformSeverity[would]; {
		case m.Done == would:
			r.Same++
		case d == 0:
			r.Added++
			change = "added"
		case w == 0:
			r.Dropped++
			change = "dropped"
		case w > d:
			r.Harsher++
			change = "harsher"
		default:
			r.Milder++
			change = "milder"
		}
		key := string(v.Action)
		if v.Action != Allow {
			key += " " + v.Category
		}
		ckey := string(m.Done) + " → " + string(would)
		if change != "" {
			r.Changes[ckey]++
		}
		// Examples: the verdict again, with its words, for the first few.
		wantV := v.Action != Allow && len(r.Examples[key]) < keep
		wantC := change != "" && len(r.ChangeExamples[ckey]) < keep
		if wantV || wantC {
			full := e.Evaluate(rs, in)
			x := ReplayExample{ID: m.ID, GroupID: m.GroupID, PersonID: m.PersonID, Kind: m.Kind, At: m.At, Text: m.Text, Verdict: full, Would: would, Done: m.Done, DoneRule: m.DoneRule}
			if wantV {
				r.Examples[key] = append(r.Examples[key], x)
			}
			if wantC {
				r.ChangeExamples[ckey] = append(r.ChangeExamples[ckey], x)
			}
		}
	}
	r.Elapsed = time.Since(start)
	if o.Progress != nil {
		o.Progress(r.Messages)
	}
	return r, nil
}

// ExampleKeys lists the keys of Examples, the harshest verdict first,
// then by category.
func (r *ReplayResult) ExampleKeys() []string {
	keys := slices.Collect(maps.Keys(r.Examples))
	sort.Slice(keys, func(a, b int) bool {
		aa, ca, _ := strings.Cut(keys[a], " ")
		ab, cb, _ := strings.Cut(keys[b], " ")
		if aa != ab {
			return Action(aa).Severe(Action(ab))
		}
		return ca < cb
	})
	return keys
}

// ChangeKeys lists the keys of Changes, the most frequent first.
func (r *ReplayResult) ChangeKeys() []string {
	keys := slices.Collect(maps.Keys(r.Changes))
	sort.Slice(keys, func(a, b int) bool {
		if r.Changes[keys[a]] != r.Changes[keys[b]] {
			return r.Changes[keys[a]] > r.Changes[keys[b]]
		}
		return keys[a] < keys[b]
	})
	return keys
}
