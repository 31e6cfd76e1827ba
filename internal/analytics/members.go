package analytics

import (
	"slices"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Members across groups (docs/metrics.md, "One member, several groups" and
// "Churn"): who sits in more than one group of a family of groups (the
// groups one template step made — the cohorts of a year, the groups of a
// topic) or in many groups overall, which group each would stay in; who
// left, whether they were active, how long they had been in; and who
// should take over a departed staff member's groups.

// Seat is one open membership of a member (not staff), as the duplicate
// finder reads it.
type Seat struct {
	Person    int64     `json:"person_id"`
	Name      string    `json:"name"`
	Group     int64     `json:"group_id"`
	GroupName string    `json:"group"`
	Family    int64     `json:"family_id,omitempty"` // 0: the group belongs to no family
	JoinedAt  time.Time `json:"joined_at"`
	Messages  int       `json:"messages_30d"` // member messages over the last 30 days
}

// KeepRule chooses the group a duplicate member stays in.
type KeepRule string

const (
	KeepEarliest KeepRule = "earliest" // the group they joined first
	KeepActive   KeepRule = "active"   // the group they posted most in over 30 days (then the earliest)
)

// Valid reports a known rule.
func (r KeepRule) Valid() bool { return r == KeepEarliest || r == KeepActive }

// Keep picks the seat to keep among seats (not empty) by the rule; ties go
// to the earlier joined, then the lower group id.
func (r KeepRule) Keep(seats []Seat) Seat {
	best := seats[0]
	for _, s := range seats[1:] {
		switch {
		case r == KeepActive && s.Messages != best.Messages:
			if s.Messages > best.Messages {
				best = s
			}
		case !s.JoinedAt.Equal(best.JoinedAt):
			if s.JoinedAt.Before(best.JoinedAt) {
				best = s
			}
		case s.Group < best.Group:
			best = s
		}
	}
	return best
}

// FamilySeats are a member's groups of one family, and the one kept.
type FamilySeats struct {
	Family int64  `json:"family_id"`
	Seats  []Seat `json:"seats"` // by join time
	Keep   int64  `json:"keep_group_id"`
}

// Duplicate is a member in more than one group of a family, or in more
// groups than the organisation's threshold.
type Duplicate struct {
	Person   int64         `json:"person_id"`
	Name     string        `json:"name"`
	Seats    []Seat        `json:"seats"` // every group they are in, by join time
	Families []FamilySeats `json:"families"`
	Overall  bool          `json:"overall"` // in more than the threshold's groups
}

// Remove lists the groups the member would be removed from: in each
// family, every group but the kept one.
func (d Duplicate) Remove() []Seat {
	var out []Seat
	for _, f := range d.Families {
		for _, s := range f.Seats {
			if s.Group != f.Keep {
				out = append(out, s)
			}
		}
	}
	return out
}

// FindDuplicates lists the members in two groups or more of a family, or
// in more than overall groups (0: that test is off), with the group each
// family's seats keep by the rule; by name, then person.
func FindDuplicates(seats []Seat, overall int, rule KeepRule) []Duplicate {
	byPerson := map[int64][]Seat{}
	for _, s := range seats {
		byPerson[s.Person] = append(byPerson[s.Person], s)
	}
	var out []Duplicate
	for p, ss := range byPerson {
		sort.Slice(ss, func(i, j int) bool {
			if !ss[i].JoinedAt.Equal(ss[j].JoinedAt) {
				return ss[i].JoinedAt.Before(ss[j].JoinedAt)
			}
			return ss[i].Group < ss[j].Group
		})
		d := Duplicate{Person: p, Name: ss[0].Name, Seats: ss, Overall: overall > 0 && len(ss) > overall}
		byFamily := map[int64][]Seat{}
		var fams []int64
		for _, s := range ss {
			if s.Family == 0 {
				continue
			}
			if byFamily[s.Family] == nil {
				fams = append(fams, s.Family)
			}
			byFamily[s.Family] = append(byFamily[s.Family], s)
		}
		slices.Sort(fams)
		for _, f := range fams {
			if fs := byFamily[f]; len(fs) > 1 {
				d.Families = append(d.Families, FamilySeats{Family: f, Seats: fs, Keep: rule.Keep(fs).Group})
			}
		}
		if len(d.Families) > 0 || d.Overall {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Person < out[j].Person
	})
	return out
}

// Leave is a membership that ended: who, where, when, how, and the
// member's posting before it.
type Leave struct {
	PersonID    int64
	Name        string
	GroupID     int64
	Group       string
	Role        community.Role // their role in the group when they left
	Removed     bool           // removed by staff or the rules; else left
	JoinedAt    time.Time
	LeftAt      time.Time
	LastMessage *time.Time // their last message in the group, nil if none
	// ActiveDays are the days they posted in the group in the 30 days up
	// to the day they left (the rollups' member_days), ascending.
	ActiveDays []Day
}

// Tenure is how long the member was in the group.
func (l Leave) Tenure() time.Duration { return l.LeftAt.Sub(l.JoinedAt) }

// FormerlyActive reports a member who was a regular or better on the day
// they left (active on 2 of the last 7 days, or 7 of the last 30: the
// tiers of docs/metrics.md): a loss worth an alert.
func (l Leave) FormerlyActive(loc *time.Location) bool {
	return tierAt(l.ActiveDays, DayOf(l.LeftAt, loc)) != TierNone
}

// StaffLeft reports a departed staff member (群主, 秘书长 or 店小二).
func (l Leave) StaffLeft() bool { return l.Role.Staff() }

// Candidate is a group's staff member who could take over as 群主.
type Candidate struct {
	PersonID int64          `json:"person_id"`
	Name     string         `json:"name"`
	Role     community.Role `json:"role"`
	Messages int            `json:"messages_30d"` // messages in the group over 30 days
}

// Successor suggests who takes over a group from a staff member who
// left: of its current secretaries and assistants (not the one who left),
// the one who posted most in it over 30 days; a secretary before an
// assistant on a tie, then the lower person id. ok is false when the group
// has none.
func Successor(cands []Candidate, leaving int64) (Candidate, bool) {
	var best Candidate
	ok := false
	rank := map[community.Role]int{community.RoleSecretary: 2, community.RoleAssistant: 1}
	for _, c := range cands {
		if c.PersonID == leaving || rank[c.Role] == 0 {
			continue
		}
		switch {
		case !ok:
		case c.Messages != best.Messages:
			if c.Messages < best.Messages {
				continue
			}
		case rank[c.Role] != rank[best.Role]:
			if rank[c.Role] < rank[best.Role] {
				continue
			}
		case c.PersonID > best.PersonID:
			continue
		}
		best, ok = c, true
	}
	return best, ok
}
