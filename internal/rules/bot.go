package rules

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The member bot's settings: what the bot members talk to does in a group
// (internal/memberbot decides with them). They are sections of the same
// rule-set files, inherited down the tree like the rules:
//
//	[faq]         answers to the questions members ask every day, and
//	[[faq.entry]] saved answers (notes) any member can call: /课表, #课表
//	[gate]        newcomers prove they are people before they may speak
//	[raid]        a wave of joins locks the group down for a while
//	[welcome]     one welcome for the joins of a short window
//	[checkin]     the daily check-in (打卡), streaks and points
//
// A bad value is refused with file:line like any rule, and each problem is
// also told in Chinese and English (Problem) for the console's forms.

// Bot is the member bot's sections of a rule set.
type Bot struct {
	FAQ     FAQ     `toml:"faq"`
	Gate    Gate    `toml:"gate"`
	Raid    Raid    `toml:"raid"`
	Welcome Welcome `toml:"welcome"`
	Checkin Checkin `toml:"checkin"`
}

// FAQ is the group's keyword replies and notes.
type FAQ struct {
	// Cooldown: the same answer is given at most once per cooldown in a
	// group, however often it is asked (DefaultCooldown when 0).
	Cooldown Duration   `toml:"cooldown"`
	Entries  []FAQEntry `toml:"entry"`

	index *phraseIndex
}

// FAQEntry is one answer.
type FAQEntry struct {
	// Name is the note's name: members call it with /Name or #Name, and
	// the console counts the questions under it. Unique in a group; an
	// entry of a node or group replaces the inherited one of its name.
	Name string `toml:"name"`
	// Keys are the words and phrases that bring the answer, matched like
	// the rules' words: 课表 also finds 課表, "ke biao", "kebiao".
	// None: a note only, called by name.
	Keys  []string `toml:"keys"`
	Reply string   `toml:"reply"`
	Link  string   `toml:"link"`  // a link to send with the reply (a card where the platform shows one)
	Title string   `toml:"title"` // the link's title
	Image string   `toml:"image"` // the URL of a picture to send with the reply
	// Off drops an inherited entry of the same name.
	Off bool `toml:"off"`
}

// Gate is the join gate.
type Gate struct {
	// Mode: off; button (muted until they press a button, where the
	// platform has buttons, else code); code (they reply with a code the
	// bot shows; what else they post is deleted); approve (muted and held
	// until staff approve them in the console).
	Mode string `toml:"mode"`
	// Timeout: a newcomer who has not passed by then is removed
	// (button and code; DefaultGateTimeout when 0).
	Timeout Duration `toml:"timeout"`
}

// The gate's modes.
const (
	GateOff     = "off"
	GateButton  = "button"
	GateCode    = "code"
	GateApprove = "approve"
)

// Raid is the anti-raid lockdown: more than Joins joins within Within
// lock the group for Lockdown; joins meanwhile are removed or held. A
// section that leaves Joins out inherits it; with none anywhere there is
// no lockdown.
type Raid struct {
	Joins    int      `toml:"joins"`
	Within   Duration `toml:"within"`   // DefaultRaidWithin when 0
	Lockdown Duration `toml:"lockdown"` // DefaultLockdown when 0
	// Action: what happens to joins during a lockdown: remove (the
	// default) or hold (muted and held for staff approval); off turns an
	// inherited lockdown off.
	Action string `toml:"action"`

	Set bool `toml:"-"` // the section is written (a section with only defaults is on)
}

// The lockdown's actions.
const (
	RaidRemove = "remove"
	RaidHold   = "hold"
	RaidOff    = "off"
)

