package memberbot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The join gate ([gate]): a newcomer in a gated group is held until they
// pass, and removed if they do not pass in time.
//
//   - button: muted, and asked to press a button under the bot's message;
//     where the platform shows no buttons (chat.CapButtons), code instead.
//   - code: asked to send a code the bot shows (not muted: a muted member
//     could not send it); what else they post meanwhile is deleted.
//   - approve: muted until staff let them in (the console's /memberbot).
//
// Where the platform cannot mute, the newcomer's posts are deleted until
// they pass instead, and the prompt says so. Passing lifts the mute, and
// the newcomer joins the group's welcome (they got none on joining). The
// check is stored (Input.Gates) with its due time, so a restart neither
// forgets a newcomer nor lets them off: the scheduler's sweep
// (store.SweepGates) removes those still held when their time is up.
// Staff joining are not held. Newcomers an anti-raid lockdown holds
// (raid.go, action "hold") are recorded at the gate too, with no due
// time, so that staff see them in the console and let them in or remove
// them.

// Waiting is a newcomer waiting at a group's gate, as the console lists
// them.
type Waiting struct {
	PersonID int64
	Name     string     // their name when they joined
	Mode     string     // button, code, approve, or pipeline.GateRaid
	Due      *time.Time // removed unless let in by then; nil: held until staff decide
	At       time.Time  // when they joined
}

// GatePrefix starts the data of the gate's button: "gate:<user id>".
const GatePrefix = "gate:"

// gate decides on an event of a non-staff member in a group whose
// newcomers may be held: a join to hold, a press or a message of one
// held. held says the event was the gate's: no welcome, answer or
// check-in for it.
func (b *Bot) gate(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, out []pipeline.Verdict) (vs []pipeline.Verdict, held bool, err error) {
	e := in.Event
	switch {
	case e.Type == chat.EventMemberJoined && rs.Gate.On() && in.Caps.Can(chat.ActSend):
		// (Where the bot cannot post, a newcomer could not learn how to
		// pass: no gate. The console says so.)
		if staff, err := orgStaff(ctx, in); err != nil || staff {
			return out, false, err
		}
		vs, err := b.gateJoin(ctx, in, rs)
		return append(out, vs...), true, err
	case e.Type == chat.EventButton && strings.HasPrefix(e.Button.Data, GatePrefix), e.Type == chat.EventMessage && watchesGate(rs):
		c, ok, err := in.Gates.PendingGate(ctx, in.Group.ID, in.PersonID)
		if err != nil || !ok {
			return out, false, err
		}
		vs, err := b.gateHeld(ctx, in, rs, c, out)
		return vs, true, err
	}
	return out, false, nil
}

// gateJoin holds a newcomer at the gate: the check recorded, the mute,
// and the prompt (the bot can post: see gate).
func (b *Bot) gateJoin(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet) ([]pipeline.Verdict, error) {
	e, g := in.Event, rs.Gate
	lang := lang(in, rs)
	mode := g.Mode
	if mode == rules.GateButton && !in.Caps.Can(chat.CapButtons) {
		mode = rules.GateCode
	}
	c := pipeline.GateCheck{GroupID: in.Group.ID, PersonID: in.PersonID, User: e.Sender.ID, Name: displayName(e.Sender), Mode: mode, Lang: lang, At: e.Time}
	c.Muted = mode != rules.GateCode && in.Caps.Can(chat.ActMute)
	if mode != rules.GateApprove {
		c.Due = e.Time.Add(g.Wait())
	}
	if mode == rules.GateCode {
		c.Code = newCode()
	}
	if err := in.Gates.OpenGate(ctx, c); err != nil {
		return nil, err
	}
	var vs []pipeline.Verdict
	if c.Muted {
		vs = append(vs, pipeline.Verdict{Action: chat.ActMute, Rule: "gate", Category: "gate", Actor: "rules",
			Reason: community.Say(lang, "入群验证：通过前暂不能发言", "join check: may not post until passed")})
	}
	wait := durationText(lang, g.Wait())
	var text string
	switch mode {
	case rules.GateButton:
		text = fmt.Sprintf(community.Say(lang, "@%s 欢迎加入！请在 %s内点击下方按钮完成入群验证，通过前暂不能发言，超时将被移出。",
			"@%s welcome! Press the button below within %s to show you are a person. Until then you cannot post; after that you will be removed."), c.Name, wait)
	case rules.GateCode:
		text = fmt.Sprintf(community.Say(lang, "@%[1]s 欢迎加入！请在 %[2]s内在群里发送验证码 %[3]s 完成入群验证；通过前发的其他消息会被删除，超时将被移出。",
			"@%[1]s welcome! Send the code %[3]s in this group within %[2]s to show you are a person. Anything else you post before that is deleted; after that you will be removed."), c.Name, wait, c.Code)
	default: // approve
		text = fmt.Sprintf(community.Say(lang, "@%s 欢迎加入！本群新成员需管理员审核，通过前暂不能发言。", "@%s welcome! Newcomers here wait for an admin to let them in; until then you cannot post."), c.Name)
	}
	if mode != rules.GateCode && !in.Caps.Can(chat.ActMute) {
		// The platform cannot mute: say what happens instead.
		text += community.Say(lang, "（本平台不支持禁言：通过前你发的消息会被删除。）", " (This platform cannot mute: your messages are deleted until then.)")
	}
	v := pipeline.Verdict{Action: chat.ActSend, NoReply: true, Reason: "gate", Text: text, Mention: &chat.User{ID: e.Sender.ID, Name: c.Name},
		Key: e.Connection + ":gate:" + e.Group + ":" + e.Sender.ID + ":" + strconv.FormatInt(e.Time.UnixMilli(), 10)}
	if mode == rules.GateButton {
		v.Buttons = []chat.Button{{Text: community.Say(lang, "我不是机器人 ✅", "I am not a robot ✅"), Data: GatePrefix + e.Sender.ID}}
	}
	return append(vs, v), nil
}

