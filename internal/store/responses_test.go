package store_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestDutyRotationAndPushResponse: the group's assistants take turns on
// pushes; a sent push's response counts member posts, replies to the bot,
// the duty assistant's follow-up, and the uplift over the same hour on the
// week before.
func TestDutyRotationAndPushResponse(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		person := func(name string, role community.Role) int64 {
			p := community.Person{OrgID: org.ID, Name: name}
			if err := db.CreatePerson(ctx, &p); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p.ID, Role: role, JoinedAt: clk.Now().AddDate(0, -1, 0)}); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		a1, a2 := person("店小二甲", community.RoleAssistant), person("店小二乙", community.RoleAssistant)
		m1, m2, m3 := person("学员一", community.RoleMember), person("学员二", community.RoleMember), person("学员三", community.RoleMember)
		seq := 0
		post := func(p int64, at time.Time, replyTo string) {
			seq++
			err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				return tx.InsertMessages(ctx, []community.Message{{GroupID: g.ID, PersonID: p, ExternalID: fmt.Sprint("m", seq), Kind: chat.KindText, Text: "…", ReplyTo: replyTo, SentAt: at}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}

		s := approvedScript(t, db, org.ID)
		var duty []int64
		for _, want := range []time.Time{time.Date(2026, 11, 26, 7, 30, 0, 0, cst), time.Date(2026, 11, 26, 12, 0, 0, 0, cst), time.Date(2026, 11, 26, 20, 30, 0, 0, cst)} {
			p, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: want, Caps: content.DefaultCaps(), Actor: "user:pub"})
			if err != nil {
				t.Fatal(err)
			}
			duty = append(duty, p.DutyPerson)
		}
		if duty[0] != a1 || duty[1] != a2 || duty[2] != a1 {
			t.Fatalf("duty = %v, want %d %d %d", duty, a1, a2, a1)
		}

		// The week before: the same hour brought 2 posts a day ago, 1 two
		// days ago, none on the other days.
		post(m1, time.Date(2026, 11, 25, 7, 40, 0, 0, cst), "")
		post(m2, time.Date(2026, 11, 25, 8, 20, 0, 0, cst), "")
		post(m3, time.Date(2026, 11, 24, 8, 0, 0, 0, cst), "")
		post(m3, time.Date(2026, 11, 24, 9, 0, 0, 0, cst), "") // after the hour

		sent := time.Date(2026, 11, 26, 7, 30, 0, 0, cst)
		clk.Add(sent.Sub(clk.Now()))
		if n, err := db.SendDuePushes(ctx, 10); err != nil || n != 1 {
			t.Fatalf("send: %d %v", n, err)
		}
		post(m1, sent.Add(2*time.Minute), "bot-message-77") // a reply to the push
		post(a1, sent.Add(5*time.Minute), "")               // the duty assistant follows up
		post(m2, sent.Add(40*time.Minute), "m5")            // a reply to a member's message
		post(m3, sent.Add(3*time.Hour), "")

		list, err := db.PushResponses(ctx, org.ID, sent.Add(-time.Hour), sent.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 {
			t.Fatalf("responses = %+v", list)
		}
		r := list[0]
		want := content.Response{Posts30: 1, Posts60: 2, Posts1440: 3, Members60: 2, Replies: 1, FollowUp: 5 * time.Minute, FollowedUp: true, ByDuty: true}
		if r.Response != want || r.DutyPerson != a1 || r.DutyName != "店小二甲" {
			t.Fatalf("response = %+v\nwant %+v", r, want)
		}
		if r.BaselineDays != 7 || math.Abs(r.Baseline-3.0/7) > 1e-9 || math.Abs(r.Uplift-(2-3.0/7)) > 1e-9 {
			t.Fatalf("baseline %v over %d days, uplift %v", r.Baseline, r.BaselineDays, r.Uplift)
		}
		_ = a2
	})
}
