package rules

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// Action is what a rule does about a message, from mildest to harshest.
type Action string

const (
	Allow  Action = "allow"
	Warn   Action = "warn"
	Delete Action = "delete"
	Mute   Action = "mute"
	Kick   Action = "kick"
	Ban    Action = "ban" // kicked and banned from every group of the organisation
	// Ladder escalates with the member's earlier offences (see Ladder).
	Ladder Action = "ladder"
)

// severity ranks the actions, the harshest last; any other string ranks
// with allow. A switch rather than a map: evaluate compares actions for
// every hit of every message, and a map lookup hashes the string.
func severity(a Action) (int, bool) {
	switch a {
	case Allow:
		return 0, true
	case Warn:
		return 1, true
	case Delete:
		return 2, true
	case Mute:
		return 3, true
	case Kick:
		return 4, true
	case Ban:
		return 5, true
	}
	return 0, false
}

// Severe reports whether a is harsher than b.
func (a Action) Severe(b Action) bool {
	x, _ := severity(a)
	y, _ := severity(b)
	return x > y
}

func validAction(a Action, ladder bool) bool {
	_, ok := severity(a)
	return ok || (ladder && a == Ladder)
}

// Duration is chat.Duration, qunzhu's one duration type: in rules files
// a Go duration ("90s", "1h30m") or whole days ("30d"), never negative,
// never more days than a duration holds.
type Duration = chat.Duration

// RuleSet is one group's (or one tree node's) rules. Zero-valued fields
// inherit from the parent rule set (see Merge).
type RuleSet struct {
	// Preset names the built-in rule set these rules are laid over
	// ("academy" or "owners"); empty: the preset for the group's kind
	// (owners' groups: owners; others: academy). It makes a rules file
	// self-describing: checked on its own, it still has its base.
	Preset string `toml:"preset"`
	Name   string `toml:"name"`
	Topics Text   `toml:"topics"`

	// Content types (chat.MessageKind values).
	Allowed []string          `toml:"allowed"`
	Banned  map[string]Action `toml:"banned"` // kind → action (delete, warn…)

	// Categories: category → action, for built-in and custom categories.
	Categories map[string]Action `toml:"categories"`
	// Dictionaries: extra operator word lists (paths relative to the rules file).
	Dictionaries []string `toml:"dictionaries"`

	Allow      AllowList  `toml:"allow"`
	Quiet      Quiet      `toml:"quiet"`
	Nickname   Nickname   `toml:"nickname"`
	Flood      Flood      `toml:"flood"`
	Probation  Probation  `toml:"probation"`
	Mentions   Mentions   `toml:"mentions"`
	Escalation Escalation `toml:"escalation"`
	// Pushes caps the content pushed to the group (炮弹省着用); unset
	// fields take the defaults: 3 a day, 2 hours apart.
	Pushes Pushes `toml:"pushes"`
	// Exempt are roles the rules do not apply to (owner, secretary,
	// assistant by default; "lecturer" exempts those who teach in the
	// group, whatever their role).
	Exempt []string `toml:"exempt"`
	// Notice is the signature under the rules notice (…社群管理中心).
	Notice Text `toml:"notice"`
	// Bot is the member bot's sections: [faq], [gate], [raid], [welcome]
	// and [checkin] (bot.go).
	Bot

	nick *regexp.Regexp
}

// Text is a string in Chinese and English.
type Text struct {
	Zh string `toml:"zh"`
	En string `toml:"en"`
}

// AllowList exempts members, roles' messages, link domains and phrases.
type AllowList struct {
	Members []string `toml:"members"` // platform user ids
	Domains []string `toml:"domains"` // links to these are never ads
	Phrases []string `toml:"phrases"` // a match inside one of these is ignored
}

// Quiet is the posting window (the owners' group's 06:30–23:30).
type Quiet struct {
	Allow    string `toml:"allow"` // "06:30-23:30": when posting is allowed
	Zone     string `toml:"zone"`  // the server's time zone ([server] timezone) by default
	Action   Action `toml:"action"`
	Reminder Text   `toml:"reminder"`

	window community.Window
	loc    *time.Location // nil: the zone the registry gives (DefaultZone without one)
	set    bool
}

