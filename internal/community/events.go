package community

import "time"

// Sign-up lists (群接龙) and offline events (线下活动): a list in a group,
// opened by staff in the chat or through the API, with an optional
// capacity (then later sign-ups wait on a waitlist and move up as others
// cancel), a time, a place and a temporary group; entries are numbered in
// order, can be cancelled and checked in.

// SignupList is a sign-up list (接龙) — an offline event when it has a
// capacity, a time or a place — with its entries in order.
type SignupList struct {
	ID       int64
	GroupID  int64
	Title    string
	Closed   bool
	Capacity int // 0: no limit
	EventAt  *time.Time
	Place    string
	Entries  []SignupEntry
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

// Entry states.
const (
	SignupIn        = "in"
	SignupWaitlist  = "waitlist"
	SignupCancelled = "cancelled"
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
	TempGroupID    int64 // a temporary group for the event, 0 for none
	Actor          string
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
