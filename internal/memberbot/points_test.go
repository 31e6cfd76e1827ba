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

// The points beside the check-ins, kept in memory as the store keeps
// them: once per group, kind and ref.

func (m *memCheckins) AddPoints(_ context.Context, p pipeline.PointsEntry) (bool, error) {
	for _, e := range m.entries {
		if e.GroupID == p.GroupID && e.Kind == p.Kind && e.Ref == p.Ref {
			return false, nil
		}
	}
	m.entries = append(m.entries, p)
	return true, nil
}

func (m *memCheckins) CountPoints(_ context.Context, g, p int64, kind, day string) (int, error) {
	n := 0
	for _, e := range m.entries {
		if e.GroupID == g && e.PersonID == p && e.Kind == kind && e.Day == day {
			n++
		}
	}
	return n, nil
}

func (m *memCheckins) PointsBoard(ctx context.Context, g int64, since string, limit int) ([]pipeline.PointsRank, error) {
	var out []pipeline.PointsRank
	for pid := int64(1); pid <= 3; pid++ {
		n, _ := m.PointsSince(ctx, g, pid, since)
		if n > 0 {
			out = append(out, pipeline.PointsRank{PersonID: pid, Name: fmt.Sprint("成员", pid), Points: n})
		}
	}
	return out[:min(len(out), limit)], nil
}

const pointsRules = "[checkin]\npost_points = 2\nposts_per_day = 2\n"

// pointsBench says things in a group with [checkin] points, as member 1
// (user u1) unless a staff role is given; people are 1 (u1), 2 (u2), 3.
type pointsBench struct {
	bot   *Bot
	store *memCheckins
	reply string            // the sender of the message replied to (Input.ReplySender)
	caps  chat.Capabilities // the platform's (all actions when nil)
}

func newPointsBench(t *testing.T, src string) *pointsBench {
	rs := ruleSet(t, src)
	return &pointsBench{bot: &Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }}, store: &memCheckins{}}
}

func (b *pointsBench) say(t *testing.T, id string, at time.Time, role community.Role, text string, mentions ...string) []pipeline.Verdict {
	t.Helper()
	e := &chat.Event{ID: id, Connection: "tg", Group: "-100", Type: chat.EventMessage, Time: at, Sender: chat.User{ID: "u1", Name: "小王"},
		Message: &chat.Message{ID: "m" + id, Kind: chat.KindText, Text: text, Mentions: mentions}}
	person := func(u chat.User) (int64, error) {
		var n int64
		_, err := fmt.Sscanf(u.ID, "u%d", &n)
		return n, err
	}
	caps := b.caps
	if caps == nil {
		caps = chat.AllActions()
	}
	vs, err := b.bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7}, PersonID: 1, Caps: caps,
		Membership: community.Membership{Role: role}, Checkins: b.store, Points: b.store, Person: person, ReplySender: b.reply})
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func (b *pointsBench) total(person int64) int {
	n, _ := b.store.PointsSince(context.Background(), 7, person, "0000-01-01")
	return n
}

