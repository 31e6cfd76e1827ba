package community

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Tags name sets of groups or of people, so that pushes, cadences and
// exports can aim at them: "电商课程", "高意向", "2026 春季营". A tag holds
// what staff put in it by hand and whatever its rules match — for groups a
// kind, a part of the tree or a template's groups; for people how they
// joined, the campaign that brought them, a partner level, an activity
// status. The rules are read when the tag is used, so a new group of the
// kind or a member who turns active is in it at once.

// TagSubject is what a tag names: groups or people.
type TagSubject string

const (
	TagGroups TagSubject = "group"
	TagPeople TagSubject = "person"
)

// Valid reports a known subject.
func (s TagSubject) Valid() bool { return s == TagGroups || s == TagPeople }

// The fields a tag rule matches on.
const (
	RuleKind     = "kind"     // groups of a kind (community.GroupKind)
	RuleNode     = "node"     // groups at a tree node or below it (node id)
	RuleTemplate = "template" // groups of a template's families (template id)
	RuleSource   = "source"   // people who joined a group so (chat.JoinSource; "" unknown)
	RuleCampaign = "campaign" // people who joined with a campaign's invite codes (campaign id)
	RuleLevel    = "level"    // people holding a seat of a partner level (level id)
	RuleStatus   = "status"   // people of an activity status (active, new, quiet, lurker, zombie)
)

// RuleFields lists the fields of each subject's rules.
var RuleFields = map[TagSubject][]string{
	TagGroups: {RuleKind, RuleNode, RuleTemplate},
	TagPeople: {RuleSource, RuleCampaign, RuleLevel, RuleStatus},
}

// PersonStatuses are the activity statuses a rule may name (as
// analytics.Status).
var PersonStatuses = []string{"active", "new", "quiet", "lurker", "zombie"}

// Tag is a named set of groups or people.
type Tag struct {
	ID        int64
	OrgID     int64
	Name      string
	Subject   TagSubject
	Rules     []TagRule
	Manual    int // how many were put in by hand
	Count     int // how many it holds now, by hand or by a rule (set by the reader)
	CreatedBy string
	CreatedAt time.Time
}

// TagRule puts what matches it in its tag.
type TagRule struct {
	ID    int64
	TagID int64
	Field string
	Value string
}

// MaxTagName is the longest tag name, in characters.
const MaxTagName = 30

// CheckTagName checks a tag's name: 1 to MaxTagName characters of text,
// no commas (lists of tags are written with them), no control characters.
func CheckTagName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0 || n > MaxTagName:
		return "", errkind.Errorf(errkind.Invalid, "name: want 1 to %d characters", MaxTagName)
	case !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || r == ',' || r == '，' }):
		return "", errkind.New(errkind.Invalid, "name: no commas or control characters")
	}
	return name, nil
}

// Check checks a rule for a tag of subject s. Ids are checked to exist by
// the store.
func (r TagRule) Check(s TagSubject) error {
	if !slices.Contains(RuleFields[s], r.Field) {
		return errkind.Errorf(errkind.Invalid, "field: a %s tag's rule matches on %s, not %q", s, strings.Join(RuleFields[s], ", "), r.Field)
	}
	switch r.Field {
	case RuleKind:
		if !GroupKind(r.Value).Valid() {
			return errkind.Errorf(errkind.Invalid, "value: unknown group kind %q", r.Value)
		}
	case RuleSource:
		if !chat.JoinSource(r.Value).Valid() {
			return errkind.Errorf(errkind.Invalid, "value: unknown join source %q", r.Value)
		}
	case RuleStatus:
		if !slices.Contains(PersonStatuses, r.Value) {
			return errkind.Errorf(errkind.Invalid, "value: status is one of %s, not %q", strings.Join(PersonStatuses, ", "), r.Value)
		}
	default: // an id
		if id, err := strconv.ParseInt(r.Value, 10, 64); err != nil || id <= 0 {
			return errkind.Errorf(errkind.Invalid, "value: the %s rule names an id, not %q", r.Field, r.Value)
		}
	}
	return nil
}

// ID64 is the id a rule names (node, template, campaign, level), 0 for the
// others.
func (r TagRule) ID64() int64 {
	id, _ := strconv.ParseInt(r.Value, 10, 64)
	return id
}

// Segment picks members for an export: the open memberships of the groups
// it selects, of the people it selects. Zero fields select everything;
// the caller's scope narrows it further.
type Segment struct {
	PersonTag int64  // people with this tag
	GroupTag  int64  // in groups with this tag
	GroupID   int64  // in this group
	Status    string // of this activity status
}

// Check checks a segment's status.
func (s Segment) Check() error {
	if s.Status != "" && !slices.Contains(PersonStatuses, s.Status) {
		return errkind.Errorf(errkind.Invalid, "status: one of %s, not %q", strings.Join(PersonStatuses, ", "), s.Status)
	}
	return nil
}

// SegmentMember is one person of a segment: their groups (of the
// segment), tags and activity.
type SegmentMember struct {
	PersonID    int64
	Name        string
	UserIDs     []string // platform ids
	Groups      []string
	Tags        []string
	Status      string
	JoinedAt    time.Time  // their first join of the segment's groups
	LastMessage *time.Time // in any group
	Messages30  int        // member messages over 30 days, all groups
}
