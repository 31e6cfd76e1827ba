package console_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
)

func TestAuditPage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := range 120 {
		if err := w.db.AppendAudit(ctx, community.AuditEntry{OrgID: w.org.ID, Actor: "staff:admin", Action: "group.update", Subject: fmt.Sprint("group:", i), Detail: `{"fields":"name"}`}); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range [][2]string{{"token:x", `{"scope":"read"}`}, {`=HYPERLINK("http://evil")`, `{}`}} {
		if err := w.db.AppendAudit(ctx, community.AuditEntry{OrgID: w.org.ID, Actor: "system", Action: "token.create", Subject: d[0], Detail: d[1]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.db.AppendAudit(ctx, community.AuditEntry{OrgID: w.org.ID + 1, Actor: "system", Action: "token.create", Subject: "token:foreign", Detail: "{}"}); err != nil {
		t.Fatal(err)
	}
	w.anonymous("GET", "/audit")
	c := w.user()
	body := w.page(c, "/audit")
	if n := len(rowsOf(body, "audit")); n != 50 || !strings.Contains(body, `id="older"`) || strings.Contains(body, `id="newest"`) || !strings.Contains(body, "审计日志只追加") {
		t.Fatalf("first page: %d rows", n)
	}
	// In words: who, what and on what, not the log's codes.
	contains(t, "the audit page", body, `<span class="ud">admin</span>`, "修改群信息", "群 #1")
	lacks(t, "the audit page", body, ">staff:admin<", ">group.update<", ">group:1<", `{"fields"`)
	if strings.Contains(body, "token:foreign") {
		t.Fatal("another organisation's audit entry shown")
	}
	// Page through: 123 entries of ours (120, 2 tokens, 1 moderation).
	seen, pages := 0, 0
	for path := "/audit"; path != ""; pages++ {
		body := w.page(c, path)
		seen += len(rowsOf(body, "audit"))
		_, after, ok := strings.Cut(body, `<a href="`)
		path = ""
		for ok {
			var link string
			link, after, _ = strings.Cut(after, `"`)
			if strings.HasPrefix(after, ` id="older"`) {
				path = link
			}
			_, after, ok = strings.Cut(after, `<a href="`)
		}
	}
	if seen != 123 || pages != 3 {
		t.Fatalf("paged through %d entries in %d pages, want 123 in 3", seen, pages)
	}
	filtered := w.page(c, "/audit?action=token.")
	if rows := rowsOf(filtered, "audit"); len(rows) != 2 || !strings.Contains(rows[0], "HYPERLINK") || strings.Contains(filtered, `id="older"`) {
		t.Fatalf("token entries: %q", rows)
	}
	if rows := rowsOf(w.page(c, "/audit?action=moderation."), "audit"); len(rows) != 1 || !strings.Contains(rows[0], `data-action="moderation.`) || !strings.Contains(rows[0], `<span class="ud">网商学院群规</span> · 广告`) || strings.Contains(rows[0], "categories.ad") {
		t.Fatalf("moderation entries: %q", rows)
	}
	en := w.page(c, "/audit?lang=en")
	for _, want := range []string{"Audit log", "append-only", "Action (prefix)", "Older"} {
		if !strings.Contains(en, want) {
			t.Errorf("English audit page lacks %q", want)
		}
	}
	rows := w.csv(c, "/audit?format=csv&action=token.&lang=zh")
	if len(rows) != 3 || !slices.Equal(rows[0], []string{"编号", "时间", "操作人", "处理", "对象", "详情"}) {
		t.Fatalf("audit CSV: %q", rows)
	}
	if rows[1][3] != "token.create" || rows[1][4] != `'=HYPERLINK("http://evil")` || rows[2][5] != `{"scope":"read"}` {
		t.Fatalf("audit CSV rows (a formula must be defused): %q", rows[1:])
	}
	if all := w.csv(c, "/audit?format=csv"); len(all) != 124 {
		t.Fatalf("full audit CSV: %d rows, want 123 and a header", len(all))
	}
	if code, _ := get(t, c, w.url+"/audit?before=x"); code != 400 {
		t.Errorf("bad cursor: %d, want 400", code)
	}
}
