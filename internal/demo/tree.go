package demo

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// TreeStore is what the demo's group structure is written through: the
// store methods the console's tree and group workflows use.
type TreeStore interface {
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
	CreateTemplate(ctx context.Context, t *community.Template, actor string) error
	ApplyTemplate(ctx context.Context, orgID, templateID, nodeID int64, vars map[string]string, actor string) ([]community.GroupTask, int, error)
	UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error)
	SetGroupProfile(ctx context.Context, orgID int64, p community.Profile, actor string) (community.Profile, error)
	SetInviteURL(ctx context.Context, orgID, groupID int64, url, actor string) error
}

// academyTemplate lays out an academy's groups in the seed's order
// (3.2.3): the lecturers' group, a group per topic, enrolment
// consultation, a group per cohort, all-hands. Applied to the demo
// academy for 2026, the groups it already has are matched by name — this
// year's two cohort groups too (cohorts2026) — and the all-hands group,
// which is older than them, is flagged as created out of order.
func academyTemplate(orgID int64) community.Template {
	return community.Template{OrgID: orgID, Name: "学院开班（讲师→课题→招生→每期→大群）", Variables: []string{"school", "year"}, Steps: []community.TemplateStep{
		{Kind: community.KindLecturer, Pattern: "NF-{school}讲师群"},
		{Kind: community.KindTopic, Topics: []string{"直播带货", "农村电商"}, Pattern: "NF-{topic}课题群"},
		{Kind: community.KindEnrolment, Pattern: "NF-网商学院报名咨询群"},
		{Kind: community.KindCohort, Count: 2, Pattern: "NF-{school}{year}第{n}期学员群"},
		{Kind: community.KindAllHands, Pattern: "NF-{school}学员大群"},
	}}
}

// seedTree writes the demo's group structure: the academy template applied
// with its tasks, a temporary group with an end, and one group's profile,
// key opinion leader and invite link. in's caches are dropped after (the
// groups' kinds and ends changed).
func seedTree(ctx context.Context, db TreeStore, in Ingester, org community.Org, now time.Time) error {
	nodes, err := db.Nodes(ctx, org.ID)
	if err != nil {
		return err
	}
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	node := func(name string) (int64, error) {
		if i := slices.IndexFunc(nodes, func(n community.Node) bool { return n.Name == name }); i >= 0 {
			return nodes[i].ID, nil
		}
		return 0, fmt.Errorf("demo tree: no node %q", name)
	}
	group := func(name string) (community.Group, error) {
		if i := slices.IndexFunc(groups, func(g community.Group) bool { return g.Name == name }); i >= 0 {
			return groups[i], nil
		}
		return community.Group{}, fmt.Errorf("demo tree: no group %q", name)
	}
	academy, err := node("大别山网商学院")
	if err != nil {
		return err
	}
	t := academyTemplate(org.ID)
	if err := db.CreateTemplate(ctx, &t, demoActor); err != nil {
		return fmt.Errorf("demo template: %w", err)
	}
	if _, _, err := db.ApplyTemplate(ctx, org.ID, t.ID, academy, map[string]string{"school": "大别山网商学院", "year": "2026"}, demoActor); err != nil {
		return fmt.Errorf("apply the demo template: %w", err)
	}

	// A 大讲堂 stop is an event's group: temporary, ending in twelve days.
	stop, err := group("NF-2017黄梅电商大讲堂—大河站")
	if err != nil {
		return err
	}
	temporary, ends := community.KindTemporary, now.Add(12*24*time.Hour).Truncate(time.Hour)
	endsAt := &ends
	if _, err := db.UpdateGroup(ctx, org.ID, stop.ID, community.GroupPatch{Kind: &temporary, ExpiresAt: &endsAt}, demoActor); err != nil {
		return fmt.Errorf("demo temporary group: %w", err)
	}

	// The flagship cohort group has settled its five things, with its most
	// senior member as key opinion leader, and an invite link for the
	// academy's join links.
	flagship, err := group("NF-阳新第6期微营销培训群")
	if err != nil {
		return err
	}
	members, err := db.Members(ctx, flagship.ID)
	if err != nil {
		return err
	}
	var kols []int64
	for _, m := range members {
		if m.Role == community.RoleMember {
			kols = append(kols, m.PersonID)
			break
		}
	}
	p := community.Profile{GroupID: flagship.ID, Positioning: "阳新县第 6 期微营销培训班的学员交流群", Threshold: "报名缴费的学员，由讲师拉入",
		Rules: community.RulesInherited, KOLs: kols, Goal: "每位学员开出自己的网店，三个月内有第一笔订单"}
	if _, err := db.SetGroupProfile(ctx, org.ID, p, demoActor); err != nil {
		return fmt.Errorf("demo profile: %w", err)
	}
	if err := db.SetInviteURL(ctx, org.ID, flagship.ID, "https://weixin.qq.com/g/demo-yangxin-6", demoActor); err != nil {
		return fmt.Errorf("demo invite link: %w", err)
	}
	if f, ok := in.(interface{ Forget() }); ok {
		f.Forget()
	}
	return nil
}
