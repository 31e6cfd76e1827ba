// Package matrix connects qunzhu to Matrix rooms as a bot, over the client-
// server API with maunium.net/go/mautrix: a sync loop whose position (the
// next_batch token) is saved only after the events before it are stored,
// and actions as redactions, kicks, bans, power levels and notices.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
)

// Config configures a Matrix connection.
type Config struct {
	Name        string
	Homeserver  string // https://matrix.example.org
	UserID      string // @qunzhu:example.org
	AccessToken string
	Cursors     chat.Cursors // persists the sync position; required
	Logger      *slog.Logger
	// SyncTimeout is the long-poll timeout of /sync (30s when 0).
	SyncTimeout time.Duration
	// AutoJoin makes the bot accept room invitations (default true).
	AutoJoin *bool
	// Now is the clock events without a plausible timestamp take their
	// time from (time.Now when nil).
	Now func() time.Time
}

// Adapter is a Matrix connection.
type Adapter struct {
	cfg Config
	cli *mautrix.Client
	log *slog.Logger

	mu      sync.Mutex
	names   map[string]string // room\x00user → display name
	inviter map[string]string // room\x00user → who invited them
	status  Status
}

// Status reports the sync loop's health.
type Status struct {
	Connected bool
	LastError string
	Since     time.Time
}

var _ chat.Adapter = (*Adapter)(nil)

// New validates cfg and returns an adapter.
func New(cfg Config) (*Adapter, error) {
	switch {
	case cfg.Name == "":
		return nil, errors.New("matrix: name required")
	case !strings.HasPrefix(cfg.Homeserver, "http://") && !strings.HasPrefix(cfg.Homeserver, "https://"):
		return nil, fmt.Errorf("matrix %s: homeserver %q must be an http(s) URL", cfg.Name, cfg.Homeserver)
	case !strings.HasPrefix(cfg.UserID, "@") || !strings.Contains(cfg.UserID, ":"):
		return nil, fmt.Errorf("matrix %s: user_id %q must look like @name:server", cfg.Name, cfg.UserID)
	case cfg.AccessToken == "":
		return nil, fmt.Errorf("matrix %s: access_token required", cfg.Name)
	case cfg.Cursors == nil:
		return nil, fmt.Errorf("matrix %s: a cursor store is required", cfg.Name)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SyncTimeout <= 0 {
		cfg.SyncTimeout = 30 * time.Second
	}
	cli, err := mautrix.NewClient(cfg.Homeserver, id.UserID(cfg.UserID), cfg.AccessToken)
	if err != nil {
		return nil, fmt.Errorf("matrix %s: %w", cfg.Name, err)
	}
	cli.Client = &http.Client{Timeout: cfg.SyncTimeout + 30*time.Second}
	return &Adapter{cfg: cfg, cli: cli, log: cfg.Logger, names: map[string]string{}, inviter: map[string]string{}}, nil
}

// Name implements chat.Adapter.
func (a *Adapter) Name() string { return a.cfg.Name }

// Platform implements chat.Adapter.
func (a *Adapter) Platform() string { return "matrix" }

// Capabilities implements chat.Adapter: Matrix can do everything (a mute
// is a power level below the room's events_default), but its mutes do not
// expire: qunzhu schedules the unmute.
func (a *Adapter) Capabilities() chat.Capabilities {
	c := chat.AllActions()
	c[chat.CapTimedMute] = false
	c[chat.ActSetRole] = true // moderator power level
	return c
}

// Status returns the sync loop's health.
func (a *Adapter) Status() Status {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.status
}

func (a *Adapter) setStatus(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ok := err == nil
	if ok != a.status.Connected || (err != nil && err.Error() != a.status.LastError) {
		a.status.Since = time.Now()
	}
	a.status.Connected = ok
	a.status.LastError = ""
	if err != nil {
		a.status.LastError = err.Error()
	}
}

const cursorKey = "next_batch"

// Run syncs until ctx is done. Each response's events are ingested before
// its next_batch is saved, so a restart neither loses nor repeats events.
func (a *Adapter) Run(ctx context.Context, sink chat.Sink) error {
	since, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, cursorKey)
	if err != nil {
		return fmt.Errorf("matrix %s: load sync position: %w", a.cfg.Name, err)
	}
	if _, err := a.cli.Whoami(ctx); err != nil {
		if errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken) {
			return fmt.Errorf("matrix %s: the access token is not valid: %w", a.cfg.Name, err)
		}
		a.log.Warn("matrix: whoami failed; will retry through sync", "err", err)
	}
	failures := 0
	for ctx.Err() == nil {
		resp, err := a.cli.FullSyncRequest(ctx, mautrix.ReqSync{Since: since, Timeout: int(a.cfg.SyncTimeout.Milliseconds())})
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.setStatus(err)
			if errors.Is(err, mautrix.MUnknownToken) {
				return fmt.Errorf("matrix %s: the access token was revoked: %w", a.cfg.Name, err)
			}
			failures++
			wait := retryWait(failures, err)
			a.log.Warn("matrix: sync failed; retrying", "err", err, "in", wait)
			if !backoff.Sleep(ctx, wait) {
				return nil
			}
			continue
		}
		failures = 0
		a.setStatus(nil)
		evs := a.mapSync(ctx, resp, since == "")
		for attempt := 1; len(evs) > 0; attempt++ {
			err := sink.Ingest(ctx, evs)
			if err == nil {
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			wait := retryWait(attempt, nil)
			a.log.Error("matrix: storing events failed; retrying the same batch", "err", err, "in", wait)
			if !backoff.Sleep(ctx, wait) {
				return nil
			}
		}
		if err := a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, cursorKey, resp.NextBatch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("matrix %s: save sync position: %w", a.cfg.Name, err)
		}
		since = resp.NextBatch
	}
	return nil
}