// Welcome is the welcome posted to newcomers: one for every join of a
// window, naming them all.
type Welcome struct {
	// Text is the template: {members} (their names; mentioned where the
	// platform can), {group} (the group's name), {rules} (the rules in
	// two lines), {link} (the full rules notice: a link, or how to ask for
	// it with /rules). Left out: inherited; none anywhere: no welcome.
	Text   string   `toml:"text"`
	Window Duration `toml:"window"` // DefaultWelcomeWindow when 0
	// Lang is the language of {rules} and of the bot's words: zh or en;
	// left out, the group's bot language.
	Lang string `toml:"lang"`
	Off  bool   `toml:"off"` // turns an inherited welcome off

	Set bool `toml:"-"` // the section is written (a section with only defaults is on)
}

// Checkin is the daily check-in (打卡) and the points.
type Checkin struct {
	// Words are what members send to check in, besides /checkin
	// (DefaultCheckinWords when none).
	Words       []string `toml:"words"`
	Points      int      `toml:"points"`        // per check-in (1 when 0)
	StreakBonus int      `toml:"streak_bonus"`  // more on every 7th day in a row
	PostPoints  int      `toml:"post_points"`   // per substantive post (三行以上)
	PostsPerDay int      `toml:"posts_per_day"` // substantive posts that score a day (3 when 0)
	// Reset: monthly (points count from the first of the month) or
	// never (the default).
	Reset string `toml:"reset"`
	Off   bool   `toml:"off"` // turns an inherited check-in off

	Set bool `toml:"-"` // the section is written (a section with only defaults is on)
}

// Defaults of the member bot's settings.
const (
	DefaultCooldown      = 10 * time.Minute
	DefaultGateTimeout   = 5 * time.Minute
	DefaultRaidWithin    = time.Minute
	DefaultLockdown      = 30 * time.Minute
	DefaultWelcomeWindow = time.Minute
	DefaultPostsPerDay   = 3
)

// DefaultCheckinWords are what members send to check in when the rules
// name none.
var DefaultCheckinWords = []string{"打卡"}

// Wait is the FAQ's cooldown.
func (f FAQ) Wait() time.Duration { return orDefault(f.Cooldown, DefaultCooldown) }

// On reports whether the gate checks newcomers.
func (g Gate) On() bool { return g.Mode != "" && g.Mode != GateOff }

// Wait is how long a newcomer has to pass.
func (g Gate) Wait() time.Duration { return orDefault(g.Timeout, DefaultGateTimeout) }

// On reports whether raids lock the group down.
func (r Raid) On() bool { return r.Set && r.Joins > 0 && r.Action != RaidOff }

// Span is the window joins are counted in.
func (r Raid) Span() time.Duration { return orDefault(r.Within, DefaultRaidWithin) }

// Period is how long a lockdown lasts.
func (r Raid) Period() time.Duration { return orDefault(r.Lockdown, DefaultLockdown) }

// Hold reports whether joins during a lockdown are held (else removed).
func (r Raid) Hold() bool { return r.Action == RaidHold }

// On reports whether newcomers are welcomed.
func (w Welcome) On() bool { return w.Set && !w.Off && w.Text != "" }

// Span is the window whose joins share one welcome.
func (w Welcome) Span() time.Duration { return orDefault(w.Window, DefaultWelcomeWindow) }

// English reports whether the bot speaks English in the group.
func (w Welcome) English() bool { return w.Lang == "en" }

// On reports whether members check in.
func (c Checkin) On() bool { return c.Set && !c.Off }

// Triggers are the words that check a member in.
func (c Checkin) Triggers() []string {
	if len(c.Words) == 0 {
		return DefaultCheckinWords
	}
	return c.Words
}

// PerCheckin is the points a check-in earns.
func (c Checkin) PerCheckin() int { return max(c.Points, 1) }

// PostCap is how many substantive posts score a day.
func (c Checkin) PostCap() int { return cmpOr(c.PostsPerDay, DefaultPostsPerDay) }

// Monthly reports whether points count from the first of the month.
func (c Checkin) Monthly() bool { return c.Reset == "monthly" }

func orDefault(d Duration, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return time.Duration(d)
}

func cmpOr(n, def int) int {
	if n <= 0 {
		return def
	}
	return n
}

