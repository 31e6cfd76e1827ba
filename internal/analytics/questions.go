package analytics

import (
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Questions and how soon they are answered (docs/metrics.md, "Questions
// and response time"). A member's message is a question when it asks
// (IsQuestion) or calls a staff member by name; it is answered by a reply
// to it, by a message that mentions the asker, or — a heuristic — by the
// first staff message in the group while its target time runs. The clock
// runs only in the group's active hours: a question asked at night starts
// it the next morning.

// DefaultTarget is how soon a question should be answered unless the
// group sets its own target.
const DefaultTarget = 10 * time.Minute

// DefaultActive are a group's active hours unless it sets its own: the
// response clock runs from 08:00 to 22:00.
var DefaultActive = community.Window{From: community.Clock{Hour: 8}, To: community.Clock{Hour: 22}}

// The limits of a group's response target.
const (
	MinTarget = time.Minute
	MaxTarget = 24 * time.Hour
)

// QuestionHorizon is how long a question stays open: one not answered
// within it (wall-clock time from the asking) is unanswered for good.
const QuestionHorizon = 24 * time.Hour

// questionPhrases ask in Chinese wherever they stand. Each is checked
// against the phrases before it that make it a statement (not)
// — "没什么", "好几天", "不怎么".
var questionPhrases = []struct {
	phrase string
	not    []string // the phrase inside one of these is no question
}{
	{"请问", nil}, {"怎么", []string{"不怎么"}}, {"怎样", []string{"不怎样"}}, {"如何", []string{"无论如何", "不管如何"}},
	{"为什么", []string{"不为什么"}}, {"为啥", nil}, {"干嘛", nil}, {"什么", []string{"没什么", "不什么", "什么的", "什么都", "什么也"}},
	{"多少", []string{"或多或少", "多多少少"}}, {"多久", nil}, {"能不能", nil}, {"可不可以", nil}, {"是不是", nil}, {"有没有", nil},
	{"会不会", nil}, {"要不要", nil}, {"行不行", nil}, {"对不对", nil}, {"能否", nil}, {"是否", nil}, {"可否", nil},
	{"哪里", nil}, {"哪儿", nil}, {"哪个", nil}, {"哪些", nil}, {"哪位", nil}, {"哪家", nil}, {"哪天", nil}, {"哪种", nil},
	{"啥", []string{"没啥"}},
	{"几点", nil}, {"几号", nil}, {"几时", nil},
	{"几个", []string{"好几个", "这几个", "那几个", "前几个", "十几个"}}, {"几天", []string{"好几天", "这几天", "那几天", "前几天", "过几天", "没几天", "十几天"}},
	{"几位", []string{"这几位", "那几位"}}, {"几次", []string{"好几次", "这几次", "前几次"}}, {"几月", nil},
}

// questionEnds close a question at the end of a message.
var questionEnds = []string{"?", "？", "吗", "呢"}

// englishWh open an English question.
var englishWh = []string{"what", "why", "how", "when", "where", "who", "whom", "whose", "which", "anyone", "anybody"}

// englishAux open an English question when a person or "there" follows.
var englishAux = []string{"can", "could", "would", "will", "should", "shall", "may", "is", "are", "was", "were", "do", "does", "did", "has", "have"}

var englishSubjects = []string{"i", "you", "we", "they", "he", "she", "anyone", "someone", "anybody", "somebody", "there"}

// IsQuestion tells a message that asks something: one that ends with a
// question mark or a question particle (吗, 呢), uses a question word
// (请问, 怎么, 如何, 什么, 哪…, 几点, 多少, 能不能, 是不是, 有没有…; not
// in the phrases that make it a statement, such as 没什么 or 好几天), or in
// English opens with a question word (what, why, how…) or an auxiliary
// before a person ("can you", "is there"). A command ("/top") and a text
// without a letter are not questions.
func IsQuestion(text string) bool {
	t := strings.TrimSpace(text)
	if t == "" || strings.HasPrefix(t, "/") || !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsLetter(r) }) {
		return false
	}
	// Trailing decoration: spaces, tildes, full stops, emoji.
	end := strings.TrimRightFunc(t, func(r rune) bool {
		return r != '?' && r != '？' && (unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '～' || r == '~' || r == 0xFE0F)
	})
	for _, e := range questionEnds {
		if strings.HasSuffix(end, e) {
			return true
		}
	}
	for _, q := range questionPhrases {
		if hasPhrase(t, q.phrase, q.not) {
			return true
		}
	}
	return englishQuestion(t, end)
}

