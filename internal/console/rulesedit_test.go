package console_test

import (
	"context"
	"html"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/rules"
)

func TestRulesEditor(t *testing.T) {
	w := newWorld(t)
	w.anonymous("GET", "/rules/edit")
	c := w.user()
	ctx := context.Background()
	// Without a rules directory: said so, in both languages.
	w.srv.Rules = console.RulesFromRegistry(w.reg)
	if body := w.page(c, "/rules/edit?lang=en"); !strings.Contains(body, "No rules directory is configured") {
		t.Fatal("the editor does not say rules are not editable")
	}
	w.page(c, "/rules/edit?lang=zh")

	dir := t.TempDir()
	parents := func(context.Context) (map[int64]int64, error) {
		return map[int64]int64{w.shop.ID: w.region.ID}, nil
	}
	reg, err := rules.NewRegistry(ctx, dir, nil, rules.NewEngine(nil, nil), parents, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.srv.Rules = console.RulesFromRegistry(reg)
	body := w.page(c, "/rules/edit?scope=node:"+itoa(w.region.ID)+"&group="+itoa(w.cohort.ID))
	for _, want := range []string{`id="rules-text"`, "节点 · 阳新县", "本群 · 阳新第6期学员群", rules.Notice(reg.For(w.cohort), "zh", w.cohort.Name)} {
		if !strings.Contains(html.UnescapeString(body), want) {
			t.Errorf("editor lacks %q", want)
		}
	}
	token := csrfRE.FindStringSubmatch(body)[1]
	post := func(form url.Values) (int, string) {
		t.Helper()
		resp, err := c.PostForm(w.url+"/rules/edit", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, html.UnescapeString(string(b))
	}
	form := func(op, text string) url.Values {
		return url.Values{"csrf": {token}, "scope": {"node:" + itoa(w.region.ID)}, "group": {itoa(w.cohort.ID)}, "op": {op}, "text": {text}}
	}
	quiet := "[quiet]\nallow = \"07:00-22:00\"\n"
	// Preview: the cohort (under the region) would get the quiet hours;
	// nothing is saved.
	code, page := post(form("preview", quiet))
	if code != 200 || !strings.Contains(page, "07:00") {
		t.Fatalf("preview: %d\n%s", code, page)
	}
	if reg.For(w.cohort).Quiet.Allow != "" {
		t.Fatal("a preview changed the rules in force")
	}
	// A bad text: its line and what is wrong in the reader's language, 422,
	// nothing saved.
	if code, page := post(form("save", "[quiet]\nallow = \"25:00-22:00\"\n")); code != 422 || !strings.Contains(page, "第 2 行：作息时间 <code>25:00-22:00</code> 写法不对") || strings.Contains(page, "want HH:MM") {
		t.Fatalf("bad save: %d\n%s", code, page)
	}
	if _, err := os.Stat(filepath.Join(dir, "nodes")); !os.IsNotExist(err) {
		t.Fatal("a refused edit wrote a file")
	}
	// Without the CSRF token: refused.
	bad := form("save", quiet)
	bad.Del("csrf")
	if code, _ := post(bad); code != 403 {
		t.Fatalf("save without a CSRF token: %d", code)
	}
	// Save: in force at once, in the file, in the audit log, notice updated.
	if code, page := post(form("save", quiet)); code != 200 || !strings.Contains(page, "群规已保存并生效") || !strings.Contains(page, "07:00") {
		t.Fatalf("save: %d\n%s", code, page)
	}
	if got := reg.For(w.cohort).Quiet.Allow; got != "07:00-22:00" {
		t.Fatalf("saved rules not in force for a group under the node: %q", got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "nodes", itoa(w.region.ID)+".toml")); string(b) != quiet {
		t.Fatalf("file = %q", b)
	}
	if reg.For(w.owners).Quiet.Allow == "07:00-22:00" {
		t.Fatal("a group outside the node got its rules")
	}
	entries, _ := w.db.AuditLog(ctx, w.org.ID, community.Page{Limit: 5})
	if len(entries) == 0 || entries[0].Action != "rules.edit" || entries[0].Subject != "node:"+itoa(w.region.ID) || entries[0].Actor != "staff:admin" {
		t.Fatalf("audit: %+v", entries)
	}
	// A bad scope is refused.
	if code, _ := get(t, c, w.url+"/rules/edit?scope=room:1"); code != 400 {
		t.Fatalf("bad scope: %d", code)
	}
}
