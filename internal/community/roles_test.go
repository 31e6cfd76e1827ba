package community

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestRoleChangeValidate(t *testing.T) {
	for _, tt := range []struct {
		name   string
		c      RoleChange
		former Role
		bad    bool
	}{
		{name: "owner, former owner a member by default", c: RoleChange{GroupID: 1, PersonID: 2, Role: RoleOwner}, former: RoleMember},
		{name: "owner, former owner a secretary", c: RoleChange{GroupID: 1, PersonID: 2, Role: RoleOwner, FormerOwner: RoleSecretary}, former: RoleSecretary},
		{name: "assistant", c: RoleChange{GroupID: 1, PersonID: 2, Role: RoleAssistant}, former: RoleMember},
		{name: "unknown role", c: RoleChange{GroupID: 1, PersonID: 2, Role: "admin"}, bad: true},
		{name: "empty role", c: RoleChange{GroupID: 1, PersonID: 2}, bad: true},
		{name: "former owner an owner", c: RoleChange{GroupID: 1, PersonID: 2, Role: RoleOwner, FormerOwner: RoleOwner}, bad: true},
		{name: "former owner an assistant", c: RoleChange{GroupID: 1, PersonID: 2, Role: RoleOwner, FormerOwner: RoleAssistant}, bad: true},
		{name: "no person", c: RoleChange{GroupID: 1, Role: RoleMember}, bad: true},
		{name: "no group", c: RoleChange{PersonID: 1, Role: RoleMember}, bad: true},
	} {
		err := tt.c.Validate()
		switch {
		case tt.bad && !errkind.Is(err, errkind.Invalid):
			t.Errorf("%s: %v, want invalid", tt.name, err)
		case !tt.bad && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case !tt.bad && tt.c.FormerOwner != tt.former:
			t.Errorf("%s: former owner becomes %q, want %q", tt.name, tt.c.FormerOwner, tt.former)
		}
	}
}

func TestPlatformRole(t *testing.T) {
	for _, tt := range []struct {
		from, to Role
		text     string
	}{
		{RoleMember, RoleAssistant, "admin"},
		{RoleMember, RoleOwner, "admin"},
		{RoleSecretary, RoleMember, "member"},
		{RoleOwner, RoleMember, "member"},
		{RoleOwner, RoleSecretary, ""},
		{RoleAssistant, RoleSecretary, ""},
		{RoleMember, RoleMember, ""},
	} {
		text, needed := PlatformRole(tt.from, tt.to)
		if text != tt.text || needed != (tt.text != "") {
			t.Errorf("%s → %s: %q %v, want %q", tt.from, tt.to, text, needed, tt.text)
		}
	}
	if !RoleOwner.Leader() || !RoleSecretary.Leader() || RoleAssistant.Leader() || RoleMember.Leader() {
		t.Error("Leader: want owner and secretary only")
	}
}

func TestOutOfOrder(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC) }
	yx := map[string]string{"county": "阳新", "year": "2026"}
	hm := map[string]string{"year": "2026", "county": "黄梅"}
	task := func(id int64, step int, vars map[string]string, group int64) GroupTask {
		t := GroupTask{ID: id, TemplateID: 1, Step: step, Vars: vars, GroupID: group, Origin: OriginTemplate, Status: TaskOpen}
		if group != 0 {
			t.Status = TaskDone
		}
		return t
	}
	tasks := []GroupTask{
		// 阳新: lecturers (step 1) and one topic group (2) in order; the
		// cohort group (4) before enrolment (3) was created; all-hands (5)
		// before the cohort group.
		task(1, 1, yx, 101), task(2, 2, yx, 102), task(3, 3, yx, 0), task(4, 4, yx, 104), task(5, 5, yx, 105),
		// 黄梅 (the same template, other values): step 2 before step 1,
		// whose group came later; step 3 after both.
		task(11, 1, hm, 111), task(12, 2, hm, 112), task(13, 3, hm, 113),
		// An overflow group of 阳新's cohort family, long after: never
		// out of order, and never holding others back.
		{ID: 6, TemplateID: 1, Step: 4, Vars: yx, GroupID: 106, Origin: OriginOverflow, Status: TaskDone},
		{ID: 7, TemplateID: 1, Step: 2, Vars: yx, Origin: OriginOverflow, Status: TaskOpen},
		// Another template: its open first step holds nothing of template 1 back.
		{ID: 21, TemplateID: 2, Step: 1, Vars: yx, Origin: OriginTemplate, Status: TaskOpen},
	}
	created := map[int64]time.Time{101: day(1), 102: day(2), 104: day(3), 105: day(2),
		111: day(5), 112: day(4), 113: day(6), 106: day(1)}
	got := OutOfOrder(tasks, created)
	want := map[int64]int{4: 3, 5: 3, 12: 1}
	if len(got) != len(want) {
		t.Fatalf("out of order: %v, want %v", got, want)
	}
	for id, step := range want {
		if got[id] != step {
			t.Errorf("task %d: before step %d, want %d (all: %v)", id, got[id], step, got)
		}
	}
	// Same values in another order are one application.
	if (GroupTask{TemplateID: 1, Vars: map[string]string{"a": "1", "b": "2"}}).Application() != (GroupTask{TemplateID: 1, Vars: map[string]string{"b": "2", "a": "1"}}).Application() {
		t.Error("Application depends on the order of the values")
	}
}
