package rules

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Decider is the pipeline's rules hook: it evaluates each live message and
// member event against the group's rule set and turns verdicts into
// platform actions, keeping the little state the rules need (recent
// messages for flood control) in memory and asking the store for a
// member's earlier offences only when the ladder needs them.
type Decider struct {
	Engine *Engine
	// RuleSet returns the rule set in force for a group.
	RuleSet func(g community.Group) *RuleSet
	// Offences counts a person's offences since a time (the ladder's
	// window), for an input without its transaction's (Input.Ladder).
	Offences func(ctx context.Context, personID int64, since time.Time) (int, error)
	// NoticeOnJoin posts the rules notice to each newcomer.
	NoticeOnJoin bool
	// The context of a message (see Input), asked only when a verdict
	// could turn on it; either may be nil. Lecturer reports whether a
	// person teaches in a group; ToStaff whether a message replies to or
	// mentions one of its group's staff.
	Lecturer func(ctx context.Context, g community.Group, personID int64) (bool, error)
	ToStaff  func(ctx context.Context, in *pipeline.Input) (bool, error)

	mu     sync.Mutex
	recent floodMemory
}

var _ pipeline.Decider = (*Decider)(nil)

type floodKey struct{ group, person int64 }

// floodMemory keeps each member's last floodSlots messages (time and a hash of
// the text), for the flood rule. Not safe for concurrent use; the zero
// value is ready.
type floodMemory struct {
	m map[floodKey]*history
	// sweepAt is the size at which members idle past the window are
	// forgotten next: floodSweep, or twice what a sweep kept, so that
	// a sweep that forgets few (every member spoke within the window)
	// is not run again at the next new member.
	sweepAt int
}

// floodSweep is the fewest members remembered before idle ones are
// forgotten.
const floodSweep = 100_000

// floodSlots is how many of a member's messages the flood memory keeps,
// so the most a flood rule can count: a rule set's flood limits are held
// within it (ParseRuleSet), since a limit above it could never be reached.
const floodSlots = 32

type history struct {
	at   [floodSlots]int64 // Unix nanoseconds; 0 for a free slot
	hash [floodSlots]uint64
	n    int // ring position
}

// observe records a message and returns how many of the member's
// messages, and how many with this text, fall within the window.
func (mem *floodMemory) observe(k floodKey, at time.Time, text string, window time.Duration) (recent, identical int) {
	sum := uint64(14695981039346656037) // FNV-1a, inline: no allocation
	for i := 0; i < len(text); i++ {
		sum ^= uint64(text[i])
		sum *= 1099511628211
	}
	if mem.m == nil {
		mem.m, mem.sweepAt = map[floodKey]*history{}, floodSweep
	}
	now, w := at.UnixNano(), int64(window)
	hi := mem.m[k]
	if hi == nil {
		if len(mem.m) >= mem.sweepAt { // forget idle members
			for key, v := range mem.m {
				if now-v.at[(v.n+floodSlots-1)%floodSlots] > w {
					delete(mem.m, key)
				}
			}
			mem.sweepAt = max(floodSweep, 2*len(mem.m))
		}
		hi = &history{}
		mem.m[k] = hi
	}
	hi.at[hi.n], hi.hash[hi.n] = now, sum
	hi.n = (hi.n + 1) % floodSlots
	for i, t := range hi.at {
		if t != 0 && now-t < w && t <= now {
			recent++
			if hi.hash[i] == sum {
				identical++
			}
		}
	}
	return recent, identical
}

// observe records a message and returns how many of the member's messages,
// and how many with this text, fall within the window.
func (d *Decider) observe(k floodKey, at time.Time, text string, window time.Duration) (recent, identical int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.recent.observe(k, at, text, window)
}

// Decide implements pipeline.Decider.
func (d *Decider) Decide(ctx context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	rs := d.RuleSet(in.Group)
	if rs == nil {
		return nil, nil
	}
	e := in.Event
	input := Input{Role: string(in.Membership.Role), UserID: e.Sender.ID, At: e.Time, JoinedAt: in.Membership.JoinedAt, Nickname: in.Membership.Nickname,
		GroupKind: string(in.Group.Kind)}
	var out []pipeline.Verdict
	switch e.Type {
	case chat.EventMemberJoined:
		input.Join = true
		if input.Nickname == "" {
			input.Nickname = e.Sender.Name
		}
		// A group with a [welcome] greets its newcomers in one welcome a
		// window (internal/memberbot), with a link to the notice.
		if d.NoticeOnJoin && !rs.Welcome.On() && in.Caps.Can(chat.ActSend) {
			lang := in.Group.Lang()
			out = append(out, pipeline.Verdict{Action: chat.ActSend, Text: fmt.Sprintf(community.Say(lang, "欢迎 %s 加入！", "Welcome, %s!"), name(e.Sender)) + "\n" + Notice(rs, lang, in.Group.Name)})
		}
	case chat.EventMemberRenamed:
		input.Rename = true
		if e.NewName != "" {
			input.Nickname = e.NewName
		}
	case chat.EventMessage:
		if v, ok := d.command(in, rs); ok {
			return v, nil
		}
		m := e.Message
		input.Text, input.Kind, input.URL, input.Mentions = m.Text, m.Kind, m.URL, len(m.Mentions)
		if m.MentionAll {
			input.Mentions += 100
		}
		if f := rs.Flood; f.Window > 0 {
			input.Recent, input.Identical = d.observe(floodKey{in.Group.ID, in.PersonID}, e.Time, m.Text, time.Duration(f.Window))
		}
	default:
		return nil, nil
	}
	v := d.Engine.Evaluate(rs, input)
	if v.Action != Allow && e.Type == chat.EventMessage && (slices.Contains(offers, v.Category) || rs.exemptsLecturers()) {
		changed := false
		if d.Lecturer != nil {
			ok, err := d.Lecturer(ctx, in.Group, in.PersonID)
			if err != nil {
				return out, err
			}
			changed, input.Lecturer = changed || ok, ok
		}
		if d.ToStaff != nil && slices.Contains(offers, v.Category) {
			ok, err := d.ToStaff(ctx, in)
			if err != nil {
				return out, err
			}
			changed, input.ToStaff = changed || ok, ok
		}
		if changed {
			v = d.Engine.Evaluate(rs, input)
		}
	}
	count := d.Offences
	if in.Ladder != nil {
		count = in.Ladder.CountOffences
	}
	if v.Action != Allow && d.laddered(rs, v) && count != nil {
		window := time.Duration(rs.Escalation.Window)
		if window <= 0 {
			window = 30 * 24 * time.Hour
		}
		n, err := count(ctx, in.PersonID, e.Time.Add(-window))
		if err != nil {
			return out, err
		}
		input.Offences = n + in.BatchOffences
		v = d.Engine.Evaluate(rs, input)
	}
	if v.Action == Allow {
		return out, nil
	}
	reason := community.Say(in.Group.Lang(), v.Reason.Zh, v.Reason.En)
	pv := pipeline.Verdict{Rule: v.Rule, Category: v.Category, Reason: reason, Normalized: v.Normalized, Matched: v.Matched, Duration: v.Duration,
		Text: "@" + name(e.Sender) + " " + reason}
	pv.Action = v.PlatformAction()
	return append(out, pv), nil
}

