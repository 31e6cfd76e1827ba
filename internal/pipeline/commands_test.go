package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestCommands plays the community commands in a group on both databases
// and checks each reply the bot sends.
func TestCommands(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return chat.AllActions() }})
		ctx := context.Background()
		seq := 0
		// say ingests one message and returns the texts the bot sent for it.
		say := func(user, text string, edit ...func(*chat.Event)) []string {
			t.Helper()
			seq++
			e := msg(fmt.Sprintf("c%d", seq), "g1", user, text)
			for _, f := range edit {
				f(&e)
			}
			before := count(t, db, "SELECT COUNT(*) FROM outbox")
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
			acts, err := db.PullActions(ctx, []string{"wx"}, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, a := range acts[before:] {
				if a.Action.Kind == chat.ActSend {
					if a.Action.MessageID != e.Message.ID {
						t.Errorf("reply to %q is not threaded on the command: %+v", text, a.Action)
					}
					out = append(out, a.Action.Text)
				} else {
					out = append(out, string(a.Action.Kind)+" "+a.Action.Group+" "+a.Action.User)
				}
			}
			return out
		}
		one := func(user, text string, edit ...func(*chat.Event)) string {
			t.Helper()
			out := say(user, text, edit...)
			if len(out) != 1 {
				t.Fatalf("%s %q: bot sent %q, want one reply", user, text, out)
			}
			return out[0]
		}
		for i := 0; i < 3; i++ {
			say("u1", "今天的课很有收获")
		}
		say("u2", "老师辛苦了")
		say("boss", "大家晚上好")
		if err := db.SetRole(ctx, "wx", "g1", "boss", community.RoleOwner); err != nil {
			t.Fatal(err)
		}
		in.Forget()

		top := one("u3", "/top")
		if !strings.Contains(top, "1. 用户u1 — 3\n2. 用户u2 — 1") || strings.Contains(top, "boss") {
			t.Fatalf("/top = %q (staff must be left out)", top)
		}
		if s := one("u3", "/统计"); !strings.Contains(s, "成员 4") || !strings.Contains(s, "发言 5") || !strings.Contains(s, "发言人数 3") {
			// u1 ×3, u2, u3's /top: the owner's message is not counted.
			t.Fatalf("/stats = %q", s)
		}
		inv := one("u2", "/invite")
		inv2 := one("u2", "/邀请码")
		if inv != inv2 || !strings.Contains(inv, "专属邀请码") {
			t.Fatalf("/invite twice gave %q and %q, want the same code", inv, inv2)
		}
		if other := one("u1", "/invite"); other == inv {
			t.Fatal("two members got the same invite code")
		}

		if s := one("u1", "/signup"); !strings.Contains(s, "当前没有进行中的接龙") {
			t.Fatalf("/signup with no list: %q", s)
		}
		if s := say("u1", "/signup open 抢个名额"); len(s) != 1 || strings.Contains(s[0], "抢个名额】") {
			// A member cannot open a list: it is a sign-up on no list.
			t.Fatalf("member /signup open: %q", s)
		}
		if s := one("boss", "/signup open 周六线下沙龙"); !strings.Contains(s, "【接龙】周六线下沙龙") {
			t.Fatalf("open: %q", s)
		}
		if s := one("boss", "/signup open 另一个"); !strings.Contains(s, "已有进行中的接龙") {
			t.Fatalf("second open: %q", s)
		}
		one("u1", "接龙+1")
		one("u2", "/signup@qunzhu_bot 带两位朋友")
		if s := one("u1", "接龙"); !strings.Contains(s, "1. 用户u1 +1\n2. 用户u2 带两位朋友") {
			t.Fatalf("signing up twice must keep the first place: %q", s)
		}
		if s := one("boss", "/signup close"); !strings.Contains(s, "周六线下沙龙（已截止）\n1. 用户u1 +1\n2. 用户u2 带两位朋友") {
			t.Fatalf("close: %q", s)
		}
		if s := one("u3", "接龙"); !strings.Contains(s, "当前没有进行中的接龙") {
			t.Fatalf("after close: %q", s)
		}

		// /unban: a member's /unban is an ordinary message; staff lift the
		// organisation ban and the member is unbanned where they were.
		pid := personOf(t, db, "u2")
		orgs, _ := db.Orgs(ctx)
		if _, err := db.BanEverywhere(ctx, orgs[0].ID, pid, "测试", "test"); err != nil {
			t.Fatal(err)
		}
		if s := say("u1", "/unban", func(e *chat.Event) { e.Message.Mentions = []string{"u2"} }); len(s) != 0 {
			t.Fatalf("a member's /unban did something: %q", s)
		}
		got := say("boss", "/unban", func(e *chat.Event) { e.Message.ReplyTo = "m-c4" }) // u2's message
		if len(got) != 2 || got[0] != "unban g1 u2" || !strings.Contains(got[1], "已解除封禁") {
			t.Fatalf("staff /unban: %q", got)
		}
		if s := one("boss", "/unban", func(e *chat.Event) { e.Message.Mentions = []string{"u2"} }); !strings.Contains(s, "没有被封禁") {
			t.Fatalf("second /unban: %q", s)
		}
	})
}

