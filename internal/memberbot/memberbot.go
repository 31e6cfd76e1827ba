// Package memberbot is the bot members talk to: it answers the questions
// a group's members ask every day (the rules files' [faq]: keyword
// replies and notes called with /name or #name), greets newcomers with
// one welcome for the joins of a short window ([welcome]) instead of a
// notice each, keeps the daily check-in (打卡, [checkin]) and the points
// of check-ins, substantive posts and staff's awards (points.go), and locks a
// group down when a wave of joins arrives ([raid], raid.go).
//
// It is a pipeline.Decider that wraps the rules' Decider: the rules
// decide first, and a message they act on (an ad deleted, a command
// answered) gets no answer from the bot. Its memory — when each answer
// was last given in a group, the open welcome windows — is the process's,
// as the rules' flood windows are: a connection's events are decided on
// the replica that holds it. What a restart forgets costs little: an
// answer may come again before its cooldown ends, and joins after the
// restart get a welcome of their own (the one already queued keeps its
// names: it is in the outbox).
package memberbot

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// NoteCooldown is how soon a note called by name (/课表) is given again in
// a group: a member who calls it gets it, a wave of calls gets it once.
const NoteCooldown = 30 * time.Second

// Bot is the member bot.
type Bot struct {
	// Next is the rules' Decider; it decides first.
	Next pipeline.Decider
	// RuleSet returns the rule set in force for a group (nil: none).
	RuleSet func(g community.Group) *rules.RuleSet
	// Location is the server's time zone, whose days the check-ins
	// count; UTC when nil.
	Location *time.Location

	mu       sync.Mutex
	answered map[answerKey]time.Time // when an answer was last given
	windows  map[int64]*window       // a group's open welcome window
	joins    map[int64][]joinAt      // a group's joins within its raid window
}

// AskCount is how often an FAQ entry was asked (by its key or its name),
// answered or within its cooldown.
type AskCount struct {
	Entry string // the entry's name
	Asks  int
}

var _ pipeline.Decider = (*Bot)(nil)

type answerKey struct {
	group int64
	name  string
}

// window is the joins welcomed together: who they are, from start.
type window struct {
	start time.Time
	key   string
	users []chat.User
}

