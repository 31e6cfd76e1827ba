package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The community's chat commands, in the style Telegram users know from
// Rose, with Chinese aliases. The rules engine handles the moderation
// commands (/warn /mute /kick /ban /rules) and the pipeline /report; these
// read or change the community (the grammar of every command is in
// grammar.go):
//
//	/top                    this week's top posters            (排行, 排行榜)
//	/stats                  the group's figures for 7 days      (统计)
//	/invite                 the sender's personal invite code   (邀请, 邀请码)
//	/signup [note]          sign up on the open list (接龙)      (接龙 also without the slash)
//	/signup open TITLE      staff: open a list
//	/signup close           staff: close it and post the final list
//	/signup list            show the open list
//	/unban                  staff: lift the organisation ban of the member replied to or mentioned (解封)
//	/submit [text]          投稿: the text, or the message replied to, goes to the script library (投稿 also without the slash)

// bareArg marks a sign-up typed without a command: when no list is open
// it is ordinary chat, answered with nothing.
const bareArg = "\x00bare"

// StatsWindow is the period /top and /stats cover.
const StatsWindow = 7 * 24 * time.Hour

// communityCommands are the commands the pipeline answers; the others
// (rules, warn, mute, kick, ban, report) are the rules engine's.
var communityCommands = map[string]bool{"top": true, "stats": true, "invite": true, "signup": true, "unban": true, "submit": true}

// parseCommand reads a community command: its canonical name and its
// arguments, a tentative sign-up's marked with bareArg first.
func parseCommand(text string) (name string, args []string, ok bool) {
	c, ok := ParseCommand(text)
	if !ok || !communityCommands[c.Name] {
		return "", nil, false
	}
	if c.Tentative {
		return c.Name, append([]string{bareArg}, c.Args...), true
	}
	return c.Name, c.Args, true
}

// command handles a community command; handled is false when the text is
// not one (or a member used a staff command: then it is judged as any
// other message was).
func (b *batch) command(ctx context.Context, e *chat.Event, g community.Group, pid int64, m community.Membership) (bool, error) {
	if e.Message.ForOtherBot {
		return false, nil // another bot's command: judged as a message
	}
	name, args, ok := parseCommand(e.Message.Text)
	if !ok {
		return false, nil
	}
	caps := b.capsOf(e.Connection)
	reply := func(text string) {
		if caps.Can(chat.ActSend) {
			b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":cmd:" + name, Connection: e.Connection, Kind: chat.ActSend,
				Group: e.Group, MessageID: e.Message.ID, Text: text, Reason: "command /" + name})
		}
	}
	staff := m.Role.Staff()
	lang := g.Lang()
	switch name {
	case "top":
		top, err := b.tx.TopPosters(ctx, g.ID, b.now.Add(-StatsWindow), 10)
		if err != nil {
			return false, err
		}
		reply(renderTop(lang, top))
	case "stats":
		st, err := b.tx.GroupStats(ctx, g.ID, b.now.Add(-StatsWindow))
		if err != nil {
			return false, err
		}
		reply(fmt.Sprintf(community.Say(lang, "📊 %s 近7天\n成员 %d · 新进 %d · 退出 %d\n发言 %d · 发言人数 %d", "📊 %s, last 7 days\nmembers %d · joined %d · left %d\nmessages %d · communicators %d"),
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
				Text: fmt.Sprintf(community.Say(lang, "%s 的专属邀请链接：{link}\n朋友通过这个链接入群，就记为您推荐的。", "%s, your invite link: {link} — friends who join through it count as your referrals."), displayName(e.Sender))})
			break
		}
		reply(fmt.Sprintf(community.Say(lang, "%s 的专属邀请码：%s\n朋友入群时附上这个码，就记为您推荐的。", "%s, your invite code: %s — friends who join with it count as your referrals."), displayName(e.Sender), code))
	case "signup":
		return true, b.signup(ctx, e, g, pid, staff, args, reply)
	case "unban":
		if !staff {
			return false, nil
		}
		return true, b.unban(ctx, e, g, reply)
	case "submit":
		name := m.Nickname
		if name == "" {
			name = displayName(e.Sender)
		}
		return true, b.submit(ctx, e, g, pid, name, reply)
	}
	return true, nil
}

