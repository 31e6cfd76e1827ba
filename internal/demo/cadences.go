package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
)

// CadencesStore is what the demo's cadences (定时推送) are made with.
type CadencesStore interface {
	Scripts(ctx context.Context, orgID int64, status content.Status) ([]content.Script, error)
	Tags(ctx context.Context, orgID int64) ([]community.Tag, error)
	CreateCadence(ctx context.Context, c *content.Cadence) error
	PauseCadence(ctx context.Context, orgID, id int64, pause bool, actor string) (content.Cadence, error)
}

// demoCadence is a cadence of the demo: a script by title, its groups by
// tag name or kind.
type demoCadence struct {
	name, script, tag string
	kind              community.GroupKind
	every             content.CadenceKind
	slot              string
	weekday           time.Weekday
	day               int
	paused            bool
}

// seedCadences sets up the recurring pushes an operator of the academy
// would: the evening review every Monday in the e-commerce courses, a
// follow-up for the 阳新 branch's newcomers the morning after they join,
// the title lesson on the third day of every new cohort, and the
// hand-picked groups' daily noon lesson, paused for now.
func seedCadences(ctx context.Context, db CadencesStore, org community.Org) error {
	scripts, err := db.Scripts(ctx, org.ID, "")
	if err != nil {
		return err
	}
	byTitle := map[string]int64{}
	for _, s := range scripts {
		byTitle[s.Title] = s.ID
	}
	tags, err := db.Tags(ctx, org.ID)
	if err != nil {
		return err
	}
	byName := map[string]int64{}
	for _, t := range tags {
		byName[t.Name] = t.ID
	}
	for _, dc := range []demoCadence{
		{name: "每周一晚间复盘", script: "晚高峰：今天你复盘了吗", tag: "电商课程", every: content.Weekly, weekday: time.Monday, slot: "evening"},
		{name: "新人次日跟进", script: "早高峰：直播带货的三个误区", tag: "阳新分院", every: content.MemberDay, day: 1, slot: "morning"},
		{script: "午间小课：三句话写好商品标题", kind: community.KindCohort, every: content.GroupDay, day: 3, slot: "noon"},
		{name: "重点群午间小课", script: "午高峰：一张图看懂农产品详情页", tag: "本周重点群", every: content.Daily, slot: "noon", paused: true},
	} {
		c := content.Cadence{OrgID: org.ID, ScriptID: byTitle[dc.script], Name: dc.name, Select: content.Selector{TagID: byName[dc.tag], Kind: string(dc.kind)},
			Kind: dc.every, Slot: dc.slot, Weekday: dc.weekday, Day: dc.day, CreatedBy: demoActor}
		if (dc.tag != "" && c.Select.TagID == 0) || c.ScriptID == 0 {
			return fmt.Errorf("demo cadence %s: no script %q or tag %q", dc.name, dc.script, dc.tag)
		}
		if err := db.CreateCadence(ctx, &c); err != nil {
			return fmt.Errorf("demo cadence %s: %w", dc.script, err)
		}
		if dc.paused {
			if _, err := db.PauseCadence(ctx, org.ID, c.ID, true, demoActor); err != nil {
				return fmt.Errorf("demo cadence %s: %w", dc.script, err)
			}
		}
	}
	return nil
}