// laddered reports whether the verdict's rule escalates with earlier offences.
func (d *Decider) laddered(rs *RuleSet, v Verdict) bool {
	switch {
	case strings.HasPrefix(v.Rule, rs.Name+"/categories."):
		return rs.Categories[v.Category] == Ladder
	case strings.HasPrefix(v.Rule, rs.Name+"/banned."):
		return rs.Banned[strings.TrimPrefix(v.Rule, rs.Name+"/banned.")] == Ladder
	case v.Category == "flood":
		return rs.Flood.Action == Ladder
	}
	return false
}

// PlatformAction is what the service asks the platform to do about a
// verdict: a warning is a message to the member, except that a warning
// about what a message contains (an ad, a banned content type) takes the
// content down too — a warned-about ad left standing still works; the
// model's warnings only warn.
func (v Verdict) PlatformAction() chat.ActionKind {
	switch v.Action {
	case Warn:
		if !v.Model && !slices.Contains(ruleCategories, v.Category) {
			return chat.ActDelete
		}
		return chat.ActSend
	case Delete:
		return chat.ActDelete
	case Mute:
		return chat.ActMute
	case Kick:
		return chat.ActKick
	case Ban:
		return chat.ActBan
	}
	return ""
}

// ruleCategories are the verdicts about when, how often or by whom a
// message was sent, not about what it holds.
var ruleCategories = []string{"quiet", "nickname", "flood", "probation", "mentions"}

func name(u chat.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// ForGroup picks a built-in rule set by group kind: owners' groups get the
// owners' preset, every other group the academy's.
func ForGroup() func(g community.Group) *RuleSet {
	academy := Default()
	owners, err := Preset("owners")
	if err != nil {
		panic(err)
	}
	return func(g community.Group) *RuleSet {
		if g.Kind == community.KindOwners {
			return owners
		}
		return academy
	}
}

// command handles a chat command. Staff may warn, mute, kick and ban the
// member they mention or reply to; anyone may ask for the rules.
func (d *Decider) command(in *pipeline.Input, rs *RuleSet) ([]pipeline.Verdict, bool) {
	e := in.Event
	if e.Message.ForOtherBot {
		return nil, false // another bot's command: judged as a message
	}
	c, ok := ParseCommand(e.Message.Text, "")
	if !ok {
		return nil, false
	}
	if c.Name == "rules" {
		return []pipeline.Verdict{{Action: chat.ActSend, Text: Notice(rs, in.Group.Lang(), in.Group.Name)}}, true
	}
	if !in.Membership.Role.Staff() {
		return nil, false // a member's "/ban" is just a message, judged as one
	}
	target := in.ReplySender
	if len(e.Message.Mentions) > 0 {
		target = e.Message.Mentions[0]
	}
	reason := c.Reason
	if reason == "" {
		reason = community.Say(in.Group.Lang(), "管理员操作", "by an admin")
	}
	v := pipeline.Verdict{Target: target, Rule: "command/" + c.Name, Category: "command", Reason: reason, Actor: "staff:" + e.Sender.ID, ReplyTo: e.Message.ID}
	if target == in.ReplySender {
		v.ReplyTo = e.Message.ReplyTo // the warning answers the offending message
	}
	switch c.Name {
	case "warn":
		v.Action, v.Text = chat.ActSend, "⚠️ "+reason
	case "mute":
		v.Action, v.Duration = chat.ActMute, c.Duration
		if v.Duration == 0 {
			v.Duration = time.Hour
		}
	case "kick":
		v.Action = chat.ActKick
	case "ban":
		v.Action = chat.ActBan
	default:
		return nil, false // report, unban, top, stats…: later issues
	}
	if target == "" || target == e.Sender.ID {
		return []pipeline.Verdict{{Action: chat.ActSend, Text: fmt.Sprintf(community.Say(in.Group.Lang(), "用法：回复某人的消息或 @某人，再发 /%s。", "Usage: reply to or mention the member, then /%s."), c.Name)}}, true
	}
	return []pipeline.Verdict{v}, true
}
