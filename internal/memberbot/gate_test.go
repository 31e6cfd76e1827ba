package memberbot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// memGates keeps gate checks in memory.
type memGates struct{ checks map[int64]*pipeline.GateCheck } // by person; passed ones deleted

func (m *memGates) OpenGate(_ context.Context, c pipeline.GateCheck) error {
	m.checks[c.PersonID] = &c
	return nil
}

func (m *memGates) PendingGate(_ context.Context, _, p int64) (pipeline.GateCheck, bool, error) {
	c, ok := m.checks[p]
	if !ok {
		return pipeline.GateCheck{}, false, nil
	}
	return *c, true, nil
}

func (m *memGates) OrgStaff(_ context.Context, _, p int64) (bool, error) { return p == 8, nil } // u8 is staff elsewhere

func (m *memGates) PassGate(_ context.Context, _, p int64, _ time.Time, _ string) error {
	delete(m.checks, p)
	return nil
}

// gateRig runs events of one group through a Bot with the gate's record
// in memory, on a fake clock (each event's time).
type gateRig struct {
	t     *testing.T
	bot   *Bot
	gates *memGates
	caps  chat.Capabilities
	lang  string
}

func newGateRig(t *testing.T, src string, caps chat.Capabilities) *gateRig {
	rs := ruleSet(t, src)
	return &gateRig{t: t, bot: &Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}, gates: &memGates{checks: map[int64]*pipeline.GateCheck{}}, caps: caps}
}

// people numbers the rig's users: u1 is person 1.
func personOf(user string) int64 { return int64(user[len(user)-1] - '0') }

func (r *gateRig) decide(e *chat.Event, role community.Role) []pipeline.Verdict {
	r.t.Helper()
	e.Connection, e.Group = "tg", "-100"
	vs, err := r.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7, Name: "读书会", BotLang: r.lang}, PersonID: personOf(e.Sender.ID),
		Caps: r.caps, Membership: community.Membership{Role: role}, Gates: r.gates, Lockdowns: &memLockdowns{until: map[int64]time.Time{}}})
	if err != nil {
		r.t.Fatal(err)
	}
	return vs
}

func (r *gateRig) join(at time.Duration, user string) []pipeline.Verdict {
	return r.decide(&chat.Event{ID: "j" + user, Type: chat.EventMemberJoined, Time: t0.Add(at), Sender: chat.User{ID: user, Name: "新人" + user}}, community.RoleMember)
}

func (r *gateRig) say(at time.Duration, user, text string) []pipeline.Verdict {
	return r.decide(&chat.Event{ID: "m" + user + text, Type: chat.EventMessage, Time: t0.Add(at), Sender: chat.User{ID: user, Name: "新人" + user},
		Message: &chat.Message{ID: "m" + text, Kind: chat.KindText, Text: text}}, community.RoleMember)
}

func (r *gateRig) press(at time.Duration, user, data string) []pipeline.Verdict {
	return r.decide(&chat.Event{ID: "b" + user, Type: chat.EventButton, Time: t0.Add(at), Sender: chat.User{ID: user, Name: "新人" + user},
		Button: &chat.Pressed{Data: data, MessageID: "99"}}, community.RoleMember)
}

func kindsOf(vs []pipeline.Verdict) string {
	var ks []string
	for _, v := range vs {
		ks = append(ks, string(v.Action))
	}
	return strings.Join(ks, " ")
}

const gateWelcome = "[welcome]\ntext = \"欢迎 {members}\"\nwindow = \"60s\"\n"