// hasPhrase reports whether t uses phrase outside every one of not.
func hasPhrase(t, phrase string, not []string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], phrase)
		if j < 0 {
			return false
		}
		at := i + j
		inside := false
		for _, n := range not {
			// n contains phrase at offset k: is t's n there?
			k := strings.Index(n, phrase)
			if k >= 0 && at >= k && strings.HasPrefix(t[at-k:], n) {
				inside = true
				break
			}
		}
		if !inside {
			return true
		}
		i = at + len(phrase)
	}
}

// englishQuestion reads the first sentence's first words.
func englishQuestion(t, end string) bool {
	if strings.HasSuffix(t, "!") || strings.HasSuffix(t, "！") {
		return false // "How nice!"
	}
	words := strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' })
	if len(words) == 0 {
		return false
	}
	// The first word: ASCII letters only (a Chinese text does not start
	// an English question).
	if w := words[0]; slices.Contains(englishWh, w) {
		return len(words) > 1 || strings.HasSuffix(end, "?")
	}
	return len(words) > 1 && slices.Contains(englishAux, words[0]) && slices.Contains(englishSubjects, words[1])
}

// Excerpt is the start of a text, at most n runes, on one line.
func Excerpt(text string, n int) string {
	t := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(t) <= n {
		return t
	}
	r := []rune(t)
	return string(r[:n-1]) + "…"
}

// ResponseTarget is how soon a group's questions should be answered: within
// Within of active time, the clock running only in the group's active
// hours (in Loc).
type ResponseTarget struct {
	Within time.Duration
	Hours  community.Window // From == To: always
	Loc    *time.Location
}

// MinActive is the shortest active hours a group may set: an hour a day.
const MinActive = time.Hour

// Validate checks a target before it is stored: a response time from
// MinTarget to MaxTarget and active hours of at least MinActive a day.
func (r ResponseTarget) Validate() error {
	if r.Within < MinTarget || r.Within > MaxTarget {
		return errkind.Errorf(errkind.Invalid, "target: want %d to %d minutes, got %v", int(MinTarget/time.Minute), int(MaxTarget/time.Minute), r.Within)
	}
	if r.Hours.From != r.Hours.To {
		f, t := r.Hours.From.Hour*60+r.Hours.From.Minute, r.Hours.To.Hour*60+r.Hours.To.Minute
		if open := ((t-f)%1440 + 1440) % 1440; time.Duration(open)*time.Minute < MinActive {
			return errkind.Errorf(errkind.Invalid, "active hours %s: want at least %d minutes a day", r.Hours, int(MinActive/time.Minute))
		}
	}
	return nil
}

// maxWindows bounds the walks over active hours (a year of days).
const maxWindows = 800

// open returns the first instant at or after t inside the active hours.
func (r ResponseTarget) open(t time.Time) time.Time {
	if r.Hours.From == r.Hours.To || r.Hours.Allows(t, r.Loc) {
		return t
	}
	o := r.Hours.From.On(t, r.Loc)
	if !o.After(t) {
		l := t.In(r.Loc)
		o = r.Hours.From.On(time.Date(l.Year(), l.Month(), l.Day()+1, 12, 0, 0, 0, r.Loc), r.Loc)
	}
	return o
}

// closes returns when the active stretch that t (inside it) belongs to
// ends.
func (r ResponseTarget) closes(t time.Time) time.Time {
	c := r.Hours.To.On(t, r.Loc)
	if !c.After(t) {
		l := t.In(r.Loc)
		c = r.Hours.To.On(time.Date(l.Year(), l.Month(), l.Day()+1, 12, 0, 0, 0, r.Loc), r.Loc)
	}
	return c
}

// ClockStart is when the clock of a question asked at t starts: at t in
// the active hours, else when they next begin.
func (r ResponseTarget) ClockStart(t time.Time) time.Time { return r.open(t) }

// Due is when a question asked at t should have been answered by: Within
// of active time after its clock starts (the clock stops when the active
// hours end and goes on when they begin again).
func (r ResponseTarget) Due(t time.Time) time.Time {
	if r.Hours.From == r.Hours.To {
		return t.Add(r.Within)
	}
	left := r.Within
	for range maxWindows {
		s := r.open(t)
		e := r.closes(s)
		if s.Add(left).Compare(e) <= 0 {
			return s.Add(left)
		}
		left -= e.Sub(s)
		t = e
	}
	return t.Add(left)
}

// Waited is the active time between a question asked at asked and at (0
// when at comes before the clock starts).
func (r ResponseTarget) Waited(asked, at time.Time) time.Duration {
	if !at.After(asked) {
		return 0
	}
	if r.Hours.From == r.Hours.To {
		return at.Sub(asked)
	}
	var d time.Duration
	t := asked
	for range maxWindows {
		s := r.open(t)
		if !s.Before(at) {
			return d
		}
		e := r.closes(s)
		if !e.Before(at) {
			return d + at.Sub(s)
		}
		d += e.Sub(s)
		t = e
	}
	return d
}