// TestPostPoints: substantive posts (three lines or more) earn
// post_points up to posts_per_day a day; short posts, commands, staff's
// posts and a post delivered again earn nothing.
func TestPostPoints(t *testing.T) {
	long := "今天学到了三件事：\n一是选品\n二是定价"
	day2 := t0.AddDate(0, 0, 1)
	for _, tt := range []struct {
		name  string
		posts []post
		want  int
	}{
		{"one substantive post", posts("a", t0, community.RoleMember, long), 2},
		{"two lines are not", posts("a", t0, community.RoleMember, "一\n二\n \n"), 0},
		{"the day's cap", append(append(posts("a", t0, community.RoleMember, long), posts("b", t0, community.RoleMember, long)...), posts("c", t0, community.RoleMember, long)...), 4},
		{"a new day, a new cap", append(append(posts("a", t0, community.RoleMember, long), posts("b", t0, community.RoleMember, long)...), posts("c", day2, community.RoleMember, long)...), 6},
		{"delivered again", append(posts("a", t0, community.RoleMember, long), posts("a", t0, community.RoleMember, long)...), 2},
		{"a command with lines", posts("a", t0, community.RoleMember, "投稿 第一行\n第二行\n第三行"), 0},
		{"staff post", posts("a", t0, community.RoleOwner, long), 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newPointsBench(t, pointsRules)
			for _, p := range tt.posts {
				if vs := b.say(t, p.id, p.at, p.role, p.text); len(vs) != 0 {
					t.Errorf("a post got a reply: %+v", vs)
				}
			}
			if got := b.total(1); got != tt.want {
				t.Errorf("points %d, want %d", got, tt.want)
			}
		})
	}
	b := newPointsBench(t, "[checkin]\n")
	b.say(t, "a", t0, community.RoleMember, long)
	if got := b.total(1); got != 0 {
		t.Errorf("post_points unset, yet %d points", got)
	}
	// A platform the bot cannot speak on: posts still score, commands
	// are not posts.
	b = newPointsBench(t, pointsRules)
	b.caps = chat.Capabilities{chat.ActDelete: true}
	b.say(t, "a", t0, community.RoleMember, long)
	b.say(t, "b", t0, community.RoleMember, "/award @x 5\n第二行\n第三行")
	if got := b.total(1); got != 2 {
		t.Errorf("where the bot cannot send: %d points, want 2", got)
	}
}

// post is a message said in a pointsBench.
type post struct {
	id   string
	at   time.Time
	role community.Role
	text string
}

func posts(id string, at time.Time, role community.Role, text string) []post {
	return []post{{id, at, role, text}}
}

// TestAward: staff award points to the member they mention or reply to,
// within the bounds; members' awards are ordinary messages; an award
// delivered again counts once.
func TestAward(t *testing.T) {
	for _, tt := range []struct {
		name     string
		role     community.Role
		text     string
		mentions []string
		reply    string // the reply's text, "" for none
		want     int    // member 2's points after
	}{
		{"award", community.RoleOwner, "/award @小李 5 作业认真", []string{"u2"}, "已加分 +5（作业认真），TA 共 5 分。", 5},
		{"加分 in Chinese", community.RoleAssistant, "加分 @小李 10分", []string{"u2"}, "已加分 +10，TA 共 10 分。", 10},
		{"taking away", community.RoleSecretary, "/award@qunzhu_bot @小李 -3", []string{"u2"}, "已加分 -3，TA 共 -3 分。", -3},
		{"the most", community.RoleOwner, "加分 @小李 100", []string{"u2"}, "已加分 +100，TA 共 100 分。", 100},
		{"too many", community.RoleOwner, "加分 @小李 101", []string{"u2"}, "用法：", 0},
		{"zero", community.RoleOwner, "加分 @小李 0", []string{"u2"}, "用法：", 0},
		{"no number", community.RoleOwner, "加分 @小李 很多", []string{"u2"}, "用法：", 0},
		{"nobody named", community.RoleOwner, "/award 5", nil, "用法：", 0},
		{"oneself", community.RoleOwner, "/award @小王 5", []string{"u1"}, "不能给自己加分。", 0},
		{"a member may not", community.RoleMember, "/award @小李 5", []string{"u2"}, "", 0},
		{"chat, not a command", community.RoleOwner, "加分", nil, "", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := newPointsBench(t, pointsRules)
			vs := b.say(t, "e1", t0, tt.role, tt.text, tt.mentions...)
			got := ""
			if len(vs) == 1 {
				got = vs[0].Text
			} else if len(vs) > 1 {
				t.Fatalf("verdicts %+v", vs)
			}
			if tt.reply == "" && got != "" || !strings.HasPrefix(got, tt.reply) {
				t.Errorf("reply %q, want %q", got, tt.reply)
			}
			b.say(t, "e1", t0, tt.role, tt.text, tt.mentions...) // delivered again
			if n := b.total(2); n != tt.want {
				t.Errorf("member 2 has %d points, want %d", n, tt.want)
			}
			for _, e := range b.store.entries {
				if e.Kind == pipeline.PointsAward && (e.Actor != "staff:u1" || e.ActorName != "小王") {
					t.Errorf("award recorded as given by %q (%q)", e.Actor, e.ActorName)
				}
			}
		})
	}
}