// Window returns the quiet hours as the window posting is allowed in and
// its zone; ok is false when the rule set has none.
func (q Quiet) Window() (w community.Window, loc *time.Location, ok bool) {
	if !q.set {
		return community.Window{}, nil, false
	}
	loc = q.loc
	if loc == nil {
		loc = defaultZone
	}
	return q.window, loc, true
}

// Pushes caps the pushes to a group: at most PerDay a day (in the group's
// zone), at least MinGap apart. Zero fields take the defaults (3, 2h);
// the pushes also keep to the quiet hours.
type Pushes struct {
	PerDay int      `toml:"per_day"`
	MinGap Duration `toml:"min_gap"`
}

// MaxPushesPerDay is the most per_day may say.
const MaxPushesPerDay = 24

// Nickname is the required group nickname format.
type Nickname struct {
	Pattern string   `toml:"pattern"`
	Example string   `toml:"example"`
	Grace   Duration `toml:"grace"`
	Action  Action   `toml:"action"` // after the grace period
}

// Flood limits screen-flooding (刷屏).
type Flood struct {
	Messages  int      `toml:"messages"`  // at most this many…
	Window    Duration `toml:"window"`    // …within this window
	Identical int      `toml:"identical"` // the same text this many times in the window
	MaxLength int      `toml:"max_length"`
	Action    Action   `toml:"action"`
}

// Probation restricts newcomers.
type Probation struct {
	Hours  int      `toml:"hours"`
	Banned []string `toml:"banned"` // kinds newcomers may not post (link, card, miniprogram)
	Action Action   `toml:"action"`
}

// Mentions limits mention spam.
type Mentions struct {
	Max    int    `toml:"max"`
	Action Action `toml:"action"`
}

// Escalation is the ladder for offences whose action is "ladder".
type Escalation struct {
	Steps  []string `toml:"steps"`  // "warn", "mute 1h", "kick", "ban"
	Window Duration `toml:"window"` // earlier offences count within this window
}

// Step is one rung of the ladder.
type Step struct {
	Action   Action
	Duration time.Duration
}

// ParseStep reads "warn", "delete", "mute 1h", "kick" or "ban".
func ParseStep(s string) (Step, error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return Step{}, &textError{tr("处理步骤是空的", "empty step")}
	}
	a := Action(f[0])
	if !validAction(a, false) || a == Allow {
		return Step{}, &textError{tr("处理步骤 `%s` 不对：可选 `warn`、`delete`、`mute 时长`、`kick` 或 `ban`", "step `%s`: want warn, delete, mute <duration>, kick or ban", s)}
	}
	st := Step{Action: a}
	switch {
	case a == Mute && len(f) == 2:
		d, err := chat.ParseDuration(f[1])
		if err != nil || d <= 0 {
			return Step{}, &textError{tr("处理步骤 `%s`：禁言要写时长，如 `mute 1h`", "step `%s`: a mute needs a duration, like mute 1h", s)}
		}
		st.Duration = d
	case a == Mute:
		return Step{}, &textError{tr("处理步骤 `%s`：禁言要写时长，如 `mute 1h`", "step `%s`: a mute needs a duration, like mute 1h", s)}
	case len(f) != 1:
		return Step{}, &textError{tr("处理步骤 `%s`：只有禁言（`mute`）带时长", "step `%s`: only mute takes a duration", s)}
	}
	return st, nil
}

// ParseRuleSet reads a rules file. Errors are "name:line: what is wrong".
func ParseRuleSet(name string, src []byte) (*RuleSet, error) {
	var rs RuleSet
	md, err := toml.NewDecoder(bytes.NewReader(src)).Decode(&rs)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &FileError{File: name, Line: pe.Position.Line, Text: tr("写法不对（TOML）：`%s`", "%s", pe.Message)}
		}
		return nil, &FileError{File: name, Text: tr("读不了：`%s`", "%s", err)}
	}
	if und := md.Undecoded(); len(und) > 0 {
		k := und[0].String()
		return nil, &FileError{File: name, Line: lineOf(src, und[0]), Text: tr("没有 `%s` 这个设置", "unknown setting `%s`", k)}
	}
	rs.Bot.markSections(md.IsDefined)
	if err := rs.compile(); err != nil {
		var fe *fieldError
		if errors.As(err, &fe) {
			return nil, &FileError{File: name, Line: lineOf(src, fe.key), Text: fe.msg}
		}
		var p *Problem
		if errors.As(err, &p) {
			return nil, &FileError{File: name, Line: problemLine(src, p.Key), Text: Text{p.Zh, p.En}, Problem: p}
		}
		return nil, &FileError{File: name, Text: Text{err.Error(), err.Error()}}
	}
	return &rs, nil
}

