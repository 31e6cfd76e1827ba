package app

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The context the live rules ask for (rules.Decider's Lecturer and
// ToStaff hooks), only when a verdict could turn on it: whether the
// sender teaches in the group, and whether the message replies to or
// mentions one of its staff. The pipeline names the sender of a replied
// message only for commands, so the hooks find it themselves: in a small
// memory of each group's recent messages, else in the store.

// contextStore is what the hooks read.
type contextStore interface {
	Teaches(ctx context.Context, g community.Group, personID int64) (bool, error)
	AddressesStaff(ctx context.Context, g community.Group, replyTo string, replyAt time.Time, users []string) (bool, error)
}

// recentSenders is how many of a group's latest messages the memory
// keeps; maxGroupsRemembered bounds the groups (beyond it the memory
// starts again).
const (
	recentSenders       = 128
	maxGroupsRemembered = 20_000
)

// addressees remembers who sent each group's recent messages and answers
// the rules' questions of context.
type addressees struct {
	store contextStore

	mu     sync.Mutex
	groups map[int64]*senderRing
}

type senderRing struct {
	msg, user [recentSenders]string
	n         int
}

func newAddressees(s contextStore) *addressees {
	return &addressees{store: s, groups: map[int64]*senderRing{}}
}

// remember records a message's sender.
func (a *addressees) remember(group int64, msgID, user string) {
	if msgID == "" {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.groups[group]
	if r == nil {
		if len(a.groups) >= maxGroupsRemembered {
			clear(a.groups)
		}
		r = &senderRing{}
		a.groups[group] = r
	}
	r.msg[r.n], r.user[r.n] = msgID, user
	r.n = (r.n + 1) % recentSenders
}

// sender returns the sender of a recent message of a group.
func (a *addressees) sender(group int64, msgID string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.groups[group]
	if r == nil {
		return "", false
	}
	if i := slices.Index(r.msg[:], msgID); i >= 0 {
		return r.user[i], true
	}
	return "", false
}

// lecturer is the Decider's Lecturer hook.
func (a *addressees) lecturer(ctx context.Context, g community.Group, personID int64) (bool, error) {
	return a.store.Teaches(ctx, g, personID)
}

// toStaff is the Decider's ToStaff hook: the message replies to one of
// the group's staff (the replied message's sender, from the memory or the
// store) or mentions one.
func (a *addressees) toStaff(ctx context.Context, in *pipeline.Input) (bool, error) {
	m := in.Event.Message
	if m == nil {
		return false, nil
	}
	users := slices.Clone(m.Mentions)
	replyTo := m.ReplyTo
	if replyTo != "" {
		if in.ReplySender != "" {
			users, replyTo = append(users, in.ReplySender), ""
		} else if u, ok := a.sender(in.Group.ID, replyTo); ok {
			users, replyTo = append(users, u), ""
		}
	}
	if replyTo == "" && len(users) == 0 {
		return false, nil
	}
	return a.store.AddressesStaff(ctx, in.Group, replyTo, in.Event.Time, users)
}

// observing is the rules' Decider with the memory of senders fed by every
// message it is asked about.
type observing struct {
	*rules.Decider
	a *addressees
}

// Decide implements pipeline.Decider.
func (o observing) Decide(ctx context.Context, in *pipeline.Input) ([]pipeline.Verdict, error) {
	if e := in.Event; e.Type == chat.EventMessage && e.Message != nil {
		o.a.remember(in.Group.ID, e.Message.ID, e.Sender.ID)
	}
	return o.Decider.Decide(ctx, in)
}

// contextDecider wires the hooks into d and returns it as the pipeline's
// Decider.
func contextDecider(d *rules.Decider, s contextStore) pipeline.Decider {
	a := newAddressees(s)
	d.Lecturer, d.ToStaff = a.lecturer, a.toStaff
	return observing{d, a}
}