func personOf(t *testing.T, db *store.DB, user string) int64 {
	t.Helper()
	var id int64
	if err := db.SQL().QueryRow("SELECT person_id FROM identities WHERE external_id = '" + user + "'").Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestParseCommandAliases(t *testing.T) {
	for _, tc := range []struct{ in, name, args string }{
		{"/top", "top", ""},
		{"/TOP@qunzhu_bot", "top", ""},
		{"／排行榜", "top", ""},
		{"接龙", "signup", ""},
		{"接龙+1", "signup", "+1"},
		{"接龙 带家属", "signup", "带家属"},
		{"/signup open 周六 沙龙", "signup", "open 周六 沙龙"},
		{"/解封", "unban", ""},
		{"/warn", "", ""},
		{"top", "", ""},
		{"接龙游戏真好玩", "", ""}, // chat about 接龙, not a sign-up
		{"+1", "signup", "\x00bare"},
		{"报名 带家属", "signup", "\x00bare 带家属"},
		{"取消报名", "signup", "\x00bare cancel"},
		{"签到", "signup", "\x00bare checkin"},
		{"+1s", "", ""},
		{"接龙２人", "signup", "２人"},
	} {
		name, args, ok := pipeline.ParseCommunityCommand(tc.in)
		if (tc.name == "") == ok || name != tc.name || strings.Join(args, " ") != tc.args {
			t.Errorf("ParseCommand(%q) = %q %q %v, want %q %q", tc.in, name, args, ok, tc.name, tc.args)
		}
	}
}

// TestInviteLinkReferral: on a platform that makes invite links, /invite
// asks for a personal link named with the member's code; a newcomer who
// joins through it (the platform sees a self-join by link) is the
// member's referral.
func TestInviteLinkReferral(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		caps := chat.AllActions()
		caps[chat.ActInviteLink] = true
		in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return caps }})
		ctx := context.Background()
		if err := in.Ingest(ctx, []chat.Event{msg("i1", "g1", "u2", "/invite")}); err != nil {
			t.Fatal(err)
		}
		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(acts) != 1 || acts[0].Action.Kind != chat.ActInviteLink || len(acts[0].Action.Code) != 8 || !strings.Contains(acts[0].Action.Text, "{link}") {
			t.Fatalf("actions = %+v", acts)
		}
		code := acts[0].Action.Code
		join := member("i2", chat.EventMemberJoined, "g1", "u9")
		join.Source, join.Code = chat.SourcePromo, code
		if err := in.Ingest(ctx, []chat.Event{join}); err != nil {
			t.Fatal(err)
		}
		var source string
		var inviter int64
		if err := db.SQL().QueryRow(`SELECT m.source, m.inviter_id FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = 'u9'`).Scan(&source, &inviter); err != nil {
			t.Fatal(err)
		}
		if source != string(chat.SourceReferral) || inviter != personOf(t, db, "u2") {
			t.Fatalf("join through the link: source %q inviter %d", source, inviter)
		}
	})
}

