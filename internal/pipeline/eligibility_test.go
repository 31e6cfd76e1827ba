package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestGroupEligibility: a city partners' group refuses, gives a grace
// period to, or holds for approval a newcomer without a city seat, as
// configured; a city partner joins like anyone.
func TestGroupEligibility(t *testing.T) {
	var mu sync.Mutex
	now := t0.Add(time.Second)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	storetest.Dialects(t, clock, func(t *testing.T, db *store.DB) {
		mu.Lock()
		now = t0.Add(time.Second)
		mu.Unlock()
		in := setup(t, db, pipeline.IngestConfig{Now: clock, Caps: func(string) chat.Capabilities { return chat.AllActions() }})
		ctx := context.Background()
		orgs, _ := db.Orgs(ctx)
		org := orgs[0].ID
		node := community.Node{OrgID: org, Name: "阳新县", Kind: community.NodeRegion}
		if err := db.CreateNode(ctx, &node); err != nil {
			t.Fatal(err)
		}
		city := community.PartnerLevel{OrgID: org, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 10}
		if err := db.CreatePartnerLevel(ctx, &city); err != nil {
			t.Fatal(err)
		}
		seq := 0
		ingest := func(e chat.Event) {
			t.Helper()
			seq++
			e.ID = fmt.Sprint(e.ID, "-", seq)
			e.Time = clock()
			if err := in.Ingest(ctx, []chat.Event{e}); err != nil {
				t.Fatal(err)
			}
		}
		// Everyone says hello in the open group first; u6 is a city partner.
		for _, u := range []string{"u5", "u6", "u7", "u8", "u9", "u10"} {
			ingest(msg("hi", "lobby", u, "大家好"))
		}
		ingest(msg("hi", "partners", "boss", "城市合伙人群"))
		gs, _ := db.Groups(ctx, org)
		var partners community.Group
		for _, g := range gs {
			if g.ExternalID == "partners" {
				partners = g
			}
		}
		if _, err := db.Admit(ctx, city.ID, node.ID, personOf(t, db, "u6")); err != nil {
			t.Fatal(err)
		}
		kinds := func(from int) string {
			acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 1000)
			var ks []string
			for _, a := range acts[from:] {
				k := string(a.Action.Kind)
				if a.Action.User != "" {
					k += ":" + a.Action.User
				}
				ks = append(ks, k)
			}
			return strings.Join(ks, ",")
		}
		outbox := func() int { return count(t, db, "SELECT COUNT(*) FROM outbox") }
		if err := db.SetEligibility(ctx, org, partners.ID, city.ID, "maybe", 0, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("unknown handling: %v", err)
		}
		if err := db.SetEligibility(ctx, org, partners.ID, city.ID, community.EligibilityGrace, 0, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("grace without a period: %v", err)
		}

		// Refuse.
		if err := db.SetEligibility(ctx, org, partners.ID, city.ID, community.EligibilityRefuse, 0, "admin"); err != nil {
			t.Fatal(err)
		}
		n := outbox()
		ingest(member("j", chat.EventMemberJoined, "partners", "u5"))
		if k := kinds(n); k != "kick:u5,send" {
			t.Fatalf("refuse: %s", k)
		}
		n = outbox()
		ingest(member("j", chat.EventMemberJoined, "partners", "u6"))
		if k := kinds(n); strings.Contains(k, "kick") {
			t.Fatalf("a city partner was removed: %s", k)
		}

		// Grace: told now, removed when it is over — unless admitted meanwhile.
		if err := db.SetEligibility(ctx, org, partners.ID, city.ID, community.EligibilityGrace, time.Hour, "admin"); err != nil {
			t.Fatal(err)
		}
		n = outbox()
		ingest(member("j", chat.EventMemberJoined, "partners", "u7"))
		ingest(member("j", chat.EventMemberJoined, "partners", "u8"))
		if k := kinds(n); k != "send,send" {
			t.Fatalf("grace notices: %s", k)
		}
		if _, err := db.Admit(ctx, city.ID, node.ID, personOf(t, db, "u8")); err != nil {
			t.Fatal(err)
		}
		if removed, err := db.EnforceEligibility(ctx); err != nil || removed != 0 {
			t.Fatalf("before the grace period ends: %d %v", removed, err)
		}
		advance(time.Hour + time.Minute)
		n = outbox()
		if removed, err := db.EnforceEligibility(ctx); err != nil || removed != 1 {
			t.Fatalf("after the grace period: %d %v", removed, err)
		}
		if k := kinds(n); k != "kick:u7,send" {
			t.Fatalf("grace removal: %s", k)
		}
		cases, _ := db.EligibilityCases(ctx, org, "")
		statuses := map[string]string{}
		for _, c := range cases {
			statuses[c.Person] = c.Status
		}
		if statuses["用户u7"] != "removed" || statuses["用户u8"] != "qualified" {
			t.Fatalf("cases: %v", statuses)
		}

		// Approve: held for staff.
		if err := db.SetEligibility(ctx, org, partners.ID, city.ID, community.EligibilityApprove, 0, "admin"); err != nil {
			t.Fatal(err)
		}
		ingest(member("j", chat.EventMemberJoined, "partners", "u9"))
		ingest(member("j", chat.EventMemberJoined, "partners", "u10"))
		pending, _ := db.EligibilityCases(ctx, org, "pending")
		if len(pending) != 2 {
			t.Fatalf("pending: %+v", pending)
		}
		n = outbox()
		for _, c := range pending {
			if err := db.DecideEligibility(ctx, org, c.ID, c.Person == "用户u10", "staff:boss"); err != nil {
				t.Fatal(err)
			}
		}
		if k := kinds(n); k != "kick:u9,send" {
			t.Fatalf("rejection: %s", k)
		}
		if err := db.DecideEligibility(ctx, org, pending[0].ID, true, "staff:boss"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("deciding twice: %v", err)
		}
		if err := db.ClearEligibility(ctx, org, partners.ID, "admin"); err != nil {
			t.Fatal(err)
		}
		if e, _ := db.Eligibility(ctx, org, partners.ID); e != nil {
			t.Fatalf("rule after clearing: %+v", e)
		}
	})
}
