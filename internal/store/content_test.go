package store_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func approvedScript(t *testing.T, db *store.DB, org int64) content.Script {
	t.Helper()
	return approved(t, db, content.Script{OrgID: org, Title: "早高峰：直播带货三个误区", Body: "第一，不备货就开播。\n第二，只顾讲不互动。\n第三，没有复盘。\n大家觉得哪条最常见？", Tags: []string{"直播", "早高峰"}, Author: "person:1"})
}

// approved creates s and takes it through review to approved.
func approved(t *testing.T, db *store.DB, s content.Script) content.Script {
	t.Helper()
	org := s.OrgID
	if err := db.CreateScript(ctx, &s); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		to   content.Status
		role content.Role
	}{{content.Submitted, content.Contributor}, {content.InReview, content.Reviewer}, {content.Approved, content.Reviewer}} {
		var err error
		if s, err = db.MoveScript(ctx, org, s.ID, step.to, step.role, "user:"+string(step.role), ""); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestScriptWorkflow(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		s := content.Script{OrgID: org.ID, Title: "标题", Body: "正文", Author: "person:1"}
		if err := db.CreateScript(ctx, &s); err != nil {
			t.Fatal(err)
		}
		if _, err := db.MoveScript(ctx, org.ID, s.ID, content.Approved, content.Contributor, "person:1", ""); !errkind.Is(err, errkind.Forbidden) {
			t.Fatalf("draft straight to approved: %v, want forbidden", err)
		}
		db.MoveScript(ctx, org.ID, s.ID, content.Submitted, content.Contributor, "person:1", "")
		db.MoveScript(ctx, org.ID, s.ID, content.InReview, content.Reviewer, "user:r", "")
		if _, err := db.MoveScript(ctx, org.ID, s.ID, content.Rejected, content.Reviewer, "user:r", ""); !errkind.Is(err, errkind.Forbidden) {
			t.Fatalf("rejection without a reason: %v", err)
		}
		got, err := db.MoveScript(ctx, org.ID, s.ID, content.Rejected, content.Reviewer, "user:r", "直接卖货")
		if err != nil || got.Status != content.Rejected || got.RejectReason != "直接卖货" {
			t.Fatalf("reject: %+v, %v", got, err)
		}
		if _, err := db.EditScript(ctx, org.ID, s.ID, "新标题", "改过的正文", []string{"a"}, "person:1"); err != nil {
			t.Fatal(err)
		}
		revs, err := db.Revisions(ctx, org.ID, s.ID)
		if err != nil || len(revs) != 5 || revs[4].Body != "改过的正文" || !strings.Contains(revs[3].Note, "直接卖货") {
			t.Fatalf("revisions = %+v, %v", revs, err)
		}
		if _, err := db.EditScript(ctx, org.ID, s.ID, "", "x", nil, "x"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("empty title: %v", err)
		}
		if list, _ := db.Scripts(ctx, org.ID, content.Rejected); len(list) != 1 {
			t.Fatalf("rejected scripts: %d", len(list))
		}
	})
}

func TestPlanAndSendPushes(t *testing.T) {
	clk := newClock() // 2026-11-25 08:00 UTC = 16:00 CST
	cst := time.FixedZone("CST", 8*3600)
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		s := approvedScript(t, db, org.ID)
		draft := content.Script{OrgID: org.ID, Title: "t", Body: "b", Author: "x"}
		db.CreateScript(ctx, &draft)
		req := content.PushRequest{OrgID: org.ID, GroupID: g.ID, Caps: content.DefaultCaps(), Window: community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}, Actor: "user:pub"}
		req.ScriptID = draft.ID
		req.Want = time.Date(2026, 11, 26, 7, 30, 0, 0, cst)
		if _, err := db.PlanPush(ctx, req); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("pushing a draft: %v, want conflict", err)
		}
		req.ScriptID = s.ID
		var planned []time.Time
		for _, want := range []time.Time{
			time.Date(2026, 11, 26, 7, 30, 0, 0, cst),
			time.Date(2026, 11, 26, 8, 0, 0, 0, cst),   // too close: the next peak, 12:00
			time.Date(2026, 11, 26, 12, 0, 0, 0, cst),  // taken: 20:30
			time.Date(2026, 11, 26, 20, 30, 0, 0, cst), // taken, and the 4th of the day: the next morning's peak, 07:30
		} {
			req.Want = want
			p, err := db.PlanPush(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			planned = append(planned, p.PlannedAt.In(cst))
		}
		want := "07:30 12:00 20:30 07:30"
		var got []string
		for _, p := range planned {
			got = append(got, p.Format("15:04"))
		}
		if strings.Join(got, " ") != want {
			t.Fatalf("planned %v, want %s", got, want)
		}
		if s2, _ := db.Script(ctx, org.ID, s.ID); s2.Status != content.Scheduled {
			t.Fatalf("script status %s after planning, want scheduled", s2.Status)
		}
		// Two days later everything is due; two replicas race to send.
		clk.Add(72 * time.Hour)
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for i := 0; i < 2; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := db.SendDuePushes(ctx, 100)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != 4 {
			t.Fatalf("sent %d pushes across two replicas, want 4 exactly", total)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 100)
		if len(acts) != 4 || !strings.Contains(acts[0].Action.Text, "不备货就开播") {
			t.Fatalf("outbox has %d push actions", len(acts))
		}
	})
}

