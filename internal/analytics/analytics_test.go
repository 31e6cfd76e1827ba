package analytics

import (
	"math"
	"testing"
	"time"
)

var (
	shanghai = time.FixedZone("CST", 8*3600)
	now      = time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai)
)

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

// days returns the active days n, n-1, … days before today.
func days(before ...int) []Day {
	today := DayOf(now, shanghai)
	out := make([]Day, len(before))
	for i, b := range before {
		out[len(before)-1-i] = today - Day(b)
	}
	return out
}

func TestDayOfTimeZones(t *testing.T) {
	// 23:30 UTC on the 24th is already the 25th in Shanghai.
	late := time.Date(2026, 11, 24, 23, 30, 0, 0, time.UTC)
	if DayOf(late, shanghai) != DayOf(time.Date(2026, 11, 25, 0, 0, 0, 0, shanghai), shanghai) {
		t.Error("UTC evening not mapped to the next Shanghai day")
	}
	if DayOf(late, time.UTC) == DayOf(late, shanghai) {
		t.Error("the same instant must fall on different days in UTC and +08:00")
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name   string
		m      Member
		status Status
		tier   Tier
	}{
		{"newcomer silent", Member{JoinedAt: now.Add(-3 * day)}, StatusNew, TierNone},
		{"active once", Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(27 * day), ActiveDays: days(27)}, StatusActive, TierNone},
		{"regular", Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(5, 0)}, StatusActive, TierRegular},
		{"core", Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(29, 25, 20, 15, 10, 5, 0)}, StatusActive, TierCore},
		{"six days in 30 is not core", Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(23, 19, 15, 11, 8, 0)}, StatusActive, TierNone},
		// Core in October (7 days up to the 31st), quieter in November:
		// still core until the review at the end of November.
		{"kept until the monthly review", Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(35, 34, 33, 32, 31, 30, 29, 0)}, StatusActive, TierCore},
		{"lurker", Member{JoinedAt: now.Add(-20 * day)}, StatusLurker, TierNone},
		{"zombie never spoke", Member{JoinedAt: now.Add(-31 * day)}, StatusZombie, TierNone},
		{"zombie with a signal is a lurker", Member{JoinedAt: now.Add(-31 * day), OtherSignal: true}, StatusLurker, TierNone},
		{"spoke 85 days ago: lurker", Member{JoinedAt: now.Add(-200 * day), LastMessage: ago(85 * day)}, StatusLurker, TierNone},
		{"spoke 91 days ago: zombie", Member{JoinedAt: now.Add(-200 * day), LastMessage: ago(91 * day)}, StatusZombie, TierNone},
		{"spoke 40 days ago, 200 days in: quiet", Member{JoinedAt: now.Add(-200 * day), LastMessage: ago(40 * day)}, StatusQuiet, TierNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, tier := Classify(tt.m, now, shanghai)
			if s != tt.status || tier != tt.tier {
				t.Fatalf("Classify = %s/%q, want %s/%q", s, tier, tt.status, tt.tier)
			}
		})
	}
	// At the next review (December) the same member has lost the tier.
	dec := time.Date(2026, 12, 2, 10, 0, 0, 0, shanghai)
	if st, tier := Classify(Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(35, 34, 33, 32, 31, 30, 29, 0)}, dec, shanghai); st != StatusActive || tier != TierNone {
		t.Fatalf("after the December review: %s/%q, want active without a tier", st, tier)
	}
	leader := make([]int, 30)
	for i := range leader {
		leader[i] = i * 3
	}
	if _, tier := Classify(Member{JoinedAt: now.Add(-100 * day), LastMessage: ago(time.Hour), ActiveDays: days(leader...)}, now, shanghai); tier != TierLeader {
		t.Fatalf("30 active days in 90: tier %q, want leader", tier)
	}
}

