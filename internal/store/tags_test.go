package store_test

import (
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// tagWorld is an organisation with a small tree, a template's group, a
// campaign and a partner level, for the tag tests.
type tagWorld struct {
	t                  *testing.T
	db                 *store.DB
	org                community.Org
	root, branch       community.Node
	cohort, yx, owners community.Group // cohort at the root, yx (custom) and owners under the branch
	template, campaign int64
	level              int64
}

func newTagWorld(t *testing.T, db *store.DB) *tagWorld {
	t.Helper()
	w := &tagWorld{t: t, db: db}
	w.org, w.cohort = seedOrg(t, db)
	w.root = community.Node{ID: w.cohort.NodeID}
	w.branch = community.Node{OrgID: w.org.ID, ParentID: w.root.ID, Name: "阳新分社", Kind: community.NodeRegion}
	if err := db.CreateNode(ctx, &w.branch); err != nil {
		t.Fatal(err)
	}
	w.yx = w.group("yx", "NF-阳新学员交流群", community.KindCustom, w.branch.ID)
	w.owners = w.group("own", "NF-阳新店主群", community.KindOwners, w.branch.ID)
	now := time.Now().UnixMilli()
	w.template = w.insert("INSERT INTO group_templates (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id", w.org.ID, "网商学院", now)
	step := w.insert("INSERT INTO group_template_steps (template_id, ordinal, kind, group_count, pattern) VALUES (?, 1, 'custom', 1, ?) RETURNING id", w.template, "NF-{县}学员交流群")
	fam := w.insert("INSERT INTO group_families (org_id, step_id, topic, vars, node_id, created_at) VALUES (?, ?, '', '{}', ?, ?) RETURNING id", w.org.ID, step, w.branch.ID, now)
	w.insert("INSERT INTO group_tasks (org_id, family_id, n, name, kind, node_id, status, group_id, created_at) VALUES (?, ?, 1, ?, 'custom', ?, 'done', ?, ?) RETURNING id",
		w.org.ID, fam, w.yx.Name, w.branch.ID, w.yx.ID, now)
	w.campaign = w.insert("INSERT INTO campaigns (org_id, name, created_at) VALUES (?, ?, ?) RETURNING id", w.org.ID, "双十一拉新", now)
	w.insert("INSERT INTO invite_codes (org_id, code, campaign_id, created_at) VALUES (?, 'S11AB', ?, ?) RETURNING id", w.org.ID, w.campaign, now)
	w.level = w.insert("INSERT INTO partner_levels (org_id, slug, name, rank, cap, created_at) VALUES (?, 'county', '县级合伙人', 1, 10, ?) RETURNING id", w.org.ID, now)
	return w
}

func (w *tagWorld) insert(q string, args ...any) int64 {
	w.t.Helper()
	var id int64
	if err := w.db.SQL().QueryRowContext(ctx, w.db.Rebind(q), args...).Scan(&id); err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (w *tagWorld) group(ext, name string, kind community.GroupKind, node int64) community.Group {
	w.t.Helper()
	g := community.Group{OrgID: w.org.ID, NodeID: node, Connection: "wx", Platform: "webhook", ExternalID: ext, Name: name, Kind: kind}
	if err := w.db.CreateGroup(ctx, &g); err != nil {
		w.t.Fatal(err)
	}
	return g
}

// member adds a person to a group.
func (w *tagWorld) member(name string, g community.Group, src chat.JoinSource, code string, joined time.Time) int64 {
	w.t.Helper()
	p := community.Person{OrgID: w.org.ID, Name: name}
	if err := w.db.CreatePerson(ctx, &p); err != nil {
		w.t.Fatal(err)
	}
	w.join(p.ID, g, src, code, joined)
	return p.ID
}

func (w *tagWorld) join(person int64, g community.Group, src chat.JoinSource, code string, joined time.Time) {
	w.t.Helper()
	if err := w.db.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: person, Role: community.RoleMember, Source: src, Code: code, JoinedAt: joined}); err != nil {
		w.t.Fatal(err)
	}
}

