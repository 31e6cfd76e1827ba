package analytics

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// TestFindDuplicates: a member in three groups of one family (kept in the
// earliest, or the one she posts most in), one in two groups of different
// families (no duplicate), one in four unrelated groups (over a threshold
// of three), one in a single group.
func TestFindDuplicates(t *testing.T) {
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, cst())
	day := func(n int) time.Time { return t0.AddDate(0, 0, n) }
	seats := []Seat{
		{Person: 1, Name: "阿珍", Group: 12, Family: 7, JoinedAt: day(10), Messages: 40},
		{Person: 1, Name: "阿珍", Group: 11, Family: 7, JoinedAt: day(0), Messages: 2},
		{Person: 1, Name: "阿珍", Group: 13, Family: 7, JoinedAt: day(20), Messages: 0},
		{Person: 1, Name: "阿珍", Group: 30, JoinedAt: day(5)},
		{Person: 2, Name: "阿强", Group: 11, Family: 7, JoinedAt: day(1)},
		{Person: 2, Name: "阿强", Group: 21, Family: 8, JoinedAt: day(2)},
		{Person: 3, Name: "老黄", Group: 30, JoinedAt: day(1)},
		{Person: 3, Name: "老黄", Group: 31, JoinedAt: day(2)},
		{Person: 3, Name: "老黄", Group: 32, JoinedAt: day(3)},
		{Person: 3, Name: "老黄", Group: 33, JoinedAt: day(4)},
		{Person: 4, Name: "小林", Group: 11, Family: 7, JoinedAt: day(3)},
	}
	got := FindDuplicates(seats, 3, KeepEarliest)
	if len(got) != 2 || got[0].Person != 3 || got[1].Person != 1 {
		t.Fatalf("duplicates %+v", got)
	}
	lao, zhen := got[0], got[1]
	if !lao.Overall || len(lao.Families) != 0 || len(lao.Remove()) != 0 {
		t.Errorf("老黄 %+v", lao)
	}
	if !zhen.Overall || len(zhen.Seats) != 4 || zhen.Seats[0].Group != 11 || len(zhen.Families) != 1 {
		t.Fatalf("阿珍 %+v", zhen)
	}
	f := zhen.Families[0]
	if f.Family != 7 || len(f.Seats) != 3 || f.Keep != 11 {
		t.Errorf("阿珍's family %+v", f)
	}
	if rm := zhen.Remove(); len(rm) != 2 || rm[0].Group != 12 || rm[1].Group != 13 {
		t.Errorf("阿珍 leaves %+v", rm)
	}
	active := FindDuplicates(seats, 0, KeepActive)
	if len(active) != 1 || active[0].Families[0].Keep != 12 {
		t.Errorf("kept by activity: %+v", active)
	}
	// A tie on activity goes to the earlier join.
	if k := KeepActive.Keep([]Seat{{Group: 5, JoinedAt: day(3), Messages: 1}, {Group: 4, JoinedAt: day(2), Messages: 1}}); k.Group != 4 {
		t.Errorf("tie: kept %d", k.Group)
	}
	if KeepRule("newest").Valid() || !KeepActive.Valid() {
		t.Error("Valid")
	}
}

// TestLeaves: a regular who left is formerly active, one who posted once a
// fortnight ago is not; tenure; a departed staff member.
func TestLeaves(t *testing.T) {
	loc := cst()
	left := time.Date(2026, 11, 20, 15, 0, 0, 0, loc)
	d := DayOf(left, loc)
	regular := Leave{JoinedAt: left.AddDate(0, -3, 0), LeftAt: left, ActiveDays: []Day{d - 5, d - 1}}
	faded := Leave{JoinedAt: left.AddDate(0, 0, -40), LeftAt: left, ActiveDays: []Day{d - 14}}
	core := Leave{LeftAt: left, ActiveDays: []Day{d - 29, d - 25, d - 20, d - 18, d - 15, d - 12, d - 9}}
	if !regular.FormerlyActive(loc) || faded.FormerlyActive(loc) || !core.FormerlyActive(loc) {
		t.Errorf("formerly active: regular %v, faded %v, core %v", regular.FormerlyActive(loc), faded.FormerlyActive(loc), core.FormerlyActive(loc))
	}
	if faded.Tenure() != 40*24*time.Hour {
		t.Errorf("tenure %v", faded.Tenure())
	}
	if !(Leave{Role: community.RoleOwner}).StaffLeft() || (Leave{Role: community.RoleMember}).StaffLeft() {
		t.Error("StaffLeft")
	}
}

func TestSuccessor(t *testing.T) {
	cands := []Candidate{
		{PersonID: 1, Role: community.RoleOwner, Messages: 90}, // the one who left
		{PersonID: 2, Role: community.RoleAssistant, Messages: 30},
		{PersonID: 3, Role: community.RoleSecretary, Messages: 30},
		{PersonID: 4, Role: community.RoleAssistant, Messages: 12},
		{PersonID: 5, Role: community.RoleMember, Messages: 300},
	}
	if c, ok := Successor(cands, 1); !ok || c.PersonID != 3 {
		t.Errorf("successor %+v %v, want the secretary on a tie", c, ok)
	}
	cands[1].Messages = 31
	if c, _ := Successor(cands, 1); c.PersonID != 2 {
		t.Errorf("successor %+v, want the most active", c)
	}
	if _, ok := Successor(cands[:1], 1); ok {
		t.Error("a group without other staff has no successor")
	}
	if c, _ := Successor([]Candidate{{PersonID: 9, Role: community.RoleAssistant}, {PersonID: 8, Role: community.RoleAssistant}}, 1); c.PersonID != 8 {
		t.Errorf("tie on everything: %+v", c)
	}
}
