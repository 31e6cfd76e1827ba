// Package chat defines the platform-neutral vocabulary qunzhu speaks with every
// chat platform: the events a platform reports (a message, a member joining…),
// the actions qunzhu asks a platform to take (send, delete, mute, kick…), and
// the Adapter interface each platform package implements.
//
// Platform packages (sim, webhook, telegram, onebot, matrix) live below this
// one and depend on it; this package depends on nothing of qunzhu's.
package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// EventType names what happened.
type EventType string

const (
	EventMessage       EventType = "message"
	EventMemberJoined  EventType = "member_joined"
	EventMemberLeft    EventType = "member_left"
	EventMemberRenamed EventType = "member_renamed"
	EventGroupCreated  EventType = "group_created"
	EventGroupRenamed  EventType = "group_renamed"
	// EventButton is a member pressing a button under one of the bot's
	// messages (Telegram's inline keyboard: a callback_query); Button
	// says which.
	EventButton EventType = "button"
)

// EventTypes lists every known event type, in documentation order.
var EventTypes = []EventType{EventMessage, EventMemberJoined, EventMemberLeft, EventMemberRenamed, EventGroupCreated, EventGroupRenamed, EventButton}

// Valid reports whether t is a known event type.
func (t EventType) Valid() bool {
	for _, k := range EventTypes {
		if k == t {
			return true
		}
	}
	return false
}

// MessageKind is the content type of a message. Rules ban or allow by kind.
type MessageKind string

const (
	KindText        MessageKind = "text"
	KindImage       MessageKind = "image"
	KindVoice       MessageKind = "voice"
	KindVideo       MessageKind = "video"
	KindFile        MessageKind = "file"
	KindLink        MessageKind = "link"
	KindCard        MessageKind = "card"
	KindMiniProgram MessageKind = "miniprogram"
	KindSticker     MessageKind = "sticker"
	KindRedPacket   MessageKind = "redpacket"
	KindForward     MessageKind = "forward"
)

// MessageKinds lists every known message kind.
var MessageKinds = []MessageKind{KindText, KindImage, KindVoice, KindVideo, KindFile, KindLink, KindCard, KindMiniProgram, KindSticker, KindRedPacket, KindForward}

// Valid reports whether k is a known message kind.
func (k MessageKind) Valid() bool {
	for _, m := range MessageKinds {
		if m == k {
			return true
		}
	}
	return false
}

// JoinSource says how a member came into a group (the seed's 拉入/活动/推荐/吸粉).
type JoinSource string

const (
	SourceUnknown  JoinSource = ""
	SourcePulledIn JoinSource = "pulled_in" // 拉入: added by the owner or another member
	SourceEvent    JoinSource = "event"     // 活动: through an offline or online event
	SourceReferral JoinSource = "referral"  // 推荐: referred by a member, usually with a code
	SourcePromo    JoinSource = "promotion" // 吸粉: joined on their own through promotion (link, QR code)
)

// Valid reports whether s is a known join source (the empty source is valid: unknown).
func (s JoinSource) Valid() bool {
	switch s {
	case SourceUnknown, SourcePulledIn, SourceEvent, SourceReferral, SourcePromo:
		return true
	}
	return false
}

// LeaveReason says why a member left.
type LeaveReason string

const (
	LeftVoluntarily LeaveReason = "left"
	LeftRemoved     LeaveReason = "removed"
)

// User is a platform account as an event reports it.
type User struct {
	ID   string `json:"id"`             // platform user id, stable per platform
	Name string `json:"name,omitempty"` // display name or group nickname at the time
	Bot  bool   `json:"bot,omitempty"`
}

// Message is the content of a message event.
type Message struct {
	ID         string      `json:"id"` // platform message id, needed to delete or reply
	Kind       MessageKind `json:"kind"`
	Text       string      `json:"text,omitempty"`     // text, caption, link title or card title
	URL        string      `json:"url,omitempty"`      // for link, card, file and media kinds when known
	ReplyTo    string      `json:"reply_to,omitempty"` // platform message id this replies to
	Mentions   []string    `json:"mentions,omitempty"` // platform user ids mentioned
	MentionAll bool        `json:"mention_all,omitempty"`
	// ForOtherBot marks a command addressed to another bot (Telegram's
	// "/rules@OtherBot"): qunzhu does not run it, but judges its text
	// like any message's. (A command addressed to qunzhu's own bot
	// arrives without the "@name".)
	ForOtherBot bool `json:"for_other_bot,omitempty"`
}

