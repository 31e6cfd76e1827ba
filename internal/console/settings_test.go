package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
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
	for _, want := range []string{"⚠ token refused", "<td>shop</td>", "秘书长", "节点 · " + w.region.Name + " / " + w.shop.Name, "审核岗", "ops:reviewer", "整个组织"} {
		if !strings.Contains(body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	if strings.Contains(body, secret) {
		t.Fatal("the settings page shows a token's secret")
	}
	if en := w.page(c, "/settings?lang=en"); !strings.Contains(en, "Console accounts") || !strings.Contains(en, "API tokens") {
		t.Error("English settings")
	}
	if code, _ := get(t, loginAs(t, w.url, "shop", "secretary pw"), w.url+"/settings"); code != 403 {
		t.Fatalf("a scoped user opened the settings: %d", code)
	}
}
