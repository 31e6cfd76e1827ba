package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var cst = time.FixedZone("CST", 8*3600)

// history is a hand-built community for the rollup tests.
type history struct {
	t     *testing.T
	db    *store.DB
	org   community.Org
	group community.Group
	seq   int
}

func newHistory(t *testing.T, db *store.DB, created time.Time) *history {
	t.Helper()
	ctx := context.Background()
	h := &history{t: t, db: db, org: community.Org{Name: "学院", Slug: "academy"}}
	if err := db.CreateOrg(ctx, &h.org); err != nil {
		t.Fatal(err)
	}
	h.group = community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "g1", Name: "第6期", Kind: community.KindCohort, CreatedAt: created}
	if err := db.CreateGroup(ctx, &h.group); err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *history) person(name string, role community.Role, joined time.Time) int64 {
	h.t.Helper()
	ctx := context.Background()
	p := community.Person{OrgID: h.org.ID, Name: name}
	if err := h.db.CreatePerson(ctx, &p); err != nil {
		h.t.Fatal(err)
	}
	if err := h.db.AddMembership(ctx, &community.Membership{GroupID: h.group.ID, PersonID: p.ID, Role: role, JoinedAt: joined}); err != nil {
		h.t.Fatal(err)
	}
	return p.ID
}

