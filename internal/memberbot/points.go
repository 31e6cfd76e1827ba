package memberbot

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// Points besides the check-in's, where a group's [checkin] is on:
//
//   - a substantive post (three lines or more: analytics.Substantive, the
//     lint's 三行以上 and the rollups' substantive count) earns
//     post_points, for at most posts_per_day posts a member a day; staff's
//     posts earn none, as the rollups count none of theirs;
//   - staff award points: "/award @member N [reason]" or "加分 @member N
//     [reason]" (or "/award N" replying to the member's message), N from -MaxAward
//     to MaxAward and not 0 (a negative N takes points away); a member's
//     award is judged as any other message;
//   - "/points", "积分" or "积分榜" shows the group's board: this month's
//     points where they reset monthly, else all time's.
//
// Each is recorded in the ingest transaction once (pipeline.Points: a
// post by its message id, an award by its event), so an event delivered
// again adds nothing.

// MaxAward is the most points staff may give (or take) at once.
const MaxAward = 100

// maxReason is the longest reason an award keeps, in characters.
const maxReason = 100

// boardRows is how many members the chat's board names.
const boardRows = 10

// BoardRow is a member's place on the console's points board.
type BoardRow struct {
	PersonID     int64
	Name         string
	Month, Total int // this month's points, all time's
}

// pointsCall reads the points commands: "award" with its words, or
// "board". The slash forms take the bot's name ("/award@some_bot").
func pointsCall(text string) (cmd string, args []string, ok bool) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", nil, false
	}
	head, slash := fields[0], false
	for _, p := range []string{"/", "／"} {
		if h, cut := strings.CutPrefix(head, p); cut {
			head, slash = h, true
			break
		}
	}
	if slash {
		head, _, _ = strings.Cut(head, "@")
		head = strings.ToLower(head)
	}
	switch {
	case head == "award" && slash, head == "加分" && (slash || len(fields) > 1):
		return "award", fields[1:], true
	case (head == "points" && slash || head == "积分" || head == "积分榜") && len(fields) == 1:
		return "board", nil, true
	}
	return "", nil, false
}

// awardArgs reads an award's words: the mentions first, then the points
// ("5", "+5", "-3", "5分"), then the reason.
func awardArgs(args []string) (n int, reason string, ok bool) {
	for i, a := range args {
		if strings.HasPrefix(a, "@") {
			continue
		}
		v, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(a, "分"), "+"))
		if err != nil {
			return 0, "", false
		}
		reason = strings.Join(args[i+1:], " ")
		if utf8.RuneCountInString(reason) > maxReason {
			reason = string([]rune(reason)[:maxReason]) + "…"
		}
		return v, reason, v != 0 && v >= -MaxAward && v <= MaxAward
	}
	return 0, "", false
}

// points handles what a message means for points; handled is false when
// it is none of the commands (its verdicts are then none).
func (b *Bot) points(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet) ([]pipeline.Verdict, bool, error) {
	msg := in.Event.Message
	text := strings.TrimSpace(msg.Text)
	if cmd, args, ok := pointsCall(text); ok && !msg.ForOtherBot {
		switch {
		case cmd == "board":
			v, ok, err := b.board(ctx, in, rs)
			if !ok {
				return nil, true, err
			}
			return []pipeline.Verdict{v}, true, err
		case in.Membership.Role.Staff():
			v, err := b.award(ctx, in, rs, args)
			return []pipeline.Verdict{v}, true, err
		}
		return nil, false, nil // a member's award: any other message
	}
	return nil, false, b.postPoints(ctx, in, rs, text)
}

func (b *Bot) day(t time.Time) string {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	return t.In(loc).Format(time.DateOnly)
}

// since is the first day the points a group shows count from: the
// month's first where they reset monthly.
func (b *Bot) since(t time.Time, c rules.Checkin) string {
	if c.Monthly() {
		return b.day(t)[:len("2006-01")] + "-01"
	}
	return "0000-01-01"
}

// postPoints records a substantive post's points, up to the day's cap.
func (b *Bot) postPoints(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, text string) error {
	c := rs.Checkin
	if c.PostPoints <= 0 || in.Membership.Role.Staff() || !analytics.Substantive(text) {
		return nil
	}
	if _, cmd := pipeline.ParseCommand(text); cmd {
		return nil // a command, not a post (投稿 with its text is the library's)
	}
	if _, _, cmd := pointsCall(text); cmd {
		return nil
	}
	e := in.Event
	day := b.day(e.Time)
	n, err := in.Points.CountPoints(ctx, in.Group.ID, in.PersonID, pipeline.PointsPost, day)
	if err != nil || n >= c.PostCap() {
		return err
	}
	ref := e.Message.ID
	if ref == "" {
		ref = e.Connection + ":" + e.ID
	}
	_, err = in.Points.AddPoints(ctx, pipeline.PointsEntry{GroupID: in.Group.ID, PersonID: in.PersonID, Day: day, Kind: pipeline.PointsPost,
		Points: c.PostPoints, Ref: ref, At: e.Time})
	return err
}

