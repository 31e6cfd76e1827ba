package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// ownersRules is a policy as the rules engine gives it: owners' groups are
// quiet from 23:30 to 06:30 (in Shanghai) and take two pushes a day; the
// others have no quiet hours and the default caps. Connection "gone" is
// not running.
func ownersRules() content.Policy {
	sh, _ := content.LoadZone("")
	return content.Policy{
		Rules: func(g community.Group) content.PushRules {
			if g.Kind != community.KindOwners {
				return content.PushRules{}
			}
			return content.PushRules{Quiet: content.ZonedWindow{Window: community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}, Loc: sh},
				Caps: content.Caps{PerDay: 2}}
		},
		Connected: func(c string) bool { return c != "gone" },
	}
}

func ownersGroup(t *testing.T, db *store.DB, org int64, ext, conn string) community.Group {
	t.Helper()
	g := community.Group{OrgID: org, Connection: conn, Platform: "webhook", ExternalID: ext, Name: "万景城业主群" + ext, Kind: community.KindOwners}
	if err := db.CreateGroup(ctx, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestPushesKeepTheGroupsRules: a push planned at 23:45 to the owners'
// group goes to its next morning peak without the request repeating the
// quiet hours; the group's cap of two a day sends the third to the next
// day's first peak, not midnight.
func TestPushesKeepTheGroupsRules(t *testing.T) {
	clk := newClock() // 2026-11-25 16:00 CST
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		db.SetPushPolicy(ownersRules())
		org, cohort := seedOrg(t, db)
		owners := ownersGroup(t, db, org.ID, "o1", "wx")
		s := approvedScript(t, db, org.ID)
		plan := func(g community.Group, want time.Time) content.Push {
			t.Helper()
			p, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: want, Actor: "user:pub"})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		late := time.Date(2026, 11, 25, 23, 45, 0, 0, cst)
		if p := plan(owners, late); !p.PlannedAt.Equal(time.Date(2026, 11, 26, 7, 30, 0, 0, cst)) || p.Reason != content.ReasonQuietHours {
			t.Fatalf("23:45 to the owners: %v %q, want the next morning's peak for quiet hours", p.PlannedAt.In(cst), p.Reason)
		}
		if p := plan(cohort, late); !p.PlannedAt.Equal(late) || p.Reason != "" {
			t.Fatalf("23:45 to a cohort without quiet hours: %v %q", p.PlannedAt.In(cst), p.Reason)
		}
		plan(owners, time.Date(2026, 11, 26, 12, 0, 0, 0, cst))
		third := plan(owners, time.Date(2026, 11, 26, 20, 30, 0, 0, cst))
		if !third.PlannedAt.Equal(time.Date(2026, 11, 27, 7, 30, 0, 0, cst)) || third.Reason != content.ReasonDailyCap {
			t.Fatalf("the third of the day: %v %q, want 11-27 07:30 for the daily cap", third.PlannedAt.In(cst), third.Reason)
		}
		// A request's window narrows the group's quiet hours.
		p, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: cohort.ID, Want: time.Date(2026, 11, 28, 7, 30, 0, 0, cst),
			Window: community.Window{From: community.Clock{Hour: 9}, To: community.Clock{Hour: 21}}})
		if err != nil || !p.PlannedAt.Equal(time.Date(2026, 11, 28, 12, 0, 0, 0, cst)) {
			t.Fatalf("a narrower window: %v %v", p.PlannedAt.In(cst), err)
		}
	})
}

