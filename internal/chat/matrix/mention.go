package matrix

import (
	"html"
	"strings"

	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// mentions makes the members a send names (act.Mentions, a welcome's
// newcomers) pills: each "@name" of a Matrix user is their name in the
// body, a link to them in the formatted body, and listed in m.mentions,
// so their clients notify them. Others keep the plain "@name".
func mentions(c *event.MessageEventContent, act chat.Action) {
	if len(act.Mentions) == 0 {
		return
	}
	var body, formatted strings.Builder
	var users []id.UserID
	for _, p := range act.Spans() {
		if p.Mention == nil || !strings.HasPrefix(p.Mention.User.ID, "@") {
			body.WriteString(p.Text)
			formatted.WriteString(strings.ReplaceAll(html.EscapeString(p.Text), "\n", "<br>"))
			continue
		}
		user := id.UserID(p.Mention.User.ID)
		name := strings.TrimPrefix(p.Text, "@")
		body.WriteString(name)
		formatted.WriteString(`<a href="` + html.EscapeString(user.URI().MatrixToURL()) + `">` + html.EscapeString(name) + `</a>`)
		users = append(users, user)
	}
	if len(users) == 0 {
		return
	}
	c.Body, c.Format, c.FormattedBody = body.String(), event.FormatHTML, formatted.String()
	c.Mentions = &event.Mentions{UserIDs: users}
}