func TestStateOf(t *testing.T) {
	tests := []struct {
		name string
		g    GroupHistory
		want GroupState
	}{
		{"never spoke", GroupHistory{Members: 10}, GroupDead},
		{"30 days silent", GroupHistory{Members: 10, LastMemberMessage: ago(30 * day)}, GroupDead},
		{"14 days silent", GroupHistory{Members: 10, LastMemberMessage: ago(14 * day)}, GroupDormant},
		{"halving", GroupHistory{Members: 50, LastMemberMessage: ago(day), WeeklyCommunicators: []int{20, 20, 20, 20, 10, 10, 10, 10}}, GroupDying},
		{"down 40% is fine", GroupHistory{Members: 50, LastMemberMessage: ago(day), WeeklyCommunicators: []int{20, 20, 20, 20, 12, 12, 12, 12}}, GroupHealthy},
		{"big and quiet", GroupHistory{Members: 480, LastMemberMessage: ago(day), WeeklyCommunicators: []int{19}}, GroupDying},
		{"big and talking", GroupHistory{Members: 480, LastMemberMessage: ago(day), WeeklyCommunicators: []int{60}}, GroupHealthy},
	}
	for _, tt := range tests {
		if got := StateOf(tt.g, now); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestScore(t *testing.T) {
	perfect := Score(HealthInput{Members: 100, WeeklyCommunicators: 10, DAU: 2, MAU: 10, Questions: 10, Answered: 9, Newcomers: 10, Retained7: 4, TopShareMembers: 3, Joined: 5, Left: 2})
	if perfect.Score != 100 {
		t.Fatalf("perfect group scores %v: %+v", perfect.Score, perfect)
	}
	half := Score(HealthInput{Members: 100, WeeklyCommunicators: 5, DAU: 1, MAU: 10, Questions: 10, Answered: 0, Newcomers: 10, Retained7: 2, TopShareMembers: 2, Joined: 0, Left: 5})
	want := Health{Engagement: 12.5, Stickiness: 7.5, Responsiveness: 0, Retention: 10, Spread: 5, Growth: 5, Score: 40}
	if half != want {
		t.Fatalf("Score = %+v, want %+v", half, want)
	}
	if z := Score(HealthInput{}); z.Score != 30 || z.Responsiveness != 20 || z.Retention != 10 {
		t.Fatalf("empty group: %+v (nobody asked: full responsiveness; no newcomers: neutral retention)", z)
	}
}

func TestTopShare(t *testing.T) {
	tests := []struct {
		counts []int
		want   int
	}{{nil, 0}, {[]int{10}, 1}, {[]int{1, 1, 1, 1}, 2}, {[]int{90, 5, 5}, 1}, {[]int{30, 30, 20, 20}, 2}}
	for _, tt := range tests {
		if got := TopShare(tt.counts); got != tt.want {
			t.Errorf("TopShare(%v) = %d, want %d", tt.counts, got, tt.want)
		}
	}
}

func TestRetain(t *testing.T) {
	j := now.Add(-40 * day)
	d0 := DayOf(j, shanghai)
	left := j.Add(3 * day)
	stints := []Stint{
		{JoinedAt: j, ActiveDays: []Day{d0 + 1, d0 + 7, d0 + 30}},              // strict everywhere
		{JoinedAt: j, ActiveDays: []Day{d0 + 2}},                               // rolling D1 only
		{JoinedAt: j, LeftAt: &left, ActiveDays: []Day{d0}},                    // left on day 3
		{JoinedAt: now.Add(-3 * day), ActiveDays: []Day{DayOf(now, shanghai)}}, // only eligible for D1
	}
	r := Retain(stints, now, shanghai)
	if r.Cohort != [3]int{4, 3, 3} {
		t.Fatalf("cohorts = %v, want [4 3 3]", r.Cohort)
	}
	eq := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	checks := []struct {
		name      string
		got, want float64
	}{
		{"strict D1", r.Strict[0], 1.0 / 4}, {"rolling D1", r.Rolling[0], 3.0 / 4}, {"survival D1", r.Survival[0], 1},
		{"strict D7", r.Strict[1], 1.0 / 3}, {"rolling D7", r.Rolling[1], 1.0 / 3}, {"survival D7", r.Survival[1], 2.0 / 3},
		{"strict D30", r.Strict[2], 1.0 / 3}, {"survival D30", r.Survival[2], 2.0 / 3},
	}
	for _, c := range checks {
		if !eq(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestKFactor(t *testing.T) {
	if k := KFactor(10, 50, 15); k != 1.5 {
		t.Fatalf("K = %v, want 1.5", k)
	}
	if KFactor(0, 0, 0) != 0 {
		t.Fatal("no inviters: K must be 0")
	}
}
