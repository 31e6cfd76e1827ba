package memberbot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

const groupRules = `
[categories]
ad = "delete"

[faq]
cooldown = "10m"

[[faq.entry]]
name = "课表"
keys = ["课表", "上课时间"]
reply = "每周二、四晚 8 点上课。"
image = "https://example.com/kb.png"

[[faq.entry]]
name = "报名链接"
keys = ["怎么报名"]
reply = "报名请点："
link = "https://example.com/signup"
title = "第7期报名"

[[faq.entry]]
name = "作业"
reply = "作业交到收集表。"

[welcome]
text = "欢迎 {members} 加入{group}！{rules}\n{link}"
window = "60s"
`

var t0 = time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)

func ruleSet(t *testing.T, src string) *rules.RuleSet {
	t.Helper()
	rs, err := rules.ParseRuleSet("g.toml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// fixed is a rules Decider that answers one text with a verdict.
type fixed struct {
	text string
	v    pipeline.Verdict
}

func (f fixed) Decide(_ context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	if m := in.Event.Message; m != nil && m.Text == f.text {
		return []pipeline.Verdict{f.v}, nil
	}
	return nil, nil
}

type bench struct {
	bot   *Bot
	asked []string
	group community.Group
}

func newBench(t *testing.T, src string) *bench {
	rs := ruleSet(t, src)
	b := &bench{group: community.Group{ID: 7, Name: "读书会"}}
	b.bot = &Bot{
		Next:    fixed{text: "加微信领资料", v: pipeline.Verdict{Action: chat.ActDelete, Rule: "g/categories.ad"}},
		RuleSet: func(community.Group) *rules.RuleSet { return rs },
	}
	return b
}

func (b *bench) say(t *testing.T, at time.Duration, user string, role community.Role, text string) []pipeline.Verdict {
	t.Helper()
	e := &chat.Event{ID: "e" + text, Connection: "tg", Group: "-100", Type: chat.EventMessage, Time: t0.Add(at), Sender: chat.User{ID: user, Name: "用户" + user},
		Message: &chat.Message{ID: "m1", Kind: chat.KindText, Text: text}}
	vs, err := b.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: b.group, PersonID: 1, Caps: chat.AllActions(),
		Membership: community.Membership{Role: role}, Asked: func(entry string) { b.asked = append(b.asked, entry) }})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func (b *bench) join(t *testing.T, at time.Duration, user string) []pipeline.Verdict {
	t.Helper()
	e := &chat.Event{ID: "j" + user, Connection: "tg", Group: "-100", Type: chat.EventMemberJoined, Time: t0.Add(at), Sender: chat.User{ID: user, Name: "用户" + user}}
	vs, err := b.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: b.group, PersonID: 1, Caps: chat.AllActions()})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func TestFAQAnswers(t *testing.T) {
	tests := []struct {
		name string
		at   time.Duration
		role community.Role
		text string
		want string // the reply's start; "" for none
	}{
		{"a question in traditional characters", 0, community.RoleMember, "請問課表在哪裡？", "每周二、四晚 8 点上课。"},
		{"asked again within the cooldown", 5 * time.Minute, community.RoleMember, "课表发一下", ""},
		{"asked in pinyin after the cooldown", 11 * time.Minute, community.RoleMember, "ke biao you ma", "每周二、四晚 8 点上课。"},
		{"a link under its title", 11 * time.Minute, community.RoleMember, "怎么报名啊", "报名请点：\n第7期报名：https://example.com/signup"},
		{"a note called by name", 11 * time.Minute, community.RoleMember, "/作业", "作业交到收集表。"},
		{"a note called again at once", 11*time.Minute + 10*time.Second, community.RoleMember, "#作业", ""},
		{"a note called after its short cooldown", 12 * time.Minute, community.RoleMember, "/作业@qunzhu_bot", "作业交到收集表。"},
		{"a note by a name of a key's", 30 * time.Minute, community.RoleMember, "#課表", "每周二、四晚 8 点上课。"},
		{"staff talking about a key", 50 * time.Minute, community.RoleAssistant, "课表明天更新", ""},
		{"staff calling a note", 50 * time.Minute, community.RoleAssistant, "/课表", "每周二、四晚 8 点上课。"},
		{"nothing asked", time.Hour, community.RoleMember, "今天天气不错", ""},
		{"an unknown note", time.Hour, community.RoleMember, "/不存在", ""},
		{"a message the rules act on", 2 * time.Hour, community.RoleMember, "加微信领资料", ""},
	}
	b := newBench(t, groupRules)
	for _, tt := range tests {
		vs := b.say(t, tt.at, "u1", tt.role, tt.text)
		var got string
		for _, v := range vs {
			if v.Reason == "faq" {
				got = v.Text
				if v.Action != chat.ActSend || v.Rule != "" || v.NoReply || v.Revise {
					t.Errorf("%s: verdict %+v, want a plain reply to the message", tt.name, v)
				}
			}
		}
		if tt.want == "" && got != "" || !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %q answered %q, want %q", tt.name, tt.text, got, tt.want)
		}
	}
	// Every question is counted, answered or within its cooldown; staff's
	// talk, an unknown note and what the rules act on are not questions.
	if got := strings.Join(b.asked, ","); got != "课表,课表,课表,报名链接,作业,作业,作业,课表,课表" {
		t.Errorf("asked = %s", got)
	}
	vs := b.say(t, 3*time.Hour, "u1", community.RoleMember, "上课时间是？")
	if len(vs) != 1 || vs[0].Image != "https://example.com/kb.png" {
		t.Errorf("the answer's picture: %+v", vs)
	}
}