// TestSendTimeChecks: when a push falls due it is checked again: a script
// moved back out of approved, an archived group or a connection that is
// not running skip it with the reason; quiet hours that begin after it
// was planned move it to the next peak. The good one goes, and its duty
// prompt greets for the time it goes out.
func TestSendTimeChecks(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		db.SetPushPolicy(content.Policy{})
		org, cohort := seedOrg(t, db)
		archived := ownersGroup(t, db, org.ID, "o2", "wx")
		gone := ownersGroup(t, db, org.ID, "o3", "gone")
		quiet := ownersGroup(t, db, org.ID, "o4", "wx")
		ok := approvedScript(t, db, org.ID)
		pulled := approvedScript(t, db, org.ID)
		assistant := community.Person{OrgID: org.ID, Name: "店小二小周"}
		db.CreatePerson(ctx, &assistant)
		db.AddMembership(ctx, &community.Membership{GroupID: cohort.ID, PersonID: assistant.ID, Role: community.RoleAssistant, JoinedAt: clk.Now().Add(-time.Hour)})
		// Everything is planned for 23:40 tonight (15:40 UTC) while no
		// group has rules; a morning push deferred to 16:20 greets for the
		// afternoon.
		at := time.Date(2026, 11, 25, 23, 40, 0, 0, cst)
		ids := map[string]int64{}
		for name, r := range map[string]content.PushRequest{
			"ok":       {ScriptID: ok.ID, GroupID: cohort.ID, Slot: "morning", Want: at},
			"pulled":   {ScriptID: pulled.ID, GroupID: cohort.ID, Want: at.Add(-3 * time.Hour)},
			"archived": {ScriptID: ok.ID, GroupID: archived.ID, Want: at},
			"gone":     {ScriptID: ok.ID, GroupID: gone.ID, Want: at},
			"quiet":    {ScriptID: ok.ID, GroupID: quiet.ID, Want: at},
		} {
			r.OrgID, r.Actor = org.ID, "user:pub"
			p, err := db.PlanPush(ctx, r)
			if err != nil || p.Status != content.PushPlanned || !p.PlannedAt.Equal(r.Want) {
				t.Fatalf("%s: %+v %v", name, p, err)
			}
			ids[name] = p.ID
		}
		// Then: the script is moved back to a draft, the group archived,
		// the owners' rules get their quiet hours.
		db.MoveScript(ctx, org.ID, pulled.ID, content.Approved, content.Publisher, "user:pub", "")
		if _, err := db.EditScript(ctx, org.ID, pulled.ID, pulled.Title, pulled.Body+"\n改一句。", nil, "user:editor"); err != nil {
			t.Fatal(err)
		}
		if s, _ := db.Script(ctx, org.ID, pulled.ID); s.Status != content.Draft {
			t.Fatalf("an approved script edited is %s, want draft", s.Status)
		}
		if _, err := db.SQL().Exec(db.Rebind("UPDATE chat_groups SET lifecycle = 'archived' WHERE id = ?"), archived.ID); err != nil {
			t.Fatal(err)
		}
		db.SetPushPolicy(ownersRules())
		clk.Add(at.Add(time.Minute).Sub(clk.Now()))
		n, err := db.SendDuePushes(ctx, 100)
		if err != nil || n != 1 {
			t.Fatalf("sent %d %v, want only the good one", n, err)
		}
		list, _ := db.OrgPushes(ctx, org.ID, at.Add(-24*time.Hour), at.Add(48*time.Hour))
		got := map[int64]content.PlannedPush{}
		for _, p := range list {
			got[p.ID] = p
		}
		want := map[string]struct {
			status content.PushStatus
			reason string
		}{
			"ok":       {content.PushSent, ""},
			"pulled":   {content.PushSkipped, content.ReasonNotApproved},
			"archived": {content.PushSkipped, content.ReasonGroupArchived},
			"gone":     {content.PushSkipped, content.ReasonNoConnection},
			"quiet":    {content.PushPlanned, content.ReasonQuietHours},
		}
		for name, w := range want {
			if p := got[ids[name]]; p.Status != w.status || p.Reason != w.reason {
				t.Errorf("%s: %s %q, want %s %q", name, p.Status, p.Reason, w.status, w.reason)
			}
		}
		if p := got[ids["quiet"]]; !p.PlannedAt.Equal(time.Date(2026, 11, 26, 7, 30, 0, 0, cst)) {
			t.Errorf("the push caught by quiet hours goes at %v, want the next morning's peak", p.PlannedAt.In(cst))
		}
		if n := opsCount(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'push.skipped'"); n != 3 {
			t.Errorf("%d push.skipped audit entries, want 3", n)
		}
		acts, _ := db.PullActions(ctx, []string{"wx", "gone"}, 0, 10)
		if len(acts) != 1 || acts[0].Action.Group != "g1" {
			t.Fatalf("outbox: %+v", acts)
		}
		board, _ := db.DutyBoard(ctx, org.ID, assistant.ID, clk.Now().Add(-time.Hour), clk.Now())
		if len(board) != 1 || !strings.Contains(board[0].Prompt, "晚") && !strings.Contains(board[0].Prompt, "忙了一天") {
			t.Fatalf("a push at 23:41 is followed up with %+v", board)
		}
		// Nothing left to send; the deferred one goes in the morning.
		if n, _ := db.SendDuePushes(ctx, 100); n != 0 {
			t.Fatalf("sent %d more", n)
		}
		clk.Add(time.Date(2026, 11, 26, 7, 30, 0, 0, cst).Sub(clk.Now()))
		if n, _ := db.SendDuePushes(ctx, 100); n != 1 {
			t.Fatalf("the morning: sent %d, want the deferred one", n)
		}
	})
}