type fieldError struct {
	key toml.Key
	msg Text
}

func (e *fieldError) Error() string { return e.key.String() + ": " + e.msg.En }

func ferr(msg Text, key ...string) error { return &fieldError{key: toml.Key(key), msg: msg} }

// FileError is what is wrong with a rules file, in Chinese and English:
// what an operator wrote is quoted in backquotes.
type FileError struct {
	File string
	Line int // 0 when unknown
	Text Text
	// Problem is the member bot's setting at fault, when it is one of
	// them (bot.go), for the console to point at the entry.
	Problem *Problem
}

// Unwrap returns the bot's problem, if any.
func (e *FileError) Unwrap() error {
	if e.Problem == nil {
		return nil
	}
	return e.Problem
}

// Error is the English, "file:line: what is wrong".
func (e *FileError) Error() string {
	if e.Line == 0 {
		return e.File + ": " + e.Text.En
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Text.En)
}

// In says what is wrong in a language ("zh" or "en"), with the line.
func (e *FileError) In(lang string) string {
	switch {
	case lang == "en" && e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Text.En)
	case lang == "en":
		return e.Text.En
	case e.Line > 0:
		return fmt.Sprintf("第 %d 行：%s", e.Line, e.Text.Zh)
	}
	return e.Text.Zh
}

// textError is an error in Chinese and English.
type textError struct{ Text }

func (e *textError) Error() string { return e.En }

// tr formats a text in both languages with the same arguments.
func tr(zh, en string, args ...any) Text {
	return Text{fmt.Sprintf(zh, args...), fmt.Sprintf(en, args...)}
}

// lineOf finds the line of a key in the source (1 when unknown): the
// section header, then the key within it.
func lineOf(src []byte, key toml.Key) int {
	lines := strings.Split(string(src), "\n")
	start := 0
	if len(key) > 1 {
		for i, l := range lines {
			if t := strings.TrimSpace(l); t == "["+strings.Join(key[:len(key)-1], ".")+"]" || t == "["+key[0]+"]" {
				start = i
				break
			}
		}
	}
	last := key[len(key)-1]
	for i := start; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if strings.HasPrefix(t, last) && strings.HasPrefix(strings.TrimSpace(strings.TrimPrefix(t, last)), "=") {
			return i + 1
		}
		if strings.HasPrefix(t, `"`+last+`"`) {
			return i + 1
		}
	}
	return start + 1
}

