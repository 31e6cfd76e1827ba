package community

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Sign-up lists (群接龙) and offline events (线下活动): a list in a group,
// opened by staff in the chat, through the API or the console, with an
// optional capacity (then later sign-ups wait on a waitlist and move up as
// others cancel), a time, a place and a temporary group; entries are
// numbered in order, can be cancelled and checked in. An event opened from
// the console or the API may be announced in more groups than its own:
// members sign up in any of them, on the one list. Closing stops sign-ups;
// cancelling calls the event off and tells its sign-ups in the chat.

// SignupList is a sign-up list (接龙) — an offline event when it has a
// capacity, a time or a place — with its entries in order.
type SignupList struct {
	ID        int64
	GroupID   int64 // the group it was opened in; its staff run it
	Title     string
	Closed    bool
	Cancelled bool // called off (and so closed)
	Capacity  int  // 0: no limit
	EventAt   *time.Time
	Place     string
	// AlsoIn are the other groups the event is announced in; their members
	// sign up on the same list.
	AlsoIn  []int64
	Entries []SignupEntry
}

// Groups returns every group of the event: its own first, then those it
// is announced in.
func (l SignupList) Groups() []int64 {
	return append([]int64{l.GroupID}, l.AlsoIn...)
}

// Count returns the entries signed up (not waitlisted or cancelled).
func (l SignupList) Count() int {
	n := 0
	for _, e := range l.Entries {
		if e.Status == SignupIn {
			n++
		}
	}
	return n
}

// CheckedIn returns how many entries are checked in.
func (l SignupList) CheckedIn() int {
	n := 0
	for _, e := range l.Entries {
		if e.CheckedIn {
			n++
		}
	}
	return n
}

// Entry states.
const (
	SignupIn        = "in"
	SignupWaitlist  = "waitlist"
	SignupCancelled = "cancelled"
)

// The changes staff make to an event's list (besides opening and
// cancelling it).
const (
	EventClose        = "close"        // stop sign-ups; the final list is posted
	EventCancelSignup = "cancel"       // take a person off (the first waiting moves up)
	EventCheckIn      = "checkin"      // mark a signed-up person present
	EventUndoCheckIn  = "undo-checkin" // take a check-in back
)

// SignupEntry is one place on a sign-up list.
type SignupEntry struct {
	N         int
	PersonID  int64
	Name      string
	Note      string
	Status    string // in, waitlist or cancelled
	CheckedIn bool
}

// EventRequest opens an event (a sign-up list with details) in a group.
type EventRequest struct {
	OrgID, GroupID int64
	Title          string
	Capacity       int
	At             *time.Time
	Place          string
	TempGroupID    int64   // a temporary group for the event, 0 for none
	AlsoIn         []int64 // other groups to announce it in, where members may sign up too
	// Announce posts the event in each of its groups.
	Announce bool
	Actor    string
}

// The limits of an event's fields.
const (
	MaxEventTitle    = 60  // characters
	MaxEventPlace    = 100 // characters
	MaxEventCapacity = 10000
	MaxEventGroups   = 20 // groups an event is announced in besides its own
	MaxCancelReason  = 200
)

// Normalize trims the request's text, drops repeated groups (and the
// event's own group) from AlsoIn, and checks every field.
func (r *EventRequest) Normalize() error {
	r.Title, r.Place = strings.TrimSpace(r.Title), strings.TrimSpace(r.Place)
	var also []int64
	for _, id := range r.AlsoIn {
		if id != r.GroupID && !slices.Contains(also, id) {
			also = append(also, id)
		}
	}
	r.AlsoIn = also
	switch {
	case r.Title == "":
		return errkind.New(errkind.Invalid, "title is required")
	case utf8.RuneCountInString(r.Title) > MaxEventTitle:
		return errkind.Errorf(errkind.Invalid, "title: at most %d characters", MaxEventTitle)
	case strings.ContainsAny(r.Title, "\r\n"):
		return errkind.New(errkind.Invalid, "title: one line")
	case utf8.RuneCountInString(r.Place) > MaxEventPlace:
		return errkind.Errorf(errkind.Invalid, "place: at most %d characters", MaxEventPlace)
	case r.Capacity < 0 || r.Capacity > MaxEventCapacity:
		return errkind.Errorf(errkind.Invalid, "capacity %d: want 0 (no limit) to %d", r.Capacity, MaxEventCapacity)
	case len(r.AlsoIn) > MaxEventGroups:
		return errkind.Errorf(errkind.Invalid, "also_in: at most %d more groups", MaxEventGroups)
	case r.GroupID <= 0:
		return errkind.New(errkind.Invalid, "group is required")
	}
	for _, id := range r.AlsoIn {
		if id <= 0 {
			return errkind.Errorf(errkind.Invalid, "also_in: %d is not a group id", id)
		}
	}
	return nil
}

