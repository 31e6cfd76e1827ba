package community

import (
	"fmt"
	"strings"
	"time"
)

// A group's times of day: when it may be posted to (the owners' group's
// 06:30–23:30), at what time of day a push goes. Quiet hours of rules,
// cadences' posting windows and push slots all use these.

// Clock is a time of day.
type Clock struct{ Hour, Minute int }

// ParseClock reads "HH:MM".
func ParseClock(s string) (Clock, error) {
	var c Clock
	if _, err := fmt.Sscanf(s, "%d:%d", &c.Hour, &c.Minute); err != nil || len(s) != 5 || c.Hour < 0 || c.Hour > 23 || c.Minute < 0 || c.Minute > 59 {
		return c, fmt.Errorf("time of day %q: want HH:MM from 00:00 to 23:59", s)
	}
	return c, nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

func (c Clock) minutes() int { return c.Hour*60 + c.Minute }

// On returns the clock time on the day of d in loc.
func (c Clock) On(d time.Time, loc *time.Location) time.Time {
	d = d.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day(), c.Hour, c.Minute, 0, 0, loc)
}

// Window is the part of the day when posting is allowed (the owners'
// group's 06:30–23:30). From == To means always.
type Window struct{ From, To Clock }

// Allows reports whether t (in loc) is inside the window; windows may cross
// midnight (22:00–06:00).
func (w Window) Allows(t time.Time, loc *time.Location) bool {
	if w.From == w.To {
		return true
	}
	t = t.In(loc)
	m := t.Hour()*60 + t.Minute()
	f, to := w.From.minutes(), w.To.minutes()
	if f < to {
		return m >= f && m < to
	}
	return m >= f || m < to
}

// ParseWindow reads the allowed posting window "HH:MM-HH:MM".
func ParseWindow(s string) (Window, error) {
	from, to, ok := strings.Cut(s, "-")
	f, err1 := ParseClock(strings.TrimSpace(from))
	t, err2 := ParseClock(strings.TrimSpace(to))
	if !ok || err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("want the allowed window as HH:MM-HH:MM, got %q", s)
	}
	return Window{From: f, To: t}, nil
}

func (w Window) String() string { return w.From.String() + "-" + w.To.String() }
