package store_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func TestSetGroupRole(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		// Four members with platform ids u0…u3 on the group's connection.
		var ps []int64
		for i := range 4 {
			var p int64
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				var err error
				p, err = tx.ResolvePerson(ctx, org.ID, "wx", "webhook", chat.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("成员", i)})
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: p, Role: community.RoleMember, JoinedAt: time.Now()}); err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		outsider := community.Person{OrgID: org.ID, Name: "路人"}
		if err := db.CreatePerson(ctx, &outsider); err != nil {
			t.Fatal(err)
		}
		set := func(person int64, role, former community.Role, sync bool) (community.RoleChanged, error) {
			return db.SetGroupRole(ctx, community.RoleChange{OrgID: org.ID, GroupID: g.ID, PersonID: person, Role: role, FormerOwner: former, Sync: sync, Actor: "staff:admin"})
		}
		for _, tt := range []struct {
			name   string
			org    int64
			group  int64
			person int64
			role   community.Role
			want   errkind.Kind
		}{
			{"unknown role", org.ID, g.ID, ps[0], "boss", errkind.Invalid},
			{"unknown person", org.ID, g.ID, 99999, community.RoleAssistant, errkind.NotFound},
			{"not a member", org.ID, g.ID, outsider.ID, community.RoleAssistant, errkind.NotFound},
			{"unknown group", org.ID, 99999, ps[0], community.RoleAssistant, errkind.NotFound},
			{"another organisation's group", org.ID + 1, g.ID, ps[0], community.RoleAssistant, errkind.NotFound},
		} {
			_, err := db.SetGroupRole(ctx, community.RoleChange{OrgID: tt.org, GroupID: tt.group, PersonID: tt.person, Role: tt.role, Actor: "t"})
			if !errkind.Is(err, tt.want) {
				t.Errorf("%s: %v, want %s", tt.name, err, tt.want)
			}
		}
		roles := func() map[int64]community.Role { return rolesIn(t, db, g.ID) }
		pulled := func() []string {
			acts, _ := db.PullActions(ctx, []string{"wx"}, 0, 100)
			var out []string
			for _, a := range acts {
				out = append(out, string(a.Action.Kind)+":"+a.Action.User+":"+a.Action.Text)
			}
			return out
		}

		// u0 becomes owner (no owner before), u1 assistant then secretary
		// (staff to staff: nothing to sync), u2 assistant without sync (a
		// platform without admins).
		if res, err := set(ps[0], community.RoleOwner, "", true); err != nil || res.From != community.RoleMember || res.FormerOwner != 0 || res.Synced != 1 {
			t.Fatalf("first owner: %+v %v", res, err)
		}
		set(ps[1], community.RoleAssistant, "", true)
		set(ps[1], community.RoleSecretary, "", true)
		set(ps[2], community.RoleAssistant, "", false)
		if got := fmt.Sprint(pulled()); got != "[set_role:u0:admin set_role:u1:admin]" {
			t.Fatalf("synced actions: %s", got)
		}
		// The owner cannot be demoted except by appointing another.
		if _, err := set(ps[0], community.RoleMember, "", true); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("demoting the owner: %v, want a conflict", err)
		}
		// Setting a role someone has changes nothing.
		if res, err := set(ps[2], community.RoleAssistant, "", true); err != nil || res.From != community.RoleAssistant || res.Synced != 0 {
			t.Fatalf("the same role again: %+v %v", res, err)
		}
		// u3 becomes owner: u0 becomes a member in the same change and
		// loses admin on the platform; u3 gains it.
		res, err := set(ps[3], community.RoleOwner, "", true)
		if err != nil || res.FormerOwner != ps[0] || res.Synced != 2 {
			t.Fatalf("owner moves to u3: %+v %v", res, err)
		}
		want := map[int64]community.Role{ps[0]: community.RoleMember, ps[1]: community.RoleSecretary, ps[2]: community.RoleAssistant, ps[3]: community.RoleOwner}
		if got := roles(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("roles after the move: %v, want %v", got, want)
		}
		if got := pulled(); !slices.Contains(got, "set_role:u0:member") || !slices.Contains(got, "set_role:u3:admin") {
			t.Fatalf("synced actions after the move: %v", got)
		}
		// The secretary u1 becomes owner and u3 a secretary: staff to
		// staff both ways, nothing to sync.
		before := len(pulled())
		if res, err := set(ps[1], community.RoleOwner, community.RoleSecretary, true); err != nil || res.FormerOwner != ps[3] || res.Synced != 0 {
			t.Fatalf("owner moves to the secretary: %+v %v", res, err)
		}
		if got := roles(); got[ps[1]] != community.RoleOwner || got[ps[3]] != community.RoleSecretary || len(pulled()) != before {
			t.Fatalf("roles after the second move: %v", got)
		}
		// Exactly one owner, and the move is in the audit log.
		owners := 0
		for _, r := range roles() {
			if r == community.RoleOwner {
				owners++
			}
		}
		if owners != 1 {
			t.Fatalf("%d owners", owners)
		}
		log, _ := db.AuditLog(ctx, org.ID, community.Page{Limit: 1})
		if len(log) != 1 || log[0].Action != "member.role" || log[0].Actor != "staff:admin" || log[0].Subject != fmt.Sprintf("person:%d", ps[1]) {
			t.Fatalf("audit: %+v", log)
		}
		// A platform report of an owner moves the role too.
		if err := db.SetRole(ctx, "wx", "g1", "u2", community.RoleOwner); err != nil {
			t.Fatal(err)
		}
		if got := roles(); got[ps[2]] != community.RoleOwner || got[ps[1]] != community.RoleMember {
			t.Fatalf("roles after the platform's report: %v", got)
		}
		if err := db.SetRole(ctx, "wx", "g1", "nobody", community.RoleOwner); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("SetRole of an unknown user: %v", err)
		}
	})
}

