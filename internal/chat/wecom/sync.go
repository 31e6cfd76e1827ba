package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Cursor keys (chat.Cursors, per connection).
const (
	keyIndex    = "groups"    // JSON object: customer group → owner
	keyGroup    = "group:"    // + chat id: the group's snapshot
	keyGroupMsg = "groupmsg:" // + action key: the 群发 of a push
	keyJoinWay  = "joinway:"  // + join way key: its config id
	keyArchive  = "archive_seq"
)

// snapshot is a customer group as last stored.
type snapshot struct {
	Name    string                `json:"name"`
	Owner   string                `json:"owner"`
	Admins  []string              `json:"admins,omitempty"`
	Version string                `json:"version,omitempty"`
	Created int64                 `json:"created"`
	Saved   int64                 `json:"saved"` // unix ms: names this version in event ids
	Members map[string]snapMember `json:"members"`
	// Told: the Listener was told the group's staff as they are here.
	Told bool `json:"told,omitempty"`
}

type snapMember struct {
	Type   int    `json:"t"`
	Joined int64  `json:"j"` // join time (unix seconds): one stint
	Name   string `json:"n,omitempty"`
}

func (a *Adapter) loadSnapshot(ctx context.Context, chatID string) (*snapshot, error) {
	raw, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, keyGroup+chatID)
	if err != nil || raw == "" {
		return nil, err
	}
	var s snapshot
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", chatID, err)
	}
	return &s, nil
}

func (a *Adapter) saveSnapshot(ctx context.Context, chatID string, s *snapshot) error {
	v := ""
	if s != nil {
		b, err := json.Marshal(s)
		if err != nil {
			return err
		}
		v = string(b)
	}
	return a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, keyGroup+chatID, v)
}

func (a *Adapter) loadIndex(ctx context.Context) (map[string]string, error) {
	raw, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, keyIndex)
	if err != nil {
		return nil, err
	}
	idx := map[string]string{}
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &idx); err != nil {
			return nil, fmt.Errorf("group index: %w", err)
		}
	}
	return idx, nil
}

func (a *Adapter) saveIndex(ctx context.Context) error {
	a.mu.Lock()
	b, err := json.Marshal(a.known)
	a.mu.Unlock()
	if err != nil {
		return err
	}
	return a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, keyIndex, string(b))
}

// setKnown records a group and its owner ("" removes it) and reports
// whether the index changed.
func (a *Adapter) setKnown(chatID, owner string, gone bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	old, had := a.known[chatID]
	if gone {
		delete(a.known, chatID)
		return had
	}
	a.known[chatID] = owner
	return !had || old != owner
}

// Run reads every customer group at once and then every SyncEvery, handles
// the callbacks ServeHTTP hands it, and reads the message archive when
// there is one, until ctx is done. It returns nil when ctx is cancelled.
func (a *Adapter) Run(ctx context.Context, sink chat.Sink) error {
	end, err := a.begin()
	if err != nil {
		return err
	}
	defer end()
	idx, err := a.loadIndex(ctx)
	if err != nil {
		return fmt.Errorf("wecom %s: %w", a.cfg.Name, err)
	}
	a.mu.Lock()
	a.known = idx
	a.mu.Unlock()
	if a.robot != "" {
		if err := a.announceRobot(ctx, sink); err != nil {
			return err
		}
	}
	next := time.NewTimer(0)
	defer next.Stop()
	var archive <-chan time.Time
	if a.cfg.Archive != nil {
		t := time.NewTicker(a.cfg.ArchiveEvery)
		defer t.Stop()
		archive = t.C
	}
	retry := time.Minute
	for {
		select {
		case <-ctx.Done():
			return nil
		case d := <-a.notes:
			d.done <- a.handle(ctx, sink, d.note)
		case <-next.C:
			start := a.cfg.Now()
			err := a.syncAll(ctx, sink)
			if ctx.Err() != nil {
				return nil
			}
			var partial *partialSync
			a.mu.Lock()
			switch {
			case err == nil:
				a.status.SyncError, a.status.LastSync = "", a.cfg.Now()
			case errors.As(err, &partial):
				a.status.SyncError, a.status.LastSync = err.Error(), a.cfg.Now()
			default:
				a.status.SyncError = err.Error()
			}
			a.mu.Unlock()
			if err != nil {
				a.log.Error("wecom: reading the customer groups failed; trying again", "err", err, "in", retry)
				next.Reset(jitter(retry))
				retry = min(retry*2, a.cfg.SyncEvery)
				continue
			}
			retry = time.Minute
			a.log.Info("wecom: customer groups read", "groups", len(a.Known()), "took", a.cfg.Now().Sub(start).Round(time.Millisecond))
			next.Reset(jitter(a.cfg.SyncEvery))
		case <-archive:
			if err := a.readArchive(ctx, sink); err != nil && ctx.Err() == nil {
				a.log.Error("wecom: reading the message archive failed", "err", err)
			}
		}
	}
}

