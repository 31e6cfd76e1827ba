package console_test

import (
	"context"
	"html"
	"io"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/console"
)

func TestModerationPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.anonymous("GET", "/moderation")
	w.anonymous("POST", "/moderation/reports/"+itoa(w.rumour))
	c := w.user()
	body := w.page(c, "/moderation")
	for _, want := range []string{"待审核举报 (2)", `id="case-` + itoa(w.rumour) + `"`, "明天的课取消了，大家都别来了", "小王", "已隐藏", "举报人数: <b>3</b>",
		"这节课讲得一般", "学员d", w.cohort.Name, "最近处理记录", "卖货郎", `<span class="ud">网商学院群规</span> · 广告`, `value="kick"`} {
		if !strings.Contains(body, want) {
			t.Errorf("moderation page lacks %q", want)
		}
	}
	if got := rowsOf(body, "log"); len(got) != 1 || !strings.Contains(got[0], "群规（自动）") || strings.Contains(got[0], "categories.") {
		t.Errorf("moderation log: %q", got)
	}
	en := w.page(c, "/moderation?lang=en")
	for _, want := range []string{"Review queue (2)", "Uphold", "Dismiss", "Recent moderation", "remove from the group", "warn"} {
		if !strings.Contains(en, want) {
			t.Errorf("English moderation page lacks %q", want)
		}
	}
	w.page(c, "/moderation?lang=zh") // the choice is remembered: back to Chinese
	token := csrfRE.FindStringSubmatch(body)[1]
	post := func(id int64, form url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(w.url+"/moderation/reports/"+itoa(id), form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	status := func(id int64) string {
		t.Helper()
		for _, st := range []string{"open", "upheld", "dismissed"} {
			cases, err := w.db.ReportCases(ctx, w.org.ID, st)
			if err != nil {
				t.Fatal(err)
			}
			for _, rc := range cases {
				if rc.ID == id {
					return st + " by " + rc.DecidedBy + ": " + rc.Note
				}
			}
		}
		return "missing"
	}
	kicks := func() []chat.Action {
		items, err := w.db.PullActions(ctx, []string{"wx"}, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var out []chat.Action
		for _, it := range items {
			if it.Action.Kind == chat.ActKick {
				out = append(out, it.Action)
			}
		}
		return out
	}

	// No token, a wrong token: refused, nothing decided.
	for _, form := range []url.Values{{"decision": {"uphold"}, "action": {"kick"}}, {"csrf": {"forged"}, "decision": {"uphold"}, "action": {"kick"}}} {
		if code, _ := post(w.rumour, form); code != 403 {
			t.Fatalf("decision with csrf %q: %d, want 403", form.Get("csrf"), code)
		}
	}
	if st := status(w.rumour); st != "open by : " || len(kicks()) != 0 {
		t.Fatalf("a refused decision changed the case: %s, kicks %v", st, kicks())
	}
	// Uphold without an action, or a warning without its text: not decided.
	if _, page := post(w.rumour, url.Values{"csrf": {token}, "decision": {"uphold"}}); !strings.Contains(page, "请选择处理方式") {
		t.Error("uphold without an action: no message")
	}
	if _, page := post(w.rumour, url.Values{"csrf": {token}, "decision": {"uphold"}, "action": {"warn"}}); !strings.Contains(page, "提醒需要填写备注") {
		t.Error("warning without a note: no message")
	}
	if st := status(w.rumour); st != "open by : " {
		t.Fatalf("an incomplete decision changed the case: %s", st)
	}
	// Uphold with a kick.
	code, page := post(w.rumour, url.Values{"csrf": {token}, "decision": {"uphold"}, "action": {"kick"}, "note": {"  造谣  "}})
	if code != 200 || !strings.Contains(page, `id="flash"`) || !strings.Contains(page, "举报 #"+itoa(w.rumour)+" 已确认成立") || !strings.Contains(page, "待审核举报 (1)") {
		t.Fatalf("after upholding: %d\n%s", code, page)
	}
	if st := status(w.rumour); st != "upheld by staff:admin: 造谣" {
		t.Fatalf("case after upholding: %s", st)
	}
	if k := kicks(); len(k) != 1 || k[0].User != "spammer" || k[0].Group != "g1" || k[0].Reason != "造谣" {
		t.Fatalf("kick actions: %+v", k)
	}
	// The flash shows once.
	if again := w.page(c, "/moderation"); strings.Contains(again, `id="flash"`) {
		t.Error("the flash message was shown twice")
	}
	// Deciding again is refused with a message; so is another
	// organisation's (or no) case.
	if _, page := post(w.rumour, url.Values{"csrf": {token}, "decision": {"dismiss"}}); !strings.Contains(page, "已经有人处理过了") {
		t.Error("a second decision: no message")
	}
	if _, page := post(99999, url.Values{"csrf": {token}, "decision": {"dismiss"}}); !strings.Contains(page, "找不到举报 #99999") {
		t.Error("an unknown case: no message")
	}
	if code, _ := post(w.single, url.Values{"csrf": {token}, "decision": {"maybe"}}); code != 400 {
		t.Errorf("unknown decision: %d, want 400", code)
	}
	// Dismiss.
	_, page = post(w.single, url.Values{"csrf": {token}, "decision": {"dismiss"}, "note": {"normal criticism"}})
	if st := status(w.single); st != "dismissed by staff:admin: normal criticism" {
		t.Fatalf("case after dismissing: %s", st)
	}
	if !strings.Contains(page, "已驳回") || !strings.Contains(page, "没有待审核的举报") {
		t.Errorf("after dismissing:\n%s", page)
	}
	// The log and its CSV: the kick by staff, the rules' warning.
	rows := w.csv(c, "/moderation?format=csv&lang=en")
	if len(rows) != 3 || !slices.Equal(rows[0], []string{"ID", "Time", "Group", "Member", "Rule", "Category", "Action", "Reason", "By", "Message ID"}) {
		t.Fatalf("moderation CSV: %q", rows)
	}
	kick, warn := rows[1], rows[2]
	if kick[2] != w.cohort.Name || kick[3] != "小王" || kick[4] != "report" || kick[6] != "kick" || kick[7] != "造谣" || kick[8] != "staff:admin" || kick[1] != "2026-11-25 18:01:00" {
		t.Errorf("kick row: %q", kick)
	}
	// What the rules did about the advert is theirs to decide: the row
	// shows what the store recorded.
	acts, err := w.db.ModerationActions(ctx, w.org.ID, 10)
	if err != nil || len(acts) != 2 {
		t.Fatalf("moderation actions: %+v %v", acts, err)
	}
	if warn[3] != "卖货郎" || warn[4] != "网商学院群规/categories.ad" || warn[5] != "ad" || warn[6] != console.T(console.En, "act_"+string(acts[1].Action)) || warn[8] != "rules" {
		t.Errorf("row of the rules' action %s: %q", acts[1].Action, warn)
	}
}
