package content

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Fitting a push into a group's day (炮弹省着用): a push never goes out in
// the group's quiet hours, never closer than the minimum gap to another
// push, never beyond the day's cap; what does not fit when asked goes to
// the group's next peak that fits, with the reasons, and is dropped when
// no peak within the horizon does.

// Reason codes say why a push did not go out when asked, or at all. A
// push stores them comma-separated, in the order they were met; the
// console translates them, the API shows them as they are.
const (
	ReasonQuietHours    = "quiet_hours"         // a posting window (the group's quiet hours) refuses the time
	ReasonMinGap        = "min_gap"             // too close to another push to the group
	ReasonDailyCap      = "daily_cap"           // the group's pushes for that day are used up
	ReasonNoFit         = "no_fit"              // no peak within the horizon fits: dropped
	ReasonNotApproved   = "script_not_approved" // when due: the script is no longer approved
	ReasonGroupArchived = "group_archived"      // when due: the group was archived
	ReasonGroupInactive = "group_inactive"      // when due: the group is not active for another reason
	ReasonNoConnection  = "no_connection"       // when due: the group's platform connection is not running
	ReasonCancelled     = "cancelled"           // an operator cancelled it
	ReasonMissed        = "missed"              // a member-day follow-up whose push had gone out already
)

// ErrNoFit refuses to move a push to a time where no peak within the
// horizon fits (errors.Is).
var ErrNoFit = errors.New("nothing fits: no peak within the horizon keeps to the group's quiet hours and caps")

// ReasonCodes lists every reason code.
func ReasonCodes() []string {
	return []string{ReasonQuietHours, ReasonMinGap, ReasonDailyCap, ReasonNoFit, ReasonNotApproved, ReasonGroupArchived,
		ReasonGroupInactive, ReasonNoConnection, ReasonCancelled, ReasonMissed}
}

