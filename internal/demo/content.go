package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
)

// ContentStore is what seeding the demo's content writes: the script
// library, the push schedule and the duty roster. *store.DB implements it.
type ContentStore interface {
	content.Scheduler
	content.LintSource
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
	CreateScript(ctx context.Context, s *content.Script) error
	MoveScript(ctx context.Context, orgID, id int64, to content.Status, role content.Role, actor, reason string) (content.Script, error)
	SendDuePushes(ctx context.Context, limit int) (int, error)
	SetDutyRoster(ctx context.Context, orgID, groupID int64, people []int64, actor string) error
}

// demoScript is a script of the demo's library and how far it goes.
type demoScript struct {
	title, body string
	tags        []string
	author      string           // a console account; "" for a member's 投稿 in the chat
	steps       []content.Status // after creation
	reason      string           // of the rejection, or of approving over the lint
}

// The library (剧本库): pieces for the morning, noon and evening peaks
// (早、中、晚高峰) in every state of the review, after the training deck's
// ammunition (炮弹): a concrete time, surprise, truth, simplicity,
// credibility, warmth and a question to join in.
var demoScripts = []demoScript{
	{title: "早高峰：直播带货的三个误区", tags: []string{"直播", "早高峰"}, author: "user:bianji",
		body:  "第一，不备货就开播：订单来了发不出货，差评比没单更伤。\n第二，只顾讲不互动：直播间不是讲台，每 5 分钟点一次名。\n第三，播完不复盘：哪一款停留最久、哪一句话转化最好，记下来。\n你踩过哪一个？在群里说说。",
		steps: []content.Status{content.Submitted, content.InReview, content.Approved}},
	{title: "午高峰：一张图看懂农产品详情页", tags: []string{"详情页", "午高峰"}, author: "user:bianji",
		body:  "详情页第一屏只回答一个问题：为什么买你家的？\n产地照片比精修图更可信，写清楚采摘日期和发货时间。\n价格下面写一句保障：坏果包赔。\n午休时对照看看自家的详情页，有问题发图上来，下午一起改。",
		steps: []content.Status{content.Submitted, content.Approved}},
	{title: "晚高峰：今天你复盘了吗", tags: []string{"复盘", "晚高峰"}, author: "user:bianji",
		body:  "忙了一天，花 10 分钟复盘：\n今天卖得最好的是哪一款？为什么？\n哪一个问题客户问了三遍以上？明天把答案写进详情页。\n把你的复盘发在群里，点赞最多的明天早上单独点评。",
		steps: []content.Status{content.Submitted, content.Approved}},
	{title: "案例分享：阳新学员的第一单", tags: []string{"案例"}, author: "user:bianji",
		body:  "阳新第6期的一位学员，上周卖出了自家的第一箱红薯。\n她没有投广告，只是每天在朋友圈发一张地里的照片，写一句今天干了什么。\n第 12 天，一位老同学私信下了单。\n真实、持续、有温度，就是最好的推广。你的第一单是怎么来的？",
		steps: []content.Status{content.Submitted, content.InReview}},
	{title: "午间小课：三句话写好商品标题", tags: []string{"标题", "午高峰"}, author: "user:bianji",
		body:  "第一句写是什么：阳新红心红薯 5 斤装。\n第二句写凭什么：沙地种植，当天挖当天发。\n第三句写给谁：给孩子做辅食的妈妈。\n把你店里卖得最好的那款标题发上来，我们一起改。",
		steps: []content.Status{content.Submitted, content.InReview, content.Approved}},
	{title: "讲座预告：乡村振兴与电商（草稿）", tags: []string{"讲座"}, author: "user:bianji",
		body: "周六晚上八点，网商学院请到县电商办的老师，\n讲一讲今年的扶持政策怎么申请。\n（时间地点待确认）"},
	{title: "合作社年货节义卖", tags: []string{"活动"}, author: "user:bianji",
		body:  "合作社年货节义卖：原价68元的土鸡蛋礼盒，现价39元，限时秒杀，私聊下单送优惠券！\n所得全部捐给村小学买图书。\n想支持的朋友可以在群里接龙。",
		steps: []content.Status{content.Submitted, content.Approved}, reason: "村合作社的公益义卖，价格已核实，所得捐村小学"},
	{title: "临时通知：明晚直播改期", tags: []string{"通知"}, author: "user:bianji",
		body:  "原定明晚的直播课改期到周五晚上八点，\n主讲老师临时出差。\n给大家添麻烦了，周五见！",
		steps: []content.Status{content.Submitted, content.Approved}},
}

