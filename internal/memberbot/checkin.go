package memberbot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The daily check-in (打卡, [checkin]): a member sends one of the group's
// check-in words (打卡 unless set) or /checkin; the first of a day is
// recorded with the streak of days in a row it makes and its points (the
// check-in's, and the streak bonus on every seventh day in a row), in the
// ingest transaction; the bot replies with the streak and the points so
// far (this month's where they reset monthly). A second the same day is
// told so. Days are the server's.

// Points is a member's check-ins in a group: the points in all and this
// month, the streak of their last check-in and its day.
type Points struct {
	GroupID int64
	Total   int
	Month   int    // since the first of this month
	Streak  int    // days in a row ending on Last
	Last    string // YYYY-MM-DD
}

// checkinCall reports whether a message is a check-in: one of the words,
// or /checkin (or /checkin@some_bot).
func checkinCall(text string, c rules.Checkin) bool {
	if name, ok := noteCall(text); ok && text[0] == '/' && strings.EqualFold(name, "checkin") {
		return true
	}
	for _, w := range c.Triggers() {
		if text == w {
			return true
		}
	}
	return false
}

// NextStreak is the streak a check-in on day makes after the last one
// (on last, ending a streak of n; ok false when there was none): one more
// the day after, 1 after a gap. again is true when last is day itself.
func NextStreak(last string, n int, ok bool, day time.Time) (streak int, again bool) {
	today := day.Format(time.DateOnly)
	switch {
	case !ok:
		return 1, false
	case last == today:
		return n, true
	case last == day.AddDate(0, 0, -1).Format(time.DateOnly):
		return n + 1, false
	}
	return 1, false
}

// CheckinPoints is what a check-in that makes a streak earns.
func CheckinPoints(c rules.Checkin, streak int) int {
	p := c.PerCheckin()
	if c.StreakBonus > 0 && streak > 0 && streak%7 == 0 {
		p += c.StreakBonus
	}
	return p
}

// checkin records a member's check-in and returns the bot's reply.
func (b *Bot) checkin(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet) (pipeline.Verdict, error) {
	loc := b.Location
	if loc == nil {
		loc = time.UTC
	}
	e := in.Event
	at := e.Time.In(loc)
	day := at.Format(time.DateOnly)
	c := rs.Checkin
	last, n, ok, err := in.Checkins.LastCheckin(ctx, in.Group.ID, in.PersonID)
	if err != nil {
		return pipeline.Verdict{}, err
	}
	streak, again := NextStreak(last, n, ok, at)
	if !again {
		err := in.Checkins.AddCheckin(ctx, pipeline.Checkin{GroupID: in.Group.ID, PersonID: in.PersonID, Day: day, Streak: streak, Points: CheckinPoints(c, streak), At: e.Time})
		if err != nil {
			return pipeline.Verdict{}, err
		}
	}
	total, err := in.Checkins.PointsSince(ctx, in.Group.ID, in.PersonID, b.since(e.Time, c))
	if err != nil {
		return pipeline.Verdict{}, err
	}
	name := e.Sender.Name
	if name == "" {
		name = e.Sender.ID
	}
	return pipeline.Verdict{Action: chat.ActSend, Reason: "checkin", Text: checkinReply(lang(in, rs) == community.BotEn, name, streak, CheckinPoints(c, streak), total, again, c.Monthly())}, nil
}

func checkinReply(en bool, name string, streak, points, total int, again, monthly bool) string {
	days := "days"
	if streak == 1 {
		days = "day"
	}
	switch {
	case en && again:
		return fmt.Sprintf("%s, you checked in today already: %d %s in a row, %d points%s.", name, streak, days, total, map[bool]string{true: " this month", false: ""}[monthly])
	case en:
		return fmt.Sprintf("%s checked in: %d %s in a row, +%d points (%d%s).", name, streak, days, points, total, map[bool]string{true: " this month", false: " in all"}[monthly])
	case again:
		return fmt.Sprintf("%s 今天已经打过卡了：已连续 %d 天，%s %d 分。", name, streak, map[bool]string{true: "本月积分", false: "积分共"}[monthly], total)
	}
	return fmt.Sprintf("%s 打卡成功！已连续 %d 天，积分 +%d（%s %d 分）。", name, streak, points, map[bool]string{true: "本月共", false: "共"}[monthly], total)
}
