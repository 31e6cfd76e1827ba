package content

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

func TestSlotSetValidate(t *testing.T) {
	if err := DefaultSlotSet().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for _, bad := range []SlotSet{
		{},
		{Slots: []Slot{{"早高峰", community.Clock{Hour: 7, Minute: 0}}, {"早高峰", community.Clock{Hour: 8, Minute: 0}}}},
		{Slots: []Slot{{"a", community.Clock{Hour: 7, Minute: 0}}, {"b", community.Clock{Hour: 7, Minute: 0}}}},
		{Slots: []Slot{{"with space", community.Clock{Hour: 7, Minute: 0}}}},
		{Slots: []Slot{{"a", community.Clock{Hour: 24, Minute: 0}}}},
		{Zone: "Mars/Olympus", Slots: []Slot{{"a", community.Clock{Hour: 7, Minute: 0}}}},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
	s := SlotSet{Slots: []Slot{{"早高峰", community.Clock{Hour: 7, Minute: 0}}, {"late", community.Clock{Hour: 22, Minute: 0}}}}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if sl, ok := s.Find("late"); !ok || sl.At != (community.Clock{Hour: 22, Minute: 0}) {
		t.Fatalf("find late = %v %v", sl, ok)
	}
	if _, ok := s.Find("noon"); ok || s.Names() != "早高峰, late" {
		t.Fatalf("noon found in %s", s.Names())
	}
	if w, err := community.ParseWindow("06:30-23:30"); err != nil || w != (community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}) || w.String() != "06:30-23:30" {
		t.Fatalf("window %v %v", w, err)
	}
}

func TestCadenceOccurrences(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	at := community.Clock{Hour: 7, Minute: 30}
	from := time.Date(2026, 11, 25, 8, 0, 0, 0, cst) // a Wednesday, after 07:30
	to := from.Add(7 * 24 * time.Hour)
	fmtAll := func(ts []time.Time) string {
		var s []string
		for _, t := range ts {
			s = append(s, t.In(cst).Format("01-02 15:04"))
		}
		return strings.Join(s, " ")
	}
	daily := Cadence{Kind: Daily}
	if got := fmtAll(daily.Occurrences(at, cst, time.Time{}, from, from.Add(48*time.Hour))); got != "11-26 07:30 11-27 07:30" {
		t.Fatalf("daily = %s", got)
	}
	weekly := Cadence{Kind: Weekly, Weekday: time.Monday}
	if got := fmtAll(weekly.Occurrences(at, cst, time.Time{}, from, to)); got != "11-30 07:30" {
		t.Fatalf("weekly = %s", got)
	}
	created := time.Date(2026, 11, 23, 22, 0, 0, 0, cst)
	if got := fmtAll((Cadence{Kind: GroupDay, Day: 3}).Occurrences(at, cst, created, from, to)); got != "11-26 07:30" {
		t.Fatalf("group day 3 = %s", got)
	}
	if got := (Cadence{Kind: GroupDay, Day: 1}).Occurrences(at, cst, created, from, to); len(got) != 0 {
		t.Fatalf("group day 1 is past: %v", got)
	}
	// A member who joined late at night (CST) is followed up on the third
	// calendar day in CST, even though it was another day in UTC.
	joined := time.Date(2026, 11, 25, 23, 50, 0, 0, cst)
	if got := (Cadence{Kind: MemberDay, Day: 3}).MemberOccurrence(community.Clock{Hour: 20, Minute: 30}, cst, joined); got.In(cst).Format("01-02 15:04") != "11-28 20:30" {
		t.Fatalf("member day 3 = %v", got)
	}
	for _, bad := range []Cadence{
		{ScriptID: 1, Slot: "morning", Kind: Daily},
		{ScriptID: 1, Slot: "morning", Kind: "hourly", Select: Selector{Kind: "cohort"}},
		{ScriptID: 1, Slot: "morning", Kind: MemberDay, Select: Selector{Kind: "cohort"}},
		{ScriptID: 1, Slot: "morning", Kind: Weekly, Weekday: 7, Select: Selector{Kind: "cohort"}},
		{Slot: "morning", Kind: Daily, Select: Selector{Kind: "cohort"}},
	} {
		if bad.Validate() == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}