// EventSummary is an event (a sign-up list) with its group's name and the
// counts of its entries.
type EventSummary struct {
	SignupList // without entries
	Group      string
	OpenedAt   time.Time
	In         int // signed up
	Waitlisted int
	Cancelled  int
	CheckedIn  int
}

// SignupText is a list as the chat shows it, in the group's bot language:
// the title with its capacity, when and where, the numbered entries (✅
// when checked in) and the waitlist.
func SignupText(lang string, l SignupList, loc *time.Location) string {
	var s strings.Builder
	fmt.Fprintf(&s, Say(lang, "【接龙】%s", "[Sign-up] %s"), l.Title)
	if l.Capacity > 0 {
		fmt.Fprintf(&s, Say(lang, "（限 %d 人，已报 %d）", " (%d places, %d in)"), l.Capacity, l.Count())
	}
	if l.Closed {
		s.WriteString(Say(lang, "（已截止）", " (closed)"))
	}
	if l.EventAt != nil || l.Place != "" {
		s.WriteString("\n")
		if l.EventAt != nil {
			s.WriteString(l.EventAt.In(loc).Format("01-02 15:04") + " ")
		}
		s.WriteString(l.Place)
	}
	var waiting []SignupEntry
	listed := 0
	for _, en := range l.Entries {
		switch en.Status {
		case SignupWaitlist:
			waiting = append(waiting, en)
			continue
		case SignupCancelled:
			continue
		}
		listed++
		fmt.Fprintf(&s, "\n%d. %s", en.N, en.Name)
		if en.Note != "" {
			s.WriteString(" " + en.Note)
		}
		if en.CheckedIn {
			s.WriteString(" ✅")
		}
	}
	if listed == 0 && !l.Closed {
		s.WriteString(Say(lang, "\n还没有人接龙，发 /signup 或「接龙」报名。", "\nNo one yet: send /signup to sign up."))
	}
	if len(waiting) > 0 {
		s.WriteString(Say(lang, "\n候补：", "\nWaitlist:"))
		for _, en := range waiting {
			fmt.Fprintf(&s, "\n%d. %s", en.N, en.Name)
			if en.Note != "" {
				s.WriteString(" " + en.Note)
			}
		}
	}
	return s.String()
}

// CancelText tells an event's groups, in a group's bot language, it is
// called off, naming everyone signed up or waiting (so that the platform
// notifies them), with the organiser's reason when there is one.
func CancelText(lang string, l SignupList, reason string, loc *time.Location) string {
	var s strings.Builder
	fmt.Fprintf(&s, Say(lang, "【活动取消】%s", "[Cancelled] %s"), l.Title)
	if l.EventAt != nil || l.Place != "" {
		s.WriteString(Say(lang, "（", " ("))
		if l.EventAt != nil {
			s.WriteString(l.EventAt.In(loc).Format("01-02 15:04"))
			if l.Place != "" {
				s.WriteString(" ")
			}
		}
		s.WriteString(l.Place + Say(lang, "）", ")"))
	}
	s.WriteString(Say(lang, "\n活动已取消，请不要前往。", "\nThis event is cancelled: please do not come."))
	if reason = strings.TrimSpace(reason); reason != "" {
		s.WriteString(Say(lang, "\n原因：", "\nReason: ") + reason)
	}
	var names []string
	for _, en := range l.Entries {
		if en.Status != SignupCancelled {
			names = append(names, "@"+en.Name)
		}
	}
	if len(names) > 0 {
		s.WriteString(Say(lang, "\n已报名的朋友请知悉：", "\nTo everyone signed up: ") + strings.Join(names, " "))
	}
	return s.String()
}