// award gives the member a staff member names (or replies to) points.
func (b *Bot) award(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, args []string) (pipeline.Verdict, error) {
	e := in.Event
	say := func(zh, en string) pipeline.Verdict {
		return pipeline.Verdict{Action: chat.ActSend, Reason: "award", Text: community.Say(lang(in, rs), zh, en)}
	}
	target := in.ReplySender
	if len(e.Message.Mentions) > 0 {
		target = e.Message.Mentions[0]
	}
	n, reason, ok := awardArgs(args)
	if target == "" || !ok || in.Person == nil {
		return say(fmt.Sprintf("用法：加分 @成员 分数 [原因]，分数 1 到 %d（扣分写负数）；也可以回复成员的消息发「/award 分数」。", MaxAward),
			fmt.Sprintf("Usage: /award @member POINTS [reason], POINTS from 1 to %d (negative to take points away); or reply /award POINTS to their message.", MaxAward)), nil
	}
	if target == e.Sender.ID {
		return say("不能给自己加分。", "You cannot award yourself points."), nil
	}
	pid, err := in.Person(chat.User{ID: target})
	if err != nil {
		return pipeline.Verdict{}, err
	}
	name := e.Sender.Name
	if name == "" {
		name = e.Sender.ID
	}
	if _, err := in.Points.AddPoints(ctx, pipeline.PointsEntry{GroupID: in.Group.ID, PersonID: pid, Day: b.day(e.Time), Kind: pipeline.PointsAward,
		Points: n, Ref: e.Connection + ":" + e.ID, Actor: "staff:" + e.Sender.ID, ActorName: name, Reason: reason, At: e.Time}); err != nil {
		return pipeline.Verdict{}, err
	}
	total, err := in.Checkins.PointsSince(ctx, in.Group.ID, pid, b.since(e.Time, rs.Checkin))
	if err != nil {
		return pipeline.Verdict{}, err
	}
	why := ""
	if reason != "" {
		why = "（" + reason + "）"
	}
	if rs.Checkin.Monthly() {
		return say(fmt.Sprintf("已加分 %+d%s，TA 本月共 %d 分。", n, why, total), fmt.Sprintf("Awarded %+d points%s; %d this month.", n, enWhy(reason), total)), nil
	}
	return say(fmt.Sprintf("已加分 %+d%s，TA 共 %d 分。", n, why, total), fmt.Sprintf("Awarded %+d points%s; %d in all.", n, enWhy(reason), total)), nil
}

func enWhy(reason string) string {
	if reason == "" {
		return ""
	}
	return " (" + reason + ")"
}

// board is the group's points board, given at most once in NoteCooldown;
// ok is false within it.
func (b *Bot) board(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet) (pipeline.Verdict, bool, error) {
	e := in.Event
	if !b.due(answerKey{in.Group.ID, "\x00points"}, e.Time, NoteCooldown) {
		return pipeline.Verdict{}, false, nil
	}
	top, err := in.Points.PointsBoard(ctx, in.Group.ID, b.since(e.Time, rs.Checkin), boardRows)
	if err != nil {
		return pipeline.Verdict{}, false, err
	}
	return pipeline.Verdict{Action: chat.ActSend, Reason: "points", Text: BoardText(lang(in, rs), rs.Checkin.Monthly(), top)}, true, nil
}

// BoardText is the chat's points board.
func BoardText(lang string, monthly bool, top []pipeline.PointsRank) string {
	title := community.Say(lang, "🏆 积分榜（累计）", "🏆 Points, all time")
	if monthly {
		title = community.Say(lang, "🏆 本月积分榜", "🏆 Points this month")
	}
	if len(top) == 0 {
		return title + "\n" + community.Say(lang, "还没有人得分：打卡、用心发言（三行以上）都能得分。", "No points yet: check in, or post something substantive (three lines or more).")
	}
	var s strings.Builder
	s.WriteString(title)
	for i, p := range top {
		fmt.Fprintf(&s, "\n%d. %s — %d", i+1, p.Name, p.Points)
	}
	return s.String()
}
