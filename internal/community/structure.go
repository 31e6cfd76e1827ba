package community

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Group structure: the five things every community must settle (定位,
// 门槛, 群规, KOL, 目标), templates that lay out a whole set of groups in the
// seed's order, the "to create" tasks they produce, and capacity routing
// within a family of groups (群活码).

// RulesInherited is a profile's rules when the group follows its tree
// node's (or the organisation's) rules rather than a file of its own.
const RulesInherited = "inherited"

// Profile is a group's positioning, admission threshold, rules, key opinion
// leaders and goal.
type Profile struct {
	GroupID     int64
	Positioning string  // 定位: who the group is for and what it is
	Threshold   string  // 门槛: who may join (paid, invited, a purchase, …)
	Rules       string  // "" (not settled), RulesInherited or "group:ID" (its own rules file)
	KOLs        []int64 // person ids of current members, in the operator's order
	Goal        string  // 目标
	UpdatedAt   time.Time
	UpdatedBy   string
}

// Limits of a profile.
const (
	MaxProfileText = 2000
	MaxKOLs        = 50
)

// Validate checks a profile's fields (not that the KOLs are members: that
// needs the store). It trims the texts.
func (p *Profile) Validate() error {
	for _, f := range []struct {
		name string
		v    *string
	}{{"positioning", &p.Positioning}, {"threshold", &p.Threshold}, {"goal", &p.Goal}} {
		*f.v = strings.TrimSpace(*f.v)
		if n := utf8.RuneCountInString(*f.v); n > MaxProfileText {
			return errkind.Errorf(errkind.Invalid, "%s: %d characters, at most %d", f.name, n, MaxProfileText)
		}
	}
	p.Rules = strings.TrimSpace(p.Rules)
	if p.Rules != "" && p.Rules != RulesInherited && p.Rules != "group:"+strconv.FormatInt(p.GroupID, 10) {
		return errkind.Errorf(errkind.Invalid, "rules %q: want %q (the tree node's or organisation's rules apply) or \"group:%d\" (this group's own rules file)", p.Rules, RulesInherited, p.GroupID)
	}
	if len(p.KOLs) > MaxKOLs {
		return errkind.Errorf(errkind.Invalid, "kols: %d people, at most %d", len(p.KOLs), MaxKOLs)
	}
	seen := map[int64]bool{}
	for i, id := range p.KOLs {
		if id <= 0 {
			return errkind.Errorf(errkind.Invalid, "kols[%d]: %d is not a person id", i, id)
		}
		if seen[id] {
			return errkind.Errorf(errkind.Invalid, "kols[%d]: person %d is listed twice", i, id)
		}
		seen[id] = true
	}
	return nil
}

// CheckItem is one line of a group's checklist.
type CheckItem struct {
	Key     string // "positioning", "threshold", "rules", "kol", "goal", "owner", "assistant", "capacity", "node", "end_date"
	LabelZH string
	LabelEN string
	Five    bool   // one of the five things every community must do; otherwise a gap flagged from the group's state
	Done    bool   // settled (the five) or nothing to flag (the others)
	Detail  string // what is there or what is wrong, in English
}

// Status is "done" or "missing" for the five, "ok" or "flagged" for the
// others.
func (c CheckItem) Status() string {
	switch {
	case c.Five && c.Done:
		return "done"
	case c.Five:
		return "missing"
	case c.Done:
		return "ok"
	}
	return "flagged"
}

// CheckInput is what a checklist is made from.
type CheckInput struct {
	Group       Group // with Members filled
	Profile     Profile
	Owners      int     // open memberships with the owner role
	Assistants  int     // open memberships with the assistant role (店小二)
	PresentKOLs []int64 // the profile's KOLs still in the group
}

// Checklist lists the five things (positioning, threshold, rules, KOLs,
// goal), then the gaps an operator would want flagged: no owner, no
// assistant, over 90% of capacity, not placed in the tree, a temporary
// group without an end date.
func Checklist(in CheckInput) []CheckItem {
	p, g := in.Profile, in.Group
	text := func(key, zh, en, v string) CheckItem {
		it := CheckItem{Key: key, LabelZH: zh, LabelEN: en, Five: true, Done: v != ""}
		if it.Done {
			it.Detail = v
		} else {
			it.Detail = "not set in the group's profile"
		}
		return it
	}
	rules := CheckItem{Key: "rules", LabelZH: "群规", LabelEN: "Rules", Five: true, Done: p.Rules != ""}
	switch p.Rules {
	case "":
		rules.Detail = `not set: link the group's own rules ("group:ID") or confirm it follows the inherited rules`
	case RulesInherited:
		rules.Detail = "follows its tree node's or the organisation's rules"
	default:
		rules.Detail = "its own rules file, scope " + p.Rules
	}
	kol := CheckItem{Key: "kol", LabelZH: "意见领袖(KOL)", LabelEN: "Key opinion leaders (KOL)", Five: true, Done: len(in.PresentKOLs) > 0}
	switch {
	case len(p.KOLs) == 0:
		kol.Detail = "no KOL named in the group's profile"
	default:
		kol.Detail = fmt.Sprintf("%d of %d named KOLs in the group", len(in.PresentKOLs), len(p.KOLs))
		if gone := len(p.KOLs) - len(in.PresentKOLs); gone > 0 {
			var ids []string
			for _, id := range p.KOLs {
				if !slices.Contains(in.PresentKOLs, id) {
					ids = append(ids, strconv.FormatInt(id, 10))
				}
			}
			kol.Detail += "; left: person " + strings.Join(ids, ", ")
		}
	}
	items := []CheckItem{
		text("positioning", "定位", "Positioning", p.Positioning),
		text("threshold", "门槛", "Admission threshold", p.Threshold),
		rules,
		kol,
		text("goal", "目标", "Goal", p.Goal),
	}
	count := func(n int, role string) string {
		if n == 0 {
			return "no " + role + " among the members"
		}
		return fmt.Sprintf("%d %s", n, role)
	}
	items = append(items,
		CheckItem{Key: "owner", LabelZH: "群主", LabelEN: "Owner", Done: in.Owners > 0, Detail: count(in.Owners, "owner")},
		CheckItem{Key: "assistant", LabelZH: "店小二", LabelEN: "Assistant", Done: in.Assistants > 0, Detail: count(in.Assistants, "assistant")},
		CheckItem{Key: "capacity", LabelZH: "容量(不超过90%)", LabelEN: "Capacity (at most 90% full)", Done: !NearlyFull(g),
			Detail: fmt.Sprintf("%d of %d members", g.Members, g.Capacity)},
	)
	node := CheckItem{Key: "node", LabelZH: "组织节点", LabelEN: "Tree node", Done: g.NodeID != 0, Detail: "not placed in the organisation tree"}
	if node.Done {
		node.Detail = "node " + strconv.FormatInt(g.NodeID, 10)
	}
	end := CheckItem{Key: "end_date", LabelZH: "临时群结束日期", LabelEN: "End date (temporary group)", Done: true, Detail: "not a temporary group"}
	if g.Kind == KindTemporary {
		end.Done = g.ExpiresAt != nil
		end.Detail = "a temporary group without an end date"
		if end.Done {
			end.Detail = "ends " + g.ExpiresAt.Format(time.RFC3339)
		}
	}
	return append(items, node, end)
}

// NearlyFull reports whether a group is over 90% of its capacity.
func NearlyFull(g Group) bool { return g.Capacity > 0 && g.Members*10 > g.Capacity*9 }

// HasRoom reports whether a new joiner can be sent to the group: active and
// below its capacity (a group at exactly its capacity is full).
func HasRoom(g Group) bool {
	capN := g.Capacity
	if capN <= 0 {
		capN = DefaultCapacity
	}
	return g.Lifecycle != Archived && g.Members < capN
}

// NextWithRoom picks the group of a family (in family order) a joiner
// turned away from the full group from should go to: the first with room
// after from, then the first with room before it. ok is false when none has
// room.
func NextWithRoom(from int64, family []Group) (Group, bool) {
	at := slices.IndexFunc(family, func(g Group) bool { return g.ID == from })
	for i := 1; i <= len(family); i++ {
		g := family[(at+i+len(family))%len(family)]
		if g.ID != from && HasRoom(g) {
			return g, true
		}
	}
	return Group{}, false
}

// Built-in pattern variables: the group's number within its family and the
// step's topic.
const (
	VarN     = "n"
	VarTopic = "topic"
)

// Pattern is a group naming pattern such as "NF-{county}{year}第{n}期{topic}群":
// literal text and {variables}. Braces are not allowed as literal text.
type Pattern struct {
	parts []patternPart
}

type patternPart struct {
	text  string
	isVar bool
}

// ParsePattern reads a naming pattern.
func ParsePattern(s string) (Pattern, error) {
	var p Pattern
	if strings.TrimSpace(s) == "" {
		return p, errkind.New(errkind.Invalid, "empty pattern: the names would be empty")
	}
	rest := s
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			p.parts = append(p.parts, patternPart{text: rest})
			break
		}
		if rest[open] == '}' {
			return p, errkind.Errorf(errkind.Invalid, "pattern %q: a } without its {", s)
		}
		if open > 0 {
			p.parts = append(p.parts, patternPart{text: rest[:open]})
		}
		end := strings.IndexAny(rest[open+1:], "{}")
		if end < 0 || rest[open+1+end] == '{' {
			return p, errkind.Errorf(errkind.Invalid, "pattern %q: a { without its }", s)
		}
		name := rest[open+1 : open+1+end]
		if !validVarName(name) {
			return p, errkind.Errorf(errkind.Invalid, "pattern %q: {%s} is not a variable name (letters, digits and _, not starting with a digit)", s, name)
		}
		p.parts = append(p.parts, patternPart{text: name, isVar: true})
		rest = rest[open+2+end:]
	}
	return p, nil
}

