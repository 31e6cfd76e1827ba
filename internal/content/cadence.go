package content

import (
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Cadences (SOPs, as LinkWeChat calls them): a script pushed to a
// selection of groups again and again — every day at a slot, every week
// on a weekday, once N days after a group was created, or N days after
// each member joined (a follow-up for newcomers). Each occurrence becomes
// an ordinary push, so the caps and quiet hours apply to it.

// CadenceKind is how a cadence repeats.
type CadenceKind string

const (
	Daily     CadenceKind = "daily"      // every day at the slot
	Weekly    CadenceKind = "weekly"     // every week on Weekday at the slot
	GroupDay  CadenceKind = "group_day"  // once, Day days after the group was created
	MemberDay CadenceKind = "member_day" // Day days after each member joined, in their group
)

// Selector picks groups: the listed ones and those of a group tag (read
// when the selector is used: Tagged), or — with neither — every active
// group of a kind and/or under a tree node (the node itself or any below
// it).
type Selector struct {
	GroupIDs []int64
	Kind     string
	NodeID   int64
	TagID    int64   // a group tag (community.Tag)
	Tagged   []int64 // the tag's groups when it was resolved
}

// Explicit reports a selector naming its groups: by list or by tag.
func (s Selector) Explicit() bool { return len(s.GroupIDs) > 0 || s.TagID != 0 }

// Aims reports a selector that picks groups at all: by list, tag, kind
// or node. A cadence whose tag was deleted aims nowhere.
func (s Selector) Aims() bool { return s.Explicit() || s.Kind != "" || s.NodeID != 0 }

// Cadence is a script × groups × repetition.
type Cadence struct {
	ID       int64
	OrgID    int64
	ScriptID int64
	Name     string
	Select   Selector
	Kind     CadenceKind
	Slot     string // a slot name of the group's effective slots
	Weekday  time.Weekday
	Day      int
	// Quiet narrows the posting window of its pushes; zero: the groups'
	// own quiet hours (from their rules) alone apply, as they always do.
	Quiet     community.Window
	Paused    bool
	CreatedBy string
	CreatedAt time.Time
}

// MaxCadenceDay is the largest N of "day N after".
const MaxCadenceDay = 365

// Validate checks a cadence before it is stored.
func (c Cadence) Validate() error {
	switch {
	case c.ScriptID <= 0:
		return fmt.Errorf("script_id: required")
	case c.Slot == "":
		return fmt.Errorf("slot: required")
	case !c.Select.Aims():
		return fmt.Errorf("groups: give group_ids, tag_id, kind or node_id")
	case len([]rune(c.Name)) > 100:
		return fmt.Errorf("name: at most 100 characters")
	}
	switch c.Kind {
	case Daily:
	case Weekly:
		if c.Weekday < time.Sunday || c.Weekday > time.Saturday {
			return fmt.Errorf("weekday: want 0 (Sunday) to 6")
		}
	case GroupDay:
		if c.Day < 0 || c.Day > MaxCadenceDay {
			return fmt.Errorf("day: want 0 to %d days after the group was created", MaxCadenceDay)
		}
	case MemberDay:
		if c.Day < 1 || c.Day > MaxCadenceDay {
			return fmt.Errorf("day: want 1 to %d days after a member joined", MaxCadenceDay)
		}
	default:
		return fmt.Errorf("kind: want daily, weekly, group_day or member_day, got %q", c.Kind)
	}
	return nil
}

// Occurrences returns the times of a daily, weekly or group-day cadence's
// occurrences in a group within [from, to]: at the slot's clock in loc on
// the matching days. groupCreated is when the group was created.
func (c Cadence) Occurrences(at community.Clock, loc *time.Location, groupCreated, from, to time.Time) []time.Time {
	var out []time.Time
	if c.Kind == GroupDay {
		d := groupCreated.In(loc)
		t := at.On(time.Date(d.Year(), d.Month(), d.Day()+c.Day, 12, 0, 0, 0, loc), loc)
		if !t.Before(from) && !t.After(to) {
			out = append(out, t)
		}
		return out
	}
	if c.Kind != Daily && c.Kind != Weekly {
		return nil
	}
	f := from.In(loc)
	for day := time.Date(f.Year(), f.Month(), f.Day(), 12, 0, 0, 0, loc); ; day = time.Date(day.Year(), day.Month(), day.Day()+1, 12, 0, 0, 0, loc) {
		t := at.On(day, loc)
		if t.After(to) {
			return out
		}
		if t.Before(from) || (c.Kind == Weekly && day.Weekday() != c.Weekday) {
			continue
		}
		out = append(out, t)
	}
}

// MemberOccurrence is when a member-day cadence follows up a member who
// joined at joined: at the slot, Day calendar days later.
func (c Cadence) MemberOccurrence(at community.Clock, loc *time.Location, joined time.Time) time.Time {
	d := joined.In(loc)
	return at.On(time.Date(d.Year(), d.Month(), d.Day()+c.Day, 12, 0, 0, 0, loc), loc)
}

// DayStart returns midnight of t's day in loc.
func DayStart(t time.Time, loc *time.Location) time.Time {
	d := t.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, loc)
}
