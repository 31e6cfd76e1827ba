package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

var defaultExempt = []string{"owner", "secretary", "assistant"}

// categoryNames are the categories in words, for reasons.
var categoryNames = map[string]Text{
	"ad":        {"广告", "advertising"},
	"religion":  {"宗教", "religion"},
	"vote":      {"无关投票", "vote solicitation"},
	"donation":  {"劝捐", "donation solicitation"},
	"abuse":     {"骂人、人身攻击", "abuse"},
	"rumor":     {"造谣、传谣", "rumours"},
	"porn":      {"色情", "pornography"},
	"gambling":  {"赌博", "gambling"},
	"drugs":     {"毒品", "drugs"},
	"politics":  {"反动言论", "political agitation"},
	"content":   {"禁止的消息类型", "a banned message type"},
	"quiet":     {"作息时间", "quiet hours"},
	"nickname":  {"群昵称格式", "the nickname format"},
	"flood":     {"刷屏", "flooding"},
	"probation": {"新人限制", "the newcomer restriction"},
	"mentions":  {"滥用 @", "mention spam"},
}

// specificFirst orders categories of equally severe hits: the specific
// offence before the generic one ("水滴筹，求扩散" is a donation appeal that
// also asks to be forwarded).
var specificFirst = []string{"porn", "gambling", "drugs", "politics", "religion", "donation", "vote", "abuse", "rumor", "ad"}

func categoryRank(c string) int {
	if i := slices.Index(specificFirst, c); i >= 0 {
		return i
	}
	return len(specificFirst)
}

// CategoryName returns a category in words; a custom category is its name.
func CategoryName(c string) Text {
	if t, ok := categoryNames[c]; ok {
		return t
	}
	return Text{c, c}
}

var kindNames = map[string]Text{
	"voice": {"语音", "voice messages"}, "video": {"视频", "videos"}, "image": {"图片", "images"}, "link": {"链接", "links"},
	"file": {"文件", "files"}, "card": {"名片", "contact cards"}, "miniprogram": {"小程序", "mini-programs"},
	"redpacket": {"红包", "red packets"}, "forward": {"转发的聊天记录", "forwarded chats"}, "sticker": {"表情", "stickers"}, "text": {"文字", "text"},
}

// KindName returns a content type in words.
func KindName(k string) Text {
	if t, ok := kindNames[k]; ok {
		return t
	}
	return Text{k, k}
}

func (rs *RuleSet) exempt(role string) bool {
	ex := rs.Exempt
	if ex == nil {
		ex = defaultExempt
	}
	return slices.Contains(ex, role)
}

// exemptsLecturers reports whether the rules do not apply to lecturers.
func (rs *RuleSet) exemptsLecturers() bool { return slices.Contains(rs.Exempt, "lecturer") }

// candidate collects the harshest verdict.
type candidate struct {
	v   Verdict
	set bool
}

func (c *candidate) offer(v Verdict) {
	if !c.set || v.Action.Severe(c.v.Action) {
		c.v, c.set = v, true
	}
}

// resolve turns "ladder" into the rung for the member's earlier offences.
func (rs *RuleSet) resolve(a Action, offences int) (Action, time.Duration) {
	if a != Ladder {
		return a, 0
	}
	steps := rs.Escalation.Steps
	i := min(offences, len(steps)-1)
	st, _ := ParseStep(steps[i])
	return st.Action, st.Duration
}

// Evaluate judges one input against a rule set. It allocates only for the
// verdict of a message that breaks a rule.
func (e *Engine) Evaluate(rs *RuleSet, in Input) Verdict { return e.evaluate(rs, &in, true, nil) }

// Decide is Evaluate without the words of the verdict — no rule name,
// reason, matched words or normalised text — for counting and replaying
// many messages: the action, its duration, the category and whether the
// model decided. It allocates nothing.
func (e *Engine) Decide(rs *RuleSet, in Input) Verdict { return e.evaluate(rs, &in, false, nil) }

