package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// replayWorld is the world with an editable rules directory, the store as
// the replay's source and the people's names.
func replayWorld(t *testing.T) (*world, *rules.Registry) {
	t.Helper()
	w := newWorld(t)
	reg, err := rules.NewRegistry(context.Background(), t.TempDir(), nil, rules.NewEngine(nil, nil), w.db.NodeParents, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Rules, w.srv.Replay, w.srv.People = console.RulesFromRegistry(reg), w.db, w.db
	return w, reg
}

// postEdit sends the rules editor's form and returns the status and the
// page it ends on (redirects followed).
func postEdit(t *testing.T, w *world, c *http.Client, form url.Values) (int, string, *url.URL) {
	t.Helper()
	_, page := get(t, c, w.url+"/rules/edit")
	form.Set("csrf", csrfRE.FindStringSubmatch(page)[1])
	resp, err := c.PostForm(w.url+"/rules/edit", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, html.UnescapeString(string(b)), resp.Request.URL
}

// waitReplay polls the job's progress as the page's script does until it
// ends, and returns its last answer.
func waitReplay(t *testing.T, w *world, c *http.Client, id string) map[string]any {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := c.Get(w.url + "/rules/replay/" + id)
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		err = json.NewDecoder(resp.Body).Decode(&p)
		resp.Body.Close()
		if resp.StatusCode != 200 || err != nil || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("progress of %s: %d %v", id, resp.StatusCode, err)
		}
		if s := p["state"]; s != "waiting" && s != "running" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replay did not end: %v", p)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var replayIDRE = regexp.MustCompile(`replay=([0-9a-f]+)`)

// TestRulesReplay: the editor replays an edit, before it is saved, over the
// last 7 days of the groups whose rules it makes — counts by verdict and
// category in Chinese, examples with members' names, the difference from
// what was done — and the edit stays in the box, unsaved; bad periods are
// refused, and a job is its account's alone.
func TestRulesReplay(t *testing.T) {
	w, reg := replayWorld(t)
	c := w.user()
	edit := "[categories]\nad = \"kick\"\n"
	form := url.Values{"scope": {"node:" + itoa(w.region.ID)}, "group": {itoa(w.cohort.ID)}, "op": {"replay-7"}, "text": {edit}}
	code, page, at := postEdit(t, w, c, form)
	m := replayIDRE.FindStringSubmatch(at.RawQuery)
	if code != 200 || m == nil || at.Path != "/rules/edit" {
		t.Fatalf("replay: %d at %s\n%s", code, at, page)
	}
	if !strings.Contains(page, `id="replay"`) || !strings.Contains(page, "这些群规在最近 7 天会怎么处理") {
		t.Fatalf("the replay's panel is not on the page:\n%s", page)
	}
	p := waitReplay(t, w, c, m[1])
	if p["state"] != "done" || p["total"].(float64) < 3 {
		t.Fatalf("the replay ended %v", p)
	}
	page = w.page(c, "/rules/edit?"+at.RawQuery)
	// The edit, not the file (there is none), is in the box.
	if !strings.Contains(page, `ad = "kick"`) || reg.For(w.cohort).Categories["ad"] == rules.Kick {
		t.Fatal("the edit is not in the box, or the replay saved it")
	}
	for _, want := range []string{
		fmt.Sprintf("共 %d 条消息", int(p["total"].(float64))), // every message judged
		"2 个群的消息", // the region's cohort and enrolment groups
		`<span class="badge act-kick">移出</span>`,
		"广告",
		"与实际处理的差别",
		"当时 删除</span> → <span class=\"badge\">现在 移出", // the ad was deleted with a warning; now the member goes
		"卖货郎", "加 薇 信 abc1688", // the example, by name
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the replay's results lack %q", want)
		}
	}
	if strings.Contains(page, "adguy") {
		t.Error("a platform user id on the page")
	}
	kick := ""
	for _, r := range rowsOf(page, "replay-verdicts") {
		if strings.Contains(r, `class="v-kick"`) {
			kick = r
		}
	}
	if !strings.Contains(kick, "<td>1</td>") {
		t.Errorf("verdicts: the removals' row %q, want one", kick)
	}
	// Saving afterwards is the ordinary save.
	if code, page, _ := postEdit(t, w, c, url.Values{"scope": {"node:" + itoa(w.region.ID)}, "group": {itoa(w.cohort.ID)}, "op": {"save"}, "text": {edit}}); code != 200 || !strings.Contains(page, "群规已保存并生效") {
		t.Fatalf("save after the replay: %d", code)
	}
	if reg.For(w.cohort).Categories["ad"] != rules.Kick {
		t.Fatal("the save is not in force")
	}

	// Bad input: a period not offered, a bad text (file:line, nothing
	// started), a job of nobody's.
	for _, op := range []string{"replay-9", "replay-x", "replay-"} {
		if code, _, _ := postEdit(t, w, c, url.Values{"scope": {"default"}, "group": {itoa(w.cohort.ID)}, "op": {op}, "text": {edit}}); code != 400 {
			t.Errorf("%s: %d, want 400", op, code)
		}
	}
	if code, page, _ := postEdit(t, w, c, url.Values{"scope": {"default"}, "group": {itoa(w.cohort.ID)}, "op": {"replay-30"}, "text": {"[categories]\nad = \"shoot\"\n"}}); code != 422 || !strings.Contains(page, "第 2 行：<code>ad</code> 的处理方式 <code>shoot</code> 不对") || strings.Contains(page, `id="replay"`) {
		t.Errorf("a bad edit replayed: %d", code)
	}
	if code, _ := get(t, c, w.url+"/rules/replay/0123456789abcdef01234567"); code != 404 {
		t.Errorf("an unknown job: %d", code)
	}
	if page := w.page(c, "/rules/edit?scope=default&replay=0123"); !strings.Contains(page, "这次回放已过期") {
		t.Error("an unknown job on the page is not said to be gone")
	}

	// A secretary of the region replays her node's rules, not another's;
	// the manager's job is not hers.
	hash, _ := console.HashPassword("secretary pw")
	if err := w.db.CreateUser(context.Background(), &access.User{OrgID: w.org.ID, Username: "yangxin", PasswordHash: hash, Role: access.Secretary, ScopeNodeID: w.region.ID}); err != nil {
		t.Fatal(err)
	}
	sec := loginAs(t, w.url, "yangxin", "secretary pw")
	if code, _ := get(t, sec, w.url+"/rules/replay/"+m[1]); code != 404 {
		t.Errorf("the manager's job, for the secretary: %d", code)
	}
	code, page, at = postEdit(t, w, sec, url.Values{"scope": {"group:" + itoa(w.cohort.ID)}, "group": {itoa(w.cohort.ID)}, "op": {"replay-30"}, "text": {"[categories]\nad = \"ban\"\n"}})
	mine := replayIDRE.FindStringSubmatch(at.RawQuery)
	if code != 200 || mine == nil {
		t.Fatalf("the secretary's replay: %d at %s", code, at)
	}
	if p := waitReplay(t, w, sec, mine[1]); p["state"] != "done" {
		t.Fatalf("the secretary's replay: %v", p)
	}
	if page := w.page(sec, "/rules/edit?"+at.RawQuery); !strings.Contains(page, "1 个群的消息") || !strings.Contains(page, "拉黑") || strings.Contains(page, w.owners.Name) {
		t.Error("the secretary's replay of her group")
	}
	for _, tc := range []struct{ scope, group string }{
		{"default", itoa(w.cohort.ID)},
		{"group:" + itoa(w.owners.ID), itoa(w.cohort.ID)},
		{"group:" + itoa(w.owners.ID), itoa(w.owners.ID)},
	} {
		if code, _, _ := postEdit(t, w, sec, url.Values{"scope": {tc.scope}, "group": {tc.group}, "op": {"replay-7"}, "text": {edit}}); code != 403 {
			t.Errorf("the secretary replays %s (group %s): %d, want 403", tc.scope, tc.group, code)
		}
	}
}