// post stores a message and returns its platform id.
func (h *history) post(person int64, at time.Time, text, replyTo string) string {
	h.t.Helper()
	h.seq++
	id := fmt.Sprintf("m%d", h.seq)
	err := h.db.Ingest(context.Background(), func(tx pipeline.Tx) error {
		return tx.InsertMessages(context.Background(), []community.Message{{GroupID: h.group.ID, PersonID: person, ExternalID: id, Kind: chat.KindText, Text: text, ReplyTo: replyTo, SentAt: at}})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return id
}

func TestRollupDayFigures(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, cst)
		h := newHistory(t, db, day.AddDate(0, -2, 0))
		owner := h.person("班主任", community.RoleOwner, day.AddDate(0, -2, 0))
		a := h.person("阿梅", community.RoleMember, day.AddDate(0, -1, 0))
		b := h.person("老周", community.RoleMember, day.AddDate(0, -1, 0))
		c := h.person("小陈", community.RoleMember, day.Add(9*time.Hour)) // joins that day

		h.post(a, day.Add(8*time.Hour), "早上好", "")
		h.post(a, day.Add(9*time.Hour), "今天学到三点：\n一、选品\n二、定价", "")
		h.post(a, day.Add(10*time.Hour), "请问明天几点上课？", "")
		h.post(owner, day.Add(10*time.Hour+20*time.Minute), "明早九点", "") // staff answer
		q := h.post(b, day.Add(23*time.Hour+50*time.Minute), "直播间怎么挂链接", "")
		h.post(c, day.Add(24*time.Hour+30*time.Minute), "在后台商品里添加", q) // a reply after midnight answers it
		// 01:00 on the 21st in Shanghai is the 20th in UTC: not this day.
		h.post(a, day.Add(25*time.Hour), "晚安", "")
		h.post(b, day.Add(-time.Minute), "昨天的最后一条", "")

		d := analytics.DayOf(day, cst)
		if err := db.RollupDay(ctx, h.org.ID, d, cst, day.Add(26*time.Hour)); err != nil {
			t.Fatal(err)
		}
		days, err := db.GroupDays(ctx, h.group.ID, d, d, cst)
		if err != nil {
			t.Fatal(err)
		}
		if len(days) != 1 {
			t.Fatalf("days = %+v", days)
		}
		g := days[0]
		want := analytics.GroupDay{Day: d, Date: day, Messages: 5, MemberMessages: 4, Communicators: 2, Questions: 2, Answered: 2, Joins: 1, Members: 3}
		if g.Day != want.Day || !g.Date.Equal(want.Date) || g.Messages != want.Messages || g.MemberMessages != want.MemberMessages || g.Communicators != want.Communicators ||
			g.Questions != want.Questions || g.Answered != want.Answered || g.Joins != want.Joins || g.Leaves != 0 || g.Members != want.Members {
			t.Fatalf("group day = %+v\nwant %+v", g, want)
		}
		top, err := db.TopPosters(ctx, h.org.ID, h.group.ID, d, d, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(top) != 2 || top[0].Name != "阿梅" || top[0].Messages != 3 || top[0].Substantive != 1 || top[1].Name != "老周" || top[1].Messages != 1 {
			t.Fatalf("top posters = %+v (the owner must not be ranked)", top)
		}
		if sub, _ := db.TopPosters(ctx, h.org.ID, 0, d, d, true, 10); len(sub) != 1 || sub[0].Name != "阿梅" {
			t.Fatalf("substantive posters = %+v", sub)
		}
		cf, err := db.RollupFigures(ctx, h.org.ID, d, 1, cst)
		if err != nil || len(cf.DailyCommunicators) != 1 || cf.DailyCommunicators[0].Count != 2 || cf.DailyJoins[0].Count != 1 || cf.Joined != 1 || cf.Left != 0 {
			t.Fatalf("console figures of the day: %+v %v", cf, err)
		}
		// Running the day again replaces it.
		if err := db.RollupDay(ctx, h.org.ID, d, cst, day.Add(26*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.TopPosters(ctx, h.org.ID, h.group.ID, d, d, false, 10); len(again) != 2 || again[0].Messages != 3 {
			t.Fatalf("a second run changed the figures: %+v", again)
		}
	})
}

// TestRollupStatesAndAlerts follows a group through silence: dormant after
// 14 days, dead after 30, healthy again when a member posts, with an alert
// at each turn for the worse and the alerts resolved on recovery; and a
// core member's quiet week.
func TestRollupStatesAndAlerts(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 9, 1, 0, 0, 0, 0, cst)
		h := newHistory(t, db, start)
		core := h.person("骨干", community.RoleMember, start)
		other := h.person("群友", community.RoleMember, start)
		// The core member posts on 10 days; the last on September 20.
		for i := 11; i <= 20; i++ {
			h.post(core, time.Date(2026, 9, i, 20, 0, 0, 0, cst), "打卡", "")
		}
		h.post(other, time.Date(2026, 9, 15, 12, 0, 0, 0, cst), "收到", "")

		now := time.Date(2026, 11, 1, 12, 0, 0, 0, cst)
		n, err := db.Rollup(ctx, h.org.ID, now, cst, 400)
		if err != nil {
			t.Fatal(err)
		}
		if n != 52 { // September 11 (the first message) to November 1
			t.Fatalf("rolled up %d days, want 52", n)
		}
		day := func(m time.Month, d int) analytics.Day {
			return analytics.DayOf(time.Date(2026, m, d, 12, 0, 0, 0, cst), cst)
		}
		days, err := db.GroupDays(ctx, h.group.ID, day(9, 20), day(11, 1), cst)
		if err != nil {
			t.Fatal(err)
		}
		states := map[analytics.Day]analytics.GroupState{}
		for _, g := range days {
			states[g.Day] = g.State
		}
		for _, tc := range []struct {
			m     time.Month
			d     int
			state analytics.GroupState
		}{{9, 20, analytics.GroupHealthy}, {10, 3, analytics.GroupHealthy}, {10, 4, analytics.GroupDormant}, {10, 19, analytics.GroupDormant}, {10, 20, analytics.GroupDead}, {11, 1, analytics.GroupDead}} {
			if got := states[day(tc.m, tc.d)]; got != tc.state {
				t.Errorf("%v %d: state %q, want %q", tc.m, tc.d, got, tc.state)
			}
		}
		alerts, err := db.Alerts(ctx, h.org.ID, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		if alerts[1].ResolvedAt == nil || alerts[0].ResolvedAt != nil {
			t.Fatalf("turning dead must resolve the dormant alert: %+v", alerts)
		}
		var kinds []string
		for _, a := range alerts {
			kinds = append(kinds, fmt.Sprintf("%s@%d/%s", a.Kind, a.Day-day(9, 1), a.PersonName))
		}
		// Newest first: dead on Oct 20 (day 49), the core member quiet on
		// Sep 27 (7 days after their last post), dormant on Oct 4 (day 33).
		if got := fmt.Sprint(kinds); got != "[group_dead@49/ group_dormant@33/ core_quiet@26/骨干]" {
			t.Fatalf("alerts = %s", got)
		}
		// A member posts again: from dead to dying (one talker where there
		// were two), the dead alert resolved, a dying one raised.
		h.post(other, now.Add(time.Hour), "大家还在吗", "")
		if _, err := db.Rollup(ctx, h.org.ID, now.Add(2*time.Hour), cst, 400); err != nil {
			t.Fatal(err)
		}
		latest, err := db.LatestHealth(ctx, h.org.ID, cst)
		if err != nil {
			t.Fatal(err)
		}
		if g := latest[h.group.ID]; g.State != analytics.GroupDying || g.Day != day(11, 1) || g.Health.Responsiveness != 0 {
			t.Fatalf("after the post: %+v", g)
		}
		open, _ := db.Alerts(ctx, h.org.ID, true, 10)
		if len(open) != 2 || open[0].Kind != analytics.AlertDying || open[1].Kind != analytics.AlertCoreQuiet {
			t.Fatalf("open alerts after the post = %+v", open)
		}
		for _, a := range open {
			if err := db.ResolveAlert(ctx, h.org.ID, a.ID, "admin"); err != nil {
				t.Fatal(err)
			}
		}
		if open, _ := db.Alerts(ctx, h.org.ID, true, 10); len(open) != 0 {
			t.Fatalf("still open: %+v", open)
		}
		if err := db.ResolveAlert(ctx, h.org.ID, open[0].ID, "admin"); err == nil {
			t.Fatal("resolving a resolved alert succeeded")
		}
	})
}

