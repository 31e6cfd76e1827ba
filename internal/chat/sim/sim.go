// Package sim is a simulated chat platform: a real chat.Adapter behind the
// same interface as Telegram or OneBot, used by `qunzhu demo`, tests and
// benchmarks. Members post realistic Chinese chat at realistic hours, join,
// leave and rename, and a few break the rules. Everything is deterministic
// for a seed.
package sim

import (
	"bufio"
	"cmp"
	"context"
	"embed"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/content"
)

//go:embed corpus
var corpusFS embed.FS

type corpus struct {
	academy, owners []string
	violations      []violation
}

type violation struct{ category, text string }

func lines(name string) []string {
	f, err := corpusFS.Open("corpus/" + name)
	if err != nil {
		panic("sim: corpus " + name + ": " + err.Error())
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

var texts = sync.OnceValue(func() corpus {
	c := corpus{academy: lines("academy.txt"), owners: lines("owners.txt")}
	for _, l := range lines("violations.tsv") {
		cat, text, _ := strings.Cut(l, "\t")
		c.violations = append(c.violations, violation{cat, text})
	}
	return c
})

// hourWeight is how busy each hour of the day is (peaks at 07–09, 12–13,
// 20–22; near silence 01–06).
var hourWeight = [24]float64{0.3, 0.1, 0.05, 0.03, 0.03, 0.1, 0.5, 1.5, 2.0, 1.4, 1.0, 1.0, 1.8, 1.5, 0.8, 0.8, 0.9, 1.0, 1.2, 1.4, 2.0, 2.2, 1.6, 0.8}

// HourWeight returns the activity weight of t's hour in loc.
func HourWeight(t time.Time, loc *time.Location) float64 { return hourWeight[t.In(loc).Hour()] }

// Options configure a Sim.
type Options struct {
	Now           func() time.Time
	Logger        *slog.Logger
	Rate          float64 // live events per second at an average hour; 2 when 0
	ViolationRate float64 // share of messages that break a rule; 0.03 when 0
	// Location is the members' time zone, which their busy and quiet
	// hours follow; content.DefaultZone's when nil.
	Location *time.Location
}

type member struct {
	id, name   string
	weight     float64 // relative chattiness; 0 never speaks
	mutedUntil time.Time
	staff      bool
}

type group struct {
	spec    GroupSpec
	members []*member
	byID    map[string]*member
	banned  map[string]bool
	lastMsg string
}

// Sim is the simulated platform.
type Sim struct {
	name string
	opt  Options

	mu      sync.Mutex
	rng     *rand.Rand
	groups  []*group
	byID    map[string]*group
	seq     int
	nonce   string
	actions []chat.Action
	pending []chat.Event // reactions to actions, emitted on the next tick
	planned []departure  // leaves History makes
	joins   int
	// Expect counts generated rule violations by category, for tests.
	expect map[string]int
}

var _ chat.Adapter = (*Sim)(nil)

var surnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
var given = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玉兰", "志强", "海燕", "春梅", "晓东", "丹", "鹏", "凯", "婷", "雪", "浩", "宇", "欣怡", "子涵", "梓萱", "俊杰", "建国", "淑珍", "小龙", "彤彤"}

// New returns a simulator for a scenario.
func New(name string, sc Scenario, opt Options) *Sim {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Rate <= 0 {
		opt.Rate = 2
	}
	if opt.Location == nil {
		opt.Location, _ = content.LoadZone("")
	}
	if opt.ViolationRate <= 0 {
		opt.ViolationRate = 0.03
	}
	s := &Sim{name: name, opt: opt, rng: rand.New(rand.NewPCG(uint64(sc.Seed), 0x51ced)), byID: map[string]*group{}, expect: map[string]int{},
		nonce: strconv.FormatInt(opt.Now().UnixNano(), 36)}
	for _, spec := range sc.Groups {
		s.addGroup(spec)
	}
	return s
}

// addGroup adds a group with its first members.
func (s *Sim) addGroup(spec GroupSpec) *group {
	if spec.Capacity == 0 {
		spec.Capacity = 500
	}
	g := &group{spec: spec, byID: map[string]*member{}, banned: map[string]bool{}}
	for i := 0; i < spec.Members; i++ {
		g.add(s.newMember(g, i))
	}
	s.groups = append(s.groups, g)
	s.byID[spec.ID] = g
	return g
}

func (g *group) add(m *member) {
	g.members = append(g.members, m)
	g.byID[m.id] = m
}

func (g *group) remove(id string) {
	delete(g.byID, id)
	g.members = slices.DeleteFunc(g.members, func(m *member) bool { return m.id == id })
}

func (s *Sim) personName() string {
	return string(surnames[s.rng.IntN(len(surnames))]) + given[s.rng.IntN(len(given))]
}

// newMember makes the i-th member of a group: the first four are staff
// (owner, secretary, two assistants); activity follows a power law with a
// third lurkers who never speak.
func (s *Sim) newMember(g *group, i int) *member {
	m := &member{id: fmt.Sprintf("%s-m%d", g.spec.ID, i), name: s.personName()}
	switch {
	case i < 4:
		m.staff, m.weight = true, 3
	case s.rng.Float64() < 0.33:
		m.weight = 0
	default:
		m.weight = 1 / math.Pow(float64(i-3), 0.9)
	}
	if g.spec.NicknameRule {
		m.name = fmt.Sprintf("%d-%d-%d%02d %s", 1+s.rng.IntN(16), 1+s.rng.IntN(3), 1+s.rng.IntN(33), 1+s.rng.IntN(4), m.name)
	}
	return m
}

// Staff returns the platform ids of a group's owner, secretary and
// assistants.
func (s *Sim) Staff(groupID string) (owner, secretary string, assistants []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.byID[groupID]
	if g == nil || len(g.spec.ID) == 0 {
		return "", "", nil
	}
	id := func(i int) string { return fmt.Sprintf("%s-m%d", g.spec.ID, i) }
	return id(0), id(1), []string{id(2), id(3)}
}

// Groups returns the scenario's group specs.
func (s *Sim) Groups() []GroupSpec {
	out := make([]GroupSpec, len(s.groups))
	for i, g := range s.groups {
		out[i] = g.spec
	}
	return out
}

// Expect returns how many violations of each category were generated.
func (s *Sim) Expect() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, v := range s.expect {
		out[k] = v
	}
	return out
}

// Name implements chat.Adapter.
func (s *Sim) Name() string { return s.name }

// Platform implements chat.Adapter.
func (s *Sim) Platform() string { return "sim" }

// Capabilities implements chat.Adapter.
func (s *Sim) Capabilities() chat.Capabilities { return chat.AllActions() }

func (s *Sim) nextID(prefix string) string {
	s.seq++
	return s.name + "-" + prefix + strconv.Itoa(s.seq)
}

func (s *Sim) event(g *group, typ chat.EventType, at time.Time, u *member, live bool) chat.Event {
	prefix := "h"
	if live {
		prefix = s.nonce + "-"
	}
	return chat.Event{ID: s.nextID(prefix), Connection: s.name, Platform: "sim", Type: typ, Group: g.spec.ID, GroupName: g.spec.Name, Time: at,
		Sender: chat.User{ID: u.id, Name: u.name}}
}

// pick chooses a speaker by weight.
func (s *Sim) pick(g *group, at time.Time) *member {
	total := 0.0
	for _, m := range g.members {
		if m.weight > 0 && at.After(m.mutedUntil) {
			total += m.weight
		}
	}
	if total == 0 {
		return nil
	}
	x := s.rng.Float64() * total
	for _, m := range g.members {
		if m.weight <= 0 || !at.After(m.mutedUntil) {
			continue
		}
		if x -= m.weight; x <= 0 {
			return m
		}
	}
	return g.members[len(g.members)-1]
}

var kinds = []struct {
	k chat.MessageKind
	p float64
}{{chat.KindText, 0.80}, {chat.KindImage, 0.08}, {chat.KindSticker, 0.05}, {chat.KindLink, 0.025}, {chat.KindVideo, 0.015}, {chat.KindRedPacket, 0.01}, {chat.KindFile, 0.01}, {chat.KindMiniProgram, 0.005}, {chat.KindForward, 0.005}}

// message makes one message event in g at at.
func (s *Sim) message(g *group, at time.Time, live bool) (chat.Event, bool) {
	m := s.pick(g, at)
	if m == nil {
		return chat.Event{}, false
	}
	e := s.event(g, chat.EventMessage, at, m, live)
	msg := &chat.Message{ID: "msg-" + e.ID, Kind: chat.KindText}
	c := texts()
	if !m.staff && s.rng.Float64() < s.opt.ViolationRate {
		v := c.violations[s.rng.IntN(len(c.violations))]
		msg.Text = v.text
		s.expect[v.category]++
		if s.rng.Float64() < 0.15 && g.spec.Style == Academy { // voice is banned in the academy
			msg.Kind, msg.Text = chat.KindVoice, ""
			s.expect["voice"]++
		}
	} else {
		x := s.rng.Float64()
		for _, k := range kinds {
			if x -= k.p; x <= 0 {
				msg.Kind = k.k
				break
			}
		}
		lines := c.academy
		if g.spec.Style == Owners {
			lines = c.owners
		}
		switch msg.Kind {
		case chat.KindText:
			msg.Text = lines[s.rng.IntN(len(lines))]
		case chat.KindLink:
			msg.Text, msg.URL = "分享一篇文章", "https://mp.weixin.qq.com/s/"+strconv.Itoa(s.rng.IntN(1e6))
		case chat.KindImage, chat.KindVideo, chat.KindFile:
			msg.URL = "https://files.example.com/" + strconv.Itoa(s.rng.IntN(1e6))
		case chat.KindRedPacket:
			msg.Text = "恭喜发财，大吉大利"
		}
		if g.lastMsg != "" && s.rng.Float64() < 0.15 {
			msg.ReplyTo = g.lastMsg
		}
		if s.rng.Float64() < 0.05 && len(g.members) > 0 {
			msg.Mentions = []string{g.members[s.rng.IntN(len(g.members))].id}
		}
	}
	g.lastMsg = msg.ID
	e.Message = msg
	return e, true
}

// join makes a newcomer join g.
func (s *Sim) join(g *group, at time.Time, live bool) (chat.Event, bool) {
	if len(g.members) >= g.spec.Capacity {
		return chat.Event{}, false
	}
	s.joins++
	m := &member{id: fmt.Sprintf("%s-j%d-%s", g.spec.ID, s.joins, s.nonceIf(live)), name: s.personName()}
	if s.rng.Float64() > 0.4 {
		m.weight = 1 / float64(2+s.rng.IntN(40))
	}
	if g.spec.NicknameRule && s.rng.Float64() < 0.7 {
		m.name = fmt.Sprintf("%d-%d-%d%02d %s", 1+s.rng.IntN(16), 1+s.rng.IntN(3), 1+s.rng.IntN(33), 1+s.rng.IntN(4), m.name)
	} else if g.spec.NicknameRule {
		s.expect["nickname"]++
	}
	if g.banned[m.id] {
		return chat.Event{}, false
	}
	g.add(m)
	e := s.event(g, chat.EventMemberJoined, at, m, live)
	switch x := s.rng.Float64(); {
	case x < 0.45 && len(g.members) > 1:
		e.Source, e.Inviter = chat.SourcePulledIn, &chat.User{ID: g.members[0].id, Name: g.members[0].name}
	case x < 0.65:
		e.Source = chat.SourceEvent
	case x < 0.85 && len(g.members) > 5:
		ref := g.members[4+s.rng.IntN(len(g.members)-5)]
		e.Source, e.Inviter = chat.SourceReferral, &chat.User{ID: ref.id, Name: ref.name}
	default:
		e.Source, e.Code = chat.SourcePromo, "POSTER"+strconv.Itoa(1+s.rng.IntN(3))
	}
	return e, true
}

func (s *Sim) nonceIf(live bool) string {
	if live {
		return s.nonce
	}
	return "h"
}

// leave makes a non-staff member leave g.
func (s *Sim) leave(g *group, at time.Time, live bool) (chat.Event, bool) {
	if len(g.members) <= 5 {
		return chat.Event{}, false
	}
	m := g.members[4+s.rng.IntN(len(g.members)-4)]
	g.remove(m.id)
	e := s.event(g, chat.EventMemberLeft, at, m, live)
	e.Reason = chat.LeftVoluntarily
	return e, true
}

// History generates a plausible backlog from from to to: the starting
// members join before from, then days of chat shaped by the hour curve
// and each group's liveness, a few newcomers and leavers a week, and the
// departures planned with Depart.
func (s *Sim) History(from, to time.Time) []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.Event
	// Initial joins spread over the 90 days before from, in member order.
	for _, g := range s.groups {
		n := len(g.members)
		for i, m := range g.members {
			at := from.Add(-90 * 24 * time.Hour).Add(time.Duration(float64(i) / float64(max(n, 1)) * float64(89*24*time.Hour)))
			e := s.event(g, chat.EventMemberJoined, at, m, false)
			switch {
			case i == 0:
				e.Source = chat.SourcePulledIn
			case i < 4 || s.rng.Float64() < 0.45:
				e.Source, e.Inviter = chat.SourcePulledIn, &chat.User{ID: g.members[0].id, Name: g.members[0].name}
			case s.rng.Float64() < 0.35:
				e.Source = chat.SourceEvent
			case s.rng.Float64() < 0.6:
				ref := g.members[s.rng.IntN(i)]
				e.Source, e.Inviter = chat.SourceReferral, &chat.User{ID: ref.id, Name: ref.name}
			default:
				e.Source, e.Code = chat.SourcePromo, "POSTER1"
			}
			out = append(out, e)
		}
	}
	out = append(out, s.days(s.groups, from, to)...)
	slices.SortStableFunc(out, func(a, b chat.Event) int { return a.Time.Compare(b.Time) })
	return out
}

