package analytics

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The daily digest (docs/metrics.md, "The daily digest"): what happened in
// a group on one day, without any model — its busiest threads (reply
// chains), the terms it used far more than on its own last 30 days, the
// questions still open, who joined and left, what the rules did, the
// pushes and how members answered them; and one summary of the
// organisation's groups.

// ThreadMsg is a message as threads are built from it.
type ThreadMsg struct {
	ID, ReplyTo string
	Person      int64
	Name        string
	Text        string
	At          time.Time
}

// Thread is a reply chain: a message and every reply to it or to its
// replies, on the day.
type Thread struct {
	RootID   string    `json:"root_id"`
	Starter  string    `json:"starter"`
	Text     string    `json:"text"` // the first message's start
	At       time.Time `json:"at"`
	Messages int       `json:"messages"` // the first and its replies
	People   int       `json:"people"`   // distinct senders
}

// MinThread is how many messages make a thread: the first and two
// replies.
const MinThread = 3

// Threads returns the day's busiest reply chains, at most n: a message
// whose reply_to names another message of the day belongs to that
// message's chain; a chain's first message is the one whose parent is not
// among them. Chains of MinThread messages or more are ranked by messages,
// then people, then the earlier first.
func Threads(msgs []ThreadMsg, n int) []Thread {
	byID := make(map[string]int, len(msgs))
	for i, m := range msgs {
		if m.ID != "" {
			byID[m.ID] = i
		}
	}
	root := func(i int) int {
		for range len(msgs) { // a cycle of replies cannot loop forever
			p, ok := byID[msgs[i].ReplyTo]
			if msgs[i].ReplyTo == "" || !ok || p == i {
				return i
			}
			i = p
		}
		return i
	}
	type chain struct {
		root     int
		messages int
		people   map[int64]bool
	}
	chains := map[int]*chain{}
	for i := range msgs {
		r := root(i)
		c := chains[r]
		if c == nil {
			c = &chain{root: r, people: map[int64]bool{}}
			chains[r] = c
		}
		c.messages++
		c.people[msgs[i].Person] = true
	}
	var out []Thread
	for _, c := range chains {
		if c.messages < MinThread {
			continue
		}
		m := msgs[c.root]
		out = append(out, Thread{RootID: m.ID, Starter: m.Name, Text: Excerpt(m.Text, 60), At: m.At, Messages: c.messages, People: len(c.people)})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Messages != b.Messages {
			return a.Messages > b.Messages
		}
		if a.People != b.People {
			return a.People > b.People
		}
		return a.At.Before(b.At)
	})
	return out[:min(len(out), n)]
}

// TermMsg is a member message as terms are counted from it.
type TermMsg struct {
	Person int64
	Text   string
}

// TermCount is how many messages used a term, and how many people.
type TermCount struct {
	Messages int
	People   int
}

// stopTerms are words every day of every group uses: never a day's term,
// even in a group without a history to tell.
var stopTerms = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`我们 你们 他们 大家 一个 一下 这个 那个 这些 那些 就是 没有 可以 什么 怎么 还是 但是 因为 所以 如果 已经 时候 不是 自己 知道 现在 今天 明天 昨天 这样 那样
		谢谢 老师 好的 收到 哈哈 是的 的话 有点 一起 看看 一样 然后 还有 不要 需要 觉得 真的 非常 可能 应该 问题 大家好 谢谢老师 早上好 晚上好 下午好 中午好 the and you for are this that with have`) {
		stopTerms[w] = true
	}
}

// Tokens are the terms of a text, each once: its words split at spaces and
// punctuation, each word folded (fold is the rules' normaliser: width,
// case, traditional to simplified, look-alikes), and then the runs of
// Chinese characters as their 2-, 3- and 4-character n-grams and the runs
// of Latin letters and digits as words of two letters or more (not
// numbers).
func Tokens(text string, fold func(string) string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] && !stopTerms[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, word := range strings.FieldsFunc(text, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	}) {
		if fold != nil {
			word = fold(word)
		}
		rs := []rune(word)
		for i := 0; i < len(rs); {
			j := i + 1
			switch {
			case unicode.Is(unicode.Han, rs[i]):
				for j < len(rs) && unicode.Is(unicode.Han, rs[j]) {
					j++
				}
				run := rs[i:j]
				for n := 2; n <= 4; n++ {
					for k := 0; k+n <= len(run); k++ {
						if g := run[k : k+n]; !repeated(g) {
							add(string(g))
						}
					}
				}
			case rs[i] < unicode.MaxASCII && (unicode.IsLetter(rs[i]) || unicode.IsDigit(rs[i])):
				for j < len(rs) && rs[j] < unicode.MaxASCII && (unicode.IsLetter(rs[j]) || unicode.IsDigit(rs[j])) {
					j++
				}
				if w := strings.ToLower(string(rs[i:j])); len(w) >= 2 && strings.ContainsFunc(w, unicode.IsLetter) {
					add(w)
				}
			}
			i = j
		}
	}
	return out
}