// begin marks the connection running, so ServeHTTP hands callbacks over;
// end marks it stopped and turns away callbacks still waiting.
func (a *Adapter) begin() (end func(), err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live != nil {
		return nil, fmt.Errorf("wecom %s: already running", a.cfg.Name)
	}
	live := make(chan struct{})
	a.live, a.status.Running = live, true
	return func() {
		a.mu.Lock()
		a.live, a.status.Running = nil, false
		a.mu.Unlock()
		close(live)
	}, nil
}

// announceRobot reports the robot's staff group, so it can be chosen as
// the organisation's staff group.
func (a *Adapter) announceRobot(ctx context.Context, sink chat.Sink) error {
	e := chat.Event{ID: "created:" + RobotGroup, Connection: a.cfg.Name, Platform: Platform, Type: chat.EventGroupCreated,
		Group: RobotGroup, GroupName: a.cfg.RobotName, Time: a.cfg.Now()}
	for attempt := 1; ; attempt++ {
		err := sink.Ingest(ctx, []chat.Event{e})
		if err == nil || ctx.Err() != nil {
			return nil
		}
		a.log.Error("wecom: storing the robot's group failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(min(time.Duration(attempt)*time.Second, time.Minute)):
		}
	}
}

// drain handles the callbacks waiting while a long sync runs.
func (a *Adapter) drain(ctx context.Context, sink chat.Sink) {
	for {
		select {
		case d := <-a.notes:
			d.done <- a.handle(ctx, sink, d.note)
		default:
			return
		}
	}
}

// handle acts on one customer-group callback.
func (a *Adapter) handle(ctx context.Context, sink chat.Sink, n Notification) error {
	a.log.Info("wecom: customer group event", "chat", n.ChatID, "change", n.ChangeType, "detail", n.UpdateDetail, "members", n.Changed())
	if n.ChangeType == ChangeDismiss {
		return a.dismiss(ctx, sink, n.ChatID, &n)
	}
	return a.syncGroup(ctx, sink, n.ChatID, &n, true)
}

// syncAll reads every customer group, and those known before that WeCom
// no longer lists (dismissed while qunzhu was down, or their owner left
// the app's visible scope).
func (a *Adapter) syncAll(ctx context.Context, sink chat.Sink) error {
	refs, err := a.api.ListGroupChats(ctx)
	if err != nil {
		return err
	}
	listed := make(map[string]bool, len(refs))
	var failed int
	var last error
	for _, ref := range refs {
		listed[ref.ChatID] = true
		a.drain(ctx, sink)
		if err := a.syncGroup(ctx, sink, ref.ChatID, nil, false); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			last = err
			a.log.Warn("wecom: reading a customer group failed", "chat", ref.ChatID, "err", err)
		}
	}
	for chatID := range a.Known() {
		if listed[chatID] {
			continue
		}
		a.drain(ctx, sink)
		if err := a.syncGroup(ctx, sink, chatID, nil, false); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			failed++
			last = err
			a.log.Warn("wecom: reading a group WeCom no longer lists failed", "chat", chatID, "err", err)
		}
	}
	if err := a.saveIndex(ctx); err != nil {
		return fmt.Errorf("save the group index: %w", err)
	}
	if failed > 0 {
		return &partialSync{fmt.Errorf("%d of %d customer groups could not be read; the last: %w", failed, len(refs)+len(a.Known())-len(listed), last)}
	}
	return nil
}

// partialSync is a sync that listed the groups but could not read some.
type partialSync struct{ error }

func (p *partialSync) Unwrap() error { return p.error }

// gone reports the errors of a group that no longer exists.
func gone(err error) bool {
	var ae *APIError
	if !errors.As(err, &ae) {
		return false
	}
	switch ae.Code {
	case 49008, 40050, 86003, 90501:
		return true
	}
	return false
}