// days generates the days of groups from from to to.
func (s *Sim) days(groups []*group, from, to time.Time) []chat.Event {
	var out []chat.Event
	days := int(to.Sub(from).Hours()/24) + 1
	for d := 0; d < days; d++ {
		loc := s.opt.Location
		dayStart := time.Date(from.In(loc).Year(), from.In(loc).Month(), from.In(loc).Day()+d, 0, 0, 0, 0, loc)
		for _, g := range groups {
			out = append(out, s.departures(g, dayStart, from, to)...)
			// Dying groups fade over the period.
			live := g.spec.Liveness
			if live < 0.5 {
				live *= math.Max(0, 1-float64(d)/float64(days)*1.5)
			}
			perDay := live * 0.12 * float64(len(g.members))
			if g.spec.Style == Owners {
				perDay = live * 0.1 * float64(len(g.members))
			}
			n := s.poisson(perDay)
			for i := 0; i < n; i++ {
				at := dayStart.Add(s.hour()).Add(time.Duration(s.rng.IntN(3600)) * time.Second)
				if !at.Before(to) || at.Before(from) {
					continue
				}
				if e, ok := s.message(g, at, false); ok {
					out = append(out, e)
				}
			}
			if live > 0.2 && s.rng.Float64() < 0.35 {
				at := dayStart.Add(s.hour())
				if at.Before(to) && !at.Before(from) {
					if e, ok := s.join(g, at, false); ok {
						out = append(out, e)
					}
				}
			}
			if s.rng.Float64() < 0.12 {
				at := dayStart.Add(s.hour())
				if at.Before(to) && !at.Before(from) {
					if e, ok := s.leave(g, at, false); ok {
						out = append(out, e)
					}
				}
			}
		}
	}
	return out
}

