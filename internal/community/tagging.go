package community

import (
	"context"
	"time"
)

// Tagged is one group or person a tag holds, and why: put in by hand, or
// matched by one of its rules (or both).
type Tagged struct {
	ID     int64
	ByHand bool
	ByRule bool
}

// HeldTag is a tag holding a group or person, and why.
type HeldTag struct {
	Tag
	ByHand, ByRule bool
}

// Tagger keeps the organisation's tags and works out what they hold.
// internal/store implements it. Names and rules are checked here
// (CheckTagName, TagRule.Check); the ids a rule or a manual entry names
// must be the organisation's (not found otherwise). Every change is
// audited under actor.
type Tagger interface {
	// Tags lists the organisation's tags with their rules and manual
	// counts, by subject then name.
	Tags(ctx context.Context, orgID int64) ([]Tag, error)
	Tag(ctx context.Context, orgID, id int64) (Tag, error)
	CreateTag(ctx context.Context, t *Tag) error
	RenameTag(ctx context.Context, orgID, id int64, name, actor string) error
	// DeleteTag removes a tag, its rules and manual entries; a cadence
	// aimed at it is paused and loses its aim.
	DeleteTag(ctx context.Context, orgID, id int64, actor string) error
	AddTagRule(ctx context.Context, orgID int64, r *TagRule, actor string) error
	RemoveTagRule(ctx context.Context, orgID, tagID, ruleID int64, actor string) error
	// SetGroupTag puts a group in a group tag by hand (on) or takes it
	// out (what a rule matches stays in); SetPersonTag likewise.
	SetGroupTag(ctx context.Context, orgID, tagID, groupID int64, on bool, actor string) error
	SetPersonTag(ctx context.Context, orgID, tagID, personID int64, on bool, actor string) error
	// TaggedGroups and TaggedPeople resolve a tag now: what was put in by
	// hand and what its rules match, by id. A person's activity status is
	// read from the rollups at now (docs/metrics.md, "A person's status").
	TaggedGroups(ctx context.Context, orgID, tagID int64) ([]Tagged, error)
	TaggedPeople(ctx context.Context, orgID, tagID int64, now time.Time, loc *time.Location) ([]Tagged, error)
	// GroupTagsOf and PersonTagsOf list the tags holding a group or a
	// person now, by name.
	GroupTagsOf(ctx context.Context, orgID, groupID int64) ([]HeldTag, error)
	PersonTagsOf(ctx context.Context, orgID, personID int64, now time.Time, loc *time.Location) ([]HeldTag, error)
	// SegmentMembers lists the members a segment picks — open member
	// (not staff, not bot) memberships — in the groups of within only
	// (nil: every group), by name.
	SegmentMembers(ctx context.Context, orgID int64, s Segment, within []int64, now time.Time, loc *time.Location) ([]SegmentMember, error)
	// TagChoices lists what rules may name besides kinds, sources and
	// statuses (and the tree's nodes): templates, campaigns, levels.
	TagChoices(ctx context.Context, orgID int64) (TagChoices, error)
}

// TagChoice is a thing a rule may name, by id.
type TagChoice struct {
	ID   int64
	Name string
}

// TagChoices are the organisation's templates, campaigns (archived ones
// marked) and partner levels, by name (levels by rank).
type TagChoices struct {
	Templates, Campaigns, Levels []TagChoice
}