// syncGroup reads a group, stores the events that differ from its
// snapshot, then saves the new snapshot. saveIdx saves the group index at
// once when the group is new or changed owner (a full sync saves it at the
// end instead).
func (a *Adapter) syncGroup(ctx context.Context, sink chat.Sink, chatID string, n *Notification, saveIdx bool) error {
	old, err := a.loadSnapshot(ctx, chatID)
	if err != nil {
		return err
	}
	gc, err := a.api.GetGroupChat(ctx, chatID)
	if err != nil {
		if gone(err) {
			return a.dismiss(ctx, sink, chatID, n)
		}
		return err
	}
	evs, snap := a.diff(chatID, old, gc, n, a.cfg.Now())
	if len(evs) > 0 {
		if err := sink.Ingest(ctx, evs); err != nil {
			return fmt.Errorf("store the events of %s: %w", chatID, err)
		}
	}
	if old != nil && old.Owner != snap.Owner {
		a.log.Info("wecom: group owner changed", "chat", chatID, "from", old.Owner, "to", snap.Owner)
	}
	// The staff after the members: their memberships are stored by now.
	snap.Told = old != nil && old.Told && sameStaff(old, snap)
	if a.cfg.Listener != nil && !snap.Told {
		if err := a.cfg.Listener.GroupStaff(ctx, chatID, staffOf(old, snap)); err != nil {
			return fmt.Errorf("record the staff of %s: %w", chatID, err)
		}
		snap.Told = true
	}
	if len(evs) > 0 || old == nil || !sameShape(old, snap) || old.Told != snap.Told {
		if err := a.saveSnapshot(ctx, chatID, snap); err != nil {
			return fmt.Errorf("save the snapshot of %s: %w", chatID, err)
		}
	}
	if a.setKnown(chatID, snap.Owner, false) && saveIdx {
		if err := a.saveIndex(ctx); err != nil {
			return fmt.Errorf("save the group index: %w", err)
		}
	}
	return nil
}

// sameShape reports whether nothing worth saving changed (names of
// members, admins and the version aside from events).
func sameShape(a, b *snapshot) bool {
	if a.Owner != b.Owner || a.Version != b.Version || len(a.Admins) != len(b.Admins) || len(a.Members) != len(b.Members) {
		return false
	}
	for i := range a.Admins {
		if a.Admins[i] != b.Admins[i] {
			return false
		}
	}
	for k, v := range a.Members {
		if b.Members[k] != v {
			return false
		}
	}
	return true
}

// dismiss ends every membership of a dismissed group and forgets it.
func (a *Adapter) dismiss(ctx context.Context, sink chat.Sink, chatID string, n *Notification) error {
	old, err := a.loadSnapshot(ctx, chatID)
	if err != nil {
		return err
	}
	if old != nil {
		at := noteTime(n, a.cfg.Now())
		var evs []chat.Event
		for _, user := range sortedKeys(old.Members) {
			m := old.Members[user]
			e := a.event("left:"+chatID+":"+user+":"+strconv.FormatInt(m.Joined, 10), chat.EventMemberLeft, chatID, at)
			e.Sender = chat.User{ID: user, Name: m.Name}
			e.Reason = chat.LeftRemoved
			if old.Owner != "" && old.Owner != user {
				e.Actor = &chat.User{ID: old.Owner}
			}
			evs = append(evs, e)
		}
		if len(evs) > 0 {
			if err := sink.Ingest(ctx, evs); err != nil {
				return fmt.Errorf("store the end of %s: %w", chatID, err)
			}
		}
		if a.cfg.Listener != nil {
			if err := a.cfg.Listener.GroupDismissed(ctx, chatID); err != nil {
				return fmt.Errorf("record that %s was dismissed: %w", chatID, err)
			}
		}
		if err := a.saveSnapshot(ctx, chatID, nil); err != nil {
			return fmt.Errorf("forget %s: %w", chatID, err)
		}
		a.log.Info("wecom: customer group dismissed", "chat", chatID, "name", old.Name, "members", len(old.Members))
	}
	if a.setKnown(chatID, "", true) {
		return a.saveIndex(ctx)
	}
	return nil
}

func (a *Adapter) event(id string, t chat.EventType, group string, at time.Time) chat.Event {
	return chat.Event{ID: id, Connection: a.cfg.Name, Platform: Platform, Type: t, Group: group, Time: at}
}

func noteTime(n *Notification, now time.Time) time.Time {
	if n != nil && n.CreateTime > 0 {
		return time.Unix(n.CreateTime, 0).UTC()
	}
	return now
}

func unixOr(sec int64, now time.Time) time.Time {
	if sec > 0 {
		return time.Unix(sec, 0).UTC()
	}
	return now
}