func validVarName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', unicode.IsLetter(r):
		case unicode.IsDigit(r) && i > 0:
		default:
			return false
		}
	}
	return true
}

// Vars lists the pattern's variables in order of first use.
func (p Pattern) Vars() []string {
	var out []string
	for _, pp := range p.parts {
		if pp.isVar && !slices.Contains(out, pp.text) {
			out = append(out, pp.text)
		}
	}
	return out
}

// Uses reports whether the pattern uses a variable.
func (p Pattern) Uses(name string) bool { return slices.Contains(p.Vars(), name) }

// Render fills in the variables; a variable without a value renders as
// itself in braces.
func (p Pattern) Render(vals map[string]string) string {
	var b strings.Builder
	for _, pp := range p.parts {
		switch v, ok := vals[pp.text]; {
		case !pp.isVar:
			b.WriteString(pp.text)
		case ok:
			b.WriteString(v)
		default:
			b.WriteString("{" + pp.text + "}")
		}
	}
	return strings.TrimSpace(b.String())
}

// Template is a named list of steps that lays out a whole set of groups in
// order (the seed: lecturer internal group → topic groups → enrolment
// consultation → one group per cohort → all-hands).
type Template struct {
	ID        int64
	OrgID     int64
	Name      string
	Variables []string // supplied when applied, e.g. county, year
	Steps     []TemplateStep
	CreatedAt time.Time
}

