package matrix

import (
	"testing"

	"maunium.net/go/mautrix/event"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// TestWelcomeMentions: a welcome's newcomers on Matrix are pills, named
// in m.mentions; a name that is not a Matrix user stays plain.
func TestWelcomeMentions(t *testing.T) {
	act := chat.Action{Kind: chat.ActSend, Text: "欢迎 @Ann、@<b>、@wx 加入", Mentions: []chat.Mention{
		{User: chat.User{ID: "@ann:example.org", Name: "Ann"}, Offset: 7, Length: 4},
		{User: chat.User{ID: "@b:example.org", Name: "<b>"}, Offset: 14, Length: 4},
		{User: chat.User{ID: "wx123", Name: "wx"}, Offset: 21, Length: 3}}}
	c := &event.MessageEventContent{MsgType: event.MsgNotice, Body: act.Text}
	mention(c, act)
	if c.Body != "欢迎 Ann、<b>、@wx 加入" {
		t.Errorf("body %q", c.Body)
	}
	if want := `欢迎 <a href="https://matrix.to/#/@ann:example.org">Ann</a>、<a href="https://matrix.to/#/@b:example.org">&lt;b&gt;</a>、@wx 加入`; c.FormattedBody != want || c.Format != event.FormatHTML {
		t.Errorf("formatted %q\nwant      %q", c.FormattedBody, want)
	}
	if c.Mentions == nil || len(c.Mentions.UserIDs) != 2 || c.Mentions.UserIDs[1] != "@b:example.org" {
		t.Errorf("m.mentions %+v", c.Mentions)
	}
}
