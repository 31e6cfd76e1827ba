package community

import (
	"context"
	"time"
)

// Campaign groups invite codes of one promotion (an event, a poster, a
// referral drive), so its K-factor and cycle time can be measured.
type Campaign struct {
	ID         int64
	OrgID      int64
	Name       string
	CreatedAt  time.Time
	ArchivedAt *time.Time
}

// InviteCode is a code (or the tail of an invite link) that tells qunzhu who
// brought a newcomer: a member's personal code makes the join a referral
// (推荐), a campaign's code a promotion (吸粉).
type InviteCode struct {
	ID         int64
	OrgID      int64
	Code       string
	PersonID   int64 // the member it belongs to, 0 for a campaign code
	CampaignID int64
	GroupID    int64 // the group it invites to, 0 for any
	CreatedAt  time.Time
	ArchivedAt *time.Time
}

// Referral is one node of a referral tree.
type Referral struct {
	PersonID  int64
	InviterID int64
	Name      string
	Depth     int // 1: brought by the root
	JoinedAt  time.Time
	Qualified bool // stayed ≥ 7 days or posted
}

// InviterRank is one line of the inviter leaderboard.
type InviterRank struct {
	PersonID  int64
	Name      string
	Invited   int
	Qualified int
}

// QualifyingStay is how long an invitee must stay to count as a qualified
// referral (unless they posted).
const QualifyingStay = 7 * 24 * time.Hour

// Growth manages invite codes and answers referral questions.
type Growth interface {
	CreateCampaign(ctx context.Context, c *Campaign) error
	ArchiveCampaign(ctx context.Context, orgID, id int64) error
	CreateInviteCode(ctx context.Context, c *InviteCode) error
	ReferralTree(ctx context.Context, orgID, rootPersonID int64, maxDepth int) ([]Referral, error)
	TopInviters(ctx context.Context, orgID int64, since time.Time, limit int) ([]InviterRank, error)
}