// evaluate takes the input by pointer: callers judging many messages
// (check, Replay) reuse one Input, and copying its two hundred bytes twice
// a message showed in their profiles. sc is the scratch space to use, nil
// for one from the engine's pool; a caller judging many messages in one
// goroutine keeps its own (&scratch{}) rather than taking one from the pool
// and giving it back each time.
func (e *Engine) evaluate(rs *RuleSet, in *Input, full bool, sc *scratch) Verdict {
	if rs.exempt(in.Role) || in.Lecturer && rs.exemptsLecturers() || slices.Contains(rs.Allow.Members, in.UserID) {
		return Verdict{Action: Allow}
	}
	var c candidate
	name := rs.Name
	rule := func(r string) string {
		if !full {
			return ""
		}
		return name + "/" + r
	}
	// Member events: the nickname rule.
	if in.Join || in.Rename {
		if rs.nick != nil && !rs.nick.MatchString(strings.TrimSpace(in.Nickname)) {
			v := Verdict{Action: Warn, Category: "nickname", Rule: rule("nickname")}
			if full {
				v.Reason = Text{
					fmt.Sprintf("请按群规修改群昵称，格式如「%s」（几栋-几单元-房号+姓名）。", rs.Nickname.Example),
					fmt.Sprintf("Please change your group nickname to the format %q (building-unit-room name).", rs.Nickname.Example)}
			}
			return v
		}
		return Verdict{Action: Allow}
	}
	// Content type.
	if a, ok := rs.Banned[string(in.Kind)]; ok {
		act, d := rs.resolve(a, in.Offences)
		v := Verdict{Action: act, Duration: d, Category: "content", Rule: rule("banned." + string(in.Kind))}
		if full {
			k := KindName(string(in.Kind))
			v.Reason = Text{"本群禁止发送" + k.Zh + "。", "No " + k.En + " in this group."}
		}
		c.offer(v)
	}
	// Newcomers' probation.
	if p := rs.Probation; p.Hours > 0 && !in.JoinedAt.IsZero() && in.At.Sub(in.JoinedAt) < time.Duration(p.Hours)*time.Hour {
		banned := slices.Contains(p.Banned, string(in.Kind)) || (slices.Contains(p.Banned, "link") && (in.URL != "" || strings.Contains(in.Text, "http")))
		if banned {
			a := p.Action
			if a == "" {
				a = Delete
			}
			v := Verdict{Action: a, Category: "probation", Rule: rule("probation")}
			if full {
				v.Reason = Text{fmt.Sprintf("新成员入群 %d 小时内不能发链接、名片或小程序。", p.Hours), fmt.Sprintf("Newcomers may not post links, cards or mini-programs in their first %d hours.", p.Hours)}
			}
			c.offer(v)
		}
	}
	// Words.
	if in.Text != "" {
		pooled := sc == nil
		if pooled {
			sc = e.pool.Get().(*scratch)
		}
		hits := e.classify(sc, in.Text, rs.Allow.Domains)
		hits = sc.inContext(hits, in)
		best, bestModel := "", false
		var bestAct, bestRaw Action
		// A message's hits are mostly of one category: its action is
		// looked up once, not once a hit.
		lastCat, lastA, lastOK := "", Action(""), false
		for i := range hits {
			h := &hits[i] // not a copy of the Hit's hundred bytes
			a, ok := lastA, lastOK
			if i == 0 || h.Category != lastCat {
				a, ok = rs.Categories[h.Category]
				if !ok && !IsBuiltinCategory(h.Category) {
					a, ok = Delete, true // an operator's own category: delete unless configured
				}
				lastCat, lastA, lastOK = h.Category, a, ok
			}
			if !ok || a == Allow {
				continue
			}
			if h.Term == ModelTerm && !h.Enforce {
				a = Warn // a guess of the model only warns
			}
			act, _ := rs.resolve(a, in.Offences)
			// The harshest verdict wins; between equals, words before the
			// model's guess, then the specific category before the generic.
			model := h.Term == ModelTerm
			if best == "" || act.Severe(bestAct) ||
				act == bestAct && (bestModel && !model || bestModel == model && h.Category != best && categoryRank(h.Category) < categoryRank(best)) {
				best, bestAct, bestRaw, bestModel = h.Category, act, a, model
			}
		}
		if best != "" {
			act, d := rs.resolve(bestRaw, in.Offences)
			v := Verdict{Action: act, Duration: d, Category: best}
			for i := range hits {
				if h := &hits[i]; h.Category == best && h.Term == ModelTerm {
					v.Model = true
				}
			}
			if full {
				v.Rule = name + "/categories." + best
				if v.Model {
					v.Rule = name + "/model." + best
				}
				for _, h := range hits {
					switch {
					case h.Category != best:
					case h.Term == ModelTerm:
						v.Matched = append(v.Matched, fmt.Sprintf("model %.3f", h.Score))
					case !slices.Contains(v.Matched, h.Text):
						v.Matched = append(v.Matched, h.Text)
					}
				}
				n := CategoryName(best)
				v.Normalized = string(sc.n.out)
				v.Reason = Text{"违反群规（" + n.Zh + "）", "breaks the group rules (" + n.En + ")"}
			}
			c.offer(v)
		}
		if pooled {
			e.pool.Put(sc)
		}
	}
	// Flood.
	if f := rs.Flood; f.Action != "" {
		over := (f.Messages > 0 && in.Recent > f.Messages) || (f.Identical > 0 && in.Identical >= f.Identical) || (f.MaxLength > 0 && len(in.Text) > f.MaxLength && utf8.RuneCountInString(in.Text) > f.MaxLength)
		if over {
			act, d := rs.resolve(f.Action, in.Offences)
			if act == Mute && d == 0 {
				d = 10 * time.Minute
			}
			v := Verdict{Action: act, Duration: d, Category: "flood", Rule: rule("flood")}
			if full {
				v.Reason = Text{"请勿刷屏。", "Please do not flood the group."}
			}
			c.offer(v)
		}
	}
	// Mention spam.
	if m := rs.Mentions; m.Max > 0 && in.Mentions > m.Max {
		v := Verdict{Action: m.Action, Category: "mentions", Rule: rule("mentions")}
		if full {
			v.Reason = Text{"请勿滥用 @。", "Please do not mention so many members."}
		}
		c.offer(v)
	}
	// Quiet hours: a reminder unless the message broke a rule already.
	if q := rs.Quiet; q.set && !c.set && !in.At.IsZero() && !q.allows(in.At) {
		v := Verdict{Action: q.Action, Category: "quiet", Rule: rule("quiet")}
		if full {
			v.Reason = q.Reminder
			if v.Reason.Zh == "" {
				v.Reason = Text{fmt.Sprintf("群作息时间 %s，休息时间请勿打扰。", q.Allow), fmt.Sprintf("The group posts only during %s.", q.Allow)}
			}
		}
		c.offer(v)
	}
	if !c.set {
		return Verdict{Action: Allow}
	}
	return c.v
}

func (q Quiet) allows(t time.Time) bool {
	loc := q.loc
	if loc == nil {
		loc = defaultZone
	}
	return q.window.Allows(t, loc)
}

// NicknameOK reports whether a nickname fits the rule set's format (true
// when the rule set has none).
func (rs *RuleSet) NicknameOK(nick string) bool {
	return rs.nick == nil || rs.nick.MatchString(strings.TrimSpace(nick))
}
