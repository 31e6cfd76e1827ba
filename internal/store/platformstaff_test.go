package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func rolesIn(t *testing.T, db *store.DB, groupID int64) map[int64]community.Role {
	t.Helper()
	ms, err := db.Members(ctx, groupID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int64]community.Role{}
	for _, m := range ms {
		out[m.PersonID] = m.Role
	}
	return out
}

// TestSyncPlatformStaff: a platform group's owner becomes its 群主 and its
// admins 店小二; its staff accounts become reachable (StaffAccount); a
// second sync changes nothing; when the owner changes the one before
// becomes a member, a former admin loses 店小二, and an assistant
// appointed in qunzhu keeps it; a group qunzhu does not know is passed
// over; a dismissed group is archived once, with its history.
func TestSyncPlatformStaff(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		zhang, li, cust, wang, zhou := member(t, db, org.ID, g, "zhangsan", "张三"), member(t, db, org.ID, g, "lisi", "李四"),
			member(t, db, org.ID, g, "wmCUST", "客户"), member(t, db, org.ID, g, "wangwu", "王五"), member(t, db, org.ID, g, "zhou", "小周")
		staff := community.PlatformStaff{Owner: "zhangsan", Admins: []string{"lisi"}, Staff: []string{"wangwu", "zhangsan"}}
		if n, err := db.SyncPlatformStaff(ctx, "wx", "g1", staff); err != nil || n != 2 {
			t.Fatalf("first sync: %d %v", n, err)
		}
		roles := rolesIn(t, db, g.ID)
		if roles[zhang] != community.RoleOwner || roles[li] != community.RoleAssistant || roles[wang] != community.RoleMember || roles[cust] != community.RoleMember {
			t.Fatalf("roles after the first sync: %v", roles)
		}
		for p, want := range map[int64]string{zhang: "zhangsan", li: "lisi", wang: "wangwu", cust: ""} {
			conn, user, ok, err := db.StaffAccount(ctx, p, "wx")
			if err != nil || ok != (want != "") || user != want || (ok && conn != "wx") {
				t.Errorf("staff account of %d: %q %q %v %v, want %q", p, conn, user, ok, err, want)
			}
		}
		if n, err := db.SyncPlatformStaff(ctx, "wx", "g1", staff); err != nil || n != 0 {
			t.Fatalf("the same staff again: %d %v", n, err)
		}
		if _, err := db.SetGroupRole(ctx, community.RoleChange{OrgID: org.ID, GroupID: g.ID, PersonID: zhou, Role: community.RoleAssistant, Actor: "user:admin"}); err != nil {
			t.Fatal(err)
		}
		handed := community.PlatformStaff{Owner: "wangwu", Staff: []string{"wangwu", "zhangsan"}, FormerAdmins: []string{"lisi"}}
		if n, err := db.SyncPlatformStaff(ctx, "wx", "g1", handed); err != nil || n != 2 {
			t.Fatalf("handed over: %d %v", n, err)
		}
		roles = rolesIn(t, db, g.ID)
		if roles[wang] != community.RoleOwner || roles[zhang] != community.RoleMember || roles[li] != community.RoleMember || roles[zhou] != community.RoleAssistant {
			t.Fatalf("roles after the handover: %v", roles)
		}
		if n, err := db.SyncPlatformStaff(ctx, "wx", "nope", staff); err != nil || n != 0 {
			t.Fatalf("an unknown group: %d %v", n, err)
		}

		if ok, err := db.ArchivePlatformGroup(ctx, "wx", "g1", "dismissed in WeCom"); err != nil || !ok {
			t.Fatalf("archive: %v %v", ok, err)
		}
		if ok, err := db.ArchivePlatformGroup(ctx, "wx", "g1", "dismissed in WeCom"); err != nil || ok {
			t.Fatalf("archive again: %v %v", ok, err)
		}
		if got, err := db.Group(ctx, org.ID, g.ID); err != nil || got.Lifecycle != community.Archived {
			t.Fatalf("the dismissed group: %+v %v", got, err)
		}
		audit, err := db.AuditLog(ctx, org.ID, community.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		roleChanges, archives := 0, 0
		for _, e := range audit {
			switch {
			case e.Action == "member.role" && e.Actor == "platform:wx":
				roleChanges++
			case e.Action == "group.archive" && e.Actor == "platform:wx":
				archives++
			}
		}
		if roleChanges != 4 || archives != 1 {
			t.Errorf("audited %d role changes and %d archivals by the platform, want 4 and 1", roleChanges, archives)
		}
	})
}