func (w *tagWorld) tag(name string, subject community.TagSubject, rules ...community.TagRule) community.Tag {
	w.t.Helper()
	tg := community.Tag{OrgID: w.org.ID, Name: name, Subject: subject, CreatedBy: "user:ops"}
	if err := w.db.CreateTag(ctx, &tg); err != nil {
		w.t.Fatal(err)
	}
	for _, r := range rules {
		r.TagID = tg.ID
		if err := w.db.AddTagRule(ctx, w.org.ID, &r, "user:ops"); err != nil {
			w.t.Fatalf("rule %+v: %v", r, err)
		}
	}
	return tg
}

func (w *tagWorld) groupsOf(tagID int64) []int64 {
	w.t.Helper()
	ids, err := w.db.TagGroups(ctx, w.org.ID, tagID)
	if err != nil {
		w.t.Fatal(err)
	}
	return ids
}

func rule(field string, v any) community.TagRule {
	return community.TagRule{Field: field, Value: fmt.Sprint(v)}
}

// TestTagGroupRules: a group tag holds what each rule field matches —
// a kind, a node and everything below it, a template's bound groups —
// plus what is put in by hand; a group of a tagged kind created later is
// in the tag at once.
func TestTagGroupRules(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		w := newTagWorld(t, db)
		byKind := w.tag("培训期班", community.TagGroups, rule(community.RuleKind, community.KindCohort))
		byNode := w.tag("阳新", community.TagGroups, rule(community.RuleNode, w.branch.ID))
		byRoot := w.tag("全部", community.TagGroups, rule(community.RuleNode, w.root.ID))
		byTemplate := w.tag("电商课程", community.TagGroups, rule(community.RuleTemplate, w.template))
		for _, c := range []struct {
			tag  community.Tag
			want []int64
		}{
			{byKind, []int64{w.cohort.ID}},
			{byNode, []int64{w.yx.ID, w.owners.ID}},
			{byRoot, []int64{w.cohort.ID, w.yx.ID, w.owners.ID}},
			{byTemplate, []int64{w.yx.ID}},
		} {
			if got := w.groupsOf(c.tag.ID); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.tag.Name, got, c.want)
			}
		}
		// A new cohort is in the kind's tag at once, with no step between.
		g7 := w.group("g7", "NF-阳新第7期微营销培训群", community.KindCohort, w.branch.ID)
		if got := w.groupsOf(byKind.ID); !slices.Equal(got, []int64{w.cohort.ID, g7.ID}) {
			t.Fatalf("after a new cohort: %v", got)
		}
		if got := w.groupsOf(byNode.ID); !slices.Contains(got, g7.ID) {
			t.Fatalf("the branch's new group: %v", got)
		}
		// By hand: in, and out again; a rule's match stays in.
		if err := db.SetGroupTag(ctx, w.org.ID, byTemplate.ID, w.owners.ID, true, "user:ops"); err != nil {
			t.Fatal(err)
		}
		list, err := db.TaggedGroups(ctx, w.org.ID, byTemplate.ID)
		if err != nil || fmt.Sprint(list) != fmt.Sprintf("[{%d false true} {%d true false}]", w.yx.ID, w.owners.ID) {
			t.Fatalf("by hand and by rule: %v %v", list, err)
		}
		if err := db.SetGroupTag(ctx, w.org.ID, byTemplate.ID, w.yx.ID, false, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if got := w.groupsOf(byTemplate.ID); !slices.Equal(got, []int64{w.yx.ID, w.owners.ID}) {
			t.Fatalf("taking out a rule's match by hand leaves it in: %v", got)
		}
		tags, err := db.GroupTagsOf(ctx, w.org.ID, w.yx.ID)
		var names []string
		for _, tg := range tags {
			names = append(names, tg.Name)
		}
		if err != nil || fmt.Sprint(names) != "[全部 电商课程 阳新]" {
			t.Fatalf("the group's tags: %v %v", names, err)
		}
		// The list counts what was put in by hand and carries the rules.
		all, err := db.Tags(ctx, w.org.ID)
		if err != nil || len(all) != 4 {
			t.Fatalf("tags: %+v %v", all, err)
		}
		for _, tg := range all {
			if tg.Name == "电商课程" && (tg.Manual != 1 || len(tg.Rules) != 1 || tg.Rules[0].Field != community.RuleTemplate) {
				t.Fatalf("电商课程: %+v", tg)
			}
		}

		// Refusals.
		for _, c := range []struct {
			name string
			err  error
			kind errkind.Kind
		}{
			{"same name", db.CreateTag(ctx, &community.Tag{OrgID: w.org.ID, Name: "阳新", Subject: community.TagGroups}), errkind.Conflict},
			{"same name, people", db.CreateTag(ctx, &community.Tag{OrgID: w.org.ID, Name: "阳新", Subject: community.TagPeople}), ""},
			{"comma", db.CreateTag(ctx, &community.Tag{OrgID: w.org.ID, Name: "甲,乙", Subject: community.TagGroups}), errkind.Invalid},
			{"subject", db.CreateTag(ctx, &community.Tag{OrgID: w.org.ID, Name: "x", Subject: "thing"}), errkind.Invalid},
			{"people field", db.AddTagRule(ctx, w.org.ID, &community.TagRule{TagID: byKind.ID, Field: community.RuleSource, Value: "event"}, "u"), errkind.Invalid},
			{"unknown node", db.AddTagRule(ctx, w.org.ID, &community.TagRule{TagID: byKind.ID, Field: community.RuleNode, Value: "99999"}, "u"), errkind.NotFound},
			{"same rule", db.AddTagRule(ctx, w.org.ID, &community.TagRule{TagID: byKind.ID, Field: community.RuleKind, Value: "cohort"}, "u"), errkind.Conflict},
			{"rename to taken", db.RenameTag(ctx, w.org.ID, byKind.ID, "电商课程", "u"), errkind.Conflict},
			{"other org", db.SetGroupTag(ctx, w.org.ID+1, byKind.ID, w.yx.ID, true, "u"), errkind.NotFound},
			{"person in group tag", db.SetPersonTag(ctx, w.org.ID, byKind.ID, 1, true, "u"), errkind.Invalid},
			{"unknown group", db.SetGroupTag(ctx, w.org.ID, byKind.ID, 99999, true, "u"), errkind.NotFound},
		} {
			if c.kind == "" && c.err != nil || c.kind != "" && !errkind.Is(c.err, c.kind) {
				t.Errorf("%s: %v, want %s", c.name, c.err, c.kind)
			}
		}
		got, _ := db.Tag(ctx, w.org.ID, byNode.ID)
		if err := db.RemoveTagRule(ctx, w.org.ID, byNode.ID, got.Rules[0].ID+1000, "u"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another tag's rule: %v", err)
		}
		if err := db.RemoveTagRule(ctx, w.org.ID, byNode.ID, got.Rules[0].ID, "u"); err != nil || len(w.groupsOf(byNode.ID)) != 0 {
			t.Fatalf("rule removed: %v %v", err, w.groupsOf(byNode.ID))
		}
		if err := db.RenameTag(ctx, w.org.ID, byNode.ID, " 阳新分社群 ", "u"); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.Tag(ctx, w.org.ID, byNode.ID); got.Name != "阳新分社群" {
			t.Fatalf("renamed: %q", got.Name)
		}
		if err := db.DeleteTag(ctx, w.org.ID, byTemplate.ID, "u"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Tag(ctx, w.org.ID, byTemplate.ID); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("deleted: %v", err)
		}
	})
}