// TemplateStep is one step: Count groups of a kind (for each topic when
// Topics is set), named by Pattern.
type TemplateStep struct {
	ID      int64
	Kind    GroupKind
	Count   int      // groups per topic (or in all without topics); 1 when 0
	Topics  []string // one family of groups per topic
	Pattern string
}

// Limits of a template.
const (
	MaxTemplateSteps  = 50
	MaxTemplateGroups = 1000
	MaxStepCount      = 200
	MaxGroupName      = 200
)

// Validate checks a template: a name, declared variables, known kinds and
// patterns that use only declared or built-in variables and give every
// group a distinct, non-empty name whatever values are supplied. It fills
// in defaults and trims.
func (t *Template) Validate() error {
	t.Name = strings.TrimSpace(t.Name)
	if t.Name == "" || utf8.RuneCountInString(t.Name) > 100 {
		return errkind.New(errkind.Invalid, "name: required, at most 100 characters")
	}
	if len(t.Variables) > 20 {
		return errkind.Errorf(errkind.Invalid, "variables: %d, at most 20", len(t.Variables))
	}
	for i, v := range t.Variables {
		if !validVarName(v) {
			return errkind.Errorf(errkind.Invalid, "variables[%d]: %q is not a variable name (letters, digits and _, not starting with a digit)", i, v)
		}
		if v == VarN || v == VarTopic {
			return errkind.Errorf(errkind.Invalid, "variables[%d]: {%s} is built in: the group's number in its family ({n}) or the step's topic ({topic})", i, v)
		}
		if slices.Contains(t.Variables[:i], v) {
			return errkind.Errorf(errkind.Invalid, "variables[%d]: %q is declared twice", i, v)
		}
	}
	if len(t.Steps) == 0 || len(t.Steps) > MaxTemplateSteps {
		return errkind.Errorf(errkind.Invalid, "steps: want 1 to %d steps, got %d", MaxTemplateSteps, len(t.Steps))
	}
	total := 0
	for i := range t.Steps {
		s := &t.Steps[i]
		if !s.Kind.Valid() {
			return errkind.Errorf(errkind.Invalid, "steps[%d].kind: unknown group kind %q", i, s.Kind)
		}
		if s.Count == 0 {
			s.Count = 1
		}
		if s.Count < 1 || s.Count > MaxStepCount {
			return errkind.Errorf(errkind.Invalid, "steps[%d].count: want 1 to %d, got %d", i, MaxStepCount, s.Count)
		}
		for j := range s.Topics {
			s.Topics[j] = strings.TrimSpace(s.Topics[j])
			if s.Topics[j] == "" {
				return errkind.Errorf(errkind.Invalid, "steps[%d].topics[%d]: empty topic", i, j)
			}
			if slices.Contains(s.Topics[:j], s.Topics[j]) {
				return errkind.Errorf(errkind.Invalid, "steps[%d].topics[%d]: topic %q is listed twice", i, j, s.Topics[j])
			}
		}
		p, err := ParsePattern(s.Pattern)
		if err != nil {
			return errkind.Errorf(errkind.Invalid, "steps[%d].pattern: %s", i, errkind.Message(err))
		}
		for _, v := range p.Vars() {
			switch {
			case v == VarN:
			case v == VarTopic && len(s.Topics) == 0:
				return errkind.Errorf(errkind.Invalid, "steps[%d].pattern: {topic} is used but the step has no topics", i)
			case v == VarTopic:
			case !slices.Contains(t.Variables, v):
				return errkind.Errorf(errkind.Invalid, "steps[%d].pattern: unknown variable {%s}; declared: %s; built in: n, topic", i, v, declared(t.Variables))
			}
		}
		if s.Count > 1 && !p.Uses(VarN) {
			return errkind.Errorf(errkind.Invalid, "steps[%d].pattern: count is %d but the pattern has no {n}: the names would repeat", i, s.Count)
		}
		if len(s.Topics) > 1 && !p.Uses(VarTopic) {
			return errkind.Errorf(errkind.Invalid, "steps[%d].pattern: %d topics but the pattern has no {topic}: the names would repeat", i, len(s.Topics))
		}
		total += s.Count * max(1, len(s.Topics))
	}
	if total > MaxTemplateGroups {
		return errkind.Errorf(errkind.Invalid, "steps: %d groups in all, at most %d", total, MaxTemplateGroups)
	}
	// Names that repeat whatever the values: compare the names with the
	// declared variables left as {name}.
	_, err := t.plan(nil)
	return err
}

