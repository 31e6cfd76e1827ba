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
	Submitted: {InReview: {Reviewer}, Approved: {Reviewer}, Rejected: {Reviewer}, Draft: {Contributor, Editor}},
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

// OrDefault fills what the caps leave at zero with DefaultCaps'.
func (c Caps) OrDefault() Caps {
	d := DefaultCaps()
	if c.PerDay <= 0 {
		c.PerDay = d.PerDay
	}
	if c.MinGap <= 0 {
		c.MinGap = d.MinGap
	}
	return c
}

// Pushable reports whether a script in this status may go out: it was
// approved (and maybe scheduled or pushed before) and has not gone back
// to a draft or been rejected since.
func (s Status) Pushable() bool { return s == Approved || s == Scheduled || s == Published }

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