func TestFAQCooldownPerGroup(t *testing.T) {
	b := newBench(t, groupRules)
	if vs := b.say(t, 0, "u1", community.RoleMember, "课表"); len(vs) != 1 {
		t.Fatalf("first ask: %+v", vs)
	}
	b.group = community.Group{ID: 8, Name: "另一个群"}
	if vs := b.say(t, time.Second, "u2", community.RoleMember, "课表"); len(vs) != 1 {
		t.Fatalf("another group waited for the first's cooldown: %+v", vs)
	}
}

func TestWelcomeWindow(t *testing.T) {
	b := newBench(t, groupRules)
	var last pipeline.Verdict
	for i, u := range []string{"a", "b", "c", "d", "e"} {
		vs := b.join(t, time.Duration(i)*12*time.Second, u)
		if len(vs) != 1 {
			t.Fatalf("join %d: %+v", i, vs)
		}
		v := vs[0]
		if i > 0 && v.Key != last.Key {
			t.Fatalf("join %d opened a second welcome: %q after %q", i, v.Key, last.Key)
		}
		if !v.Revise || !v.NoReply || !v.NotBefore.Equal(t0.Add(time.Minute)) {
			t.Fatalf("join %d: %+v, want a revision due when the window ends", i, v)
		}
		last = v
	}
	want := "欢迎 @用户a、@用户b、@用户c、@用户d、@用户e 加入读书会！群规要点：禁止广告。\n发送 /rules 查看群规全文"
	if last.Text != want {
		t.Errorf("welcome = %q\nwant %q", last.Text, want)
	}
	// Each newcomer is a mention at their "@name", for the adapters.
	var named []string
	for _, m := range last.Mentions {
		if got := last.Text[m.Offset : m.Offset+m.Length]; got != "@"+m.User.Name {
			t.Errorf("mention of %+v covers %q", m.User, got)
		}
		named = append(named, m.User.ID)
	}
	if strings.Join(named, ",") != "a,b,c,d,e" {
		t.Errorf("mentions %v, want a to e", named)
	}
	// The window has ended: the next join is welcomed on its own.
	vs := b.join(t, time.Minute, "f")
	if len(vs) != 1 || vs[0].Key == last.Key || !strings.Contains(vs[0].Text, "欢迎 @用户f 加入") || !vs[0].NotBefore.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after the window: %+v", vs)
	}
}

func TestWelcomeOff(t *testing.T) {
	b := newBench(t, "[faq]\n")
	if vs := b.join(t, 0, "a"); len(vs) != 0 {
		t.Errorf("no [welcome], yet %+v", vs)
	}
	rs := ruleSet(t, groupRules)
	child := ruleSet(t, "[welcome]\noff = true\n")
	merged, err := rules.Merge(rs, child)
	if err != nil {
		t.Fatal(err)
	}
	b.bot.RuleSet = func(community.Group) *rules.RuleSet { return merged }
	if vs := b.join(t, 0, "a"); len(vs) != 0 {
		t.Errorf("welcome turned off below, yet %+v", vs)
	}
}

