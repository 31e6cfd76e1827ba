// Package analytics defines and computes qunzhu's community metrics: which
// members are active, lurking or zombies, which groups are dormant, dead or
// dying, a group health score, newcomer retention and referral K-factor.
// Definitions are in docs/metrics.md; every function here is pure (the
// caller passes histories and the current time) so each is unit-tested on
// hand-built histories.
//
// Staff (owner, secretary, assistant) and bots are excluded everywhere: the
// caller filters them out before calling.
package analytics

import (
	"math"
	"sort"
	"time"
)

const day = 24 * time.Hour

// Day is a calendar day in the group's time zone, as days since the Unix
// epoch in that zone.
type Day int

// DayOf returns the calendar day of t in loc.
func DayOf(t time.Time, loc *time.Location) Day {
	t = t.In(loc)
	_, off := t.Zone()
	return Day(math.Floor(float64(t.Unix()+int64(off)) / 86400))
}

// Member is one member's history in one group.
type Member struct {
	JoinedAt time.Time
	// ActiveDays are the distinct days the member posted, ascending.
	ActiveDays []Day
	// LastMessage is the time of the member's last message, nil if never.
	LastMessage *time.Time
	// OtherSignal is true when the member showed life without posting
	// (a reaction, a reply to a push, a sign-up): it keeps them from being
	// counted a zombie.
	OtherSignal bool
}

// Status classifies a member's activity.
type Status string

const (
	StatusNew    Status = "new"    // in the group < 14 days and not active
	StatusActive Status = "active" // ≥ 1 message in the last 28 days
	StatusQuiet  Status = "quiet"  // neither active nor lurker yet
	StatusLurker Status = "lurker" // ≥ 14 days in, no message in 84 days (潜水)
	StatusZombie Status = "zombie" // ≥ 30 days in, none ever or none in 90 days, no other signal (僵尸)
)

// Tier grades active members.
type Tier string

const (
	TierNone    Tier = ""
	TierRegular Tier = "regular" // active ≥ 2 days in the last 7
	TierCore    Tier = "core"    // ≥ 7 days in the last 30
	TierLeader  Tier = "leader"  // ≥ 30 days in the last 90
)

// Classify returns a member's status and tier at now (today is the day of
// now in loc).
func Classify(m Member, now time.Time, loc *time.Location) (Status, Tier) {
	in := now.Sub(m.JoinedAt)
	since := func(d time.Duration) bool { return m.LastMessage != nil && now.Sub(*m.LastMessage) < d }
	var st Status
	switch {
	case since(28 * day):
		st = StatusActive
	case in >= 30*day && !m.OtherSignal && !since(90*day):
		st = StatusZombie
	case in >= 14*day && !since(84*day):
		st = StatusLurker
	case in < 14*day:
		st = StatusNew
	default:
		st = StatusQuiet
	}
	if st != StatusActive {
		return st, TierNone
	}
	// Promoted at once, demoted at the monthly review: the tier is the
	// higher of today's and the one held at the start of this month.
	today := DayOf(now, loc)
	local := now.In(loc)
	review := DayOf(time.Date(local.Year(), local.Month(), 1, 0, 0, 0, 0, loc), loc) - 1 // the last day of last month
	return st, higherTier(tierAt(m.ActiveDays, today), tierAt(m.ActiveDays, review))
}

// tierAt grades the active days up to and including day.
func tierAt(days []Day, day Day) Tier {
	count := func(n int) int { // active days within the n days up to day
		c := 0
		for i := len(days) - 1; i >= 0 && days[i] > day-Day(n); i-- {
			if days[i] <= day {
				c++
			}
		}
		return c
	}
	switch {
	case count(90) >= 30:
		return TierLeader
	case count(30) >= 7:
		return TierCore
	case count(7) >= 2:
		return TierRegular
	}
	return TierNone
}

// tierRank orders tiers, lowest first.
var tierRank = map[Tier]int{TierNone: 0, TierRegular: 1, TierCore: 2, TierLeader: 3}

func higherTier(a, b Tier) Tier {
	if tierRank[b] > tierRank[a] {
		return b
	}
	return a
}

// GroupState is a group's condition.
type GroupState string

const (
	GroupHealthy GroupState = "healthy"
	GroupDying   GroupState = "dying"   // communicators halving, or a big group with few talkers
	GroupDormant GroupState = "dormant" // no member message for 14 days
	GroupDead    GroupState = "dead"    // no member message for 30 days (僵尸群)
)

// GroupHistory is what group-level metrics need.
type GroupHistory struct {
	Members int
	// LastMemberMessage is nil when no member ever posted.
	LastMemberMessage *time.Time
	// WeeklyCommunicators are the distinct member senders of each of the
	// last 8 whole weeks, oldest first (fewer when the group is younger).
	WeeklyCommunicators []int
}

// StateOf returns a group's state at now.
func StateOf(g GroupHistory, now time.Time) GroupState {
	switch {
	case g.LastMemberMessage == nil || now.Sub(*g.LastMemberMessage) >= 30*day:
		return GroupDead
	case now.Sub(*g.LastMemberMessage) >= 14*day:
		return GroupDormant
	}
	w := g.WeeklyCommunicators
	if len(w) >= 8 {
		prev := avg(w[len(w)-8 : len(w)-4])
		last := avg(w[len(w)-4:])
		if prev > 0 && last <= prev*0.5 {
			return GroupDying
		}
	}
	if g.Members >= 200 && len(w) > 0 && w[len(w)-1] < 20 {
		return GroupDying
	}
	return GroupHealthy
}

func avg(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

// HealthInput is what the health score is computed from.
type HealthInput struct {
	Members              int
	WeeklyCommunicators  int     // distinct member senders in the last 7 days
	DAU, MAU             float64 // average daily and 30-day distinct member senders
	Questions, Answered  int     // member questions in the last 30 days, answered within 60 min
	Newcomers, Retained7 int     // members who joined 8–37 days ago, of whom still present and active in week 1
	TopShareMembers      int     // fewest members producing half the member messages (30 days)
	Joined, Left         int     // members in and out over the last 30 days
}

// Health is a 0–100 score with its parts, each piecewise linear to its
// target.
type Health struct {
	Score          float64
	Engagement     float64 // out of 25: weekly communicators ÷ members, target 10%
	Stickiness     float64 // out of 15: DAU/MAU, target 20%
	Responsiveness float64 // out of 20: questions answered within 60 min, target 90%
	Retention      float64 // out of 20: newcomers active in week 1, target 40%
	Spread         float64 // out of 10: half the messages from ≥ 3 members
	Growth         float64 // out of 10: net growth ≥ 0 scores 10, losing 10% scores 0
}

// ramp maps x linearly from [lo, hi] onto [0, pts], clamped.
func ramp(x, lo, hi, pts float64) float64 {
	switch {
	case x <= lo:
		return 0
	case x >= hi:
		return pts
	}
	return pts * (x - lo) / (hi - lo)
}

// Score computes the health score.
func Score(in HealthInput) Health {
	var h Health
	if in.Members > 0 {
		h.Engagement = ramp(float64(in.WeeklyCommunicators)/float64(in.Members), 0, 0.10, 25)
	}
	if in.MAU > 0 {
		h.Stickiness = ramp(in.DAU/in.MAU, 0, 0.20, 15)
	}
	if in.Questions > 0 {
		h.Responsiveness = ramp(float64(in.Answered)/float64(in.Questions), 0, 0.90, 20)
	} else {
		h.Responsiveness = 20 // nobody asked: nothing went unanswered
	}
	if in.Newcomers > 0 {
		h.Retention = ramp(float64(in.Retained7)/float64(in.Newcomers), 0, 0.40, 20)
	} else {
		h.Retention = 10 // no newcomers: neutral
	}
	h.Spread = ramp(float64(in.TopShareMembers), 1, 3, 10)
	if in.Members > 0 {
		h.Growth = ramp(float64(in.Joined-in.Left)/float64(in.Members), -0.10, 0, 10)
	}
	h.Score = math.Round((h.Engagement+h.Stickiness+h.Responsiveness+h.Retention+h.Spread+h.Growth)*10) / 10
	return h
}

// TopShare returns the fewest members whose messages make up at least half
// of all messages (counts per member).
func TopShare(counts []int) int {
	total := 0
	for _, c := range counts {
		total += c
	}
	if total == 0 {
		return 0
	}
	s := append([]int(nil), counts...)
	sort.Sort(sort.Reverse(sort.IntSlice(s)))
	acc := 0
	for i, c := range s {
		acc += c
		if 2*acc >= total {
			return i + 1
		}
	}
	return len(s)
}

// Stint is one membership stint, for retention.
type Stint struct {
	JoinedAt time.Time
	LeftAt   *time.Time
	// ActiveDays are the days the member posted during this stint.
	ActiveDays []Day
}

// Retention is newcomer retention at D1, D7 and D30, three ways:
//   - Strict: posted on exactly day N after joining;
//   - Rolling: posted on day N or any later day;
//   - Survival: still in the group N days after joining.
//
// Only stints that joined at least N days before now count for day N.
type Retention struct {
	Cohort                    [3]int // eligible newcomers for D1, D7, D30
	Strict, Rolling, Survival [3]float64
}

// Retain computes retention for the stints at now.
func Retain(stints []Stint, now time.Time, loc *time.Location) Retention {
	var r Retention
	horizons := [3]int{1, 7, 30}
	var strict, rolling, surv [3]int
	today := DayOf(now, loc)
	for _, s := range stints {
		d0 := DayOf(s.JoinedAt, loc)
		for i, n := range horizons {
			if d0+Day(n) > today {
				continue
			}
			r.Cohort[i]++
			if s.LeftAt == nil || s.LeftAt.Sub(s.JoinedAt) >= time.Duration(n)*day {
				surv[i]++
			}
			for _, d := range s.ActiveDays {
				if d == d0+Day(n) {
					strict[i]++
				}
				if d >= d0+Day(n) {
					rolling[i]++
					break
				}
			}
		}
	}
	for i := range horizons {
		if r.Cohort[i] > 0 {
			c := float64(r.Cohort[i])
			r.Strict[i], r.Rolling[i], r.Survival[i] = float64(strict[i])/c, float64(rolling[i])/c, float64(surv[i])/c
		}
	}
	return r
}

// KFactor is the viral coefficient of a campaign: invitations sent per
// inviter times the share that converted into qualified members.
func KFactor(inviters, invitations, qualified int) float64 {
	if inviters == 0 || invitations == 0 {
		return 0
	}
	return float64(invitations) / float64(inviters) * float64(qualified) / float64(invitations)
}
