package console_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/console"
)

// TestHealthOnDashboard: after the daily rollup, the dashboard shows the
// groups by state and the open alerts (the enrolment group, silent for 20
// days, is dormant; the owners' group was created today and is not dead
// for its silence yet; the archived one is left out); resolving an alert
// takes it off; a group page shows its score with the parts.
func TestHealthOnDashboard(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	ctx := context.Background()
	if body := w.page(c, "/"); strings.Contains(body, `id="health"`) {
		t.Fatal("a health card without a health source")
	}
	w.srv.Health = w.db
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if _, err := w.db.Rollup(ctx, w.org.ID, now, loc, 60); err != nil {
		t.Fatal(err)
	}
	body := w.page(c, "/")
	for _, want := range []string{`id="communicators-chart"`, `id="growth"`, "每日入群（30 天）", `id="health"`, `id="hs-dormant">1<`, `id="hs-healthy">2<`, `id="hs-dead">0<`, "群沉寂（14 天无人发言）", w.enrol.Name} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
	if en := w.page(c, "/?lang=en"); !strings.Contains(en, "group dormant (14 days silent)") || !strings.Contains(en, "Group health") {
		t.Error("English dashboard lacks the health card's words")
	}
	w.page(c, "/?lang=zh")
	alerts, err := w.db.Alerts(ctx, w.org.ID, true, 10)
	if err != nil || len(alerts) == 0 {
		t.Fatalf("alerts: %v %v", alerts, err)
	}
	token := csrfRE.FindStringSubmatch(body)[1]
	if resp, err := c.PostForm(w.url+"/alerts/"+itoa(alerts[0].ID)+"/resolve", url.Values{}); err != nil || resp.StatusCode != 403 {
		t.Fatalf("resolving without a CSRF token: %v %v", resp.StatusCode, err)
	}
	resp, err := c.PostForm(w.url+"/alerts/"+itoa(alerts[0].ID)+"/resolve", url.Values{"csrf": {token}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("resolve: %v %v", resp.StatusCode, err)
	}
	if after, _ := w.db.Alerts(ctx, w.org.ID, true, 10); len(after) != len(alerts)-1 {
		t.Fatalf("open alerts after resolving one: %d, want %d", len(after), len(alerts)-1)
	}
	g := w.page(c, "/groups/"+itoa(w.cohort.ID))
	for _, want := range []string{`id="group-health"`, `id="health-score">`, "参与度", "近 30 天健康分", `<svg class="chart"`} {
		if !strings.Contains(g, want) {
			t.Errorf("group page lacks %q", want)
		}
	}
}

func TestConnectionsOnDashboard(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	w.srv.Connections = func() []console.ConnectionStatus {
		return []console.ConnectionStatus{{Name: "tg", Platform: "telegram"}, {Name: "qq", Platform: "onebot", Problem: "no OneBot implementation connected yet"}}
	}
	body := w.page(c, "/")
	for _, want := range []string{`id="connections"`, `<b class="ud">tg</b>`, "正常", `<b class="ud">qq</b>`, "⚠ <code>no OneBot implementation connected yet</code>"} {
		if !strings.Contains(body, want) {
			t.Errorf("dashboard lacks %q", want)
		}
	}
}