func TestFindPeople(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		other := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "黄梅群"}
		if err := db.CreateGroup(ctx, &other); err != nil {
			t.Fatal(err)
		}
		add := func(name, nickname string, group int64, left bool) int64 {
			p := community.Person{OrgID: org.ID, Name: name}
			if err := db.CreatePerson(ctx, &p); err != nil {
				t.Fatal(err)
			}
			m := community.Membership{GroupID: group, PersonID: p.ID, Nickname: nickname, JoinedAt: time.Now()}
			if left {
				at := time.Now()
				m.LeftAt = &at
			}
			if err := db.AddMembership(ctx, &m); err != nil {
				t.Fatal(err)
			}
			return p.ID
		}
		wang := add("王芳", "", g.ID, false)
		wangxl := add("王小丽", "5-1-3305 王小丽", other.ID, false)
		amy := add("Amy Wang", "", g.ID, false)
		gone := add("王刚", "", g.ID, true)
		pct := add("100%满意", "", g.ID, false)
		find := func(text string, groups []int64) []int64 {
			t.Helper()
			ms, err := db.FindPeople(ctx, org.ID, text, groups, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return ids
		}
		if got := find("王", nil); fmt.Sprint(got) != fmt.Sprint([]int64{wang, gone, wangxl}) {
			t.Fatalf("王: %v, want 王芳, 王刚, 王小丽 (%d %d %d)", got, wang, gone, wangxl)
		}
		if got := find("3305", nil); fmt.Sprint(got) != fmt.Sprint([]int64{wangxl}) {
			t.Fatalf("by nickname: %v", got)
		}
		if got := find("wang", nil); fmt.Sprint(got) != fmt.Sprint([]int64{amy}) {
			t.Fatalf("any case: %v", got)
		}
		if got := find("%", nil); fmt.Sprint(got) != fmt.Sprint([]int64{pct}) {
			t.Fatalf("%% is a character, not a wildcard: %v", got)
		}
		// In a scope: the groups people are in now.
		if got := find("王", []int64{other.ID}); fmt.Sprint(got) != fmt.Sprint([]int64{wangxl}) {
			t.Fatalf("in 黄梅群: %v", got)
		}
		if got := find("王", []int64{}); len(got) != 0 {
			t.Fatalf("in no group: %v", got)
		}
		if got := find("  ", nil); len(got) != 0 {
			t.Fatalf("blank: %v", got)
		}
		ms, _ := db.FindPeople(ctx, org.ID, "王芳", nil, 10)
		if len(ms) != 1 || fmt.Sprint(ms[0].Groups) != fmt.Sprint([]int64{g.ID}) || ms[0].Name != "王芳" {
			t.Fatalf("王芳: %+v", ms)
		}
		if ms, _ := db.FindPeople(ctx, org.ID+1, "王", nil, 10); len(ms) != 0 {
			t.Fatalf("another organisation finds %+v", ms)
		}
	})
}
