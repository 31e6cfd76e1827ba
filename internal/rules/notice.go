package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"
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
	// Content types.
	var banned []string
	for k := range rs.Banned {
		banned = append(banned, k)
	}
	sort.Strings(banned)
	// Categories by what happens.
	byAction := map[Action][]string{}
	for _, c := range append(slices.Clone(Categories), customCategories(rs)...) {
		a, ok := rs.Categories[c]
		if !ok || a == Allow {
			continue
		}
		byAction[a] = append(byAction[a], c)
	}
	var forbidden []string
	for _, k := range banned {
		forbidden = append(forbidden, pick(KindName(k)))
	}
	for _, a := range []Action{Warn, Delete, Mute, Ladder} {
		for _, c := range byAction[a] {
			forbidden = append(forbidden, pick(CategoryName(c)))
		}
	}
	if len(forbidden) > 0 {
		if en {
			item("Not allowed: "+strings.Join(forbidden, ", ")+".", "Not allowed: "+strings.Join(forbidden, ", ")+".")
		} else {
			item("禁止："+strings.Join(forbidden, "、")+"。", "")
		}
	}
	var removed []string
	for _, a := range []Action{Kick, Ban} {
		for _, c := range byAction[a] {
			removed = append(removed, pick(CategoryName(c)))
		}
	}
	if len(removed) > 0 {
		item("以下行为一经发现直接移出群聊："+strings.Join(removed, "、")+"。", "Any of these gets a member removed at once: "+strings.Join(removed, ", ")+".")
	}
	if len(byAction[Ban]) > 0 {
		var b []string
		for _, c := range byAction[Ban] {
			b = append(b, pick(CategoryName(c)))
		}
		item("其中"+strings.Join(b, "、")+"将被移出本组织的所有群。", "For "+strings.Join(b, ", ")+" the member is also banned from every group of the organisation.")
	}
	if steps := rs.Escalation.Steps; len(steps) > 0 && (len(byAction[Ladder]) > 0 || hasLadder(rs.Banned)) {
		var zh, e []string
		for _, s := range steps {
			st, _ := ParseStep(s)
			zh = append(zh, stepZh(st))
			e = append(e, stepEn(st))
		}
		window := ""
		if w := rs.Escalation.Window; w > 0 {
			window = fmt.Sprintf("%d", int(w.days()))
		}
		item(fmt.Sprintf("违反以上规定：%s（%s 天内累计）。", strings.Join(zh, " → "), window), fmt.Sprintf("Breaking them: %s (counted over %s days).", strings.Join(e, " → "), window))
	}
	if q := rs.Quiet; q.set {
		from, to, _ := strings.Cut(q.Allow, "-")
		item(fmt.Sprintf("作息时间：%s 开始，%s 结束，休息时间请不要打扰大家，有话题可以私聊。", from, to),
			fmt.Sprintf("Quiet hours: the group is open from %s to %s; outside them please talk in private.", from, to))
	}
	if rs.Nickname.Pattern != "" {
		item(fmt.Sprintf("进群后请第一时间修改群昵称，格式如：%s。", rs.Nickname.Example),
			fmt.Sprintf("Set your group nickname when you join, like: %s.", rs.Nickname.Example))
	}
	if f := rs.Flood; f.Messages > 0 || f.Identical > 0 {
		item("请勿刷屏。", "Do not flood the group.")
	}
	if p := rs.Probation; p.Hours > 0 && len(p.Banned) > 0 {
		var ks []string
		for _, k := range p.Banned {
			ks = append(ks, pick(KindName(k)))
		}
		sep := "、"
		if en {
			sep = ", "
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

func hasLadder(m map[string]Action) bool {
	for _, a := range m {
		if a == Ladder {
			return true
		}
	}
	return false
}

func (d Duration) days() float64 { return float64(d) / float64(24*60*60*1e9) }

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
