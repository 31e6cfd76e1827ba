package console_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestPushAwaitingOwner: a push the platform accepted as a 群发 its group
// owner must confirm says so on the push calendar, in words, not as an
// error.
func TestPushAwaitingOwner(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	claimed, err := w.db.ClaimActions(ctx, "wx", 20, time.Minute)
	var items []pipeline.OutboxItem
	for _, it := range claimed {
		if strings.HasPrefix(it.Action.Key, "push:") {
			items = append(items, it)
		}
	}
	if err != nil || len(items) != 1 {
		t.Fatalf("the sent push's action: %+v %v", claimed, err)
	}
	before := rowsOf(w.page(w.user(), "/pushes"), "sent")
	lacks(t, "the sent push before the platform answered", before[0], "wecom-pending")
	if err := w.db.PendAction(ctx, items[0].ID, now.Add(time.Minute), chat.PendingError{For: chat.PendingOwnerConfirm, State: "sent to the group owner zhangsan as a 群发"}); err != nil {
		t.Fatal(err)
	}
	sent := rowsOf(w.page(w.user(), "/pushes"), "sent")
	contains(t, "the pending push", sent[0], "投递中", `class="wecom-pending"`, "等待群主在企业微信确认发送", `title="sent to the group owner zhangsan as a 群发"`)
	contains(t, "the pending push in English", rowsOf(w.page(w.user(), "/pushes?lang=en"), "sent")[0], "waiting for the group owner to confirm it in WeCom")
	if err := w.db.CompleteActions(ctx, []int64{items[0].ID}); err != nil {
		t.Fatal(err)
	}
	lacks(t, "the delivered push", rowsOf(w.page(w.user(), "/pushes"), "sent")[0], "wecom-pending", "等待群主")
}

// TestHealthFromPlatformStats: a group page says on how many days its
// message figures come from the platform's daily statistics, and on how
// many the platform counted the owner's groups together (the day before
// the group's first in qunzhu too: the platform counted it) — in both
// languages — and says nothing of it where qunzhu had the messages.
func TestHealthFromPlatformStats(t *testing.T) {
	w := newWorld(t)
	c := w.user()
	ctx := context.Background()
	w.srv.Health = w.db
	loc, _ := time.LoadLocation("Asia/Shanghai")
	today := analytics.DayOf(now, loc) // the groups' first day
	if _, err := w.db.ImportOwnerStats(ctx, "wx", []analytics.OwnerStats{
		{Owner: "zhangsan", Day: today, Groups: []string{w.enrol.ExternalID}, Messages: 30, ActiveMembers: 6},
		{Owner: "lisi", Day: today, Groups: []string{w.owners.ExternalID, "other"}, Messages: 9, ActiveMembers: 2},
		{Owner: "lisi", Day: today - 1, Groups: []string{w.owners.ExternalID, w.foreign.ExternalID}, Messages: 9, ActiveMembers: 2},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Rollup(ctx, w.org.ID, now, loc, 60); err != nil {
		t.Fatal(err)
	}
	enrol := w.page(c, "/groups/"+itoa(w.enrol.ID))
	contains(t, "a group counted alone", enrol, `id="health-source-stats"`, "近 30 天中有 1 天的消息数字来自平台的每日群统计")
	lacks(t, "a group counted alone", enrol, `id="health-source-owner"`)
	contains(t, "a group counted alone, in English", w.page(c, "/groups/"+itoa(w.enrol.ID)+"?lang=en"), "On 1 of the last 30 days the message figures come from the platform's daily group statistics")
	w.page(c, "/?lang=zh")
	contains(t, "a group counted with the owner's others", w.page(c, "/groups/"+itoa(w.owners.ID)), `id="health-source-owner"`, "近 30 天中有 2 天平台把群主名下的几个群合在一起统计")
	lacks(t, "a group with its own messages", w.page(c, "/groups/"+itoa(w.cohort.ID)), `id="health-source-stats"`, `id="health-source-owner"`)
}

// TestPosterJoinWay: a code's poster says when a platform's join way
// (WeCom's 群活码) is behind its link, when the platform refused its last
// update, and when it could never be made — in words, without the
// platform's codes.
func TestPosterJoinWay(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	c := w.user()
	camp := community.Campaign{OrgID: w.org.ID, Name: "春季海报"}
	if err := w.db.CreateCampaign(ctx, &camp); err != nil {
		t.Fatal(err)
	}
	code := community.InviteCode{OrgID: w.org.ID, CampaignID: camp.ID, GroupID: w.cohort.ID}
	if err := w.db.CreateInviteCode(ctx, &code); err != nil {
		t.Fatal(err)
	}
	poster := "/growth/codes/" + itoa(code.ID) + "/poster"
	lacks(t, "a poster without a join way", w.page(c, poster), `id="join-way"`)
	want := community.JoinWay{Key: code.Code, State: code.Code, Groups: []string{w.cohort.ExternalID}}
	refused := errors.New("wecom 48002: the app may not call this API")
	for _, step := range []struct {
		st   community.JoinWayState
		err  error
		says string
	}{
		{community.JoinWayState{ConfigID: "cfg1", QRCode: "https://wwcdn.example/qr/cfg1.png"}, nil, "这个活码背后是企业微信的群活码"},
		{community.JoinWayState{}, refused, "企业微信最近一次没能更新这个群活码"},
	} {
		if err := w.db.RecordJoinWay(ctx, "wx", want, step.st, step.err); err != nil {
			t.Fatal(err)
		}
		body := w.page(c, poster)
		contains(t, "the poster", body, `id="join-way"`, step.says)
		lacks(t, "the poster", body, "48002", "cfg1")
	}
	if err := w.db.ForgetJoinWay(ctx, code.Code); err != nil {
		t.Fatal(err)
	}
	if err := w.db.RecordJoinWay(ctx, "wx", want, community.JoinWayState{}, refused); err != nil {
		t.Fatal(err)
	}
	contains(t, "a join way never made", w.page(c, poster), "企业微信没能生成这个群活码")
	contains(t, "in English", w.page(c, poster+"?lang=en"), "WeCom could not make this link's join way")
}
