package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The demo's events and the health page's work, made through the paths
// the product uses: events opened as the console opens them, members
// signing up with 接龙/+1/报名 and checking in with 签到 in the chat (some
// checked in at the door by staff, one sign-up cancelled), a purge notice
// pending in a group gone quiet, and a big group where a handful still
// talk — dying, and alerted by the rollup when the service starts.

// EventsStore is what seedEvents needs of the store besides Store.
// *store.DB implements it.
type EventsStore interface {
	community.Directory
	OpenEvent(ctx context.Context, r community.EventRequest) (community.SignupList, error)
	Event(ctx context.Context, orgID, id int64) (community.SignupList, error)
	EventChange(ctx context.Context, orgID, id int64, op string, personID int64, actor string) (community.SignupList, error)
	PurgeProposal(ctx context.Context, orgID, groupID int64, now time.Time) ([]community.PurgeCandidate, error)
	PurgeNotice(ctx context.Context, orgID, groupID int64, days int, exclude []int64, actor string) ([]community.PurgeCandidate, error)
}

// The demo's staff account that runs events and posts notices.
const demoActor = "staff:admin"

func seedEvents(ctx context.Context, st Store, in Ingester, s *sim.Sim, org community.Org, now time.Time) error {
	db, ok := st.(EventsStore)
	if !ok {
		return fmt.Errorf("demo events: the store does not run events")
	}
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	byExt := map[string]community.Group{}
	for _, g := range groups {
		byExt[g.ExternalID] = g
	}
	d := &eventSeed{db: db, in: in, conn: s.Name(), org: org, now: now, groups: byExt}
	if err := d.classToday(ctx); err != nil {
		return fmt.Errorf("demo events: %w", err)
	}
	if err := d.sharingDay(ctx); err != nil {
		return fmt.Errorf("demo events: %w", err)
	}
	if err := d.purgeNotice(ctx, "nf-hm-dahe", 2); err != nil {
		return fmt.Errorf("demo purge: %w", err)
	}
	if err := d.fading(ctx, "nf-yx-2018"); err != nil {
		return fmt.Errorf("demo dying group: %w", err)
	}
	if err := d.reported(ctx, "nf-hz-11"); err != nil {
		return fmt.Errorf("demo report: %w", err)
	}
	if err := d.offences(ctx, "nf-hm-2017"); err != nil {
		return fmt.Errorf("demo offences: %w", err)
	}
	return nil
}

// offences are a few minutes of a group's chat that its rules act on: an
// advert, the same member's second, a donation appeal. The pipeline judges
// them live, as it judges what members say while the demo runs.
func (d *eventSeed) offences(ctx context.Context, ext string) error {
	ms, err := d.members(ctx, ext)
	if err != nil {
		return err
	}
	if len(ms) < 2 {
		return fmt.Errorf("group %s has %d members, want 2", ext, len(ms))
	}
	ad, appeal := ms[len(ms)-1], ms[len(ms)-2]
	for i, say := range []struct {
		who  community.Member
		text string
	}{
		{ad, "低价代购各种大牌，加 薇 信 abc1688 私聊"},
		{appeal, "水滴筹，求扩散，我家亲戚住院急需手术费，大家帮帮忙"},
		{ad, "加微信 abc1688，一件代发，包邮"},
	} {
		if err := d.say(ctx, ext, say.who, say.text, d.now.Add(-time.Duration(8-i)*time.Minute)); err != nil {
			return err
		}
	}
	return nil
}