// TestAwardByReply: "/award N" replying to a member's message awards them.
func TestAwardByReply(t *testing.T) {
	b := newPointsBench(t, pointsRules)
	b.reply = "u3"
	if vs := b.say(t, "e1", t0, community.RoleOwner, "/award 7 带头打卡"); len(vs) != 1 || vs[0].Text != "已加分 +7（带头打卡），TA 共 7 分。" {
		t.Errorf("reply: %+v", vs)
	}
	if n := b.total(3); n != 7 {
		t.Errorf("member 3 has %d points, want 7", n)
	}
}

// TestPointsBoard: /points, 积分 and 积分榜 give the group's board, this
// month's where points reset monthly, at most once in the cooldown.
func TestPointsBoard(t *testing.T) {
	b := newPointsBench(t, pointsRules+"reset = \"monthly\"\n")
	b.store.entries = []pipeline.PointsEntry{
		{GroupID: 7, PersonID: 2, Day: "2026-11-30", Kind: pipeline.PointsAward, Points: 50, Ref: "old"},
		{GroupID: 7, PersonID: 2, Day: "2026-12-01", Kind: pipeline.PointsAward, Points: 3, Ref: "x"},
		{GroupID: 7, PersonID: 3, Day: "2026-12-01", Kind: pipeline.PointsPost, Points: 2, Ref: "y"},
	}
	vs := b.say(t, "p1", t0, community.RoleMember, "积分榜")
	if len(vs) != 1 || vs[0].Text != "🏆 本月积分榜\n1. 成员2 — 3\n2. 成员3 — 2" {
		t.Fatalf("board %+v", vs)
	}
	if vs := b.say(t, "p2", t0.Add(time.Second), community.RoleMember, "/points"); len(vs) != 0 {
		t.Errorf("within the cooldown: %+v", vs)
	}
	if vs := b.say(t, "p3", t0.Add(NoteCooldown), community.RoleMember, "积分"); len(vs) != 1 {
		t.Errorf("after the cooldown: %+v", vs)
	}
	if vs := b.say(t, "p4", t0.Add(2*NoteCooldown), community.RoleMember, "积分怎么算"); len(vs) != 0 {
		t.Errorf("a question about points is not the board: %+v", vs)
	}
	if got := BoardText("en", false, nil); !strings.HasPrefix(got, "🏆 Points, all time\nNo points yet") {
		t.Errorf("empty board %q", got)
	}
}

func TestPointsCall(t *testing.T) {
	for _, tt := range []struct {
		in, cmd string
		args    int
	}{
		{"/award @a 5", "award", 2}, {"/Award@bot 5", "award", 1}, {"／award 5", "award", 1}, {"加分 @a 5", "award", 2}, {"/加分 5", "award", 1},
		{"加分", "", 0}, {"award 5", "", 0}, {"/points", "board", 0}, {"积分", "board", 0}, {"积分榜", "board", 0}, {"/积分榜@bot", "board", 0},
		{"积分 多少", "", 0}, {"points", "", 0}, {"", "", 0},
	} {
		cmd, args, ok := pointsCall(tt.in)
		if cmd != tt.cmd || len(args) != tt.args || ok != (tt.cmd != "") {
			t.Errorf("pointsCall(%q) = %q %q %v", tt.in, cmd, args, ok)
		}
	}
}

func FuzzAwardArgs(f *testing.F) {
	f.Add("@a 5 作业认真")
	f.Add("-100分")
	f.Fuzz(func(t *testing.T, s string) {
		n, reason, ok := awardArgs(strings.Fields(s))
		if ok && (n == 0 || n > MaxAward || n < -MaxAward) {
			t.Fatalf("%q: %d accepted", s, n)
		}
		if len([]rune(reason)) > maxReason+1 {
			t.Fatalf("%q: reason of %d characters", s, len([]rune(reason)))
		}
	})
}
