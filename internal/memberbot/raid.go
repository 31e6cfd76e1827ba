package memberbot

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The anti-raid lockdown ([raid]): more than Joins joins within Within
// lock the group down for Lockdown. The joins that tripped it and every
// join until it ends are removed, or held (muted, and recorded at the
// join gate until staff let them in or remove them: gate.go)
// where the rules say hold; none of them is welcomed. The group is told
// once, the organisation's staff group (where it has one) is alerted once,
// and the group is told when the lockdown ends — a message queued with
// the lockdown, so it is sent after a restart too. The lockdown itself is
// stored (Input.Lockdowns): a restart does not lift it early. The joins
// counted towards one are the process's memory, like the welcome windows.

// joinAt is a recent join: when, and who.
type joinAt struct {
	at   time.Time
	user string
	pid  int64  // their person id
	name string // their name, for the console's list of the held
}

// raid counts a join towards a lockdown and acts on it. locked says the
// join came during a lockdown (or started one): it gets no welcome.
func (b *Bot) raid(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet) (vs []pipeline.Verdict, locked bool, err error) {
	e, g, r := in.Event, in.Group, rs.Raid
	until, ok, err := in.Lockdowns.Lockdown(ctx, g.ID)
	if err != nil {
		return nil, false, err
	}
	if ok && e.Time.Before(until) {
		if r.Hold() {
			if err := holdAtGate(ctx, in, rs, in.PersonID, e.Sender.ID, displayName(e.Sender)); err != nil {
				return nil, false, err
			}
		}
		return []pipeline.Verdict{lockdownVerdict(in, r, "")}, true, nil
	}
	b.mu.Lock()
	if b.joins == nil {
		b.joins = map[int64][]joinAt{}
	}
	from := e.Time.Add(-r.Span())
	js := b.joins[g.ID]
	for len(js) > 0 && !js[0].at.After(from) {
		js = js[1:]
	}
	js = append(js, joinAt{at: e.Time, user: e.Sender.ID, pid: in.PersonID, name: displayName(e.Sender)})
	if len(js) <= r.Joins {
		b.joins[g.ID] = js
		if len(b.joins) > 10_000 { // forget groups long quiet
			for id, old := range b.joins {
				if len(old) == 0 || e.Time.Sub(old[len(old)-1].at) > time.Hour {
					delete(b.joins, id)
				}
			}
		}
		b.mu.Unlock()
		return nil, false, nil
	}
	// A raid: lock the group down. The welcome the raiders' window would
	// have sent becomes the lockdown's notice.
	delete(b.joins, g.ID)
	w := b.windows[g.ID]
	delete(b.windows, g.ID)
	b.mu.Unlock()

	start, end := e.Time, e.Time.Add(r.Period())
	if err := in.Lockdowns.SetLockdown(ctx, g.ID, start, end); err != nil {
		return nil, false, err
	}
	for _, j := range js {
		target := ""
		if j.user != e.Sender.ID {
			target = j.user
		}
		vs = append(vs, lockdownVerdict(in, r, target))
		if r.Hold() {
			if err := holdAtGate(ctx, in, rs, j.pid, j.user, j.name); err != nil {
				return nil, false, err
			}
		}
	}
	if !in.Caps.Can(chat.ActSend) {
		return vs, true, nil
	}
	lang := lang(in, rs)
	span, period := durationText(lang, r.Span()), durationText(lang, r.Period())
	what := community.Say(lang, "期间新入群的人将被移出", "newcomers meanwhile are removed")
	if r.Hold() {
		what = community.Say(lang, "期间新入群的人将被禁言，等待管理员审核", "newcomers meanwhile are muted until an admin lets them speak")
	}
	stamp := strconv.FormatInt(start.UnixMilli(), 10)
	key := e.Connection + ":raid:" + e.Group + ":" + stamp
	notice := pipeline.Verdict{Action: chat.ActSend, Key: key, NoReply: true, Reason: "raid",
		Text: fmt.Sprintf(community.Say(lang, "%s内有 %d 人入群，本群临时锁定 %s：%s。", "%[2]d people joined within %[1]s: the group is locked for %[3]s, and %[4]s."), span, len(js), period, what)}
	if w != nil && e.Time.Before(w.start.Add(welcomeSpan(rs))) {
		// Not sent yet: it becomes the notice. (One whose window has
		// ended is sent or on its way, and cannot be revised.)
		notice.Key, notice.Revise, notice.NotBefore = w.key, true, start
	}
	vs = append(vs, notice, pipeline.Verdict{Action: chat.ActSend, Key: e.Connection + ":raid-end:" + e.Group + ":" + stamp, NoReply: true, NotBefore: end, Reason: "raid",
		Text: community.Say(lang, "入群锁定已结束，欢迎新朋友加入。", "The lockdown is over: newcomers are welcome again.")})
	conn, staff, ok, err := in.Lockdowns.StaffPlace(ctx, g.OrgID)
	if err != nil {
		return nil, false, err
	}
	if ok && (conn != e.Connection || staff != e.Group) {
		vs = append(vs, pipeline.Verdict{Action: chat.ActSend, Key: e.Connection + ":raid-alert:" + e.Group + ":" + stamp, NoReply: true, Reason: "raid",
			ToConnection: conn, ToGroup: staff,
			Text: fmt.Sprintf(community.Say(lang, "【入群防刷】群「%s」%s内有 %d 人入群，已锁定至 %s：%s。", "Raid: %[3]d people joined “%[1]s” within %[2]s; it is locked until %[4]s, and %[5]s."),
				g.Name, span, len(js), end.In(b.location()).Format("15:04"), what)})
	}
	return vs, true, nil
}

// lockdownVerdict is what happens to a join during a lockdown: removed,
// or held (muted until staff lift it). target is the joiner when it is
// not the event's.
func lockdownVerdict(in *pipeline.Input, r rules.Raid, target string) pipeline.Verdict {
	lang := in.Group.Lang()
	v := pipeline.Verdict{Action: chat.ActKick, Rule: "raid", Category: "raid", Actor: "rules", Target: target,
		Reason: community.Say(lang, "入群防刷：群已临时锁定", "anti-raid: the group is locked down")}
	if r.Hold() {
		v.Action = chat.ActMute
	}
	return v
}

// durationText is a duration in words, in seconds when it is not whole
// minutes (a raid's window of 10 seconds).
func durationText(lang string, d time.Duration) string {
	if d%time.Minute == 0 {
		return community.DurationText(lang, d)
	}
	return fmt.Sprintf(community.Say(lang, "%d 秒", "%d seconds"), int(d/time.Second))
}

// location is the server's time zone.
func (b *Bot) location() *time.Location {
	if b.Location == nil {
		return time.UTC
	}
	return b.Location
}
