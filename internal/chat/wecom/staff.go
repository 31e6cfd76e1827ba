package wecom

import (
	"context"
	"slices"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Listener is told what WeCom says about customer groups that qunzhu's
// chat events do not carry. internal/app implements it over the store.
type Listener interface {
	// GroupStaff is told a group's staff after the group's events are
	// stored: the first time, and whenever its owner, admins or corp
	// members change. Until it returns nil the group's snapshot is not
	// saved, so it is told again on the next callback or sync.
	GroupStaff(ctx context.Context, chatID string, s community.PlatformStaff) error
	// GroupDismissed is told that WeCom dismissed a group (or no longer
	// has it), after its members' leaving is stored; it is told again
	// until it returns nil.
	GroupDismissed(ctx context.Context, chatID string) error
}

// staffOf is a group's staff in its snapshot: the owner, the admins, every
// corp member (member type 1; WeCom userids, which application messages
// reach), and the admins of the snapshot before who are admins no more.
func staffOf(old, s *snapshot) community.PlatformStaff {
	out := community.PlatformStaff{Owner: s.Owner, Admins: slices.Clone(s.Admins), Staff: corpMembers(s)}
	if old != nil {
		for _, ad := range old.Admins {
			if !slices.Contains(s.Admins, ad) && ad != s.Owner {
				out.FormerAdmins = append(out.FormerAdmins, ad)
			}
		}
	}
	return out
}

// sameStaff reports whether two snapshots of a group have the same owner,
// admins and corp members.
func sameStaff(a, b *snapshot) bool {
	return a.Owner == b.Owner && slices.Equal(sorted(a.Admins), sorted(b.Admins)) && slices.Equal(corpMembers(a), corpMembers(b))
}

// corpMembers lists a snapshot's corp members (member type 1), sorted.
func corpMembers(s *snapshot) []string {
	var out []string
	for _, user := range sortedKeys(s.Members) {
		if s.Members[user].Type == MemberStaff {
			out = append(out, user)
		}
	}
	return out
}

func sorted(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	return out
}
