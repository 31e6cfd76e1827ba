package community

import "time"

// Reports, appeals and eligibility: members report messages, removed
// members appeal, and groups that admit only partners of one level hold
// the joiners who do not qualify.

// ReportCase is a reported message: who is reported, by how many, and
// where its review stands.
type ReportCase struct {
	ID        int64
	GroupID   int64
	MessageID string
	PersonID  int64 // the reported member
	Text      string
	Reports   int // distinct members who reported the message
	Hidden    bool
	Status    string // open, upheld, dismissed
	DecidedBy string
	Note      string
	CreatedAt time.Time
}

// Appeal is a removed or banned member's request to be let back in.
type Appeal struct {
	ID        int64
	PersonID  int64
	Person    string
	Text      string
	Status    string // open, accepted, rejected
	Banned    bool   // the person is banned from the organisation now
	DecidedBy string
	Note      string
	CreatedAt time.Time
}

// Place is a person's seat in one group: where a ban must be applied.
type Place struct {
	Connection, Group, User string // the connection, group and user ids on the platform
}

// Group eligibility (the seed: "a partner joins only groups of their own
// level"): a group may admit only partners of one level. A joiner who does
// not hold a seat of it is handled as the group says: refuse (removed at
// once), grace (told, and removed after the grace period unless admitted
// meanwhile) or approve (told, and an approval case for staff).

// Eligibility handlings.
const (
	EligibilityRefuse  = "refuse"
	EligibilityGrace   = "grace"
	EligibilityApprove = "approve"
)

// Eligibility is a group's rule on who may join: only partners of one
// level; others are refused, given a grace period, or held for approval.
type Eligibility struct {
	LevelID   int64
	LevelName string
	Handling  string // refuse, grace or approve
	Grace     time.Duration
}

// EligibilityCase is a joiner who did not qualify for a group.
type EligibilityCase struct {
	ID        int64
	GroupID   int64
	Group     string
	PersonID  int64
	Person    string
	Handling  string
	Status    string // pending, approved, rejected, removed, qualified
	DueAt     *time.Time
	CreatedAt time.Time
	DecidedBy string
}

// PurgeCandidate is a member a purge of the group's zombies would remove.
type PurgeCandidate struct {
	PersonID    int64
	Name        string
	UserID      string // on the group's platform
	JoinedAt    time.Time
	LastMessage *time.Time
}

// Newcomer is an open membership old enough for its nickname to be
// enforced, with the name the member goes by in the group.
type Newcomer struct {
	MembershipID int64
	PersonID     int64
	UserID       string // platform user id
	Nickname     string
	JoinedAt     time.Time
}