// Event is one thing that happened in a group on a platform.
//
// (Connection, ID) is the idempotency key: a redelivered event with the same
// key changes nothing.
type Event struct {
	ID         string    `json:"id"`         // platform event id, unique per connection
	Connection string    `json:"connection"` // name of the configured connection that delivered it
	Platform   string    `json:"platform"`   // sim, webhook, telegram, onebot, matrix
	Type       EventType `json:"type"`
	Group      string    `json:"group"`                // platform group id
	GroupName  string    `json:"group_name,omitempty"` // for group_created/group_renamed, or a hint
	Time       time.Time `json:"time"`
	Sender     User      `json:"sender"` // author of a message; the member for member events

	Message *Message `json:"message,omitempty"` // for EventMessage

	// Member events.
	Source  JoinSource  `json:"source,omitempty"`  // member_joined
	Inviter *User       `json:"inviter,omitempty"` // member_joined: who pulled or referred them
	Code    string      `json:"code,omitempty"`    // member_joined: invite code used, if any
	Reason  LeaveReason `json:"reason,omitempty"`  // member_left
	Actor   *User       `json:"actor,omitempty"`   // member_left (removed by), group events
	NewName string      `json:"new_name,omitempty"`

	// Button is the button pressed, for EventButton.
	Button *Pressed `json:"button,omitempty"`
}

// Pressed is a button a member pressed: the data the bot gave it and the
// bot's message it is under.
type Pressed struct {
	Data      string `json:"data"`
	MessageID string `json:"message_id,omitempty"` // the bot's message with the button
}

// Button is a button under a message the bot sends (Telegram's inline
// keyboard); pressing it comes back as an EventButton with Data. Only
// platforms that declare CapButtons show buttons.
type Button struct {
	Text string `json:"text"`
	Data string `json:"data"` // at most 64 bytes (Telegram's callback_data)
}

// The window of plausible event times: a platform's clock may be off by a
// while, but an event dated before 2000 or more than MaxClockAhead after
// it arrived has a wrong unit (a Telegram date in milliseconds gave the
// year 58,900) or a broken clock.
var MinEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxClockAhead is how far ahead of qunzhu's clock an event may be dated.
const MaxClockAhead = 24 * time.Hour

// SaneTime returns t when it is a plausible time for an event received at
// now, else now and false: adapters keep the receive time instead and log
// the date they were given.
func SaneTime(t, now time.Time) (time.Time, bool) {
	if t.Before(MinEventTime) || t.After(now.Add(MaxClockAhead)) {
		return now, false
	}
	return t, true
}

// Key is the idempotency key of an event.
func (e *Event) Key() string { return e.Connection + "\x00" + e.ID }

// ActionKind names something qunzhu asks a platform to do.
type ActionKind string

const (
	ActSend      ActionKind = "send"
	ActDelete    ActionKind = "delete"
	ActMute      ActionKind = "mute"
	ActUnmute    ActionKind = "unmute"
	ActKick      ActionKind = "kick"
	ActBan       ActionKind = "ban"
	ActUnban     ActionKind = "unban"
	ActSetNotice ActionKind = "set_notice"
	// ActInviteLink creates an invite link named Code for the group and
	// posts Text with {link} replaced by it (a member's personal link:
	// joins through it carry the code). Only platforms that can create
	// links declare it; elsewhere qunzhu posts the code itself.
	ActInviteLink ActionKind = "invite_link"
	// ActSetRole makes User a group admin (Text "admin") or an ordinary
	// member again (Text "member"): qunzhu's staff roles synced to the
	// platform. Only platforms with admins declare it.
	ActSetRole ActionKind = "set_role"
)

// StaffPrefix starts the group of a send that goes to staff members
// directly rather than into a group: "app:userid|userid" (WeCom's
// application messages, to corp members). Only platforms that mark staff
// identities take it.
const StaffPrefix = "app:"

// ActionKinds lists every action kind.
var ActionKinds = []ActionKind{ActSend, ActDelete, ActMute, ActUnmute, ActKick, ActBan, ActUnban, ActSetNotice, ActInviteLink, ActSetRole}

// Valid reports whether k is a known action kind.
func (k ActionKind) Valid() bool {
	for _, a := range ActionKinds {
		if a == k {
			return true
		}
	}
	return false
}