// Decide implements pipeline.Decider.
func (b *Bot) Decide(ctx context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	var out []pipeline.Verdict
	if b.Next != nil {
		vs, err := b.Next.Decide(ctx, in)
		if err != nil {
			return vs, err
		}
		out = vs
	}
	rs := b.RuleSet(in.Group)
	if rs == nil {
		return out, nil
	}
	if e := in.Event; e.Type == chat.EventMemberJoined && rs.Raid.On() && in.Lockdowns != nil && !in.Membership.Role.Staff() {
		if staff, err := orgStaff(ctx, in); err != nil || staff {
			return out, err // staff of another group: not a raider
		}
		vs, locked, err := b.raid(ctx, in, rs)
		if err != nil {
			return out, err
		}
		if locked {
			// No welcome, nor the rules' notice, for a raid's joins.
			out = slices.DeleteFunc(out, func(v pipeline.Verdict) bool { return v.Action == chat.ActSend && v.Rule == "" })
			return append(out, vs...), nil
		}
	}
	if in.Gates != nil && !in.Membership.Role.Staff() {
		// The join gate: a newcomer held gets no welcome yet (gate.go).
		if vs, held, err := b.gate(ctx, in, rs, out); err != nil || held {
			return vs, err
		}
	}
	if !in.Caps.Can(chat.ActSend) {
		if e := in.Event; e.Type == chat.EventMessage && e.Message != nil && len(out) == 0 && rs.Checkin.On() && in.Points != nil {
			// Nothing can be said here, but a substantive post scores.
			return out, b.postPoints(ctx, in, rs, strings.TrimSpace(e.Message.Text))
		}
		return out, nil
	}
	switch e := in.Event; e.Type {
	case chat.EventMemberJoined:
		if rs.Welcome.On() {
			out = append(out, b.welcome(in, rs))
		}
	case chat.EventMessage:
		if len(out) > 0 || e.Message == nil {
			return out, nil // acted on already: no answer
		}
		if rs.Checkin.On() && in.Checkins != nil && checkinCall(strings.TrimSpace(e.Message.Text), rs.Checkin) {
			v, err := b.checkin(ctx, in, rs)
			if err != nil {
				return out, err
			}
			return append(out, v), nil
		}
		if rs.Checkin.On() && in.Points != nil {
			// Points: a staff award, the board, or a substantive post's.
			vs, ok, err := b.points(ctx, in, rs)
			if err != nil || ok {
				return append(out, vs...), err
			}
		}
		if v, ok := b.answer(in, rs); ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// answer finds the FAQ entry a message asks for or calls, counts the
// question, and answers it unless it was given in the group within its
// cooldown.
func (b *Bot) answer(in *pipeline.Input, rs *rules.RuleSet) (pipeline.Verdict, bool) {
	faq := &rs.FAQ
	if len(faq.Entries) == 0 {
		return pipeline.Verdict{}, false
	}
	text := strings.TrimSpace(in.Event.Message.Text)
	i, ok := -1, false
	wait := faq.Wait()
	if name, called := noteCall(text); called {
		i, ok = faq.Note(name)
		wait = NoteCooldown
	} else if !in.Membership.Role.Staff() {
		// Staff talk about the group's matters: only their calls are answered.
		i, _, ok = faq.Ask(text)
	}
	if !ok {
		return pipeline.Verdict{}, false
	}
	entry := faq.Entries[i]
	if in.Asked != nil {
		in.Asked(entry.Name) // asked, answered or not
	}
	if !b.due(answerKey{in.Group.ID, entry.Name}, in.Event.Time, wait) {
		return pipeline.Verdict{}, false
	}
	return pipeline.Verdict{Action: chat.ActSend, Text: Reply(entry), Image: entry.Image, Reason: "faq"}, true
}

// noteCall reads "/课表", "#课表" or "/课表@some_bot": the note's name and
// true; false for anything else (text after the name, a bare "/").
func noteCall(text string) (string, bool) {
	if text == "" || text[0] != '/' && text[0] != '#' {
		return "", false
	}
	name := text[1:]
	if at := strings.IndexByte(name, '@'); at >= 0 {
		name = name[:at]
	}
	if name == "" || strings.ContainsFunc(name, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '\u3000' }) ||
		utf8.RuneCountInString(name) > 20 {
		return "", false
	}
	return name, true
}

// Reply is an entry's answer as sent: its text, then its link under its
// title (the picture goes with it, where the platform shows one).
func Reply(e rules.FAQEntry) string {
	s := strings.TrimSpace(e.Reply)
	if e.Link != "" {
		link := e.Link
		if e.Title != "" {
			link = e.Title + "：" + e.Link
		}
		if s != "" {
			s += "\n"
		}
		s += link
	}
	return s
}

// due reports whether an answer may be given at t (and marks it given):
// not within wait of the last time it was.
func (b *Bot) due(k answerKey, t time.Time, wait time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.answered == nil {
		b.answered = map[answerKey]time.Time{}
	}
	if last, ok := b.answered[k]; ok && t.Sub(last) < wait && !t.Before(last) {
		return false
	}
	if len(b.answered) > 100_000 { // forget answers long past any cooldown
		for key, last := range b.answered {
			if t.Sub(last) > 24*time.Hour {
				delete(b.answered, key)
			}
		}
	}
	b.answered[k] = t
	return true
}

// welcome adds a newcomer to the group's open welcome window (opening one
// when there is none) and returns the window's welcome, naming everyone
// in it: it revises the one queued, which is sent when the window ends.
func (b *Bot) welcome(in *pipeline.Input, rs *rules.RuleSet) pipeline.Verdict {
	e := in.Event
	span := welcomeSpan(rs)
	b.mu.Lock()
	if b.windows == nil {
		b.windows = map[int64]*window{}
	}
	w := b.windows[in.Group.ID]
	if w == nil || !e.Time.Before(w.start.Add(span)) || e.Time.Before(w.start) {
		if len(b.windows) > 10_000 { // forget windows long closed
			for g, old := range b.windows {
				if e.Time.Sub(old.start) > time.Hour {
					delete(b.windows, g)
				}
			}
		}
		w = &window{start: e.Time, key: e.Connection + ":welcome:" + e.Group + ":" + strconv.FormatInt(e.Time.UnixMilli(), 10)}
		b.windows[in.Group.ID] = w
	}
	w.users = append(w.users, chat.User{ID: e.Sender.ID, Name: e.Sender.Name})
	users := append([]chat.User(nil), w.users...)
	start, key := w.start, w.key
	b.mu.Unlock()
	text, ms := WelcomeNaming(rs, lang(in, rs), in.Group.Name, users)
	return pipeline.Verdict{Action: chat.ActSend, Key: key, Revise: true, NotBefore: start.Add(span), NoReply: true,
		Text: text, Mentions: ms, Reason: "welcome"}
}

// welcomeSpan is how long a welcome window stays open: the [welcome]'s,
// and with [raid] on at least as long as joins count towards a raid, so
// that a raid's newcomers are not welcomed before it is seen.
func welcomeSpan(rs *rules.RuleSet) time.Duration {
	span := rs.Welcome.Span()
	if r := rs.Raid; r.On() && r.Span() > span {
		span = r.Span()
	}
	return span
}

func lang(in *pipeline.Input, rs *rules.RuleSet) string { return Lang(in.Group, rs) }

// Lang is the language the bot speaks in a group: the [welcome]'s where
// it names one, else the group's bot language.
func Lang(g community.Group, rs *rules.RuleSet) string {
	if rs.Welcome.Lang != "" {
		return rs.Welcome.Lang
	}
	return g.Lang()
}

// Welcome is a group's welcome to newcomers: its [welcome] text with
// {members} ("@"+each name), {group}, {rules} and {link} filled in, in a
// language ("zh" or "en").
func Welcome(rs *rules.RuleSet, lang, group string, names []string) string {
	users := make([]chat.User, len(names))
	for i, n := range names {
		users[i] = chat.User{ID: n, Name: n}
	}
	text, _ := WelcomeNaming(rs, lang, group, users)
	return text
}

// WelcomeNaming is Welcome for the newcomers themselves: each is named
// "@"+name where {members} stands, and returned as a mention at that
// place, which the adapters render natively (a Telegram text_mention, a
// OneBot at, a Matrix pill).
func WelcomeNaming(rs *rules.RuleSet, lang, group string, users []chat.User) (string, []chat.Mention) {
	sep, link := "、", "发送 /rules 查看群规全文"
	if lang == community.BotEn {
		sep, link = ", ", "send /rules for the full rules"
	}
	fill := strings.NewReplacer("{group}", group, "{rules}", rules.Brief(rs, lang), "{link}", link)
	names, each := chat.Naming(users, sep)
	var b strings.Builder
	var ms []chat.Mention
	for i, part := range strings.Split(rs.Welcome.Text, "{members}") {
		if i > 0 {
			for _, m := range each {
				m.Offset += b.Len()
				ms = append(ms, m)
			}
			b.WriteString(names)
		}
		b.WriteString(fill.Replace(part))
	}
	out := strings.TrimLeftFunc(b.String(), unicode.IsSpace)
	lead := b.Len() - len(out)
	for i := range ms {
		ms[i].Offset -= lead
	}
	return strings.TrimRightFunc(out, unicode.IsSpace), ms
}