// TestDutyAndAlertsReachStaffAccounts: once the assistant on duty has a
// staff account (the platform's admin of the group), a push's duty
// reminder goes to them directly (chat.StaffPrefix + their id), and so do
// the group's alerts; before, with neither a staff account nor a staff
// group, only the push goes out.
func TestDutyAndAlertsReachStaffAccounts(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, func() time.Time { return clk.Now() }, func(t *testing.T, db *store.DB) {
		clk = newClock() // each dialect's run from the same day
		org, g := seedOrg(t, db)
		zhou := member(t, db, org.ID, g, "zhou", "小周")
		member(t, db, org.ID, g, "wmA", "学员a", "大家好") // the group's last member message, at its start
		if _, err := db.SetGroupRole(ctx, community.RoleChange{OrgID: org.ID, GroupID: g.ID, PersonID: zhou, Role: community.RoleAssistant, Actor: "user:admin"}); err != nil {
			t.Fatal(err)
		}
		s := approvedScript(t, db, org.ID)
		var seen int64
		push := func() []pipeline.OutboxItem {
			t.Helper()
			if _, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: clk.Now().Add(-time.Minute), Caps: content.DefaultCaps()}); err != nil {
				t.Fatal(err)
			}
			if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
				t.Fatalf("send: %d %v", n, err)
			}
			acts, err := db.PullActions(ctx, []string{"wx"}, seen, 10)
			if err != nil {
				t.Fatal(err)
			}
			seen = acts[len(acts)-1].ID
			return acts
		}
		if acts := push(); len(acts) != 1 || !strings.HasPrefix(acts[0].Action.Key, "push:") {
			t.Fatalf("without a staff account: %+v", acts)
		}
		if _, err := db.SyncPlatformStaff(ctx, "wx", "g1", community.PlatformStaff{Admins: []string{"zhou"}, Staff: []string{"zhou"}}); err != nil {
			t.Fatal(err)
		}
		clk.Add(6 * time.Hour) // the caps' gap
		acts := push()
		if len(acts) != 2 {
			t.Fatalf("with a staff account: %+v", acts)
		}
		if d := acts[1].Action; d.Connection != "wx" || d.Group != chat.StaffPrefix+"zhou" || !strings.HasPrefix(d.Key, "duty-direct:") || !strings.HasPrefix(d.Text, "值班提醒：「"+g.Name+"」") {
			t.Fatalf("the direct reminder: %+v", d)
		}

		// A month without a member message: dormant, then dead; each
		// alert goes to the assistant on duty once, however often the
		// rollup runs, and to the staff group (a group robot's), naming
		// them.
		staffGroup := community.Group{OrgID: org.ID, NodeID: g.NodeID, Connection: "wx", Platform: "webhook", ExternalID: "robot", Name: "员工群（群机器人）", Kind: community.KindCustom}
		if err := db.CreateGroup(ctx, &staffGroup); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStaffGroup(ctx, org.ID, staffGroup.ID, "user:admin"); err != nil {
			t.Fatal(err)
		}
		clk.Add(31 * 24 * time.Hour)
		for range 2 {
			if _, err := db.Rollup(ctx, org.ID, clk.Now(), time.UTC, 60); err != nil {
				t.Fatal(err)
			}
		}
		acts, err := db.PullActions(ctx, []string{"wx"}, seen, 10)
		if err != nil {
			t.Fatal(err)
		}
		var alerts, posted []string
		for _, a := range acts {
			switch {
			case a.Action.Group == chat.StaffPrefix+"zhou" && strings.HasPrefix(a.Action.Key, "alert-direct:"):
				alerts = append(alerts, a.Action.Text)
			case a.Action.Group == "robot" && strings.HasPrefix(a.Action.Key, "alert-staff:"):
				posted = append(posted, a.Action.Text)
			default:
				t.Errorf("unexpected action %+v", a.Action)
			}
		}
		if len(alerts) != 2 || !strings.Contains(alerts[0], "已沉寂") || !strings.Contains(alerts[1], "死群") {
			t.Fatalf("alerts to the assistant on duty: %q", alerts)
		}
		if len(posted) != 2 || !strings.HasPrefix(posted[0], "@小周 ") || !strings.Contains(posted[0], "已沉寂") || !strings.Contains(posted[1], "死群") {
			t.Fatalf("alerts in the staff group: %q", posted)
		}
	})
}
