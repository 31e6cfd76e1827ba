package content

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Planning one script into many groups, and moving a planned push: what
// the API and the console both do, through the store's PlanPush and
// MovePush, which fit each push into its group's day.

// What planning refuses, for errors.Is: callers say it in their words.
var (
	ErrNoTime      = errors.New("when: give a date and a peak (slot), or a time")
	ErrNoGroup     = errors.New("no group matches: give groups, a tag, a kind or a node with active groups in your scope")
	ErrNoPeak      = errors.New("a group has no peak of that name")
	ErrNotApproved = errors.New("only approved scripts are pushed")
)

// Scheduler is what planning and moving pushes read and write.
// internal/store implements it.
type Scheduler interface {
	Groups(ctx context.Context, orgID int64) ([]community.Group, error)
	NodeParents(ctx context.Context) (map[int64]int64, error)
	Slots(ctx context.Context, orgID, groupID int64) (SlotConfig, error)
	PlanPush(ctx context.Context, r PushRequest) (Push, error)
	Push(ctx context.Context, orgID, id int64) (PlannedPush, error)
	MovePush(ctx context.Context, orgID, id int64, want time.Time, slot, actor string) (Push, error)
	CancelPush(ctx context.Context, orgID, id int64, actor string) (Push, error)
	// TagGroups resolves a group tag to the groups it holds now (not
	// found: no such tag; invalid: a people tag).
	TagGroups(ctx context.Context, orgID, tagID int64) ([]int64, error)
}

// Select returns the active groups a selector picks: the listed ones and
// the tag's (sel.Tagged, resolved by the caller), or every group of the
// kind and/or under the node (the node itself or any below it; parents
// maps a node to its parent).
func Select(groups []community.Group, parents map[int64]int64, sel Selector) []community.Group {
	var out []community.Group
	for _, g := range groups {
		if g.Lifecycle != community.Active {
			continue
		}
		if sel.Explicit() {
			if slices.Contains(sel.GroupIDs, g.ID) || slices.Contains(sel.Tagged, g.ID) {
				out = append(out, g)
			}
			continue
		}
		if (sel.Kind == "" || string(g.Kind) == sel.Kind) && (sel.NodeID == 0 || Under(parents, g.NodeID, sel.NodeID)) {
			out = append(out, g)
		}
	}
	return out
}

// Under reports whether node is top or below it.
func Under(parents map[int64]int64, node, top int64) bool {
	for i := 0; node != 0 && i < 64; i++ {
		if node == top {
			return true
		}
		node = parents[node]
	}
	return false
}

// When is when a push is wanted: a named peak (slot) on a date, or an
// exact time.
type When struct {
	Date string    // YYYY-MM-DD in the group's zone, with Slot
	Slot string    // a slot name of the group's slots
	At   time.Time // or this time
}

// Check reports a When that names no time.
func (w When) Check() error {
	switch {
	case !w.At.IsZero():
		return nil
	case w.Date != "" && w.Slot != "":
		if _, err := time.Parse("2006-01-02", w.Date); err != nil {
			return errkind.Errorf(errkind.Invalid, "date: want YYYY-MM-DD, got %q", w.Date)
		}
		return nil
	}
	return errkind.Errorf(errkind.Invalid, "%w", ErrNoTime)
}

// In resolves the time for a group with these slots: At as given, else
// the slot's time on the date in the slots' zone. The slot is the one
// named, or "" for an exact time.
func (w When) In(cfg SlotConfig, groupName string) (time.Time, string, error) {
	if err := w.Check(); err != nil {
		return time.Time{}, "", err
	}
	if !w.At.IsZero() {
		return w.At, "", nil
	}
	loc := cfg.Location()
	d, err := time.ParseInLocation("2006-01-02", w.Date, loc)
	if err != nil {
		return time.Time{}, "", errkind.Errorf(errkind.Invalid, "date: want YYYY-MM-DD, got %q", w.Date)
	}
	sl, ok := cfg.Find(w.Slot)
	if !ok {
		return time.Time{}, "", errkind.Errorf(errkind.Invalid, "slot: %s has the peaks %s, not %q: %w", groupName, cfg.Names(), w.Slot, ErrNoPeak)
	}
	return sl.At.On(d, loc), sl.Name, nil
}

// PlanRequest asks for one script to go to many groups.
type PlanRequest struct {
	OrgID    int64
	ScriptID int64
	Select   Selector
	When     When
	// Window narrows the groups' own quiet hours (zero: they alone apply).
	Window community.Window
	// InScope says which groups the planner may push to: a listed group
	// outside it is refused, a kind or node picks only those inside it.
	// Nil: every group of the organisation.
	InScope func(groupID int64) bool
	Actor   string
}