// AnswerKind is how a question was answered.
type AnswerKind string

const (
	AnswerReply   AnswerKind = "reply"   // a reply to the question
	AnswerMention AnswerKind = "mention" // a message that mentions the asker
	AnswerStaff   AnswerKind = "staff"   // the first staff message while the target time runs
)

// Asked is an open question as Answers sees it.
type Asked struct {
	Group, Person int64
	ID            string    // the platform id of the question's message
	At            time.Time // when it was asked
	Due           time.Time
}

// Later is a message after a question, as Answers sees it.
type Later struct {
	Group, Person int64
	ReplyTo       string
	At            time.Time
	Staff         bool // sent by staff or a bot
	// MentionsAsker is true when the message mentions the question's
	// asker (by the platform's mention or "@name" in the text).
	MentionsAsker bool
}

// Answers reports whether m answers q, and how: a reply to it or a
// mention of the asker by anyone else, at any time; or any staff message
// in the group until the question is due (the heuristic: staff answering
// without replying).
func Answers(q Asked, m Later) (AnswerKind, bool) {
	if m.Group != q.Group || m.Person == q.Person || m.At.Before(q.At) {
		return "", false
	}
	switch {
	case q.ID != "" && m.ReplyTo == q.ID:
		return AnswerReply, true
	case m.MentionsAsker:
		return AnswerMention, true
	case m.Staff && !m.At.After(q.Due):
		return AnswerStaff, true
	}
	return "", false
}

// MentionsName reports whether text calls someone by one of their names
// ("@name", also with a full-width ＠), the way mentions read on
// platforms that keep them in the text.
func MentionsName(text string, names ...string) bool {
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if strings.Contains(text, "@"+n) || strings.Contains(text, "＠"+n) {
			return true
		}
	}
	return false
}

// Question is a tracked question with what became of it.
type Question struct {
	ID         int64
	GroupID    int64
	Group      string
	PersonID   int64
	Asker      string
	MessageID  string
	Text       string
	AskedAt    time.Time
	StartsAt   time.Time // when its clock started
	DueAt      time.Time
	AnsweredAt *time.Time
	AnsweredBy int64
	Answerer   string
	Kind       AnswerKind
	ByStaff    bool
	Waited     time.Duration // active time until the answer
	DutyPerson int64         // on duty in the group when it was asked
	DutyName   string
	AlertedAt  *time.Time
}

// QuestionState is where a question stands at a time.
type QuestionState string

const (
	QuestionWaiting    QuestionState = "waiting"    // not answered, not due yet
	QuestionOverdue    QuestionState = "overdue"    // not answered, past due, within the horizon
	QuestionUnanswered QuestionState = "unanswered" // not answered within QuestionHorizon
	QuestionInTime     QuestionState = "in_time"    // answered by its due time
	QuestionLate       QuestionState = "late"       // answered after it
)

// QuestionStates lists the states in the order pages show them.
var QuestionStates = []QuestionState{QuestionOverdue, QuestionWaiting, QuestionUnanswered, QuestionLate, QuestionInTime}

// State says where the question stands at now.
func (q Question) State(now time.Time) QuestionState {
	switch {
	case q.AnsweredAt != nil && !q.AnsweredAt.After(q.DueAt):
		return QuestionInTime
	case q.AnsweredAt != nil:
		return QuestionLate
	case now.Sub(q.AskedAt) >= QuestionHorizon:
		return QuestionUnanswered
	case now.After(q.DueAt):
		return QuestionOverdue
	}
	return QuestionWaiting
}

// ResponseFigures sum up questions: how many were asked, answered by
// their due time, answered late, not answered (overdue or for good) and
// still waiting (not due yet); the response rate is the share answered in
// time of those due; the median is the active wait of those answered.
type ResponseFigures struct {
	Questions  int
	InTime     int
	Late       int
	Unanswered int // overdue or unanswered for good
	Waiting    int // not due yet
	Median     time.Duration
	Answered   int // InTime + Late: how many the median is of
}

// Rate is the share of the questions due that were answered in time, and
// false when none is due yet.
func (f ResponseFigures) Rate() (float64, bool) {
	due := f.Questions - f.Waiting
	if due == 0 {
		return 0, false
	}
	return float64(f.InTime) / float64(due), true
}

// Percent is Rate in whole percent, -1 when none is due.
func (f ResponseFigures) Percent() int {
	r, ok := f.Rate()
	if !ok {
		return -1
	}
	return int(r*100 + 0.5)
}