// Problem is what is wrong with a setting: where (the TOML key, with the
// index of a [[faq.entry]]) and what, in Chinese and English.
type Problem struct {
	Key []string // "faq", "entry", "2", "keys"
	Zh  string
	En  string
}

func (p *Problem) Error() string { return strings.Join(p.Key, ".") + ": " + p.En }

// Field is the problem's setting without the entry's index:
// "faq.entry.keys", "gate.timeout".
func (p *Problem) Field() string {
	var ks []string
	for _, k := range p.Key {
		if _, err := strconv.Atoi(k); err != nil {
			ks = append(ks, k)
		}
	}
	return strings.Join(ks, ".")
}

// Entry is the index of the [[faq.entry]] the problem is in, or -1.
func (p *Problem) Entry() int {
	if len(p.Key) > 2 && p.Key[0] == "faq" && p.Key[1] == "entry" {
		if i, err := strconv.Atoi(p.Key[2]); err == nil {
			return i
		}
	}
	return -1
}

func problem(zh, en string, key ...string) *Problem { return &Problem{Key: key, Zh: zh, En: en} }

// Limits of the member bot's settings.
const (
	MaxFAQEntries = 200
	maxKeys       = 50
	maxNameRunes  = 20
	maxReplyRunes = 2000
	maxWordRunes  = 10
	maxPoints     = 1000
)

// reserved are names a note cannot take: the chat commands'.
var reserved = []string{"top", "排行", "排行榜", "stats", "统计", "invite", "邀请", "邀请码", "signup", "接龙", "unban", "解封", "submit", "投稿",
	"rules", "群规", "warn", "mute", "kick", "ban", "report", "举报", "checkin", "打卡", "points", "积分", "积分榜", "award", "加分", "签到", "报名"}

var placeholderRE = regexp.MustCompile(`\{[^{}]*\}`)

// Placeholders are what a welcome's text may hold.
var Placeholders = []string{"{members}", "{group}", "{rules}", "{link}"}

// Check validates the bot's sections and prepares them: nil when they
// are good, else the first problem.
func (b *Bot) Check() *Problem {
	if p := b.FAQ.check(); p != nil {
		return p
	}
	g := b.Gate
	switch g.Mode {
	case "", GateOff, GateButton, GateCode, GateApprove:
	default:
		return problem(fmt.Sprintf("验证方式 %q 不认识：请选 按钮（button）、验证码（code）、管理员审核（approve）或 关闭（off）。", g.Mode),
			fmt.Sprintf("mode %q: want button, code, approve or off", g.Mode), "gate", "mode")
	}
	if g.Timeout != 0 && (g.Timeout < Duration(30*time.Second) || g.Timeout > Duration(24*time.Hour)) {
		return problem("验证时限要在 30 秒到 24 小时之间，例如 \"5m\"（5 分钟）。", "timeout: want 30s to 24h, like \"5m\"", "gate", "timeout")
	}
	r := b.Raid
	switch r.Action {
	case "", RaidRemove, RaidHold, RaidOff:
	default:
		return problem(fmt.Sprintf("防刷群处理方式 %q 不认识：请选 移出（remove）、待审核（hold）或 关闭（off）。", r.Action),
			fmt.Sprintf("action %q: want remove, hold or off", r.Action), "raid", "action")
	}
	if r.Joins != 0 && (r.Joins < 2 || r.Joins > 1000) {
		return problem("防刷群的入群人数要在 2 到 1000 之间：超过这么多人在时间窗内入群就封群。", "joins: want 2 to 1000 joins", "raid", "joins")
	}
	if r.Within != 0 && (r.Within < Duration(time.Second) || r.Within > Duration(time.Hour)) {
		return problem("防刷群的时间窗要在 1 秒到 1 小时之间，例如 \"60s\"。", "within: want 1s to 1h, like \"60s\"", "raid", "within")
	}
	if r.Lockdown != 0 && (r.Lockdown < Duration(time.Second) || r.Lockdown > Duration(7*24*time.Hour)) {
		return problem("封群时长要在 1 秒到 7 天之间，例如 \"30m\"。", "lockdown: want 1s to 7d, like \"30m\"", "raid", "lockdown")
	}
	w := b.Welcome
	if n := utf8.RuneCountInString(w.Text); n > maxReplyRunes {
		return problem(fmt.Sprintf("欢迎语太长（%d 字，最多 %d 字）。", n, maxReplyRunes), fmt.Sprintf("text: %d characters, at most %d", n, maxReplyRunes), "welcome", "text")
	}
	for _, ph := range placeholderRE.FindAllString(w.Text, -1) {
		if !slices.Contains(Placeholders, ph) {
			return problem(fmt.Sprintf("欢迎语里的 %s 不认识：可用 %s。", ph, strings.Join(Placeholders, " ")),
				fmt.Sprintf("text: unknown placeholder %s (want %s)", ph, strings.Join(Placeholders, " ")), "welcome", "text")
		}
	}
	if w.Window != 0 && (w.Window < Duration(time.Second) || w.Window > Duration(10*time.Minute)) {
		return problem("合并欢迎的时间窗要在 1 秒到 10 分钟之间，例如 \"60s\"。", "window: want 1s to 10m, like \"60s\"", "welcome", "window")
	}
	switch w.Lang {
	case "", "zh", "en":
	default:
		return problem(fmt.Sprintf("语言 %q 不认识：请选 zh 或 en。", w.Lang), fmt.Sprintf("lang %q: want zh or en", w.Lang), "welcome", "lang")
	}
	return b.Checkin.check()
}

