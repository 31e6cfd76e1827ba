package demo

import (
	"context"
	"fmt"
	"strconv"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// TagsStore is what the demo's tags are made with: the tag methods the
// console uses, and the directory to find what they name.
type TagsStore interface {
	CreateTag(ctx context.Context, t *community.Tag) error
	AddTagRule(ctx context.Context, orgID int64, r *community.TagRule, actor string) error
	SetGroupTag(ctx context.Context, orgID, tagID, groupID int64, on bool, actor string) error
	SetPersonTag(ctx context.Context, orgID, tagID, personID int64, on bool, actor string) error
	TagChoices(ctx context.Context, orgID int64) (community.TagChoices, error)
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
}

// demoTag is a tag of the demo: its rules and what is put in by hand
// (groups by external id; people as the first members of a group).
type demoTag struct {
	name    string
	subject community.TagSubject
	rules   []community.TagRule
	groups  []string
	people  string // a group's external id: its first members (not staff)
	howMany int
}

// seedTags makes the tags an operator of the academy would: the
// e-commerce course groups (the template's and every cohort), the 阳新
// branch's groups, a hand-picked list of groups to watch this week; warm
// leads (referred, brought by the campaign, or active), county partners,
// quiet members to wake, and members to call back picked by hand.
func seedTags(ctx context.Context, db TagsStore, org community.Org) error {
	choices, err := db.TagChoices(ctx, org.ID)
	if err != nil {
		return err
	}
	nodes, err := db.Nodes(ctx, org.ID)
	if err != nil {
		return err
	}
	id := func(v int64) string { return strconv.FormatInt(v, 10) }
	rule := func(field, value string) community.TagRule { return community.TagRule{Field: field, Value: value} }
	course := []community.TagRule{rule(community.RuleKind, string(community.KindCohort))}
	for _, t := range choices.Templates {
		course = append(course, rule(community.RuleTemplate, id(t.ID)))
	}
	var branch []community.TagRule
	for _, n := range nodes {
		if n.Name == "阳新分院" {
			branch = append(branch, rule(community.RuleNode, id(n.ID)))
		}
	}
	warm := []community.TagRule{rule(community.RuleSource, string(chat.SourceReferral)), rule(community.RuleStatus, "active")}
	if len(choices.Campaigns) > 0 {
		warm = append(warm, rule(community.RuleCampaign, id(choices.Campaigns[0].ID)))
	}
	var partners []community.TagRule
	for _, l := range choices.Levels {
		partners = append(partners, rule(community.RuleLevel, id(l.ID)))
	}
	tags := []demoTag{
		{name: "电商课程", subject: community.TagGroups, rules: course},
		{name: "阳新分院", subject: community.TagGroups, rules: branch},
		{name: "本周重点群", subject: community.TagGroups, groups: []string{"nf-yx-6", "nf-hz-11", "wanjing-owners"}},
		{name: "高意向", subject: community.TagPeople, rules: warm},
		{name: "合伙人", subject: community.TagPeople, rules: partners},
		{name: "待唤醒", subject: community.TagPeople, rules: []community.TagRule{rule(community.RuleStatus, "lurker"), rule(community.RuleStatus, "quiet")}},
		{name: "重点回访", subject: community.TagPeople, people: "nf-enrol", howMany: 8},
	}
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	byExt := map[string]int64{}
	for _, g := range groups {
		byExt[g.ExternalID] = g.ID
	}
	for _, dt := range tags {
		t := community.Tag{OrgID: org.ID, Name: dt.name, Subject: dt.subject, CreatedBy: demoActor}
		if err := db.CreateTag(ctx, &t); err != nil {
			return fmt.Errorf("demo tag %s: %w", dt.name, err)
		}
		for _, r := range dt.rules {
			r.TagID = t.ID
			if err := db.AddTagRule(ctx, org.ID, &r, demoActor); err != nil {
				return fmt.Errorf("demo tag %s: %w", dt.name, err)
			}
		}
		for _, ext := range dt.groups {
			if err := db.SetGroupTag(ctx, org.ID, t.ID, byExt[ext], true, demoActor); err != nil {
				return fmt.Errorf("demo tag %s: %w", dt.name, err)
			}
		}
		if dt.people == "" {
			continue
		}
		members, err := db.Members(ctx, byExt[dt.people])
		if err != nil {
			return err
		}
		n := 0
		for _, m := range members {
			if n == dt.howMany {
				break
			}
			if m.Role.Staff() {
				continue
			}
			if err := db.SetPersonTag(ctx, org.ID, t.ID, m.PersonID, true, demoActor); err != nil {
				return fmt.Errorf("demo tag %s: %w", dt.name, err)
			}
			n++
		}
	}
	return nil
}
