package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// IngestConfig configures an Ingester.
type IngestConfig struct {
	Store   Store
	Decider Decider // PassThrough when nil
	Logger  *slog.Logger
	Now     func() time.Time

	// BatchSize caps the events committed in one transaction; BatchWait is
	// how long after a batch's first event the writer waits for more to
	// fill it. With none, a batch is what waited while the last one was
	// written: batches grow with the load by themselves (group commit).
	BatchSize int
	BatchWait time.Duration

	// OrgFor returns the organisation that owns groups first seen on a
	// connection.
	OrgFor func(connection string) int64
	// Caps returns the capabilities of a connection's platform.
	Caps func(connection string) chat.Capabilities
	// Welcome is posted when a member joins; {name} and {group} are
	// replaced. Empty: no welcome.
	Welcome string
	// ObserveDecision, when set, receives the time each Decide call took.
	ObserveDecision func(time.Duration)
	// OnActions, when set, is told after a commit that actions were queued.
	OnActions func()
	// CacheLimit caps each lookup cache (entries; the least recently used
	// go first, and those used within the last CacheLimit/2 stay); 0 means
	// 500k, so that 250,000 members speaking in turn — the day's speakers
	// of an organisation of a million — are all looked up in memory.
	CacheLimit int
	// Location is the server's time zone, in which the chat commands show
	// times (an event's); UTC when nil.
	Location *time.Location
	// ReportThreshold is how many distinct established members must report
	// a message (reply "举报" or /report) before it is hidden pending
	// review; 3 when 0.
	ReportThreshold int
}

// Established is how long a member must have been in a group for their
// report to count.
const Established = 72 * time.Hour

// ReplyReach is how far back a member's report, a staff command or a
// 投稿 finds the message it answers: a message sent more than 30 days
// before the reply (replyAt in Tx) is not looked up (the store reads a
// group's recent messages, newest first, to find one by its platform id).
const ReplyReach = 30 * 24 * time.Hour

// LiveWindow is how recent an event must be for the pipeline to act on it:
// a join from last month (an import, a bridge catching up) gets no welcome,
// a message from last month no moderation.
const LiveWindow = 10 * time.Minute

// Result counts what an Ingest call did.
type Result struct {
	Accepted   int // new events stored
	Duplicates int // events already stored, ignored
}

// Ingester stores events in batches: concurrent callers' events are merged
// into one transaction (group commit), which is what makes SQLite fast.
// It implements chat.Sink.
type Ingester struct {
	cfg  IngestConfig
	reqs chan *request

	// The lookup caches, each of at most CacheLimit entries (lru).
	mu      sync.Mutex
	groups  *lru[string, community.Group] // connection\x00external id
	people  *lru[string, int64]           // connection\x00user id
	members *lru[memberKey, community.Membership]
	mutes   *lru[memberKey, mute] // mutes sent, by group and person

	stats Stats
}

// mute is a mute sent to a member: until when (zero: with no end) and for
// how long. While it runs, a further offence that would mute her no
// longer only deletes the message: the platform has been told already,
// and the group is not warned about her again and again (a flood muted
// message by message). The memory is the process's, as the flood windows
// are: a connection's events are decided on the replica that holds it;
// after a restart the first offence mutes again.
type mute struct {
	until time.Time
	d     time.Duration
}

// Stats are running totals, for metrics.
type Stats struct {
	Events, Duplicates, Messages, Actions, Batches, Failures atomic.Int64
}

type memberKey struct{ group, person int64 }

type request struct {
	events  []chat.Event
	history bool // IngestHistory: store, act on nothing
	done    chan reply
}

type reply struct {
	res Result
	err error
}

var _ chat.Sink = (*Ingester)(nil)

