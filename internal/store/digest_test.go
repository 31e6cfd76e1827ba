package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestMakeDigest: a hand-built day — a thread of three, a term new to the
// group and one it used the day before, a question answered by a reply,
// a newcomer, staff's messages not counted as members' — gives the
// group's digest and the organisation's, kept and read back; made again,
// it is the same.
func TestMakeDigest(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, day.AddDate(0, -2, 0))
		staff := h.person("店小二", community.RoleAssistant, day.AddDate(0, -1, 0))
		a := h.person("阿梅", community.RoleMember, day.AddDate(0, -1, 0))
		b := h.person("老周", community.RoleMember, day.AddDate(0, -1, 0))
		c := h.person("小陈", community.RoleMember, day.AddDate(0, -1, 0))
		at := func(d, hh, mm int) time.Time {
			return day.AddDate(0, 0, d).Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
		}
		fold := strings.ToLower
		h.post(a, at(-1, 9, 0), "直播间开了", "")
		h.post(b, at(-1, 9, 5), "直播间人好多", "")
		h.post(c, at(-1, 9, 9), "直播间见", "")
		if _, err := db.MakeDigest(ctx, h.org.ID, analytics.DayOf(day, cst)-1, cst, fold, at(0, 8, 0)); err != nil {
			t.Fatal(err)
		}

		q := h.post(a, at(0, 10, 0), "请问小黄车怎么挂？", "")
		r := h.post(b, at(0, 10, 4), "小黄车在后台挂", q)
		h.post(c, at(0, 10, 6), "小黄车要先交保证金", r)
		h.post(a, at(0, 11, 0), "直播间今天人多", "")
		h.post(b, at(0, 11, 1), "直播间好卡", "")
		h.post(c, at(0, 11, 2), "直播间卡死了", "")
		h.post(staff, at(0, 12, 0), "大家好，今晚八点直播", "")
		h.person("新人", community.RoleMember, at(0, 15, 0))
		now := at(1, 8, 0)
		if _, err := db.TrackQuestions(ctx, h.org.ID, now, cst); err != nil {
			t.Fatal(err)
		}
		d := analytics.DayOf(day, cst)
		org, err := db.MakeDigest(ctx, h.org.ID, d, cst, fold, now)
		if err != nil {
			t.Fatal(err)
		}
		var g analytics.GroupDigest
		if err := db.Digest(ctx, h.org.ID, h.group.ID, d, &g); err != nil {
			t.Fatal(err)
		}
		if g.Date != "2026-11-20" || g.Messages != 7 || g.MemberMessages != 6 || g.Communicators != 3 {
			t.Fatalf("counts: %+v", g)
		}
		if len(g.Threads) != 1 || g.Threads[0].Messages != 3 || g.Threads[0].People != 3 || g.Threads[0].Starter != "阿梅" {
			t.Fatalf("threads: %+v", g.Threads)
		}
		if len(g.Terms) == 0 || g.Terms[0].Term != "小黄车" || g.Terms[0].Messages != 3 {
			t.Fatalf("terms: %+v", g.Terms)
		}
		for _, term := range g.Terms {
			if term.Term == "直播间" && term.Score >= g.Terms[0].Score {
				t.Fatalf("直播间, used the day before, ranks with 小黄车: %+v", g.Terms)
			}
		}
		if g.Questions != 1 || g.InTime != 1 || g.MedianSeconds != 240 || len(g.Open) != 0 {
			t.Fatalf("questions: %+v", g)
		}
		if len(g.Joined) != 1 || g.Joined[0] != "新人" || len(g.Left)+len(g.Removed) != 0 {
			t.Fatalf("members: %+v", g)
		}
		if org.Groups != 1 || org.MemberMessages != 6 || org.JoinedN != 1 || len(org.Lines) != 1 || org.Lines[0].Term != "小黄车" {
			t.Fatalf("the organisation's digest: %+v", org)
		}
		var kept analytics.OrgDigest
		if err := db.Digest(ctx, h.org.ID, 0, d, &kept); err != nil || kept.Date != org.Date || kept.MemberMessages != 6 {
			t.Fatalf("kept: %+v %v", kept, err)
		}
		again, err := db.MakeDigest(ctx, h.org.ID, d, cst, fold, now)
		if err != nil || again.MemberMessages != org.MemberMessages || again.Lines[0].Term != "小黄车" {
			t.Fatalf("made again: %+v %v", again, err)
		}
		days, err := db.DigestDays(ctx, h.org.ID, 10)
		if err != nil || len(days) != 2 || days[0] != d || days[1] != d-1 {
			t.Fatalf("days: %v %v", days, err)
		}
		if err := db.Digest(ctx, h.org.ID, 0, d+1, &kept); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("a day without a digest: %v", err)
		}
	})
}

// TestDueDigest: yesterday's digest is made once its time has come, once:
// posted in the staff group, the organisation's and each group's with
// something to tell; a bad time is refused.
func TestDueDigest(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, day.AddDate(0, -2, 0))
		a := h.person("阿梅", community.RoleMember, day.AddDate(0, -1, 0))
		h.post(a, day.Add(10*time.Hour), "今天的作业交了", "")
		sg := community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "staff", Name: "运营中心", Kind: community.KindCustom}
		if err := db.CreateGroup(ctx, &sg); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStaffGroup(ctx, h.org.ID, sg.ID, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if s, err := db.DigestSettings(ctx, h.org.ID); err != nil || s != (analytics.DigestSettings{Minute: analytics.DefaultDigestMinute}) {
			t.Fatalf("defaults: %+v %v", s, err)
		}
		for _, bad := range []int{-1, 24 * 60} {
			if err := db.SetDigestSettings(ctx, h.org.ID, analytics.DigestSettings{Minute: bad}, "user:ops"); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("minute %d: %v", bad, err)
			}
		}
		if err := db.SetDigestSettings(ctx, h.org.ID, analytics.DigestSettings{Minute: 9 * 60, Send: true, Groups: true}, "user:ops"); err != nil {
			t.Fatal(err)
		}
		fold := strings.ToLower
		next := day.AddDate(0, 0, 1)
		if made, err := db.DueDigest(ctx, h.org.ID, next.Add(8*time.Hour+59*time.Minute), cst, fold); made || err != nil {
			t.Fatalf("before its time: %v %v", made, err)
		}
		if made, err := db.DueDigest(ctx, h.org.ID, next.Add(9*time.Hour+5*time.Minute), cst, fold); !made || err != nil {
			t.Fatalf("at its time: %v %v", made, err)
		}
		if made, err := db.DueDigest(ctx, h.org.ID, next.Add(10*time.Hour), cst, fold); made || err != nil {
			t.Fatalf("again: %v %v", made, err)
		}
		items, err := db.OutboxItems(ctx, "pending", 10)
		if err != nil {
			t.Fatal(err)
		}
		var posted []string
		for _, it := range items {
			if it.Action.Reason == "digest" && it.Action.Group == "staff" {
				posted = append(posted, it.Action.Text)
			}
		}
		if len(posted) != 2 || !strings.HasPrefix(posted[0], "📊 2026-11-20 组织日报") || !strings.HasPrefix(posted[1], "📋 第6期 · 2026-11-20 日报") {
			t.Fatalf("posted: %q", posted)
		}
	})
}
