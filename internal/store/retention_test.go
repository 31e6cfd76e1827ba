package store_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestNewcomerRetention: newcomers' D1/D7 retention, strict, rolling and
// survival, from their stints and the rollups' active days; joins by
// source.
func TestNewcomerRetention(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, cst) }
		now := day(11, 20, 12)
		h := newHistory(t, db, day(10, 1, 0))
		join := func(name string, at time.Time, src chat.JoinSource, left *time.Time) int64 {
			p := community.Person{OrgID: h.org.ID, Name: name}
			if err := db.CreatePerson(ctx, &p); err != nil {
				t.Fatal(err)
			}
			m := community.Membership{GroupID: h.group.ID, PersonID: p.ID, Role: community.RoleMember, Source: src, JoinedAt: at}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
			if left != nil {
				if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.EndMembership(ctx, m.ID, *left, chat.LeftVoluntarily) }); err != nil {
					t.Fatal(err)
				}
			}
			return p.ID
		}
		a := join("A", day(11, 1, 10), chat.SourceReferral, nil)
		b := join("B", day(11, 1, 10), chat.SourcePromo, nil)
		left := day(11, 3, 10)
		join("C", day(11, 1, 10), chat.SourcePromo, &left)
		join("D", day(11, 19, 10), "", nil)
		h.post(a, day(11, 2, 9), "早", "")
		h.post(a, day(11, 8, 9), "打卡", "")
		h.post(b, day(11, 5, 9), "来了", "")
		if _, err := db.Rollup(ctx, h.org.ID, now, cst, 60); err != nil {
			t.Fatal(err)
		}
		stints, err := db.Newcomers(ctx, h.group.ID, now.AddDate(0, 0, -40), cst)
		if err != nil || len(stints) != 4 {
			t.Fatalf("stints: %+v %v", stints, err)
		}
		r := analytics.Retain(stints, now, cst)
		near := func(x, want float64) bool { return math.Abs(x-want) < 1e-9 }
		if r.Cohort[0] != 4 || r.Cohort[1] != 3 || r.Cohort[2] != 0 ||
			!near(r.Strict[0], 0.25) || !near(r.Rolling[0], 0.5) || !near(r.Survival[0], 1) ||
			!near(r.Strict[1], 1.0/3) || !near(r.Rolling[1], 1.0/3) || !near(r.Survival[1], 2.0/3) {
			t.Fatalf("retention = %+v", r)
		}
		joins, err := db.JoinsBySource(ctx, h.group.ID, now.AddDate(0, 0, -40))
		if err != nil || joins["referral"] != 1 || joins["promotion"] != 2 || joins[""] != 1 {
			t.Fatalf("joins by source: %v %v", joins, err)
		}
	})
}

// TestRejoinAndTimeZones: a member who leaves and rejoins is counted once
// a day in the rollups and has two stints for retention, each with its own
// days; the day of a message depends on the zone (+08:00 against UTC).
func TestRejoinAndTimeZones(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newHistory(t, db, time.Date(2026, 10, 1, 0, 0, 0, 0, cst))
		p := community.Person{OrgID: h.org.ID, Name: "回头客"}
		if err := db.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		first := community.Membership{GroupID: h.group.ID, PersonID: p.ID, Role: community.RoleMember, JoinedAt: time.Date(2026, 11, 1, 9, 0, 0, 0, cst)}
		if err := db.AddMembership(ctx, &first); err != nil {
			t.Fatal(err)
		}
		h.post(p.ID, time.Date(2026, 11, 2, 9, 0, 0, 0, cst), "第一次", "")
		left := time.Date(2026, 11, 5, 12, 0, 0, 0, cst)
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.EndMembership(ctx, first.ID, left, chat.LeftVoluntarily) }); err != nil {
			t.Fatal(err)
		}
		again := community.Membership{GroupID: h.group.ID, PersonID: p.ID, Role: community.RoleMember, JoinedAt: time.Date(2026, 11, 5, 18, 0, 0, 0, cst)}
		if err := db.AddMembership(ctx, &again); err != nil {
			t.Fatal(err)
		}
		h.post(p.ID, time.Date(2026, 11, 5, 10, 0, 0, 0, cst), "走之前", "")
		h.post(p.ID, time.Date(2026, 11, 5, 20, 0, 0, 0, cst), "回来了", "")
		// 01:00 on the 7th in Shanghai is still the 6th in UTC.
		h.post(p.ID, time.Date(2026, 11, 7, 1, 0, 0, 0, cst), "夜猫子", "")
		now := time.Date(2026, 11, 20, 12, 0, 0, 0, cst)
		if _, err := db.Rollup(ctx, h.org.ID, now, cst, 60); err != nil {
			t.Fatal(err)
		}
		d5 := analytics.DayOf(time.Date(2026, 11, 5, 12, 0, 0, 0, cst), cst)
		days, err := db.GroupDays(ctx, h.group.ID, d5, d5, cst)
		if err != nil || len(days) != 1 || days[0].MemberMessages != 2 || days[0].Communicators != 1 || days[0].Joins != 1 || days[0].Leaves != 1 {
			t.Fatalf("the day they left and came back: %+v %v", days, err)
		}
		stints, err := db.Newcomers(ctx, h.group.ID, now.AddDate(0, 0, -40), cst)
		if err != nil || len(stints) != 2 {
			t.Fatalf("stints: %+v %v", stints, err)
		}
		// The first stint has the 2nd and the 5th; the second the 5th and the 7th.
		if len(stints[0].ActiveDays) != 2 || len(stints[1].ActiveDays) != 2 || stints[1].ActiveDays[1] != analytics.DayOf(time.Date(2026, 11, 7, 1, 0, 0, 0, cst), cst) {
			t.Fatalf("stints' days: %+v", stints)
		}
		if analytics.DayOf(time.Date(2026, 11, 7, 1, 0, 0, 0, cst), time.UTC) != analytics.DayOf(time.Date(2026, 11, 6, 12, 0, 0, 0, time.UTC), time.UTC) {
			t.Fatal("01:00 +08:00 on the 7th is the 6th in UTC")
		}
	})
}
