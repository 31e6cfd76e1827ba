package content

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// fakeScheduler records what the planner asks of the store.
type fakeScheduler struct {
	groups  []community.Group
	parents map[int64]int64
	slots   map[int64]SlotConfig // by group; DefaultSlotSet in CST otherwise
	planned []PushRequest
	pushes  map[int64]PlannedPush
	moved   []time.Time
	tags    map[int64][]int64 // the groups of each group tag
}

func (f *fakeScheduler) Groups(context.Context, int64) ([]community.Group, error) {
	return f.groups, nil
}
func (f *fakeScheduler) NodeParents(context.Context) (map[int64]int64, error) { return f.parents, nil }
func (f *fakeScheduler) TagGroups(_ context.Context, _, tagID int64) ([]int64, error) {
	return f.tags[tagID], nil
}
func (f *fakeScheduler) Slots(_ context.Context, _ int64, g int64) (SlotConfig, error) {
	if c, ok := f.slots[g]; ok {
		return c, nil
	}
	return SlotConfig{SlotSet: SlotSet{Zone: "Asia/Shanghai", Slots: DefaultSlots()}, Source: "default"}, nil
}
func (f *fakeScheduler) PlanPush(_ context.Context, r PushRequest) (Push, error) {
	f.planned = append(f.planned, r)
	return Push{ID: int64(len(f.planned)), GroupID: r.GroupID, WantAt: r.Want, PlannedAt: r.Want, Status: PushPlanned}, nil
}
func (f *fakeScheduler) Push(_ context.Context, _ int64, id int64) (PlannedPush, error) {
	p, ok := f.pushes[id]
	if !ok {
		return p, errkind.Errorf(errkind.NotFound, "push %d not found", id)
	}
	return p, nil
}
func (f *fakeScheduler) MovePush(_ context.Context, _ int64, id int64, want time.Time, slot, _ string) (Push, error) {
	f.moved = append(f.moved, want)
	return Push{ID: id, WantAt: want, Slot: slot}, nil
}
func (f *fakeScheduler) CancelPush(_ context.Context, _ int64, id int64, _ string) (Push, error) {
	return Push{ID: id, Status: PushCancelled}, nil
}

func TestPlanPushes(t *testing.T) {
	ctx := context.Background()
	// Nodes: 1 the academy, 2 a branch under it, 3 the community.
	parents := map[int64]int64{1: 0, 2: 1, 3: 0}
	groups := []community.Group{
		{ID: 10, Name: "一期", Kind: community.KindCohort, NodeID: 2, Lifecycle: community.Active},
		{ID: 11, Name: "二期", Kind: community.KindCohort, NodeID: 1, Lifecycle: community.Active},
		{ID: 12, Name: "业主群", Kind: community.KindOwners, NodeID: 3, Lifecycle: community.Active},
		{ID: 13, Name: "旧群", Kind: community.KindCohort, NodeID: 2, Lifecycle: community.Archived},
	}
	newF := func() *fakeScheduler {
		return &fakeScheduler{groups: groups, parents: parents, slots: map[int64]SlotConfig{
			11: {SlotSet: SlotSet{Zone: "UTC", Slots: []Slot{{"morning", community.Clock{Hour: 9}}}}, Source: "group"},
		}}
	}
	morning := When{Date: "2026-12-01", Slot: "morning"}
	ids := func(f *fakeScheduler) (out []int64) {
		for _, r := range f.planned {
			out = append(out, r.GroupID)
		}
		return out
	}

	f := newF()
	if _, err := PlanPushes(ctx, f, PlanRequest{ScriptID: 1, Select: Selector{Kind: "cohort"}, When: morning}); err != nil {
		t.Fatal(err)
	}
	if got := ids(f); !equal(got, []int64{10, 11}) {
		t.Fatalf("kind cohort planned %v, want the active cohorts 10 11", got)
	}
	// Each group's peak in its own zone: 07:30 Shanghai, 09:00 UTC.
	if w := f.planned[0].Want; !w.Equal(time.Date(2026, 12, 1, 7, 30, 0, 0, cst)) || f.planned[0].Slot != "morning" {
		t.Fatalf("group 10 wanted at %v", w)
	}
	if w := f.planned[1].Want; !w.Equal(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("group 11 wanted at %v", w)
	}

	f = newF()
	if _, err := PlanPushes(ctx, f, PlanRequest{ScriptID: 1, Select: Selector{NodeID: 1}, When: When{At: at(26, 9, 0)}}); err != nil || !equal(ids(f), []int64{10, 11}) {
		t.Fatalf("node 1 and below: %v %v", ids(f), err)
	}
	// A secretary of node 2: the node's groups only, listed ones refused.
	branch := func(id int64) bool { return id == 10 || id == 13 }
	f = newF()
	if _, err := PlanPushes(ctx, f, PlanRequest{ScriptID: 1, Select: Selector{Kind: "cohort"}, When: morning, InScope: branch}); err != nil || !equal(ids(f), []int64{10}) {
		t.Fatalf("kind in scope: %v %v", ids(f), err)
	}
	bad := []struct {
		name string
		r    PlanRequest
		kind errkind.Kind
	}{
		{"listed outside the scope", PlanRequest{ScriptID: 1, Select: Selector{GroupIDs: []int64{10, 12}}, When: morning, InScope: branch}, errkind.Forbidden},
		{"unknown group", PlanRequest{ScriptID: 1, Select: Selector{GroupIDs: []int64{99}}, When: morning}, errkind.NotFound},
		{"archived group", PlanRequest{ScriptID: 1, Select: Selector{GroupIDs: []int64{13}}, When: morning}, errkind.Conflict},
		{"unknown node", PlanRequest{ScriptID: 1, Select: Selector{NodeID: 77}, When: morning}, errkind.NotFound},
		{"unknown kind", PlanRequest{ScriptID: 1, Select: Selector{Kind: "wizards"}, When: morning}, errkind.Invalid},
		{"nothing matches in scope", PlanRequest{ScriptID: 1, Select: Selector{Kind: "owners"}, When: morning, InScope: branch}, errkind.Invalid},
		{"no time", PlanRequest{ScriptID: 1, Select: Selector{Kind: "cohort"}}, errkind.Invalid},
		{"a bad date", PlanRequest{ScriptID: 1, Select: Selector{Kind: "cohort"}, When: When{Date: "12/01", Slot: "morning"}}, errkind.Invalid},
		{"a peak one group lacks", PlanRequest{ScriptID: 1, Select: Selector{Kind: "cohort"}, When: When{Date: "2026-12-01", Slot: "noon"}}, errkind.Invalid},
		{"no script", PlanRequest{Select: Selector{Kind: "cohort"}, When: morning}, errkind.Invalid},
	}
	for _, b := range bad {
		f := newF()
		if _, err := PlanPushes(ctx, f, b.r); !errkind.Is(err, b.kind) || len(f.planned) != 0 {
			t.Errorf("%s: %v (planned %v), want %s and nothing planned", b.name, err, ids(f), b.kind)
		}
	}
}

