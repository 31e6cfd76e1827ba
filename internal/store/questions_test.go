package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestTrackQuestions: on a hand-built day, a question answered in time by
// staff, one answered late by a member's reply, one asked by calling
// staff and answered by a mention of the asker, one asked at 21:55 whose
// clock waits for the morning and is never answered — it is sent to the
// staff group once, naming the assistant on duty; statements, staff
// messages and imported history ask nothing; each message is read once.
func TestTrackQuestions(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, day.AddDate(0, -2, 0))
		ident := func(person int64, ext string) {
			if _, err := db.SQL().ExecContext(ctx, db.Rebind(`INSERT INTO identities (person_id, connection, platform, external_id, name) VALUES (?, 'wx', 'webhook', ?, '')`), person, ext); err != nil {
				t.Fatal(err)
			}
		}
		staff := h.person("小助手", community.RoleAssistant, day.AddDate(0, -1, 0))
		a := h.person("阿梅", community.RoleMember, day.AddDate(0, -1, 0))
		b := h.person("老周", community.RoleMember, day.AddDate(0, -1, 0))
		c := h.person("小陈", community.RoleMember, day.AddDate(0, -1, 0))
		ident(staff, "u-staff")
		ident(a, "u-a")
		sg := community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "staff", Name: "运营中心", Kind: community.KindCustom}
		if err := db.CreateGroup(ctx, &sg); err != nil {
			t.Fatal(err)
		}
		if err := db.AddMembership(ctx, &community.Membership{GroupID: sg.ID, PersonID: staff, Role: community.RoleMember, JoinedAt: day}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStaffGroup(ctx, h.org.ID, sg.ID, "user:ops"); err != nil {
			t.Fatal(err)
		}
		post := func(person int64, at time.Time, text, replyTo string, mentions ...string) string {
			t.Helper()
			h.seq++
			id := fmt.Sprintf("m%d", h.seq)
			err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				return tx.InsertMessages(context.Background(), []community.Message{{GroupID: h.group.ID, PersonID: person, ExternalID: id, Kind: chat.KindText,
					Text: text, ReplyTo: replyTo, Mentions: len(mentions), MentionIDs: mentions, SentAt: at}})
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		at := func(hh, mm int) time.Time {
			return day.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
		}

		post(a, at(9, 0), "早上好", "")
		post(a, at(10, 0), "请问明天几点上课？", "")
		post(staff, at(10, 5), "明早九点", "") // staff within the target: answers it
		q2 := post(b, at(11, 0), "直播间怎么挂链接", "")
		post(c, at(11, 30), "在后台商品里添加", q2) // a reply, 20 minutes late
		post(a, at(12, 0), "@小助手 发票开好了，麻烦看一下", "", "u-staff")
		post(b, at(12, 20), "@阿梅 我帮你看了，没问题", "", "u-a") // a mention of the asker, late
		post(b, at(13, 0), "没什么事，大家加油", "")
		post(staff, at(14, 0), "有问题随时问？", "") // staff never ask
		post(c, at(21, 55), "有没有人知道发票怎么开", "")
		post(b, day.AddDate(0, 0, -3), "请问这是三天前的问题吗？", "") // imported history

		now := day.Add(32*time.Hour + 30*time.Minute) // 08:30 the next day
		run, err := db.TrackQuestions(ctx, h.org.ID, now, cst)
		if err != nil {
			t.Fatal(err)
		}
		if run.Read != 11 || run.Asked != 4 || run.Answered != 3 || run.Alerted != 1 {
			t.Fatalf("run = %+v, want 11 read, 4 asked, 3 answered, 1 alerted", run)
		}
		qs, err := db.Questions(ctx, h.org.ID, day, now, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, q := range qs {
			got = append(got, fmt.Sprintf("%s %s %s %s %s by=%s waited=%v duty=%s", q.AskedAt.In(cst).Format("15:04"), q.Asker, q.Text, q.State(now), q.Kind, q.Answerer, q.Waited, q.DutyName))
		}
		want := []string{
			"21:55 小陈 有没有人知道发票怎么开 overdue  by= waited=0s duty=小助手",
			"12:00 阿梅 @小助手 发票开好了，麻烦看一下 late mention by=老周 waited=20m0s duty=小助手",
			"11:00 老周 直播间怎么挂链接 late reply by=小陈 waited=30m0s duty=小助手",
			"10:00 阿梅 请问明天几点上课？ in_time staff by=小助手 waited=5m0s duty=小助手",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("questions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if due := qs[0].DueAt.In(cst); due.Format("01-02 15:04") != "11-21 08:05" {
			t.Fatalf("the 21:55 question is due %v, want 08:05 the next morning", due)
		}
		f := analytics.Respond(qs, now)
		if f.Questions != 4 || f.InTime != 1 || f.Late != 2 || f.Unanswered != 1 || f.Percent() != 25 || f.Median != 20*time.Minute {
			t.Fatalf("figures = %+v", f)
		}
		items, err := db.OutboxItems(ctx, "pending", 10)
		if err != nil {
			t.Fatal(err)
		}
		var alerts []string
		for _, it := range items {
			if it.Action.Reason == "alert" {
				alerts = append(alerts, it.Action.Group+": "+it.Action.Text)
			}
		}
		if len(alerts) != 1 || !strings.HasPrefix(alerts[0], "staff: @小助手 问题提醒：「第6期」里小陈的问题在活跃时段内已等了 35 分钟") || !strings.Contains(alerts[0], "有没有人知道发票怎么开") {
			t.Fatalf("alerts = %q", alerts)
		}

		// Nothing is read or sent twice; a later answer closes the question.
		post(staff, now.Add(time.Minute), "@小陈 在小程序里开", "")
		run, err = db.TrackQuestions(ctx, h.org.ID, now.Add(2*time.Minute), cst)
		if err != nil || run != (store.QuestionRun{Read: 1, Answered: 1}) {
			t.Fatalf("second run = %+v %v", run, err)
		}
		qs, _ = db.Questions(ctx, h.org.ID, day, now, 10)
		if qs[0].State(now) != analytics.QuestionLate || qs[0].Kind != analytics.AnswerMention || qs[0].Waited != 36*time.Minute {
			t.Fatalf("answered the next morning: %+v", qs[0])
		}
		if items, _ := db.OutboxItems(ctx, "pending", 10); len(items) != len(alerts) {
			t.Fatalf("outbox grew: %d", len(items))
		}

		// Two runs at once (the tracker reads outside its write): the
		// messages are read and the question asked once between them.
		post(b, now.Add(3*time.Minute), "请问周末有课吗？", "")
		runs := make([]store.QuestionRun, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i], errs[i] = db.TrackQuestions(ctx, h.org.ID, now.Add(4*time.Minute), cst)
			}()
		}
		wg.Wait()
		if errs[0] != nil || errs[1] != nil || runs[0].Read+runs[1].Read != 1 || runs[0].Asked+runs[1].Asked != 1 {
			t.Fatalf("two runs at once = %+v %v", runs, errs)
		}
	})
}