// departure is a member's leave planned with Depart.
type departure struct {
	group, user string
	at          time.Time
}

// Depart plans a member's leave of a group at a time of the history to
// come: from that day on they say nothing there.
func (s *Sim) Depart(groupID, userID string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.planned = append(s.planned, departure{groupID, userID, at})
}

// departures makes the planned leaves of g on the day from dayStart.
func (s *Sim) departures(g *group, dayStart, from, to time.Time) []chat.Event {
	var out []chat.Event
	for _, p := range s.planned {
		m := g.byID[p.user]
		if p.group != g.spec.ID || m == nil || p.at.Before(dayStart) || !p.at.Before(dayStart.Add(24*time.Hour)) || p.at.Before(from) || !p.at.Before(to) {
			continue
		}
		g.remove(m.id)
		e := s.event(g, chat.EventMemberLeft, p.at, m, false)
		e.Reason = chat.LeftVoluntarily
		out = append(out, e)
	}
	return out
}

// Regulars returns the platform ids of a group's n chattiest members (not
// staff), the chattiest first.
func (s *Sim) Regulars(groupID string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.byID[groupID]
	if g == nil {
		return nil
	}
	ms := slices.DeleteFunc(slices.Clone(g.members), func(m *member) bool { return m.staff || m.weight == 0 })
	slices.SortStableFunc(ms, func(a, b *member) int { return cmp.Compare(b.weight, a.weight) })
	var out []string
	for _, m := range ms[:min(n, len(ms))] {
		out = append(out, m.id)
	}
	return out
}

