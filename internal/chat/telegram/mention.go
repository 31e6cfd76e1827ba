package telegram

import (
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// composeMentions renders the members a send names (act.Mentions, a
// welcome's newcomers): each "@name" becomes their name as a
// text_mention, so Telegram notifies them and no plain "@name" links to
// whoever holds that username. A member whose id is not a user's (a chat
// posting in the group) keeps the plain "@name".
func composeMentions(act chat.Action) (string, []sendEntity) {
	if len(act.Mentions) == 0 {
		return act.Text, nil
	}
	var text strings.Builder
	var entities []sendEntity
	at := 0 // the text's length so far in UTF-16 code units
	for _, p := range act.Spans() {
		piece := p.Text
		if p.Mention != nil {
			if uid, err := strconv.ParseInt(p.Mention.User.ID, 10, 64); err == nil && uid > 0 {
				piece = strings.TrimPrefix(piece, "@")
				entities = append(entities, sendEntity{Type: entityTextMention, Offset: at, Length: utf16Len(piece),
					User: &sendUser{ID: uid, FirstName: piece}})
			}
		}
		text.WriteString(piece)
		at += utf16Len(piece)
	}
	return text.String(), entities
}

func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }
