package analytics

import (
	"math/bits"
	"sort"
	"time"
)

// A group's health on one day, from its rolled-up days and its members'
// posting (docs/metrics.md): the score, the state, and the core members
// who went quiet that day. The daily rollup carries the inputs forward
// from day to day and stores the results.

// HealthWindow is how many days of members' posting a day's health needs:
// eight whole weeks, for the dying test.
const HealthWindow = 56

// Posting is one member's posting in a group: the days they posted within
// the window, oldest first, with their messages on each.
type Posting struct {
	Days []Day
	Msgs []int
}

// HealthDay is one of a group's rolled-up days as the health score sums
// it, with the state the day was given.
type HealthDay struct {
	Day                                         Day
	Questions, Answered, Joins, Leaves, Members int
	State                                       GroupState
}

// Newcomer is a member (not staff) who joined 8–37 days before the day
// scored: the retention part of the score.
type Newcomer struct {
	Person  int64
	JoinDay Day
	Stayed7 bool // still in the group a week after joining
}

// GroupDayInput is what a group's health on a day is computed from.
type GroupDayInput struct {
	Day     Day
	Created time.Time // when the group was created
	Loc     *time.Location
	// History is the group's last 30 rolled-up days, oldest first, the day
	// scored last.
	History []HealthDay
	// Posting is each member's posting in the group, by person. Days that
	// fell out of the window are dropped from it as it is read (members
	// with none left are deleted), so a caller carrying it forward from
	// day to day keeps it small.
	Posting   map[int64]*Posting
	Newcomers []Newcomer
	// LastPosted is the last day a member posted (Posted false: never).
	LastPosted Day
	Posted     bool
}

// GroupHealth scores a group on a day and returns its state and the core
// members gone quiet that day (active on ≥ 7 of the 30 days before, their
// last message exactly 7 days ago), in person order. Each member's
// posting is read as a bit mask, bit i for day Day-i.
func GroupHealth(in GroupDayInput) (Health, GroupState, []int64) {
	d, hist := in.Day, in.History
	hi := HealthInput{Members: hist[len(hist)-1].Members}
	for _, f := range hist {
		hi.Questions += f.Questions
		hi.Answered += f.Answered
		hi.Joined += f.Joins
		hi.Left += f.Leaves
	}
	masks := make(map[int64]uint64, len(in.Posting))
	var perPerson []int
	var quiet []int64
	mau, dau := 0, 0
	const month, week = 1<<30 - 1, 1<<7 - 1
	for p, pd := range in.Posting {
		drop := 0
		for drop < len(pd.Days) && pd.Days[drop] <= d-HealthWindow {
			drop++
		}
		if drop == len(pd.Days) {
			delete(in.Posting, p)
			continue
		}
		pd.Days, pd.Msgs = pd.Days[drop:], pd.Msgs[drop:]
		var mask uint64
		total := 0
		for i, day := range pd.Days {
			if day > d {
				break
			}
			mask |= 1 << (d - day)
			if day > d-30 {
				total += pd.Msgs[i]
			}
		}
		masks[p] = mask
		if mask&month != 0 {
			mau++
			dau += bits.OnesCount64(mask & month)
		}
		if total > 0 {
			perPerson = append(perPerson, total)
		}
		if mask&week != 0 {
			hi.WeeklyCommunicators++
		}
		if mask&(1<<8-1) == 1<<7 && bits.OnesCount64(mask&((1<<37-1)&^week)) >= 7 {
			quiet = append(quiet, p)
		}
	}
	hi.MAU = float64(mau)
	hi.DAU = float64(dau) / 30
	hi.TopShareMembers = TopShare(perPerson)
	for _, nc := range in.Newcomers {
		hi.Newcomers++
		if nc.Stayed7 && postedIn(masks[nc.Person], d, nc.JoinDay, nc.JoinDay+6) {
			hi.Retained7++
		}
	}
	h := Score(hi)

	gh := GroupHistory{Members: hi.Members}
	if in.Posted {
		end := (in.LastPosted + 1).Start(in.Loc).Add(-time.Millisecond)
		gh.LastMemberMessage = &end
	} else {
		// Silent since it was created: dead only 30 days after that.
		created := in.Created
		gh.LastMemberMessage = &created
	}
	created := DayOf(in.Created, in.Loc)
	for w := 7; w >= 0; w-- { // oldest week first
		last, first := d-Day(7*w), d-Day(7*w)-6
		if first < created {
			continue // the group did not exist for that whole week
		}
		n := 0
		for _, m := range masks {
			if postedIn(m, d, first, last) {
				n++
			}
		}
		gh.WeeklyCommunicators = append(gh.WeeklyCommunicators, n)
	}
	sort.Slice(quiet, func(i, j int) bool { return quiet[i] < quiet[j] })
	return h, StateOf(gh, (d + 1).Start(in.Loc)), quiet
}

// postedIn reports a bit of mask (bit i for day d-i) set for a day in
// lo..hi.
func postedIn(mask uint64, d, lo, hi Day) bool {
	a, b := max(d-hi, 0), d-lo // the bits of hi and lo
	if b < a || a >= HealthWindow {
		return false
	}
	b = min(b, HealthWindow-1)
	return mask&((1<<(b+1)-1)&^(1<<a-1)) != 0
}