// Reasons splits a push's stored reason into its codes.
func Reasons(s string) []string {
	var out []string
	for _, r := range strings.Split(s, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// JoinReasons stores codes as a push's reason, each once.
func JoinReasons(codes ...string) string {
	var out []string
	for _, c := range codes {
		for _, r := range Reasons(c) {
			if !slices.Contains(out, r) {
				out = append(out, r)
			}
		}
	}
	return strings.Join(out, ",")
}

// ZonedWindow is a posting window in its own zone: a group's quiet hours
// come from its rules, which name their zone.
type ZonedWindow struct {
	community.Window
	Loc *time.Location // nil: the group's zone
}

// Limits are what a push to one group must respect.
type Limits struct {
	Caps Caps // zero fields: DefaultCaps'
	// Windows must each allow the time: the group's quiet hours from its
	// rules, and any window the request adds.
	Windows []ZonedWindow
	// Peaks are the group's slots' times of day, where a deferred push
	// goes; DefaultSlots' when empty.
	Peaks   []community.Clock
	Loc     *time.Location // the group's zone: its days (the daily cap) and peaks; UTC when nil
	Horizon time.Duration  // how far a push may be deferred; DefaultHorizon when 0
}

// DefaultHorizon is how far a push may be deferred.
const DefaultHorizon = 7 * 24 * time.Hour

func (l Limits) norm() Limits {
	l.Caps = l.Caps.OrDefault()
	if l.Loc == nil {
		l.Loc = time.UTC
	}
	if l.Horizon <= 0 {
		l.Horizon = DefaultHorizon
	}
	if len(l.Peaks) == 0 {
		for _, s := range DefaultSlots() {
			l.Peaks = append(l.Peaks, s.At)
		}
	}
	l.Peaks = slices.Clone(l.Peaks)
	slices.SortFunc(l.Peaks, func(a, b community.Clock) int { return a.Hour*60 + a.Minute - b.Hour*60 - b.Minute })
	return l
}

// Quiet reports whether a window refuses t.
func (l Limits) Quiet(t time.Time) bool {
	loc := l.Loc
	if loc == nil {
		loc = time.UTC
	}
	for _, w := range l.Windows {
		wl := w.Loc
		if wl == nil {
			wl = loc
		}
		if !w.Allows(t, wl) {
			return true
		}
	}
	return false
}

// Refuse returns the reasons t does not fit beside the pushes taken (the
// group's planned and sent ones): a window refuses it, a push is closer
// than the minimum gap, or t's day has its cap of pushes. None: t fits.
func (l Limits) Refuse(t time.Time, taken []time.Time) []string { return l.norm().refuse(t, taken) }

func (l Limits) refuse(t time.Time, taken []time.Time) []string {
	var out []string
	if l.Quiet(t) {
		out = append(out, ReasonQuietHours)
	}
	if !conflictGap(t, taken, l.Caps.MinGap).IsZero() {
		out = append(out, ReasonMinGap)
	}
	if countDay(t, taken, l.Loc) >= l.Caps.PerDay {
		out = append(out, ReasonDailyCap)
	}
	return out
}

// Plan is the outcome of fitting a push into a group's schedule.
type Plan struct {
	At       time.Time // when to push
	Deferred bool      // not at the requested time
	Reason   string    // reason codes: why it was deferred, or why nothing fits
}

// Fit finds when a push wanted at want goes, given the pushes already
// taken: at want when it fits, else at the group's first peak after want
// that fits (within the horizon), with the reasons met on the way. It
// reports false, with the reasons, when no peak fits.
func Fit(want time.Time, taken []time.Time, l Limits) (Plan, bool) {
	l = l.norm()
	why := l.refuse(want, taken)
	if len(why) == 0 {
		return Plan{At: want}, true
	}
	reasons := JoinReasons(why...)
	for _, t := range l.peaksAfter(want) {
		r := l.refuse(t, taken)
		if len(r) == 0 {
			return Plan{At: t, Deferred: true, Reason: reasons}, true
		}
		reasons = JoinReasons(reasons, strings.Join(r, ","))
	}
	return Plan{Reason: reasons}, false
}

// peaksAfter lists the group's peaks after want and within the horizon,
// in order.
func (l Limits) peaksAfter(want time.Time) []time.Time {
	end := want.Add(l.Horizon)
	w := want.In(l.Loc)
	var out []time.Time
	for d := 0; ; d++ {
		day := time.Date(w.Year(), w.Month(), w.Day()+d, 12, 0, 0, 0, l.Loc)
		for _, c := range l.Peaks {
			t := c.On(day, l.Loc)
			if t.After(end) {
				return out
			}
			if t.After(want) {
				out = append(out, t)
			}
		}
	}
}

// conflictGap returns the earliest time after t that is gap past a push
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

// PushRules is what a group's own rules (群规) say about pushes to it:
// its quiet hours and its caps.
type PushRules struct {
	Quiet ZonedWindow // when the group may be posted to; zero: all day
	Caps  Caps        // zero fields: DefaultCaps'
}

// Policy is what planning and sending pushes ask of the running service.
// Both fields may be nil: no quiet hours and the default caps for every
// group, and every connection taken as running.
type Policy struct {
	// Rules returns a group's own rules for pushes (the rules engine's
	// quiet hours for the group, and its [pushes] caps).
	Rules func(g community.Group) PushRules
	// Connected reports whether a platform connection is running here.
	Connected func(connection string) bool
}

// RulesFor returns the group's rules for pushes.
func (p Policy) RulesFor(g community.Group) PushRules {
	if p.Rules == nil {
		return PushRules{}
	}
	return p.Rules(g)
}

// IsConnected reports whether the connection runs.
func (p Policy) IsConnected(connection string) bool {
	return connection != "" && (p.Connected == nil || p.Connected(connection))
}

// LimitsFor builds the limits of a push to a group from the group's own
// rules, the group's slots and any caps and window a request adds: the
// request's caps replace the rules' when set, its window narrows the
// group's quiet hours (both apply).
func LimitsFor(rules PushRules, slots SlotSet, caps Caps, extra community.Window, horizon time.Duration) Limits {
	l := Limits{Caps: rules.Caps, Loc: slots.Location(), Horizon: horizon}
	if caps != (Caps{}) {
		l.Caps = caps
	}
	if rules.Quiet.Window != (community.Window{}) {
		l.Windows = append(l.Windows, rules.Quiet)
	}
	if extra != (community.Window{}) {
		l.Windows = append(l.Windows, ZonedWindow{Window: extra})
	}
	for _, s := range slots.Slots {
		l.Peaks = append(l.Peaks, s.At)
	}
	return l
}

// Due is what a due push is checked against just before it goes out.
type Due struct {
	Script    Status              // the script's status now
	Group     community.Lifecycle // the group's lifecycle now
	Connected bool                // the group's platform connection is running
}

// SkipReason returns why a due push must not go out, "" when it may: its
// script was moved back out of approved, its group archived (or otherwise
// not active), or its connection is not running.
func SkipReason(d Due) string {
	switch {
	case !d.Script.Pushable():
		return ReasonNotApproved
	case d.Group == community.Archived:
		return ReasonGroupArchived
	case d.Group != community.Active:
		return ReasonGroupInactive
	case !d.Connected:
		return ReasonNoConnection
	}
	return ""
}
