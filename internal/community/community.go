// Package community is the domain model of the groups an operator runs: the
// organisation and its tree, groups, people and their platform identities,
// memberships with roles and join sources, stored messages, moderation
// actions and the audit log; the partner programme, invite codes and
// referrals; sign-up lists and events; reports, appeals and eligibility;
// group profiles, templates and capacity routing; a group's times of day.
//
// The package owns the types and the small interfaces the rest of qunzhu
// needs; internal/store implements them for SQLite and PostgreSQL.
package community

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// DefaultCapacity is the member cap of a group unless configured (the seed:
// 每一个社群最多500人).
const DefaultCapacity = 500

// Role is a member's role in a group.
type Role string

const (
	RoleOwner     Role = "owner"     // 群主, the "director"
	RoleSecretary Role = "secretary" // 秘书长, secretary-general
	RoleAssistant Role = "assistant" // 店小二
	RoleMember    Role = "member"
)

// Roles lists the roles from most to least privileged.
var Roles = []Role{RoleOwner, RoleSecretary, RoleAssistant, RoleMember}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// Staff reports whether r is above member. Staff are excluded from member
// analytics and exempt from most rules unless configured.
func (r Role) Staff() bool { return r == RoleOwner || r == RoleSecretary || r == RoleAssistant }

// GroupKind is what a group is for (the seed's group order: lecturer internal
// group → topic groups → enrolment consultation → one per cohort → all-hands).
type GroupKind string

const (
	KindLecturer  GroupKind = "lecturer"
	KindTopic     GroupKind = "topic"
	KindEnrolment GroupKind = "enrolment"
	KindCohort    GroupKind = "cohort"
	KindAllHands  GroupKind = "allhands"
	KindOwners    GroupKind = "owners"
	KindStore     GroupKind = "store"
	KindTemporary GroupKind = "temporary"
	KindCustom    GroupKind = "custom"
)

// GroupKinds lists the known group kinds.
var GroupKinds = []GroupKind{KindLecturer, KindTopic, KindEnrolment, KindCohort, KindAllHands, KindOwners, KindStore, KindTemporary, KindCustom}

// Valid reports whether k is a known group kind.
func (k GroupKind) Valid() bool {
	for _, x := range GroupKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Teaching reports whether k is a kind of group where the academy
// teaches: the lecturers' own group, topic, enrolment, cohort and
// all-hands groups (the seed's order). Classmates share the course's
// material there, and a lecturer's offer is no advertising.
func (k GroupKind) Teaching() bool {
	switch k {
	case KindLecturer, KindTopic, KindEnrolment, KindCohort, KindAllHands:
		return true
	}
	return false
}

// Teaches reports whether a person teaches in a group of kind k, given
// their role there and whether they are one of the organisation's
// lecturers — a member of one of its lecturer groups (讲师群, the
// lecturers' own group, the first the seed sets up). In a teaching group
// its staff teach too: the seed makes each region's training lead the
// groups' 秘书长 and the training team their 店小二.
func Teaches(k GroupKind, role Role, lecturer bool) bool {
	return k.Teaching() && (lecturer || role.Staff())
}

// Lifecycle is a group's state. Archived groups keep their history; rules and
// pushes stop.
type Lifecycle string

const (
	Active   Lifecycle = "active"
	Archived Lifecycle = "archived"
)

// ExpiryNotice is what a temporary group is told before it closes, with
// the end's date and time, in its bot language.
func ExpiryNotice(lang, end string) string {
	return fmt.Sprintf(Say(lang, "本群为临时群，将于 %s 结束并归档（聊天记录保留）。", "This temporary group closes on %s; its history is kept."), end)
}

// Org is an organisation: the operator's company, academy or community.
type Org struct {
	ID        int64
	Name      string
	Slug      string
	CreatedAt time.Time
}

// NodeKind names a level of the organisation tree.
type NodeKind string

const (
	NodeCompany   NodeKind = "company"   // 公社/公司
	NodeRegion    NodeKind = "region"    // a county branch, a city
	NodeStore     NodeKind = "store"     // 单店
	NodeCommunity NodeKind = "community" // a residential community
	NodeTeam      NodeKind = "team"
)

// NodeKinds lists the known node kinds, from the top of a tree down.
var NodeKinds = []NodeKind{NodeCompany, NodeRegion, NodeStore, NodeCommunity, NodeTeam}

// Valid reports whether k is a known node kind.
func (k NodeKind) Valid() bool {
	for _, x := range NodeKinds {
		if x == k {
			return true
		}
	}
	return false
}

// Node is a node of the organisation tree (company → region/store → …).
type Node struct {
	ID        int64
	OrgID     int64
	ParentID  int64 // 0 for a root
	Name      string
	Kind      NodeKind
	CreatedAt time.Time
}

// Group is one chat group on one platform connection.
type Group struct {
	ID         int64
	OrgID      int64
	NodeID     int64 // 0 when not placed in the tree yet
	Connection string
	Platform   string
	ExternalID string
	Name       string
	Kind       GroupKind
	Lifecycle  Lifecycle
	Capacity   int
	Members    int        // current members, filled by queries that count them
	ExpiresAt  *time.Time // temporary groups
	CreatedAt  time.Time
	// BotLang is the language the bot writes in here (BotZh or BotEn):
	// the organisation's default when the group was created, or the
	// group's own. Chat messages are in one language, never mixed.
	BotLang string
}

// The languages the bot writes in.
const (
	BotZh = "zh"
	BotEn = "en"
)

// ValidBotLang reports whether l is a language the bot writes in.
func ValidBotLang(l string) bool { return l == BotZh || l == BotEn }

// Lang is the group's bot language, Chinese unless it is English.
func (g Group) Lang() string {
	if g.BotLang == BotEn {
		return BotEn
	}
	return BotZh
}

// DurationText is a duration in words in a language: whole days, hours or
// minutes (rounded up), as a member or an operator reads it.
func DurationText(lang string, d time.Duration) string {
	n, zh, en := int64((d+time.Minute-1)/time.Minute), "分钟", "minute"
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		n, zh, en = int64(d/(24*time.Hour)), "天", "day"
	case d >= time.Hour && d%time.Hour == 0:
		n, zh, en = int64(d/time.Hour), "小时", "hour"
	}
	if lang == BotEn {
		if n != 1 {
			en += "s"
		}
		return fmt.Sprintf("%d %s", n, en)
	}
	return fmt.Sprintf("%d %s", n, zh)
}