// MedianMinutes is the median wait in minutes, rounded up to a tenth.
func (f ResponseFigures) MedianMinutes() float64 {
	return float64(int64(f.Median.Seconds()/6+0.999)) / 10
}

// Respond sums questions up at now.
func Respond(qs []Question, now time.Time) ResponseFigures {
	var f ResponseFigures
	var waits []time.Duration
	for _, q := range qs {
		f.Questions++
		switch q.State(now) {
		case QuestionInTime:
			f.InTime++
		case QuestionLate:
			f.Late++
		case QuestionWaiting:
			f.Waiting++
		default:
			f.Unanswered++
		}
		if q.AnsweredAt != nil {
			waits = append(waits, q.Waited)
		}
	}
	f.Answered = len(waits)
	f.Median = Median(waits)
	return f
}

// Median is the middle of the durations (the mean of the two middle ones
// for an even count), 0 for none.
func Median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Said is one message as the question tracker reads it.
type Said struct {
	Group, Person int64
	ID, ReplyTo   string
	Text          string
	At            time.Time
	Staff         bool // sent by staff or a bot: answers, never asks
	// CallsStaff is true when the message mentions one of the group's
	// staff: a member who does asks them something.
	CallsStaff bool
	// Mentions reports whether the message mentions a person (by the
	// platform's mention or "@name" in the text); nil: nobody.
	Mentions func(person int64) bool
}

// Tracker follows questions as messages arrive, in the order they were
// stored: each message may answer open questions of its group and may ask
// a new one. The store keeps the open questions between runs; nothing is
// read twice.
type Tracker struct {
	// Target gives a group's response target.
	Target func(group int64) ResponseTarget
	// open are the questions not answered yet, by group, oldest first: a
	// message can answer only its own group's (Answers), and an
	// organisation has thousands open at once.
	open map[int64][]*Question
	n    int
}

// Add opens a question asked before (read back from the store), after
// those added before it.
func (t *Tracker) Add(q *Question) {
	if t.open == nil {
		t.open = map[int64][]*Question{}
	}
	t.open[q.GroupID] = append(t.open[q.GroupID], q)
	t.n++
}

// Drop takes back an open question (one Step asked that the store does
// not keep).
func (t *Tracker) Drop(q *Question) {
	qs := t.open[q.GroupID]
	if i := slices.Index(qs, q); i >= 0 {
		t.open[q.GroupID] = slices.Delete(qs, i, i+1)
		t.n--
	}
}

// Len is the number of open questions.
func (t *Tracker) Len() int { return t.n }

// Step reads one message: the open questions it answers (now answered)
// and the question it asks (nil when none; it is open).
func (t *Tracker) Step(m Said) (answered []*Question, asked *Question) {
	open := t.open[m.Group]
	kept := open[:0]
	for _, q := range open {
		later := Later{Group: m.Group, Person: m.Person, ReplyTo: m.ReplyTo, At: m.At, Staff: m.Staff,
			MentionsAsker: m.Mentions != nil && m.Group == q.GroupID && m.Person != q.PersonID && m.Mentions(q.PersonID)}
		if m.At.Sub(q.AskedAt) > QuestionHorizon {
			kept = append(kept, q) // too late to count; the store lets it go
			continue
		}
		kind, ok := Answers(Asked{Group: q.GroupID, Person: q.PersonID, ID: q.MessageID, At: q.AskedAt, Due: q.DueAt}, later)
		if !ok {
			kept = append(kept, q)
			continue
		}
		at := m.At
		q.AnsweredAt, q.AnsweredBy, q.Kind, q.ByStaff = &at, m.Person, kind, m.Staff
		q.Waited = t.Target(q.GroupID).Waited(q.StartsAt, at)
		answered = append(answered, q)
	}
	if len(open) > 0 {
		clear(open[len(kept):]) // no pointers kept past the end
		t.open[m.Group] = kept
		t.n -= len(answered)
	}
	if m.Staff || !(m.CallsStaff || IsQuestion(m.Text)) {
		return answered, nil
	}
	r := t.Target(m.Group)
	asked = &Question{GroupID: m.Group, PersonID: m.Person, MessageID: m.ID, Text: Excerpt(m.Text, 200), AskedAt: m.At,
		StartsAt: r.ClockStart(m.At), DueAt: r.Due(m.At)}
	t.Add(asked)
	return answered, asked
}

// Expire drops the open questions asked QuestionHorizon or longer before
// now: unanswered for good.
func (t *Tracker) Expire(now time.Time) {
	for g, qs := range t.open {
		kept := slices.DeleteFunc(qs, func(q *Question) bool { return now.Sub(q.AskedAt) >= QuestionHorizon })
		t.n -= len(qs) - len(kept)
		t.open[g] = kept
	}
}
