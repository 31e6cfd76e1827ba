package store_test

import (
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// replayWorld is a cohort group and an owners' group with a lecturer, a
// member who left and came back, and a member made 店小二 after her
// messages were stored (and one of them moderated).
type replayWorld struct {
	org                         community.Org
	cohort, owners, lecturers   community.Group
	teacher, wang, xiaoer, boss int64
	t0                          time.Time
}

func seedReplay(t *testing.T, db *store.DB, now time.Time) replayWorld {
	t.Helper()
	w := replayWorld{t0: now.Add(-48 * time.Hour)}
	w.org, w.cohort = seedOrg(t, db)
	w.owners = community.Group{OrgID: w.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g2", Name: "万景城业主群", Kind: community.KindOwners}
	w.lecturers = community.Group{OrgID: w.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "lect", Name: "讲师群", Kind: community.KindLecturer}
	for _, g := range []*community.Group{&w.owners, &w.lecturers} {
		if err := db.CreateGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	t0 := w.t0
	msg := func(g community.Group, person int64, id, text, reply string, at time.Duration) community.Message {
		return community.Message{GroupID: g.ID, PersonID: person, ExternalID: id, Kind: chat.KindText, Text: text, ReplyTo: reply, SentAt: t0.Add(at)}
	}
	err := db.Ingest(ctx, func(tx pipeline.Tx) error {
		person := func(user, name string) int64 {
			p, err := tx.ResolvePerson(ctx, w.org.ID, "wx", "webhook", chat.User{ID: user, Name: name})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		w.teacher, w.wang, w.xiaoer, w.boss = person("u-teacher", "李老师"), person("u-wang", "小王"), person("u-xiaoer", "小二"), person("u-boss", "群主")
		left := t0.Add(-5 * 24 * time.Hour)
		for _, m := range []community.Membership{
			{GroupID: w.lecturers.ID, PersonID: w.teacher, Role: community.RoleMember, JoinedAt: t0.Add(-90 * 24 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.teacher, Role: community.RoleMember, JoinedAt: t0.Add(-30 * 24 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.wang, Role: community.RoleMember, JoinedAt: t0.Add(-30 * 24 * time.Hour), LeftAt: &left},
			{GroupID: w.owners.ID, PersonID: w.wang, Role: community.RoleMember, JoinedAt: t0.Add(-30 * 24 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.xiaoer, Role: community.RoleMember, JoinedAt: t0.Add(-30 * 24 * time.Hour)},
			{GroupID: w.owners.ID, PersonID: w.xiaoer, Role: community.RoleMember, JoinedAt: t0.Add(-30 * 24 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.boss, Role: community.RoleOwner, JoinedAt: t0.Add(-60 * 24 * time.Hour)},
		} {
			if err := tx.AddMembership(ctx, &m); err != nil {
				return err
			}
			if m.LeftAt != nil { // left, and came back a day before the period
				if err := tx.EndMembership(ctx, m.ID, *m.LeftAt, chat.LeftVoluntarily); err != nil {
					return err
				}
				if err := tx.AddMembership(ctx, &community.Membership{GroupID: m.GroupID, PersonID: m.PersonID, Role: m.Role, JoinedAt: t0.Add(-24 * time.Hour)}); err != nil {
					return err
				}
			}
		}
		err := tx.InsertMessages(ctx, []community.Message{
			msg(w.cohort, w.wang, "m0", "上个月的消息", "", -40*24*time.Hour), // before the period
			msg(w.cohort, w.wang, "m1", "大家好", "", time.Hour),
			msg(w.cohort, w.xiaoer, "m2", "加我微信 abc12345 领资料", "", 2*time.Hour),
			msg(w.cohort, w.wang, "m3", "收到，谢谢", "m2", 3*time.Hour),
			msg(w.cohort, w.wang, "m6", "加 薇 信 abc1688 领资料", "m1", 4*time.Hour),
			msg(w.owners, w.wang, "m5", "业主群的消息", "", 150*time.Minute),
			// Stored later, sent earlier: an import catching up.
			msg(w.cohort, w.teacher, "m4", "今天的课件我整理好了，需要的同学私聊我", "", 30*time.Minute),
		})
		if err != nil {
			return err
		}
		for _, a := range []community.ModerationAction{
			{GroupID: w.cohort.ID, PersonID: w.xiaoer, MessageID: "m2", Action: chat.ActDelete, Rule: "网商学院群规/categories.ad", Category: "ad", CreatedAt: t0.Add(2 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.wang, MessageID: "m6", Action: chat.ActSend, Rule: "网商学院群规/categories.ad", Category: "ad", CreatedAt: t0.Add(4 * time.Hour)},
			{GroupID: w.cohort.ID, PersonID: w.wang, MessageID: "m6", Action: chat.ActKick, Rule: "report", Category: "report", CreatedAt: t0.Add(5 * time.Hour)},
			{GroupID: w.owners.ID, PersonID: w.xiaoer, MessageID: "x9", Action: chat.ActDelete, Rule: "业主群群规/categories.ad", Category: "ad", CreatedAt: t0.Add(time.Hour)},
		} {
			a.OrgID, a.Actor = w.org.ID, "rules"
			if err := tx.RecordModeration(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 小二 is made 店小二 of the cohort after all that.
	if _, err := db.SetGroupRole(ctx, community.RoleChange{OrgID: w.org.ID, GroupID: w.cohort.ID, PersonID: w.xiaoer, Role: community.RoleAssistant, Actor: "staff:admin"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// replayed is what ReplayMessages streams, all of it, and its count.
func replayed(t *testing.T, db *store.DB, orgID int64, groups []int64, since, until time.Time) (int, []rules.Stored) {
	t.Helper()
	total, seq, err := db.ReplayMessages(ctx, orgID, groups, since, until)
	if err != nil {
		t.Fatal(err)
	}
	var got []rules.Stored
	for s, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	return total, got
}

// TestReplayMessages: the period's messages oldest first, each with its
// sender's role now, user id, stint, whether they teach there and whether
// it replies to staff, and the harshest action recorded about it.
func TestReplayMessages(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		w := seedReplay(t, db, clk.Now())
		since, until := w.t0, clk.Now()
		total, got := replayed(t, db, w.org.ID, []int64{w.cohort.ID}, since, until)
		if total != 5 || len(got) != 5 {
			t.Fatalf("total %d, streamed %d, want 5: %+v", total, len(got), got)
		}
		texts := []string{}
		for _, s := range got {
			texts = append(texts, s.Text)
		}
		want := []string{"今天的课件我整理好了，需要的同学私聊我", "大家好", "加我微信 abc12345 领资料", "收到，谢谢", "加 薇 信 abc1688 领资料"}
		for i := range want {
			if texts[i] != want[i] {
				t.Fatalf("order: %q, want %q", texts, want)
			}
		}
		teacher, wang, xiaoer, reply, twice := got[0], got[1], got[2], got[3], got[4]
		if !teacher.Lecturer || teacher.Role != "member" || teacher.UserID != "u-teacher" || teacher.GroupKind != "cohort" || teacher.Done != "" {
			t.Errorf("the lecturer's message: %+v", teacher)
		}
		if wang.Lecturer || wang.ToStaff || !wang.JoinedAt.Equal(w.t0.Add(-24*time.Hour)) || !wang.At.Equal(w.t0.Add(time.Hour)) || wang.PersonID != w.wang {
			t.Errorf("小王's message (his second stint): %+v", wang)
		}
		if xiaoer.Role != "assistant" || !xiaoer.Lecturer || xiaoer.Done != chat.ActDelete || xiaoer.DoneRule != "网商学院群规/categories.ad" {
			t.Errorf("the message of the member made 店小二 since: %+v", xiaoer)
		}
		if !reply.ToStaff {
			t.Errorf("a reply to 店小二 is not to staff: %+v", reply)
		}
		if twice.ToStaff || twice.Done != chat.ActKick || twice.DoneRule != "report" {
			t.Errorf("warned, then removed on a report: %+v", twice)
		}
		// A period that begins after the message replied to: the staff's
		// messages before it are read to answer "does it reply to staff?".
		_, late := replayed(t, db, w.org.ID, []int64{w.cohort.ID}, w.t0.Add(150*time.Minute), until)
		if len(late) != 2 || late[0].Text != "收到，谢谢" || !late[0].ToStaff || late[1].ToStaff {
			t.Errorf("the replies of a later period: %+v", late)
		}
		// Both groups: the owners' group's message among them, by time.
		total, seq, err := db.ReplayMessages(ctx, w.org.ID, []int64{w.cohort.ID, w.owners.ID}, since, until)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for s, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			if n++; n == 4 && (s.Text != "业主群的消息" || s.GroupKind != "owners" || s.Lecturer) {
				t.Errorf("fourth of both groups: %+v", s)
			}
		}
		if total != 6 || n != 6 {
			t.Errorf("both groups: %d of %d", n, total)
		}
		// Another organisation's groups, or none: nothing.
		if total, _, err := db.ReplayMessages(ctx, w.org.ID+1, []int64{w.cohort.ID}, since, until); err != nil || total != 0 {
			t.Errorf("another organisation's group: %d %v", total, err)
		}
		if total, _, err := db.ReplayMessages(ctx, w.org.ID, nil, since, until); err != nil || total != 0 {
			t.Errorf("no groups: %d %v", total, err)
		}
	})
}

// TestTeachesAndAddressesStaff: the context the live rules ask for.
func TestTeachesAndAddressesStaff(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		w := seedReplay(t, db, clk.Now())
		for _, tt := range []struct {
			g      community.Group
			person int64
			want   bool
		}{
			{w.cohort, w.teacher, true},  // in the lecturers' group
			{w.owners, w.teacher, false}, // no teaching group
			{w.cohort, w.xiaoer, true},   // the cohort's 店小二
			{w.owners, w.xiaoer, false},
			{w.cohort, w.wang, false},
		} {
			if got, err := db.Teaches(ctx, tt.g, tt.person); err != nil || got != tt.want {
				t.Errorf("Teaches(%s, %d) = %v %v, want %v", tt.g.Name, tt.person, got, err, tt.want)
			}
		}
		for _, tt := range []struct {
			g       community.Group
			replyTo string
			users   []string
			want    bool
		}{
			{w.cohort, "m2", nil, true},                     // 店小二's message
			{w.cohort, "m1", nil, false},                    // 小王's
			{w.cohort, "nope", nil, false},                  // unknown
			{w.cohort, "", []string{"u-boss"}, true},        // mentions the owner
			{w.cohort, "m1", []string{"u-wang"}, false},     // mentions a member
			{w.owners, "", []string{"u-xiaoer"}, false},     // a member there
			{w.cohort, "", []string{"u-xiaoer", "x"}, true}, // one of several
		} {
			if got, err := db.AddressesStaff(ctx, tt.g, tt.replyTo, clk.Now(), tt.users); err != nil || got != tt.want {
				t.Errorf("AddressesStaff(%s, %q, %v) = %v %v, want %v", tt.g.Name, tt.replyTo, tt.users, got, err, tt.want)
			}
		}
	})
}

// TestCountOffencesStaffNow: what was recorded against a member in a group
// where she is staff now no longer counts; elsewhere it does. The ingest
// transaction's count (pipeline.Ladder, what the rules ask inside the
// writer) says the same as the store's.
func TestCountOffencesStaffNow(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		w := seedReplay(t, db, clk.Now())
		count := func(person int64) int {
			t.Helper()
			since := clk.Now().AddDate(0, 0, -30)
			n, err := db.CountOffences(ctx, person, since)
			if err != nil {
				t.Fatal(err)
			}
			var inTx int
			if err := db.Ingest(ctx, func(tx pipeline.Tx) error {
				inTx, err = tx.CountOffences(ctx, person, since)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			if inTx != n {
				t.Fatalf("offences of %d: %d in the ingest transaction, %d in the store", person, inTx, n)
			}
			return n
		}
		if n := count(w.xiaoer); n != 1 {
			t.Fatalf("店小二's offences: %d, want 1 (the owners' group's)", n)
		}
		if n := count(w.wang); n != 2 {
			t.Fatalf("小王's offences: %d, want 2 (the warning, the removal on a report)", n)
		}
		// Made a member again: it counts again.
		if _, err := db.SetGroupRole(ctx, community.RoleChange{OrgID: w.org.ID, GroupID: w.cohort.ID, PersonID: w.xiaoer, Role: community.RoleMember, Actor: "staff:admin"}); err != nil {
			t.Fatal(err)
		}
		if n := count(w.xiaoer); n != 2 {
			t.Fatalf("a member again: %d offences, want 2", n)
		}
	})
}