// TestResponseTarget: a group's target is checked, stored and used;
// another organisation's group is not found.
func TestResponseTarget(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		always := community.Window{}
		for _, bad := range []analytics.ResponseTarget{{Within: 30 * time.Second, Hours: always}, {Within: 25 * time.Hour, Hours: always},
			{Within: 10 * time.Minute, Hours: community.Window{From: community.Clock{Hour: 8}, To: community.Clock{Hour: 8, Minute: 30}}}} {
			if err := db.SetResponseTarget(ctx, org.ID, g.ID, bad, "user:ops"); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("target %+v: %v", bad, err)
			}
		}
		if err := db.SetResponseTarget(ctx, org.ID+1, g.ID, analytics.ResponseTarget{Within: time.Hour}, "user:ops"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's group: %v", err)
		}
		want := analytics.ResponseTarget{Within: 30 * time.Minute, Hours: community.Window{From: community.Clock{Hour: 9}, To: community.Clock{Hour: 21, Minute: 30}}}
		if err := db.SetResponseTarget(ctx, org.ID, g.ID, want, "user:ops"); err != nil {
			t.Fatal(err)
		}
		got, err := db.ResponseTargets(ctx, org.ID, cst)
		if err != nil || got[g.ID].Within != want.Within || got[g.ID].Hours != want.Hours || got[g.ID].Loc != cst {
			t.Fatalf("targets = %+v %v", got, err)
		}
	})
}