// repeated reports an n-gram of one character ("哈哈哈").
func repeated(g []rune) bool {
	for _, r := range g[1:] {
		if r != g[0] {
			return false
		}
	}
	return true
}

// CountTerms counts, for each term, the messages that use it and their
// distinct senders.
func CountTerms(msgs []TermMsg, fold func(string) string) map[string]TermCount {
	counts := map[string]TermCount{}
	people := map[string]map[int64]bool{}
	for _, m := range msgs {
		for _, t := range Tokens(m.Text, fold) {
			c := counts[t]
			c.Messages++
			if people[t] == nil {
				people[t] = map[int64]bool{}
			}
			if !people[t][m.Person] {
				people[t][m.Person] = true
				c.People++
			}
			counts[t] = c
		}
	}
	return counts
}

// TopTerms keeps the n terms most messages used (ties by term), those of
// at least least messages: what a day keeps for the baseline of the days
// after it.
func TopTerms(counts map[string]TermCount, n, least int) map[string]int {
	type kv struct {
		t string
		n int
	}
	var all []kv
	for t, c := range counts {
		if c.Messages >= least {
			all = append(all, kv{t, c.Messages})
		}
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].n != all[j].n {
			return all[i].n > all[j].n
		}
		return all[i].t < all[j].t
	})
	out := make(map[string]int, min(n, len(all)))
	for _, x := range all[:min(n, len(all))] {
		out[x.t] = x.n
	}
	return out
}

// Term is one of a day's terms.
type Term struct {
	Term     string  `json:"term"`
	Messages int     `json:"messages"`  // messages of the day that used it
	People   int     `json:"people"`    // their distinct senders
	BaseDays int     `json:"base_days"` // days of the baseline it was among the most used on
	Score    float64 `json:"score"`
}

// The thresholds of a day's term.
const (
	TermMinMessages = 3  // used by three messages or more
	TermMinPeople   = 2  // of two people or more
	BaselineDays    = 30 // the days a day is compared with
	// KeptTerms are how many of a day's most used terms are kept for the
	// baseline of the days after it.
	KeptTerms = 300
)

