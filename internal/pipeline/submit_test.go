package pipeline_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestSubmitCommand plays 投稿 in a group on both databases: replying to
// a message, inline, in the same batch as the message, twice, and wrong.
func TestSubmitCommand(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		in := setup(t, db, pipeline.IngestConfig{Caps: func(string) chat.Capabilities { return chat.AllActions() }})
		ctx := context.Background()
		// send ingests events in one batch and returns the bot's replies.
		send := func(evs ...chat.Event) []string {
			t.Helper()
			var out []string
			for _, a := range sent(t, db, in, evs...) {
				out = append(out, a.Text)
			}
			return out
		}
		reply := func(e chat.Event, to string) chat.Event { e.Message.ReplyTo = to; return e }
		lines := "三个让老客户回购的小方法\n第一，发货时附手写卡片。\n第二，七天后回访使用感受。\n第三，节日发专属优惠。"
		send(msg("s1", "g1", "u1", lines))
		got := send(reply(msg("s2", "g1", "u2", "投稿"), "m-s1"))
		if len(got) != 1 || !strings.Contains(got[0], "感谢 用户u2 投稿") || !strings.Contains(got[0], "编号 #1") {
			t.Fatalf("投稿 reply = %q", got)
		}
		org := orgID(t, db)
		sc, err := db.Script(ctx, org, 1)
		if err != nil {
			t.Fatal(err)
		}
		u2 := count(t, db, "SELECT person_id FROM identities WHERE external_id = 'u2'")
		if sc.Status != content.Submitted || sc.Title != "三个让老客户回购的小方法" || sc.Body != lines || sc.Author != "person:"+itoa(u2) {
			t.Fatalf("script = %+v", sc)
		}
		revs, _ := db.Revisions(ctx, org, sc.ID)
		if len(revs) != 2 || !strings.Contains(revs[0].Note, "用户u2") || revs[1].Status != content.Submitted {
			t.Fatalf("revisions = %+v", revs)
		}
		// The same message again (by someone else, with the slash form).
		if got := send(reply(msg("s3", "g1", "u3", "/submit"), "m-s1")); len(got) != 1 || !strings.Contains(got[0], "已经投过稿了，编号 #1") {
			t.Fatalf("second 投稿 = %q", got)
		}
		// Inline, with a colon; and a message replied to in the same batch.
		if got := send(msg("s4", "g1", "u1", "投稿：周末直播预告\n周六晚八点，讲选品。")); len(got) != 1 || !strings.Contains(got[0], "编号 #2") {
			t.Fatalf("inline 投稿 = %q", got)
		}
		if sc, _ := db.Script(ctx, org, 2); sc.Title != "周末直播预告" || sc.Body != "周末直播预告\n周六晚八点，讲选品。" {
			t.Fatalf("inline script = %+v", sc)
		}
		if got := send(msg("s5", "g1", "u4", "今晚复盘要点：流量、转化、客单价"), reply(msg("s6", "g1", "u4", "/投稿"), "m-s5")); len(got) != 1 || !strings.Contains(got[0], "编号 #3") {
			t.Fatalf("same-batch 投稿 = %q", got)
		}
		// Usage, an unknown message, and chat that only starts with 投稿.
		if got := send(msg("s7", "g1", "u1", "投稿")); len(got) != 1 || !strings.Contains(got[0], "用法") {
			t.Fatalf("bare 投稿 = %q", got)
		}
		if got := send(reply(msg("s8", "g1", "u1", "投稿"), "m-nope")); len(got) != 1 || !strings.Contains(got[0], "没有找到") {
			t.Fatalf("unknown message = %q", got)
		}
		if got := send(msg("s9", "g1", "u1", "投稿要求是什么？")); len(got) != 0 {
			t.Fatalf("chat about 投稿 answered: %q", got)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM scripts"); n != 3 {
			t.Fatalf("%d scripts, want 3", n)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'script.submitted'"); n != 3 {
			t.Fatalf("%d audit entries, want 3", n)
		}
	})
}

func orgID(t *testing.T, db *store.DB) int64 {
	t.Helper()
	return int64(count(t, db, "SELECT id FROM orgs WHERE slug = 'test'"))
}

func itoa(n int) string { return strconv.Itoa(n) }