// gateHeld decides on what a newcomer held at the gate does: the button
// pressed or the code sent passes them; anything else they post is
// deleted. out is what the rules decided already.
func (b *Bot) gateHeld(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, c pipeline.GateCheck, out []pipeline.Verdict) ([]pipeline.Verdict, error) {
	e := in.Event
	late := !c.Due.IsZero() && !e.Time.Before(c.Due) // the sweep removes them
	switch e.Type {
	case chat.EventButton:
		if c.Mode == rules.GateButton && e.Button.Data == GatePrefix+c.User && e.Sender.ID == c.User && !late {
			return b.gatePass(ctx, in, rs, c, out)
		}
		return out, nil // someone else's button, or too late
	case chat.EventMessage:
		if c.Mode == rules.GateCode && !late && e.Message != nil && strings.Contains(halfWidthDigits(e.Message.Text), c.Code) {
			return b.gatePass(ctx, in, rs, c, out)
		}
		gone := slices.ContainsFunc(out, func(v pipeline.Verdict) bool {
			return v.Target == "" && (v.Action == chat.ActDelete || v.Action == chat.ActMute || v.Action == chat.ActKick || v.Action == chat.ActBan)
		})
		if !gone && in.Caps.Can(chat.ActDelete) {
			out = append(out, pipeline.Verdict{Action: chat.ActDelete, Rule: "gate", Category: "gate", Actor: "rules",
				Reason: community.Say(lang(in, rs), "入群验证通过前不能发言", "may not post before passing the join check")})
		}
	}
	return out, nil
}

// gatePass lets a newcomer in: the check passed, the mute lifted, and the
// welcome (or, where the group has none, a word that they may speak).
func (b *Bot) gatePass(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, c pipeline.GateCheck, out []pipeline.Verdict) ([]pipeline.Verdict, error) {
	if err := in.Gates.PassGate(ctx, c.GroupID, c.PersonID, in.Event.Time, "gate"); err != nil {
		return out, err
	}
	lang := lang(in, rs)
	if c.Muted {
		out = append(out, pipeline.Verdict{Action: chat.ActUnmute, Rule: "gate", Category: "gate", Actor: "rules",
			Reason: community.Say(lang, "已通过入群验证", "passed the join check")})
	}
	if !in.Caps.Can(chat.ActSend) {
		return out, nil
	}
	if rs.Welcome.On() {
		return append(out, b.welcome(in, rs)), nil
	}
	return append(out, pipeline.Verdict{Action: chat.ActSend, NoReply: true, Reason: "gate",
		Text: fmt.Sprintf(community.Say(lang, "%s 已通过入群验证，可以发言了。", "%s passed the join check and may post now."), c.Name)}), nil
}

// holdAtGate records a newcomer an anti-raid lockdown holds, for staff
// to let in or remove.
func holdAtGate(ctx context.Context, in *pipeline.Input, rs *rules.RuleSet, pid int64, user, name string) error {
	if in.Gates == nil || pid == 0 {
		return nil
	}
	return in.Gates.OpenGate(ctx, pipeline.GateCheck{GroupID: in.Group.ID, PersonID: pid, User: user, Name: name, Mode: pipeline.GateRaid,
		Lang: lang(in, rs), Muted: in.Caps.Can(chat.ActMute), At: in.Event.Time})
}

// watchesGate reports whether a group's members may be held at the gate:
// what they post is checked against their pending check.
func watchesGate(rs *rules.RuleSet) bool { return rs.Gate.On() || rs.Raid.On() && rs.Raid.Hold() }

// orgStaff reports whether a joiner is staff elsewhere in the
// organisation (their membership here is new: a member's): not held at
// the gate, nor counted as a raider.
func orgStaff(ctx context.Context, in *pipeline.Input) (bool, error) {
	if in.Gates == nil {
		return false, nil
	}
	return in.Gates.OrgStaff(ctx, in.Group.OrgID, in.PersonID)
}

// newCode is a gate's code: four digits, not starting with 0.
func newCode() string { return strconv.Itoa(1000 + rand.IntN(9000)) }

// halfWidthDigits turns full-width digits (１２３４, typed on a Chinese
// keyboard) into ASCII ones.
func halfWidthDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return '0' + (r - '０')
		}
		return r
	}, s)
}

func displayName(u chat.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}