// TestGateButton: on a platform with buttons a newcomer is muted and
// shown a button, gets no welcome; what they post is deleted; someone
// else's press does nothing; their own press lifts the mute and welcomes
// them; then they post freely.
func TestGateButton(t *testing.T) {
	r := newGateRig(t, "[gate]\nmode = \"button\"\ntimeout = \"2m\"\n"+gateWelcome, withButtons(chat.AllActions()))
	vs := r.join(0, "u1")
	if got := kindsOf(vs); got != "mute send" {
		t.Fatalf("a gated join: %s, want mute send", got)
	}
	if p := vs[1]; len(p.Buttons) != 1 || p.Buttons[0].Data != "gate:u1" || !strings.HasPrefix(p.Text, "@新人u1 欢迎加入！请在 2 分钟内点击下方按钮") ||
		p.Mention == nil || p.Mention.ID != "u1" || p.Mention.Name != "新人u1" || p.Key == "" || strings.Contains(p.Text, "欢迎 新人u1") {
		t.Errorf("the prompt: %+v", p)
	}
	c := r.gates.checks[1]
	if c == nil || c.Mode != rules.GateButton || !c.Muted || !c.Due.Equal(t0.Add(2*time.Minute)) || c.User != "u1" {
		t.Fatalf("the check recorded: %+v", c)
	}
	if got := kindsOf(r.say(10*time.Second, "u1", "hello")); got != "delete" {
		t.Errorf("a held newcomer's post: %s, want delete", got)
	}
	if got := kindsOf(r.press(20*time.Second, "u2", "gate:u1")); got != "" {
		t.Errorf("someone else pressing: %s, want nothing", got)
	}
	vs = r.press(30*time.Second, "u1", "gate:u1")
	if got := kindsOf(vs); got != "unmute send" {
		t.Fatalf("the newcomer's press: %s, want unmute send", got)
	}
	if w := vs[1]; w.Text != "欢迎 @新人u1" || !w.Revise || !w.NotBefore.Equal(t0.Add(90*time.Second)) {
		t.Errorf("the welcome on passing: %+v", w)
	}
	if r.gates.checks[1] != nil {
		t.Error("the check is still pending after the press")
	}
	if got := kindsOf(r.say(40*time.Second, "u1", "hello again")); got != "" {
		t.Errorf("a post after passing: %s, want nothing", got)
	}
	// Staff joining are not held; another newcomer is.
	if got := kindsOf(r.decide(&chat.Event{ID: "jboss", Type: chat.EventMemberJoined, Time: t0.Add(time.Minute), Sender: chat.User{ID: "u9"}}, community.RoleOwner)); got != "send" {
		t.Errorf("staff joining: %s, want the welcome only", got)
	}
	if got := kindsOf(r.join(time.Minute, "u8")); got != "send" {
		t.Errorf("staff of another group joining: %s, want the welcome only", got)
	}
	if r.gates.checks[9] != nil || r.gates.checks[8] != nil {
		t.Error("staff recorded at the gate")
	}
}

// TestGateLate: a press after the check's time is up does not pass: the
// sweep removes the newcomer.
func TestGateLate(t *testing.T) {
	r := newGateRig(t, "[gate]\nmode = \"button\"\ntimeout = \"1m\"\n", withButtons(chat.AllActions()))
	r.join(0, "u1")
	if got := kindsOf(r.press(time.Minute, "u1", "gate:u1")); got != "" {
		t.Errorf("a press at the due time: %s, want nothing", got)
	}
	if r.gates.checks[1] == nil {
		t.Error("a late press passed the check")
	}
}

// TestGateCode: where the platform has no buttons, button mode asks for
// a code, and the newcomer is not muted (they must be able to send it);
// other posts are deleted; the code typed in full-width digits passes;
// with no welcome, the group is told they may post.
func TestGateCode(t *testing.T) {
	r := newGateRig(t, "[gate]\nmode = \"button\"\n", chat.AllActions())
	r.lang = community.BotEn
	vs := r.join(0, "u1")
	if got := kindsOf(vs); got != "send" {
		t.Fatalf("a gated join without buttons: %s, want the prompt only", got)
	}
	c := r.gates.checks[1]
	if c == nil || c.Mode != rules.GateCode || c.Muted || len(c.Code) != 4 || !c.Due.Equal(t0.Add(rules.DefaultGateTimeout)) {
		t.Fatalf("the check: %+v", c)
	}
	if p := vs[0]; len(p.Buttons) != 0 || !strings.Contains(p.Text, "Send the code "+c.Code+" in this group within 5 minutes") {
		t.Errorf("the prompt: %+v", p)
	}
	if got := kindsOf(r.say(time.Second, "u1", "buy followers")); got != "delete" {
		t.Errorf("a post that is not the code: %s, want delete", got)
	}
	full := strings.Map(func(d rune) rune { return '０' + (d - '0') }, c.Code)
	vs = r.say(2*time.Second, "u1", "验证码 "+full)
	if got := kindsOf(vs); got != "send" || vs[0].Text != "新人u1 passed the join check and may post now." {
		t.Fatalf("the code sent: %s %+v", got, vs)
	}
	if got := kindsOf(r.say(3*time.Second, "u1", "hi")); got != "" {
		t.Errorf("a post after passing: %s", got)
	}
}