// TestTagPeopleRules: a people tag holds whoever joined so, with a
// campaign's codes, holds a level's seat, or is of an activity status
// (from the rollups), and who was put in by hand; a segment is the open
// memberships of a people tag's members in a group tag's groups, within
// the reader's groups.
func TestTagPeopleRules(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		w := newTagWorld(t, db)
		now := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
		long := now.AddDate(0, -2, 0)
		amei := w.member("阿梅", w.cohort, chat.SourceReferral, "S11AB", long)
		w.join(amei, w.yx, chat.SourcePulledIn, "", long)
		zhou := w.member("老周", w.yx, chat.SourcePromo, "", now.AddDate(0, 0, -5))
		chen := w.member("小陈", w.owners, chat.SourcePulledIn, "", now.AddDate(0, 0, -5))
		sleep := w.member("潜水员", w.cohort, chat.SourceEvent, "", long)
		w.insert("INSERT INTO partner_seats (level_id, entity_id, number, person_id, admitted_at) VALUES (?, ?, 1, ?, ?) RETURNING id", w.level, w.branch.ID, chen, now.UnixMilli())
		h := &history{t: t, db: db, org: w.org, group: w.cohort}
		h.post(amei, now.AddDate(0, 0, -3), "今天的直播复盘", "")
		if _, err := db.Rollup(ctx, w.org.ID, now, cst, 90); err != nil {
			t.Fatal(err)
		}
		people := func(tg community.Tag) []int64 {
			t.Helper()
			list, err := db.TaggedPeople(ctx, w.org.ID, tg.ID, now, cst)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, v := range list {
				ids = append(ids, v.ID)
			}
			return ids
		}
		for _, c := range []struct {
			tag  community.Tag
			want []int64
		}{
			{w.tag("吸粉", community.TagPeople, rule(community.RuleSource, chat.SourcePromo)), []int64{zhou}},
			{w.tag("双十一", community.TagPeople, rule(community.RuleCampaign, w.campaign)), []int64{amei}},
			{w.tag("县级合伙人", community.TagPeople, rule(community.RuleLevel, w.level)), []int64{chen}},
			{w.tag("活跃", community.TagPeople, rule(community.RuleStatus, "active")), []int64{amei}},
			{w.tag("新人", community.TagPeople, rule(community.RuleStatus, "new")), []int64{zhou, chen}},
			{w.tag("僵尸", community.TagPeople, rule(community.RuleStatus, "zombie")), []int64{sleep}},
			{w.tag("高意向", community.TagPeople, rule(community.RuleSource, chat.SourceReferral), rule(community.RuleSource, chat.SourceEvent)), []int64{amei, sleep}},
		} {
			if got := people(c.tag); !slices.Equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.tag.Name, got, c.want)
			}
		}
		vip := w.tag("重点跟进", community.TagPeople)
		if err := db.SetPersonTag(ctx, w.org.ID, vip.ID, zhou, true, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if err := db.SetPersonTag(ctx, w.org.ID, vip.ID, amei, true, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if got := people(vip); !slices.Equal(got, []int64{amei, zhou}) {
			t.Fatalf("by hand: %v", got)
		}
		tags, err := db.PersonTagsOf(ctx, w.org.ID, amei, now, cst)
		var names []string
		for _, tg := range tags {
			names = append(names, tg.Name)
		}
		if err != nil || fmt.Sprint(names) != "[双十一 活跃 重点跟进 高意向]" {
			t.Fatalf("阿梅's tags: %v %v", names, err)
		}

		// The segment: 重点跟进 in the 阳新 branch's groups — 阿梅 and 老周
		// in the exchange group; within the owners' group only, nobody.
		branch := w.tag("阳新群", community.TagGroups, rule(community.RuleNode, w.branch.ID))
		seg := community.Segment{PersonTag: vip.ID, GroupTag: branch.ID}
		list, err := db.SegmentMembers(ctx, w.org.ID, seg, nil, now, cst)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, m := range list {
			rows = append(rows, fmt.Sprintf("%s %v %s %v %d", m.Name, m.Groups, m.Status, m.Tags, m.Messages30))
		}
		want := []string{"老周 [NF-阳新学员交流群] new [吸粉 新人 重点跟进] 0", "阿梅 [NF-阳新学员交流群] active [双十一 活跃 重点跟进 高意向] 1"}
		if fmt.Sprint(rows) != fmt.Sprint(want) {
			t.Fatalf("segment:\n%q\nwant\n%q", rows, want)
		}
		if list, err := db.SegmentMembers(ctx, w.org.ID, seg, []int64{w.owners.ID}, now, cst); err != nil || len(list) != 0 {
			t.Fatalf("within the owners' group: %+v %v", list, err)
		}
		all, err := db.SegmentMembers(ctx, w.org.ID, community.Segment{Status: "active"}, nil, now, cst)
		if err != nil || len(all) != 1 || all[0].PersonID != amei || !slices.Equal(all[0].Groups, []string{w.cohort.Name, w.yx.Name}) {
			t.Fatalf("the active members: %+v %v", all, err)
		}
		if _, err := db.SegmentMembers(ctx, w.org.ID, community.Segment{Status: "asleep"}, nil, now, cst); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("bad status: %v", err)
		}
		if _, err := db.SegmentMembers(ctx, w.org.ID, community.Segment{PersonTag: branch.ID}, nil, now, cst); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a group tag as the people: %v", err)
		}
	})
}

