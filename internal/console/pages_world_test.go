package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// pages is the world with what the member, content and community pages
// show, built through the store and the ingest pipeline: an assistant on
// duty in the cohort, an owner in the owners' group, two people brought in
// by 学员a (one directly, one through the other), scripts at several
// points of the review, pushes planned for tomorrow in the cohort and the
// owners' group and one sent an hour ago and followed up, events with
// sign-ups, partner seats and a waitlist, and the daily rollups.
type pages struct {
	*world
	a, b, zhou, owner, newbie, newbie2, adguy int64 // people
	submitted, scheduled, draft               content.Script
	cohortEvent, ownersEvent                  int64
	store, city                               community.PartnerLevel
}

func newPages(t *testing.T) *pages {
	t.Helper()
	w := &pages{world: newWorld(t)}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cst, _ := time.LoadLocation("Asia/Shanghai")
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: w.db, OrgFor: func(string) int64 { return w.org.ID }, Now: func() time.Time { return now }})
	go in.Run(ctx)
	seq := 0
	send := func(group, user, name, text string, at time.Time) {
		t.Helper()
		seq++
		e := chat.Event{ID: fmt.Sprint("pe", seq), Connection: "wx", Platform: "wecom", Type: chat.EventMessage, Group: group, Time: at,
			Sender: chat.User{ID: user, Name: name}, Message: &chat.Message{ID: fmt.Sprint("pm", seq), Kind: chat.KindText, Text: text}}
		must(in.Ingest(ctx, []chat.Event{e}))
	}
	send("g1", "zhou", "店小二小周", "大家早上好，今天的作业记得交", now.Add(-48*time.Hour))
	send("g3", "owner1", "业主张先生", "物业什么时候修电梯？", now.Add(-24*time.Hour))
	must(w.db.SetRole(ctx, "wx", "g1", "zhou", community.RoleAssistant))
	w.a, w.b, w.zhou, w.adguy = w.personIn(w.cohort.ID, "学员a"), w.personIn(w.cohort.ID, "学员b"), w.personIn(w.cohort.ID, "店小二小周"), w.personIn(w.cohort.ID, "卖货郎")
	w.owner = w.personIn(w.owners.ID, "业主张先生")
	// 学员a was in the owners' group too: a region's secretary must not see it.
	must(w.db.AddMembership(ctx, &community.Membership{GroupID: w.owners.ID, PersonID: w.a, Source: chat.SourcePromo, JoinedAt: now.Add(-5 * 24 * time.Hour)}))

	// Referrals: 新人甲 by 学员a, 新人乙 by 新人甲.
	for _, r := range []struct {
		id      *int64
		name    string
		inviter int64
		ago     time.Duration
	}{{&w.newbie, "新人甲", w.a, 3 * 24 * time.Hour}, {&w.newbie2, "新人乙", 0, 24 * time.Hour}} {
		p := community.Person{OrgID: w.org.ID, Name: r.name}
		must(w.db.CreatePerson(ctx, &p))
		*r.id = p.ID
		inviter := r.inviter
		if inviter == 0 {
			inviter = w.newbie
		}
		must(w.db.AddMembership(ctx, &community.Membership{GroupID: w.cohort.ID, PersonID: p.ID, InviterID: inviter, Source: chat.SourceReferral, JoinedAt: now.Add(-r.ago)}))
	}

	// Scripts: one submitted, one approved and pushed, one draft.
	script := func(title, body string, author int64, steps ...content.Status) content.Script {
		t.Helper()
		s := content.Script{OrgID: w.org.ID, Title: title, Body: body, Tags: []string{"直播", "早高峰"}, Author: fmt.Sprint("person:", author)}
		must(w.db.CreateScript(ctx, &s))
		roles := map[content.Status]content.Role{content.Submitted: content.Contributor, content.InReview: content.Reviewer, content.Approved: content.Reviewer}
		for _, st := range steps {
			var err error
			s, err = w.db.MoveScript(ctx, w.org.ID, s.ID, st, roles[st], "user:seed", "")
			must(err)
		}
		return s
	}
	w.submitted = script("早高峰：直播带货三个误区", "第一，不备货就开播。\n第二，只顾讲不互动。\n第三，没有复盘。\n大家觉得哪条最常见？", w.a, content.Submitted)
	w.scheduled = script("晚间复盘：今天你卖出了几单", "今天直播卖出几单？\n哪一款最好卖？\n明天打算怎么调整？\n评论区见。", w.b, content.Submitted, content.InReview, content.Approved)
	w.draft = script("一句话", "来赌场玩", w.b)
	plan := func(g community.Group, want time.Time) {
		t.Helper()
		_, err := w.db.PlanPush(ctx, content.PushRequest{OrgID: w.org.ID, ScriptID: w.scheduled.ID, GroupID: g.ID, Slot: "morning", Want: want, Caps: content.DefaultCaps(),
			Window: community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}, Actor: "user:pub"})
		must(err)
	}
	tomorrow := now.In(cst).Add(24 * time.Hour)
	at := func(h, m int) time.Time {
		return time.Date(tomorrow.Year(), tomorrow.Month(), tomorrow.Day(), h, m, 0, 0, cst)
	}
	plan(w.cohort, now.Add(-time.Hour)) // due: sent below
	n, err := w.db.SendDuePushes(ctx, 10)
	must(err)
	if n != 1 {
		t.Fatalf("fixture: sent %d pushes, want 1", n)
	}
	plan(w.cohort, at(8, 0))
	plan(w.cohort, at(8, 30)) // too close: deferred
	plan(w.owners, at(9, 0))
	// The push is followed up by the assistant on duty, members answer.
	send("g1", "zhou", "店小二小周", "这篇大家怎么看？", now.Add(3*time.Minute))
	send("g1", "b", "学员b", "第二条最常见", now.Add(5*time.Minute))
	send("g1", "a", "学员a", "我觉得是第三条：\n没有复盘就不知道问题在哪，\n下次还会犯同样的错。", now.Add(6*time.Minute))
	if _, err := w.db.Rollup(ctx, w.org.ID, now.Add(time.Hour), cst, 60); err != nil {
		t.Fatal(err)
	}

	// Events: a salon in the cohort with a capacity of two, a meeting in
	// the owners' group.
	ev, err := w.db.OpenEvent(ctx, community.EventRequest{OrgID: w.org.ID, GroupID: w.cohort.ID, Title: "线下沙龙：直播复盘", Capacity: 2, At: &tomorrow, Place: "阳新一店", Actor: "user:admin"})
	must(err)
	w.cohortEvent = ev.ID
	must(w.db.Ingest(ctx, func(tx pipeline.Tx) error {
		for _, p := range []int64{w.a, w.b, w.newbie} {
			if _, _, err := tx.Signup(ctx, w.cohort.ID, p, "", now); err != nil {
				return err
			}
		}
		_, _, err := tx.CheckIn(ctx, w.cohort.ID, w.a, now)
		return err
	}))
	ev, err = w.db.OpenEvent(ctx, community.EventRequest{OrgID: w.org.ID, GroupID: w.owners.ID, Title: "业主见面会", Actor: "user:admin"})
	must(err)
	w.ownersEvent = ev.ID

	// Partners: two store partners and one at the region; one city seat,
	// taken, with one waiting.
	w.store = community.PartnerLevel{OrgID: w.org.ID, Slug: "store", Name: "门店合伙人", Rank: 1, Cap: 199}
	w.city = community.PartnerLevel{OrgID: w.org.ID, Slug: "city", Name: "城市合伙人", Rank: 2, Cap: 1}
	must(w.db.CreatePartnerLevel(ctx, &w.store))
	must(w.db.CreatePartnerLevel(ctx, &w.city))
	for _, adm := range []struct{ level, entity, person int64 }{
		{w.store.ID, w.shop.ID, w.a}, {w.store.ID, w.shop.ID, w.b}, {w.store.ID, w.region.ID, w.zhou}, {w.city.ID, w.region.ID, w.owner}, {w.city.ID, w.region.ID, w.b},
	} {
		_, err := w.db.Admit(ctx, adm.level, adm.entity, adm.person)
		must(err)
	}

	w.srv.Profiles, w.srv.Content, w.srv.Community, w.srv.Partners, w.srv.Growth = w.db, w.db, w.db, w.db, w.db
	return w
}

