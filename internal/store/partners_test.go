package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func people(t *testing.T, db *store.DB, org int64, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		p := community.Person{OrgID: org, Name: fmt.Sprintf("合伙人%d", i)}
		if err := db.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		ids[i] = p.ID
	}
	return ids
}

func TestPartnerSeats(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		entity := nodes[0].ID
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 3}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		bad := community.PartnerLevel{OrgID: org.ID, Slug: "x", Name: "x", Cap: 0}
		if err := db.CreatePartnerLevel(ctx, &bad); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("cap 0: %v", err)
		}
		ps := people(t, db, org.ID, 6)
		var got []string
		for _, p := range ps[:5] {
			a, err := db.Admit(ctx, lvl.ID, entity, p)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%v/%d/%v/%d", a.Admitted, a.Seat.Number, a.Waitlisted, a.Position))
		}
		want := "[true/1/false/0 true/2/false/0 true/3/false/0 false/0/true/1 false/0/true/2]"
		if fmt.Sprint(got) != want {
			t.Fatalf("admissions %v, want %v", got, want)
		}
		if _, err := db.Admit(ctx, lvl.ID, entity, ps[0]); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("second seat for the same person: %v, want conflict", err)
		}
		if err := db.SetPartnerCap(ctx, lvl.ID, 2); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("cap below seats taken: %v, want conflict", err)
		}
		seats, _ := db.Seats(ctx, lvl.ID, entity)
		if err := db.ReleaseSeat(ctx, seats[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := db.ReleaseSeat(ctx, seats[1].ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("release twice: %v", err)
		}
		// The waitlist moved up: the first waiting took the next seat —
		// seat numbers are not reused by default, so 4.
		seats, _ = db.Seats(ctx, lvl.ID, entity)
		if len(seats) != 3 || seats[2].PersonID != ps[3] || seats[2].Number != 4 {
			t.Fatalf("after a release: %+v; want %d in seat 4", seats, ps[3])
		}
		if a, err := db.Admit(ctx, lvl.ID, entity, ps[5]); err != nil || !a.Waitlisted || a.Position != 2 {
			t.Fatalf("the next after the move up: %+v, %v; want second on the waitlist", a, err)
		}
		if err := db.SetPartnerCap(ctx, lvl.ID, 10); err != nil {
			t.Fatal(err)
		}
		// The higher cap moved everyone waiting into seats 5 and 6.
		if seats, _ = db.Seats(ctx, lvl.ID, entity); len(seats) != 5 || seats[3].PersonID != ps[4] || seats[4].PersonID != ps[5] || seats[4].Number != 6 {
			t.Fatalf("after raising the cap: %+v", seats)
		}
	})
}

func TestPartnerLastSeatRace(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		nodes, _ := db.Nodes(ctx, org.ID)
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "单店合伙人", Rank: 1, Cap: 5}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		ps := people(t, db, org.ID, 12)
		for _, p := range ps[:4] {
			if _, err := db.Admit(ctx, lvl.ID, nodes[0].ID, p); err != nil {
				t.Fatal(err)
			}
		}
		// Eight people race for the last seat.
		var wg sync.WaitGroup
		var mu sync.Mutex
		won, waiting := 0, 0
		for _, p := range ps[4:] {
			wg.Add(1)
			go func(p int64) {
				defer wg.Done()
				a, err := db.Admit(ctx, lvl.ID, nodes[0].ID, p)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case a.Admitted:
					won++
				case a.Waitlisted:
					waiting++
				}
			}(p)
		}
		wg.Wait()
		if won != 1 || waiting != 7 {
			t.Fatalf("%d won the last seat and %d were waitlisted; want exactly 1 and 7", won, waiting)
		}
		seats, _ := db.Seats(ctx, lvl.ID, nodes[0].ID)
		if len(seats) != 5 || seats[4].Number != 5 {
			t.Fatalf("seats = %+v", seats)
		}
	})
}

func TestPartnerTiers(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		own := []community.TierBand{{From: 1, To: 3, Slug: "founding", Name: "创始"}, {From: 4, To: 10, Slug: "member", Name: "成员"}}
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "store", Name: "单店合伙人", Rank: 1, Cap: 10, Tiers: own}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		bad := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市", Rank: 2, Cap: 20, Tiers: own} // bands end at 10
		if err := db.CreatePartnerLevel(ctx, &bad); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("bands short of the cap: %v", err)
		}
		ls, err := db.PartnerLevels(ctx, org.ID)
		if err != nil || len(ls) != 1 || len(ls[0].Tiers) != 2 || ls[0].Tiers[1].Name != "成员" {
			t.Fatalf("levels: %+v %v", ls, err)
		}
		// A cap beyond the bands is refused until the bands grow.
		if err := db.SetPartnerCap(ctx, lvl.ID, 15); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("cap beyond the bands: %v", err)
		}
		wider := []community.TierBand{{From: 1, To: 3, Slug: "founding", Name: "创始"}, {From: 4, To: 15, Slug: "member", Name: "成员"}}
		if err := db.SetPartnerTiers(ctx, org.ID, lvl.ID, wider, "admin"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPartnerCap(ctx, lvl.ID, 15); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPartnerTiers(ctx, org.ID, lvl.ID, own, "admin"); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("bands short of the new cap: %v", err)
		}
		if err := db.SetPartnerTiers(ctx, org.ID, 9999, wider, "admin"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("unknown level: %v", err)
		}
		// Back to the seed's bands.
		if err := db.SetPartnerTiers(ctx, org.ID, lvl.ID, nil, "admin"); err != nil {
			t.Fatal(err)
		}
		ls, _ = db.PartnerLevels(ctx, org.ID)
		if ls[0].Tiers != nil || ls[0].Bands()[0].Slug != "founding" {
			t.Fatalf("after reset: %+v", ls[0])
		}
	})
}

// TestPartnerBoard: open seats with their holders by level and entity,
// a released seat left out, waitlist counts.
func TestPartnerBoard(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		lvl := community.PartnerLevel{OrgID: org.ID, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 2}
		if err := db.CreatePartnerLevel(ctx, &lvl); err != nil {
			t.Fatal(err)
		}
		ps := people(t, db, org.ID, 4)
		for _, p := range ps {
			if _, err := db.Admit(ctx, lvl.ID, g.NodeID, p); err != nil {
				t.Fatal(err)
			}
		}
		b, err := db.PartnerBoard(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Levels) != 1 || len(b.Seats) != 2 || b.Seats[0].Number != 1 || b.Seats[0].Person != "合伙人0" || b.Seats[1].Person != "合伙人1" || b.Waiting[[2]int64{lvl.ID, g.NodeID}] != 2 {
			t.Fatalf("board %+v", b)
		}
		if err := db.ReleaseSeat(ctx, b.Seats[0].ID); err != nil {
			t.Fatal(err)
		}
		// The first of the two waiting moved up into seat 3.
		if b, _ := db.PartnerBoard(ctx, org.ID); len(b.Seats) != 2 || b.Seats[0].Number != 2 || b.Seats[1].Number != 3 || b.Seats[1].Person != "合伙人2" || b.Waiting[[2]int64{lvl.ID, g.NodeID}] != 1 {
			t.Fatalf("after a release %+v, waiting %v", b.Seats, b.Waiting)
		}
		if b, _ := db.PartnerBoard(ctx, org.ID+1000); len(b.Seats) != 0 || len(b.Levels) != 0 {
			t.Fatalf("another organisation's board %+v", b)
		}
	})
}
