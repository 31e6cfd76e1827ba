package wecom

import (
	"context"
	"sort"
	"time"
)

// OwnerDay is one group owner's day in WeCom's customer-group statistics
// (groupchat/statistic): WeCom counts per owner, for all of their groups
// together, not per group. Without message content (会话内容存档) these
// are the only message and activity figures there are.
type OwnerDay struct {
	Owner  string
	Day    time.Time // local midnight
	Groups []string  // the owner's customer groups qunzhu knows
	// NewMembers joined that day; Leavers is derived: those who joined
	// less the growth of the total since the day before.
	NewMembers    int
	Leavers       int
	Members       int // at the end of the day
	Messages      int
	ActiveMembers int // members who posted
	ActiveGroups  int // groups with a post
}

// DailyStats returns each known owner's figures for the day starting at
// day (a local midnight; WeCom keeps 180 days and has yesterday's at the
// earliest). For analytics where message content is not available; the
// integrator imports them into the daily rollups.
func (a *Adapter) DailyStats(ctx context.Context, day time.Time) ([]OwnerDay, error) {
	groups := map[string][]string{}
	for chatID, owner := range a.Known() {
		if owner != "" {
			groups[owner] = append(groups[owner], chatID)
		}
	}
	owners := make([]string, 0, len(groups))
	for o := range groups {
		owners = append(owners, o)
	}
	sort.Strings(owners)
	if len(owners) == 0 {
		return nil, nil
	}
	today, err := a.api.StatsByOwner(ctx, day, owners)
	if err != nil {
		return nil, err
	}
	before, err := a.api.StatsByOwner(ctx, day.AddDate(0, 0, -1), owners)
	if err != nil {
		return nil, err
	}
	prev := map[string]GroupStats{}
	for _, s := range before {
		prev[s.Owner] = s.Data
	}
	out := make([]OwnerDay, 0, len(today))
	for _, s := range today {
		gs := groups[s.Owner]
		sort.Strings(gs)
		d := OwnerDay{Owner: s.Owner, Day: day, Groups: gs, NewMembers: s.Data.NewMemberCnt, Members: s.Data.MemberTotal,
			Messages: s.Data.MsgTotal, ActiveMembers: s.Data.MemberHasMsg, ActiveGroups: s.Data.ChatHasMsg}
		if p, ok := prev[s.Owner]; ok {
			d.Leavers = max(0, s.Data.NewMemberCnt-(s.Data.MemberTotal-p.MemberTotal))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Owner < out[j].Owner })
	return out, nil
}