// compile validates the rule set and prepares it for evaluation: an
// invalid regex, unknown category or kind, or a malformed time range is an
// error, never a rule that silently matches everything or nothing.
func (rs *RuleSet) compile() error {
	if rs.Preset != "" && !slices.Contains(presetNames, rs.Preset) {
		return ferr(tr("预设 `%s` 不存在：可选 `%s`", "preset `%s`: want `%s`", rs.Preset, strings.Join(presetNames, "` / `")), "preset")
	}
	for _, k := range rs.Allowed {
		if !chat.MessageKind(k).Valid() {
			return ferr(tr("allowed 里的消息类型 `%s` 不存在", "unknown content type `%s` in allowed", k), "allowed")
		}
	}
	for k, a := range rs.Banned {
		if !chat.MessageKind(k).Valid() {
			return ferr(tr("消息类型 `%s` 不存在", "unknown content type `%s`", k), "banned", k)
		}
		if !validAction(a, true) || a == Allow {
			return ferr(tr("处理方式 `%s` 不对：可选 `warn`、`delete`、`mute`、`kick`、`ban` 或 `ladder`", "action `%s`: want warn, delete, mute, kick, ban or ladder", a), "banned", k)
		}
	}
	for c, a := range rs.Categories {
		if !validCategory(c) {
			return ferr(tr("类别名 `%s` 不对：只能用字母、数字、_ 或 -", "category `%s`: use letters, digits, _ or -", c), "categories", c)
		}
		if !validAction(a, true) {
			return ferr(tr("`%s` 的处理方式 `%s` 不对：可选 `allow`、`warn`、`delete`、`mute`、`kick`、`ban` 或 `ladder`", "action `%[2]s` for %[1]s: want allow, warn, delete, mute, kick, ban or ladder", c, a), "categories", c)
		}
	}
	for _, r := range rs.Exempt {
		switch r {
		case "owner", "secretary", "assistant", "member", "lecturer":
		default:
			return ferr(tr("角色 `%s` 不存在：可选 `owner`、`secretary`、`assistant`、`lecturer` 或 `member`", "unknown role `%s` (want owner, secretary, assistant, lecturer or member)", r), "exempt")
		}
	}
	if q := &rs.Quiet; q.Allow != "" {
		w, err := community.ParseWindow(q.Allow)
		if err != nil {
			return ferr(tr("作息时间 `%s` 写法不对：要写成 `HH:MM-HH:MM`，如 `06:30-23:30`（`22:00-06:00` 跨过午夜）", "allow `%s`: want HH:MM-HH:MM, like 06:30-23:30 (22:00-06:00 crosses midnight)", q.Allow), "quiet", "allow")
		}
		if w.From == w.To {
			return ferr(tr("作息时间 `%s` 的起止相同，会全天禁言；不设作息时间就删掉这一行", "allow `%s`: an empty window would forbid posting all day; leave it out for no quiet hours", q.Allow), "quiet", "allow")
		}
		q.window, q.set, q.loc = w, true, nil
		if q.Zone != "" {
			loc, err := time.LoadLocation(q.Zone)
			if err != nil {
				return ferr(tr("时区 `%s` 不存在", "unknown time zone `%s`", q.Zone), "quiet", "zone")
			}
			q.loc = loc
		}
		if q.Action == "" {
			q.Action = Warn
		}
		if !validAction(q.Action, true) {
			return ferr(tr("处理方式 `%s` 不对", "action `%s`", q.Action), "quiet", "action")
		}
	}
	if n := rs.Nickname; n.Pattern != "" {
		re, err := regexp.Compile(n.Pattern)
		if err != nil {
			return ferr(tr("正则表达式写法不对：`%s`", "invalid regular expression: `%s`", err), "nickname", "pattern")
		}
		if re.MatchString("") {
			return ferr(tr("格式 `%s` 连空昵称都符合，等于不检查", "pattern `%s` matches an empty nickname: it would accept anyone", n.Pattern), "nickname", "pattern")
		}
		if n.Example == "" {
			return ferr(tr("请给一个群友可以照着改的例子，如 `5-1-3305 吕凯`", "give an example members can copy, like `5-1-3305 Lü Kai`"), "nickname", "example")
		}
		if !re.MatchString(n.Example) {
			return ferr(tr("例子 `%s` 不符合格式", "the example `%s` does not match the pattern", n.Example), "nickname", "example")
		}
		if n.Action != "" && !validAction(n.Action, true) {
			return ferr(tr("处理方式 `%s` 不对", "action `%s`", n.Action), "nickname", "action")
		}
		rs.nick = re
	}
	if f := rs.Flood; f.Messages < 0 || f.Identical < 0 || f.MaxLength < 0 {
		return ferr(tr("刷屏的限制不能是负数", "limits must not be negative"), "flood")
	} else if f.Messages > floodSlots-1 {
		return ferr(tr("刷屏的条数最多设 %d 条", "at most %d messages", floodSlots-1), "flood", "messages")
	} else if f.Identical > floodSlots {
		return ferr(tr("相同内容的条数最多设 %d 条", "at most %d identical messages", floodSlots), "flood", "identical")
	} else if (f.Messages > 0 || f.Identical > 0) && f.Window <= 0 {
		return ferr(tr("需要一个时间窗口，如 `\"30s\"`", "a window is needed, like `\"30s\"`"), "flood", "window")
	} else if f.Action != "" && !validAction(f.Action, true) {
		return ferr(tr("处理方式 `%s` 不对", "action `%s`", f.Action), "flood", "action")
	}
	for _, k := range rs.Probation.Banned {
		if !chat.MessageKind(k).Valid() {
			return ferr(tr("消息类型 `%s` 不存在", "unknown content type `%s`", k), "probation", "banned")
		}
	}
	if rs.Probation.Hours < 0 {
		return ferr(tr("小时数不能是负数", "hours must not be negative"), "probation", "hours")
	}
	if p := rs.Pushes; p.PerDay < 0 || p.PerDay > MaxPushesPerDay {
		return ferr(tr("每天推送 %d 条不行：要 1 到 %d 条（不写就是 3 条）", "per_day %d: want 1 to %d pushes a day (leave it out for 3)", p.PerDay, MaxPushesPerDay), "pushes", "per_day")
	} else if p.MinGap < 0 || time.Duration(p.MinGap) > 24*time.Hour {
		return ferr(tr("推送间隔 `%s` 不行：最多 24 小时，如 `\"2h\"`（不写就是 2 小时）", "min_gap `%s`: want a duration up to 24h, like `\"2h\"` (leave it out for 2h)", time.Duration(p.MinGap)), "pushes", "min_gap")
	}
	for _, s := range rs.Escalation.Steps {
		if _, err := ParseStep(s); err != nil {
			var t *textError
			if errors.As(err, &t) {
				return ferr(t.Text, "escalation", "steps")
			}
			return ferr(Text{err.Error(), err.Error()}, "escalation", "steps")
		}
	}
	if p := rs.Bot.Check(); p != nil {
		return p
	}
	uses := false
	for _, a := range rs.Categories {
		uses = uses || a == Ladder
	}
	for _, a := range rs.Banned {
		uses = uses || a == Ladder
	}
	if uses && len(rs.Escalation.Steps) == 0 {
		return ferr(tr("有类别用了 `ladder`（逐步加重），但 `[escalation]` 没有写步骤", "a category uses the ladder but `[escalation]` has no steps"), "escalation", "steps")
	}
	return nil
}