// Action is one platform call qunzhu wants made. Actions travel through the
// outbox: they are stored in the same transaction as the event that caused
// them and delivered at least once.
type Action struct {
	// Key is the idempotency key: platforms that support one (and the webhook
	// receiver) see each action once however often it is retried.
	Key        string     `json:"key"`
	Connection string     `json:"connection"`
	Kind       ActionKind `json:"kind"`
	Group      string     `json:"group"`                // platform group id
	User       string     `json:"user,omitempty"`       // target member for mute/kick/ban/unban
	MessageID  string     `json:"message_id,omitempty"` // target message for delete; reply-to for send
	Text       string     `json:"text,omitempty"`       // send, set_notice, invite_link
	// Mention, on a send, is the member the text speaks to (a warning).
	// Adapters that can mention natively (a Telegram text_mention, a
	// OneBot at segment, a Matrix pill with m.mentions) put the mention
	// in place of a leading "@"+Mention.Name in Text, or else in front of
	// it, so the member is notified and no plain "@name" links to a
	// stranger; the others send Text as it is. See SplitMention.
	Mention *User `json:"mention,omitempty"`
	// Mentions, on a send with no Mention, are the members the text
	// names (a welcome naming each newcomer of its window): each at its
	// place in Text, written there as "@"+name. Adapters that can
	// mention natively render each so (see Spans); the others send Text
	// as it is, with its plain "@name"s.
	Mentions []Mention `json:"mentions,omitempty"`
	// Buttons, on a send, go under the message where the platform
	// declares CapButtons; elsewhere they are left out.
	Buttons []Button `json:"buttons,omitempty"`
	// Image, on a send, is the URL of a picture to post with Text as its
	// caption, where the platform declares CapImage; elsewhere the URL
	// follows the text.
	Image    string   `json:"image,omitempty"`
	Code     string   `json:"code,omitempty"`     // invite_link: the link's name
	Duration Duration `json:"duration,omitempty"` // mute
	// Until is when a timed mute ends, fixed when the action is created,
	// so a mute retried later does not last longer (see MuteLeft).
	Until  time.Time `json:"until,omitzero"`
	Reason string    `json:"reason,omitempty"` // shown in logs, audit and where the platform allows
	// NotBefore delays delivery (an unmute when a timed mute ends on a
	// platform whose mutes do not expire by themselves).
	NotBefore time.Time `json:"not_before,omitzero"`
}

// SplitMention returns a send's text without the leading "@"+name of its
// Mention (and the space after it), for adapters that mention the member
// natively in front of it; the text as it is when it does not start so.
func (a Action) SplitMention() string {
	if a.Mention == nil || a.Mention.Name == "" {
		return a.Text
	}
	rest, ok := strings.CutPrefix(a.Text, "@"+a.Mention.Name)
	if !ok {
		return a.Text
	}
	if r, size := utf8.DecodeRuneInString(rest); rest != "" && !unicode.IsSpace(r) {
		return a.Text // "@王五" is not "@王" and more
	} else if rest != "" {
		rest = rest[size:]
	}
	return rest
}

// MuteLeft is how long a mute made now still has to run: until Until
// when it is set, else Duration (0: until lifted). ok is false when
// Until has passed: the mute is over before it is made.
func (a Action) MuteLeft(now time.Time) (left time.Duration, ok bool) {
	if a.Until.IsZero() {
		return time.Duration(a.Duration), true
	}
	left = a.Until.Sub(now)
	return left, left > 0
}

// CapTimedMute is a capability, not an action: the platform lifts a mute
// by itself when its duration ends (Telegram's until_date, OneBot's
// duration). Where it is missing, qunzhu schedules the unmute.
const CapTimedMute ActionKind = "timed_mute"

// CapButtons is a capability: the platform shows buttons under a
// message (Action.Buttons) and reports their presses (EventButton).
const CapButtons ActionKind = "buttons"

// CapImage is a capability: the platform posts a picture from its URL
// (Action.Image).
const CapImage ActionKind = "image"

// Duration is a time.Duration that marshals as whole seconds in JSON.
type Duration time.Duration

// Capabilities declares which actions a platform supports. Rules degrade
// visibly (mute → delete + warn) where an action is missing.
type Capabilities map[ActionKind]bool

// Can reports whether the platform supports k.
func (c Capabilities) Can(k ActionKind) bool { return c[k] }