// The members' 投稿 in the all-hands group (the seed's 剧本库: every
// member is a writer): one to review, one rejected.
var demoSubmissions = []struct {
	text, reject string
}{
	{text: "分享一个小技巧：\n拍农产品用自然光，上午九点到十点最好。\n背景放一块旧木板，比白底更有乡土味。\n大家试试，拍好了发群里看看。"},
	{text: "今天的课真好！👍", reject: "只有一句话：说说你学到了什么、打算怎么用，三行以上再投"},
}

// seedContent fills the library, the push calendar and a duty roster
// through the paths the console takes: scripts written and reviewed,
// members' 投稿 in the chat (through the pipeline), pushes planned with
// content.PlanPushes — this morning's sent now and delivered by the
// simulator, one in a few hours, tomorrow's planned, one deferred by the owners' quiet hours,
// one cancelled, one skipped because its script was withdrawn — and the
// rotation of the lively cohort.
func seedContent(ctx context.Context, db ContentStore, in Ingester, s *sim.Sim, org community.Org, now time.Time) error {
	groups, err := db.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	byExt := map[string]community.Group{}
	for _, g := range groups {
		byExt[g.ExternalID] = g
	}
	cohort, all, owners := byExt["nf-yx-6"], byExt["nf-all"], byExt["wanjing-owners"]
	if cohort.ID == 0 || all.ID == 0 || owners.ID == 0 {
		return fmt.Errorf("demo content: the scenario's groups are missing")
	}
	const reviewer = "user:admin"
	ids := map[string]int64{}
	for _, d := range demoScripts {
		sc := content.Script{OrgID: org.ID, Title: d.title, Body: d.body, Tags: d.tags, Author: d.author}
		if err := db.CreateScript(ctx, &sc); err != nil {
			return fmt.Errorf("demo script %s: %w", d.title, err)
		}
		ids[d.title] = sc.ID
		for _, st := range d.steps {
			role, actor, reason := content.Reviewer, reviewer, ""
			switch st {
			case content.Submitted:
				role, actor = content.Contributor, d.author
			case content.Approved:
				// Approving over the lint takes the reason, as in the console.
				fs, err := content.LintScript(ctx, db, sc, nil)
				if err != nil {
					return err
				}
				if content.NeedsOverride(fs) != nil {
					reason = d.reason
				}
				if err := content.CheckOverride(fs, reason, true); err != nil {
					return fmt.Errorf("demo script %s: %w", d.title, err)
				}
			}
			if sc, err = db.MoveScript(ctx, org.ID, sc.ID, st, role, actor, reason); err != nil {
				return fmt.Errorf("demo script %s: %w", d.title, err)
			}
		}
	}

	// Members' 投稿 in the all-hands group, through the pipeline.
	members, err := db.Members(ctx, all.ID)
	if err != nil {
		return err
	}
	var writers []community.Member
	for _, m := range members {
		if m.Role == community.RoleMember && m.LeftAt == nil && m.PlatformUserID != "" {
			writers = append(writers, m)
		}
	}
	if len(writers) < len(demoSubmissions) {
		return fmt.Errorf("demo content: too few members in %s", all.Name)
	}
	var evs []chat.Event
	for i, sub := range demoSubmissions {
		m := writers[len(writers)-1-i*7%len(writers)]
		evs = append(evs, chat.Event{ID: fmt.Sprintf("demo-submit-%d", i), Connection: s.Name(), Platform: "sim", Type: chat.EventMessage, Group: all.ExternalID,
			Time: now.Add(-time.Duration(len(demoSubmissions)-i) * time.Minute), Sender: chat.User{ID: m.PlatformUserID, Name: m.Name},
			Message: &chat.Message{ID: fmt.Sprintf("demo-submit-%d", i), Kind: chat.KindText, Text: "投稿：" + sub.text}})
	}
	// They are live (a command in a message older than the pipeline's
	// LiveWindow is only chat): seeding the history takes less.
	if _, err := in.IngestCount(ctx, evs); err != nil {
		return fmt.Errorf("demo 投稿: %w", err)
	}
	submitted, err := db.Scripts(ctx, org.ID, content.Submitted)
	if err != nil {
		return err
	}
	if len(submitted) < len(demoSubmissions) {
		return fmt.Errorf("demo 投稿: the members' submissions were not taken (%d of %d)", len(submitted), len(demoSubmissions))
	}
	for _, sc := range submitted {
		for _, sub := range demoSubmissions {
			if sub.reject != "" && sc.Body == sub.text {
				if _, err := db.MoveScript(ctx, org.ID, sc.ID, content.Rejected, content.Reviewer, reviewer, sub.reject); err != nil {
					return fmt.Errorf("demo 投稿 rejected: %w", err)
				}
			}
		}
	}

	// Pushes. This morning's: sent now (a little late, as after a
	// restart), delivered by the simulator.
	cfg, err := db.Slots(ctx, org.ID, 0)
	if err != nil {
		return err
	}
	loc := cfg.Location()
	local := now.In(loc)
	day := func(d int) string { return local.AddDate(0, 0, d).Format("2006-01-02") }
	plan := func(title string, sel content.Selector, w content.When) ([]content.Push, error) {
		ps, err := content.PlanPushes(ctx, db, content.PlanRequest{OrgID: org.ID, ScriptID: ids[title], Select: sel, When: w, Actor: reviewer})
		if err != nil {
			return nil, fmt.Errorf("demo push of %s: %w", title, err)
		}
		return ps, nil
	}
	branch := content.Selector{NodeID: cohort.NodeID, Kind: string(community.KindCohort)}
	if _, err := plan("早高峰：直播带货的三个误区", branch, content.When{At: now.Add(-2 * time.Hour)}); err != nil {
		return err
	}
	// The withdrawn notice: planned for an hour ago, then its script goes
	// back to a draft; it is skipped with the reason when due.
	if _, err := plan("临时通知：明晚直播改期", content.Selector{GroupIDs: []int64{all.ID}}, content.When{At: now.Add(-time.Hour)}); err != nil {
		return err
	}
	if _, err := db.MoveScript(ctx, org.ID, ids["临时通知：明晚直播改期"], content.Approved, content.Publisher, reviewer, ""); err != nil {
		return err
	}
	if _, err := db.MoveScript(ctx, org.ID, ids["临时通知：明晚直播改期"], content.Draft, content.Editor, reviewer, "直播没有改期，通知作废"); err != nil {
		return err
	}
	if _, err := db.SendDuePushes(ctx, 100); err != nil {
		return err
	}
	// This morning's went out: the publisher marks its script published.
	if _, err := db.MoveScript(ctx, org.ID, ids["早高峰：直播带货的三个误区"], content.Published, content.Publisher, reviewer, ""); err != nil {
		return err
	}
	// In a few hours, whatever the time of day the demo starts: the noon
	// script to the all-hands group (at night its quiet hours move it to
	// the morning), so the duty board's next 24 hours always have a push.
	if _, err := plan("午高峰：一张图看懂农产品详情页", content.Selector{GroupIDs: []int64{all.ID}}, content.When{At: now.Add(3 * time.Hour)}); err != nil {
		return err
	}
	// Tomorrow: noon to every cohort; the evening one to the lively cohort,
	// with the charity sale at 21:00 after it (too close: deferred to the
	// next morning's peak), and to the owners at 23:45 (their quiet hours
	// send it to the next morning).
	if _, err := plan("午高峰：一张图看懂农产品详情页", content.Selector{Kind: string(community.KindCohort)}, content.When{Date: day(1), Slot: "noon"}); err != nil {
		return err
	}
	evening := content.Selector{GroupIDs: []int64{cohort.ID}}
	if _, err := plan("晚高峰：今天你复盘了吗", evening, content.When{Date: day(1), Slot: "evening"}); err != nil {
		return err
	}
	late, err := time.ParseInLocation("2006-01-02 15:04", day(1)+" 21:00", loc)
	if err != nil {
		return err
	}
	if _, err := plan("合作社年货节义卖", evening, content.When{At: late}); err != nil {
		return err
	}
	night, err := time.ParseInLocation("2006-01-02 15:04", day(1)+" 23:45", loc)
	if err != nil {
		return err
	}
	if _, err := plan("晚高峰：今天你复盘了吗", content.Selector{GroupIDs: []int64{owners.ID}}, content.When{At: night}); err != nil {
		return err
	}
	// One planned and cancelled: the day after tomorrow's all-hands push.
	ps, err := plan("晚高峰：今天你复盘了吗", content.Selector{GroupIDs: []int64{all.ID}}, content.When{Date: day(2), Slot: "evening"})
	if err != nil {
		return err
	}
	if _, err := content.CancelPush(ctx, db, org.ID, ps[0].ID, nil, reviewer); err != nil {
		return err
	}

	// The lively cohort's rotation: its secretary first, then the
	// assistants (店小二轮流).
	staff, err := db.Members(ctx, cohort.ID)
	if err != nil {
		return err
	}
	var roster []int64
	for _, role := range []community.Role{community.RoleSecretary, community.RoleAssistant} {
		for _, m := range staff {
			if m.Role == role && m.LeftAt == nil {
				roster = append(roster, m.PersonID)
			}
		}
	}
	return db.SetDutyRoster(ctx, org.ID, cohort.ID, roster, reviewer)
}