// Merge returns parent overridden by child: every field child sets wins;
// maps merge key by key. Neither input changes.
func Merge(parent, child *RuleSet) (*RuleSet, error) {
	if parent == nil {
		return child, nil
	}
	if child == nil {
		return parent, nil
	}
	out := *parent
	if child.Preset != "" {
		out.Preset = child.Preset
	}
	out.Banned = mergeMap(parent.Banned, child.Banned)
	out.Categories = mergeMap(parent.Categories, child.Categories)
	if child.Name != "" {
		out.Name = child.Name
	}
	if child.Topics != (Text{}) {
		out.Topics = child.Topics
	}
	if child.Notice != (Text{}) {
		out.Notice = child.Notice
	}
	if child.Allowed != nil {
		out.Allowed = child.Allowed
	}
	out.Dictionaries = append(slices.Clone(parent.Dictionaries), child.Dictionaries...)
	out.Allow = AllowList{
		Members: append(slices.Clone(parent.Allow.Members), child.Allow.Members...),
		Domains: append(slices.Clone(parent.Allow.Domains), child.Allow.Domains...),
		Phrases: append(slices.Clone(parent.Allow.Phrases), child.Allow.Phrases...),
	}
	if child.Quiet.Allow != "" {
		out.Quiet = child.Quiet
	}
	if child.Nickname.Pattern != "" {
		out.Nickname = child.Nickname
	}
	if child.Flood != (Flood{}) {
		out.Flood = child.Flood
	}
	if child.Probation.Hours != 0 || child.Probation.Banned != nil {
		out.Probation = child.Probation
	}
	if child.Mentions != (Mentions{}) {
		out.Mentions = child.Mentions
	}
	if child.Escalation.Steps != nil {
		out.Escalation = child.Escalation
	}
	if child.Pushes.PerDay != 0 {
		out.Pushes.PerDay = child.Pushes.PerDay
	}
	if child.Pushes.MinGap != 0 {
		out.Pushes.MinGap = child.Pushes.MinGap
	}
	if child.Exempt != nil {
		out.Exempt = child.Exempt
	}
	out.Bot = mergeBot(parent.Bot, child.Bot)
	if err := out.compile(); err != nil {
		return nil, err
	}
	return &out, nil
}

func mergeMap[K comparable, V any](a, b map[K]V) map[K]V {
	out := make(map[K]V, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}