func renderTop(lang string, top []analytics.Poster) string {
	if len(top) == 0 {
		return community.Say(lang, "🏆 本周还没有人发言。", "🏆 No one has posted this week yet.")
	}
	var s strings.Builder
	s.WriteString(community.Say(lang, "🏆 本周发言榜", "🏆 Top posters this week"))
	for i, p := range top {
		fmt.Fprintf(&s, "\n%d. %s — %d", i+1, p.Name, p.Messages)
	}
	return s.String()
}

// renderSignup is the list as the chat shows it (community.SignupText).
func renderSignup(lang string, l community.SignupList, loc *time.Location) string {
	return community.SignupText(lang, l, loc)
}

// noSignup says no list is open.
func noSignup(lang string) string {
	return community.Say(lang, "当前没有进行中的接龙，管理员可发 /signup open 标题 [人数] 开启。", "No sign-up list is open; an admin opens one with /signup open TITLE [CAPACITY].")
}

// signup runs /signup (接龙) and its bare forms: open (staff, with an
// optional capacity as the last word: "周六沙龙 20" or "20人"), close
// (staff), list, cancel (取消报名), checkin (签到), or sign the sender up
// with a note.
func (b *batch) signup(ctx context.Context, e *chat.Event, g community.Group, pid int64, staff bool, args []string, reply func(string)) error {
	lang := g.Lang()
	bare := len(args) > 0 && args[0] == bareArg
	if bare {
		args = args[1:]
	}
	sub := ""
	if len(args) > 0 {
		sub = strings.ToLower(args[0])
	}
	var l community.SignupList
	var ok bool
	var err error
	switch {
	case staff && (sub == "open" || sub == "开启"):
		words := args[1:]
		capacity := 0
		if n := len(words); n > 1 {
			if c, err := strconv.Atoi(strings.TrimSuffix(words[n-1], "人")); err == nil && c > 0 {
				capacity, words = c, words[:n-1]
			}
		}
		title := strings.TrimSpace(strings.Join(words, " "))
		if title == "" {
			reply(community.Say(lang, "用法：/signup open 标题 [人数]", "Usage: /signup open TITLE [CAPACITY]"))
			return nil
		}
		opened, err := b.tx.OpenSignup(ctx, g.ID, pid, title, capacity, b.now)
		if err != nil {
			return err
		}
		if !opened {
			reply(community.Say(lang, "已有进行中的接龙，请先 /signup close。", "A list is open already: /signup close it first."))
			return nil
		}
		reply(renderSignup(lang, community.SignupList{Title: title, Capacity: capacity}, b.in.cfg.Location))
		return nil
	case staff && (sub == "close" || sub == "截止"):
		l, ok, err = b.tx.CloseSignup(ctx, g.ID, b.now)
	case sub == "list" || sub == "名单":
		l, ok, err = b.tx.Signup(ctx, g.ID, 0, "", b.now)
	case sub == "cancel" || sub == "取消":
		var promoted string
		l, promoted, ok, err = b.tx.CancelSignup(ctx, g.ID, pid, b.now)
		if err == nil && ok {
			text := renderSignup(lang, l, b.in.cfg.Location)
			if promoted != "" {
				text = fmt.Sprintf(community.Say(lang, "候补 %s 递补成功。", "%s moves up from the waitlist."), promoted) + "\n" + text
			}
			reply(text)
			return nil
		}
	case sub == "checkin" || sub == "签到":
		l, ok, err = b.tx.CheckIn(ctx, g.ID, pid, b.now)
		if err == nil && ok {
			reply(fmt.Sprintf(community.Say(lang, "%s 已签到（%d/%d）。", "%s checked in (%d/%d)."), displayName(e.Sender), l.CheckedIn(), l.Count()))
			return nil
		}
		if err == nil && !bare {
			reply(community.Say(lang, "没有找到你的报名，无法签到。", "You are not signed up for the latest event."))
			return nil
		}
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
		if !bare {
			reply(noSignup(lang))
		}
		return nil
	}
	reply(renderSignup(lang, l, b.in.cfg.Location))
	return nil
}

