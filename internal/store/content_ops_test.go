package store_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestSlotConfigs(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		cfg, err := db.Slots(ctx, org.ID, g.ID)
		if err != nil || cfg.Source != "default" || cfg.Zone != content.DefaultZone || cfg.Names() != "morning, noon, evening" {
			t.Fatalf("default slots = %+v %v", cfg, err)
		}
		orgSet := content.SlotSet{Slots: []content.Slot{{Name: "morning", At: community.Clock{Hour: 8}}, {Name: "lunch", At: community.Clock{Hour: 12, Minute: 30}}}}
		if cfg, err = db.SetSlots(ctx, org.ID, 0, &orgSet, "user:ops"); err != nil || cfg.Source != "org" || cfg.Zone != content.DefaultZone {
			t.Fatalf("set org slots = %+v %v", cfg, err)
		}
		if cfg, _ = db.Slots(ctx, org.ID, g.ID); cfg.Source != "org" || cfg.Names() != "morning, lunch" {
			t.Fatalf("group inherits %+v", cfg)
		}
		grp := content.SlotSet{Zone: "UTC", Slots: []content.Slot{{Name: "evening", At: community.Clock{Hour: 21}}}}
		if _, err := db.SetSlots(ctx, org.ID, g.ID, &grp, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if cfg, _ = db.Slots(ctx, org.ID, g.ID); cfg.Source != "group" || cfg.Zone != "UTC" || cfg.Slots[0].At != (community.Clock{Hour: 21}) {
			t.Fatalf("group override %+v", cfg)
		}
		if cfg, _ = db.Slots(ctx, org.ID, 0); cfg.Source != "org" {
			t.Fatalf("org after group override %+v", cfg)
		}
		if cfg, err = db.SetSlots(ctx, org.ID, g.ID, nil, "user:ops"); err != nil || cfg.Source != "org" {
			t.Fatalf("override removed: %+v %v", cfg, err)
		}
		if _, err := db.SetSlots(ctx, org.ID, g.ID, &content.SlotSet{}, "x"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("empty set: %v", err)
		}
		if _, err := db.Slots(ctx, org.ID+99, g.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's group: %v", err)
		}
		if n := opsCount(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'slots.set'"); n != 3 {
			t.Fatalf("%d audit entries", n)
		}
	})
}

