package analytics

import "time"

// The figures qunzhu reads back for pages and commands: headline numbers,
// each group's rolled-up days with their health, alerts and leaderboards.
// The store fills them; the definitions are in docs/metrics.md.

// OrgSummary is the headline numbers of an organisation.
type OrgSummary struct {
	Groups        int
	Members       int // open memberships
	People        int
	Messages      int // since the given time
	Communicators int // distinct senders since the given time
	Moderations   int // since the given time
}

// GroupActivity is a group's recent activity.
type GroupActivity struct {
	Messages      int
	Communicators int
	LastAt        *time.Time
}

// DayCount is a count for one calendar day.
type DayCount struct {
	Day   time.Time
	Count int
}

// MemberActivity is one member's posting in a group.
type MemberActivity struct {
	Last *time.Time
	Days []time.Time // the times of their messages since the given time, oldest first
}

// RollupMark is how far an organisation's daily rollups have come: the
// last day computed and when that run was (zero when it ran before
// migration 0016).
type RollupMark struct {
	Day Day
	At  time.Time
}

// RollupFigures are an organisation's recent figures read from the daily
// rollups (group_days, member_days): members only, staff and bots left
// out (docs/metrics.md). The week is the 7 days ending with the given day.
type RollupFigures struct {
	Groups        map[int64]GroupWeek
	Messages      int        // member messages of the week
	Communicators int        // distinct members who posted in the week
	Daily         []DayCount // member messages per day, oldest first, ending with the given day
	// Per day like Daily: communicators summed over the groups (a member
	// of two groups counts in each) and joins; and the joins and leaves of
	// the n days.
	DailyCommunicators, DailyJoins []DayCount
	Joined, Left                   int
}

// GroupWeek is one group's week from the rollups, and its members (open
// memberships) when the figures were read.
type GroupWeek struct {
	Members       int
	Messages      int
	Communicators int
	LastDay       Day // the last day with a member message, if Posted
	Posted        bool
}

// GroupDay is one group's rolled-up day.
type GroupDay struct {
	Day            Day
	Date           time.Time // the day's first instant
	Messages       int
	MemberMessages int
	Communicators  int
	Questions      int
	Answered       int
	Joins, Leaves  int
	Members        int
	Health         Health
	State          GroupState
	// Source says where the day's message figures come from (Source*).
	Source string
}

// Where a rolled-up day's message figures come from.
const (
	// SourceMessages: the messages qunzhu received.
	SourceMessages = ""
	// SourceStats: the platform's daily statistics of the group, where
	// qunzhu receives no message content (WeCom without 会话内容存档):
	// messages and members who posted, but no questions, answers or
	// per-member figures.
	SourceStats = "stats"
	// SourceOwnerStats: none of the group's own — the platform counted
	// its owner's groups together (OwnerStats), so the day has no message
	// figures of this group.
	SourceOwnerStats = "owner_stats"
)

// OwnerStats are a platform's figures of one group owner's groups for a
// day (WeCom's groupchat/statistic counts per owner, not per group): the
// only message figures where the platform gives no message content.
type OwnerStats struct {
	Owner         string   // the owner's platform user id
	Day           Day      // in the server's time zone
	Groups        []string // platform ids of the owner's groups
	NewMembers    int
	Leavers       int
	Members       int // at the end of the day
	Messages      int
	ActiveMembers int // members who posted
	ActiveGroups  int // groups with a post
}

// Alert kinds.
const (
	AlertDormant   = "group_dormant"
	AlertDying     = "group_dying"
	AlertDead      = "group_dead"
	AlertCoreQuiet = "core_quiet"
)

// Alert is something the rollup wants an operator to look at.
type Alert struct {
	ID         int64
	GroupID    int64
	GroupName  string
	PersonID   int64 // 0 for a group alert
	PersonName string
	Kind       string
	Day        Day
	Detail     string
	CreatedAt  time.Time
	ResolvedAt *time.Time
	// SnoozedUntil puts an open alert off: it is out of the lists until
	// then.
	SnoozedUntil *time.Time
}

// Snoozed reports whether the alert is put off at now.
func (a Alert) Snoozed(now time.Time) bool {
	return a.SnoozedUntil != nil && now.Before(*a.SnoozedUntil)
}

// PosterRank is one line of a posters' leaderboard over rolled-up days.
type PosterRank struct {
	PersonID    int64
	Name        string
	Messages    int
	Substantive int
}

// Poster is one line of a group's leaderboard counted from its messages
// (the /top command).
type Poster struct {
	Name     string
	Messages int
}

// GroupStats are a group's figures for the /stats command.
type GroupStats struct {
	Members       int // now
	Joined, Left  int // since
	Messages      int // since, by members (not staff or bots)
	Communicators int // distinct members who posted since
}
