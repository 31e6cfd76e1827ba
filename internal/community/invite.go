package community

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Campaign groups invite codes of one promotion (an event, a poster, a
// referral drive), so its K-factor and cycle time can be measured.
type Campaign struct {
	ID    int64
	OrgID int64
	// NodeID is the part of the tree the campaign belongs to (its
	// secretaries run it); 0 for the whole organisation's.
	NodeID     int64
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

// MaxCampaignName is the longest campaign name, in characters.
const MaxCampaignName = 60

// ValidateCampaignName trims a campaign's name and checks it.
func ValidateCampaignName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", errkind.New(errkind.Invalid, "campaign name is required")
	case utf8.RuneCountInString(name) > MaxCampaignName:
		return "", errkind.Errorf(errkind.Invalid, "campaign name: at most %d characters", MaxCampaignName)
	}
	return name, nil
}

// CampaignSummary is a campaign with what the list of campaigns shows.
type CampaignSummary struct {
	Campaign
	Codes   int // its invite codes, archived ones included
	Members int // people who joined with its codes
}

// CodeInfo is an invite code with the names of what it belongs to and how
// many joined with it.
type CodeInfo struct {
	InviteCode
	Person   string // the member it belongs to ("" for a campaign's own)
	Campaign string
	Group    string
	Joins    int
}

// ReferralNode is a person in a referral tree with the people they
// brought in.
type ReferralNode struct {
	Referral
	Children []*ReferralNode
	Size     int // the people below, at any depth
}

// ReferralForest arranges referrals (each naming its inviter) into trees:
// a referral whose inviter is not among them is a root. Roots and children
// keep the order they come in; Depth is set to the depth in the forest
// (roots 0) and Size to the people below. A cycle in bad data is cut:
// whoever would sit below themselves becomes a root.
func ReferralForest(refs []Referral) []*ReferralNode {
	nodes := make(map[int64]*ReferralNode, len(refs))
	order := make([]*ReferralNode, 0, len(refs))
	for _, r := range refs {
		if _, dup := nodes[r.PersonID]; dup {
			continue
		}
		n := &ReferralNode{Referral: r}
		nodes[r.PersonID] = n
		order = append(order, n)
	}
	var roots []*ReferralNode
	for _, n := range order {
		parent := nodes[n.InviterID]
		seen := map[*ReferralNode]bool{}
		for a := parent; a != nil && !seen[a]; a = nodes[a.InviterID] {
			if a == n {
				parent = nil // n would be its own ancestor
				break
			}
			seen[a] = true
		}
		if parent == nil {
			roots = append(roots, n)
		} else {
			parent.Children = append(parent.Children, n)
		}
	}
	var size func(n *ReferralNode, depth int) int
	size = func(n *ReferralNode, depth int) int {
		n.Depth, n.Size = depth, 0
		for _, c := range n.Children {
			n.Size += 1 + size(c, depth+1)
		}
		return n.Size
	}
	for _, r := range roots {
		size(r, 0)
	}
	return roots
}
