package community

import (
	"context"
	"strings"
	"time"
)

// JoinWays keeps a platform's own rolling join code in step with a family
// of groups: WeCom's 群活码 (a customer-group "join way") sends newcomers to
// the first of its groups with room and, when all are full, creates the
// next group itself — capacity routing done by the platform, named by the
// family's pattern. internal/chat/wecom implements it.
type JoinWays interface {
	// EnsureJoinWay creates the join way named by w.Key, or updates it
	// when its groups or naming changed, and returns its state.
	EnsureJoinWay(ctx context.Context, w JoinWay) (JoinWayState, error)
	// DeleteJoinWay removes it (its QR code stops working).
	DeleteJoinWay(ctx context.Context, key string) error
}

// JoinWay is what a join way should be.
type JoinWay struct {
	// Key names the join way for good: the invite code it stands for, or
	// the family ("family:<id>").
	Key string
	// Remark is shown to staff in the platform's admin.
	Remark string
	// Groups are the platform group ids of the family's groups with room,
	// in family order (WeCom uses the first five).
	Groups []string
	// RoomBaseName and RoomBaseID name the groups the platform creates
	// when all are full: RoomBaseName followed by RoomBaseID, RoomBaseID+1…
	// (see RoomBase). An empty RoomBaseName: the platform creates none.
	RoomBaseName string
	RoomBaseID   int
	// State comes back with every join through the code (the invite
	// code, so joins are attributed to its campaign or member).
	State string
}

// JoinWayRecord is what qunzhu last heard of an invite code's join way.
type JoinWayRecord struct {
	Connection string
	QRCode     string // where /join/{code} sends newcomers ("" when never made)
	Failed     bool   // the last attempt to bring it in step failed (the reason is logged)
	CheckedAt  time.Time
}

// JoinWayState is a join way as the platform has it.
type JoinWayState struct {
	ConfigID string   // the platform's id
	QRCode   string   // URL of the QR-code image to print or share
	Groups   []string // the groups it points at
	Changed  bool     // this call created or updated it
}

// RoomBase is the base name a platform that numbers the groups it creates
// (WeCom: base name + number) should use for a family, so that its groups
// get exactly the names the pattern gives: the pattern rendered up to
// {n}. ok is false when the pattern cannot be followed that way — no {n},
// more than one, or text after it ("第{n}期群") — and the platform's names
// will differ from the family's.
func RoomBase(p Pattern, vars map[string]string, topic string) (base string, ok bool) {
	at := -1
	for i, pp := range p.parts {
		if pp.isVar && pp.text == VarN {
			if at >= 0 {
				return "", false
			}
			at = i
		}
	}
	if at < 0 {
		return "", false
	}
	for _, pp := range p.parts[at+1:] {
		if pp.isVar || strings.TrimSpace(pp.text) != "" {
			return "", false
		}
	}
	// As FamilyName renders it, less the number: the whole name is
	// trimmed there, so only leading space goes here.
	var b strings.Builder
	for _, pp := range p.parts[:at] {
		switch {
		case !pp.isVar:
			b.WriteString(pp.text)
		case pp.text == VarTopic && topic != "":
			b.WriteString(topic)
		default:
			v, ok := vars[pp.text]
			if !ok {
				return "", false
			}
			b.WriteString(v)
		}
	}
	base = strings.TrimLeft(b.String(), " \t\n")
	return base, base != ""
}