// TestPromptFollowsTheClock: a morning push deferred to 16:20 is followed
// up with an afternoon prompt.
func TestPromptFollowsTheClock(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		org, g := seedOrg(t, db)
		a := community.Person{OrgID: org.ID, Name: "小周"}
		db.CreatePerson(ctx, &a)
		db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: a.ID, Role: community.RoleAssistant, JoinedAt: clk.Now().Add(-time.Hour)})
		s := approvedScript(t, db, org.ID)
		at := time.Date(2026, 11, 25, 16, 20, 0, 0, cst)
		if _, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Slot: "morning", Want: at}); err != nil {
			t.Fatal(err)
		}
		clk.Add(at.Sub(clk.Now()))
		if n, err := db.SendDuePushes(ctx, 10); n != 1 || err != nil {
			t.Fatalf("send: %d %v", n, err)
		}
		board, _ := db.DutyBoard(ctx, org.ID, a.ID, clk.Now().Add(-time.Hour), clk.Now())
		if len(board) != 1 || content.Period(at, cst) != "afternoon" {
			t.Fatalf("board %+v", board)
		}
		for _, bad := range []string{"早上好", "早安", "中午好", "午休"} {
			if strings.Contains(board[0].Prompt, bad) {
				t.Fatalf("16:20 prompt %q", board[0].Prompt)
			}
		}
	})
}

// TestCancelAndMovePush: an operator cancels a planned push or moves it;
// a sent one stays; a move is fitted into the group's day; a cancelled
// push planned again at the same time comes back.
func TestCancelAndMovePush(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		db.SetPushPolicy(ownersRules())
		org, _ := seedOrg(t, db)
		owners := ownersGroup(t, db, org.ID, "o1", "wx")
		s := approvedScript(t, db, org.ID)
		plan := func(want time.Time) content.Push {
			t.Helper()
			p, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: owners.ID, Slot: "morning", Want: want})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		morning := time.Date(2026, 11, 26, 7, 30, 0, 0, cst)
		p := plan(morning)
		c, err := db.CancelPush(ctx, org.ID, p.ID, "user:sec")
		if err != nil || c.Status != content.PushCancelled || c.Reason != content.ReasonCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		if _, err := db.CancelPush(ctx, org.ID, p.ID, "user:sec"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("cancel twice: %v", err)
		}
		if _, err := db.CancelPush(ctx, org.ID+9, p.ID, "user:sec"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's push: %v", err)
		}
		// Planned again for the same time: the same push, planned.
		if again := plan(morning); again.ID != p.ID || again.Status != content.PushPlanned {
			t.Fatalf("planned again: %+v", again)
		}
		// Move it to 23:45: the group's quiet hours send it to the next
		// morning's peak.
		m, err := db.MovePush(ctx, org.ID, p.ID, time.Date(2026, 11, 26, 23, 45, 0, 0, cst), "", "user:sec")
		if err != nil || !m.PlannedAt.Equal(time.Date(2026, 11, 27, 7, 30, 0, 0, cst)) || m.Reason != content.ReasonQuietHours || m.Slot != "" {
			t.Fatalf("move: %+v %v", m, err)
		}
		if got, _ := db.Push(ctx, org.ID, p.ID); !got.PlannedAt.Equal(m.PlannedAt) || got.Group != owners.Name || got.Title != s.Title {
			t.Fatalf("the moved push reads %+v", got)
		}
		// A second push the same morning is fine; a move next to it is
		// deferred past the gap.
		other := plan(time.Date(2026, 11, 27, 12, 0, 0, 0, cst))
		if m, err := db.MovePush(ctx, org.ID, other.ID, time.Date(2026, 11, 27, 8, 0, 0, 0, cst), "", "user:sec"); err != nil || m.Reason != content.ReasonMinGap || !m.PlannedAt.Equal(time.Date(2026, 11, 27, 12, 0, 0, 0, cst)) {
			t.Fatalf("move next to another: %+v %v", m, err)
		}
		if n := opsCount(t, db, "SELECT COUNT(*) FROM audit_log WHERE action IN ('push.cancel', 'push.move')"); n != 3 {
			t.Fatalf("%d audit entries", n)
		}
		// Sent pushes stay as they are.
		clk.Add(time.Date(2026, 11, 27, 7, 31, 0, 0, cst).Sub(clk.Now()))
		db.SendDuePushes(ctx, 10)
		if _, err := db.MovePush(ctx, org.ID, p.ID, time.Date(2026, 11, 28, 7, 30, 0, 0, cst), "morning", "user:sec"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("moving a sent push: %v", err)
		}
		// Nowhere to go: every peak of the group is in quiet hours.
		if _, err := db.SetSlots(ctx, org.ID, owners.ID, &content.SlotSet{Zone: "Asia/Shanghai", Slots: []content.Slot{{Name: "midnight", At: community.Clock{Hour: 0, Minute: 30}}}}, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MovePush(ctx, org.ID, other.ID, time.Date(2026, 11, 28, 0, 30, 0, 0, cst), "midnight", "user:sec"); !errors.Is(err, content.ErrNoFit) || !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("a move where nothing fits: %v", err)
		}
		if got, _ := db.Push(ctx, org.ID, other.ID); !got.PlannedAt.Equal(time.Date(2026, 11, 27, 12, 0, 0, 0, cst)) {
			t.Fatalf("a refused move changed the push: %+v", got)
		}
	})
}