// TestEventSignups: an event with a capacity fills up, later sign-ups wait,
// a cancellation moves the first waiting up, members check in; "+1" and
// "报名" count only while a list is open.
func TestEventSignups(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return chat.AllActions() }})
		ctx := context.Background()
		seq := 0
		say := func(user, text string) []string {
			t.Helper()
			seq++
			e := msg(fmt.Sprintf("ev%d", seq), "g1", user, text)
			before := count(t, db, "SELECT COUNT(*) FROM outbox")
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
			acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 1000)
			var out []string
			for _, a := range acts[before:] {
				out = append(out, a.Action.Text)
			}
			return out
		}
		one := func(user, text string) string {
			t.Helper()
			out := say(user, text)
			if len(out) != 1 {
				t.Fatalf("%s %q: bot sent %q, want one reply", user, text, out)
			}
			return out[0]
		}
		say("boss", "大家好")
		if err := db.SetRole(ctx, "wx", "g1", "boss", community.RoleOwner); err != nil {
			t.Fatal(err)
		}
		in.Forget()
		if out := say("u1", "+1"); len(out) != 0 {
			t.Fatalf("+1 with no list open is chat, got %q", out)
		}
		if s := one("boss", "/signup open 周六线下沙龙 2人"); !strings.Contains(s, "【接龙】周六线下沙龙（限 2 人，已报 0") {
			t.Fatalf("open: %q", s)
		}
		one("u1", "+1")
		one("u2", "报名 带一位朋友")
		s := one("u3", "接龙")
		if !strings.Contains(s, "已报 2") || !strings.Contains(s, "1. 用户u1\n2. 用户u2 带一位朋友\n候补：\n3. 用户u3") {
			t.Fatalf("full list with a waitlist: %q", s)
		}
		s = one("u1", "取消报名")
		if !strings.Contains(s, "候补 用户u3 递补成功") || !strings.Contains(s, "2. 用户u2 带一位朋友\n3. 用户u3") || strings.Contains(s, "1. 用户u1") {
			t.Fatalf("cancel: %q", s)
		}
		if out := say("u9", "取消报名"); len(out) != 0 {
			t.Fatalf("取消报名 from someone not on the list is chat: %q", out)
		}
		if s := one("u3", "签到"); !strings.Contains(s, "用户u3 已签到") || !strings.Contains(s, "（1/2）") {
			t.Fatalf("check in: %q", s)
		}
		if out := say("u1", "签到"); len(out) != 0 {
			t.Fatalf("a cancelled member's bare 签到 is chat: %q", out)
		}
		if s := one("boss", "/signup close"); !strings.Contains(s, "（已截止）") || !strings.Contains(s, "3. 用户u3 ✅") {
			t.Fatalf("close: %q", s)
		}
		// After the list closed, a late check-in still works; +1 is chat.
		if s := one("u2", "签到"); !strings.Contains(s, "（2/2）") {
			t.Fatalf("late check in: %q", s)
		}
		if out := say("u4", "+1"); len(out) != 0 {
			t.Fatalf("+1 after the list closed: %q", out)
		}
	})
}

// TestParseCommandGrammar: the one grammar reads the moderation commands
// as well as the community ones, with the bot they are addressed to.
func TestParseCommandGrammar(t *testing.T) {
	for _, tc := range []struct {
		in               string
		name, bot, args  string
		slash, tentative bool
		ok               bool
	}{
		{"/mute@QunZhu_Bot @alice 2h", "mute", "qunzhu_bot", "@alice 2h", true, false, true},
		{"／ban 广告", "ban", "", "广告", true, false, true},
		{"举报", "report", "", "", false, false, true},
		{"报名 带家属", "signup", "", "带家属", false, true, true},
		{"投稿：好文", "submit", "", "", false, false, true},
		{"/排行", "top", "", "", true, false, true},
		{"/nope", "", "", "", false, false, false},
		{"举报他", "", "", "", false, false, false},
	} {
		c, ok := pipeline.ParseCommand(tc.in)
		if ok != tc.ok || c.Name != tc.name || c.Bot != tc.bot || strings.Join(c.Args, " ") != tc.args || c.Slash != tc.slash || c.Tentative != tc.tentative {
			t.Errorf("ParseCommand(%q) = %+v %v", tc.in, c, ok)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{"/top", "接龙+1", "报名 x", "投稿：y", "/mute@bot @a 1h", "举报", "／统计"} {
		f.Add(s)
	}
	names := map[string]bool{"top": true, "stats": true, "invite": true, "signup": true, "unban": true, "submit": true,
		"rules": true, "warn": true, "mute": true, "kick": true, "ban": true, "report": true}
	f.Fuzz(func(t *testing.T, text string) {
		c, ok := pipeline.ParseCommand(text)
		if !ok {
			if c.Name != "" || c.Args != nil {
				t.Fatalf("ParseCommand(%q) refused but returned %+v", text, c)
			}
			return
		}
		if !names[c.Name] || (c.Tentative && (c.Name != "signup" || c.Slash)) || (c.Bot != "" && !c.Slash && c.Name != "signup") {
			t.Fatalf("ParseCommand(%q) = %+v", text, c)
		}
	})
}
