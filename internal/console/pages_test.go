package console_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
)

func contains(t *testing.T, what, body string, want ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
}

// squash drops the whitespace of a piece of HTML.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func lacks(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, s := range unwanted {
		if strings.Contains(body, s) {
			t.Errorf("%s shows %q", what, s)
		}
	}
}

// TestPersonProfile: a member's identities, groups with role, source and
// inviter, activity, referrals direct and deeper, moderation against them
// and partner seats; names on the group and moderation pages link to it;
// a region's secretary sees only the region's part of a member, and is
// refused a member of another group.
func TestPersonProfile(t *testing.T) {
	w := newPages(t)
	c := w.user()
	a := w.page(c, "/people/"+itoa(w.a))
	contains(t, "学员a's profile", a, `<h1 class="ud">学员a</h1>`, `id="identities"`, "企业微信", w.cohort.Name, w.owners.Name, "群友", "推荐",
		`<a class="ud" href="/people/`+itoa(w.newbie)+`">新人甲</a>`, `<a class="ud" href="/people/`+itoa(w.newbie2)+`">新人乙</a>`,
		`id="referral-counts">直接 <b>1</b> · 间接 <b>1</b>`, "门店合伙人", "创始合伙人", `id="person-seats"`)
	if rows := rowsOf(a, "stints"); len(rows) != 2 || !strings.Contains(rows[0], "badge st-active") || !strings.Contains(squash(rows[0]), "<td>2</td></tr>") || !strings.Contains(rows[1], "吸粉") { // active on 2 days in 30
		t.Errorf("学员a's groups: %q", rows)
	}
	if rows := rowsOf(a, "referrals"); len(rows) != 2 || !strings.Contains(rows[0], "直接") || !strings.Contains(rows[1], "<td>2</td>") {
		t.Errorf("学员a's referrals: %q", rows)
	}
	newbie := w.page(c, "/people/"+itoa(w.newbie))
	contains(t, "新人甲's profile", newbie, `<a href="/people/`+itoa(w.a)+`" class="inviter"><span class="ud">学员a</span></a>`, "推荐")
	ad := w.page(c, "/people/"+itoa(w.adguy))
	if rows := rowsOf(ad, "person-moderation"); len(rows) == 0 || !strings.Contains(rows[0], "act-") {
		t.Errorf("卖货郎's moderation: %q", rows)
	}
	en := w.page(c, "/people/"+itoa(w.a)+"?lang=en")
	contains(t, "the English profile", en, "Identities", "Referrals", "Partner seats", "Group nickname", "founding partner")
	lacks(t, "the English profile", en, "邀请人")

	// Names link to profiles.
	contains(t, "the group page", w.page(c, "/groups/"+itoa(w.cohort.ID)), `<a class="ud" href="/people/`+itoa(w.a)+`">学员a</a>`)
	contains(t, "the moderation page", w.page(c, "/moderation"), `href="/people/`+itoa(w.adguy)+`"`)

	if code := w.status(c, "/people/999999"); code != 404 {
		t.Errorf("an unknown person: %d, want 404", code)
	}
	w.anonymous("GET", "/people/"+itoa(w.a))

	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/people/"+itoa(w.a))
	contains(t, "the secretary's view of 学员a", mine, w.cohort.Name, "新人甲")
	lacks(t, "the secretary's view of 学员a", mine, w.owners.Name)
	if code := w.status(sec, "/people/"+itoa(w.owner)); code != 403 {
		t.Errorf("secretary: a member of another region's group = %d, want 403", code)
	}
	asst := w.scoped("owners", access.Assistant, 0, w.owners.ID)
	if code := w.status(asst, "/people/"+itoa(w.b)); code != 403 {
		t.Errorf("owners' assistant: a cohort member = %d, want 403", code)
	}
	if own := w.page(asst, "/people/"+itoa(w.a)); strings.Contains(own, w.cohort.Name) || strings.Contains(own, "新人甲") || strings.Contains(own, `id="person-moderation"`) && strings.Contains(own, w.cohort.Name) {
		t.Error("the owners' assistant sees 学员a's cohort membership or referrals")
	}
	lacks(t, "a profile with no check-ins", w.page(c, "/people/"+itoa(w.a)), `id="person-points"`)

	// Check-in points: each group's, this month's, the streak while it
	// holds; a secretary sees her groups' only.
	now := w.srv.Now().In(w.srv.Location)
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	for _, row := range [][]any{{w.cohort.ID, w.a, day(-1), 1, 1}, {w.cohort.ID, w.a, day(0), 2, 3}, {w.owners.ID, w.a, day(-60), 5, 10}} {
		if _, err := w.db.SQL().Exec("INSERT INTO checkins (group_id, person_id, day, streak, points, at) VALUES (?, ?, ?, ?, ?, 0)", row...); err != nil {
			t.Fatal(err)
		}
	}
	month := 4 // both of the cohort's check-ins, unless yesterday was last month
	if day(-1)[:7] != day(0)[:7] {
		month = 3
	}
	rows := rowsOf(w.page(c, "/people/"+itoa(w.a)), "person-points")
	if len(rows) != 2 || !strings.Contains(squash(rows[0]), fmt.Sprintf("%s</a></td><td>4</td><td>%d</td><td>2</td><td>%s</td>", w.cohort.Name, month, day(0))) ||
		!strings.Contains(squash(rows[1]), fmt.Sprintf("%s</a></td><td>10</td><td>0</td><td>0</td><td>%s</td>", w.owners.Name, day(-60))) {
		t.Errorf("学员a's check-in points: %q", rows)
	}
	if rows := rowsOf(w.page(sec, "/people/"+itoa(w.a)), "person-points"); len(rows) != 1 || !strings.Contains(rows[0], w.cohort.Name) {
		t.Errorf("the secretary's view of 学员a's points: %q", rows)
	}
	contains(t, "the English points", w.page(c, "/people/"+itoa(w.a)+"?lang=en"), "Points history", "Days in a row")
}

