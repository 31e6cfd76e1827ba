package community

import (
	"fmt"
	"strings"
	"time"
)

// Purges of inactive members (僵尸清理) are only ever proposals that staff
// carry out: the group's zombies are proposed, staff go through them and
// leave out whom they choose, an advance notice names the rest in the
// group, and after the notice period staff carry it out — sparing whoever
// spoke up or whom they keep — or withdraw it. A group has at most one
// purge pending.

// Purge is an advance notice and what came of it.
type Purge struct {
	ID      int64
	GroupID int64
	Group   string
	// Kind is what the purge is for: inactive members (the default) or
	// members who are in another group of the same family too.
	Kind        string
	Days        int
	NoticedAt   time.Time
	RemoveAfter time.Time
	NoticedBy   string
	EndedAt     *time.Time
	Outcome     string // "" while pending, then executed or withdrawn
	EndedBy     string
	Members     []PurgeMember
}

// Pending reports whether the purge awaits being carried out or withdrawn.
func (p Purge) Pending() bool { return p.EndedAt == nil }

// Due reports whether the notice period is over at now.
func (p Purge) Due(now time.Time) bool { return !now.Before(p.RemoveAfter) }

// Named returns how many members the notice named.
func (p Purge) Named() int {
	n := 0
	for _, m := range p.Members {
		if m.Status != PurgeExcluded {
			n++
		}
	}
	return n
}

// Purge kinds.
const (
	PurgeInactive  = "inactive"  // zombies (僵尸清理)
	PurgeDuplicate = "duplicate" // members in another group of the family (重复入群)
)

// Purge outcomes.
const (
	PurgeExecuted  = "executed"
	PurgeWithdrawn = "withdrawn"
)

// A member's status in a purge. While it is pending, a named member who
// posted after the notice shows as spoke and one who left as left; they
// are spared when it is carried out.
const (
	PurgeExcluded = "excluded" // left out of the notice by staff
	PurgeNamed    = "named"    // named in the notice, still silent
	PurgeKept     = "kept"     // named, then kept by staff when carrying it out
	PurgeSpoke    = "spoke"    // posted after the notice
	PurgeLeft     = "left"     // left the group meanwhile
	PurgeRemoved  = "removed"
	// PurgeSingle: named in a duplicate purge, then no longer in the group
	// they were to stay in; spared.
	PurgeSingle = "single"
)

// PurgeMember is one member of a purge's proposal.
type PurgeMember struct {
	PersonID    int64
	Name        string
	Status      string
	JoinedAt    time.Time
	LastMessage *time.Time
	// KeepGroup is, in a duplicate purge, the group of the family the
	// member stays in (KeepName its name).
	KeepGroup int64
	KeepName  string
}

// The limits of a notice.
const (
	MinPurgeDays = 1
	MaxPurgeDays = 60
)

// PurgeNoticeText is the advance notice posted in the group, in its bot
// language, naming the members (so that the platform notifies them).
func PurgeNoticeText(lang string, names []string, days int) string {
	at := make([]string, len(names))
	for i, n := range names {
		at[i] = "@" + n
	}
	return fmt.Sprintf(Say(lang, "为保持群内活跃，以下成员长期未发言，将在 %d 天后移出本群；想留下的话，在群里说一句话就好：\n%s",
		"These members have been silent for a long time and will be removed in %d days; to stay, just say something in the group:\n%s"),
		days, strings.Join(at, " "))
}

// PurgeWithdrawnText tells the group a notice is withdrawn.
func PurgeWithdrawnText(lang string) string {
	return Say(lang, "之前公告的清理已取消，名单上的成员不会被移出。", "The announced removal of inactive members is withdrawn: nobody on the list will be removed.")
}

// DuplicateWithdrawnText tells the group a duplicate purge's notice is
// withdrawn.
func DuplicateWithdrawnText(lang string) string {
	return Say(lang, "之前公告的重复入群清理已取消，名单上的成员不会被移出。", "The announced removal of members in two groups of the series is withdrawn: nobody on the list will be removed.")
}

// Stay is a member named in a duplicate purge and the group they stay in.
type Stay struct {
	Name, Group string
}

// DuplicateNoticeText is the advance notice of a duplicate purge, in the
// group's bot language: the members named are also in another group of the
// same series, which they stay in, and leave this one after days.
func DuplicateNoticeText(lang string, stays []Stay, days int) string {
	at := make([]string, len(stays))
	for i, s := range stays {
		at[i] = "@" + s.Name + Say(lang, "（留在「"+s.Group+"」）", " (stays in “"+s.Group+"”)")
	}
	return fmt.Sprintf(Say(lang, "同一系列的群每人只保留一个。以下成员也在本系列的另一个群里，将在 %d 天后移出本群，另一个群照常保留；如有疑问请联系群主：\n%s",
		"Each member keeps one group of this series. These members are also in another group of the series, which they keep; they will be removed from this group in %d days. Questions go to the group owner:\n%s"),
		days, strings.Join(at, " "))
}
