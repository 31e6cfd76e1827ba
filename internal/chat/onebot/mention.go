package onebot

import "github.com/qunzhu/qunzhu/internal/chat"

// mentionSegments renders a send's text with the members it names
// (act.Mentions, a welcome's newcomers): each "@name" of a QQ number
// becomes an at segment, which QQ shows as the member's group card and
// notifies them by; the rest is text segments (never read as CQ codes).
func mentionSegments(act chat.Action) []Segment {
	var msg []Segment
	for _, p := range act.Spans() {
		if p.Mention != nil && isDecimal(p.Mention.User.ID) {
			msg = append(msg, Segment{Type: "at", Data: map[string]string{"qq": p.Mention.User.ID}})
			continue
		}
		if n := len(msg); n > 0 && msg[n-1].Type == "text" {
			msg[n-1].Data["text"] += p.Text
			continue
		}
		msg = append(msg, Segment{Type: "text", Data: map[string]string{"text": p.Text}})
	}
	return msg
}