func retryWait(n int, err error) time.Duration {
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.RespError != nil && he.RespError.ErrCode == mautrix.MLimitExceeded.ErrCode {
		if ms, ok := he.RespError.ExtraData["retry_after_ms"].(float64); ok && ms > 0 {
			return time.Duration(ms) * time.Millisecond
		}
	}
	return backoff.Delay(n, time.Second, 64*time.Second)
}

// mapSync turns a sync response into qunzhu events and joins rooms the bot
// is invited to. On the first sync (no position yet) the timeline is
// history: it is recorded, but the caller's clock decides what is live.
func (a *Adapter) mapSync(ctx context.Context, resp *mautrix.RespSync, first bool) []chat.Event {
	var out []chat.Event
	for roomID := range resp.Rooms.Invite {
		if a.cfg.AutoJoin == nil || *a.cfg.AutoJoin {
			if _, err := a.cli.JoinRoomByID(ctx, roomID); err != nil {
				a.log.Warn("matrix: could not accept an invitation", "room", roomID, "err", err)
			} else {
				a.log.Info("matrix: joined room", "room", roomID)
			}
		}
	}
	for roomID, room := range resp.Rooms.Join {
		// State first (names of members), then the timeline in order.
		for _, evt := range room.State.Events {
			a.learn(roomID, evt)
		}
		for _, evt := range room.Timeline.Events {
			evt.RoomID = roomID
			if e, ok := a.Map(evt); ok {
				out = append(out, e...)
			}
		}
	}
	for roomID, room := range resp.Rooms.Leave {
		for _, evt := range room.Timeline.Events {
			evt.RoomID = roomID
			if e, ok := a.Map(evt); ok {
				out = append(out, e...)
			}
		}
	}
	return out
}