// Open adds a group to the simulation, created at at, and returns its
// history until to: its first members (spec.Members, staff first) join
// over the day it is created, and so do also — members of other groups,
// by platform id, who keep their seat where they were; then its days, as
// History makes them.
func (s *Sim) Open(spec GroupSpec, at, to time.Time, also []string) []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.addGroup(spec)
	var out []chat.Event
	for i, m := range g.members {
		e := s.event(g, chat.EventMemberJoined, at.Add(time.Duration(i)*24*time.Hour/time.Duration(len(g.members))), m, false)
		e.Source = chat.SourcePulledIn
		if i > 0 {
			e.Inviter = &chat.User{ID: g.members[0].id, Name: g.members[0].name}
		}
		out = append(out, e)
	}
	for i, id := range also {
		var m *member
		for _, o := range s.groups {
			if m = o.byID[id]; m != nil && o != g {
				break
			}
		}
		if m == nil || g.byID[id] != nil {
			continue
		}
		g.add(m)
		e := s.event(g, chat.EventMemberJoined, at.Add(12*time.Hour+time.Duration(i)*12*time.Hour/time.Duration(len(also))), m, false)
		e.Source = chat.SourceEvent
		out = append(out, e)
	}
	out = append(out, s.days([]*group{g}, at.Add(24*time.Hour), to)...)
	slices.SortStableFunc(out, func(a, b chat.Event) int { return a.Time.Compare(b.Time) })
	return out
}