// TestGateApproveCannotMute: approve mode on a platform that cannot mute
// degrades visibly: the prompt says their posts are deleted, and they
// are; the check waits for staff (no due time).
func TestGateApproveCannotMute(t *testing.T) {
	caps := chat.AllActions()
	delete(caps, chat.ActMute)
	r := newGateRig(t, "[gate]\nmode = \"approve\"\n", caps)
	vs := r.join(0, "u1")
	if got := kindsOf(vs); got != "send" || !strings.Contains(vs[0].Text, "管理员审核") || !strings.Contains(vs[0].Text, "本平台不支持禁言") {
		t.Fatalf("an approve join without mutes: %s %+v", got, vs)
	}
	if c := r.gates.checks[1]; c == nil || c.Muted || !c.Due.IsZero() {
		t.Fatalf("the check: %+v", c)
	}
	if got := kindsOf(r.say(time.Hour, "u1", "hello")); got != "delete" {
		t.Errorf("a held post: %s, want delete", got)
	}
}

// TestRaidHoldAtGate: newcomers a "hold" lockdown mutes are recorded at
// the gate (for staff to let in), the ones that tripped it too.
func TestRaidHoldAtGate(t *testing.T) {
	r := newGateRig(t, "[raid]\njoins = 2\nwithin = \"10s\"\naction = \"hold\"\n", chat.AllActions())
	ld := &memLockdowns{until: map[int64]time.Time{}}
	for i, u := range []string{"u1", "u2", "u3", "u4"} {
		e := &chat.Event{ID: "j" + u, Connection: "tg", Group: "-100", Type: chat.EventMemberJoined, Time: t0.Add(time.Duration(i) * time.Second), Sender: chat.User{ID: u, Name: "新人" + u}}
		if _, err := r.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7}, PersonID: personOf(u), Caps: r.caps, Gates: r.gates, Lockdowns: ld}); err != nil {
			t.Fatal(err)
		}
	}
	for p := int64(1); p <= 4; p++ {
		if c := r.gates.checks[p]; c == nil || c.Mode != pipeline.GateRaid || !c.Muted || !c.Due.IsZero() || c.Name == "" {
			t.Errorf("person %d at the gate: %+v", p, c)
		}
	}
	// Staff of another group joining during the lockdown are left alone.
	e := &chat.Event{ID: "ju8", Connection: "tg", Group: "-100", Type: chat.EventMemberJoined, Time: t0.Add(5 * time.Second), Sender: chat.User{ID: "u8"}}
	if vs, err := r.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7}, PersonID: 8, Caps: r.caps, Gates: r.gates, Lockdowns: ld}); err != nil || len(vs) != 0 || r.gates.checks[8] != nil {
		t.Errorf("staff elsewhere joining during the lockdown: %s %v", kindsOf(vs), err)
	}
	// Held by the raid, their posts are deleted where the mute did not hold.
	if got := kindsOf(r.say(time.Hour, "u1", "hello")); got != "delete" {
		t.Errorf("a post of one held by the raid: %s, want delete", got)
	}
}

func withButtons(c chat.Capabilities) chat.Capabilities {
	c[chat.CapButtons] = true
	return c
}

// TestGateCannotPost: where the bot cannot post (WeCom's customer
// groups), a newcomer could not learn how to pass: no gate.
func TestGateCannotPost(t *testing.T) {
	r := newGateRig(t, "[gate]\nmode = \"code\"\n", chat.Capabilities{})
	if got := kindsOf(r.join(0, "u1")); got != "" || len(r.gates.checks) != 0 {
		t.Errorf("a join where the bot cannot post: %q, checks %v", got, r.gates.checks)
	}
}