// learn records display names from state.
func (a *Adapter) learn(roomID id.RoomID, evt *event.Event) {
	if evt.Type != event.StateMember || evt.StateKey == nil {
		return
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil {
		return
	}
	if m := evt.Content.AsMember(); m.Displayname != "" {
		a.mu.Lock()
		a.names[string(roomID)+"\x00"+*evt.StateKey] = m.Displayname
		a.mu.Unlock()
	}
}

func (a *Adapter) user(roomID id.RoomID, u id.UserID) chat.User {
	a.mu.Lock()
	name := a.names[string(roomID)+"\x00"+string(u)]
	a.mu.Unlock()
	if name == "" {
		name = u.Localpart()
	}
	return chat.User{ID: string(u), Name: name, Bot: string(u) == a.cfg.UserID}
}

// Map turns one Matrix event into qunzhu events (none for types qunzhu does
// not track).
func (a *Adapter) Map(evt *event.Event) ([]chat.Event, bool) {
	if evt == nil || evt.ID == "" || evt.RoomID == "" {
		return nil, false
	}
	if err := evt.Content.ParseRaw(evt.Type); err != nil && !errors.Is(err, event.ErrContentAlreadyParsed) {
		return nil, false
	}
	at, ok := chat.SaneTime(time.UnixMilli(evt.Timestamp).UTC(), a.cfg.Now())
	if !ok && evt.Timestamp != 0 {
		a.log.Warn("matrix: an implausible origin_server_ts replaced by the time received", "event", evt.ID, "origin_server_ts", evt.Timestamp)
	}
	base := chat.Event{ID: string(evt.ID), Connection: a.cfg.Name, Platform: "matrix", Group: string(evt.RoomID), Time: at}
	switch evt.Type {
	case event.EventMessage, event.EventSticker:
		return a.mapMessage(base, evt)
	case event.StateMember:
		return a.mapMember(base, evt)
	case event.StateRoomName:
		base.Type, base.GroupName, base.Actor = chat.EventGroupRenamed, evt.Content.AsRoomName().Name, ptr(a.user(evt.RoomID, evt.Sender))
		return []chat.Event{base}, true
	case event.StateCreate:
		base.Type, base.Actor = chat.EventGroupCreated, ptr(a.user(evt.RoomID, evt.Sender))
		return []chat.Event{base}, true
	}
	return nil, false
}

func ptr(u chat.User) *chat.User { return &u }

func (a *Adapter) mapMessage(base chat.Event, evt *event.Event) ([]chat.Event, bool) {
	base.Type = chat.EventMessage
	base.Sender = a.user(evt.RoomID, evt.Sender)
	m := &chat.Message{ID: string(evt.ID), Kind: chat.KindText}
	if evt.Type == event.EventSticker {
		m.Kind = chat.KindSticker
		if c, ok := evt.Content.Parsed.(*event.MessageEventContent); ok {
			m.Text = c.Body
		}
		base.Message = m
		return []chat.Event{base}, true
	}
	c := evt.Content.AsMessage()
	if c.NewContent != nil || (c.RelatesTo != nil && c.RelatesTo.Type == event.RelReplace) {
		return nil, false // an edit: the rules saw the original; edits are a later issue
	}
	m.Text = c.Body
	switch c.MsgType {
	case event.MsgText, event.MsgEmote:
		if strings.Contains(c.Body, "http://") || strings.Contains(c.Body, "https://") {
			m.URL = chat.FirstLink(c.Body)
		}
	case event.MsgNotice:
		base.Sender.Bot = true // notices are what bots send
	case event.MsgImage:
		m.Kind, m.URL = chat.KindImage, string(c.URL)
	case event.MsgAudio:
		m.Kind, m.URL = chat.KindVoice, string(c.URL)
	case event.MsgVideo:
		m.Kind, m.URL = chat.KindVideo, string(c.URL)
	case event.MsgFile:
		m.Kind, m.URL = chat.KindFile, string(c.URL)
	case event.MsgLocation:
		m.Kind = chat.KindCard
	default:
		if c.MsgType == "" {
			return nil, false // redacted or malformed
		}
	}
	if c.RelatesTo != nil && c.RelatesTo.InReplyTo != nil {
		m.ReplyTo = string(c.RelatesTo.InReplyTo.EventID)
		m.Text = chat.StripReplyFallback(m.Text)
	}
	if c.Mentions != nil {
		for _, u := range c.Mentions.UserIDs {
			m.Mentions = append(m.Mentions, string(u))
		}
		m.MentionAll = c.Mentions.Room
	}
	base.Message = m
	return []chat.Event{base}, true
}

func (a *Adapter) mapMember(base chat.Event, evt *event.Event) ([]chat.Event, bool) {
	if evt.StateKey == nil {
		return nil, false
	}
	target := id.UserID(*evt.StateKey)
	m := evt.Content.AsMember()
	prev := event.MembershipLeave
	prevName := ""
	if evt.Unsigned.PrevContent != nil {
		if err := evt.Unsigned.PrevContent.ParseRaw(evt.Type); err == nil || errors.Is(err, event.ErrContentAlreadyParsed) {
			pm := evt.Unsigned.PrevContent.AsMember()
			prev, prevName = pm.Membership, pm.Displayname
		}
	}
	key := string(evt.RoomID) + "\x00" + string(target)
	a.mu.Lock()
	if m.Displayname != "" {
		a.names[key] = m.Displayname
	}
	a.mu.Unlock()
	base.Sender = a.user(evt.RoomID, target)
	actor := a.user(evt.RoomID, evt.Sender)
	switch m.Membership {
	case event.MembershipInvite:
		a.mu.Lock()
		a.inviter[key] = string(evt.Sender)
		a.mu.Unlock()
		return nil, false
	case event.MembershipJoin:
		if prev == event.MembershipJoin {
			if m.Displayname == prevName {
				return nil, false // avatar or other profile change
			}
			base.Type, base.NewName = chat.EventMemberRenamed, m.Displayname
			return []chat.Event{base}, true
		}
		base.Type = chat.EventMemberJoined
		a.mu.Lock()
		inv := a.inviter[key]
		delete(a.inviter, key)
		a.mu.Unlock()
		if inv == "" && prev == event.MembershipInvite && evt.Unsigned.PrevSender != "" {
			inv = string(evt.Unsigned.PrevSender) // the invitation, as the server remembers it
		}
		switch {
		case inv != "" && inv != string(target):
			base.Source, base.Inviter = chat.SourcePulledIn, ptr(a.user(evt.RoomID, id.UserID(inv)))
		case evt.Sender != target:
			base.Source, base.Inviter = chat.SourcePulledIn, &actor
		default:
			base.Source = chat.SourcePromo // joined through a link or the directory
		}
		return []chat.Event{base}, true
	case event.MembershipLeave, event.MembershipBan:
		if prev != event.MembershipJoin {
			return nil, false // a rejected invitation, or an unban
		}
		base.Type, base.Reason = chat.EventMemberLeft, chat.LeftVoluntarily
		if evt.Sender != target {
			base.Reason, base.Actor = chat.LeftRemoved, &actor
		}
		return []chat.Event{base}, true
	}
	return nil, false
}

// Do performs one action.
func (a *Adapter) Do(ctx context.Context, act chat.Action) error {
	room := id.RoomID(act.Group)
	user := id.UserID(act.User)
	var err error
	switch act.Kind {
	case chat.ActSend, chat.ActSetNotice:
		content := &event.MessageEventContent{MsgType: event.MsgNotice, Body: act.Text}
		if act.MessageID != "" && act.Kind == chat.ActSend {
			content.RelatesTo = &event.RelatesTo{InReplyTo: &event.InReplyTo{EventID: id.EventID(act.MessageID)}}
		}
		if act.Kind == chat.ActSend {
			mention(content, act)
		}
		var resp *mautrix.RespSendEvent
		resp, err = a.cli.SendMessageEvent(ctx, room, event.EventMessage, content, mautrix.ReqSendEvent{TransactionID: txn(act.Key)})
		if err == nil && act.Kind == chat.ActSetNotice {
			err = a.pin(ctx, room, resp.EventID)
		}
	case chat.ActDelete:
		_, err = a.cli.RedactEvent(ctx, room, id.EventID(act.MessageID), mautrix.ReqRedact{Reason: act.Reason, TxnID: txn(act.Key)})
	case chat.ActKick:
		_, err = a.cli.KickUser(ctx, room, &mautrix.ReqKickUser{UserID: user, Reason: act.Reason})
		if errors.Is(err, mautrix.MForbidden) && !a.isMember(ctx, room, user) {
			err = nil // already gone: kicking twice is harmless
		}
	case chat.ActBan:
		_, err = a.cli.BanUser(ctx, room, &mautrix.ReqBanUser{UserID: user, Reason: act.Reason})
	case chat.ActUnban:
		_, err = a.cli.UnbanUser(ctx, room, &mautrix.ReqUnbanUser{UserID: user, Reason: act.Reason})
	case chat.ActMute, chat.ActUnmute:
		err = a.setMuted(ctx, room, user, act.Kind == chat.ActMute)
	case chat.ActSetRole:
		err = a.setModerator(ctx, room, user, act.Text == "admin")
	default:
		return fmt.Errorf("matrix: unknown action %q: %w", act.Kind, chat.ErrPermanent)
	}
	return classify(act, err)
}

// mention makes the member a send speaks to (act.Mention) a pill in front
// of the text, a link to them in the formatted body, and names them in
// m.mentions, so their client notifies them.
func mention(c *event.MessageEventContent, act chat.Action) {
	m := act.Mention
	if m == nil {
		mentions(c, act)
		return
	}
	if !strings.HasPrefix(m.ID, "@") {
		return
	}
	user := id.UserID(m.ID)
	name := m.Name
	if name == "" {
		name = m.ID
	}
	rest := act.SplitMention()
	if rest != "" {
		rest = " " + rest
	}
	c.Body = name + rest
	c.Format = event.FormatHTML
	c.FormattedBody = `<a href="` + html.EscapeString(user.URI().MatrixToURL()) + `">` + html.EscapeString(name) + `</a>` +
		strings.ReplaceAll(html.EscapeString(rest), "\n", "<br>")
	c.Mentions = &event.Mentions{UserIDs: []id.UserID{user}}
}

// txn turns an action key into a Matrix transaction id: the homeserver
// sends a repeated transaction once.
func txn(key string) string {
	r := strings.NewReplacer(":", "_", "/", "_", " ", "_")
	return "qz_" + r.Replace(key)
}

func (a *Adapter) isMember(ctx context.Context, room id.RoomID, user id.UserID) bool {
	resp, err := a.cli.JoinedMembers(ctx, room)
	if err != nil {
		return true
	}
	_, ok := resp.Joined[user]
	return ok
}

// setMuted sets the user's power level below the room's events_default
// (mute) or removes the override (unmute).
func (a *Adapter) setMuted(ctx context.Context, room id.RoomID, user id.UserID, mute bool) error {
	var pl event.PowerLevelsEventContent
	if err := a.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &pl); err != nil {
		return err
	}
	if pl.Users == nil {
		pl.Users = map[id.UserID]int{}
	}
	if mute {
		pl.Users[user] = pl.EventsDefault - 1
	} else {
		delete(pl.Users, user)
	}
	_, err := a.cli.SendStateEvent(ctx, room, event.StatePowerLevels, "", &pl)
	return err
}

