package rules

import (
	"strings"
	"time"
	"unicode"
)

// Command is a chat command, in the style Telegram users know from Rose:
// /rules, /warn, /mute 1h, /kick, /ban, /unban, /report.
type Command struct {
	Name     string        // without the slash, lower case
	Duration time.Duration // for /mute
	Reason   string
}

var commands = map[string]bool{"rules": true, "warn": true, "mute": true, "kick": true, "ban": true, "unban": true, "report": true, "top": true, "stats": true, "invite": true, "signup": true}

// ParseCommand reads a command from a message text; botName, when not
// empty, strips "@botname" after the command. Mentions in the text are
// left to the caller (they are platform ids in the event).
func ParseCommand(text, botName string) (Command, bool) {
	text = strings.TrimSpace(text)
	if !strings.HasPrefix(text, "/") && !strings.HasPrefix(text, "／") {
		if text == "举报" {
			return Command{Name: "report"}, true
		}
		return Command{}, false
	}
	text = strings.TrimPrefix(strings.TrimPrefix(text, "/"), "／")
	fields := strings.FieldsFunc(text, unicode.IsSpace)
	if len(fields) == 0 {
		return Command{}, false
	}
	name, at, _ := strings.Cut(strings.ToLower(fields[0]), "@")
	if at != "" && botName != "" && !strings.EqualFold(at, strings.TrimPrefix(botName, "@")) {
		return Command{}, false // addressed to another bot
	}
	if !commands[name] {
		return Command{}, false
	}
	c := Command{Name: name}
	rest := fields[1:]
	// Drop mention tokens: the targets come from the event's mentions.
	var words []string
	for _, w := range rest {
		if !strings.HasPrefix(w, "@") {
			words = append(words, w)
		}
	}
	if name == "mute" && len(words) > 0 {
		var d Duration
		if err := d.UnmarshalText([]byte(words[0])); err == nil && d > 0 {
			c.Duration = time.Duration(d)
			words = words[1:]
		}
	}
	c.Reason = strings.Join(words, " ")
	return c, true
}