func (f *FAQ) check() *Problem {
	if f.Cooldown != 0 && (f.Cooldown < Duration(time.Second) || f.Cooldown > Duration(24*time.Hour)) {
		return problem("同一答案的冷却时间要在 1 秒到 24 小时之间，例如 \"10m\"。", "cooldown: want 1s to 24h, like \"10m\"", "faq", "cooldown")
	}
	if len(f.Entries) > MaxFAQEntries {
		return problem(fmt.Sprintf("问答最多 %d 条。", MaxFAQEntries), fmt.Sprintf("at most %d entries", MaxFAQEntries), "faq", "entry")
	}
	var n Normalizer
	names := map[string]int{}
	for i, e := range f.Entries {
		at := func(k string) []string { return []string{"faq", "entry", strconv.Itoa(i), k} }
		name := strings.TrimSpace(e.Name)
		switch {
		case name == "":
			return &Problem{Key: at("name"), Zh: "每条问答都要有名称（成员发 /名称 或 #名称 就能调出）。", En: "name: required (members call the answer with /name or #name)"}
		case utf8.RuneCountInString(name) > maxNameRunes:
			return &Problem{Key: at("name"), Zh: fmt.Sprintf("名称 %q 太长（最多 %d 字）。", name, maxNameRunes), En: fmt.Sprintf("name %q: at most %d characters", name, maxNameRunes)}
		case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || r == '/' || r == '#' || r == '@' }):
			return &Problem{Key: at("name"), Zh: fmt.Sprintf("名称 %q 不能含空格、/、# 或 @。", name), En: fmt.Sprintf("name %q: no spaces, /, # or @", name)}
		case slices.Contains(reserved, strings.ToLower(name)):
			return &Problem{Key: at("name"), Zh: fmt.Sprintf("名称 %q 是群命令，请换一个。", name), En: fmt.Sprintf("name %q is a chat command: choose another", name)}
		}
		norm := string(n.Normalize(name))
		if j, dup := names[norm]; dup {
			return &Problem{Key: at("name"), Zh: fmt.Sprintf("名称 %q 与第 %d 条重复。", name, j+1), En: fmt.Sprintf("name %q: the same as entry %d", name, j+1)}
		}
		names[norm] = i
		if e.Off {
			continue
		}
		if len(e.Keys) > maxKeys {
			return &Problem{Key: at("keys"), Zh: fmt.Sprintf("关键词最多 %d 个。", maxKeys), En: fmt.Sprintf("at most %d keys", maxKeys)}
		}
		for _, k := range e.Keys {
			norm := n.Normalize(k)
			if len(norm) == 0 || len(norm) == 1 && norm[0] < utf8.RuneSelf {
				return &Problem{Key: at("keys"), Zh: fmt.Sprintf("关键词 %q 太短：去掉空格和标点后至少要一个汉字或两个字母。", k),
					En: fmt.Sprintf("key %q: too short once spaces and punctuation are gone (a Chinese character or two letters at least)", k)}
			}
		}
		if strings.TrimSpace(e.Reply) == "" && e.Link == "" && e.Image == "" {
			return &Problem{Key: at("reply"), Zh: fmt.Sprintf("「%s」没有答案：请写回复、链接或图片。", name), En: fmt.Sprintf("%s: write a reply, a link or an image", name)}
		}
		if r := utf8.RuneCountInString(e.Reply); r > maxReplyRunes {
			return &Problem{Key: at("reply"), Zh: fmt.Sprintf("「%s」的回复太长（%d 字，最多 %d 字）。", name, r, maxReplyRunes), En: fmt.Sprintf("reply: %d characters, at most %d", r, maxReplyRunes)}
		}
		for _, f := range [][2]string{{"link", e.Link}, {"image", e.Image}} {
			if k, u := f[0], f[1]; u != "" && !webURL(u) {
				return &Problem{Key: at(k), Zh: fmt.Sprintf("%q 不是网址：要以 https:// 或 http:// 开头。", u), En: fmt.Sprintf("%s %q: want an http(s) URL", k, u)}
			}
		}
		if e.Title != "" && e.Link == "" {
			return &Problem{Key: at("title"), Zh: "链接标题要配链接。", En: "title: is the link's, and there is no link"}
		}
	}
	f.index = &phraseIndex{}
	return nil
}

func webURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && !strings.ContainsAny(s, " \n\t")
}

func (c *Checkin) check() *Problem {
	if len(c.Words) > 10 {
		return problem("打卡口令最多 10 个。", "words: at most 10", "checkin", "words")
	}
	for _, w := range c.Words {
		w = strings.TrimSpace(w)
		if w == "" || utf8.RuneCountInString(w) > maxWordRunes || strings.ContainsFunc(w, unicode.IsSpace) {
			return problem(fmt.Sprintf("打卡口令 %q 要是 1 到 %d 个字、不含空格。", w, maxWordRunes), fmt.Sprintf("word %q: 1 to %d characters, no spaces", w, maxWordRunes), "checkin", "words")
		}
		if strings.HasPrefix(w, "/") {
			return problem(fmt.Sprintf("打卡口令 %q 不用加 /（/checkin 总是可用）。", w), fmt.Sprintf("word %q: without the slash (/checkin always works)", w), "checkin", "words")
		}
	}
	for _, f := range []struct {
		key, zh string
		v       int
	}{{"points", "每次打卡的积分", c.Points}, {"streak_bonus", "连续 7 天的奖励积分", c.StreakBonus},
		{"post_points", "每条用心发言的积分", c.PostPoints}, {"posts_per_day", "每天计分的用心发言条数", c.PostsPerDay}} {
		if f.v < 0 || f.v > maxPoints {
			return problem(fmt.Sprintf("%s要在 0 到 %d 之间。", f.zh, maxPoints), fmt.Sprintf("%s: want 0 to %d", f.key, maxPoints), "checkin", f.key)
		}
	}
	switch c.Reset {
	case "", "never", "monthly":
	default:
		return problem(fmt.Sprintf("积分清零方式 %q 不认识：请选 每月（monthly）或 不清零（never）。", c.Reset), fmt.Sprintf("reset %q: want monthly or never", c.Reset), "checkin", "reset")
	}
	return nil
}