// reported has a member post a rumour and three others report it by
// replying 举报: hidden, it waits in the moderation queue.
func (d *eventSeed) reported(ctx context.Context, ext string) error {
	ms, err := d.members(ctx, ext)
	if err != nil {
		return err
	}
	if len(ms) < 4 {
		return fmt.Errorf("group %s has %d members, want 4", ext, len(ms))
	}
	at := d.now.Add(-5 * time.Minute) // live: reports of older messages are history
	if err := d.say(ctx, ext, ms[len(ms)-1], "听说下周的课不上了，学费也不退，大家赶紧去找老师要说法", at); err != nil {
		return err
	}
	rumour := fmt.Sprintf("demo-ev-%d", d.seq)
	for i, m := range ms[:3] {
		d.seq++
		id := fmt.Sprintf("demo-ev-%d", d.seq)
		e := chat.Event{ID: id, Connection: d.conn, Platform: "sim", Type: chat.EventMessage, Group: ext, Time: at.Add(time.Duration(i+1) * time.Minute),
			Sender: chat.User{ID: m.PlatformUserID, Name: m.Name}, Message: &chat.Message{ID: id, Kind: chat.KindText, Text: "举报", ReplyTo: rumour}}
		if _, err := d.in.IngestCount(ctx, []chat.Event{e}); err != nil {
			return err
		}
	}
	return nil
}

type eventSeed struct {
	db     EventsStore
	in     Ingester
	conn   string
	org    community.Org
	now    time.Time
	groups map[string]community.Group
	seq    int
}

// members returns a group's members (not staff), oldest first.
func (d *eventSeed) members(ctx context.Context, ext string) ([]community.Member, error) {
	ms, err := d.db.Members(ctx, d.groups[ext].ID)
	if err != nil {
		return nil, err
	}
	var out []community.Member
	for _, m := range ms {
		if m.Role == community.RoleMember && m.PlatformUserID != "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("group %s has no members", ext)
	}
	return out, nil
}

// say has a member post text in a group at a time, through the pipeline.
func (d *eventSeed) say(ctx context.Context, ext string, m community.Member, text string, at time.Time) error {
	d.seq++
	id := fmt.Sprintf("demo-ev-%d", d.seq)
	e := chat.Event{ID: id, Connection: d.conn, Platform: "sim", Type: chat.EventMessage, Group: ext, Time: at,
		Sender: chat.User{ID: m.PlatformUserID, Name: m.Name}, Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text}}
	_, err := d.in.IngestCount(ctx, []chat.Event{e})
	return err
}

// classToday is a class starting within the hour, opened in the 6th
// cohort and announced among the branch's best students too: 15 sign up
// in both groups for 12 places, one cancels (the first waiting moves up),
// 7 have checked in — 4 in the chat, 3 at the door by staff.
func (d *eventSeed) classToday(ctx context.Context) error {
	at := d.now.Add(time.Hour).Truncate(30 * time.Minute)
	ev, err := d.db.OpenEvent(ctx, community.EventRequest{OrgID: d.org.ID, GroupID: d.groups["nf-yx-6"].ID, AlsoIn: []int64{d.groups["nf-yx-stars"].ID},
		Title: "线下实操课：直播带货从 0 到 1", Capacity: 12, At: &at, Place: "阳新县电商产业园三楼报告厅", Announce: true, Actor: demoActor})
	if err != nil {
		return err
	}
	cohort, err := d.members(ctx, "nf-yx-6")
	if err != nil {
		return err
	}
	stars, err := d.members(ctx, "nf-yx-stars")
	if err != nil {
		return err
	}
	type signup struct {
		ext  string
		m    community.Member
		text string
	}
	var list []signup
	texts := []string{"接龙", "+1", "报名", "接龙 带笔记本电脑", "+1", "报名", "接龙", "+1 想学直播话术"}
	for i := range 11 {
		list = append(list, signup{"nf-yx-6", cohort[(i*7)%len(cohort)], texts[i%len(texts)]})
	}
	for i := range 4 {
		list = append(list, signup{"nf-yx-stars", stars[(i*5+1)%len(stars)], texts[(i+3)%len(texts)]})
	}
	// Chat commands count within pipeline.LiveWindow of now: the list
	// fills in the last minutes before the seed ends.
	start := d.now.Add(-8 * time.Minute)
	for i, su := range list {
		if err := d.say(ctx, su.ext, su.m, su.text, start.Add(time.Duration(i)*20*time.Second)); err != nil {
			return err
		}
	}
	// The third cancels: the first on the waitlist moves up.
	if err := d.say(ctx, list[2].ext, list[2].m, "取消报名", d.now.Add(-2*time.Minute)); err != nil {
		return err
	}
	checked := 0
	for _, su := range list[:9] {
		if su.m.PersonID == list[2].m.PersonID {
			continue
		}
		if checked < 4 {
			err = d.say(ctx, su.ext, su.m, "签到", d.now.Add(-time.Minute+time.Duration(checked)*10*time.Second))
		} else {
			_, err = d.db.EventChange(ctx, d.org.ID, ev.ID, community.EventCheckIn, su.m.PersonID, demoActor)
		}
		if err != nil {
			return err
		}
		if checked++; checked == 7 {
			break
		}
	}
	l, err := d.db.Event(ctx, d.org.ID, ev.ID)
	if err != nil {
		return err
	}
	if l.CheckedIn() != 7 || l.Count() != 12 {
		return fmt.Errorf("the class has %d checked in and %d signed up, want 7 and 12", l.CheckedIn(), l.Count())
	}
	return nil
}

