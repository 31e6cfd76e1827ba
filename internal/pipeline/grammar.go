package pipeline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The grammar of qunzhu's chat commands, in the style Telegram users know
// from Rose, with the Chinese aliases and bare forms WeChat users type.
// It is the one reading of a command: the pipeline answers the community
// commands (/top /stats /invite /signup /unban /submit, see commands.go),
// the rules engine the moderation ones (/rules /warn /mute /kick /ban
// /report).

// Command is a chat command as typed.
type Command struct {
	Name string   // canonical and lower case: top, stats, invite, signup, unban, submit, rules, warn, mute, kick, ban, report
	Bot  string   // the bot it is addressed to ("/rules@qunzhu_bot" → "qunzhu_bot"), lower case; "" when none
	Args []string // the words after the name, mentions included
	// Slash is true for "/name" (or "／name"); false for the bare forms
	// typed as chat: 接龙, 投稿, 举报, +1, 报名, 取消报名, 签到.
	Slash bool
	// Tentative marks a sign-up typed as a chat reply ("+1", "报名",
	// "取消报名", "签到"): it counts only while a list is open (签到: at the
	// latest event); otherwise it is chat.
	Tentative bool
}

// commandAliases maps every name a command may be typed with to its
// canonical name.
var commandAliases = map[string]string{
	"top": "top", "排行": "top", "排行榜": "top",
	"stats": "stats", "统计": "stats",
	"invite": "invite", "邀请": "invite", "邀请码": "invite",
	"signup": "signup", "接龙": "signup",
	"unban": "unban", "解封": "unban",
	"submit": "submit", "投稿": "submit",
	"rules": "rules", "warn": "warn", "mute": "mute", "kick": "kick", "ban": "ban", "report": "report",
}

// bareSignup are what members of a Chinese group reply to an open list
// without any command, with the sub-command each stands for.
var bareSignup = map[string][]string{"+1": nil, "＋1": nil, "报名": nil, "取消报名": {"cancel"}, "签到": {"checkin"}}

// ParseCommand reads a command: "/name[@bot] args…" (or "／name"), and
// the bare forms — "接龙 …", "投稿 …", "举报" and the sign-up replies —
// as WeChat users type them. Chat that merely starts with such a word
// ("接龙游戏", "投稿要求是什么") is not a command.
func ParseCommand(text string) (Command, bool) {
	text = strings.TrimSpace(text)
	if first, rest, _ := strings.Cut(text, " "); first != "" {
		if sub, isBare := bareSignup[first]; isBare {
			return Command{Name: "signup", Args: append(append([]string{}, sub...), strings.Fields(rest)...), Tentative: true}, true
		}
	}
	slash := false
	switch {
	case strings.HasPrefix(text, "/"):
		text, slash = text[1:], true
	case strings.HasPrefix(text, "／"):
		text, slash = text[len("／"):], true
	case text == "举报":
		return Command{Name: "report"}, true
	case text == "接龙":
	case strings.HasPrefix(text, "投稿"):
		// The bare Chinese form, alone or followed by a space or a colon
		// and the text; "投稿要求是什么" is chat.
		next, _ := utf8.DecodeRuneInString(text[len("投稿"):])
		if len(text) > len("投稿") && !unicode.IsSpace(next) && next != ':' && next != '：' {
			return Command{}, false
		}
		return Command{Name: "submit"}, true
	case strings.HasPrefix(text, "接龙"):
		// The bare Chinese form, followed by a space, "+1" or a count;
		// "接龙游戏" is chat, not a sign-up.
		next, _ := utf8.DecodeRuneInString(text[len("接龙"):])
		if !unicode.IsSpace(next) && !unicode.IsDigit(next) && next != '+' && next != '＋' {
			return Command{}, false
		}
	default:
		return Command{}, false
	}
	fields := strings.FieldsFunc(text, unicode.IsSpace)
	if len(fields) == 0 {
		return Command{}, false
	}
	head, bot, _ := strings.Cut(strings.ToLower(fields[0]), "@")
	if strings.HasPrefix(head, "接龙") && head != "接龙" {
		// "接龙+1", "接龙1人": the rest is the note
		fields = append([]string{"接龙", strings.TrimPrefix(fields[0], "接龙")}, fields[1:]...)
		head = "接龙"
	}
	name, ok := commandAliases[head]
	if !ok {
		return Command{}, false
	}
	return Command{Name: name, Bot: bot, Args: fields[1:], Slash: slash}, true
}
