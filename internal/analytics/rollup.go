package analytics

import (
	"sort"
	"strings"
	"time"
)

// Start returns the first instant of the day in loc.
func (d Day) Start(loc *time.Location) time.Time {
	t := time.Unix(int64(d)*86400, 0).UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// AnswerWindow is how soon a member's question must be answered to count
// as answered (the health score's responsiveness).
const AnswerWindow = 60 * time.Minute

// Msg is one stored message as the daily rollup sees it.
type Msg struct {
	Group, Person int64
	ID, ReplyTo   string // platform message ids
	Text          string
	At            time.Time
	Staff         bool // sent by staff or a bot: not a member message
}

// DayFigures is one group's figures for one day, computed from its
// messages. Member figures leave staff
// and bots out.
type DayFigures struct {
	Messages       int // all messages
	MemberMessages int
	Communicators  int // distinct member senders
	Questions      int // member questions
	Answered       int // of which answered within AnswerWindow
}

// PersonDay is one member's posting in one group on one day.
type PersonDay struct {
	Group, Person int64
	Messages      int
	Substantive   int // messages of three lines or more
}

// RollupDay aggregates the messages sent in [from, to). msgs are sorted by
// time and may run on to to+AnswerWindow, so that questions asked late in
// the day can be answered after midnight. A question is answered by a reply
// to it from someone else, or by any staff message in the group, within
// the window.
func RollupDay(msgs []Msg, from, to time.Time) (map[int64]*DayFigures, []PersonDay) {
	groups := map[int64]*DayFigures{}
	type pk struct{ g, p int64 }
	people := map[pk]*PersonDay{}
	for i, m := range msgs {
		if m.At.Before(from) || !m.At.Before(to) {
			continue
		}
		gd := groups[m.Group]
		if gd == nil {
			gd = &DayFigures{}
			groups[m.Group] = gd
		}
		gd.Messages++
		if m.Staff {
			continue
		}
		gd.MemberMessages++
		k := pk{m.Group, m.Person}
		pd := people[k]
		if pd == nil {
			pd = &PersonDay{Group: m.Group, Person: m.Person}
			people[k] = pd
			gd.Communicators++
		}
		pd.Messages++
		if Substantive(m.Text) {
			pd.Substantive++
		}
		if IsQuestion(m.Text) {
			gd.Questions++
			if answered(msgs[i+1:], m) {
				gd.Answered++
			}
		}
	}
	out := make([]PersonDay, 0, len(people))
	for _, pd := range people {
		out = append(out, *pd)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Person < out[j].Person
	})
	return groups, out
}

func answered(later []Msg, q Msg) bool {
	until := q.At.Add(AnswerWindow)
	for _, m := range later {
		if m.At.After(until) {
			return false
		}
		if m.Group != q.Group || m.Person == q.Person {
			continue
		}
		if m.Staff || (q.ID != "" && m.ReplyTo == q.ID) {
			return true
		}
	}
	return false
}

// Substantive reports a message of at least three non-empty lines (the
// seed's "三行以上" for a post with substance).
func Substantive(text string) bool {
	n := 0
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) != "" {
			n++
			if n >= 3 {
				return true
			}
		}
	}
	return false
}