func declared(vs []string) string {
	if len(vs) == 0 {
		return "none"
	}
	return strings.Join(vs, ", ")
}

// PlannedGroup is a group a template asks for.
type PlannedGroup struct {
	Step  int // index into Steps
	Topic string
	N     int // number within its family (step and topic), from 1
	Name  string
	Kind  GroupKind
}

// Plan lists the groups the template asks for with these variables, in the
// template's order. Every declared variable must have a non-empty value and
// no other may be given; the names must be distinct and non-empty.
func (t Template) Plan(vars map[string]string) ([]PlannedGroup, error) {
	clean := make(map[string]string, len(vars))
	for k, v := range vars {
		if !slices.Contains(t.Variables, k) {
			return nil, errkind.Errorf(errkind.Invalid, "variables: unknown variable %q; the template declares %s", k, declared(t.Variables))
		}
		v = strings.TrimSpace(v)
		if v == "" {
			return nil, errkind.Errorf(errkind.Invalid, "variables.%s: empty value", k)
		}
		clean[k] = v
	}
	for _, v := range t.Variables {
		if _, ok := clean[v]; !ok {
			return nil, errkind.Errorf(errkind.Invalid, "variables.%s: missing (the template declares %s)", v, declared(t.Variables))
		}
	}
	return t.plan(clean)
}

func (t Template) plan(vars map[string]string) ([]PlannedGroup, error) {
	var out []PlannedGroup
	where := map[string]int{}
	for i, s := range t.Steps {
		p, err := ParsePattern(s.Pattern)
		if err != nil {
			return nil, errkind.Errorf(errkind.Invalid, "steps[%d].pattern: %s", i, errkind.Message(err))
		}
		topics := s.Topics
		if len(topics) == 0 {
			topics = []string{""}
		}
		for _, topic := range topics {
			for n := 1; n <= max(1, s.Count); n++ {
				name := FamilyName(p, vars, topic, n)
				switch {
				case name == "":
					return nil, errkind.Errorf(errkind.Invalid, "steps[%d]: the pattern %q gives an empty name", i, s.Pattern)
				case utf8.RuneCountInString(name) > MaxGroupName:
					return nil, errkind.Errorf(errkind.Invalid, "steps[%d]: name %q is over %d characters", i, name, MaxGroupName)
				}
				if j, dup := where[name]; dup {
					return nil, errkind.Errorf(errkind.Invalid, "steps[%d] and steps[%d] both name a group %q: names must be distinct", j, i, name)
				}
				where[name] = i
				out = append(out, PlannedGroup{Step: i, Topic: topic, N: n, Name: name, Kind: s.Kind})
			}
		}
	}
	return out, nil
}

