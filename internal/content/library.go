package content

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Script is one piece of push content (炮弹) in the library.
type Script struct {
	ID     int64
	OrgID  int64
	Title  string
	Body   string
	Tags   []string
	Author string // "person:12" for a member's 投稿, "user:alice" for staff
	// CreatedBy is who put it in the library when that is not its author
	// (a token importing a member's piece); they count as a writer too.
	// Only read when creating: the first revision's editor keeps it.
	CreatedBy    string
	Status       Status
	RejectReason string
	// LintOverride is the reason the reviewer gave for approving it
	// although the lint flagged it (CheckOverride).
	LintOverride string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// The limits of a script's text, and what CheckScript refuses (errors.Is).
const (
	MaxTitle = 200      // characters
	MaxBody  = 64 << 10 // bytes
)

var (
	ErrNoTitle     = errors.New("title: required")
	ErrLongTitle   = errors.New("title: at most 200 characters")
	ErrNoBody      = errors.New("body: required")
	ErrLongBody    = errors.New("body: at most 64 KiB")
	ErrNotEditable = errors.New("a scheduled or published script cannot be edited: unschedule it first")
)

// CheckScript checks a script's title and body before they are stored.
func CheckScript(title, body string) error {
	var err error
	switch {
	case strings.TrimSpace(title) == "":
		err = ErrNoTitle
	case utf8.RuneCountInString(title) > MaxTitle:
		err = ErrLongTitle
	case strings.TrimSpace(body) == "":
		err = ErrNoBody
	case len(body) > MaxBody:
		err = ErrLongBody
	}
	if err != nil {
		return errkind.Errorf(errkind.Invalid, "%w", err)
	}
	return nil
}

// Editable reports whether a script in this status may be edited.
func (s Status) Editable() bool { return s != Scheduled && s != Published }

// Revision is one saved state of a script: every edit and every status
// change leaves one, so the history is complete.
type Revision struct {
	ID        int64
	ScriptID  int64
	Title     string
	Body      string
	Tags      []string
	Status    Status
	Editor    string
	Note      string
	CreatedAt time.Time
}

// PushStatus is where a push is.
type PushStatus string

const (
	PushPlanned   PushStatus = "planned"
	PushSent      PushStatus = "sent"      // handed to the outbox
	PushDropped   PushStatus = "dropped"   // nothing fitted when it was planned
	PushCancelled PushStatus = "cancelled" // by an operator, before it went out
	PushSkipped   PushStatus = "skipped"   // refused when it fell due (see SkipReason)
)

// Open reports whether the push is still to go out: planned, or dropped
// (an operator may move it to a time that fits). Only open pushes can be
// cancelled or moved.
func (s PushStatus) Open() bool { return s == PushPlanned || s == PushDropped }

// Push is one script going to one group at one time.
type Push struct {
	ID         int64
	OrgID      int64
	ScriptID   int64
	GroupID    int64
	Slot       string
	WantAt     time.Time // what was asked for
	PlannedAt  time.Time // what the caps and quiet hours allow
	Status     PushStatus
	Reason     string // reason codes, comma-separated: why PlannedAt differs from WantAt, or why dropped, cancelled or skipped (see Reasons)
	DutyPerson int64  // the assistant on duty to follow it up
	CreatedAt  time.Time
	SentAt     *time.Time // handed to the outbox
	// The receipt of a sent push: pending (being delivered, or retried),
	// done (the platform took it) or dead (given up on, with the error).
	Delivery      string
	DeliveredAt   *time.Time
	DeliveryError string
	// While pending, what the platform waits for when it accepted the
	// push but has not carried it out (a WeCom 群发 its group owner must
	// confirm): a code (chat.PendingOwnerConfirm, …) and its words.
	PendingFor, PendingReason string
}

// Library stores scripts and their history. internal/store implements it.
type Library interface {
	CreateScript(ctx context.Context, s *Script) error
	EditScript(ctx context.Context, orgID, id int64, title, body string, tags []string, editor string) (Script, error)
	MoveScript(ctx context.Context, orgID, id int64, to Status, role Role, actor, reason string) (Script, error)
	Script(ctx context.Context, orgID, id int64) (Script, error)
	Scripts(ctx context.Context, orgID int64, status Status) ([]Script, error)
	Revisions(ctx context.Context, orgID, id int64) ([]Revision, error)
}
