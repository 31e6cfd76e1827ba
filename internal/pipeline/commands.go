package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The community's chat commands, in the style Telegram users know from
// Rose, with Chinese aliases. The rules engine handles the moderation
// commands (/warn /mute /kick /ban /rules) and the pipeline /report; these
// read or change the community:
//
//	/top                    this week's top posters            (排行, 排行榜)
//	/stats                  the group's figures for 7 days      (统计)
//	/invite                 the sender's personal invite code   (邀请, 邀请码)
//	/signup [note]          sign up on the open list (接龙)      (接龙 also without the slash)
//	/signup open TITLE      staff: open a list
//	/signup close           staff: close it and post the final list
//	/signup list            show the open list
//	/unban                  staff: lift the organisation ban of the member replied to or mentioned (解封)
var commandAliases = map[string]string{
	"top": "top", "排行": "top", "排行榜": "top",
	"stats": "stats", "统计": "stats",
	"invite": "invite", "邀请": "invite", "邀请码": "invite",
	"signup": "signup", "接龙": "signup",
	"unban": "unban", "解封": "unban",
}

// StatsWindow is the period /top and /stats cover.
const StatsWindow = 7 * 24 * time.Hour

// parseCommand reads "/name[@bot] args…" (or "／name"), and "接龙 …"
// without a slash as WeChat users type it. It returns the canonical name.
func parseCommand(text string) (name string, args []string, ok bool) {
	text = strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(text, "/"):
		text = text[1:]
	case strings.HasPrefix(text, "／"):
		text = text[len("／"):]
	case text == "接龙":
	case strings.HasPrefix(text, "接龙"):
		// The bare Chinese form, followed by a space, "+1" or a count;
		// "接龙游戏" is chat, not a sign-up.
		next, _ := utf8.DecodeRuneInString(text[len("接龙"):])
		if !unicode.IsSpace(next) && !unicode.IsDigit(next) && next != '+' && next != '＋' {
			return "", nil, false
		}
	default:
		return "", nil, false
	}
	fields := strings.FieldsFunc(text, unicode.IsSpace)
	if len(fields) == 0 {
		return "", nil, false
	}
	head, _, _ := strings.Cut(strings.ToLower(fields[0]), "@")
	if strings.HasPrefix(head, "接龙") && head != "接龙" {
		// "接龙+1", "接龙1人": the rest is the note
		fields = append([]string{"接龙", strings.TrimPrefix(fields[0], "接龙")}, fields[1:]...)
		head = "接龙"
	}
	name, ok = commandAliases[head]
	return name, fields[1:], ok
}

// command handles a community command; handled is false when the text is
// not one (or a member used a staff command: then it is judged as any
// other message was).
func (b *batch) command(ctx context.Context, e *chat.Event, g community.Group, pid int64, m community.Membership) (bool, error) {
	name, args, ok := parseCommand(e.Message.Text)
	if !ok {
		return false, nil
	}
	caps := b.in.cfg.Caps(e.Connection)
	reply := func(text string) {
		if caps.Can(chat.ActSend) {
			b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":cmd:" + name, Connection: e.Connection, Kind: chat.ActSend,
				Group: e.Group, MessageID: e.Message.ID, Text: text, Reason: "command /" + name})
		}
	}
	staff := m.Role.Staff()
	switch name {
	case "top":
		top, err := b.tx.TopPosters(ctx, g.ID, b.now.Add(-StatsWindow), 10)
		if err != nil {
			return false, err
		}
		reply(renderTop(top))
	case "stats":
		st, err := b.tx.GroupStats(ctx, g.ID, b.now.Add(-StatsWindow))
		if err != nil {
			return false, err
		}
		reply(fmt.Sprintf("📊 %s 近7天 · last 7 days\n成员 members %d · 新进 joined %d · 退出 left %d\n发言 messages %d · 发言人数 communicators %d",
			g.Name, st.Members, st.Joined, st.Left, st.Messages, st.Communicators))
	case "invite":
		code, err := b.tx.PersonalInviteCode(ctx, g.OrgID, g.ID, pid, b.now)
		if err != nil {
			return false, err
		}
		if caps.Can(chat.ActInviteLink) {
			// The platform makes a personal link named with the code:
			// joins through it are credited to the member.
			b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":cmd:invite", Connection: e.Connection, Kind: chat.ActInviteLink,
				Group: e.Group, MessageID: e.Message.ID, Code: code, Reason: "command /invite",
				Text: fmt.Sprintf("%s 的专属邀请链接：{link}\n朋友通过这个链接入群，就记为您推荐的。\nYour invite link: {link} — friends who join through it count as your referrals.", displayName(e.Sender))})
			break
		}
		reply(fmt.Sprintf("%s 的专属邀请码：%s\n朋友入群时附上这个码，就记为您推荐的。\nYour invite code: %s — friends who join with it count as your referrals.", displayName(e.Sender), code, code))
	case "signup":
		return true, b.signup(ctx, e, g, pid, staff, args, reply)
	case "unban":
		if !staff {
			return false, nil
		}
		return true, b.unban(ctx, e, g, reply)
	}
	return true, nil
}

