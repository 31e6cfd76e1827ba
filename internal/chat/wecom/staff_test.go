package wecom_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/community"
)

// TestStaffToldToTheListener: a group's owner, admins and corp members are
// told once after its events are stored, again when they change (an
// admin's removal names them as a former admin), not on a sync that finds
// them unchanged; a failing listener is told again on the next callback;
// a dismissed group is told, again until the listener takes it.
func TestStaffToldToTheListener(t *testing.T) {
	l := newListener()
	w := newWorld(t, func(c *wecom.Config) { c.Listener = l })
	want := community.PlatformStaff{Owner: ownerA, Admins: []string{"lisi"}, Staff: []string{ownerA}}
	if got := l.told(chatA); len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("the first sync told %+v, want %+v", got, want)
	}
	w.restart(func(c *wecom.Config) { c.Listener = l }) // a sync that finds nothing new
	if n := len(l.told(chatA)); n != 1 {
		t.Fatalf("an unchanged group was told %d times", n)
	}

	// A corp member joins, lisi is no admin any more, wangwu is; the
	// listener fails at first.
	w.fake.SetAdmins(chatA, "wangwu")
	n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wangwu", Type: wecom.MemberStaff, JoinScene: wecom.JoinInvited, Invitor: invitor(ownerA)})
	l.setFail(errors.New("database down"))
	if code, _, _ := w.cb.Post(n); code != 500 {
		t.Fatalf("a callback whose staff could not be recorded: %d, want 500 (WeCom tries again)", code)
	}
	l.setFail(nil)
	w.post(n) // WeCom's retry
	got := l.told(chatA)
	want = community.PlatformStaff{Owner: ownerA, Admins: []string{"wangwu"}, Staff: []string{"wangwu", ownerA}, FormerAdmins: []string{"lisi"}}
	if len(got) != 2 || fmt.Sprint(got[1]) != fmt.Sprint(want) {
		t.Fatalf("after the change: %+v, want %+v", got, want)
	}

	// Handed to another owner.
	n, _ = w.fake.ChangeOwner(chatA, "wangwu")
	w.post(n)
	if got := l.told(chatA); len(got) != 3 || got[2].Owner != "wangwu" {
		t.Fatalf("after change_owner: %+v", got)
	}

	// Dismissed: told once the leaves are stored, and again after a
	// failure.
	l.setFail(errors.New("database down"))
	if code, _, _ := w.cb.Post(w.fake.Dismiss(chatA)); code != 500 {
		t.Fatalf("a dismissal that could not be recorded: %d", code)
	}
	l.setFail(nil)
	w.restart(func(c *wecom.Config) { c.Listener = l }) // the group is missing from the list: gone
	if !slices.Equal(l.dismissed, []string{chatA}) {
		t.Fatalf("dismissed: %v", l.dismissed)
	}
}