func TestWelcomeEnglish(t *testing.T) {
	rs := ruleSet(t, "[categories]\nad = \"kick\"\n[welcome]\ntext = \"Welcome {members} to {group}. {rules} {link}\"\nlang = \"en\"\n")
	got := Welcome(rs, "en", "Book club", []string{"Ann", "Bo"})
	want := "Welcome @Ann, @Bo to Book club. Rules in short: advertising get a member removed. send /rules for the full rules"
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestNoteCall(t *testing.T) {
	for _, tt := range []struct {
		in, name string
		ok       bool
	}{{"/课表", "课表", true}, {"#课表", "课表", true}, {"/课表@bot", "课表", true}, {"/课表 明天", "", false}, {"/", "", false}, {"课表", "", false}, {"", "", false}} {
		name, ok := noteCall(tt.in)
		if name != tt.name || ok != tt.ok {
			t.Errorf("noteCall(%q) = %q, %v", tt.in, name, ok)
		}
	}
}

func FuzzNoteCall(f *testing.F) {
	f.Add("/课表@bot")
	f.Add("#")
	f.Fuzz(func(t *testing.T, s string) {
		name, ok := noteCall(s)
		if ok && (name == "" || !strings.Contains(s, name)) {
			t.Errorf("noteCall(%q) = %q", s, name)
		}
	})
}

// memLockdowns keeps lockdowns in memory.
type memLockdowns struct{ until map[int64]time.Time }

func (m *memLockdowns) Lockdown(_ context.Context, g int64) (time.Time, bool, error) {
	u, ok := m.until[g]
	return u, ok, nil
}

func (m *memLockdowns) SetLockdown(_ context.Context, g int64, _, until time.Time) error {
	m.until[g] = until
	return nil
}

func (m *memLockdowns) StaffPlace(context.Context, int64) (string, string, bool, error) {
	return "", "", false, nil
}

// TestRaidHold: with action = "hold" the joins of a raid are muted, not
// removed; staff joining are left alone; the lockdown ends on its own.
func TestRaidHold(t *testing.T) {
	rs := ruleSet(t, "[raid]\njoins = 3\nwithin = \"10s\"\nlockdown = \"1m\"\naction = \"hold\"\n")
	bot := &Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}
	ld := &memLockdowns{until: map[int64]time.Time{}}
	join := func(at time.Duration, user string, role community.Role) []pipeline.Verdict {
		t.Helper()
		e := &chat.Event{ID: "j" + user, Connection: "tg", Group: "-100", Type: chat.EventMemberJoined, Time: t0.Add(at), Sender: chat.User{ID: user, Name: user}}
		vs, err := bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7, Name: "读书会", BotLang: community.BotEn},
			Caps: chat.AllActions(), Membership: community.Membership{Role: role}, Lockdowns: ld})
		if err != nil {
			t.Fatal(err)
		}
		return vs
	}
	kinds := func(vs []pipeline.Verdict) string {
		var ks []string
		for _, v := range vs {
			k := string(v.Action)
			if v.Target != "" {
				k += ":" + v.Target
			}
			ks = append(ks, k)
		}
		return strings.Join(ks, " ")
	}
	for i, user := range []string{"a", "b", "c"} {
		if vs := join(time.Duration(i)*time.Second, user, community.RoleMember); len(vs) != 0 {
			t.Fatalf("join %s before a raid: %s", user, kinds(vs))
		}
	}
	vs := join(3*time.Second, "d", community.RoleMember)
	if got := kinds(vs); got != "mute:a mute:b mute:c mute send send" {
		t.Fatalf("the raid's join: %s", got)
	}
	if vs[4].Text != "4 people joined within 10 seconds: the group is locked for 1 minute, and newcomers meanwhile are muted until an admin lets them speak." ||
		!vs[5].NotBefore.Equal(t0.Add(63*time.Second)) {
		t.Errorf("notices: %q, the all-clear at %v", vs[4].Text, vs[5].NotBefore)
	}
	if got := kinds(join(30*time.Second, "e", community.RoleMember)); got != "mute" {
		t.Errorf("a join during the lockdown: %s, want a mute", got)
	}
	if got := kinds(join(31*time.Second, "boss", community.RoleOwner)); got != "" {
		t.Errorf("staff joining during the lockdown: %s, want nothing", got)
	}
	if got := kinds(join(2*time.Minute, "f", community.RoleMember)); got != "" {
		t.Errorf("a join after the lockdown: %s, want nothing", got)
	}
}

// TestRaidAfterAWelcome: a raid tripped just after the welcome window of
// its first joins ended posts its notice afresh; the ended welcome is
// not revised (it is sent, or on its way).
func TestRaidAfterAWelcome(t *testing.T) {
	rs := ruleSet(t, "[raid]\njoins = 2\nwithin = \"20s\"\n[welcome]\ntext = \"欢迎 {members}\"\nwindow = \"60s\"\n")
	bot := &Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}
	ld := &memLockdowns{until: map[int64]time.Time{}}
	var last []pipeline.Verdict
	// The window opened at 0 ends at 60 s; the raid is the joins at 45, 50 and 61 s.
	for i, at := range []time.Duration{0, 45 * time.Second, 50 * time.Second, 61 * time.Second} {
		e := &chat.Event{ID: fmt.Sprint("j", i), Connection: "tg", Group: "-100", Type: chat.EventMemberJoined, Time: t0.Add(at), Sender: chat.User{ID: fmt.Sprint("u", i)}}
		vs, err := bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7}, Caps: chat.AllActions(), Lockdowns: ld})
		if err != nil {
			t.Fatal(err)
		}
		last = vs
	}
	var notice *pipeline.Verdict
	for i, v := range last {
		if v.Action == chat.ActSend && v.NotBefore.IsZero() {
			notice = &last[i]
		}
	}
	if notice == nil || notice.Revise || !strings.Contains(notice.Key, ":raid:") || !strings.Contains(notice.Text, "本群临时锁定") {
		t.Fatalf("the raid's verdicts: %+v, want a fresh notice", last)
	}
}