func TestLease(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		ok, err := db.AcquireLease(ctx, "pushes", "a", time.Minute)
		if err != nil || !ok {
			t.Fatalf("a: %v, %v", ok, err)
		}
		if ok, _ := db.AcquireLease(ctx, "pushes", "b", time.Minute); ok {
			t.Fatal("b took a running lease")
		}
		if ok, _ := db.AcquireLease(ctx, "pushes", "a", time.Minute); !ok {
			t.Fatal("a could not renew its own lease")
		}
		clk.Add(2 * time.Minute)
		if ok, _ := db.AcquireLease(ctx, "pushes", "b", time.Minute); !ok {
			t.Fatal("b could not take an expired lease")
		}
	})
}

// TestPushReceipts: a sent push carries its delivery receipt from the
// outbox: pending, then done (with when) or dead (with why).
func TestPushReceipts(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		s := approvedScript(t, db, org.ID)
		for _, h := range []int{-5, -2} {
			if _, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: clk.Now().Add(time.Duration(h) * time.Hour), Caps: content.DefaultCaps()}); err != nil {
				t.Fatal(err)
			}
		}
		list := func() []content.Push {
			ps, err := db.Pushes(ctx, g.ID, clk.Now().Add(-24*time.Hour), clk.Now().Add(time.Hour))
			if err != nil || len(ps) != 2 {
				t.Fatalf("pushes: %+v %v", ps, err)
			}
			return ps
		}
		if ps := list(); ps[0].Delivery != "" {
			t.Fatalf("a push not yet sent has a receipt: %+v", ps[0])
		}
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 2 {
			t.Fatalf("send: %d %v", n, err)
		}
		if ps := list(); ps[0].Delivery != "pending" || ps[1].Delivery != "pending" {
			t.Fatalf("handed to the outbox: %+v", ps)
		}
		items, err := db.ClaimActions(ctx, "wx", 10, time.Minute)
		if err != nil || len(items) != 2 {
			t.Fatalf("claim: %+v %v", items, err)
		}
		// The platform accepted the first and waits for its group owner:
		// the receipt says what for, and it is no error.
		if err := db.PendAction(ctx, items[0].ID, clk.Now().Add(time.Minute), chat.PendingError{For: chat.PendingOwnerConfirm, State: "waiting for zhangsan"}); err != nil {
			t.Fatal(err)
		}
		if ps := list(); ps[0].Delivery != "pending" || ps[0].PendingFor != chat.PendingOwnerConfirm || ps[0].PendingReason != "waiting for zhangsan" || ps[0].DeliveryError != "" {
			t.Fatalf("a pending receipt: %+v", ps[0])
		}
		if err := db.CompleteActions(ctx, []int64{items[0].ID}); err != nil {
			t.Fatal(err)
		}
		if err := db.KillAction(ctx, items[1].ID, "bot removed from the group"); err != nil {
			t.Fatal(err)
		}
		ps := list()
		if ps[0].Delivery != "done" || ps[0].DeliveredAt == nil || ps[0].PendingFor != "" || ps[1].Delivery != "dead" || ps[1].DeliveryError != "bot removed from the group" {
			t.Fatalf("receipts: %+v", ps)
		}
	})
}