func renderTop(top []Poster) string {
	if len(top) == 0 {
		return "🏆 本周还没有人发言。No one has posted this week yet."
	}
	var s strings.Builder
	s.WriteString("🏆 本周发言榜 · top posters this week")
	for i, p := range top {
		fmt.Fprintf(&s, "\n%d. %s — %d", i+1, p.Name, p.Messages)
	}
	return s.String()
}

func renderSignup(l SignupList) string {
	var s strings.Builder
	state := ""
	if l.Closed {
		state = "（已截止 closed）"
	}
	fmt.Fprintf(&s, "【接龙】%s%s", l.Title, state)
	if len(l.Entries) == 0 {
		s.WriteString("\n还没有人接龙，发 /signup 或「接龙」报名。No one yet: send /signup to sign up.")
	}
	for _, en := range l.Entries {
		fmt.Fprintf(&s, "\n%d. %s", en.N, en.Name)
		if en.Note != "" {
			s.WriteString(" " + en.Note)
		}
	}
	return s.String()
}

const noSignup = "当前没有进行中的接龙，管理员可发 /signup open 标题 开启。No sign-up list is open; an admin opens one with /signup open TITLE."

func (b *batch) signup(ctx context.Context, e *chat.Event, g community.Group, pid int64, staff bool, args []string, reply func(string)) error {
	sub := ""
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
	}
	switch {
	case staff && (sub == "open" || sub == "开启"):
		title := strings.TrimSpace(strings.Join(args[1:], " "))
		if title == "" {
			reply("用法 usage: /signup open 标题 TITLE")
			return nil
		}
		ok, err := b.tx.OpenSignup(ctx, g.ID, pid, title, b.now)
		if err != nil {
			return err
		}
		if !ok {
			reply("已有进行中的接龙，请先 /signup close。A list is open already: /signup close it first.")
			return nil
		}
		reply(renderSignup(SignupList{Title: title}))
	default:
		var l SignupList
		var ok bool
		var err error
		switch {
		case staff && (sub == "close" || sub == "截止"):
			l, ok, err = b.tx.CloseSignup(ctx, g.ID, b.now)
		case sub == "list" || sub == "名单":
			l, ok, err = b.tx.Signup(ctx, g.ID, 0, "", b.now)
		default:
			note := strings.TrimSpace(strings.Join(args, " "))
			if len([]rune(note)) > 40 {
				note = string([]rune(note)[:40]) + "…"
			}
			l, ok, err = b.tx.Signup(ctx, g.ID, pid, note, b.now)
		}
		if err != nil {
			return err
		}
		if !ok {
			reply(noSignup)
			return nil
		}
		reply(renderSignup(l))
	}
	return nil
}

// unban lifts the organisation ban of the member a staff member replied to
// or mentioned, in every group they were in.
func (b *batch) unban(ctx context.Context, e *chat.Event, g community.Group, reply func(string)) error {
	target := ""
	if len(e.Message.Mentions) > 0 {
		target = e.Message.Mentions[0]
	} else if e.Message.ReplyTo != "" {
		u, ok, err := b.tx.MessageSender(ctx, g.ID, e.Message.ReplyTo)
		if err != nil {
			return err
		}
		if ok {
			target = u
		}
	}
	if target == "" || target == e.Sender.ID {
		reply("用法：回复被封禁成员的消息或 @TA，再发 /unban。Usage: reply to or mention the banned member, then /unban.")
		return nil
	}
	tp, err := b.person(ctx, g, e, chat.User{ID: target})
	if err != nil {
		return err
	}
	lifted, places, err := b.tx.LiftOrgBan(ctx, g.OrgID, tp, "staff:"+e.Sender.ID)
	if err != nil {
		return err
	}
	if !lifted {
		reply("该成员没有被封禁。This member is not banned.")
		return nil
	}
	n := 0
	for _, p := range places {
		if b.in.cfg.Caps(p.Connection).Can(chat.ActUnban) {
			b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":unban:" + p.Connection + ":" + p.Group, Connection: p.Connection,
				Kind: chat.ActUnban, Group: p.Group, User: p.User, Reason: "unbanned by staff"})
			n++
		}
	}
	reply("已解除封禁，可重新入群（" + strconv.Itoa(n) + " 个群）。Ban lifted in " + strconv.Itoa(n) + " group(s); they may rejoin.")
	return nil
}