// TestSeparationOfDuties: whoever wrote a script cannot approve it unless
// self-approval is allowed; an approval's reason is kept as the lint
// override; a member's 投稿 hears the decision in the group.
func TestSeparationOfDuties(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		sc := content.Script{OrgID: org.ID, Title: "选品三问", Body: "一问市场，\n二问利润，\n三问供应链。", Author: "user:amy"}
		if err := db.CreateScript(ctx, &sc); err != nil {
			t.Fatal(err)
		}
		db.MoveScript(ctx, org.ID, sc.ID, content.Submitted, content.Contributor, "user:amy", "")
		if _, err := db.EditScript(ctx, org.ID, sc.ID, sc.Title, sc.Body+"\n你选哪个？", nil, "user:bob"); err != nil {
			t.Fatal(err)
		}
		for _, writer := range []string{"user:amy", "user:bob"} {
			if _, err := db.MoveScript(ctx, org.ID, sc.ID, content.Approved, content.Reviewer, writer, ""); !errors.Is(err, content.ErrSelfApproval) || !errkind.Is(err, errkind.Forbidden) {
				t.Fatalf("%s approving what they wrote: %v", writer, err)
			}
		}
		if set, _ := db.ContentSettings(ctx, org.ID); set.SelfApproval {
			t.Fatal("self-approval is allowed by default")
		}
		if err := db.SetSelfApproval(ctx, org.ID, true, "user:admin"); err != nil {
			t.Fatal(err)
		}
		got, err := db.MoveScript(ctx, org.ID, sc.ID, content.Approved, content.Reviewer, "user:amy", "合作方的公益活动")
		if err != nil || got.Status != content.Approved || got.LintOverride != "合作方的公益活动" {
			t.Fatalf("self-approval allowed: %+v %v", got, err)
		}
		if s, _ := db.Script(ctx, org.ID, sc.ID); s.LintOverride != "合作方的公益活动" {
			t.Fatalf("the override reason is not kept: %+v", s)
		}
		db.SetSelfApproval(ctx, org.ID, false, "user:admin")
		if n := opsCount(t, db, "SELECT COUNT(*) FROM audit_log WHERE action = 'settings.self_approval'"); n != 2 {
			t.Fatalf("%d audit entries", n)
		}

		// A member's 投稿, approved then another rejected: told in the group.
		m := community.Person{OrgID: org.ID, Name: "王小二"}
		db.CreatePerson(ctx, &m)
		db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: m.ID, Nickname: "小王-阳新", JoinedAt: clk.Now().Add(-time.Hour)})
		submit := func(msg, title string) int64 {
			t.Helper()
			var id int64
			err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				id, _, err = tx.SubmitScript(ctx, pipeline.Submission{OrgID: org.ID, GroupID: g.ID, PersonID: m.ID, Name: "小王-阳新", MessageID: msg,
					Title: title, Body: title + "：\n第一步，\n第二步，\n第三步。", At: clk.Now()})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		yes, no := submit("m1", "直播复盘三步"), submit("m2", "卖货清单")
		if _, err := db.MoveScript(ctx, org.ID, yes, content.Approved, content.Reviewer, "user:amy", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MoveScript(ctx, org.ID, no, content.Rejected, content.Reviewer, "user:amy", "像卖货单"); err != nil {
			t.Fatal(err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		if len(acts) != 2 || acts[0].Action.Group != "g1" || !strings.HasPrefix(acts[0].Action.Text, "@小王-阳新 你的投稿《直播复盘三步》已通过") ||
			!strings.Contains(acts[1].Action.Text, "《卖货清单》这次没有通过：像卖货单") {
			t.Fatalf("notices: %+v", acts)
		}
	})
}

// TestDutyRoster: a group's roster decides who is on duty, in order, for
// planned pushes too; only the group's staff may be on it.
func TestDutyRoster(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		person := func(name string, role community.Role) int64 {
			p := community.Person{OrgID: org.ID, Name: name}
			db.CreatePerson(ctx, &p)
			db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p.ID, Role: role, JoinedAt: clk.Now().Add(-time.Hour)})
			return p.ID
		}
		a, b, sec, member := person("小周", community.RoleAssistant), person("小吴", community.RoleAssistant), person("秘书长老李", community.RoleSecretary), person("学员", community.RoleMember)
		rs, err := db.DutyRosters(ctx, org.ID)
		if err != nil || len(rs) != 1 || !rs[0].Default || len(rs[0].People) != 2 || rs[0].People[0].PersonID != a {
			t.Fatalf("default roster: %+v %v", rs, err)
		}
		if staff := rs[0].Staff; len(staff) != 3 || staff[2].PersonID != sec || staff[2].Role != "secretary" {
			t.Fatalf("the group's staff to choose from: %+v", staff)
		}
		s := approvedScript(t, db, org.ID)
		var ids []int64
		for d := 1; d <= 3; d++ {
			p, _ := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: time.Date(2026, 11, 25+d, 7, 30, 0, 0, cst)})
			ids = append(ids, p.ID)
		}
		duty := func() []int64 {
			var out []int64
			for _, id := range ids {
				p, _ := db.Push(ctx, org.ID, id)
				out = append(out, p.DutyPerson)
			}
			return out
		}
		if got := duty(); got[0] != a || got[1] != b || got[2] != a {
			t.Fatalf("round robin over the assistants: %v", got)
		}
		for _, bad := range [][]int64{{a, member}, {a, a}, {a, 99999}} {
			if err := db.SetDutyRoster(ctx, org.ID, g.ID, bad, "user:sec"); !errkind.Is(err, errkind.Invalid) {
				t.Errorf("roster %v: %v", bad, err)
			}
		}
		if err := db.SetDutyRoster(ctx, org.ID+9, g.ID, []int64{a}, "user:sec"); !errkind.Is(err, errkind.NotFound) {
			t.Errorf("another organisation's group: %v", err)
		}
		if err := db.SetDutyRoster(ctx, org.ID, g.ID, []int64{sec, b}, "user:sec"); err != nil {
			t.Fatal(err)
		}
		if got := duty(); got[0] != sec || got[1] != b || got[2] != sec {
			t.Fatalf("the planned pushes after the roster: %v", got)
		}
		rs, _ = db.DutyRosters(ctx, org.ID)
		if rs[0].Default || len(rs[0].People) != 2 || rs[0].People[0].Name != "秘书长老李" || rs[0].UpdatedBy != "user:sec" {
			t.Fatalf("roster: %+v", rs)
		}
		if err := db.SetDutyRoster(ctx, org.ID, g.ID, nil, "user:sec"); err != nil {
			t.Fatal(err)
		}
		if rs, _ = db.DutyRosters(ctx, org.ID); !rs[0].Default {
			t.Fatalf("cleared roster: %+v", rs)
		}
	})
}
