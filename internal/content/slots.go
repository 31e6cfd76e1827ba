package content

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/qunzhu/qunzhu/internal/community"
)

// DefaultZone is the zone of groups that have none configured (they are in
// China).
const DefaultZone = "Asia/Shanghai"

// SlotSet is the named peaks of an organisation or a group and the zone
// their times are in.
type SlotSet struct {
	Zone  string // an IANA zone name; empty means DefaultZone
	Slots []Slot
}

// DefaultSlotSet is the peaks when nothing is configured: 07:30, 12:00 and
// 20:30 in Asia/Shanghai.
func DefaultSlotSet() SlotSet { return SlotSet{Zone: DefaultZone, Slots: DefaultSlots()} }

// MaxSlots is how many peaks one set may name.
const MaxSlots = 8

// Validate checks the set: one to MaxSlots slots with distinct names (up
// to 32 letters, digits, "_" or "-") at distinct times, and a known zone.
func (s SlotSet) Validate() error {
	if len(s.Slots) == 0 || len(s.Slots) > MaxSlots {
		return fmt.Errorf("slots: want 1 to %d, got %d", MaxSlots, len(s.Slots))
	}
	names := map[string]bool{}
	times := map[community.Clock]string{}
	for _, sl := range s.Slots {
		if !validSlotName(sl.Name) {
			return fmt.Errorf("slot name %q: want 1 to 32 letters, digits, _ or -", sl.Name)
		}
		if names[sl.Name] {
			return fmt.Errorf("slot %q: named twice", sl.Name)
		}
		names[sl.Name] = true
		if _, err := community.ParseClock(sl.At.String()); err != nil {
			return fmt.Errorf("slot %q: %v", sl.Name, err)
		}
		if other, ok := times[sl.At]; ok {
			return fmt.Errorf("slots %q and %q: both at %s", other, sl.Name, sl.At)
		}
		times[sl.At] = sl.Name
	}
	if _, err := LoadZone(s.Zone); err != nil {
		return err
	}
	return nil
}

func validSlotName(n string) bool {
	if n == "" || len([]rune(n)) > 32 {
		return false
	}
	for _, r := range n {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' {
			return false
		}
	}
	return true
}

// Find returns the slot of that name.
func (s SlotSet) Find(name string) (Slot, bool) {
	i := slices.IndexFunc(s.Slots, func(sl Slot) bool { return sl.Name == name })
	if i < 0 {
		return Slot{}, false
	}
	return s.Slots[i], true
}

// Names lists the slots' names, in order, for messages.
func (s SlotSet) Names() string {
	n := make([]string, len(s.Slots))
	for i, sl := range s.Slots {
		n[i] = sl.Name
	}
	return strings.Join(n, ", ")
}

// Location returns the set's zone; an unknown zone falls back to
// DefaultZone (sets are validated when saved).
func (s SlotSet) Location() *time.Location {
	if l, err := LoadZone(s.Zone); err == nil {
		return l
	}
	l, _ := LoadZone("")
	return l
}

// LoadZone loads an IANA zone; empty means DefaultZone, which falls back
// to a fixed UTC+8 where the system has no zone database.
func LoadZone(name string) (*time.Location, error) {
	if name == "" || name == DefaultZone {
		if l, err := time.LoadLocation(DefaultZone); err == nil {
			return l, nil
		}
		return time.FixedZone("CST", 8*3600), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("zone %q: not a known time zone", name)
	}
	return l, nil
}