// TestCadences plans daily, weekly, group-day and member-day cadences on
// both databases: each occurrence once (also after a crash between the
// push and its run), pauses, caps deferring visibly, newcomers mentioned.
func TestCadences(t *testing.T) {
	clk := newClock() // 2026-11-25 08:00 UTC = 16:00 CST, a Wednesday
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now())) // each dialect starts at the same time
		org, g := seedOrg(t, db)
		s := approvedScript(t, db, org.ID)
		other := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "其它群", Kind: community.KindOwners}
		db.CreateGroup(ctx, &other)
		daily := content.Cadence{OrgID: org.ID, ScriptID: s.ID, Select: content.Selector{Kind: string(community.KindCohort)}, Kind: content.Daily, Slot: "morning", CreatedBy: "user:ops"}
		if err := db.CreateCadence(ctx, &daily); err != nil {
			t.Fatal(err)
		}
		bad := daily
		bad.Select = content.Selector{GroupIDs: []int64{g.ID + 100}}
		if err := db.CreateCadence(ctx, &bad); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("unknown group: %v", err)
		}
		n, err := db.PlanCadences(ctx)
		if err != nil || n != 1 {
			t.Fatalf("plan: %d %v, want 1", n, err)
		}
		pushes := func(gid int64) []content.Push {
			ps, err := db.Pushes(ctx, gid, clk.Now().Add(-48*time.Hour), clk.Now().Add(14*24*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return ps
		}
		ps := pushes(g.ID)
		if len(ps) != 1 || ps[0].Slot != "morning" || !ps[0].PlannedAt.Equal(time.Date(2026, 11, 26, 7, 30, 0, 0, cst)) || len(pushes(other.ID)) != 0 {
			t.Fatalf("pushes = %+v", ps)
		}
		if n, _ := db.PlanCadences(ctx); n != 0 {
			t.Fatalf("planned again: %d", n)
		}
		// A crash after the push was planned but before its run was
		// recorded: the next call finds the push, plans nothing new.
		db.SQL().Exec("DELETE FROM cadence_runs")
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil || len(pushes(g.ID)) != 1 {
			t.Fatalf("after a crash: %d %v, %d pushes", n, err, len(pushes(g.ID)))
		}
		// A weekly one on Thursday at noon to the listed group, a group-day
		// one; the manual push already at 11:00 defers the weekly one.
		manual, _ := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: approvedScript(t, db, org.ID).ID, GroupID: g.ID, Want: time.Date(2026, 11, 26, 11, 0, 0, 0, cst), Caps: content.DefaultCaps()})
		weekly := content.Cadence{OrgID: org.ID, ScriptID: approvedScript(t, db, org.ID).ID, Select: content.Selector{GroupIDs: []int64{g.ID}}, Kind: content.Weekly, Weekday: time.Thursday, Slot: "noon"}
		created := content.Cadence{OrgID: org.ID, ScriptID: approvedScript(t, db, org.ID).ID, Select: content.Selector{GroupIDs: []int64{other.ID}}, Kind: content.GroupDay, Day: 1, Slot: "evening"}
		for _, c := range []*content.Cadence{&weekly, &created} {
			if err := db.CreateCadence(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil {
			// The group-day one: "other" was created today, day 1 is
			// tomorrow 20:30, more than 24 h ahead? No: 28.5 h, so later.
			t.Fatalf("weekly: %d %v", n, err)
		}
		ps = pushes(g.ID)
		// Deferred to the group's next peak: the evening's.
		if len(ps) != 3 || ps[2].Slot != "noon" || ps[2].Reason != content.ReasonMinGap || !ps[2].PlannedAt.Equal(time.Date(2026, 11, 26, 20, 30, 0, 0, cst)) || manual.PlannedAt.IsZero() {
			t.Fatalf("weekly push = %+v", ps)
		}
		list, _ := db.Cadences(ctx, org.ID)
		if len(list) != 3 || list[1].ID != weekly.ID || list[1].Runs != 1 || list[1].Deferred != 1 || list[2].Runs != 1 || list[2].Deferred != 0 {
			t.Fatalf("cadences = %+v", list)
		}
		clk.Add(6 * time.Hour) // 22:00 CST: "other"'s day 1 (tomorrow 20:30) is 22.5 h ahead
		if _, err := db.PauseCadence(ctx, org.ID, daily.ID, true, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil || len(pushes(other.ID)) != 1 {
			t.Fatalf("group day: %d %v %+v", n, err, pushes(other.ID))
		}
		clk.Add(10 * time.Hour) // 11-26 08:00 CST: 11-27 07:30 is within a day, but paused
		if n, _ := db.PlanCadences(ctx); n != 0 {
			t.Fatalf("paused daily planned %d", n)
		}
		if c, err := db.PauseCadence(ctx, org.ID, daily.ID, false, "user:ops"); err != nil || c.Paused {
			t.Fatalf("resume: %+v %v", c, err)
		}
		if _, err := db.PauseCadence(ctx, org.ID+5, daily.ID, false, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's cadence: %v", err)
		}
		if n, _ := db.PlanCadences(ctx); n != 1 {
			t.Fatalf("resumed daily: %d, want the 11-27 morning", n)
		}
	})
}

