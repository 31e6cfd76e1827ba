package wecom

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
)

// ErrNotSynced: the customer groups have not been read yet since start, so
// whose statistics to ask for is not known.
var ErrNotSynced = errors.New("the customer groups are not read yet")

// DailyStats returns each known owner's figures for the day starting at
// day (a local midnight; WeCom keeps 180 days and has yesterday's at the
// earliest): WeCom counts per owner (groupchat/statistic), for all of
// their customer groups together. Leavers is derived: those who joined
// less the growth of the total since the day before. For analytics where
// message content is not available; internal/app imports them into the
// daily rollups.
func (a *Adapter) DailyStats(ctx context.Context, day time.Time) ([]analytics.OwnerStats, error) {
	if a.Status().LastSync.IsZero() {
		return nil, fmt.Errorf("wecom %s: %w", a.cfg.Name, ErrNotSynced)
	}
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
	out := make([]analytics.OwnerStats, 0, len(today))
	for _, s := range today {
		gs := groups[s.Owner]
		sort.Strings(gs)
		d := analytics.OwnerStats{Owner: s.Owner, Day: analytics.DayOf(day, day.Location()), Groups: gs, NewMembers: s.Data.NewMemberCnt, Members: s.Data.MemberTotal,
			Messages: s.Data.MsgTotal, ActiveMembers: s.Data.MemberHasMsg, ActiveGroups: s.Data.ChatHasMsg}
		if p, ok := prev[s.Owner]; ok {
			d.Leavers = max(0, s.Data.NewMemberCnt-(s.Data.MemberTotal-p.MemberTotal))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Owner < out[j].Owner })
	return out, nil
}