func TestMoveAndCancelPush(t *testing.T) {
	ctx := context.Background()
	f := &fakeScheduler{pushes: map[int64]PlannedPush{
		1: {Push: Push{ID: 1, GroupID: 10, Status: PushPlanned}, Group: "一期"},
		2: {Push: Push{ID: 2, GroupID: 12, Status: PushPlanned}, Group: "业主群"},
		3: {Push: Push{ID: 3, GroupID: 10, Status: PushSent}, Group: "一期"},
	}}
	scope := func(id int64) bool { return id == 10 }
	p, err := MovePush(ctx, f, 0, 1, When{Date: "2026-12-02", Slot: "evening"}, scope, "user:sec")
	if err != nil || p.Slot != "evening" || !f.moved[0].Equal(time.Date(2026, 12, 2, 20, 30, 0, 0, cst)) {
		t.Fatalf("move: %+v %v %v", p, f.moved, err)
	}
	for _, c := range []struct {
		id   int64
		w    When
		kind errkind.Kind
	}{{2, When{At: at(26, 9, 0)}, errkind.Forbidden}, {3, When{At: at(26, 9, 0)}, errkind.Conflict}, {9, When{At: at(26, 9, 0)}, errkind.NotFound}, {1, When{Slot: "evening"}, errkind.Invalid}, {1, When{Date: "2026-12-02", Slot: "midnight"}, errkind.Invalid}} {
		if _, err := MovePush(ctx, f, 0, c.id, c.w, scope, "user:sec"); !errkind.Is(err, c.kind) {
			t.Errorf("move %d %+v: %v, want %s", c.id, c.w, err, c.kind)
		}
	}
	if _, err := CancelPush(ctx, f, 0, 2, scope, "user:sec"); !errkind.Is(err, errkind.Forbidden) {
		t.Errorf("cancel outside the scope: %v", err)
	}
	if p, err := CancelPush(ctx, f, 0, 1, scope, "user:sec"); err != nil || p.Status != PushCancelled {
		t.Errorf("cancel: %+v %v", p, err)
	}
}

// TestPlanPushesToTag: a tag's groups as the request's, with the listed
// ones, its archived groups and those outside the scope left out; an
// empty tag plans nothing (never every group).
func TestPlanPushesToTag(t *testing.T) {
	ctx := context.Background()
	f := func() *fakeScheduler {
		return &fakeScheduler{groups: []community.Group{
			{ID: 10, Name: "一期", Kind: community.KindCohort, Lifecycle: community.Active},
			{ID: 11, Name: "二期", Kind: community.KindCohort, Lifecycle: community.Active},
			{ID: 12, Name: "业主群", Kind: community.KindOwners, Lifecycle: community.Active},
			{ID: 13, Name: "旧群", Kind: community.KindCohort, Lifecycle: community.Archived},
		}, tags: map[int64][]int64{5: {11, 13}, 6: {12}, 7: nil}}
	}
	morning := When{Date: "2026-12-01", Slot: "morning"}
	for _, c := range []struct {
		name    string
		sel     Selector
		inScope func(int64) bool
		want    []int64
	}{
		{"the tag", Selector{TagID: 5}, nil, []int64{11}},
		{"the tag and a listed group", Selector{TagID: 5, GroupIDs: []int64{10}}, nil, []int64{10, 11}},
		{"a kind does not widen a tag", Selector{TagID: 6, Kind: "cohort"}, nil, []int64{12}},
		{"in scope", Selector{TagID: 5}, func(id int64) bool { return id != 11 }, nil},
	} {
		s := f()
		_, err := PlanPushes(ctx, s, PlanRequest{ScriptID: 1, Select: c.sel, When: morning, InScope: c.inScope})
		var got []int64
		for _, r := range s.planned {
			got = append(got, r.GroupID)
		}
		if c.want == nil && !errors.Is(err, ErrNoGroup) || c.want != nil && (err != nil || !equal(got, c.want)) {
			t.Errorf("%s: planned %v (%v), want %v", c.name, got, err, c.want)
		}
	}
	s := f()
	if _, err := PlanPushes(ctx, s, PlanRequest{ScriptID: 1, Select: Selector{TagID: 7}, When: morning}); !errors.Is(err, ErrNoGroup) || len(s.planned) != 0 {
		t.Fatalf("an empty tag: %v, %d planned", err, len(s.planned))
	}
}