// hour samples an hour of the day from the curve.
func (s *Sim) hour() time.Duration {
	total := 0.0
	for _, w := range hourWeight {
		total += w
	}
	x := s.rng.Float64() * total
	for h, w := range hourWeight {
		if x -= w; x <= 0 {
			return time.Duration(h) * time.Hour
		}
	}
	return 23 * time.Hour
}

func (s *Sim) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 { // normal approximation
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*s.rng.NormFloat64())))
	}
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= s.rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// Stream returns n message events quickly, for tests and benchmarks.
func (s *Sim) Stream(n int, start time.Time) []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]chat.Event, 0, n)
	for len(out) < n {
		g := s.groups[s.rng.IntN(len(s.groups))]
		if e, ok := s.message(g, start.Add(time.Duration(len(out))*time.Millisecond), false); ok {
			out = append(out, e)
		}
	}
	return out
}

// tick makes the next live event: mostly messages, in a group chosen by
// size and liveness, sometimes a join or a leave.
func (s *Sim) tick(now time.Time) (chat.Event, bool) {
	total := 0.0
	for _, g := range s.groups {
		total += g.spec.Liveness * float64(len(g.members))
	}
	if total == 0 {
		return chat.Event{}, false
	}
	x := s.rng.Float64() * total
	g := s.groups[len(s.groups)-1]
	for _, c := range s.groups {
		if x -= c.spec.Liveness * float64(len(c.members)); x <= 0 {
			g = c
			break
		}
	}
	switch r := s.rng.Float64(); {
	case r < 0.02:
		return s.join(g, now, true)
	case r < 0.03:
		return s.leave(g, now, true)
	}
	return s.message(g, now, true)
}

// Run emits live events until ctx is done, at Rate per second shaped by
// the hour of day. A failing sink is retried with the same batch: nothing
// is dropped or reordered.
func (s *Sim) Run(ctx context.Context, sink chat.Sink) error {
	for {
		now := s.opt.Now()
		wait := time.Duration(float64(time.Second) / (s.opt.Rate * math.Max(HourWeight(now, s.opt.Location), 0.05)))
		wait = time.Duration(float64(wait) * (0.5 + s.rng.Float64()))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		s.mu.Lock()
		batch := s.pending
		s.pending = nil
		if e, ok := s.tick(s.opt.Now()); ok {
			batch = append(batch, e)
		}
		s.mu.Unlock()
		if len(batch) == 0 {
			continue
		}
		for attempt := 1; ; attempt++ {
			err := sink.Ingest(ctx, batch)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			d := time.Duration(min(attempt, 15)) * 200 * time.Millisecond
			s.opt.Logger.Warn("sim: ingest failed; retrying", "err", err, "in", d)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d):
			}
		}
	}
}

// Do implements chat.Adapter: it records the action and reacts as a
// platform would.
func (s *Sim) Do(_ context.Context, a chat.Action) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.byID[a.Group]
	if g == nil {
		return fmt.Errorf("sim: no group %q: %w", a.Group, chat.ErrPermanent)
	}
	s.actions = append(s.actions, a)
	now := s.opt.Now()
	switch a.Kind {
	case chat.ActKick, chat.ActBan:
		m := g.byID[a.User]
		if m == nil {
			return nil // already gone: kicking twice is harmless
		}
		g.remove(m.id)
		if a.Kind == chat.ActBan {
			g.banned[m.id] = true
		}
		e := s.event(g, chat.EventMemberLeft, now, m, true)
		e.Reason, e.Actor = chat.LeftRemoved, &chat.User{ID: "qunzhu-bot", Name: "群主助手", Bot: true}
		s.pending = append(s.pending, e)
	case chat.ActUnban:
		delete(g.banned, a.User)
	case chat.ActMute:
		if m := g.byID[a.User]; m != nil {
			m.mutedUntil = now.Add(time.Duration(a.Duration))
		}
	case chat.ActUnmute:
		if m := g.byID[a.User]; m != nil {
			m.mutedUntil = time.Time{}
		}
	}
	return nil
}

// Actions returns every action done so far.
func (s *Sim) Actions() []chat.Action {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actions)
}