// TestQuietCoreAlertsOnce: two core members of a group go quiet on the
// same day; each is alerted once, in person order, and told to the staff
// group once, however often the day is rolled up again.
func TestQuietCoreAlertsOnce(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		start := time.Date(2026, 9, 1, 0, 0, 0, 0, cst)
		h := newHistory(t, db, start)
		staff := community.Group{OrgID: h.org.ID, Connection: "wx", Platform: "webhook", ExternalID: "robot", Name: "员工群", Kind: community.KindCustom, CreatedAt: start.AddDate(0, 0, 24)} // new: not dormant
		if err := db.CreateGroup(ctx, &staff); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStaffGroup(ctx, h.org.ID, staff.ID, "user:admin"); err != nil {
			t.Fatal(err)
		}
		a := h.person("骨干甲", community.RoleMember, start)
		b := h.person("骨干乙", community.RoleMember, start)
		other := h.person("群友", community.RoleMember, start)
		for i := 11; i <= 20; i++ { // both post on ten days, the last on September 20
			h.post(b, time.Date(2026, 9, i, 19, 0, 0, 0, cst), "打卡", "")
			h.post(a, time.Date(2026, 9, i, 20, 0, 0, 0, cst), "打卡", "")
		}
		for i := 21; i <= 27; i++ { // the group is not quiet
			h.post(other, time.Date(2026, 9, i, 12, 0, 0, 0, cst), "收到", "")
		}
		now := time.Date(2026, 9, 27, 22, 0, 0, 0, cst) // the quiet week ends on the 27th
		if _, err := db.Rollup(ctx, h.org.ID, now, cst, 400); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := db.RollupDay(ctx, h.org.ID, analytics.DayOf(now, cst), cst, now); err != nil {
				t.Fatal(err)
			}
		}
		alerts, err := db.Alerts(ctx, h.org.ID, false, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, al := range alerts {
			got = append(got, al.Kind+"/"+al.PersonName)
		}
		// Newest first: the second raised is the higher person id.
		if fmt.Sprint(got) != "[core_quiet/骨干乙 core_quiet/骨干甲]" {
			t.Fatalf("alerts = %v", got)
		}
		acts, err := db.PullActions(ctx, []string{"wx"}, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		var told []string
		for _, act := range acts {
			told = append(told, act.Action.Group+": "+act.Action.Text)
		}
		if len(told) != 2 || !strings.Contains(told[0], "骨干甲") || !strings.Contains(told[1], "骨干乙") || !strings.HasPrefix(told[0], "robot: ") {
			t.Fatalf("told the staff group %q", told)
		}
	})
}
