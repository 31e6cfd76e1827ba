// Package pipeline carries events from platform adapters into the store and
// platform actions back out:
//
//	adapter → Ingester (dedupe, resolve, rules hook, store, outbox; one
//	transaction per batch) … Dispatcher (claim, rate-limit, deliver, retry).
//
// An action is written to the outbox in the same transaction as the event
// that caused it, so it survives a crash and is delivered at least once; its
// idempotency key lets a platform that supports one see it once.
package pipeline

import (
	"context"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// Tx is the write side of one ingest batch. internal/store implements it.
type Tx interface {
	// ClaimEvents records idempotency keys and reports which events are new.
	ClaimEvents(ctx context.Context, evs []chat.Event, at time.Time) ([]bool, error)
	GroupByExternal(ctx context.Context, connection, externalID string) (community.Group, bool, error)
	CreateGroup(ctx context.Context, g *community.Group) error
	RenameGroup(ctx context.Context, groupID int64, name string) error
	ResolvePerson(ctx context.Context, orgID int64, connection, platform string, u chat.User) (int64, error)
	// ResolveHistoricPerson is ResolvePerson for an event of the past: a
	// known identity keeps its name.
	ResolveHistoricPerson(ctx context.Context, orgID int64, connection, platform string, u chat.User) (int64, error)
	// LastLeft returns when the person last left the group (ok false when
	// they never did).
	LastLeft(ctx context.Context, groupID, personID int64) (time.Time, bool, error)
	// GroupActiveAfter reports whether the group has a message sent after t.
	GroupActiveAfter(ctx context.Context, groupID int64, t time.Time) (bool, error)
	OpenMembership(ctx context.Context, groupID, personID int64) (community.Membership, bool, error)
	AddMembership(ctx context.Context, m *community.Membership) error
	// OrgBanned reports whether a person is banned from the organisation.
	OrgBanned(ctx context.Context, orgID, personID int64) (bool, error)
	// AddOrgBan bans a person from every group of the organisation.
	AddOrgBan(ctx context.Context, orgID, personID int64, reason, actor string) error
	// PlacesOf lists the active groups a person is in now.
	PlacesOf(ctx context.Context, orgID, personID int64) ([]community.Place, error)
	// MessageSender returns the platform user id of the sender of a stored
	// message sent within ReplyReach before replyAt (the time of the reply
	// that names it).
	MessageSender(ctx context.Context, groupID int64, messageID string, replyAt time.Time) (string, bool, error)
	// FileReport records a member's report, at replyAt, of a message sent
	// within ReplyReach before it.
	FileReport(ctx context.Context, g community.Group, messageID string, replyAt time.Time, reporter int64) (community.ReportCase, bool, error)
	// HideReported marks a reported message hidden pending review.
	HideReported(ctx context.Context, caseID int64) error
	// InviteCode finds a usable invite code (not archived, campaign not archived).
	InviteCode(ctx context.Context, code string) (community.InviteCode, bool, error)
	EndMembership(ctx context.Context, membershipID int64, at time.Time, reason chat.LeaveReason) error
	SetNickname(ctx context.Context, membershipID int64, nickname string) error
	InsertMessages(ctx context.Context, msgs []community.Message) error
	Enqueue(ctx context.Context, actions []chat.Action, at time.Time) error
	Checkins
	Points
	Lockdowns
	Gates
	Ladder
	// CountAsks adds to the count of FAQ entries asked in groups a day.
	CountAsks(ctx context.Context, asks []Ask) error
	// ReviseActions enqueues actions; one whose key is queued already,
	// and not yet tried, takes the new payload (Verdict.Revise).
	ReviseActions(ctx context.Context, actions []chat.Action, at time.Time) error
	RecordModeration(ctx context.Context, a community.ModerationAction) error
	Audit(ctx context.Context, e community.AuditEntry) error

	// The chat commands' reads and writes (see commands.go).

	// LiftOrgBan lifts a person's organisation ban; it reports false when
	// there was none, else the groups they were ever in (to unban there).
	LiftOrgBan(ctx context.Context, orgID, personID int64, actor string) (bool, []community.Place, error)
	// TopPosters ranks a group's members (staff and bots excluded) by
	// messages since a time.
	TopPosters(ctx context.Context, groupID int64, since time.Time, limit int) ([]analytics.Poster, error)
	// GroupStats counts a group's members and activity since a time.
	GroupStats(ctx context.Context, groupID int64, since time.Time) (analytics.GroupStats, error)
	// PersonalInviteCode returns the person's invite code for the group,
	// creating it the first time.
	PersonalInviteCode(ctx context.Context, orgID, groupID, personID int64, at time.Time) (string, error)
	// OpenSignup opens a sign-up list (接龙) in a group, with a capacity
	// (0: none); false when one is open already.
	OpenSignup(ctx context.Context, groupID, by int64, title string, capacity int, at time.Time) (bool, error)
	// CloseSignup closes the group's open list and returns it (ok false
	// when none was open).
	CloseSignup(ctx context.Context, groupID int64, at time.Time) (community.SignupList, bool, error)
	// Signup adds a person to the group's open list (ok false when none
	// is open); signing up twice keeps the first place. personID 0 only
	// reads the list.
	Signup(ctx context.Context, groupID, personID int64, note string, at time.Time) (community.SignupList, bool, error)
	// CancelSignup takes a person off the group's open list; the first on
	// the waitlist moves up (promoted names them). ok is false when the
	// person was not on an open list.
	CancelSignup(ctx context.Context, groupID, personID int64, at time.Time) (l community.SignupList, promoted string, ok bool, err error)
	// CheckEligibility returns the group's eligibility rule (nil: anyone
	// may join) and whether the person qualifies.
	CheckEligibility(ctx context.Context, groupID, personID int64) (*community.Eligibility, bool, error)
	// OpenEligibilityCase records a joiner who does not qualify (due: the
	// end of the grace period; zero for an approval).
	OpenEligibilityCase(ctx context.Context, groupID, personID int64, handling string, due, at time.Time) error
	// FamilyGate returns the group of the same family the person sits in
	// when the organisation refuses a second group of a family at joining
	// ("": not refused; staff never are).
	FamilyGate(ctx context.Context, groupID, personID int64) (string, error)
	// CheckIn marks a person present at the group's latest event; ok is
	// false when they did not sign up for it.
	CheckIn(ctx context.Context, groupID, personID int64, at time.Time) (community.SignupList, bool, error)
	// MessageText returns the text and sender of a stored message sent
	// within ReplyReach before replyAt.
	MessageText(ctx context.Context, groupID int64, messageID string, replyAt time.Time) (text string, personID int64, ok bool, err error)
	// SubmitScript adds a member's 投稿 to the script library as a
	// submitted script and returns its id; a message submitted before
	// returns the script it became (created false).
	SubmitScript(ctx context.Context, s Submission) (id int64, created bool, err error)
}

// Submission is a member's 投稿 in the chat: a message's text offered to
// the script library.
type Submission struct {
	OrgID, GroupID int64
	PersonID       int64  // who submitted it: the script's author
	Name           string // their name in the group
	MessageID      string // the message whose text it is
	SourcePerson   int64  // who wrote that message (0: unknown)
	Title, Body    string
	At             time.Time
}

// Ladder is the escalation ladder's record of earlier offences, read in
// the ingest transaction (Input.Ladder).
type Ladder interface {
	// CountOffences counts a person's offences since a time, as stored:
	// not those of the batch in progress (Input.BatchOffences).
	CountOffences(ctx context.Context, personID int64, since time.Time) (int, error)
}

// Checkins is the daily check-in's (打卡) record, read and written in the
// ingest transaction (Input.Checkins).
type Checkins interface {
	// LastCheckin returns a member's last check-in in a group: its day
	// and the streak of days ending there; ok is false when there is none.
	LastCheckin(ctx context.Context, groupID, personID int64) (day string, streak int, ok bool, err error)
	// AddCheckin records a check-in; a second on the same day is an error.
	AddCheckin(ctx context.Context, c Checkin) error
	// PointsSince sums a member's points in a group since a day
	// (inclusive): their check-ins', posts' and awards'.
	PointsSince(ctx context.Context, groupID, personID int64, since string) (int, error)
}

// Points is the record of points besides the check-ins' — substantive
// posts and staff's awards — read and written in the ingest transaction
// (Input.Points; see points.go).
type Points interface {
	// AddPoints records points; added is false when points of the same
	// kind and ref are recorded in the group already (an event delivered
	// again).
	AddPoints(ctx context.Context, p PointsEntry) (added bool, err error)
	// CountPoints counts a member's entries of a kind in a group on a day.
	CountPoints(ctx context.Context, groupID, personID int64, kind, day string) (int, error)
	// PointsBoard ranks a group's members by their points since a day
	// (inclusive), at most limit.
	PointsBoard(ctx context.Context, groupID int64, since string, limit int) ([]PointsRank, error)
}

// Lockdowns is the anti-raid lockdowns' record, read and written in the
// ingest transaction (Input.Lockdowns): a lockdown outlives a restart.
type Lockdowns interface {
	// Lockdown returns when a group's last lockdown ends; ok is false
	// when the group was never locked down.
	Lockdown(ctx context.Context, groupID int64) (until time.Time, ok bool, err error)
	// SetLockdown locks a group down from start until until.
	SetLockdown(ctx context.Context, groupID int64, start, until time.Time) error
	// StaffPlace is the organisation's staff group, where staff are
	// alerted: its connection and platform id (ok false: it has none).
	StaffPlace(ctx context.Context, orgID int64) (connection, group string, ok bool, err error)
}

// Gates is the join gate's record ([gate], and the newcomers an anti-raid
// lockdown holds), read and written in the ingest transaction
// (Input.Gates): a newcomer's check outlives a restart, and a sweep
// outside the pipeline removes those who did not pass in time.
type Gates interface {
	// OpenGate records a newcomer's check; it replaces an earlier one of
	// the member in the group (a rejoin starts afresh).
	OpenGate(ctx context.Context, c GateCheck) error
	// PendingGate returns a member's check in a group that is neither
	// passed nor ended (ok false: none).
	PendingGate(ctx context.Context, groupID, personID int64) (c GateCheck, ok bool, err error)
	// PassGate marks a member's pending check passed.
	PassGate(ctx context.Context, groupID, personID int64, at time.Time, by string) error
	// OrgStaff reports whether a person is staff of the organisation: 群主,
	// 秘书长 or 店小二 of one of its groups they are in, or a staff identity
	// of its platforms (WeCom's corp members). Staff joining a group are
	// not held at its gate.
	OrgStaff(ctx context.Context, orgID, personID int64) (bool, error)
}

// The kinds of a gate check besides the rules' gate modes: a newcomer held
// by an anti-raid lockdown ("hold").
const GateRaid = "raid"

// GateCheck is a newcomer held at a group's gate.
type GateCheck struct {
	GroupID, PersonID int64
	User              string    // their platform user id
	Name              string    // their name when they joined
	Mode              string    // button, code, approve, or GateRaid
	Code              string    // code mode: what they must reply
	Lang              string    // the bot's language in the group (zh, en): its words at removal
	Muted             bool      // muted on the platform: unmuted when they pass
	Due               time.Time // removed unless passed by then; zero: held for staff
	At                time.Time
}

// Checkin is a member's daily check-in in a group.
type Checkin struct {
	GroupID, PersonID int64
	Day               string // YYYY-MM-DD in the server's time zone
	Streak            int    // days in a row ending with this one
	Points            int
	At                time.Time
}

// Ask counts the times one FAQ entry was asked in a group on a day.
type Ask struct {
	GroupID int64
	Entry   string // the entry's name
	Day     string // YYYY-MM-DD in the server's time zone
	N       int
}

// Store runs ingest batches.
type Store interface {
	Ingest(ctx context.Context, fn func(Tx) error) error
}

// Input is what the rules hook sees of one event.
type Input struct {
	Event      *chat.Event
	Group      community.Group
	PersonID   int64
	Membership community.Membership // the sender's (or joiner's) current stint
	Caps       chat.Capabilities
	// ReplySender is the platform user id of the sender of the message this
	// one replies to, when it looks like a command ("/ban" replying to
	// someone) and the message is known.
	ReplySender string
	// BatchOffences counts the sender's offences recorded earlier in the
	// same ingest batch, which the store does not show yet (three ads in
	// one burst climb the ladder as three ads one by one do).
	BatchOffences int
	// Asked counts a question the member bot recognised (an FAQ entry,
	// named) in the event's group on its day, in the ingest transaction.
	Asked func(entry string)
	// Checkins is the daily check-in's record, in the ingest transaction.
	Checkins Checkins
	// Lockdowns is the anti-raid lockdowns' record, in the ingest
	// transaction.
	Lockdowns Lockdowns
	// Points is the record of posts' and awards' points, in the ingest
	// transaction.
	Points Points
	// Person finds (or first records) the person behind a platform user
	// of the event's group: the member a staff command names.
	Person func(u chat.User) (int64, error)
	// Gates is the join gate's record, in the ingest transaction.
	Gates Gates
	// Ladder counts earlier offences in the ingest transaction; nil
	// outside the ingest (the rules hook then asks its own store).
	Ladder Ladder
}

// Verdict is one decision of the rules hook about an event.
type Verdict struct {
	Action   chat.ActionKind // send (a reminder or warning), delete, mute, unmute, kick, ban
	Text     string          // for send: the text to post; for others: an optional notice to the member
	Duration time.Duration   // for mute
	Rule     string
	Category string
	Reason   string
	// Evidence for the audit log.
	Normalized string
	Matched    []string
	// Target is the platform user id the action is about, when it is not
	// the event's sender (a staff command: /ban @someone).
	Target string
	// ReplyTo is the message a notice about Target replies to (the
	// offending message a staff command replied to).
	ReplyTo string
	// Actor says who decided: "rules" when empty, "staff:<user id>" for a
	// command.
	Actor string

	// For a plain reply (Action send, no Rule): the member bot's answers
	// and welcomes.

	// Image is the URL of a picture sent with the text.
	Image string
	// Key, when set, is the action's idempotency key in place of one
	// derived from the event.
	Key string
	// NotBefore delays the reply (a welcome sent when its window ends).
	NotBefore time.Time
	// Revise makes the reply replace a queued one of the same Key that
	// has not been tried yet, instead of being dropped as its duplicate:
	// each join of a window revises the window's one welcome to name
	// them all. Key is required.
	Revise bool
	// NoReply sends the reply without answering the event's message.
	NoReply bool
	// ToConnection and ToGroup post the reply in another group instead
	// (the staff group's alert of a raid).
	ToConnection, ToGroup string
	// Mentions are the members the reply's Text names, each at its place
	// as "@"+name (a welcome's newcomers): the adapters mention them
	// natively (chat.Action.Mentions).
	Mentions []chat.Mention
	// Buttons go under the reply where the platform declares
	// chat.CapButtons (the join gate's "I am not a robot").
	Buttons []chat.Button
	// Mention is the member the reply speaks to (the join gate's
	// newcomer), mentioned natively where the platform can: the text
	// starts with "@"+Mention.Name (chat.Action.Mention).
	Mention *chat.User
}

// Decider is the rules hook. It must be fast (it runs inside the ingest
// transaction) and must not block on the network.
type Decider interface {
	Decide(ctx context.Context, in *Input) ([]Verdict, error)
}

// PassThrough is the Decider that decides nothing.
type PassThrough struct{}

// Decide implements Decider.
func (PassThrough) Decide(context.Context, *Input) ([]Verdict, error) { return nil, nil }
