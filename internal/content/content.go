// Package content is the script library (剧本库) and its push schedule:
// anyone may contribute a script; editors, reviewers and publishers move it
// through review; campaigns push approved scripts to selected groups at the
// morning, noon and evening peaks (早、中、晚高峰) without ever bombarding a
// group (炮弹省着用): per-group daily caps, a minimum gap and quiet hours are
// never violated, and what does not fit is deferred with its reason.
package content

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Status is where a script is in the workflow.
type Status string

const (
	Draft     Status = "draft"
	Submitted Status = "submitted"
	InReview  Status = "in_review"
	Approved  Status = "approved"
	Rejected  Status = "rejected"
	Scheduled Status = "scheduled"
	Published Status = "published"
)

// Role is an operations-centre role (the seed's 运营中心: 编辑、排版、审核、推送).
type Role string

const (
	Contributor Role = "contributor" // any member
	Editor      Role = "editor"
	Reviewer    Role = "reviewer"
	Publisher   Role = "publisher"
)

// transitions lists who may move a script from one status to another.
var transitions = map[Status]map[Status][]Role{
	Draft:     {Submitted: {Contributor, Editor}},
	Submitted: {InReview: {Reviewer}, Draft: {Contributor, Editor}},
	InReview:  {Approved: {Reviewer}, Rejected: {Reviewer}},
	Rejected:  {Draft: {Contributor, Editor}},
	Approved:  {Scheduled: {Publisher}, Draft: {Editor}},
	Scheduled: {Published: {Publisher}, Approved: {Publisher}},
}

// Transition checks that role may move a script from one status to
// another. Rejection needs a reason.
func Transition(from, to Status, role Role, reason string) error {
	roles, ok := transitions[from][to]
	if !ok {
		return fmt.Errorf("a script cannot go from %s to %s", from, to)
	}
	if !slices.Contains(roles, role) {
		return fmt.Errorf("a %s cannot move a script from %s to %s (needs %s)", role, from, to, joinRoles(roles))
	}
	if to == Rejected && strings.TrimSpace(reason) == "" {
		return fmt.Errorf("a rejection needs a reason")
	}
	return nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, " or ")
}

// Slot is a named push time of day.
type Slot struct {
	Name string // morning, noon, evening
	At   community.Clock
}

// DefaultSlots are the peaks: 07:30, 12:00, 20:30 in the group's zone.
func DefaultSlots() []Slot {
	return []Slot{{"morning", community.Clock{Hour: 7, Minute: 30}}, {"noon", community.Clock{Hour: 12}}, {"evening", community.Clock{Hour: 20, Minute: 30}}}
}

// Caps limit pushes to one group.
type Caps struct {
	PerDay int           // ≤ 3 by default
	MinGap time.Duration // ≥ 2 h by default
}

// DefaultCaps are 3 pushes a day at least 2 hours apart.
func DefaultCaps() Caps { return Caps{PerDay: 3, MinGap: 2 * time.Hour} }

// Plan is the outcome of fitting a push into a group's schedule.
type Plan struct {
	At       time.Time // when to push
	Deferred bool      // not at the requested time
	Reason   string    // why it was deferred
}

// Fit finds the earliest time at or after want when a push to a group
// respects the caps and the posting window, given the group's already
// scheduled or sent pushes. It looks ahead up to horizon and reports false
// if nothing fits.
func Fit(want time.Time, pushes []time.Time, caps Caps, win community.Window, loc *time.Location, horizon time.Duration) (Plan, bool) {
	if caps.PerDay <= 0 {
		caps.PerDay = 3
	}
	sorted := slices.Clone(pushes)
	slices.SortFunc(sorted, func(a, b time.Time) int { return a.Compare(b) })
	t := want
	var reasons []string
	note := func(r string) {
		if !slices.Contains(reasons, r) {
			reasons = append(reasons, r)
		}
	}
	for step := 0; step < 10000 && !t.After(want.Add(horizon)); step++ {
		if !win.Allows(t, loc) {
			note("quiet hours")
			t = nextWindowStart(t, win, loc)
			continue
		}
		// Minimum gap to any push before or after.
		if g := conflictGap(t, sorted, caps.MinGap); !g.IsZero() {
			note("too close to another push")
			t = g
			continue
		}
		if countDay(t, sorted, loc) >= caps.PerDay {
			note("daily cap reached")
			y, m, d := t.In(loc).Date()
			t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
			continue
		}
		p := Plan{At: t, Deferred: !t.Equal(want)}
		if p.Deferred {
			p.Reason = strings.Join(reasons, ", ")
		}
		return p, true
	}
	return Plan{Reason: strings.Join(reasons, ", ")}, false
}

// conflictGap returns the earliest time after t that is MinGap past a push
// too close to t, or zero if none is.
func conflictGap(t time.Time, pushes []time.Time, gap time.Duration) time.Time {
	if gap <= 0 {
		return time.Time{}
	}
	for _, p := range pushes {
		if d := t.Sub(p); d > -gap && d < gap {
			return p.Add(gap)
		}
	}
	return time.Time{}
}

func countDay(t time.Time, pushes []time.Time, loc *time.Location) int {
	y, m, d := t.In(loc).Date()
	n := 0
	for _, p := range pushes {
		py, pm, pd := p.In(loc).Date()
		if py == y && pm == m && pd == d {
			n++
		}
	}
	return n
}

func nextWindowStart(t time.Time, w community.Window, loc *time.Location) time.Time {
	s := w.From.On(t, loc)
	if !s.After(t) {
		s = w.From.On(t.In(loc).AddDate(0, 0, 1), loc)
	}
	return s
}

// Rotation picks the assistant on duty for a push: round-robin over the
// group's assistants by the push's sequence number.
func Rotation(assistants []int64, seq int) (int64, bool) {
	if len(assistants) == 0 {
		return 0, false
	}
	if seq < 0 {
		seq = -seq
	}
	return assistants[seq%len(assistants)], true
}
