package rules

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
)

// Notice renders the rules notice (群规通知) of a rule set in "zh" or "en",
// for the group named group. It is generated from the same rule set the
// engine enforces, so what members are told and what is done never
// disagree.
func Notice(rs *RuleSet, lang, group string) string {
	en := lang == "en"
	pick := func(t Text) string {
		if en {
			return t.En
		}
		return t.Zh
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	if en {
		line("[Group rules] %s", group)
		line("Welcome, everyone! This group is here so we can help each other; these are its rules.")
	} else {
		line("【群规通知】%s", group)
		line("各位朋友：欢迎相聚在这里。为了大家有一个温暖、真诚的交流环境，请遵守以下群规。")
	}
	n := 0
	item := func(zh, enText string) {
		n++
		if en {
			line("(%d) %s", n, enText)
		} else {
			line("（%d）%s", n, zh)
		}
	}
	if t := pick(rs.Topics); t != "" {
		item("话题："+t+"，欢迎围绕话题自由发言。", "Topics: "+t+". Talk freely about them.")
	}
	offences := offencesOf(rs)
	names := func(keep func(o offence) bool) []string {
		var out []string
		for _, o := range offences {
			if keep(o) {
				out = append(out, pick(o.name))
			}
		}
		return out
	}
	upper := func(s string) string { // an English list starts a sentence
		if s != "" && s[0] >= 'a' && s[0] <= 'z' {
			return string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	sep := "、"
	if en {
		sep = ", "
	}
	ladder := rs.Escalation.Steps
	removes := func(a Action) bool { return a == Kick || a == Ban }
	if forbidden := names(func(o offence) bool { return !o.rule && (o.action == Warn || o.action == Delete || o.action == Mute) }); len(forbidden) > 0 {
		item("禁止："+strings.Join(forbidden, sep)+"。", "Not allowed: "+strings.Join(forbidden, sep)+".")
	}
	if removed := names(func(o offence) bool { return removes(o.action) }); len(removed) > 0 {
		item("以下行为一经发现直接移出群聊："+strings.Join(removed, sep)+"。", "Any of these gets a member removed at once: "+strings.Join(removed, sep)+".")
	}
	if banned := names(func(o offence) bool { return o.action == Ban }); len(banned) > 0 {
		item("其中"+strings.Join(banned, sep)+"将被移出本组织的所有群。", "For "+strings.Join(banned, sep)+" the member is also banned from every group of the organisation.")
	}
	if laddered := names(func(o offence) bool { return o.action == Ladder }); len(laddered) > 0 && len(ladder) > 0 {
		var zh, e []string
		for _, st := range ladder {
			step, _ := ParseStep(st)
			zh = append(zh, stepZh(step))
			e = append(e, stepEn(step))
		}
		window := ""
		if w := rs.Escalation.Window; w > 0 {
			window = fmt.Sprintf("%d", int(time.Duration(w).Hours()/24))
		}
		item(fmt.Sprintf("%s：%s（%s 天内累计）。", strings.Join(laddered, sep), strings.Join(zh, " → "), window),
			fmt.Sprintf("%s: %s (counted over %s days).", upper(strings.Join(laddered, sep)), strings.Join(e, " → "), window))
	}
	if q := rs.Quiet; q.set {
		from, to, _ := strings.Cut(q.Allow, "-")
		item(fmt.Sprintf("作息时间：%s 开始，%s 结束，休息时间请不要打扰大家，有话题可以私聊。", from, to),
			fmt.Sprintf("Quiet hours: the group is open from %s to %s; outside them please talk in private.", from, to))
	}
	if n := rs.Nickname; n.Pattern != "" {
		zh := fmt.Sprintf("进群后请第一时间修改群昵称，格式如：%s。", n.Example)
		e := fmt.Sprintf("Set your group nickname when you join, like: %s.", n.Example)
		if n.Action != "" && n.Action != Allow {
			grace := time.Duration(n.Grace)
			if grace <= 0 {
				grace = 24 * time.Hour
			}
			c := map[Action]Text{Warn: {"将收到提醒", "a reminder"}, Delete: {"将收到提醒", "a reminder"}, Mute: {"将被禁言", "muted"},
				Kick: {"将被移出群聊", "removed from the group"}, Ban: {"将被移出并拉黑", "removed and banned"}, Ladder: {"按以上规定处理", "treated as above"}}[n.Action]
			zh += fmt.Sprintf("入群 %s后群昵称仍不符合格式的，%s。", humanZh(Step{Duration: grace}), c.Zh)
			e += fmt.Sprintf(" A member whose nickname still does not fit %s after joining is %s.", humanEn(grace), c.En)
		}
		item(zh, e)
	}
	if f := rs.Flood; (f.Messages > 0 || f.Identical > 0) && !removes(f.Action) {
		item("请勿刷屏。", "Do not flood the group.")
	}
	if m := rs.Mentions; m.Max > 0 && m.Action != "" && !removes(m.Action) {
		item(fmt.Sprintf("一条消息请勿 @ 超过 %d 人。", m.Max), fmt.Sprintf("Do not mention more than %d members in one message.", m.Max))
	}
	if p := rs.Probation; p.Hours > 0 && len(p.Banned) > 0 {
		var ks []string
		for _, k := range p.Banned {
			ks = append(ks, pick(KindName(k)))
		}
		item(fmt.Sprintf("新成员入群 %d 小时内请勿发送%s。", p.Hours, strings.Join(ks, sep)), fmt.Sprintf("Newcomers: no %s in your first %d hours.", strings.Join(ks, sep), p.Hours))
	}
	item("如收到骚扰或广告信息，请回复该消息“举报”或 @管理员。", "If someone harasses you or sends ads, reply to the message with /report or mention an admin.")
	if sig := pick(rs.Notice); sig != "" {
		line("——%s", sig)
	}
	return b.String()
}

func customCategories(rs *RuleSet) []string {
	var out []string
	for c := range rs.Categories {
		if !IsBuiltinCategory(c) {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

func stepZh(s Step) string {
	switch s.Action {
	case Warn:
		return "警告"
	case Delete:
		return "撤回"
	case Mute:
		return "禁言 " + humanZh(s)
	case Kick:
		return "移出群聊"
	case Ban:
		return "移出并拉黑"
	}
	return string(s.Action)
}

func humanZh(s Step) string {
	h := s.Duration.Hours()
	switch {
	case h >= 24 && int(h)%24 == 0:
		return fmt.Sprintf("%d 天", int(h)/24)
	case h >= 1:
		return fmt.Sprintf("%g 小时", h)
	}
	return fmt.Sprintf("%g 分钟", s.Duration.Minutes())
}

func humanEn(d time.Duration) string {
	h := d.Hours()
	switch {
	case h >= 24 && int(h)%24 == 0:
		return fmt.Sprintf("%d day(s)", int(h)/24)
	case h >= 1:
		return fmt.Sprintf("%g hour(s)", h)
	}
	return fmt.Sprintf("%g minutes", d.Minutes())
}

func stepEn(s Step) string {
	switch s.Action {
	case Mute:
		h := s.Duration.Hours()
		switch {
		case h >= 24 && int(h)%24 == 0:
			return fmt.Sprintf("mute for %d day(s)", int(h)/24)
		case h >= 1:
			return fmt.Sprintf("mute for %g hour(s)", h)
		}
		return fmt.Sprintf("mute for %g minutes", s.Duration.Minutes())
	case Kick:
		return "removal"
	case Ban:
		return "removal and ban"
	}
	return string(s.Action)
}

// offence is a thing forbidden (a content type, a category) or a rule
// (flood, quiet hours…) with what it gets.
type offence struct {
	name   Text
	action Action
	rule   bool // a rule with a line of its own (flood, quiet hours…), not a thing forbidden
}

// offencesOf lists what the rules act on, with their actions: every
// content type, category and rule whose action can remove a member is
// among them.
func offencesOf(rs *RuleSet) []offence {
	var offences []offence
	for _, k := range slices.Sorted(maps.Keys(rs.Banned)) {
		offences = append(offences, offence{KindName(k), rs.Banned[k], false})
	}
	for _, c := range append(slices.Clone(Categories), customCategories(rs)...) {
		if a, ok := rs.Categories[c]; ok && a != Allow {
			offences = append(offences, offence{CategoryName(c), a, false})
		}
	}
	if f := rs.Flood; f.Action != "" && (f.Messages > 0 || f.Identical > 0 || f.MaxLength > 0) {
		offences = append(offences, offence{CategoryName("flood"), f.Action, true})
	}
	if m := rs.Mentions; m.Max > 0 && m.Action != "" {
		offences = append(offences, offence{CategoryName("mentions"), m.Action, true})
	}
	if q := rs.Quiet; q.set && q.Action != "" {
		offences = append(offences, offence{Text{"作息时间外发言", "posting in quiet hours"}, q.Action, true})
	}
	if p := rs.Probation; p.Hours > 0 && len(p.Banned) > 0 {
		a := p.Action
		if a == "" {
			a = Delete
		}
		offences = append(offences, offence{Text{"新成员违反新人限制", "a newcomer breaking the newcomer restriction"}, a, true})
	}
	return offences
}

// Brief is the rules in a line or two, for a welcome ({rules}): what is
// not allowed and what gets a member removed; the notice says the rest.
func Brief(rs *RuleSet, lang string) string {
	en := lang == "en"
	var forbidden, removed []string
	for _, o := range offencesOf(rs) {
		name := o.name.Zh
		if en {
			name = o.name.En
		}
		switch {
		case o.action == Kick || o.action == Ban:
			removed = append(removed, name)
		case !o.rule && o.action != Allow:
			forbidden = append(forbidden, name)
		}
	}
	var parts []string
	if en {
		if len(forbidden) > 0 {
			parts = append(parts, "no "+strings.Join(forbidden, ", "))
		}
		if len(removed) > 0 {
			parts = append(parts, strings.Join(removed, ", ")+" get a member removed")
		}
		if len(parts) == 0 {
			return "Be kind and stay on topic."
		}
		s := "Rules in short: " + strings.Join(parts, "; ") + "."
		return s
	}
	if len(forbidden) > 0 {
		parts = append(parts, "禁止"+strings.Join(forbidden, "、"))
	}
	if len(removed) > 0 {
		parts = append(parts, strings.Join(removed, "、")+"直接移出")
	}
	if len(parts) == 0 {
		return "请友善交流，围绕话题发言。"
	}
	return "群规要点：" + strings.Join(parts, "；") + "。"
}