// PlanPushes plans a script into the groups a request selects, each at
// its own time: the peak on the date in the group's zone (a group without
// that peak plans nothing at all: 400 naming it and its peaks), or the
// exact time. Unknown listed groups are not found, groups outside the
// planner's scope forbidden, archived ones a conflict — all before
// anything is planned. Each push is fitted into its group's day.
func PlanPushes(ctx context.Context, st Scheduler, r PlanRequest) ([]Push, error) {
	if r.ScriptID <= 0 {
		return nil, errkind.New(errkind.Invalid, "script_id: required")
	}
	if err := r.When.Check(); err != nil {
		return nil, err
	}
	if r.Select.Kind != "" && !community.GroupKind(r.Select.Kind).Valid() {
		return nil, errkind.Errorf(errkind.Invalid, "kind: unknown group kind %q", r.Select.Kind)
	}
	inScope := r.InScope
	if inScope == nil {
		inScope = func(int64) bool { return true }
	}
	groups, err := st.Groups(ctx, r.OrgID)
	if err != nil {
		return nil, err
	}
	if r.Select.TagID != 0 {
		if r.Select.Tagged, err = st.TagGroups(ctx, r.OrgID, r.Select.TagID); err != nil {
			return nil, err
		}
	}
	var parents map[int64]int64
	if r.Select.NodeID != 0 {
		if parents, err = st.NodeParents(ctx); err != nil {
			return nil, err
		}
		if _, ok := parents[r.Select.NodeID]; !ok {
			return nil, errkind.Errorf(errkind.NotFound, "node %d not found", r.Select.NodeID)
		}
	}
	for _, id := range r.Select.GroupIDs {
		i := slices.IndexFunc(groups, func(g community.Group) bool { return g.ID == id })
		switch {
		case i < 0:
			return nil, errkind.Errorf(errkind.NotFound, "group %d not found", id)
		case !inScope(id):
			return nil, errkind.Errorf(errkind.Forbidden, "group %s is outside your scope", groups[i].Name)
		case groups[i].Lifecycle != community.Active:
			return nil, errkind.Errorf(errkind.Conflict, "group %s is %s: pushes stop for archived groups", groups[i].Name, groups[i].Lifecycle)
		}
	}
	var targets []community.Group
	for _, g := range Select(groups, parents, r.Select) {
		if inScope(g.ID) {
			targets = append(targets, g)
		}
	}
	if len(targets) == 0 {
		return nil, errkind.Errorf(errkind.Invalid, "%w", ErrNoGroup)
	}
	// Every group's time first, so that a peak one group lacks plans
	// nothing.
	wants := make([]time.Time, len(targets))
	slots := make([]string, len(targets))
	for i, g := range targets {
		cfg, err := st.Slots(ctx, r.OrgID, g.ID)
		if err != nil {
			return nil, err
		}
		if wants[i], slots[i], err = r.When.In(cfg, g.Name); err != nil {
			return nil, err
		}
	}
	out := make([]Push, 0, len(targets))
	for i, g := range targets {
		p, err := st.PlanPush(ctx, PushRequest{OrgID: r.OrgID, ScriptID: r.ScriptID, GroupID: g.ID, Slot: slots[i], Want: wants[i], Window: r.Window, Actor: r.Actor})
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// openPush returns a push the planner may cancel or move: one of the
// organisation's, to a group in scope, still open.
func openPush(ctx context.Context, st Scheduler, orgID, id int64, inScope func(int64) bool) (PlannedPush, error) {
	p, err := st.Push(ctx, orgID, id)
	if err != nil {
		return p, err
	}
	if inScope != nil && !inScope(p.GroupID) {
		return p, errkind.Errorf(errkind.Forbidden, "push %d goes to %s, outside your scope", id, p.Group)
	}
	if !p.Status.Open() {
		return p, errkind.Errorf(errkind.Conflict, "push %d is %s: only a planned push can be cancelled or moved", id, p.Status)
	}
	return p, nil
}

// MovePush moves an open push to another time in its group (a peak on a
// date in the group's zone, or an exact time), fitted into the group's day
// again.
func MovePush(ctx context.Context, st Scheduler, orgID, id int64, w When, inScope func(int64) bool, actor string) (Push, error) {
	if err := w.Check(); err != nil {
		return Push{}, err
	}
	p, err := openPush(ctx, st, orgID, id, inScope)
	if err != nil {
		return Push{}, err
	}
	cfg, err := st.Slots(ctx, orgID, p.GroupID)
	if err != nil {
		return Push{}, err
	}
	want, slot, err := w.In(cfg, p.Group)
	if err != nil {
		return Push{}, err
	}
	return st.MovePush(ctx, orgID, id, want, slot, actor)
}

// CancelPush cancels an open push to a group in scope.
func CancelPush(ctx context.Context, st Scheduler, orgID, id int64, inScope func(int64) bool, actor string) (Push, error) {
	if _, err := openPush(ctx, st, orgID, id, inScope); err != nil {
		return Push{}, err
	}
	return st.CancelPush(ctx, orgID, id, actor)
}