// mergeBot lays child's sections over parent's: each setting child gives
// wins; FAQ entries are merged by name (a child's entry replaces the
// inherited one of its name, off drops it).
func mergeBot(parent, child Bot) Bot {
	out := parent
	if child.FAQ.Cooldown != 0 {
		out.FAQ.Cooldown = child.FAQ.Cooldown
	}
	if len(child.FAQ.Entries) > 0 {
		var n Normalizer
		key := func(e FAQEntry) string { return string(n.Normalize(strings.TrimSpace(e.Name))) }
		entries := slices.Clone(parent.FAQ.Entries)
		for _, c := range child.FAQ.Entries {
			k := key(c)
			i := slices.IndexFunc(entries, func(e FAQEntry) bool { return key(e) == k })
			switch {
			case i >= 0 && c.Off:
				entries = slices.Delete(entries, i, i+1)
			case i >= 0:
				entries[i] = c
			case !c.Off:
				entries = append(entries, c)
			}
		}
		out.FAQ.Entries = entries
	}
	if child.Gate.Mode != "" {
		out.Gate.Mode = child.Gate.Mode
	}
	if child.Gate.Timeout != 0 {
		out.Gate.Timeout = child.Gate.Timeout
	}
	if c := child.Raid; c.Set {
		out.Raid.Set = true
		if c.Joins != 0 {
			out.Raid.Joins = c.Joins
		}
		if c.Within != 0 {
			out.Raid.Within = c.Within
		}
		if c.Lockdown != 0 {
			out.Raid.Lockdown = c.Lockdown
		}
		if c.Action != "" {
			out.Raid.Action = c.Action
		}
	}
	if c := child.Welcome; c.Set {
		out.Welcome.Set = true
		if c.Text != "" {
			out.Welcome.Text, out.Welcome.Off = c.Text, false
		}
		if c.Off {
			out.Welcome.Off = true
		}
		if c.Window != 0 {
			out.Welcome.Window = c.Window
		}
		if c.Lang != "" {
			out.Welcome.Lang = c.Lang
		}
	}
	if c := child.Checkin; c.Set {
		out.Checkin.Set = true
		if c.Words != nil {
			out.Checkin.Words = c.Words
		}
		for _, f := range []struct{ dst, src *int }{{&out.Checkin.Points, &c.Points}, {&out.Checkin.StreakBonus, &c.StreakBonus},
			{&out.Checkin.PostPoints, &c.PostPoints}, {&out.Checkin.PostsPerDay, &c.PostsPerDay}} {
			if *f.src != 0 {
				*f.dst = *f.src
			}
		}
		if c.Reset != "" {
			out.Checkin.Reset = c.Reset
		}
		out.Checkin.Off = c.Off
	}
	return out
}

// markSections records which of the bot's sections a file wrote (a
// section present with nothing but defaults is on).
func (b *Bot) markSections(defined func(key ...string) bool) {
	b.Raid.Set = defined("raid")
	b.Welcome.Set = defined("welcome")
	b.Checkin.Set = defined("checkin")
}

// problemLine is the line of a problem's key in src: the section header
// (the n-th [[faq.entry]] for an entry), then the key within it.
func problemLine(src []byte, key []string) int {
	lines := strings.Split(string(src), "\n")
	start, header := 0, "["+key[0]+"]"
	want := 0
	if len(key) > 2 && key[0] == "faq" && key[1] == "entry" {
		header = "[[faq.entry]]"
		want, _ = strconv.Atoi(key[2])
	}
	found := false
	for i, l := range lines {
		if strings.TrimSpace(l) == header {
			if want == 0 {
				start, found = i, true
				break
			}
			want--
		}
	}
	if !found {
		return 1
	}
	last := key[len(key)-1]
	for i := start + 1; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, "[") {
			break
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.Trim(strings.TrimSpace(k), `"`) == last {
			return i + 1
		}
	}
	return start + 1
}
