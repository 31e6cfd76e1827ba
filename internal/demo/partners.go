package demo

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// PartnersStore is what seedPartners writes: the partner programme and the
// referral campaigns, through the methods the console and the API use.
type PartnersStore interface {
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
	PartnerLevels(ctx context.Context, orgID int64) ([]community.PartnerLevel, error)
	UpdatePartnerLevel(ctx context.Context, orgID, levelID int64, p community.LevelPatch, actor string) (community.PartnerLevel, []community.PartnerNotice, error)
	AdmitPartner(ctx context.Context, orgID, levelID, entityID, personID int64, actor string) (community.Admission, error)
	Seats(ctx context.Context, levelID, entityID int64) ([]community.Seat, error)
	ReleasePartnerSeat(ctx context.Context, orgID, seatID int64, actor string) (community.SeatRelease, error)
	SetEligibility(ctx context.Context, orgID, groupID, levelID int64, handling string, grace time.Duration, actor string) error
	CreateCampaignBy(ctx context.Context, c *community.Campaign, actor string) error
	ArchiveCampaignBy(ctx context.Context, orgID, id int64, actor string) error
	CreateInviteCodeBy(ctx context.Context, c *community.InviteCode, actor string) error
}

// seedPartners fills the partner programme and referral growth:
//   - the company level at the company, capped at 60 seats, full — seats
//     in every tier (founding 1–10, initiating 11–50, partner 51–) — with
//     people waiting, and one seat released so that the first waiting
//     moved up and was told in their group;
//   - city partners at two branches, and 阳新's star-students group open to
//     city partners only, with three joiners waiting for approval;
//   - 阳新's spring referral campaign: joiners by its poster code and by
//     members' codes, the people they brought in and those brought in by
//     them, over the last three weeks; and an ended campaign.
func seedPartners(ctx context.Context, db PartnersStore, in Ingester, connection string, org community.Org, now time.Time) error {
	nodes, err := db.Nodes(ctx, org.ID)
	if err != nil {
		return err
	}
	node := map[string]int64{}
	for _, n := range nodes {
		node[n.Name] = n.ID
	}
	company, yangxin, huangmei := node["湖北农夫电商股份有限公司"], node["阳新分院"], node["黄梅分院"]
	levels, err := db.PartnerLevels(ctx, org.ID)
	if err != nil {
		return err
	}
	level := map[string]int64{}
	for _, l := range levels {
		level[l.Slug] = l.ID
	}
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].ID < groups[j].ID })
	byExt := map[string]community.Group{}
	for _, g := range groups {
		byExt[g.ExternalID] = g
	}
	// Candidates: the members of the academy's groups, each once, in a
	// fixed order; staff are left to run the groups.
	var people []community.Member
	seen := map[int64]bool{}
	for _, ext := range []string{"nf-yx-stars", "nf-all", "nf-yx-6", "nf-hm-2017"} {
		ms, err := db.Members(ctx, byExt[ext].ID)
		if err != nil {
			return err
		}
		sort.Slice(ms, func(i, j int) bool { return ms[i].PersonID < ms[j].PersonID })
		for _, m := range ms {
			if !seen[m.PersonID] && !m.Role.Staff() {
				seen[m.PersonID] = true
				people = append(people, m)
			}
		}
	}
	next := 0
	take := func(n int) ([]community.Member, error) {
		if next+n > len(people) {
			return nil, fmt.Errorf("demo partners: %d people wanted, %d left", n, len(people)-next)
		}
		next += n
		return people[next-n : next], nil
	}
	admit := func(levelID, entity int64, ps []community.Member) error {
		for _, p := range ps {
			if _, err := db.AdmitPartner(ctx, org.ID, levelID, entity, p.PersonID, demoActor); err != nil {
				return fmt.Errorf("demo partners: admit %s: %w", p.Name, err)
			}
		}
		return nil
	}

	// The company level: 60 seats, 64 who asked.
	capN := 60
	if _, _, err := db.UpdatePartnerLevel(ctx, org.ID, level["company"], community.LevelPatch{Cap: &capN}, demoActor); err != nil {
		return err
	}
	ps, err := take(64)
	if err != nil {
		return err
	}
	if err := admit(level["company"], company, ps); err != nil {
		return err
	}
	seats, err := db.Seats(ctx, level["company"], company)
	if err != nil {
		return err
	}
	if _, err := db.ReleasePartnerSeat(ctx, org.ID, seats[36].ID, demoActor); err != nil {
		return err
	}
	// City partners at two branches; the stars' group is theirs.
	if ps, err = take(14); err != nil {
		return err
	}
	if err := admit(level["city"], yangxin, ps[:9]); err != nil {
		return err
	}
	if err := admit(level["city"], huangmei, ps[9:]); err != nil {
		return err
	}
	// Store partners at 阳新's shop in town.
	if ps, err = take(4); err != nil {
		return err
	}
	if err := admit(level["store"], node["阳新县城店"], ps); err != nil {
		return err
	}
	stars := byExt["nf-yx-stars"]
	if err := db.SetEligibility(ctx, org.ID, stars.ID, level["city"], community.EligibilityApprove, 0, demoActor); err != nil {
		return err
	}
	// Joins of the last minutes: the pipeline handles them as live (its
	// LiveWindow), checks the group's eligibility and opens the cases.
	var evs []chat.Event
	for i, name := range []string{"想进群的小李", "刚毕业的王同学", "阳新网店店主老陈"} {
		u := chat.User{ID: fmt.Sprintf("demo-joiner-%d", i+1), Name: name}
		evs = append(evs, chat.Event{ID: "demo-partners-join-" + u.ID, Connection: connection, Type: chat.EventMemberJoined, Group: stars.ExternalID,
			Time: now.Add(-time.Duration(3-i) * time.Minute), Sender: u, Source: chat.SourcePromo})
	}
	if _, err := in.IngestCount(ctx, evs); err != nil {
		return fmt.Errorf("demo partners: joiners: %w", err)
	}
	return seedGrowth(ctx, db, in, connection, org, now, yangxin, byExt["nf-yx-6"], people[next:])
}