// setModerator gives the user the room's moderator power level (enough
// to redact and kick, the levels the room sets for them) or removes it.
func (a *Adapter) setModerator(ctx context.Context, room id.RoomID, user id.UserID, on bool) error {
	var pl event.PowerLevelsEventContent
	if err := a.cli.StateEvent(ctx, room, event.StatePowerLevels, "", &pl); err != nil {
		return err
	}
	if pl.Users == nil {
		pl.Users = map[id.UserID]int{}
	}
	if on {
		pl.Users[user] = max(50, pl.Redact(), pl.Kick())
	} else {
		delete(pl.Users, user)
	}
	_, err := a.cli.SendStateEvent(ctx, room, event.StatePowerLevels, "", &pl)
	return err
}

func (a *Adapter) pin(ctx context.Context, room id.RoomID, evt id.EventID) error {
	var pins event.PinnedEventsEventContent
	if err := a.cli.StateEvent(ctx, room, event.StatePinnedEvents, "", &pins); err != nil && !errors.Is(err, mautrix.MNotFound) {
		return err
	}
	pins.Pinned = append([]id.EventID{evt}, pins.Pinned...)
	_, err := a.cli.SendStateEvent(ctx, room, event.StatePinnedEvents, "", &pins)
	return err
}

// classify maps Matrix errors onto the dispatcher's: rate limits wait,
// refusals are permanent, the rest is retried.
func classify(act chat.Action, err error) error {
	if err == nil {
		return nil
	}
	var he mautrix.HTTPError
	if errors.As(err, &he) && he.RespError != nil {
		switch he.RespError.ErrCode {
		case mautrix.MLimitExceeded.ErrCode:
			return &chat.RetryAfterError{After: retryWait(1, err), Err: err}
		case mautrix.MForbidden.ErrCode, mautrix.MNotFound.ErrCode, mautrix.MBadJSON.ErrCode, mautrix.MNotJSON.ErrCode, mautrix.MUnknown.ErrCode:
			return fmt.Errorf("matrix %s in %s: %v: %w", act.Kind, act.Group, err, chat.ErrPermanent)
		}
	}
	return fmt.Errorf("matrix %s in %s: %w", act.Kind, act.Group, err)
}
