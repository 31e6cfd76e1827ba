package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
)

func TestSettingsPage(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	if code, _ := get(t, c, w.url+"/settings"); code != 404 {
		t.Fatalf("settings without accounts: %d", code)
	}
	w.srv.Accounts = w.db
	w.srv.Connections = func() []console.ConnectionStatus {
		return []console.ConnectionStatus{{Name: "tg", Platform: "telegram", Problem: "token refused"}}
	}
	ctx := context.Background()
	hash, _ := console.HashPassword("secretary pw")
	if err := w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "shop", PasswordHash: hash, Role: access.Secretary, ScopeNodeID: w.shop.ID}); err != nil {
		t.Fatal(err)
	}
	secret, err := w.db.CreateToken(ctx, w.org.ID, "审核岗", "ops:reviewer")
	if err != nil {
		t.Fatal(err)
	}
	body := w.page(c, "/settings")
	for _, want := range []string{"⚠ <code>token refused</code>", `<td class="ud">shop</td>`, "秘书长", `节点 · <span class="ud">` + w.region.Name + " / " + w.shop.Name, "审核岗", `data-scope="ops:reviewer"`, "整个组织"} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if strings.Contains(body, secret) {
		t.Fatal("the settings page shows a token's secret")
	}
	// The organisation's default bot language: what its new groups start
	// with.
	if r := w.submit(c, "/settings/bot-lang", vals("lang", "fr")); r.flash() != "请选择中文或英文。" {
		t.Fatalf("a bad default bot language: %q", r.flash())
	}
	if r := w.submit(c, "/settings/bot-lang", vals("lang", "en")); r.flash() != "机器人语言已保存。" {
		t.Fatalf("default bot language: %q", r.flash())
	}
	g := community.Group{OrgID: w.org.ID, Connection: "wx", Platform: "wecom", ExternalID: "new-after-default", Name: "新群"}
	if err := w.db.CreateGroup(ctx, &g); err != nil || g.BotLang != community.BotEn {
		t.Fatalf("a group created after the default changed speaks %q (%v), want en", g.BotLang, err)
	}
	if en := w.page(c, "/settings?lang=en"); !strings.Contains(en, "Console accounts") || !strings.Contains(en, "API tokens") {
		t.Error("English settings")
	}
	if code, _ := get(t, loginAs(t, w.url, "shop", "secretary pw"), w.url+"/settings"); code != 403 {
		t.Fatalf("a scoped user opened the settings: %d", code)
	}
}
