package analytics

import (
	"slices"
	"testing"
	"time"
)

// TestGroupHealth: on hand-built posting, a group's health reads MAU, DAU,
// weekly communicators and retention from the members' days, names the
// core member who went quiet exactly a week ago, and drops posting that
// fell out of the window.
func TestGroupHealth(t *testing.T) {
	loc := time.UTC
	d := DayOf(time.Date(2026, 11, 30, 12, 0, 0, 0, loc), loc)
	days := func(from, to Day) *Posting {
		p := &Posting{}
		for x := from; x <= to; x++ {
			p.Days, p.Msgs = append(p.Days, x), append(p.Msgs, 2)
		}
		return p
	}
	posting := map[int64]*Posting{
		1: days(d-20, d),                         // active every day for three weeks
		2: days(d-20, d-7),                       // a core member whose last message was 7 days ago
		3: {Days: []Day{d - 70}, Msgs: []int{1}}, // outside the window
		4: {Days: []Day{d - 3}, Msgs: []int{1}},  // a newcomer who posted in their first week
	}
	hist := make([]HealthDay, 30)
	for i := range hist {
		hist[i] = HealthDay{Day: d - 29 + Day(i), Members: 10}
	}
	hist[29].Questions, hist[29].Answered = 4, 3
	h, state, quiet := GroupHealth(GroupDayInput{Day: d, Created: (d - 200).Start(loc), Loc: loc, History: hist, Posting: posting,
		Newcomers: []Newcomer{{Person: 4, JoinDay: d - 9, Stayed7: true}, {Person: 5, JoinDay: d - 9, Stayed7: true}}, LastPosted: d, Posted: true})
	if !slices.Equal(quiet, []int64{2}) {
		t.Errorf("quiet core members = %v, want [2]", quiet)
	}
	if _, ok := posting[3]; ok {
		t.Error("posting outside the window was kept")
	}
	if state != GroupHealthy {
		t.Errorf("state = %s, want healthy", state)
	}
	// Two of ten members posted this week (1 and 4): engagement 20% → 25 points.
	// Half the newcomers were active in week 1: retention 50% → 20 points.
	if h.Engagement != 25 || h.Retention != 20 {
		t.Errorf("engagement %v, retention %v; want 25 and 20", h.Engagement, h.Retention)
	}
	// MAU 3 (1, 2, 4); DAU (21 + 14 + 1)/30.
	if want := ramp(36.0/30/3, 0, 0.20, 15); h.Stickiness != want {
		t.Errorf("stickiness = %v, want %v", h.Stickiness, want)
	}

	// A group silent since it was created is dead 30 days after that.
	_, state, _ = GroupHealth(GroupDayInput{Day: d, Created: (d - 31).Start(loc), Loc: loc, History: hist, Posting: map[int64]*Posting{}})
	if state != GroupDead {
		t.Errorf("a group silent for 31 days since it was created: %s, want dead", state)
	}
}