// sharingDay is next week's sharing day of the 11th Huangzhou class: open,
// a few signed up so far.
func (d *eventSeed) sharingDay(ctx context.Context) error {
	at := time.Date(d.now.Year(), d.now.Month(), d.now.Day()+6, 14, 0, 0, 0, d.now.Location())
	if _, err := d.db.OpenEvent(ctx, community.EventRequest{OrgID: d.org.ID, GroupID: d.groups["nf-hz-11"].ID, Title: "黄州 11 期结业分享会", Capacity: 40, At: &at,
		Place: "黄州区创业孵化基地", Announce: true, Actor: demoActor}); err != nil {
		return err
	}
	ms, err := d.members(ctx, "nf-hz-11")
	if err != nil {
		return err
	}
	for i := range 8 {
		if err := d.say(ctx, "nf-hz-11", ms[(i*11)%len(ms)], "接龙", d.now.Add(-time.Duration(8-i)*time.Minute)); err != nil {
			return err
		}
	}
	return nil
}

// purgeNotice posts a notice in a group gone quiet naming its zombies but
// the first few, whom staff leave out: pending for a week.
func (d *eventSeed) purgeNotice(ctx context.Context, ext string, leaveOut int) error {
	list, err := d.db.PurgeProposal(ctx, d.org.ID, d.groups[ext].ID, d.now)
	if err != nil {
		return err
	}
	if len(list) <= leaveOut {
		return fmt.Errorf("%s has %d zombies, want more than %d", ext, len(list), leaveOut)
	}
	var exclude []int64
	for _, c := range list[:leaveOut] {
		exclude = append(exclude, c.PersonID)
	}
	_, err = d.db.PurgeNotice(ctx, d.org.ID, d.groups[ext].ID, 7, exclude, demoActor)
	return err
}

// fading has a handful of members of a big group that had gone silent
// post again over the last days — fewer than 20 a week in a group of 200
// and more: the rollup finds it dying and raises an alert.
func (d *eventSeed) fading(ctx context.Context, ext string) error {
	ms, err := d.members(ctx, ext)
	if err != nil {
		return err
	}
	lines := []string{"还有人在吗？", "老师，下一期什么时候开课？", "好久没人说话了", "我最近在做抖音小店，有人一起交流吗", "同问下一期的时间", "群里好安静啊"}
	for i, text := range lines {
		at := d.now.Add(-time.Duration(9-i) * 24 * time.Hour).Add(time.Duration(10+i) * time.Hour)
		if err := d.say(ctx, ext, ms[(i*13)%len(ms)], text, at); err != nil {
			return err
		}
	}
	return nil
}