// AllActions are the capabilities of a platform that supports every
// common action (all but invite_link and set_role, which a platform
// declares itself).
func AllActions() Capabilities {
	c := Capabilities{}
	for _, k := range ActionKinds {
		c[k] = k != ActInviteLink && k != ActSetRole
	}
	c[CapTimedMute] = true
	return c
}

// Sink receives events from an adapter. Ingest returns only after the events
// are durably stored (or found to be duplicates); an adapter acknowledges to
// its platform, or advances its read position, only after Ingest returns nil.
type Sink interface {
	Ingest(ctx context.Context, events []Event) error
}

// Adapter connects qunzhu to one platform connection.
type Adapter interface {
	// Name is the configured connection name (unique per installation).
	Name() string
	// Platform is the platform kind: sim, webhook, telegram, onebot, matrix.
	Platform() string
	// Capabilities declares the actions Do supports.
	Capabilities() Capabilities
	// Run reads events until ctx is done and passes them to sink. It returns
	// nil when ctx is cancelled, an error when the connection cannot go on.
	Run(ctx context.Context, sink Sink) error
	// Do performs one action. An error wrapping ErrPermanent is not retried.
	Do(ctx context.Context, a Action) error
}

// ErrPermanent marks an action failure that retrying cannot fix (the group is
// gone, the bot lacks the right). Wrap it: fmt.Errorf("kick: %w", chat.ErrPermanent).
var ErrPermanent = permanentError{}

type permanentError struct{}

func (permanentError) Error() string { return "permanent failure" }

// RetryAfterError asks the dispatcher to wait before the next attempt on this
// connection (HTTP 429 with Retry-After, Telegram's retry_after).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return "rate limited, retry after " + e.After.String() + ": " + e.Err.Error()
}
func (e *RetryAfterError) Unwrap() error { return e.Err }

// MarshalJSON writes the duration as whole seconds.
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatInt(int64(time.Duration(d)/time.Second), 10)), nil
}

// UnmarshalJSON reads whole seconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("duration: want whole seconds, got %s", b)
	}
	if n < 0 {
		return fmt.Errorf("duration: negative seconds %d", n)
	}
	*d = Duration(time.Duration(n) * time.Second)
	return nil
}

// Cursors persists an adapter's read position (a Telegram update offset, a
// Matrix sync token) so a restart neither loses nor repeats events. An
// adapter saves a cursor only after Sink.Ingest has returned nil for the
// events before it. Load returns "" and no error for an unknown key.
type Cursors interface {
	LoadCursor(ctx context.Context, connection, key string) (string, error)
	SaveCursor(ctx context.Context, connection, key, value string) error
}

// HealthReporter is implemented by adapters that know whether their
// connection can take actions now (a WebSocket peer connected, a token
// accepted). /readyz and the console report the error it returns.
type HealthReporter interface {
	Health(now time.Time) error
}

// Puller is implemented by adapters whose actions are not pushed by the
// dispatcher but pulled by the platform side (the generic webhook in pull
// mode: a bridge polls GET /api/v1/actions and acknowledges).
type Puller interface {
	Pulled() bool
}

// PendingError reports an action the platform accepted but has not
// carried out yet: a WeCom 群发 waits until the group's owner confirms it
// in their app. The dispatcher keeps the action pending, records State
// where its receipt shows it, counts no attempt, and calls Do with the same
// action again after CheckAfter; Do then reports progress the same way,
// returns nil once the platform has done it, or fails.
type PendingError struct {
	// For says in a word what the action waits for, for the receipt to
	// translate: PendingOwnerConfirm, PendingPlatformReport, or "".
	For        string
	State      string        // what the action waits for, in the platform's terms, for the receipt
	CheckAfter time.Duration // when to ask the platform again
}

// What a pending action waits for (PendingError.For).
const (
	// PendingOwnerConfirm: the group's owner must confirm it in the
	// platform's app (a WeCom 群发).
	PendingOwnerConfirm = "owner_confirm"
	// PendingPlatformReport: confirmed; the platform has not reported it
	// carried out yet.
	PendingPlatformReport = "platform_report"
)

func (e *PendingError) Error() string { return "pending: " + e.State }

// LimitReporter is implemented by adapters whose connection cannot do
// everything qunzhu could use (no message content, actions the platform
// lacks). Limitations says what degrades, one plain sentence each, for the
// console to show on the connection.
type LimitReporter interface {
	Limitations() []string
}
