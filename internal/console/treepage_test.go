package console_test

import (
	"context"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
)

func TestTreePage(t *testing.T) {
	w := newWorld(t)
	w.anonymous("GET", "/tree")
	c := w.user()
	body := w.page(c, "/tree")
	region := strings.Index(body, `id="node-`+itoa(w.region.ID)+`"`)
	shop := strings.Index(body, `id="node-`+itoa(w.shop.ID)+`"`)
	cohort := strings.Index(body, w.cohort.Name)
	if region < 0 || shop < region || cohort < shop {
		t.Fatalf("the tree is not in order (region %d, its store %d, the store's group %d)", region, shop, cohort)
	}
	for _, want := range []string{"组织架构", w.owners.Name, "未归入节点的群", w.temp.Name, "区域"} {
		if !strings.Contains(body, want) {
			t.Errorf("tree lacks %q", want)
		}
	}
	if strings.Contains(body, w.foreign.Name) {
		t.Fatal("another organisation's group in the tree")
	}
	if en := w.page(c, "/tree?lang=en"); !strings.Contains(en, "Organisation tree") {
		t.Error("English tree")
	}
	hash, _ := console.HashPassword("secretary pw")
	if err := w.db.CreateUser(context.Background(), &access.User{OrgID: w.org.ID, Username: "shop", PasswordHash: hash, Role: access.Secretary, ScopeNodeID: w.shop.ID}); err != nil {
		t.Fatal(err)
	}
	sec := w.page(loginAs(t, w.url, "shop", "secretary pw"), "/tree")
	if !strings.Contains(sec, w.cohort.Name) || strings.Contains(sec, w.owners.Name) || strings.Contains(sec, w.enrol.Name) || strings.Contains(sec, "未归入节点的群") {
		t.Fatal("a store's secretary sees more than their branch")
	}
}
