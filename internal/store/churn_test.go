package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestLeaves: a regular who leaves is formerly active, a silent member
// removed is not, a staff member who leaves gets the most active
// remaining secretary or assistant as successor.
func TestLeaves(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, day.AddDate(0, -3, 0))
		a := h.person("阿梅", community.RoleMember, day.AddDate(0, -2, 0))
		b := h.person("潜水员", community.RoleMember, day.AddDate(0, -1, 0))
		s1 := h.person("前任店小二", community.RoleAssistant, day.AddDate(0, -2, 0))
		s2 := h.person("秘书长", community.RoleSecretary, day.AddDate(0, -2, 0))
		s3 := h.person("店小二", community.RoleAssistant, day.AddDate(0, -2, 0))
		for d := 1; d <= 5; d++ {
			h.post(a, day.AddDate(0, 0, -d).Add(10*time.Hour), "今天也来打卡", "")
		}
		for i := range 3 {
			h.post(s2, day.AddDate(0, 0, -i-1).Add(9*time.Hour), "大家好", "")
		}
		h.post(s3, day.AddDate(0, 0, -1).Add(9*time.Hour), "通知", "")
		if _, err := db.Rollup(ctx, h.org.ID, day.Add(8*time.Hour), cst, 90); err != nil {
			t.Fatal(err)
		}
		sg := community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "staff", Name: "运营中心", Kind: community.KindCustom}
		if err := db.CreateGroup(ctx, &sg); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStaffGroup(ctx, h.org.ID, sg.ID, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.ChurnAlerts(ctx, h.org.ID, day.Add(8*time.Hour), cst); n != 0 || err != nil {
			t.Fatalf("the first run only marks: %d %v", n, err)
		}
		leave := func(person int64, at time.Time, reason string) {
			if _, err := db.SQL().ExecContext(ctx, db.Rebind(`UPDATE memberships SET left_at = ?, left_reason = ? WHERE person_id = ? AND group_id = ?`), at.UnixMilli(), reason, person, h.group.ID); err != nil {
				t.Fatal(err)
			}
		}
		leave(a, day.Add(9*time.Hour), "left")
		leave(b, day.Add(10*time.Hour), "removed")
		leave(s1, day.Add(11*time.Hour), "left")
		got, err := db.Leaves(ctx, h.org.ID, day, day.AddDate(0, 0, 1), cst)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, l := range got {
			last := "never"
			if l.LastMessage != nil {
				last = l.LastMessage.In(cst).Format("01-02")
			}
			lines = append(lines, fmt.Sprintf("%s removed=%v active=%v staff=%v tenure=%dd last=%s", l.Name, l.Removed, l.FormerlyActive(cst), l.StaffLeft(), int(l.Tenure().Hours()/24), last))
		}
		want := []string{
			"前任店小二 removed=false active=false staff=true tenure=61d last=never",
			"潜水员 removed=true active=false staff=false tenure=31d last=never",
			"阿梅 removed=false active=true staff=false tenure=61d last=11-19",
		}
		if fmt.Sprint(lines) != fmt.Sprint(want) {
			t.Fatalf("leaves:\n%q\nwant\n%q", lines, want)
		}
		// The day's digest names the regular who left, not the others.
		org, err := db.MakeDigest(ctx, h.org.ID, analytics.DayOf(day, cst), cst, rules.Folder(), day.AddDate(0, 0, 1).Add(8*time.Hour))
		if err != nil || fmt.Sprint(org.ActiveLeavers) != fmt.Sprint([]analytics.DigestLeave{{Name: "阿梅", Group: h.group.Name}}) {
			t.Fatalf("the digest's formerly active leavers: %+v %v", org.ActiveLeavers, err)
		}
		cands, err := db.Candidates(ctx, h.group.ID, day.Add(12*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if c, ok := analytics.Successor(cands, s1); !ok || c.PersonID != s2 || c.Messages != 3 {
			t.Fatalf("successor of %d among %+v: %+v %v", s1, cands, c, ok)
		}
		// The alerts, newest first, to the staff group naming the assistant
		// on duty: the staff member's leave and the regular's, not the
		// silent member's; once.
		if n, err := db.ChurnAlerts(ctx, h.org.ID, day.Add(12*time.Hour), cst); n != 2 || err != nil {
			t.Fatalf("churn alerts: %d %v", n, err)
		}
		if n, err := db.ChurnAlerts(ctx, h.org.ID, day.Add(13*time.Hour), cst); n != 0 || err != nil {
			t.Fatalf("churn alerts again: %d %v", n, err)
		}
		items, _ := db.OutboxItems(ctx, "pending", 10)
		var texts []string
		for _, it := range items {
			if it.Action.Group == "staff" {
				texts = append(texts, it.Action.Text)
			}
		}
		if len(texts) != 2 || !strings.HasPrefix(texts[0], "@店小二 群管理退群：「第6期」的前任店小二（店小二）退群了。建议由秘书长接手") || !strings.HasPrefix(texts[1], "@店小二 退群提醒：「第6期」的活跃成员阿梅退群了（在群 61 天，最后发言 11-19）") {
			t.Fatalf("alerts: %q", texts)
		}
	})
}