// seedGrowth runs 阳新's spring campaign: a poster code for the 6th
// cohort's group and two members' codes in it; 8 join by the poster, 3
// by the members' codes; they bring in 7, who bring in 3.
func seedGrowth(ctx context.Context, db PartnersStore, in Ingester, connection string, org community.Org, now time.Time, yangxin int64, cohort community.Group, members []community.Member) error {
	ended := community.Campaign{OrgID: org.ID, Name: "2025 双十一海报", CreatedAt: now.Add(-40 * 24 * time.Hour)}
	if err := db.CreateCampaignBy(ctx, &ended, demoActor); err != nil {
		return err
	}
	if err := db.ArchiveCampaignBy(ctx, org.ID, ended.ID, demoActor); err != nil {
		return err
	}
	camp := community.Campaign{OrgID: org.ID, NodeID: yangxin, Name: "阳新 2026 春季招生海报", CreatedAt: now.Add(-22 * 24 * time.Hour)}
	if err := db.CreateCampaignBy(ctx, &camp, demoActor); err != nil {
		return err
	}
	poster := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, GroupID: cohort.ID}
	if err := db.CreateInviteCodeBy(ctx, &poster, demoActor); err != nil {
		return err
	}
	if len(members) < 2 {
		return fmt.Errorf("demo growth: no members left for codes")
	}
	if len(members) < 3 {
		return fmt.Errorf("demo growth: no member left for a code of their own")
	}
	// A member's own code, outside any campaign, as /invite hands out.
	own := community.InviteCode{OrgID: org.ID, PersonID: members[2].PersonID, GroupID: cohort.ID}
	if err := db.CreateInviteCodeBy(ctx, &own, demoActor); err != nil {
		return err
	}
	var mine []community.InviteCode
	for _, m := range members[:2] {
		c := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, PersonID: m.PersonID, GroupID: cohort.ID}
		if err := db.CreateInviteCodeBy(ctx, &c, demoActor); err != nil {
			return err
		}
		mine = append(mine, c)
	}
	names := []string{"春芽", "晓燕", "建华", "丽娟", "志强", "海燕", "国庆", "秀英", "俊杰", "雨婷", "德明",
		"佳怡", "文博", "子涵", "浩然", "思琪", "明轩", "欣怡", "宇航", "梓萱", "一鸣"}
	start := now.Add(-21 * 24 * time.Hour)
	var evs []chat.Event
	join := func(i int, at time.Time, code string, inviter *chat.User) chat.User {
		u := chat.User{ID: fmt.Sprintf("demo-spring-%d", i), Name: "阳新" + names[i]}
		e := chat.Event{ID: "demo-growth-join-" + u.ID, Connection: connection, Type: chat.EventMemberJoined, Group: cohort.ExternalID, Time: at, Sender: u, Code: code}
		switch {
		case inviter != nil:
			e.Source, e.Inviter = chat.SourceReferral, inviter
		case code != "":
			e.Source = chat.SourcePromo
		}
		evs = append(evs, e)
		return u
	}
	say := func(u chat.User, at time.Time, text string) {
		evs = append(evs, chat.Event{ID: "demo-growth-say-" + u.ID, Connection: connection, Type: chat.EventMessage, Group: cohort.ExternalID, Time: at, Sender: u,
			Message: &chat.Message{ID: "demo-growth-msg-" + u.ID, Kind: chat.KindText, Text: text}})
	}
	day := 24 * time.Hour
	var first []chat.User // the campaign's own joiners
	for i := 0; i < 8; i++ {
		first = append(first, join(i, start.Add(time.Duration(i)*day/2), poster.Code, nil))
	}
	for i := 0; i < 3; i++ {
		join(8+i, start.Add(time.Duration(2+i)*day), mine[i%2].Code, nil)
	}
	// The poster's joiners bring in friends, two to four days later.
	var second []chat.User
	for i, inviter := range []int{0, 0, 1, 2, 2, 4, 6} {
		inv := first[inviter]
		second = append(second, join(11+i, start.Add(time.Duration(inviter)*day/2+time.Duration(2+i%3)*day), "", &inv))
	}
	for i, inviter := range []int{0, 0, 3} {
		inv := second[inviter]
		join(18+i, now.Add(-time.Duration(5-i)*day), "", &inv)
	}
	say(first[0], start.Add(3*time.Hour), "老师好，我是看海报进群的，想学直播带货")
	say(second[0], start.Add(3*day), "谢谢邀请！请问下期什么时候开课？")
	say(second[3], start.Add(6*day), "大家好，我在阳新开了一家土特产网店")
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	if _, err := in.IngestCount(ctx, evs); err != nil {
		return fmt.Errorf("demo growth: joins: %w", err)
	}
	return nil
}
