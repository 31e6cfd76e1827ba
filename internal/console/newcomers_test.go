package console_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestNewcomersOnGroupPage: the group page shows newcomer retention three
// ways and joins by source, from the rollups.
func TestNewcomersOnGroupPage(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	if body := w.page(c, "/groups/"+itoa(w.cohort.ID)); strings.Contains(body, `id="newcomers"`) {
		t.Fatal("a newcomers card without a source")
	}
	w.srv.Newcomers = w.db
	loc, _ := time.LoadLocation("Asia/Shanghai")
	if _, err := w.db.Rollup(context.Background(), w.org.ID, now, loc, 60); err != nil {
		t.Fatal(err)
	}
	body := w.page(c, "/groups/"+itoa(w.cohort.ID))
	m := regexp.MustCompile(`近 90 天新成员 \((\d+)\)`).FindStringSubmatch(body)
	if m == nil || m[1] == "0" {
		t.Fatalf("no newcomers card, or no newcomers:\n%s", body)
	}
	for _, want := range []string{`id="retention"`, "第 1 天", "第 7 天", "第 30 天", "当天发言", "入群来源"} {
		if !strings.Contains(body, want) {
			t.Errorf("group page lacks %q", want)
		}
	}
	// Everyone joined 10 days ago or today: day 7 has a cohort, day 30 none.
	if !regexp.MustCompile(`第 30 天</td><td>0</td><td>—`).MatchString(body) {
		t.Error("day 30 should have no eligible newcomers yet")
	}
	if en := w.page(c, "/groups/"+itoa(w.cohort.ID)+"?lang=en"); !strings.Contains(en, "Newcomers, last 90 days") || !strings.Contains(en, "Joins by source") {
		t.Error("English newcomers card")
	}
}