// NewIngester returns an Ingester; call Run to start its writer.
func NewIngester(cfg IngestConfig) *Ingester {
	if cfg.Decider == nil {
		cfg.Decider = PassThrough{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 512
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.OrgFor == nil {
		cfg.OrgFor = func(string) int64 { return 1 }
	}
	if cfg.Caps == nil {
		cfg.Caps = func(string) chat.Capabilities { return chat.AllActions() }
	}
	if cfg.CacheLimit <= 0 {
		cfg.CacheLimit = 500_000
	}
	if cfg.ReportThreshold <= 0 {
		cfg.ReportThreshold = 3
	}
	return &Ingester{
		cfg:     cfg,
		reqs:    make(chan *request, 1024),
		groups:  newLRU[string, community.Group](cfg.CacheLimit),
		people:  newLRU[string, int64](cfg.CacheLimit),
		members: newLRU[memberKey, community.Membership](cfg.CacheLimit),
		mutes:   newLRU[memberKey, mute](cfg.CacheLimit),
	}
}

// Stats returns the running totals.
func (in *Ingester) Stats() *Stats { return &in.stats }

// Ingest implements chat.Sink.
func (in *Ingester) Ingest(ctx context.Context, events []chat.Event) error {
	_, err := in.IngestCount(ctx, events)
	return err
}

// IngestCount stores events and reports how many were new. It returns after
// the batch holding them has committed.
func (in *Ingester) IngestCount(ctx context.Context, events []chat.Event) (Result, error) {
	return in.ingest(ctx, events, false)
}

// IngestHistory stores events of the past — an imported chat export — the
// way IngestCount stores live ones, with their idempotency keys, so that
// importing twice, or history that overlaps live traffic, stores each
// event once. Nothing is acted on, however recent: no rules, welcomes,
// commands, reports or eligibility checks, and no offences are recorded.
// What the events say about the present gives way to what qunzhu already
// knows from later events: a join, leave or message older than a
// member's current stint (or than their last leave) changes no
// membership, a rename older than the group's latest message keeps the
// group's name, and a known identity keeps its name.
func (in *Ingester) IngestHistory(ctx context.Context, events []chat.Event) (Result, error) {
	return in.ingest(ctx, events, true)
}

func (in *Ingester) ingest(ctx context.Context, events []chat.Event, history bool) (Result, error) {
	if len(events) == 0 {
		return Result{}, nil
	}
	for i := range events {
		if err := Validate(&events[i]); err != nil {
			return Result{}, errkind.Errorf(errkind.Invalid, "events[%d]: %w", i, err)
		}
	}
	r := &request{events: events, history: history, done: make(chan reply, 1)}
	select {
	case in.reqs <- r:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	select {
	case rep := <-r.done:
		return rep.res, rep.err
	case <-ctx.Done():
		// The batch may still commit; the caller retries and the
		// idempotency key makes that harmless.
		return Result{}, ctx.Err()
	}
}

// Validate checks the fields every stored event needs.
func Validate(e *chat.Event) error {
	switch {
	case e.ID == "":
		return errors.New("id: required")
	case e.Connection == "":
		return errors.New("connection: required")
	case !e.Type.Valid():
		return fmt.Errorf("type: unknown event type %q", e.Type)
	case e.Group == "":
		return errors.New("group: required")
	case e.Time.IsZero():
		return errors.New("time: required")
	}
	switch e.Type {
	case chat.EventMessage:
		if e.Message == nil {
			return errors.New("message: required for message events")
		}
		if e.Message.ID == "" {
			return errors.New("message.id: required")
		}
		if !e.Message.Kind.Valid() {
			return fmt.Errorf("message.kind: unknown kind %q", e.Message.Kind)
		}
		fallthrough
	case chat.EventMemberJoined, chat.EventMemberLeft, chat.EventMemberRenamed:
		if e.Sender.ID == "" {
			return fmt.Errorf("sender.id: required for %s events", e.Type)
		}
	case chat.EventButton:
		if e.Sender.ID == "" {
			return errors.New("sender.id: required for button events")
		}
		if e.Button == nil || e.Button.Data == "" {
			return errors.New("button.data: required for button events")
		}
	}
	if !e.Source.Valid() {
		return fmt.Errorf("source: unknown join source %q", e.Source)
	}
	return nil
}

// Run is the single writer: it merges waiting requests into batches and
// commits each in one transaction, until ctx is done.
func (in *Ingester) Run(ctx context.Context) error {
	var pending []*request
	var timer *time.Timer
	for {
		pending = pending[:0]
		select {
		case <-ctx.Done():
			return nil
		case r := <-in.reqs:
			pending = append(pending, r)
		}
		n := len(pending[0].events)
		// Take whatever else is already waiting, then wait for more
		// while the batch is not full, until BatchWait after the first
		// request: a deadline, not a pause that every arrival restarts
		// (clients answered together and sending again one by one held
		// the batch open for each other).
		deadline := time.Now().Add(in.cfg.BatchWait)
	fill:
		for n < in.cfg.BatchSize {
			select {
			case r := <-in.reqs:
				pending = append(pending, r)
				n += len(r.events)
				continue
			default:
			}
			if in.cfg.BatchWait <= 0 {
				break
			}
			wait := time.Until(deadline)
			if wait <= 0 {
				break
			}
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			select {
			case r := <-in.reqs:
				pending = append(pending, r)
				n += len(r.events)
				if !timer.Stop() {
					<-timer.C
				}
			case <-timer.C:
				break fill
			case <-ctx.Done():
				timer.Stop()
				in.fail(pending, ctx.Err())
				return nil
			}
		}
		in.commit(ctx, pending)
	}
}

func (in *Ingester) fail(reqs []*request, err error) {
	for _, r := range reqs {
		r.done <- reply{err: err}
	}
}

// commit stores the events of reqs in one transaction and answers each.
func (in *Ingester) commit(ctx context.Context, reqs []*request) {
	var all []chat.Event
	var history []bool // per event of all; nil when none is history
	if len(reqs) == 1 {
		all = reqs[0].events
	} else {
		for _, r := range reqs {
			all = append(all, r.events...)
		}
	}
	for _, r := range reqs {
		if r.history {
			history = make([]bool, 0, len(all))
			for _, r := range reqs {
				for range r.events {
					history = append(history, r.history)
				}
			}
			break
		}
	}
	b := newBatch(in)
	b.history = history
	err := in.cfg.Store.Ingest(ctx, func(tx Tx) error {
		b.tx = tx
		return b.run(ctx, all)
	})
	if err != nil && len(reqs) > 1 {
		// One caller's bad event must not sink the others: commit each
		// request on its own so only the bad one fails.
		for _, r := range reqs {
			in.commit(ctx, []*request{r})
		}
		return
	}
	if err != nil {
		in.stats.Failures.Add(1)
		in.cfg.Logger.Error("ingest batch failed", "events", len(all), "err", err)
		in.fail(reqs, fmt.Errorf("store events: %w", err))
		return
	}
	in.adopt(b)
	in.stats.Batches.Add(1)
	in.stats.Events.Add(int64(b.accepted))
	in.stats.Duplicates.Add(int64(len(all) - b.accepted))
	in.stats.Messages.Add(int64(len(b.msgs)))
	in.stats.Actions.Add(int64(len(b.actions) + len(b.revised)))
	if len(b.actions)+len(b.revised) > 0 && in.cfg.OnActions != nil {
		in.cfg.OnActions()
	}
	// Answer each request with its own counts.
	off := 0
	for _, r := range reqs {
		res := Result{}
		for i := range r.events {
			if b.fresh[off+i] {
				res.Accepted++
			} else {
				res.Duplicates++
			}
		}
		off += len(r.events)
		r.done <- reply{res: res}
	}
}

// adopt merges a committed batch's lookups into the caches.
func (in *Ingester) adopt(b *batch) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for k, v := range b.mutes {
		in.mutes.put(k, v)
	}
	for k, v := range b.groups {
		in.groups.put(k, v)
	}
	for k, v := range b.people {
		in.people.put(k, v)
	}
	for k, v := range b.members {
		if v.ID == 0 { // left
			in.members.del(k)
			continue
		}
		in.members.put(k, v)
	}
}

// Forget drops cached lookups (after the console or API changed groups or
// memberships outside the pipeline).
func (in *Ingester) Forget() {
	in.mu.Lock()
	in.groups.clear()
	in.people.clear()
	in.members.clear()
	in.mutes.clear()
	in.mu.Unlock()
}

// batch is the work of one transaction. Its lookups go to the caches only
// after it commits.
type batch struct {
	in       *Ingester
	tx       Tx
	now      time.Time
	fresh    []bool
	groups   map[string]community.Group
	people   map[string]int64
	members  map[memberKey]community.Membership // ID 0 marks a stint that ended
	msgs     []community.Message
	actions  []chat.Action
	revised  []chat.Action // plain replies that revise a queued one (Verdict.Revise)
	asks     map[Ask]int   // FAQ entries asked (Input.Asked), N unset
	accepted int
	offences map[int64]int // person → offences recorded in this batch
	history  []bool        // per event: stored as history (IngestHistory)
	hist     bool          // the event being processed is history
	mutes    map[memberKey]mute
	caps     map[string]chat.Capabilities // per connection, asked once a batch
}

func newBatch(in *Ingester) *batch {
	return &batch{in: in, now: in.cfg.Now(), groups: map[string]community.Group{}, people: map[string]int64{}, members: map[memberKey]community.Membership{}, offences: map[int64]int{}, mutes: map[memberKey]mute{}, caps: map[string]chat.Capabilities{}}
}

// capsOf returns the capabilities of a connection's platform, asked once a
// batch (a connection's adapter builds its map on every call). They are
// read, never changed.
func (b *batch) capsOf(connection string) chat.Capabilities {
	c, ok := b.caps[connection]
	if !ok {
		c = b.in.cfg.Caps(connection)
		b.caps[connection] = c
	}
	return c
}

func (b *batch) run(ctx context.Context, evs []chat.Event) error {
	// A retried transaction starts clean.
	b.msgs, b.actions, b.revised, b.accepted = b.msgs[:0], b.actions[:0], b.revised[:0], 0
	clear(b.asks)
	clear(b.groups)
	clear(b.people)
	clear(b.members)
	clear(b.offences)
	clear(b.mutes)
	var err error
	b.fresh, err = b.tx.ClaimEvents(ctx, evs, b.now)
	if err != nil {
		return err
	}
	for i := range evs {
		if !b.fresh[i] {
			continue
		}
		b.accepted++
		b.hist = b.history != nil && b.history[i]
		if err := b.event(ctx, &evs[i]); err != nil {
			return fmt.Errorf("event %s/%s: %w", evs[i].Connection, evs[i].ID, err)
		}
	}
	if err := b.tx.InsertMessages(ctx, b.msgs); err != nil {
		return err
	}
	if len(b.actions) > 0 {
		if err := b.tx.Enqueue(ctx, b.actions, b.now); err != nil {
			return err
		}
	}
	if len(b.revised) > 0 {
		if err := b.tx.ReviseActions(ctx, lastByKey(b.revised), b.now); err != nil {
			return err
		}
	}
	if len(b.asks) > 0 {
		asks := make([]Ask, 0, len(b.asks))
		for k, n := range b.asks {
			k.N = n
			asks = append(asks, k)
		}
		slices.SortFunc(asks, func(x, y Ask) int {
			return cmp.Or(cmp.Compare(x.GroupID, y.GroupID), cmp.Compare(x.Day, y.Day), cmp.Compare(x.Entry, y.Entry))
		})
		if err := b.tx.CountAsks(ctx, asks); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch) group(ctx context.Context, e *chat.Event) (community.Group, error) {
	k := e.Connection + "\x00" + e.Group
	if g, ok := b.groups[k]; ok {
		return g, nil
	}
	b.in.mu.Lock()
	g, ok := b.in.groups.get(k)
	b.in.mu.Unlock()
	if ok {
		return g, nil
	}
	g, ok, err := b.tx.GroupByExternal(ctx, e.Connection, e.Group)
	if err != nil {
		return g, err
	}
	if !ok {
		name := e.GroupName
		if name == "" {
			name = e.Group
		}
		g = community.Group{OrgID: b.in.cfg.OrgFor(e.Connection), Connection: e.Connection, Platform: e.Platform, ExternalID: e.Group, Name: name, CreatedAt: e.Time}
		if err := b.tx.CreateGroup(ctx, &g); err != nil {
			return g, err
		}
		detail, _ := json.Marshal(map[string]any{"connection": e.Connection, "external_id": e.Group, "name": name, "event": e.ID})
		if err := b.tx.Audit(ctx, community.AuditEntry{OrgID: g.OrgID, At: b.now, Actor: "platform:" + e.Connection, Action: "group.discover", Subject: "group:" + strconv.FormatInt(g.ID, 10), Detail: string(detail)}); err != nil {
			return g, err
		}
	}
	b.groups[k] = g
	return g, nil
}

func (b *batch) person(ctx context.Context, g community.Group, e *chat.Event, u chat.User) (int64, error) {
	k := e.Connection + "\x00" + u.ID
	if id, ok := b.people[k]; ok {
		return id, nil
	}
	b.in.mu.Lock()
	id, ok := b.in.people.get(k)
	b.in.mu.Unlock()
	if ok && e.Type != chat.EventMemberRenamed {
		return id, nil
	}
	resolve := b.tx.ResolvePerson
	if b.hist {
		resolve = b.tx.ResolveHistoricPerson // an old name does not replace a known one
	}
	id, err := resolve(ctx, g.OrgID, e.Connection, e.Platform, u)
	if err != nil {
		return 0, err
	}
	b.people[k] = id
	return id, nil
}

// live reports whether the pipeline acts on an event: a recent one that
// is not history.
func (b *batch) live(e *chat.Event) bool { return !b.hist && b.now.Sub(e.Time) < LiveWindow }

// leftSince reports whether a person left the group at or after t: what
// an event of time t says about their membership is out of date.
func (b *batch) leftSince(ctx context.Context, groupID, personID int64, t time.Time) (bool, error) {
	left, ok, err := b.tx.LastLeft(ctx, groupID, personID)
	return ok && !left.Before(t), err
}

// muted tells whether a mute sent to the person in the group runs at the
// batch's time and is at least as long as one of d would be (0: with no
// end).
func (b *batch) muted(groupID, personID int64, d time.Duration) bool {
	k := memberKey{groupID, personID}
	m, ok := b.mutes[k]
	if !ok {
		b.in.mu.Lock()
		m, ok = b.in.mutes.get(k)
		b.in.mu.Unlock()
	}
	switch {
	case !ok:
		return false
	case m.until.IsZero():
		return true // with no end
	case d <= 0:
		return false // a mute with no end outlasts a timed one
	default:
		return m.until.After(b.now) && m.d >= d
	}
}

// membership returns the open stint, if any.
func (b *batch) membership(ctx context.Context, groupID, personID int64) (community.Membership, bool, error) {
	k := memberKey{groupID, personID}
	if m, ok := b.members[k]; ok {
		return m, m.ID != 0, nil
	}
	b.in.mu.Lock()
	m, ok := b.in.members.get(k)
	b.in.mu.Unlock()
	if ok {
		return m, true, nil
	}
	m, ok, err := b.tx.OpenMembership(ctx, groupID, personID)
	if err != nil {
		return m, false, err
	}
	if ok {
		b.members[k] = m
	}
	return m, ok, nil
}

func (b *batch) join(ctx context.Context, g community.Group, pid int64, e *chat.Event, at time.Time) (community.Membership, error) {
	m := community.Membership{GroupID: g.ID, PersonID: pid, Role: community.RoleMember, Source: e.Source, Code: e.Code, JoinedAt: at}
	if e.Type == chat.EventMemberJoined {
		m.Nickname = e.Sender.Name
	}
	if e.Inviter != nil && e.Inviter.ID != "" {
		inv, err := b.person(ctx, g, e, *e.Inviter)
		if err != nil {
			return m, err
		}
		m.InviterID = inv
		if m.Source == chat.SourceUnknown {
			m.Source = chat.SourcePulledIn
		}
	}
	if e.Code != "" && e.Type == chat.EventMemberJoined {
		// The platform gave no inviter: the invite code tells who
		// brought them (a member's code) or which campaign (a campaign's).
		c, ok, err := b.tx.InviteCode(ctx, e.Code)
		if err != nil {
			return m, err
		}
		if ok && c.OrgID == g.OrgID {
			if m.InviterID == 0 && c.PersonID != 0 {
				m.InviterID = c.PersonID
			}
			switch {
			case c.PersonID != 0 && (m.Source == chat.SourceUnknown || m.Source == chat.SourcePromo):
				// A member's code or personal link: they referred the
				// joiner, even where the platform saw a self-join by link.
				m.Source = chat.SourceReferral
			case m.Source == chat.SourceUnknown:
				m.Source = chat.SourcePromo
			}
		}
	}
	if err := b.tx.AddMembership(ctx, &m); err != nil {
		return m, err
	}
	b.members[memberKey{g.ID, pid}] = m
	return m, nil
}

func (b *batch) event(ctx context.Context, e *chat.Event) error {
	g, err := b.group(ctx, e)
	if err != nil {
		return err
	}
	switch e.Type {
	case chat.EventGroupCreated, chat.EventGroupRenamed:
		name := e.GroupName
		if name == "" {
			name = e.NewName
		}
		if name != "" && name != g.Name && b.hist {
			// An old name: the group's messages after it came under a
			// later one.
			if later, err := b.tx.GroupActiveAfter(ctx, g.ID, e.Time); err != nil || later {
				return err
			}
		}
		if name != "" && name != g.Name {
			if err := b.tx.RenameGroup(ctx, g.ID, name); err != nil {
				return err
			}
			g.Name = name
			b.groups[e.Connection+"\x00"+e.Group] = g
		}
		return nil
	}

	pid, err := b.person(ctx, g, e, e.Sender)
	if err != nil {
		return err
	}
	m, open, err := b.membership(ctx, g.ID, pid)
	if err != nil {
		return err
	}
	switch e.Type {
	case chat.EventMemberJoined:
		if open {
			return nil // a repeated join of a present member changes nothing
		}
		if b.hist {
			if later, err := b.leftSince(ctx, g.ID, pid, e.Time); err != nil || later {
				return err // a join before their last leave: a stint qunzhu has closed
			}
		}
		if m, err = b.join(ctx, g, pid, e, e.Time); err != nil {
			return err
		}
		if !b.live(e) {
			return nil // history, or a join from long ago: nothing to act on
		}
		if banned, err := b.tx.OrgBanned(ctx, g.OrgID, pid); err != nil {
			return err
		} else if banned && g.Lifecycle == community.Active {
			// Banned from the organisation: out again, whatever group.
			return b.apply(ctx, e, g, pid, false, 0, Verdict{Action: chat.ActBan, Rule: "org-ban", Category: "ban", Reason: community.Say(g.Lang(), "已被本组织拉黑", "banned from the organisation"), Actor: "rules"}, b.capsOf(e.Connection))
		}
		if live := g.Lifecycle == community.Active && !e.Sender.Bot && b.live(e); live {
			if stop, err := b.familyGate(ctx, e, g, pid); err != nil || stop {
				return err
			}
			if stop, err := b.eligibility(ctx, e, g, pid); err != nil || stop {
				return err
			}
		}
		// Welcome only live joins: an imported join from last month gets none.
		if b.in.cfg.Welcome != "" && g.Lifecycle == community.Active && !e.Sender.Bot && b.live(e) {
			text := strings.NewReplacer("{name}", displayName(e.Sender), "{group}", g.Name).Replace(b.in.cfg.Welcome)
			b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":welcome", Connection: e.Connection, Kind: chat.ActSend, Group: e.Group, Text: text, Reason: "welcome"})
		}
	case chat.EventMemberLeft:
		if !open || b.hist && m.JoinedAt.After(e.Time) {
			return nil // not there, or the end of an earlier stint
		}
		if err := b.tx.EndMembership(ctx, m.ID, e.Time, e.Reason); err != nil {
			return err
		}
		b.members[memberKey{g.ID, pid}] = community.Membership{}
		// Gone, so is any mute: one who comes back is muted afresh when
		// the rules (or the join gate) say so.
		b.mutes[memberKey{g.ID, pid}] = mute{until: b.now, d: -1}
		return nil
	case chat.EventMemberRenamed:
		if b.hist && open && m.JoinedAt.After(e.Time) {
			return nil // a name of an earlier stint
		}
		if !open && b.hist {
			if later, err := b.leftSince(ctx, g.ID, pid, e.Time); err != nil || later {
				return err
			}
		}
		if !open {
			if m, err = b.join(ctx, g, pid, e, e.Time); err != nil {
				return err
			}
		}
		nick := e.NewName
		if nick == "" {
			nick = e.Sender.Name
		}
		if err := b.tx.SetNickname(ctx, m.ID, nick); err != nil {
			return err
		}
		m.Nickname = nick
		b.members[memberKey{g.ID, pid}] = m
	case chat.EventMessage:
		if !open {
			// A member we never saw join (the bot joined after them) —
			// unless this is history from before they last left.
			later := false
			if b.hist {
				if later, err = b.leftSince(ctx, g.ID, pid, e.Time); err != nil {
					return err
				}
			}
			if !later {
				if m, err = b.join(ctx, g, pid, e, e.Time); err != nil {
					return err
				}
			}
		}
		msg := e.Message
		b.msgs = append(b.msgs, community.Message{GroupID: g.ID, PersonID: pid, ExternalID: msg.ID, Kind: msg.Kind, Text: msg.Text, URL: msg.URL, ReplyTo: msg.ReplyTo, Mentions: len(msg.Mentions), MentionIDs: msg.Mentions, SentAt: e.Time})
		if b.hist {
			return nil // history reports nothing
		}
		if isReport(msg) {
			return b.report(ctx, e, g, pid, m)
		}
		if tagsStaff, err := b.mentionsStaffOnly(ctx, g, e); err != nil {
			return err
		} else if tagsStaff {
			// A reply that only calls an admin ("@群主") reports the message.
			return b.report(ctx, e, g, pid, m)
		}
	}
	if g.Lifecycle != community.Active || e.Sender.Bot || !b.live(e) {
		return nil
	}
	n, err := b.decide(ctx, e, g, pid, m)
	if err != nil || n > 0 || e.Type != chat.EventMessage {
		return err // a message the rules acted on is not run as a command
	}
	_, err = b.command(ctx, e, g, pid, m)
	return err
}

// eligibility applies the group's rule on who may join to a newcomer who
// does not qualify: removed at once (refuse), told and removed after the
// grace period unless admitted meanwhile (grace), or told and held for
// staff approval (approve). stop says the newcomer was removed.
func (b *batch) eligibility(ctx context.Context, e *chat.Event, g community.Group, pid int64) (stop bool, err error) {
	rule, ok, err := b.tx.CheckEligibility(ctx, g.ID, pid)
	if err != nil || rule == nil || ok {
		return false, err
	}
	name, lang := displayName(e.Sender), g.Lang()
	level := community.TierName(rule.LevelName, lang)
	switch rule.Handling {
	case "refuse":
		return true, b.apply(ctx, e, g, pid, false, 0, Verdict{Action: chat.ActKick, Rule: "eligibility", Category: "eligibility",
			Reason: fmt.Sprintf(community.Say(lang, "本群仅限%s", "for %s only"), level), Actor: "rules",
			Text: fmt.Sprintf(community.Say(lang, "%s，本群仅限%s加入，已移出。", "%s, this group is for %s only: you have been removed."), name, level)}, b.capsOf(e.Connection))
	case "grace":
		if err := b.tx.OpenEligibilityCase(ctx, g.ID, pid, rule.Handling, b.now.Add(rule.Grace), b.now); err != nil {
			return false, err
		}
		b.notify(e, "eligibility", fmt.Sprintf(community.Say(lang, "%[1]s，本群仅限%[2]s，%[3]s后将移出；如已是%[2]s请联系群主。", "%[1]s, this group is for %[2]s only: you will be removed in %[3]s unless you join the programme."),
			name, level, community.DurationText(lang, rule.Grace)))
	default: // approve
		if err := b.tx.OpenEligibilityCase(ctx, g.ID, pid, rule.Handling, time.Time{}, b.now); err != nil {
			return false, err
		}
		b.notify(e, "eligibility", fmt.Sprintf(community.Say(lang, "%s，本群仅限%s，你的入群申请已提交管理员审核。", "%s, this group is for %s only: an admin will review your request."), name, level))
	}
	return false, nil
}

// notify posts a notice about an event to its group.

func (b *batch) notify(e *chat.Event, what, text string) {
	if b.capsOf(e.Connection).Can(chat.ActSend) {
		b.actions = append(b.actions, chat.Action{Key: e.Connection + ":" + e.ID + ":" + what, Connection: e.Connection, Kind: chat.ActSend, Group: e.Group, Text: text, Reason: what})
	}
}

// mentionsStaffOnly tells the other way members report a message: a reply
// whose text is nothing but mentions of the group's staff ("@群主 @店小二").
func (b *batch) mentionsStaffOnly(ctx context.Context, g community.Group, e *chat.Event) (bool, error) {
	msg := e.Message
	if msg.ReplyTo == "" || len(msg.Mentions) == 0 {
		return false, nil
	}
	for _, w := range strings.Fields(msg.Text) {
		if !strings.HasPrefix(w, "@") && !strings.HasPrefix(w, "＠") {
			return false, nil // words of their own: a reply, not a report
		}
	}
	for _, u := range msg.Mentions {
		pid, err := b.person(ctx, g, e, chat.User{ID: u})
		if err != nil {
			return false, err
		}
		m, open, err := b.membership(ctx, g.ID, pid)
		if err != nil {
			return false, err
		}
		if !open || !m.Role.Staff() {
			return false, nil
		}
	}
	return true, nil
}

// isReport tells a report: a reply whose text is 举报 or /report.
func isReport(m *chat.Message) bool {
	if m.ReplyTo == "" {
		return false
	}
	t := strings.TrimSpace(m.Text)
	return t == "举报" || t == "/report" || strings.HasPrefix(t, "/report ") || strings.HasPrefix(t, "/report@")
}

// report files a member's report; when enough established members have
// reported a message it is hidden (deleted on the platform) pending a
// staff decision, which the review queue holds.
func (b *batch) report(ctx context.Context, e *chat.Event, g community.Group, pid int64, m community.Membership) error {
	if g.Lifecycle != community.Active || !b.live(e) {
		return nil
	}
	if !m.Role.Staff() && e.Time.Sub(m.JoinedAt) < Established {
		return nil // newcomers' reports do not count: no brigading with fresh accounts
	}
	rc, ok, err := b.tx.FileReport(ctx, g, e.Message.ReplyTo, e.Time, pid)
	if err != nil || !ok || rc.Hidden || rc.Reports < b.in.cfg.ReportThreshold {
		return err
	}
	if err := b.tx.HideReported(ctx, rc.ID); err != nil {
		return err
	}
	caps := b.capsOf(e.Connection)
	if caps.Can(chat.ActDelete) {
		b.actions = append(b.actions, chat.Action{Key: e.Connection + ":report:" + strconv.FormatInt(rc.ID, 10) + ":delete", Connection: e.Connection, Kind: chat.ActDelete, Group: e.Group, MessageID: e.Message.ReplyTo, Reason: "reported"})
	}
	if caps.Can(chat.ActSend) {
		b.actions = append(b.actions, chat.Action{Key: e.Connection + ":report:" + strconv.FormatInt(rc.ID, 10) + ":notice", Connection: e.Connection, Kind: chat.ActSend, Group: e.Group,
			Text: community.Say(g.Lang(), "该消息已被多位群友举报，暂时隐藏，等待管理员处理。", "A message reported by several members is hidden until an admin reviews it.")})
	}
	return nil
}

func displayName(u chat.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.ID
}

// plainReply is a verdict's plain reply: its text, picture and delay,
// answering msgID unless it says not to; the key is the verdict's (empty
// when it gives none).
func plainReply(base chat.Action, v Verdict, msgID string) chat.Action {
	a := base
	a.Kind, a.Key, a.User = chat.ActSend, v.Key, ""
	a.Text, a.Image, a.NotBefore, a.Mentions, a.Buttons, a.Mention = v.Text, v.Image, v.NotBefore, v.Mentions, v.Buttons, v.Mention
	if !v.NoReply {
		a.MessageID = msgID
	}
	if v.ToGroup != "" {
		a.Connection, a.Group, a.MessageID = v.ToConnection, v.ToGroup, ""
	}
	return a
}

// lastByKey keeps the last action of each key, in the order of their
// first: a batch's revisions of one welcome become one.
func lastByKey(acts []chat.Action) []chat.Action {
	at := map[string]int{}
	var out []chat.Action
	for _, a := range acts {
		if i, ok := at[a.Key]; ok {
			out[i] = a
			continue
		}
		at[a.Key] = len(out)
		out = append(out, a)
	}
	return out
}

// actionKey derives an action's idempotency key from its event, so the key
// is the same however often the event is processed.
func actionKey(e *chat.Event, n int, k chat.ActionKind) string {
	return e.Connection + ":" + e.ID + ":" + strconv.Itoa(n) + ":" + string(k)
}

// decide runs the rules hook and applies its verdicts; it returns how many.
func (b *batch) decide(ctx context.Context, e *chat.Event, g community.Group, pid int64, m community.Membership) (int, error) {
	caps := b.capsOf(e.Connection)
	start := time.Now()
	in := &Input{Event: e, Group: g, PersonID: pid, Membership: m, Caps: caps, BatchOffences: b.offences[pid]}
	in.Checkins, in.Lockdowns, in.Points, in.Gates, in.Ladder = b.tx, b.tx, b.tx, b.tx, b.tx
	in.Person = func(u chat.User) (int64, error) { return b.person(ctx, g, e, u) }
	in.Asked = func(entry string) {
		if b.asks == nil {
			b.asks = map[Ask]int{}
		}
		b.asks[Ask{GroupID: g.ID, Entry: entry, Day: e.Time.In(b.in.cfg.Location).Format(time.DateOnly)}]++
	}
	if msg := e.Message; msg != nil && msg.ReplyTo != "" && strings.HasPrefix(strings.TrimSpace(msg.Text), "/") {
		if u, ok, err := b.tx.MessageSender(ctx, g.ID, msg.ReplyTo, e.Time); err != nil {
			return 0, err
		} else if ok {
			in.ReplySender = u
		}
	}
	vs, err := b.in.cfg.Decider.Decide(ctx, in)
	if obs := b.in.cfg.ObserveDecision; obs != nil {
		obs(time.Since(start))
	}
	if err != nil {
		// A broken rules hook must not lose the event: store it, log loudly.
		b.in.cfg.Logger.Error("rules hook failed; event stored without a decision", "connection", e.Connection, "event", e.ID, "err", err)
		return 0, nil
	}
	for i, v := range vs {
		if err := b.apply(ctx, e, g, pid, v.Target == "" && m.Role.Staff(), i, v, caps); err != nil {
			return 0, err
		}
	}
	return len(vs), nil
}

// apply turns a verdict into platform actions, degrading visibly where the
// platform lacks the action (mute → delete + warn), and records it.
func (b *batch) apply(ctx context.Context, e *chat.Event, g community.Group, pid int64, staff bool, n int, v Verdict, caps chat.Capabilities) error {
	msgID := ""
	if e.Message != nil && v.Target == "" {
		msgID = e.Message.ID
	}
	user := e.Sender.ID
	if v.Target != "" {
		// A staff command about someone else.
		user = v.Target
		tp, err := b.person(ctx, g, e, chat.User{ID: v.Target})
		if err != nil {
			return err
		}
		pid = tp
	}
	actor := v.Actor
	if actor == "" {
		actor = "rules"
	}
	base := chat.Action{Connection: e.Connection, Group: e.Group, User: user, Reason: v.Reason}
	var acts []chat.Action
	add := func(k chat.ActionKind, mod func(*chat.Action)) {
		a := base
		a.Kind = k
		a.Key = actionKey(e, n*8+len(acts), k)
		if mod != nil {
			mod(&a)
		}
		acts = append(acts, a)
	}
	// A warning speaks to the member it is about (mentioned natively where
	// the platform can) and answers the offending message while it stands.
	mention := &chat.User{ID: user}
	if user == e.Sender.ID {
		mention.Name = displayName(e.Sender) // as the rules' "@name" writes it
	}
	replyTo := msgID
	if v.Target != "" {
		replyTo = v.ReplyTo
	}
	warn := func(text string) func(*chat.Action) {
		return func(a *chat.Action) {
			a.Text, a.User, a.Mention = text, "", mention
			if !slices.ContainsFunc(acts, func(d chat.Action) bool { return d.Kind == chat.ActDelete }) {
				a.MessageID = replyTo
			}
		}
	}
	notice := func() {
		if v.Text != "" && caps.Can(chat.ActSend) {
			add(chat.ActSend, warn(v.Text))
		}
	}
	degraded := ""
	already := false // muted already: the message deleted, nothing more
	switch v.Action {
	case chat.ActSend:
		switch {
		case !caps.Can(chat.ActSend):
		case v.Rule == "" && v.Revise:
			if v.Key == "" {
				return fmt.Errorf("rules hook returned a revised reply without a key")
			}
			b.revised = append(b.revised, plainReply(base, v, msgID))
		case v.Rule == "": // a plain reply (/rules, a usage hint, an answer), to nobody in particular
			add(chat.ActSend, func(a *chat.Action) {
				k := a.Key
				*a = plainReply(*a, v, msgID)
				if a.Key == "" {
					a.Key = k
				}
			})
		default:
			add(chat.ActSend, warn(v.Text))
		}
	case chat.ActDelete:
		if msgID != "" && caps.Can(chat.ActDelete) {
			add(chat.ActDelete, func(a *chat.Action) { a.MessageID, a.User = msgID, "" })
		} else {
			degraded = "delete unsupported: warned instead"
		}
		notice()
	case chat.ActMute:
		if msgID != "" && caps.Can(chat.ActDelete) {
			add(chat.ActDelete, func(a *chat.Action) { a.MessageID, a.User = msgID, "" })
		}
		if caps.Can(chat.ActMute) && b.muted(g.ID, pid, v.Duration) {
			// Muted already, as long or longer: the message goes, nothing
			// more is sent (see mute).
			already = true
			break
		}
		if caps.Can(chat.ActMute) {
			b.mutes[memberKey{g.ID, pid}] = mute{until: b.now.Add(v.Duration), d: v.Duration}
			if v.Duration <= 0 {
				b.mutes[memberKey{g.ID, pid}] = mute{}
			}
			add(chat.ActMute, func(a *chat.Action) {
				a.Duration = chat.Duration(v.Duration)
				if v.Duration > 0 {
					a.Until = b.now.Add(v.Duration) // fixed now: a retry must not lengthen it
				}
			})
			if v.Duration > 0 && !caps.Can(chat.CapTimedMute) && caps.Can(chat.ActUnmute) {
				// The platform's mutes do not expire: lift it when due.
				add(chat.ActUnmute, func(a *chat.Action) { a.NotBefore = b.now.Add(v.Duration) })
			}
		} else {
			degraded = "mute unsupported: deleted and warned instead"
		}
		notice()
	case chat.ActUnmute:
		// Lifting a mute (a newcomer who passed the join gate): the
		// member's next offence mutes her again.
		b.mutes[memberKey{g.ID, pid}] = mute{until: b.now, d: -1}
		if caps.Can(chat.ActUnmute) {
			add(chat.ActUnmute, nil)
		}
		notice()
	case chat.ActKick, chat.ActBan:
		if msgID != "" && caps.Can(chat.ActDelete) {
			add(chat.ActDelete, func(a *chat.Action) { a.MessageID, a.User = msgID, "" })
		}
		switch {
		case caps.Can(v.Action):
			add(v.Action, nil)
		case v.Action == chat.ActBan && caps.Can(chat.ActKick):
			add(chat.ActKick, nil)
			degraded = "ban unsupported: kicked instead"
		default:
			degraded = string(v.Action) + " unsupported: staff must act by hand"
		}
		notice()
	default:
		return fmt.Errorf("rules hook returned unknown action %q", v.Action)
	}
	if degraded != "" && v.Text == "" && caps.Can(chat.ActSend) {
		add(chat.ActSend, warn(v.Reason))
	}
	if v.Action == chat.ActBan && v.Rule != "org-ban" {
		// A ban holds across the organisation: record it and ban the
		// member from every other group they are in.
		if err := b.tx.AddOrgBan(ctx, g.OrgID, pid, v.Reason, actor); err != nil {
			return err
		}
		places, err := b.tx.PlacesOf(ctx, g.OrgID, pid)
		if err != nil {
			return err
		}
		for _, p := range places {
			if p.Connection == e.Connection && p.Group == e.Group {
				continue
			}
			acts = append(acts, chat.Action{Key: e.Connection + ":" + e.ID + ":orgban:" + p.Connection + ":" + p.Group, Connection: p.Connection,
				Kind: chat.ActBan, Group: p.Group, User: p.User, Reason: v.Reason})
		}
	}
	b.actions = append(b.actions, acts...)
	if v.Action == chat.ActSend && v.Rule == "" {
		return nil // a plain reply, not a moderation decision
	}
	done := v.Action
	if already {
		done = chat.ActDelete
	}
	if err := b.tx.RecordModeration(ctx, community.ModerationAction{OrgID: g.OrgID, GroupID: g.ID, PersonID: pid, MessageID: msgID, Action: done, Rule: v.Rule, Category: v.Category, Reason: v.Reason, Actor: actor, CreatedAt: b.now}); err != nil {
		return err
	}
	// As the store counts offences: not reminders, not guesses, nothing
	// against a member in a group where she is staff (staff: the verdict
	// is about the sender, who is).
	if notOffence := v.Category == "quiet" || v.Category == "nickname" || v.Category == "eligibility" || v.Category == "gate" || strings.Contains(v.Rule, "/model.") || staff; !notOffence {
		b.offences[pid]++
	}
	kinds := make([]string, len(acts))
	for i, a := range acts {
		kinds[i] = string(a.Kind)
	}
	text := ""
	if e.Message != nil {
		text = e.Message.Text
	}
	detail, _ := json.Marshal(map[string]any{
		"event": e.ID, "connection": e.Connection, "group": e.Group, "user": user,
		"text": text, "normalized": v.Normalized, "matched": v.Matched,
		"rule": v.Rule, "category": v.Category, "reason": v.Reason,
		"decision": v.Action, "actions": kinds, "degraded": degraded, "already_muted": already,
	})
	return b.tx.Audit(ctx, community.AuditEntry{OrgID: g.OrgID, At: b.now, Actor: actor, Action: "moderation." + string(done), Subject: "person:" + strconv.FormatInt(pid, 10), Detail: string(detail)})
}
