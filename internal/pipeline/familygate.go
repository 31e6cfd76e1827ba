package pipeline

import (
	"context"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// familyGate removes a newcomer the organisation's family gate refuses
// (docs/metrics.md, "One member, several groups"): a member of another
// group of the same family — this year's first cohort joining the second —
// is removed at once, told in the group's bot language which group they
// are in already; the removal is a moderation action (rule family-gate).
// stop says the newcomer was removed.
func (b *batch) familyGate(ctx context.Context, e *chat.Event, g community.Group, pid int64) (stop bool, err error) {
	other, err := b.tx.FamilyGate(ctx, g.ID, pid)
	if err != nil || other == "" {
		return false, err
	}
	lang := g.Lang()
	return true, b.apply(ctx, e, g, pid, false, 0, Verdict{Action: chat.ActKick, Rule: "family-gate", Category: "duplicate",
		Reason: fmt.Sprintf(community.Say(lang, "已在同系列的「%s」", "already in “%s” of the same series"), other), Actor: "rules",
		Text: fmt.Sprintf(community.Say(lang, "%s，你已经在同系列的「%s」里了，每个系列只能加入一个群，已移出本群。", "%s, you are in “%s” of this series already: one group of a series per member, so you have been removed from this one."),
			displayName(e.Sender), other)}, b.capsOf(e.Connection))
}