// diff compares a group read from WeCom with its snapshot and returns the
// events between them and the new snapshot. Event ids come from WeCom's
// data (the chat, the member and their join time: one stint) or from the
// snapshot they differ from, so the same change yields the same id however
// it was noticed (a callback, or a sync after it was missed).
func (a *Adapter) diff(chatID string, old *snapshot, gc GroupChat, n *Notification, now time.Time) ([]chat.Event, *snapshot) {
	snap := &snapshot{Name: gc.Name, Owner: gc.Owner, Version: gc.MemberVersion, Created: gc.CreateTime, Saved: now.UnixMilli(), Members: make(map[string]snapMember, len(gc.MemberList))}
	for _, ad := range gc.AdminList {
		snap.Admins = append(snap.Admins, ad.UserID)
	}
	var evs []chat.Event
	at := noteTime(n, now)
	if old == nil {
		e := a.event("created:"+chatID, chat.EventGroupCreated, chatID, unixOr(gc.CreateTime, now))
		e.GroupName = gc.Name
		if gc.Owner != "" {
			e.Actor = &chat.User{ID: gc.Owner}
		}
		evs = append(evs, e)
	} else if old.Name != gc.Name && gc.Name != "" {
		e := a.event(fmt.Sprintf("renamed:%s:%d", chatID, old.Saved), chat.EventGroupRenamed, chatID, at)
		e.GroupName, e.NewName = gc.Name, gc.Name
		evs = append(evs, e)
	}
	// What the callback says about the members it names.
	scene, quit := -1, -1
	named := map[string]bool{}
	if n != nil {
		for _, u := range n.Changed() {
			named[u] = true
		}
		if n.UpdateDetail == DetailAddMember && n.JoinScene != nil {
			scene = *n.JoinScene
		}
		if n.UpdateDetail == DetailDelMember && n.QuitScene != nil {
			quit = *n.QuitScene
		}
	}
	applies := func(user string) bool { return len(named) == 0 || named[user] }
	var prevMembers map[string]snapMember
	if old != nil {
		prevMembers = old.Members
	}
	var leaves, joins, renames []chat.Event
	members := append([]GroupMember(nil), gc.MemberList...)
	sort.SliceStable(members, func(i, j int) bool { return members[i].JoinTime < members[j].JoinTime })
	for _, m := range members {
		if m.UserID == "" {
			continue
		}
		name := m.DisplayName()
		snap.Members[m.UserID] = snapMember{Type: m.Type, Joined: m.JoinTime, Name: name}
		prev, had := prevMembers[m.UserID]
		if had && prev.Joined == m.JoinTime {
			if name != "" && prev.Name != name {
				e := a.event(fmt.Sprintf("renamed:%s:%s:%d", chatID, m.UserID, old.Saved), chat.EventMemberRenamed, chatID, at)
				e.Sender, e.NewName = chat.User{ID: m.UserID, Name: name}, name
				renames = append(renames, e)
			}
			continue
		}
		if had {
			// Left and came back while qunzhu did not see it: end the
			// old stint before the new one.
			e := a.event("left:"+chatID+":"+m.UserID+":"+strconv.FormatInt(prev.Joined, 10), chat.EventMemberLeft, chatID, unixOr(m.JoinTime, now))
			e.Sender = chat.User{ID: m.UserID, Name: prev.Name}
			leaves = append(leaves, e)
		}
		e := a.event("joined:"+chatID+":"+m.UserID+":"+strconv.FormatInt(m.JoinTime, 10), chat.EventMemberJoined, chatID, unixOr(m.JoinTime, now))
		e.Sender = chat.User{ID: m.UserID, Name: name}
		s := scene
		if !applies(m.UserID) {
			s = -1
		}
		e.Source, e.Inviter, e.Code = joinedBy(m, s)
		joins = append(joins, e)
	}
	for _, user := range sortedKeys(prevMembers) {
		if _, still := snap.Members[user]; still {
			continue
		}
		prev := prevMembers[user]
		e := a.event("left:"+chatID+":"+user+":"+strconv.FormatInt(prev.Joined, 10), chat.EventMemberLeft, chatID, at)
		e.Sender = chat.User{ID: user, Name: prev.Name}
		if quit >= 0 && applies(user) {
			e.Reason = leftBy(quit)
		}
		leaves = append(leaves, e)
	}
	evs = append(evs, leaves...)
	evs = append(evs, joins...)
	evs = append(evs, renames...)
	return evs, snap
}

// joinedBy maps WeCom's join scene to qunzhu's join source: invited by a
// member (directly or by link) is pulled in, by the group's QR code a
// promotion. The member's own scene (groupchat/get: 1, 2, 3) wins over the
// callback's (0, 3). A join way's state is the invite code it stands for;
// the pipeline turns a member's personal code into a referral.
func joinedBy(m GroupMember, callbackScene int) (chat.JoinSource, *chat.User, string) {
	var src chat.JoinSource
	switch m.JoinScene {
	case JoinInvited, JoinByLink:
		src = chat.SourcePulledIn
	case JoinByQRCode:
		src = chat.SourcePromo
	default:
		switch callbackScene {
		case sceneInvitedCB:
			src = chat.SourcePulledIn
		case JoinByQRCode:
			src = chat.SourcePromo
		}
	}
	var inviter *chat.User
	if m.Invitor != nil && m.Invitor.UserID != "" && m.Invitor.UserID != m.UserID {
		inviter = &chat.User{ID: m.Invitor.UserID}
	}
	return src, inviter, m.State
}

// leftBy maps WeCom's quit scene: 0 left, 1 removed by the owner or an admin.
func leftBy(quit int) chat.LeaveReason {
	if quit == 1 {
		return chat.LeftRemoved
	}
	return chat.LeftVoluntarily
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