// TestCadenceAimedAtTag: a cadence aimed at a group tag plans pushes to
// exactly the tag's active groups, read at each planning — a group tagged
// after the cadence was made gets its push; the tag's deletion pauses
// the cadence.
func TestCadenceAimedAtTag(t *testing.T) {
	clk := newClock()
	storetest.Dialects(t, clk.Now, func(t *testing.T, db *store.DB) {
		clk.Add(newClock().Now().Sub(clk.Now()))
		w := newTagWorld(t, db)
		s := approvedScript(t, db, w.org.ID)
		tag := w.tag("电商课程", community.TagGroups, rule(community.RuleTemplate, w.template))
		people := w.tag("高意向", community.TagPeople)
		bad := content.Cadence{OrgID: w.org.ID, ScriptID: s.ID, Select: content.Selector{TagID: people.ID}, Kind: content.Daily, Slot: "morning"}
		if err := db.CreateCadence(ctx, &bad); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a people tag: %v", err)
		}
		bad.Select.TagID = 99999
		if err := db.CreateCadence(ctx, &bad); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("an unknown tag: %v", err)
		}
		c := content.Cadence{OrgID: w.org.ID, ScriptID: s.ID, Select: content.Selector{TagID: tag.ID}, Kind: content.Daily, Slot: "morning", CreatedBy: "user:ops"}
		if err := db.CreateCadence(ctx, &c); err != nil {
			t.Fatal(err)
		}
		planned := func() []int64 {
			t.Helper()
			var ids []int64
			for _, g := range []community.Group{w.cohort, w.yx, w.owners} {
				ps, err := db.Pushes(ctx, g.ID, clk.Now().Add(-48*time.Hour), clk.Now().Add(14*24*time.Hour))
				if err != nil {
					t.Fatal(err)
				}
				if len(ps) > 0 {
					ids = append(ids, g.ID)
				}
			}
			return ids
		}
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil || !slices.Equal(planned(), []int64{w.yx.ID}) {
			t.Fatalf("planned %d %v to %v, want the template's group %d", n, err, planned(), w.yx.ID)
		}
		if err := db.SetGroupTag(ctx, w.org.ID, tag.ID, w.owners.ID, true, "user:ops"); err != nil {
			t.Fatal(err)
		}
		if n, err := db.PlanCadences(ctx); n != 1 || err != nil || !slices.Equal(planned(), []int64{w.yx.ID, w.owners.ID}) {
			t.Fatalf("after tagging the owners' group: %d %v %v", n, err, planned())
		}
		list, err := db.Cadences(ctx, w.org.ID)
		if err != nil || len(list) != 1 || list[0].Select.TagID != tag.ID {
			t.Fatalf("cadences: %+v %v", list, err)
		}
		if err := db.DeleteTag(ctx, w.org.ID, tag.ID, "user:ops"); err != nil {
			t.Fatal(err)
		}
		list, err = db.Cadences(ctx, w.org.ID)
		if err != nil || !list[0].Paused || list[0].Select.TagID != 0 {
			t.Fatalf("after deleting its tag: %+v %v", list, err)
		}
		// Resuming it would aim at every group: refused, and never planned.
		if _, err := db.PauseCadence(ctx, w.org.ID, c.ID, false, "user:ops"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("resume a cadence whose tag was deleted: %v", err)
		}
		if list, _ = db.Cadences(ctx, w.org.ID); !list[0].Paused {
			t.Fatalf("resumed after all: %+v", list[0])
		}
		if _, err := db.SQL().ExecContext(ctx, "UPDATE cadences SET paused_at = NULL WHERE id = "+strconv.FormatInt(c.ID, 10)); err != nil {
			t.Fatal(err)
		}
		before := planned()
		if n, err := db.PlanCadences(ctx); n != 0 || err != nil || !slices.Equal(planned(), before) {
			t.Fatalf("a cadence aiming nowhere planned %d %v: %v → %v", n, err, before, planned())
		}
	})
}