// FamilyName is the name of group n of a family: the pattern with the
// family's variables, topic and number.
func FamilyName(p Pattern, vars map[string]string, topic string, n int) string {
	all := make(map[string]string, len(vars)+2)
	for k, v := range vars {
		all[k] = v
	}
	all[VarN] = strconv.Itoa(n)
	if topic != "" {
		all[VarTopic] = topic
	}
	return p.Render(all)
}

// TaskStatus is the state of a "to create" task.
type TaskStatus string

const (
	TaskOpen TaskStatus = "open" // the group is still to be created on the platform
	TaskDone TaskStatus = "done" // bound to the group that was created
)

// Task origins.
const (
	OriginTemplate = "template" // from applying a template
	OriginOverflow = "overflow" // from capacity routing: the family is full
)

// GroupTask is a group to create: qunzhu's platforms cannot create groups,
// so applying a template (or a full family) asks the operator to, and the
// task is bound to the group once it exists.
type GroupTask struct {
	ID         int64
	OrgID      int64
	TemplateID int64
	FamilyID   int64 // the template step, topic and variables it belongs to
	Step       int   // 1-based step of the template
	Topic      string
	N          int // number within the family
	Name       string
	Kind       GroupKind
	NodeID     int64
	Origin     string
	Status     TaskStatus
	GroupID    int64 // once bound
	// Vars are the values the template's variables were given (the
	// family's).
	Vars      map[string]string
	CreatedAt time.Time
	DoneAt    *time.Time
}

// Route is where a new joiner of a group should be sent.
type Route struct {
	From   Group
	Target string     // "this", "family" or "create"
	Group  *Group     // this group or one of its family with room
	Task   *GroupTask // the group to create when the whole family is full
}

// NodeDeletion reports what deleting a node moved.
type NodeDeletion struct {
	NodeID   int64
	MovedTo  int64
	Children int
	Groups   int
	Users    int
	Tasks    int
}

// Application names one application of a template: the template and the
// values its variables were given. Every task of one application shares
// it.
func (t GroupTask) Application() string {
	keys := make([]string, 0, len(t.Vars))
	for k := range t.Vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.WriteString(strconv.FormatInt(t.TemplateID, 10))
	for _, k := range keys {
		b.WriteString("\x00" + k + "=" + t.Vars[k])
	}
	return b.String()
}

// OutOfOrder finds the groups created out of their template's order (the
// seed's: the lecturers' group first, then the topic groups, enrolment,
// one group per cohort, all-hands). Within one application of a template,
// a task bound to its group is out of order when a task of an earlier step
// is still open, or is bound to a group created after its own. created
// gives the creation time of each bound group. Overflow tasks (a full
// family's next group) come when they are needed and are left out. The
// result maps each task out of order to the earliest step that should have
// come first.
func OutOfOrder(tasks []GroupTask, created map[int64]time.Time) map[int64]int {
	byApp := map[string][]GroupTask{}
	for _, t := range tasks {
		if t.Origin != OriginOverflow {
			byApp[t.Application()] = append(byApp[t.Application()], t)
		}
	}
	out := map[int64]int{}
	for _, ts := range byApp {
		for _, t := range ts {
			at, ok := created[t.GroupID]
			if t.GroupID == 0 || !ok {
				continue
			}
			for _, e := range ts {
				if e.Step >= t.Step {
					continue
				}
				eAt, bound := created[e.GroupID]
				if e.GroupID != 0 && (!bound || !eAt.After(at)) {
					continue
				}
				if first, seen := out[t.ID]; !seen || e.Step < first {
					out[t.ID] = e.Step
				}
			}
		}
	}
	return out
}

// Subtree returns the nodes at and below root.
func Subtree(nodes []Node, root int64) map[int64]bool {
	parent := map[int64]int64{}
	for _, n := range nodes {
		parent[n.ID] = n.ParentID
	}
	in := map[int64]bool{}
	for _, n := range nodes {
		for id, hops := n.ID, 0; id != 0 && hops < 64; id, hops = parent[id], hops+1 {
			if id == root {
				in[n.ID] = true
				break
			}
		}
	}
	return in
}
