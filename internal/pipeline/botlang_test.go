package pipeline_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// The bot answers in the group's language, one language a message: a
// Chinese group never reads "限 3 人 limit 3", an English one never a
// Chinese word the bot wrote.
func TestBotRepliesInTheGroupsLanguage(t *testing.T) {
	var (
		latin = regexp.MustCompile(`[A-Za-z]+`)
		han   = regexp.MustCompile(`\p{Han}`)
		// The Latin words of a Chinese reply: the commands it quotes, units
		// and "@TA" (Chinese for "them").
		commands = map[string]bool{"signup": true, "open": true, "close": true, "unban": true, "submit": true, "KB": true, "TA": true}
		code     = regexp.MustCompile(`[A-Z0-9]{8}`) // an invite code
	)
	for _, lang := range []string{community.BotZh, community.BotEn} {
		t.Run(lang, func(t *testing.T) {
			storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
				in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return chat.AllActions() }})
				ctx := context.Background()
				// Names and titles in the other language than the group's,
				// so that they cannot hide a reply in the wrong one.
				names := map[string]string{"boss": "王老板", "u1": "张三", "u2": "李四", "u3": "赵五"}
				title := "周六沙龙"
				if lang == community.BotZh {
					names = map[string]string{"boss": "Boss", "u1": "Ann", "u2": "Bob", "u3": "Cy"}
					title = "Saturday salon"
				}
				user := append([]string{title, "g1"}, names["boss"], names["u1"], names["u2"], names["u3"])
				seq := 0
				say := func(who, text string) []string {
					t.Helper()
					seq++
					e := msg(fmt.Sprintf("l%d", seq), "g1", who, text)
					e.Sender.Name = names[who]
					var out []string
					for _, a := range sent(t, db, in, e) {
						if a.Kind == chat.ActSend && a.Text != "" {
							out = append(out, a.Text)
						}
					}
					return out
				}
				for _, who := range []string{"boss", "u1", "u2", "u3"} {
					say(who, "👋")
				}
				var org, group int64
				if err := db.SQL().QueryRow("SELECT org_id, id FROM chat_groups WHERE external_id = 'g1'").Scan(&org, &group); err != nil {
					t.Fatal(err)
				}
				if err := db.SetGroupBotLang(ctx, org, group, lang, "test"); err != nil {
					t.Fatal(err)
				}
				if err := db.SetRole(ctx, "wx", "g1", "boss", community.RoleOwner); err != nil {
					t.Fatal(err)
				}
				in.Forget()
				var replies []string
				for _, c := range []struct{ who, text string }{
					{"u1", "/top"}, {"u1", "/stats"}, {"u2", "/invite"},
					{"u1", "/signup"}, // none open
					{"boss", "/signup open"}, {"boss", "/signup open " + title + " 2"}, {"boss", "/signup open " + title},
					{"u1", "+1"}, {"u2", "+1"}, {"u3", "+1"}, {"u1", "/signup cancel"}, {"u2", "/signup checkin"}, {"u1", "/signup checkin"},
					{"u3", "/signup list"}, {"boss", "/signup close"},
					{"boss", "/unban"},
					{"u1", "/submit"}, {"u1", "/submit " + title + " " + title + " " + title},
				} {
					out := say(c.who, c.text)
					if len(out) == 0 {
						t.Errorf("%q: no reply", c.text)
					}
					replies = append(replies, out...)
				}
				for _, r := range replies {
					text := code.ReplaceAllString(r, " ")
					for _, d := range user {
						text = strings.ReplaceAll(text, d, " ")
					}
					var bad []string
					if lang == community.BotEn {
						bad = han.FindAllString(text, -1)
					} else {
						for _, w := range latin.FindAllString(text, -1) {
							if !commands[w] {
								bad = append(bad, w)
							}
						}
					}
					if len(bad) > 0 {
						t.Errorf("a %s group reads %q in\n%s", lang, bad, r)
					}
				}
			})
		})
	}
}
