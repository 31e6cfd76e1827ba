package app

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// enforceNicknames acts on members whose nickname still breaks their
// group's format once the grace period is over: they were reminded when
// they joined; now the rule's action applies (the owners' preset removes
// them, as 万景's 群规 says).
func (s *service) enforceNicknames(ctx context.Context) (int, error) {
	if s.rules == nil {
		return 0, nil
	}
	groups, err := s.db.Groups(ctx, s.orgID)
	if err != nil {
		return 0, err
	}
	now := time.Now()
	n := 0
	for _, g := range groups {
		if g.Lifecycle != community.Active {
			continue
		}
		rs := s.rules.For(g)
		if rs.Nickname.Pattern == "" || rs.Nickname.Action == "" || rs.Nickname.Action == rules.Allow {
			continue
		}
		grace := time.Duration(rs.Nickname.Grace)
		if grace <= 0 {
			grace = 24 * time.Hour
		}
		// Members who joined within the last 30 days before the grace ended.
		members, err := s.db.NicknamesToCheck(ctx, g.ID, now.Add(-grace-30*24*time.Hour), now.Add(-grace))
		if err != nil {
			return n, err
		}
		kind := map[rules.Action]chat.ActionKind{rules.Warn: chat.ActSend, rules.Delete: chat.ActSend, rules.Mute: chat.ActMute, rules.Kick: chat.ActKick, rules.Ban: chat.ActBan}[rs.Nickname.Action]
		if kind == "" {
			continue
		}
		for _, m := range members {
			if rs.NicknameOK(m.Nickname) {
				continue
			}
			reason := fmt.Sprintf("@%s 入群 %s 后仍未按格式修改群昵称（如「%s」），按群规处理。", m.Nickname, grace, rs.Nickname.Example)
			if err := s.db.EnforceNickname(ctx, g, m, kind, rs.Name+"/nickname-grace", reason); err != nil {
				return n, err
			}
			n++
		}
	}
	if n > 0 {
		s.disp.Wake()
	}
	return n, nil
}