// Say picks the text of a bot message in a language.
func Say(lang, zh, en string) string {
	if lang == BotEn {
		return en
	}
	return zh
}

// Person is one human across groups and platforms.
type Person struct {
	ID        int64
	OrgID     int64
	Name      string
	CreatedAt time.Time
}

// Identity is a person's account on one platform connection.
type Identity struct {
	ID         int64
	PersonID   int64
	Connection string
	Platform   string
	ExternalID string
	Name       string
	Bot        bool
}

// Membership is one stint of a person in a group: a member who leaves and
// rejoins has two.
type Membership struct {
	ID         int64
	GroupID    int64
	PersonID   int64
	Role       Role
	Source     chat.JoinSource
	InviterID  int64 // person who pulled or referred them, 0 if unknown
	Code       string
	Nickname   string
	JoinedAt   time.Time
	LeftAt     *time.Time
	LeftReason chat.LeaveReason
}

// Member is a membership joined with its person and identity, as listed.
type Member struct {
	Membership
	Name           string
	PlatformUserID string
}

// Message is a stored group message.
type Message struct {
	ID         int64
	GroupID    int64
	PersonID   int64
	ExternalID string
	Kind       chat.MessageKind
	Text       string
	URL        string
	ReplyTo    string
	Mentions   int
	// MentionIDs are the platform user ids the message mentions.
	MentionIDs []string
	SentAt     time.Time
	SenderName string // filled by queries
}

// ModerationAction records what qunzhu (or a staff member) did about a
// member or a message.
type ModerationAction struct {
	ID        int64
	OrgID     int64
	GroupID   int64
	PersonID  int64
	MessageID string // platform message id, when the action concerns one
	Action    chat.ActionKind
	Rule      string
	Category  string
	Reason    string
	Actor     string // "rules", "staff:<name>", "api:<token name>"
	CreatedAt time.Time
}

// AuditEntry is one line of the append-only audit log.
type AuditEntry struct {
	ID      int64
	OrgID   int64
	At      time.Time
	Actor   string
	Action  string // e.g. "moderation.delete", "group.create", "token.create"
	Subject string // e.g. "group:12", "person:7"
	Detail  string // JSON object with the evidence
}

// Page asks for a page of a list. Zero values mean the default.
type Page struct {
	Limit  int
	Before int64 // cursor: the id of the last item of the page before (the next page follows it); 0 means from the newest
}

// Directory reads the community. The HTTP API and the console depend on it.
type Directory interface {
	Groups(ctx context.Context, orgID int64) ([]Group, error)
	Group(ctx context.Context, orgID, id int64) (Group, error)
	Members(ctx context.Context, groupID int64) ([]Member, error)
	Messages(ctx context.Context, groupID int64, p Page) ([]Message, error)
}

// GroupPatch is a partial update of a group; nil fields are kept.
type GroupPatch struct {
	Name      *string
	NodeID    *int64
	Kind      *GroupKind
	Capacity  *int
	Lifecycle *Lifecycle
	ExpiresAt **time.Time
}