// TestScriptCards: a script's link card and picture go out with its push.
func TestScriptCards(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		s := approvedScript(t, db, org.ID)
		for _, bad := range []content.ScriptCard{{LinkURL: "javascript:alert(1)"}, {MediaURL: "ftp://x/y.jpg"}, {LinkTitle: "只有标题"}} {
			if err := db.SetScriptCard(ctx, org.ID, s.ID, bad, "user:ed"); !errkind.Is(err, errkind.Invalid) {
				t.Errorf("card %+v: %v, want invalid", bad, err)
			}
		}
		if err := db.SetScriptCard(ctx, org.ID, 9999, content.ScriptCard{LinkURL: "https://x.cn"}, "user:ed"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("unknown script: %v", err)
		}
		card := content.ScriptCard{LinkURL: "https://mp.weixin.qq.com/s/abc", LinkTitle: "直播带货三个误区", Excerpt: "原文……", MediaURL: "https://cdn.example.com/poster.jpg"}
		if err := db.SetScriptCard(ctx, org.ID, s.ID, card, "user:ed"); err != nil {
			t.Fatal(err)
		}
		if got, err := db.ScriptCardOf(ctx, org.ID, s.ID); err != nil || got != card {
			t.Fatalf("card = %+v %v", got, err)
		}
		if _, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: clk.Now().Add(-time.Minute), Caps: content.DefaultCaps()}); err != nil {
			t.Fatal(err)
		}
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 10)
		var text string
		for _, a := range acts {
			if strings.HasPrefix(a.Action.Key, "push:") {
				text = a.Action.Text
			}
		}
		if !strings.HasSuffix(text, "\n🔗 直播带货三个误区 https://mp.weixin.qq.com/s/abc\n🖼 https://cdn.example.com/poster.jpg") || !strings.HasPrefix(text, s.Body) {
			t.Fatalf("pushed text: %q", text)
		}
		if err := db.SetScriptCard(ctx, org.ID, s.ID, content.ScriptCard{}, "user:ed"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.ScriptCardOf(ctx, org.ID, s.ID); !got.Empty() {
			t.Fatalf("card after removal: %+v", got)
		}
	})
}

// TestOrgPushes: planned pushes in the window come with the script's
// title, the group and the assistant on duty; a sent one is listed by its
// sending time; pushes outside the window are not.
func TestOrgPushes(t *testing.T) {
	clk := newClock()
	cst := time.FixedZone("CST", 8*3600)
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now())) // each dialect starts at the same time
		org, g := seedOrg(t, db)
		duty := people(t, db, org.ID, 1)[0]
		if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: duty, Role: community.RoleAssistant, JoinedAt: clk.Now()}); err != nil {
			t.Fatal(err)
		}
		s := approvedScript(t, db, org.ID)
		req := content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Slot: "morning", Caps: content.DefaultCaps(), Window: community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}, Actor: "user:pub"}
		for _, want := range []time.Time{time.Date(2026, 11, 26, 7, 30, 0, 0, cst), time.Date(2026, 11, 26, 8, 0, 0, 0, cst), time.Date(2026, 12, 20, 8, 0, 0, 0, cst)} {
			req.Want = want
			if _, err := db.PlanPush(ctx, req); err != nil {
				t.Fatal(err)
			}
		}
		from, to := clk.Now(), clk.Now().Add(7*24*time.Hour)
		list, err := db.OrgPushes(ctx, org.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Title != s.Title || list[0].Group != g.Name || list[0].DutyPerson != duty || list[0].DutyName == "" ||
			list[1].Reason == "" || !list[1].PlannedAt.After(list[1].WantAt) || list[0].Status != content.PushPlanned {
			t.Fatalf("pushes %+v", list)
		}
		clk.Add(48 * time.Hour)
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 2 {
			t.Fatalf("sent %d, %v", n, err)
		}
		sent, err := db.OrgPushes(ctx, org.ID, clk.Now().Add(-7*24*time.Hour), clk.Now())
		if err != nil || len(sent) != 2 || sent[0].Status != content.PushSent || sent[0].SentAt == nil {
			t.Fatalf("sent pushes %+v %v", sent, err)
		}
		if other, _ := db.OrgPushes(ctx, org.ID+1000, from, to); len(other) != 0 {
			t.Fatalf("another organisation's pushes: %+v", other)
		}
	})
}