// unban lifts the organisation ban of the member a staff member replied to
// or mentioned, in every group they were in.
func (b *batch) unban(ctx context.Context, e *chat.Event, g community.Group, reply func(string)) error {
	lang := g.Lang()
	target := ""
	if len(e.Message.Mentions) > 0 {
		target = e.Message.Mentions[0]
	} else if e.Message.ReplyTo != "" {
		u, ok, err := b.tx.MessageSender(ctx, g.ID, e.Message.ReplyTo, e.Time)
		if err != nil {
			return err
		}
		if ok {
			target = u
		}
	}
	if target == "" || target == e.Sender.ID {
		reply(community.Say(lang, "用法：回复被封禁成员的消息或 @TA，再发 /unban。", "Usage: reply to or mention the banned member, then /unban."))
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
		reply(community.Say(lang, "该成员没有被封禁。", "This member is not banned."))
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
	reply(fmt.Sprintf(community.Say(lang, "已解除封禁，可重新入群（%d 个群）。", "Ban lifted in %d group(s); they may rejoin."), n))
	return nil
}

// MaxSubmission is the longest text a 投稿 may carry (the library's limit).
const MaxSubmission = 64 << 10

// submit runs 投稿 (/submit): the text after the command, or else the
// text of the message replied to, becomes a submitted script with the
// sender as its author. The reply thanks them and gives the script's
// number; what the lint finds is for the reviewer, not the group.
func (b *batch) submit(ctx context.Context, e *chat.Event, g community.Group, pid int64, name string, reply func(string)) error {
	lang := g.Lang()
	body, msgID, source := submitBody(e.Message.Text), e.Message.ID, pid
	if body == "" {
		if e.Message.ReplyTo == "" {
			reply(community.Say(lang, "用法：回复一条消息发「投稿」，或发「投稿 内容」。", "Usage: reply /submit to a message, or send /submit TEXT."))
			return nil
		}
		text, who, ok, err := b.messageText(ctx, g.ID, e.Message.ReplyTo, e.Time)
		if err != nil {
			return err
		}
		if body = strings.TrimSpace(text); !ok || body == "" {
			reply(community.Say(lang, "没有找到那条消息的文字，请发「投稿 内容」。", "That message has no text I know of: send /submit TEXT instead."))
			return nil
		}
		msgID, source = e.Message.ReplyTo, who
	}
	if len(body) > MaxSubmission {
		reply(community.Say(lang, "投稿内容太长（最多 64 KB）。", "The text is too long (64 KB at most)."))
		return nil
	}
	id, created, err := b.tx.SubmitScript(ctx, Submission{OrgID: g.OrgID, GroupID: g.ID, PersonID: pid, Name: name, MessageID: msgID,
		SourcePerson: source, Title: submitTitle(body), Body: body, At: b.now})
	if err != nil {
		return err
	}
	if !created {
		reply(fmt.Sprintf(community.Say(lang, "这条已经投过稿了，编号 #%d。", "Already submitted as script #%d."), id))
		return nil
	}
	reply(fmt.Sprintf(community.Say(lang, "感谢 %s 投稿！已收入剧本库，编号 #%d，审核通过后会安排推送。", "Thanks, %s: your submission is script #%d and will be reviewed."), name, id))
	return nil
}

// messageText finds a message of the group: in this batch (not stored
// yet) or in the store.
func (b *batch) messageText(ctx context.Context, groupID int64, messageID string, replyAt time.Time) (string, int64, bool, error) {
	for i := len(b.msgs) - 1; i >= 0; i-- {
		if m := b.msgs[i]; m.GroupID == groupID && m.ExternalID == messageID {
			return m.Text, m.PersonID, true, nil
		}
	}
	return b.tx.MessageText(ctx, groupID, messageID, replyAt)
}

// submitBody is the text after the command word: "/submit TEXT",
// "/投稿@bot TEXT", "投稿 TEXT", "投稿：TEXT".
func submitBody(text string) string {
	text = strings.TrimSpace(text)
	if strings.HasPrefix(text, "/") || strings.HasPrefix(text, "／") {
		i := strings.IndexFunc(text, unicode.IsSpace)
		if i < 0 {
			return ""
		}
		return strings.TrimSpace(text[i:])
	}
	text = strings.TrimPrefix(text, "投稿")
	return strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(text), ":："))
}

// submitTitle is a submission's first line, cut to 30 characters.
func submitTitle(body string) string {
	for _, line := range strings.Split(body, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			if r := []rune(line); len(r) > 30 {
				return string(r[:30]) + "…"
			}
			return line
		}
	}
	return "投稿"
}