// TestScriptReview: tabs by status; a script's body, tags, history and
// lint; the workflow buttons move it in the store (start the review,
// approve; reject only with a reason); without the CSRF token, from a
// stale page or by a scoped user nothing moves.
func TestScriptReview(t *testing.T) {
	w := newPages(t)
	c := w.user()
	ctx := context.Background()
	statusOf := func(id int64) content.Script {
		t.Helper()
		s, err := w.db.Script(ctx, w.org.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	list := w.page(c, "/scripts")
	contains(t, "the library", list, `id="tab-submitted"`, "已投稿 (1)", "草稿 (1)", w.submitted.Title, w.draft.Title)
	sub := w.page(c, "/scripts?status=submitted")
	if got := names(rowsOf(sub, "scripts"), w.submitted.Title, w.draft.Title, w.scheduled.Title); len(got) != 1 || got[0] != w.submitted.Title {
		t.Errorf("the submitted tab lists %v", got)
	}
	contains(t, "the English library", w.page(c, "/scripts?lang=en"), "Scripts", "submitted (1)")
	if code := w.status(c, "/scripts?status=lost"); code != 400 {
		t.Errorf("an unknown status: %d, want 400", code)
	}

	path := "/scripts/" + itoa(w.submitted.ID)
	page := w.page(c, path+"?lang=zh")
	contains(t, "the script page", page, "第二，只顾讲不互动。", "直播", "早高峰", `id="revisions"`, "草稿 → 已投稿", `id="move_review"`, `id="move_approve"`, `id="lint-no-category"`)
	lacks(t, "the script page", page, "draft → submitted", "<code>")
	contains(t, "the English script page", w.page(c, path+"?lang=en"), "Start the review", "Lint findings", "History")

	var landed string // the page a move lands on, with its flash
	move := func(id int64, from, to, reason string, token bool) int {
		t.Helper()
		var code int
		code, landed = w.post(c, "/scripts/"+itoa(id), "/scripts/"+itoa(id)+"/move", url.Values{"from": {from}, "to": {to}, "reason": {reason}}, token)
		return code
	}
	if code := move(w.submitted.ID, "submitted", "in_review", "", false); code != 403 || statusOf(w.submitted.ID).Status != content.Submitted {
		t.Fatalf("a move without the CSRF token: %d, status %s", code, statusOf(w.submitted.ID).Status)
	}
	if code := move(w.submitted.ID, "submitted", "in_review", "", true); code != 200 || statusOf(w.submitted.ID).Status != content.InReview {
		t.Fatalf("start the review: %d, status %s", code, statusOf(w.submitted.ID).Status)
	}
	contains(t, "the script after the move", landed, `id="flash"`, `id="move_approve"`, `id="move_reject"`)
	if code := move(w.submitted.ID, "submitted", "in_review", "", true); code != 200 || statusOf(w.submitted.ID).Status != content.InReview {
		t.Fatalf("a stale move: %d, status %s", code, statusOf(w.submitted.ID).Status)
	}
	contains(t, "the script after a stale move", landed, `class="flash error"`)
	if code := move(w.submitted.ID, "in_review", "rejected", " ", true); code != 200 || statusOf(w.submitted.ID).Status != content.InReview {
		t.Fatalf("a rejection without a reason: %d, status %s", code, statusOf(w.submitted.ID).Status)
	}
	if code := move(w.submitted.ID, "in_review", "rejected", "第三条与上周重复", true); code != 200 {
		t.Fatalf("reject: %d", code)
	}
	if s := statusOf(w.submitted.ID); s.Status != content.Rejected || s.RejectReason != "第三条与上周重复" {
		t.Fatalf("after rejecting: %s %q", s.Status, s.RejectReason)
	}
	contains(t, "the rejected script", w.page(c, path), `id="reject-reason"`, "第三条与上周重复")
	if code := move(w.submitted.ID, "rejected", "published", "", true); code != 400 {
		t.Errorf("a move the console does not offer: %d, want 400", code)
	}
	revs, _ := w.db.Revisions(ctx, w.org.ID, w.submitted.ID)
	if last := revs[len(revs)-1]; last.Editor != "user:admin" {
		t.Errorf("the last revision's editor %q, want user:admin", last.Editor)
	}

	// Lint: the draft is too short; with the rules engine's categories it
	// touches gambling.
	contains(t, "the draft's lint", w.page(c, "/scripts/"+itoa(w.draft.ID)), "too_short")
	w.srv.Lint = content.CategoryMatcherFunc(func(text string) []content.CategoryHit {
		if strings.Contains(text, "赌") {
			return []content.CategoryHit{{Category: "gambling", Term: "赌", Text: text}}
		}
		return nil
	})
	lint := w.page(c, "/scripts/"+itoa(w.draft.ID))
	contains(t, "the draft's lint with categories", lint, "banned_category", "sev-block")
	lacks(t, "the draft's lint with categories", lint, `id="lint-no-category"`)

	w.anonymous("GET", "/scripts")
	w.anonymous("POST", "/scripts/"+itoa(w.draft.ID)+"/move")
	// An assistant writes scripts but neither reviews nor publishes them
	// (docs/permissions.md); a secretary does both.
	asst := w.scoped("xiaozhou", access.Assistant, w.region.ID, 0)
	if page := w.page(asst, "/scripts/"+itoa(w.scheduled.ID)); strings.Contains(page, `id="workflow"`) {
		t.Error("an assistant is offered the publisher's buttons")
	}
	before := statusOf(w.scheduled.ID).Status
	code, page := w.post(asst, "/scripts/"+itoa(w.scheduled.ID), "/scripts/"+itoa(w.scheduled.ID)+"/move", url.Values{"from": {string(before)}, "to": {"approved"}}, true)
	if code != 403 || statusOf(w.scheduled.ID).Status != before || !strings.Contains(page, "店小二") {
		t.Errorf("an assistant's move: %d, status %s\n%s", code, statusOf(w.scheduled.ID).Status, page)
	}
	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	if page := w.page(sec, "/scripts/"+itoa(w.scheduled.ID)); !strings.Contains(page, `id="workflow"`) {
		t.Error("a secretary is not offered the publisher's buttons")
	}
}

// TestPushCalendar: tomorrow's pushes by day with the assistant on duty
// and the deferral; the one sent an hour ago with its response, followed
// up; the roster's coverage; a region's secretary does not see the owners'
// group's push.
func TestPushCalendar(t *testing.T) {
	w := newPages(t)
	c := w.user()
	body := w.page(c, "/pushes")
	up := rowsOf(body, "upcoming") // 08:00 cohort, 09:00 owners, 10:00 cohort (asked for 08:30)
	if got := names(up, w.cohort.Name, w.owners.Name); strings.Join(got, " ") != w.cohort.Name+" "+w.owners.Name+" "+w.cohort.Name {
		t.Fatalf("upcoming pushes: %v", got)
	}
	if !strings.Contains(up[0], "day-start") || strings.Contains(up[1], "day-start") || !strings.Contains(up[0], "店小二小周") || !strings.Contains(up[0], w.scheduled.Title) || !strings.Contains(up[0], "08:00") {
		t.Errorf("the first day's pushes: %q", up[:2])
	}
	if !strings.Contains(up[2], `class="deferral"`) || !strings.Contains(up[2], "08:30") || strings.Contains(up[0], `class="deferral"`) {
		t.Errorf("the deferred push is not marked: %q", up)
	}
	if !strings.Contains(up[1], "无人值班") || strings.Contains(up[2], "无人值班") {
		t.Errorf("the owners' group's push has someone on duty: %q", up[1])
	}
	sent := rowsOf(body, "sent")
	if len(sent) != 1 || !strings.Contains(sent[0], `badge yes`) || !strings.Contains(sent[0], w.cohort.Name) {
		t.Errorf("sent pushes: %q", sent)
	}
	contains(t, "the calendar", body, `id="coverage-rate">1 / 1</b>`, `id="unassigned">`)
	if duty := rowsOf(body, "duty"); len(duty) != 1 || !strings.Contains(squash(duty[0]), "<td>2</td><td>1</td><td>1</td>") {
		t.Errorf("the roster: %q", duty)
	}
	contains(t, "the English calendar", w.page(c, "/pushes?lang=en"), "Push calendar", "Next 7 days", "Duty roster coverage", "asked for")
	w.anonymous("GET", "/pushes")

	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/pushes")
	if up := rowsOf(mine, "upcoming"); len(up) != 2 || len(names(up, w.owners.Name)) != 0 {
		t.Errorf("the secretary's upcoming pushes: %q", up)
	}
	asst := w.scoped("owners", access.Assistant, 0, w.owners.ID)
	theirs := w.page(asst, "/pushes")
	lacks(t, "the owners' assistant's calendar", theirs, w.cohort.Name, "店小二小周")
	if len(rowsOf(theirs, "sent")) != 0 {
		t.Error("the owners' assistant sees the cohort's sent push")
	}
}

// TestPartnersPage: levels with their caps and bands, seats per entity
// with number, tier and holder, the waitlist; CSV; managers only.
func TestPartnersPage(t *testing.T) {
	w := newPages(t)
	c := w.user()
	body := w.page(c, "/partners")
	contains(t, "the partners page", body, "门店合伙人", "城市合伙人", "名额 199", `1–10 <span class="ud">创始合伙人</span>`, "51–199", w.shop.Name, w.region.Name,
		`<b class="waiting">1</b>`, `href="/partners/`+itoa(w.store.ID)+`/`+itoa(w.shop.ID)+`"`)
	contains(t, "the shop's store seats", w.page(c, "/partners/"+itoa(w.store.ID)+"/"+itoa(w.shop.ID)), `<a class="ud" href="/people/`+itoa(w.a)+`">学员a</a>`, "创始合伙人")
	contains(t, "the English partners page", w.page(c, "/partners?lang=en"), "Partners", "cap 199", "waitlist")
	rows := w.csv(c, "/partners?format=csv&lang=zh") // region, then the shop
	if len(rows) != 5 || rows[0][0] != "层次" || rows[2][0] != "门店合伙人" || rows[2][1] != w.shop.Name || rows[2][2] != "1" || rows[2][4] != "学员a" || !strings.Contains(rows[2][3], "创始合伙人") || rows[1][4] != "店小二小周" {
		t.Fatalf("partners CSV: %v", rows)
	}
	if last := rows[4]; last[0] != "城市合伙人" || last[4] != "业主张先生" || last[7] != "1" {
		t.Errorf("the city seat: %v", last)
	}
	if en := w.csv(c, "/partners?format=csv&lang=en"); en[0][0] != "Level" {
		t.Errorf("English CSV header: %v", en[0])
	}
	w.anonymous("GET", "/partners")
	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	if code := w.status(sec, "/partners"); code != 403 {
		t.Errorf("secretary: /partners = %d, want 403", code)
	}
	if code := w.status(sec, "/partners?format=csv"); code != 403 {
		t.Errorf("secretary: the partners CSV = %d, want 403", code)
	}
	lacks(t, "the secretary's navigation", w.page(sec, "/"), `href="/partners"`)
}

// TestEventsPages: the open events with their counts, an event's entries,
// both as CSV; a region's secretary does not see the owners' meeting and
// is refused its page.
func TestEventsPages(t *testing.T) {
	w := newPages(t)
	c := w.user()
	body := w.page(c, "/events")
	rows := rowsOf(body, "events")
	if len(rows) != 2 || !strings.Contains(rows[1], "线下沙龙：直播复盘") || !strings.Contains(squash(rows[1]), "<td>2/2</td><td>1</td><td>1</td>") {
		t.Fatalf("events: %q", rows)
	}
	ev := w.page(c, "/events/"+itoa(w.cohortEvent))
	contains(t, "the event page", ev, `id="count-in">2 / 2<`, `id="count-waitlisted">1<`, `id="count-checked-in">1<`, "阳新一店", `<a class="ud" href="/people/`+itoa(w.newbie)+`">新人甲</a>`, "候补")
	if entries, waiting := rowsOf(ev, "entries"), rowsOf(ev, "waiting"); len(entries) != 2 || len(waiting) != 1 || !strings.Contains(waiting[0], "新人甲") {
		t.Errorf("signed up %q, waiting %q", entries, waiting)
	}
	contains(t, "the English event page", w.page(c, "/events/"+itoa(w.cohortEvent)+"?lang=en"), "Signed up", "Waitlisted", "Checked in", "waitlisted")
	contains(t, "the English events page", w.page(c, "/events?lang=en"), "Events", "open")

	list := w.csv(c, "/events?format=csv")
	if len(list) != 3 || list[2][1] != "线下沙龙：直播复盘" || list[2][7] != "2" || list[2][8] != "1" || list[2][9] != "1" {
		t.Fatalf("events CSV: %v", list)
	}
	entries := w.csv(c, "/events/"+itoa(w.cohortEvent)+"?format=csv&lang=en")
	if len(entries) != 4 || entries[0][0] != "No." || entries[1][1] != "学员a" || entries[1][5] != "yes" || entries[3][4] != "waitlisted" {
		t.Fatalf("entries CSV: %v", entries)
	}
	if code := w.status(c, "/events/999999"); code != 404 {
		t.Errorf("an unknown event: %d, want 404", code)
	}
	w.anonymous("GET", "/events")
	w.anonymous("GET", "/events/"+itoa(w.cohortEvent))

	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	lacks(t, "the secretary's events", w.page(sec, "/events"), "业主见面会")
	if rows := w.csv(sec, "/events?format=csv"); len(rows) != 2 {
		t.Errorf("the secretary's events CSV: %v", rows)
	}
	w.page(sec, "/events/"+itoa(w.cohortEvent))
	for _, path := range []string{"/events/" + itoa(w.ownersEvent), "/events/" + itoa(w.ownersEvent) + "?format=csv"} {
		if code := w.status(sec, path); code != 403 {
			t.Errorf("secretary: %s = %d, want 403", path, code)
		}
	}
}

// TestLeaderboards: today's posters (staff left out), the substantive
// toggle, a group filter, the inviters; a secretary's boards hold only
// their groups' people and another group's filter is refused.
func TestLeaderboards(t *testing.T) {
	w := newPages(t)
	c := w.user()
	day := w.page(c, "/leaderboards?period=day")
	posters := rowsOf(day, "posters")
	if got := names(posters, "学员a", "学员b", "店小二小周"); len(got) < 2 || strings.Contains(strings.Join(got, " "), "店小二小周") {
		t.Fatalf("today's posters: %v", got)
	}
	sub := rowsOf(w.page(c, "/leaderboards?period=day&substantive=1"), "posters")
	if got := names(sub, "学员a", "学员b"); len(got) != 1 || got[0] != "学员a" {
		t.Errorf("substantive posters: %v", got)
	}
	month := w.page(c, "/leaderboards?period=month")
	if got := names(rowsOf(month, "posters"), "业主张先生"); len(got) != 1 {
		t.Errorf("the month's posters lack the owners' group: %v", got)
	}
	inv := rowsOf(month, "inviters")
	if len(inv) != 2 || !strings.Contains(inv[0], "学员a") && !strings.Contains(inv[0], "新人甲") {
		t.Errorf("inviters: %q", inv)
	}
	owners := w.page(c, "/leaderboards?period=month&group="+itoa(w.owners.ID))
	if got := names(rowsOf(owners, "posters"), "业主张先生", "学员b"); len(got) != 1 || got[0] != "业主张先生" {
		t.Errorf("the owners' group's posters: %v", got)
	}
	contains(t, "the English leaderboards", w.page(c, "/leaderboards?lang=en"), "Top posters", "Top inviters", "7 days")
	if code := w.status(c, "/leaderboards?period=year"); code != 400 {
		t.Errorf("an unknown period: %d, want 400", code)
	}
	w.anonymous("GET", "/leaderboards")

	sec := w.scoped("yangxin", access.Secretary, w.region.ID, 0)
	mine := w.page(sec, "/leaderboards?period=month")
	if got := names(rowsOf(mine, "posters"), "业主张先生", "学员a"); len(got) != 1 || got[0] != "学员a" {
		t.Errorf("the secretary's posters: %v", got)
	}
	lacks(t, "the secretary's group filter", mine, w.owners.Name)
	if code := w.status(sec, "/leaderboards?group="+itoa(w.owners.ID)); code != 403 {
		t.Errorf("secretary: the owners' board = %d, want 403", code)
	}
}

// TestNavigationPages: the new pages are in the navigation's second row,
// each marked when open; a page whose source is not set is neither
// offered nor served.
func TestNavigationPages(t *testing.T) {
	w := newPages(t)
	c := w.user()
	paths := []string{"/scripts", "/pushes", "/events", "/partners", "/growth", "/leaderboards", "/people/" + itoa(w.a), "/scripts/" + itoa(w.draft.ID), "/events/" + itoa(w.cohortEvent)}
	for _, path := range paths {
		body := w.page(c, path)
		contains(t, path, body, `id="nav-more"`, `href="/scripts"`, `href="/pushes"`, `href="/events"`, `href="/partners"`, `href="/growth"`, `href="/leaderboards"`, `href="/groups"`)
		if n := strings.Count(body, `aria-current="page"`); n != 1 && !strings.HasPrefix(path, "/scripts") || n > 2 {
			t.Errorf("%s: %d current entries", path, n)
		}
	}
	w.srv.Content, w.srv.Community, w.srv.Partners, w.srv.Growth = nil, nil, nil, nil
	home := w.page(c, "/")
	lacks(t, "the navigation without sources", home, `href="/scripts"`, `href="/events"`, `id="nav-more"`)
	for _, path := range []string{"/scripts", "/pushes", "/events", "/partners", "/leaderboards", "/growth"} {
		if code := w.status(c, path); code != 404 {
			t.Errorf("%s without its source: %d, want 404", path, code)
		}
	}
}
