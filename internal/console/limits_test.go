package console_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/console"
)

// TestConnectionLimits: what a platform does not allow (WeCom: no
// deleting, no instant posts, no message content without the archive) is
// shown on the connection, on the dashboard and the settings page.
func TestConnectionLimits(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	w.srv.Accounts = w.db
	w.srv.Connections = func() []console.ConnectionStatus {
		return []console.ConnectionStatus{{Name: "qw", Platform: "wecom", Limits: []string{"No message content: 会话内容存档 is not set up."}}, {Name: "tg", Platform: "telegram"}}
	}
	for _, page := range []string{"/", "/settings"} {
		body := w.page(c, page)
		if !strings.Contains(body, `<ul class="conn-limits" title="该平台不支持的功能"><li>No message content: 会话内容存档 is not set up.</li></ul>`) {
			t.Errorf("%s does not show the connection's limits", page)
		}
		if strings.Count(body, `class="conn-limits"`) != 1 {
			t.Errorf("%s shows limits for a connection without any", page)
		}
	}
}