// RankTerms ranks the day's terms against its baseline: score = messages
// × ln((1 + days) ÷ (1 + days the term was among the most used)), a
// tf-idf over days, so a term the group uses every day scores nothing and
// one it never used scores most. A term that is mostly part of a longer one
// (the longer used by at least three quarters as many messages) gives way
// to it, and a term inside a better-ranked one is left out. days is how
// many baseline days there were; base counts, for each term, those it was
// among the most used on. Without a baseline day (a group's first digest)
// every term counts as new: score = messages × ln 2.
func RankTerms(today map[string]TermCount, base map[string]int, days, n int) []Term {
	var cands []Term
	for t, c := range today {
		if c.Messages < TermMinMessages || c.People < TermMinPeople {
			continue
		}
		b := base[t]
		ratio := float64(1+days) / float64(1+b)
		if days == 0 {
			ratio = 2 // no baseline yet (a group's first day): every term is new
		}
		score := float64(c.Messages) * math.Log(ratio)
		if score <= 0 {
			continue
		}
		cands = append(cands, Term{Term: t, Messages: c.Messages, People: c.People, BaseDays: b, Score: math.Round(score*100) / 100})
	}
	// A term covered by a longer one of almost as many messages gives way.
	covered := func(x Term) bool {
		for _, y := range cands {
			if len(y.Term) > len(x.Term) && strings.Contains(y.Term, x.Term) && 4*y.Messages >= 3*x.Messages {
				return true
			}
		}
		return false
	}
	var kept []Term
	for _, c := range cands {
		if !covered(c) {
			kept = append(kept, c)
		}
	}
	sort.Slice(kept, func(i, j int) bool {
		a, b := kept[i], kept[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Messages != b.Messages {
			return a.Messages > b.Messages
		}
		return a.Term < b.Term
	})
	var out []Term
	for _, c := range kept {
		overlaps := false
		for _, o := range out {
			if strings.Contains(o.Term, c.Term) || strings.Contains(c.Term, o.Term) {
				overlaps = true
				break
			}
		}
		if !overlaps {
			out = append(out, c)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// DigestPush is a push of the day and what it drew.
type DigestPush struct {
	PushID   int64     `json:"push_id"`
	Title    string    `json:"title"`
	SentAt   time.Time `json:"sent_at"`
	Posts60  int       `json:"posts_60"`  // member posts within the hour
	Members  int       `json:"members"`   // distinct members posting within the hour
	Replies  int       `json:"replies"`   // member replies to the bot within a day
	Uplift   float64   `json:"uplift"`    // posts within the hour over the baseline
	Followed bool      `json:"followed"`  // staff followed it up within 15 minutes
	Clicks   int       `json:"clicks"`    // clicks on its links
	Visitors int       `json:"visitors"`  // distinct visitors a day, summed
	Links    int       `json:"links"`     // its short links
	Duty     string    `json:"duty_name"` // the assistant on duty
}

// DigestQuestion is a question still open when the digest was made.
type DigestQuestion struct {
	Asker   string    `json:"asker"`
	Text    string    `json:"text"`
	AskedAt time.Time `json:"asked_at"`
	Duty    string    `json:"duty,omitempty"`
}

// Count is a number of something named.
// ModerationKinds say the kinds of moderation action a digest counts
// (GroupDigest.Moderation's names) in the posted digest's two languages.
var ModerationKinds = map[string]string{
	"delete": "删除 deleted", "warn": "警告 warned", "mute": "禁言 muted", "kick": "移出 removed",
	"ban": "拉黑 banned", "unmute": "解除禁言 unmuted", "unban": "解除拉黑 unbanned",
}

type Count struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

// GroupDigest is one group's day.
type GroupDigest struct {
	GroupID        int64            `json:"group_id"`
	Group          string           `json:"group"`
	Date           string           `json:"date"` // YYYY-MM-DD
	Messages       int              `json:"messages"`
	MemberMessages int              `json:"member_messages"`
	Communicators  int              `json:"communicators"`
	Threads        []Thread         `json:"threads"`
	Terms          []Term           `json:"terms"`
	Questions      int              `json:"questions"`
	InTime         int              `json:"in_time"`
	Late           int              `json:"late"`
	MedianSeconds  int              `json:"median_seconds"`
	Open           []DigestQuestion `json:"open"`
	Joined         []string         `json:"joined"`
	Left           []string         `json:"left"`
	Removed        []string         `json:"removed"`
	ActiveLeft     []string         `json:"active_left,omitempty"` // the formerly active among Left and Removed (Leave.FormerlyActive)
	Moderation     []Count          `json:"moderation"`            // actions by kind (ModerationKinds), most first
	Pushes         []DigestPush     `json:"pushes"`
}

// Quiet reports a day with nothing to tell.
func (d GroupDigest) Quiet() bool {
	return d.Messages == 0 && len(d.Joined)+len(d.Left)+len(d.Removed) == 0 && len(d.Moderation) == 0 && len(d.Pushes) == 0 && len(d.Open) == 0
}

// OrgDigest is the organisation's day: its sums and a line per group.
type OrgDigest struct {
	Date           string        `json:"date"`
	Groups         int           `json:"groups"` // groups with something to tell
	QuietGroups    int           `json:"quiet_groups"`
	MemberMessages int           `json:"member_messages"`
	Questions      int           `json:"questions"`
	InTime         int           `json:"in_time"`
	Open           int           `json:"open"`
	JoinedN        int           `json:"joined"`
	LeftN          int           `json:"left"`
	Moderation     int           `json:"moderation"`
	Pushes         int           `json:"pushes"`
	Clicks         int           `json:"clicks"`
	Lines          []DigestLine  `json:"lines"`
	ActiveLeavers  []DigestLeave `json:"active_leavers"`
}

// DigestLine is one group in the organisation's digest.
type DigestLine struct {
	GroupID        int64  `json:"group_id"`
	Group          string `json:"group"`
	MemberMessages int    `json:"member_messages"`
	Open           int    `json:"open"` // questions still open
	JoinedN        int    `json:"joined"`
	LeftN          int    `json:"left"`
	Term           string `json:"term,omitempty"` // its first term
	Thread         string `json:"thread,omitempty"`
}

// DigestLeave is a formerly active member who left on the day.
type DigestLeave struct {
	Name  string `json:"name"`
	Group string `json:"group"`
}

// ActiveLeavers are the groups' formerly active members who left, by
// group.
func ActiveLeavers(groups []GroupDigest) []DigestLeave {
	out := []DigestLeave{}
	for _, g := range groups {
		for _, n := range g.ActiveLeft {
			out = append(out, DigestLeave{Name: n, Group: g.Group})
		}
	}
	return out
}

// Summarise makes the organisation's digest from its groups' (in the
// order given; quiet ones are counted, not listed) and the formerly
// active members who left.
func Summarise(date string, groups []GroupDigest, leavers []DigestLeave) OrgDigest {
	o := OrgDigest{Date: date, ActiveLeavers: leavers}
	for _, g := range groups {
		if g.Quiet() {
			o.QuietGroups++
			continue
		}
		o.Groups++
		o.MemberMessages += g.MemberMessages
		o.Questions += g.Questions
		o.InTime += g.InTime
		o.Open += len(g.Open)
		o.JoinedN += len(g.Joined)
		o.LeftN += len(g.Left) + len(g.Removed)
		for _, m := range g.Moderation {
			o.Moderation += m.N
		}
		o.Pushes += len(g.Pushes)
		for _, p := range g.Pushes {
			o.Clicks += p.Clicks
		}
		l := DigestLine{GroupID: g.GroupID, Group: g.Group, MemberMessages: g.MemberMessages, Open: len(g.Open), JoinedN: len(g.Joined), LeftN: len(g.Left) + len(g.Removed)}
		if len(g.Terms) > 0 {
			l.Term = g.Terms[0].Term
		}
		if len(g.Threads) > 0 {
			l.Thread = g.Threads[0].Text
		}
		o.Lines = append(o.Lines, l)
	}
	// Open questions first, then the busiest.
	sort.SliceStable(o.Lines, func(i, j int) bool {
		a, b := o.Lines[i], o.Lines[j]
		if (a.Open > 0) != (b.Open > 0) {
			return a.Open > 0
		}
		return a.MemberMessages > b.MemberMessages
	})
	return o
}

// names lists at most n names, and how many more.
func names(list []string, n int) string {
	if len(list) <= n {
		return strings.Join(list, "、")
	}
	return fmt.Sprintf("%s 等 %d 人", strings.Join(list[:n], "、"), len(list))
}

// RenderGroup is a group's digest as it is posted in the staff group:
// Chinese with English headings, a line per section, in the server's zone
// loc.
func RenderGroup(d GroupDigest, loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📋 %s · %s 日报 daily digest\n", d.Group, d.Date)
	fmt.Fprintf(&b, "消息 messages %d（群友 members %d，发言 %d 人 people）", d.Messages, d.MemberMessages, d.Communicators)
	if len(d.Threads) > 0 {
		b.WriteString("\n🔥 热门讨论 threads:")
		for i, t := range d.Threads {
			fmt.Fprintf(&b, "\n%d. %s：「%s」— %d 条 messages, %d 人 people", i+1, t.Starter, t.Text, t.Messages, t.People)
		}
	}
	if len(d.Terms) > 0 {
		terms := make([]string, len(d.Terms))
		for i, t := range d.Terms {
			terms[i] = fmt.Sprintf("%s(%d)", t.Term, t.Messages)
		}
		fmt.Fprintf(&b, "\n🔤 今日热词 terms: %s", strings.Join(terms, " "))
	}
	if d.Questions > 0 {
		fmt.Fprintf(&b, "\n❓ 提问 questions %d：按时回复 in time %d，迟复 late %d", d.Questions, d.InTime, d.Late)
		if d.MedianSeconds > 0 {
			fmt.Fprintf(&b, "，中位 median %.1f 分钟 min", float64(d.MedianSeconds)/60)
		}
	}
	if len(d.Open) > 0 {
		fmt.Fprintf(&b, "\n⏳ 仍未回复 still open %d:", len(d.Open))
		for _, q := range d.Open {
			fmt.Fprintf(&b, "\n- %s %s：「%s」", q.AskedAt.In(loc).Format("15:04"), q.Asker, q.Text)
			if q.Duty != "" {
				fmt.Fprintf(&b, "（值班 duty: %s）", q.Duty)
			}
		}
	}
	if len(d.Joined)+len(d.Left)+len(d.Removed) > 0 {
		fmt.Fprintf(&b, "\n👥 入群 joined %d", len(d.Joined))
		if len(d.Joined) > 0 {
			fmt.Fprintf(&b, "（%s）", names(d.Joined, 5))
		}
		fmt.Fprintf(&b, "，退群 left %d", len(d.Left))
		if len(d.Left) > 0 {
			fmt.Fprintf(&b, "（%s）", names(d.Left, 5))
		}
		if len(d.Removed) > 0 {
			fmt.Fprintf(&b, "，移出 removed %d（%s）", len(d.Removed), names(d.Removed, 5))
		}
	}
	if len(d.Moderation) > 0 {
		parts := make([]string, len(d.Moderation))
		for i, m := range d.Moderation {
			parts[i] = fmt.Sprintf("%s %d", ModerationKinds[m.Name], m.N)
		}
		fmt.Fprintf(&b, "\n🛡 群规处理 moderation: %s", strings.Join(parts, "，"))
	}
	for _, p := range d.Pushes {
		fmt.Fprintf(&b, "\n📣 推送 push %s《%s》：1 小时内 %d 条 posts（%d 人 people），回复 replies %d", p.SentAt.In(loc).Format("15:04"), p.Title, p.Posts60, p.Members, p.Replies)
		if p.Links > 0 {
			fmt.Fprintf(&b, "，点击 clicks %d（%d 人次 visitors）", p.Clicks, p.Visitors)
		}
		if p.Followed {
			b.WriteString("，已跟进 followed up")
		} else {
			b.WriteString("，未跟进 not followed up")
		}
	}
	if d.Quiet() {
		b.WriteString("\n今天群里很安静。A quiet day.")
	}
	return b.String()
}

// RenderOrg is the organisation's digest as posted in the staff group, a
// line per group with something to tell (at most max), and where the
// console shows the rest (link, when not "").
func RenderOrg(o OrgDigest, max int, link string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "📊 %s 组织日报 organisation digest\n", o.Date)
	fmt.Fprintf(&b, "有动静的群 active groups %d（安静 quiet %d）· 群友消息 member messages %d · 提问 questions %d（按时回复 in time %d，仍未回复 open %d）· 入群 joined %d · 退群 left %d · 群规处理 moderation %d · 推送 pushes %d（点击 clicks %d）",
		o.Groups, o.QuietGroups, o.MemberMessages, o.Questions, o.InTime, o.Open, o.JoinedN, o.LeftN, o.Moderation, o.Pushes, o.Clicks)
	for i, l := range o.Lines {
		if i == max {
			fmt.Fprintf(&b, "\n… 另有 %d 个群 %d more groups", len(o.Lines)-max, len(o.Lines)-max)
			break
		}
		fmt.Fprintf(&b, "\n• %s：消息 %d", l.Group, l.MemberMessages)
		if l.Open > 0 {
			fmt.Fprintf(&b, "，⏳ 未回复 %d", l.Open)
		}
		if l.JoinedN+l.LeftN > 0 {
			fmt.Fprintf(&b, "，+%d/−%d", l.JoinedN, l.LeftN)
		}
		if l.Term != "" {
			fmt.Fprintf(&b, "，热词「%s」", l.Term)
		}
	}
	if len(o.ActiveLeavers) > 0 {
		b.WriteString("\n⚠ 活跃成员退群 active members who left:")
		for _, l := range o.ActiveLeavers {
			fmt.Fprintf(&b, " %s（%s）", l.Name, l.Group)
		}
	}
	if link != "" {
		fmt.Fprintf(&b, "\n详情 details: %s", link)
	}
	return b.String()
}

// DigestSettings are when an organisation's daily digest of yesterday is
// made (Minute: minutes after midnight in the server's time zone) and
// whether it is posted in the staff group: the organisation's, and with
// Groups a message per group with something to tell.
type DigestSettings struct {
	Minute int
	Send   bool
	Groups bool
}

// DefaultDigestMinute is 08:00.
const DefaultDigestMinute = 8 * 60

// Validate checks the time of day.
func (s DigestSettings) Validate() error {
	if s.Minute < 0 || s.Minute >= 24*60 {
		return errkind.Errorf(errkind.Invalid, "digest time: want 00:00 to 23:59, got minute %d", s.Minute)
	}
	return nil
}
