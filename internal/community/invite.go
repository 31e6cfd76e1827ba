package community

import (
	"context"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
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

// InviteCodeInfo is an invite code with the names of whom it belongs to,
// for a list: its member's, its campaign's and its group's ("" for none).
type InviteCodeInfo struct {
	InviteCode
	Person, Campaign, Group string
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

// CampaignGrowth is how a campaign spread beyond the people it brought in.
type CampaignGrowth struct {
	CampaignID  int64
	Name        string
	Members     int     // people who joined through the campaign's codes
	Inviters    int     // of them, people who brought someone in
	Invitations int     // people they brought in
	Qualified   int     // of those, who stayed 7 days or posted
	K           float64 // invitations per member × qualified share: above 1, it grows by itself
	// CycleMedian is the median time from a member's joining to the
	// joining of someone they brought in (0 without invitations).
	CycleMedian time.Duration
}

// JoinTarget is where a join link sends a newcomer.
type JoinTarget struct {
	Code      string
	Group     *Group // the group with room; nil when all are full
	InviteURL string // that group's own link ("" when none is set)
	Creating  string // the name of the group being created, when all are full
}

// MinCodeLength is the shortest invite code qunzhu issues. A code is the
// key to a public join link (/join/{code}), so it must not be guessable
// by trying codes: generated codes are 8 random characters of a
// 31-letter alphabet (about 40 bits), and an operator's own code must be
// at least as long. Shorter codes issued before keep working; the console
// offers to replace them.
const MinCodeLength = 8

// CheckNewCode checks an invite code chosen by an operator (already upper
// case and trimmed): MinCodeLength to 32 characters, no spaces or URL
// punctuation.
func CheckNewCode(code string) error {
	if len(code) < MinCodeLength || len(code) > 32 || strings.ContainsAny(code, " \t/?#&%") {
		return errkind.Errorf(errkind.Invalid, "invite code %q: %d to 32 characters (anyone can try short codes at the join link), no spaces or URL punctuation", code, MinCodeLength)
	}
	return nil
}
