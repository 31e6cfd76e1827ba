package rules

import (
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Command is a chat command, in the style Telegram users know from Rose:
// /rules, /warn, /mute 1h, /kick, /ban, /unban, /report.
type Command struct {
	Name     string        // without the slash, lower case
	Duration time.Duration // for /mute
	Reason   string
}

var commands = map[string]bool{"rules": true, "warn": true, "mute": true, "kick": true, "ban": true, "unban": true, "report": true, "top": true, "stats": true, "invite": true, "signup": true}

// ParseCommand reads a moderation command with the chat commands' one
// grammar (pipeline.ParseCommand); botName, when not empty, refuses a
// command addressed to another bot ("/rules@other_bot"). Mentions in the
// text are left to the caller (they are platform ids in the event).
func ParseCommand(text, botName string) (Command, bool) {
	pc, ok := pipeline.ParseCommand(text)
	if !ok || !commands[pc.Name] || (!pc.Slash && pc.Name != "report") {
		return Command{}, false
	}
	if pc.Bot != "" && botName != "" && !strings.EqualFold(pc.Bot, strings.TrimPrefix(botName, "@")) {
		return Command{}, false // addressed to another bot
	}
	c := Command{Name: pc.Name}
	// Drop mention tokens: the targets come from the event's mentions.
	var words []string
	for _, w := range pc.Args {
		if !strings.HasPrefix(w, "@") {
			words = append(words, w)
		}
	}
	if c.Name == "mute" && len(words) > 0 {
		if d, err := chat.ParseDuration(words[0]); err == nil && d > 0 {
			c.Duration = d
			words = words[1:]
		}
	}
	c.Reason = strings.Join(words, " ")
	return c, true
}
