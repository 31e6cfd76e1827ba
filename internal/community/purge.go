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
	ID          int64
	GroupID     int64
	Group       string
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
)

// PurgeMember is one member of a purge's proposal.
type PurgeMember struct {
	PersonID    int64
	Name        string
	Status      string
	JoinedAt    time.Time
	LastMessage *time.Time
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