// TestMemberDayAndDutyReminders: newcomers are followed up on day 1 in a
// push mentioning them; when it is sent the assistant on duty gets a
// reminder, posted in the staff group, and the duty board shows it with
// the follow-up.
func TestMemberDayAndDutyReminders(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now())) // each dialect starts at the same time
		org, g := seedOrg(t, db)
		person := func(group int64, name, nick string, role community.Role, joined time.Time) int64 {
			p := community.Person{OrgID: org.ID, Name: name}
			if err := db.CreatePerson(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: group, PersonID: p.ID, Role: role, Nickname: nick, JoinedAt: joined}); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		yesterday := time.Date(2026, 11, 24, 23, 50, 0, 0, cst)
		a := person(g.ID, "店小二", "", community.RoleAssistant, yesterday)
		person(g.ID, "新人甲", "甲-杭州", community.RoleMember, yesterday)
		person(g.ID, "新人乙", "", community.RoleMember, time.Date(2026, 11, 24, 0, 10, 0, 0, cst))
		person(g.ID, "老人", "", community.RoleMember, time.Date(2026, 11, 23, 20, 0, 0, 0, cst))
		staff := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "staff", Name: "运营中心", Kind: community.KindCustom}
		db.CreateGroup(ctx, &staff)
		db.AddMembership(ctx, &community.Membership{GroupID: staff.ID, PersonID: a, Role: community.RoleMember, Nickname: "小二-值班", JoinedAt: yesterday})
		if err := db.SetStaffGroup(ctx, org.ID, staff.ID, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if id, _ := db.StaffGroup(ctx, org.ID); id != staff.ID {
			t.Fatalf("staff group %d", id)
		}
		s := approvedScript(t, db, org.ID)
		c := content.Cadence{OrgID: org.ID, ScriptID: s.ID, Select: content.Selector{GroupIDs: []int64{g.ID}}, Kind: content.MemberDay, Day: 1, Slot: "evening"}
		if err := db.CreateCadence(ctx, &c); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PlanCadences(ctx); n != 2 || err != nil {
			t.Fatalf("member day: %d %v, want the two newcomers", n, err)
		}
		if n, _ := db.PlanCadences(ctx); n != 0 {
			t.Fatalf("again: %d", n)
		}
		ps, _ := db.Pushes(ctx, g.ID, clk.Now(), clk.Now().Add(24*time.Hour))
		if len(ps) != 1 || ps[0].DutyPerson != a || !ps[0].PlannedAt.Equal(time.Date(2026, 11, 25, 20, 30, 0, 0, cst)) {
			t.Fatalf("pushes = %+v", ps)
		}
		board, err := db.DutyBoard(ctx, org.ID, a, clk.Now().Add(-time.Hour), clk.Now().Add(24*time.Hour))
		if err != nil || len(board) != 1 || board[0].SentAt != nil || board[0].Prompt == "" || board[0].Reminded {
			t.Fatalf("board before = %+v %v", board, err)
		}
		prompt := board[0].Prompt

		sent := time.Date(2026, 11, 25, 20, 30, 0, 0, cst)
		clk.Add(sent.Sub(clk.Now()))
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 {
			t.Fatalf("actions = %+v", acts)
		}
		push, remind := acts[0].Action, acts[1].Action
		if push.Group != "g1" || !strings.HasPrefix(push.Text, "@甲-杭州 @新人乙\n第一，") {
			t.Fatalf("push = %+v", push)
		}
		if remind.Group != "staff" || remind.Key != fmt.Sprintf("duty:%d", ps[0].ID) || !strings.HasPrefix(remind.Text, "@小二-值班 值班提醒") || !strings.Contains(remind.Text, prompt) {
			t.Fatalf("reminder = %+v", remind)
		}
		err = db.Ingest(ctx, func(tx pipeline.Tx) error {
			return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: a, ExternalID: "f1", Kind: chat.KindText, Text: prompt, SentAt: sent.Add(4 * time.Minute)}})
		})
		if err != nil {
			t.Fatal(err)
		}
		board, err = db.DutyBoard(ctx, org.ID, 0, clk.Now().Add(-time.Hour), clk.Now().Add(24*time.Hour))
		if err != nil || len(board) != 1 || board[0].SentAt == nil || !board[0].Reminded || board[0].StaffGroup != staff.ID || board[0].Prompt != prompt ||
			board[0].Response == nil || !board[0].Response.FollowedUp || !board[0].Response.ByDuty || board[0].DutyName != "店小二" {
			t.Fatalf("board after = %+v %v", board, err)
		}
		if b, _ := db.DutyBoard(ctx, org.ID, a+100, clk.Now().Add(-time.Hour), clk.Now()); len(b) != 0 {
			t.Fatalf("someone else's board: %+v", b)
		}
		// Without a staff group the reminder is still recorded.
		db.SetStaffGroup(ctx, org.ID, 0, "user:ops")
		if n := opsCount(t, db, "SELECT COUNT(*) FROM duty_reminders"); n != 1 {
			t.Fatalf("%d reminders", n)
		}
	})
}

func opsCount(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.SQL().QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