// personIn returns the id of a current member of a group by name.
func (w *world) personIn(groupID int64, name string) int64 {
	w.t.Helper()
	ms, err := w.db.Members(context.Background(), groupID)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, m := range ms {
		if m.Name == name {
			return m.PersonID
		}
	}
	w.t.Fatalf("no member %s in group %d", name, groupID)
	return 0
}

// scoped creates a scoped console user and logs them in.
func (w *world) scoped(username string, role access.Role, nodeID, groupID int64) *http.Client {
	w.t.Helper()
	hash, _ := console.HashPassword("scoped password")
	if err := w.db.CreateUser(context.Background(), &access.User{OrgID: w.org.ID, Username: username, PasswordHash: hash, Role: role, ScopeNodeID: nodeID, ScopeGroupID: groupID}); err != nil {
		w.t.Fatal(err)
	}
	return loginAs(w.t, w.url, username, "scoped password")
}

// status GETs a path and returns the status code.
func (w *world) status(c *http.Client, path string) int {
	w.t.Helper()
	code, _ := get(w.t, c, w.url+path)
	return code
}

// post submits a form, with the CSRF token of the page at from unless
// token is false, and returns the status and the page it lands on.
func (w *world) post(c *http.Client, from, path string, form url.Values, token bool) (int, string) {
	w.t.Helper()
	if token {
		m := csrfRE.FindStringSubmatch(w.page(c, from))
		if m == nil {
			w.t.Fatalf("%s has no CSRF token", from)
		}
		form.Set("csrf", m[1])
	}
	resp, err := c.PostForm(w.url+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}
