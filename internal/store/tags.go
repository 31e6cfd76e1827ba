package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Tags and segments (community.Tagger): tags on groups or people, put in
// by hand (group_tags, person_tags) or matched by their rules
// (tag_rules), which are read whenever a tag is resolved — a group of a
// tagged kind created a minute ago is in the tag at once.

var _ community.Tagger = (*DB)(nil)

// Tags lists the organisation's tags with their rules and manual counts,
// by subject (group tags first) then name.
func (db *DB) Tags(ctx context.Context, orgID int64) ([]community.Tag, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT t.id, t.org_id, t.name, t.subject, t.created_by, t.created_at,
			(SELECT COUNT(*) FROM group_tags x WHERE x.tag_id = t.id) + (SELECT COUNT(*) FROM person_tags x WHERE x.tag_id = t.id)
		FROM tags t WHERE t.org_id = ? ORDER BY t.subject, t.name, t.id`), orgID)
	tags, err := scanAll(rows, err, scanTag)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	rules, err := db.tagRules(ctx, db.sql, orgID, 0)
	if err != nil {
		return nil, err
	}
	for i := range tags {
		tags[i].Rules = rules[tags[i].ID]
	}
	return tags, nil
}

func scanTag(r *sql.Rows, t *community.Tag) error {
	var subject string
	var created int64
	if err := r.Scan(&t.ID, &t.OrgID, &t.Name, &subject, &t.CreatedBy, &created, &t.Manual); err != nil {
		return err
	}
	t.Subject, t.CreatedAt = community.TagSubject(subject), fromMS(created)
	return nil
}

// tagRules reads the rules of the organisation's tags (or of one), by
// tag, in the order they were added.
func (db *DB) tagRules(ctx context.Context, q queryer, orgID, tagID int64) (map[int64][]community.TagRule, error) {
	cond, args := "", []any{orgID}
	if tagID != 0 {
		cond, args = " AND r.tag_id = ?", append(args, tagID)
	}
	rows, err := q.QueryContext(ctx, db.q(`SELECT r.id, r.tag_id, r.field, r.value FROM tag_rules r JOIN tags t ON t.id = r.tag_id
		WHERE t.org_id = ?`+cond+` ORDER BY r.id`), args...)
	out := map[int64][]community.TagRule{}
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var v community.TagRule
		if err := r.Scan(&v.ID, &v.TagID, &v.Field, &v.Value); err != nil {
			return err
		}
		out[v.TagID] = append(out[v.TagID], v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("tag rules: %w", err)
	}
	return out, nil
}

// Tag reads one tag of the organisation with its rules.
func (db *DB) Tag(ctx context.Context, orgID, id int64) (community.Tag, error) {
	return tagOf(ctx, db, db.sql, orgID, id)
}

func tagOf(ctx context.Context, db *DB, q queryer, orgID, id int64) (community.Tag, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT t.id, t.org_id, t.name, t.subject, t.created_by, t.created_at,
			(SELECT COUNT(*) FROM group_tags x WHERE x.tag_id = t.id) + (SELECT COUNT(*) FROM person_tags x WHERE x.tag_id = t.id)
		FROM tags t WHERE t.org_id = ? AND t.id = ?`), orgID, id)
	tags, err := scanAll(rows, err, scanTag)
	if err != nil {
		return community.Tag{}, fmt.Errorf("read tag %d: %w", id, err)
	}
	if len(tags) == 0 {
		return community.Tag{}, errkind.Errorf(errkind.NotFound, "tag %d not found", id)
	}
	rules, err := db.tagRules(ctx, q, orgID, id)
	if err != nil {
		return community.Tag{}, err
	}
	tags[0].Rules = rules[id]
	return tags[0], nil
}

// tagConflict says a name is taken, in both languages.
func tagConflict(name string) error {
	return errkind.Errorf(errkind.Conflict, "已有同名标签「%s」。A tag named %q exists already.", name, name)
}

// CreateTag stores a new tag (its name checked, unique per subject).
func (db *DB) CreateTag(ctx context.Context, t *community.Tag) error {
	name, err := community.CheckTagName(t.Name)
	if err != nil {
		return err
	}
	if !t.Subject.Valid() {
		return errkind.Errorf(errkind.Invalid, "subject: a tag names groups or people, not %q", t.Subject)
	}
	t.Name, t.CreatedAt, t.Rules, t.Manual = name, db.now(), nil, 0
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO tags (org_id, name, subject, created_by, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id"),
			t.OrgID, t.Name, string(t.Subject), t.CreatedBy, ms(t.CreatedAt)).Scan(&t.ID)
		if err = classify(err); errkind.Is(err, errkind.Conflict) {
			return tagConflict(t.Name)
		} else if err != nil {
			return fmt.Errorf("create tag: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: t.OrgID, Actor: t.CreatedBy, Action: "tag.create", Subject: tagSubject(t.ID),
			Detail: community.Detail("name", t.Name, "subject", t.Subject)})
	})
}

func tagSubject(id int64) string { return "tag:" + strconv.FormatInt(id, 10) }

// RenameTag renames a tag.
func (db *DB) RenameTag(ctx context.Context, orgID, id int64, name, actor string) error {
	name, err := community.CheckTagName(name)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := tagOf(ctx, db, tx, orgID, id)
		if err != nil {
			return err
		}
		if t.Name == name {
			return nil
		}
		_, err = tx.ExecContext(ctx, db.q("UPDATE tags SET name = ? WHERE id = ?"), name, id)
		if err = classify(err); errkind.Is(err, errkind.Conflict) {
			return tagConflict(name)
		} else if err != nil {
			return fmt.Errorf("rename tag: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "tag.rename", Subject: tagSubject(id),
			Detail: community.Detail("from", t.Name, "to", name)})
	})
}

// DeleteTag removes a tag with its rules and manual entries. A cadence
// aimed at it is paused and loses its aim (what else it lists stays).
func (db *DB) DeleteTag(ctx context.Context, orgID, id int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := tagOf(ctx, db, tx, orgID, id)
		if err != nil {
			return err
		}
		now := ms(db.now())
		for _, st := range []struct {
			q    string
			args []any
		}{
			{"UPDATE cadences SET paused_at = COALESCE(paused_at, ?), tag_id = NULL WHERE org_id = ? AND tag_id = ?", []any{now, orgID, id}},
			{"DELETE FROM tag_rules WHERE tag_id = ?", []any{id}},
			{"DELETE FROM group_tags WHERE tag_id = ?", []any{id}},
			{"DELETE FROM person_tags WHERE tag_id = ?", []any{id}},
			{"DELETE FROM tags WHERE id = ?", []any{id}},
		} {
			if _, err := tx.ExecContext(ctx, db.q(st.q), st.args...); err != nil {
				return fmt.Errorf("delete tag: %w", err)
			}
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "tag.delete", Subject: tagSubject(id),
			Detail: community.Detail("name", t.Name, "subject", t.Subject)})
	})
}

// ruleTables are the tables whose ids a rule's value names.
var ruleTables = map[string]string{
	community.RuleNode:     "nodes",
	community.RuleTemplate: "group_templates",
	community.RuleCampaign: "campaigns",
	community.RuleLevel:    "partner_levels",
}

// AddTagRule adds a rule to a tag: its field must suit the tag's subject
// and an id it names must be the organisation's.
func (db *DB) AddTagRule(ctx context.Context, orgID int64, r *community.TagRule, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := tagOf(ctx, db, tx, orgID, r.TagID)
		if err != nil {
			return err
		}
		if err := r.Check(t.Subject); err != nil {
			return err
		}
		if table, ok := ruleTables[r.Field]; ok {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM "+table+" WHERE org_id = ? AND id = ?"), orgID, r.ID64()).Scan(&n); err != nil {
				return fmt.Errorf("tag rule: %w", err)
			}
			if n == 0 {
				return errkind.Errorf(errkind.NotFound, "%s %s not found", r.Field, r.Value)
			}
		}
		err = tx.QueryRowContext(ctx, db.q("INSERT INTO tag_rules (tag_id, field, value, created_at) VALUES (?, ?, ?, ?) RETURNING id"),
			r.TagID, r.Field, r.Value, ms(db.now())).Scan(&r.ID)
		if err = classify(err); errkind.Is(err, errkind.Conflict) {
			return errkind.New(errkind.Conflict, "这个标签已有这条规则。The tag has this rule already.")
		} else if err != nil {
			return fmt.Errorf("add tag rule: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "tag.rule_add", Subject: tagSubject(r.TagID),
			Detail: community.Detail("name", t.Name, "field", r.Field, "value", r.Value)})
	})
}

// RemoveTagRule removes one of a tag's rules.
func (db *DB) RemoveTagRule(ctx context.Context, orgID, tagID, ruleID int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := tagOf(ctx, db, tx, orgID, tagID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Rules, func(r community.TagRule) bool { return r.ID == ruleID })
		if i < 0 {
			return errkind.Errorf(errkind.NotFound, "rule %d of tag %d not found", ruleID, tagID)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM tag_rules WHERE id = ?"), ruleID); err != nil {
			return fmt.Errorf("remove tag rule: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "tag.rule_remove", Subject: tagSubject(tagID),
			Detail: community.Detail("name", t.Name, "field", t.Rules[i].Field, "value", t.Rules[i].Value)})
	})
}

// SetGroupTag puts a group in a group tag by hand, or takes it out.
func (db *DB) SetGroupTag(ctx context.Context, orgID, tagID, groupID int64, on bool, actor string) error {
	return db.setTagged(ctx, orgID, tagID, groupID, on, actor, community.TagGroups)
}

// SetPersonTag puts a person in a people tag by hand, or takes them out.
func (db *DB) SetPersonTag(ctx context.Context, orgID, tagID, personID int64, on bool, actor string) error {
	return db.setTagged(ctx, orgID, tagID, personID, on, actor, community.TagPeople)
}

func (db *DB) setTagged(ctx context.Context, orgID, tagID, id int64, on bool, actor string, subject community.TagSubject) error {
	table, col, owner, what := "group_tags", "group_id", "chat_groups", "group"
	if subject == community.TagPeople {
		table, col, owner, what = "person_tags", "person_id", "people", "person"
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := tagOf(ctx, db, tx, orgID, tagID)
		if err != nil {
			return err
		}
		if t.Subject != subject {
			return errkind.Errorf(errkind.Invalid, "tag: 「%s」 is a %s tag, not a %s tag", t.Name, t.Subject, subject)
		}
		var n int
		if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM "+owner+" WHERE org_id = ? AND id = ?"), orgID, id).Scan(&n); err != nil {
			return fmt.Errorf("tag %s: %w", what, err)
		}
		if n == 0 {
			return errkind.Errorf(errkind.NotFound, "%s %d not found", what, id)
		}
		var res sql.Result
		action := "tag.add"
		if on {
			res, err = tx.ExecContext(ctx, db.q("INSERT INTO "+table+" (tag_id, "+col+", created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"), tagID, id, ms(db.now()))
		} else {
			action = "tag.remove"
			res, err = tx.ExecContext(ctx, db.q("DELETE FROM "+table+" WHERE tag_id = ? AND "+col+" = ?"), tagID, id)
		}
		if err != nil {
			return fmt.Errorf("tag %s: %w", what, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // already so
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: action, Subject: tagSubject(tagID),
			Detail: community.Detail("name", t.Name, what, id)})
	})
}

// groupRuleSQL selects the organisation's groups a group rule matches
// (the organisation's id and the rule's value are its arguments).
var groupRuleSQL = map[string]string{
	community.RuleKind: "SELECT id FROM chat_groups WHERE org_id = ? AND kind = ?",
	community.RuleNode: `WITH RECURSIVE sub(id) AS (SELECT id FROM nodes WHERE id = ?
			UNION ALL SELECT n.id FROM nodes n JOIN sub ON n.parent_id = sub.id)
		SELECT g.id FROM chat_groups g WHERE g.org_id = ? AND g.node_id IN (SELECT id FROM sub)`,
	community.RuleTemplate: `SELECT t.group_id FROM group_tasks t JOIN group_families f ON f.id = t.family_id
		JOIN group_template_steps s ON s.id = f.step_id
		WHERE t.org_id = ? AND s.template_id = ? AND t.group_id IS NOT NULL`,
}

// personRuleSQL selects the organisation's people a people rule matches
// but by status: whoever joined a group of it so, with a campaign's
// codes, or holds an open seat of a level.
var personRuleSQL = map[string]string{
	community.RuleSource: `SELECT DISTINCT m.person_id FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.source = ?`,
	community.RuleCampaign: `SELECT DISTINCT m.person_id FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		JOIN invite_codes c ON c.code = m.code AND c.org_id = g.org_id
		WHERE g.org_id = ? AND m.code <> '' AND c.campaign_id = ?`,
	community.RuleLevel: `SELECT DISTINCT s.person_id FROM partner_seats s JOIN partner_levels l ON l.id = s.level_id
		WHERE l.org_id = ? AND s.level_id = ? AND s.released_at IS NULL`,
}

// TaggedGroups resolves a group tag: the groups put in by hand and those
// its rules match now, archived ones too, by id.
func (db *DB) TaggedGroups(ctx context.Context, orgID, tagID int64) ([]community.Tagged, error) {
	t, err := db.Tag(ctx, orgID, tagID)
	if err != nil {
		return nil, err
	}
	if t.Subject != community.TagGroups {
		return nil, errkind.Errorf(errkind.Invalid, "tag: 「%s」 names people, not groups", t.Name)
	}
	return db.resolve(ctx, t, nil)
}

// TagGroups returns the ids of the groups a group tag holds now
// (content.Scheduler: planning aims pushes at a tag).
func (db *DB) TagGroups(ctx context.Context, orgID, tagID int64) ([]int64, error) {
	list, err := db.TaggedGroups(ctx, orgID, tagID)
	ids := make([]int64, len(list))
	for i, v := range list {
		ids[i] = v.ID
	}
	return ids, err
}

// TaggedPeople resolves a people tag at now: the people put in by hand
// and those its rules match, by id.
func (db *DB) TaggedPeople(ctx context.Context, orgID, tagID int64, now time.Time, loc *time.Location) ([]community.Tagged, error) {
	return db.taggedPeople(ctx, orgID, tagID, nil, now, loc)
}

// taggedPeople resolves a people tag with the people's activity when
// the caller has read it already (acts not nil).
func (db *DB) taggedPeople(ctx context.Context, orgID, tagID int64, acts map[int64]personActivity, now time.Time, loc *time.Location) ([]community.Tagged, error) {
	t, err := db.Tag(ctx, orgID, tagID)
	if err != nil {
		return nil, err
	}
	if t.Subject != community.TagPeople {
		return nil, errkind.Errorf(errkind.Invalid, "tag: 「%s」 names groups, not people", t.Name)
	}
	if acts == nil && slices.ContainsFunc(t.Rules, func(r community.TagRule) bool { return r.Field == community.RuleStatus }) {
		if acts, err = db.personActivities(ctx, orgID, 0, now, loc); err != nil {
			return nil, err
		}
	}
	return db.resolve(ctx, t, acts)
}

// resolve works a tag out: its manual entries and its rules' matches.
// acts holds the people's activity when a rule matches on status.
func (db *DB) resolve(ctx context.Context, t community.Tag, acts map[int64]personActivity) ([]community.Tagged, error) {
	manual := "SELECT group_id FROM group_tags WHERE tag_id = ?"
	sqls := groupRuleSQL
	if t.Subject == community.TagPeople {
		manual, sqls = "SELECT person_id FROM person_tags WHERE tag_id = ?", personRuleSQL
	}
	got := map[int64]*community.Tagged{}
	mark := func(id int64, hand bool) {
		v := got[id]
		if v == nil {
			v = &community.Tagged{ID: id}
			got[id] = v
		}
		if hand {
			v.ByHand = true
		} else {
			v.ByRule = true
		}
	}
	ids := func(q string, args []any, hand bool) error {
		rows, err := db.sql.QueryContext(ctx, db.q(q), args...)
		return eachRow(rows, err, func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			mark(id, hand)
			return nil
		})
	}
	if err := ids(manual, []any{t.ID}, true); err != nil {
		return nil, fmt.Errorf("resolve tag %d: %w", t.ID, err)
	}
	for _, r := range t.Rules {
		if r.Field == community.RuleStatus {
			for id, a := range acts {
				if a.Status == r.Value {
					mark(id, false)
				}
			}
			continue
		}
		q, ok := sqls[r.Field]
		if !ok {
			continue // a rule of the other subject's fields is never stored
		}
		var value any = r.Value
		if _, isID := ruleTables[r.Field]; isID {
			value = r.ID64()
		}
		args := []any{t.OrgID, value}
		if r.Field == community.RuleNode {
			args = []any{value, t.OrgID}
		}
		if err := ids(q, args, false); err != nil {
			return nil, fmt.Errorf("resolve tag %d: rule %s: %w", t.ID, r.Field, err)
		}
	}
	out := make([]community.Tagged, 0, len(got))
	for _, v := range got {
		out = append(out, *v)
	}
	slices.SortFunc(out, func(a, b community.Tagged) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// personActivity is a member's activity over the organisation's groups,
// as the rollups have it (docs/metrics.md, "A person's status").
type personActivity struct {
	Joined     time.Time // their earliest open membership as a member
	LastDay    analytics.Day
	Messages30 int
	Status     string
}

// LastMessage is the start of the last day they posted on, nil for none.
func (a personActivity) LastMessage(loc *time.Location) *time.Time {
	if a.LastDay == 0 {
		return nil
	}
	t := a.LastDay.Start(loc)
	return &t
}

// personActivities reads the activity of everyone with an open member
// (not staff) membership in the organisation, not bots — or of one
// person (only ≠ 0).
func (db *DB) personActivities(ctx context.Context, orgID, only int64, now time.Time, loc *time.Location) (map[int64]personActivity, error) {
	out := map[int64]personActivity{}
	cond, args := "", []any{orgID}
	if only != 0 {
		cond, args = " AND m.person_id = ?", append(args, only)
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, MIN(m.joined_at) FROM memberships m JOIN chat_groups g ON g.id = m.group_id
		WHERE g.org_id = ? AND m.left_at IS NULL AND m.role = 'member'`+cond+`
		  AND NOT EXISTS (SELECT 1 FROM identities b WHERE b.person_id = m.person_id AND b.bot = TRUE)
		GROUP BY m.person_id`), args...)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var id, joined int64
		if err := r.Scan(&id, &joined); err != nil {
			return err
		}
		out[id] = personActivity{Joined: fromMS(joined)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person activity: %w", err)
	}
	today := analytics.DayOf(now, loc)
	cond, args = "", []any{int64(today - 30), orgID}
	if only != 0 {
		cond, args = " AND md.person_id = ?", append(args, only)
	}
	rows, err = db.sql.QueryContext(ctx, db.q(`SELECT md.person_id, MAX(md.day), SUM(CASE WHEN md.day > ? THEN md.messages ELSE 0 END)
		FROM member_days md JOIN chat_groups g ON g.id = md.group_id WHERE g.org_id = ?`+cond+` GROUP BY md.person_id`), args...)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var id, last, n int64
		if err := r.Scan(&id, &last, &n); err != nil {
			return err
		}
		if a, ok := out[id]; ok {
			a.LastDay, a.Messages30 = analytics.Day(last), int(n)
			out[id] = a
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("person activity: %w", err)
	}
	for id, a := range out {
		st, _ := analytics.Classify(analytics.Member{JoinedAt: a.Joined, LastMessage: a.LastMessage(loc)}, now, loc)
		a.Status = string(st)
		out[id] = a
	}
	return out, nil
}

// GroupTagsOf lists the group tags holding a group now, by name.
func (db *DB) GroupTagsOf(ctx context.Context, orgID, groupID int64) ([]community.HeldTag, error) {
	return db.tagsOf(ctx, orgID, groupID, community.TagGroups, nil)
}

// PersonTagsOf lists the people tags holding a person now, by name.
func (db *DB) PersonTagsOf(ctx context.Context, orgID, personID int64, now time.Time, loc *time.Location) ([]community.HeldTag, error) {
	// Only this person's status matters to whether they are in a tag.
	acts, err := db.personActivities(ctx, orgID, personID, now, loc)
	if err != nil {
		return nil, err
	}
	return db.tagsOf(ctx, orgID, personID, community.TagPeople, acts)
}

func (db *DB) tagsOf(ctx context.Context, orgID, id int64, subject community.TagSubject, acts map[int64]personActivity) ([]community.HeldTag, error) {
	held, err := db.holding(ctx, orgID, subject, acts)
	if err != nil {
		return nil, err
	}
	var out []community.HeldTag
	for _, h := range held {
		if v, ok := h.holds(id); ok {
			out = append(out, community.HeldTag{Tag: h.tag, ByHand: v.ByHand, ByRule: v.ByRule})
		}
	}
	return out, nil
}

type heldTag struct {
	tag community.Tag
	in  []community.Tagged // by id
}

// holds finds id among what the tag holds.
func (h heldTag) holds(id int64) (community.Tagged, bool) {
	i, ok := slices.BinarySearchFunc(h.in, id, func(v community.Tagged, id int64) int { return cmp.Compare(v.ID, id) })
	if !ok {
		return community.Tagged{}, false
	}
	return h.in[i], true
}

// holding resolves every tag of a subject.
func (db *DB) holding(ctx context.Context, orgID int64, subject community.TagSubject, acts map[int64]personActivity) ([]heldTag, error) {
	tags, err := db.Tags(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []heldTag
	for _, t := range tags {
		if t.Subject != subject {
			continue
		}
		in, err := db.resolve(ctx, t, acts)
		if err != nil {
			return nil, err
		}
		out = append(out, heldTag{tag: t, in: in})
	}
	return out, nil
}

// SegmentMembers lists the open member memberships a segment picks, in
// the groups of within (nil: all), one row per person with their groups
// of the segment, their people tags, status and activity, by name.
func (db *DB) SegmentMembers(ctx context.Context, orgID int64, s community.Segment, within []int64, now time.Time, loc *time.Location) ([]community.SegmentMember, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	acts, err := db.personActivities(ctx, orgID, 0, now, loc)
	if err != nil {
		return nil, err
	}
	var people, groups map[int64]bool
	if s.PersonTag != 0 {
		list, err := db.taggedPeople(ctx, orgID, s.PersonTag, acts, now, loc)
		if err != nil {
			return nil, err
		}
		people = taggedSet(list)
	}
	if s.GroupTag != 0 {
		list, err := db.TaggedGroups(ctx, orgID, s.GroupTag)
		if err != nil {
			return nil, err
		}
		groups = taggedSet(list)
	}
	var in map[int64]bool
	if within != nil {
		in = map[int64]bool{}
		for _, id := range within {
			in[id] = true
		}
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT m.person_id, p.name, m.group_id, g.name, m.joined_at, COALESCE(i.external_id, '')
		FROM memberships m JOIN chat_groups g ON g.id = m.group_id JOIN people p ON p.id = m.person_id
		LEFT JOIN identities i ON i.person_id = m.person_id AND i.connection = g.connection
		WHERE g.org_id = ? AND m.left_at IS NULL AND m.role = 'member'
		  AND NOT EXISTS (SELECT 1 FROM identities b WHERE b.person_id = m.person_id AND b.bot = TRUE)
		ORDER BY m.joined_at, m.group_id`), orgID)
	byPerson := map[int64]*community.SegmentMember{}
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var pid, gid, joined int64
		var name, group, ext string
		if err := r.Scan(&pid, &name, &gid, &group, &joined, &ext); err != nil {
			return err
		}
		a := acts[pid]
		switch {
		case people != nil && !people[pid], groups != nil && !groups[gid], in != nil && !in[gid],
			s.GroupID != 0 && gid != s.GroupID, s.Status != "" && a.Status != s.Status:
			return nil
		}
		m := byPerson[pid]
		if m == nil {
			m = &community.SegmentMember{PersonID: pid, Name: name, JoinedAt: fromMS(joined), Status: a.Status, LastMessage: a.LastMessage(loc), Messages30: a.Messages30}
			byPerson[pid] = m
		}
		if !slices.Contains(m.Groups, group) {
			m.Groups = append(m.Groups, group)
		}
		if ext != "" && !slices.Contains(m.UserIDs, ext) {
			m.UserIDs = append(m.UserIDs, ext)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("segment: %w", err)
	}
	held, err := db.holding(ctx, orgID, community.TagPeople, acts)
	if err != nil {
		return nil, err
	}
	out := make([]community.SegmentMember, 0, len(byPerson))
	for _, m := range byPerson {
		for _, h := range held {
			if _, ok := h.holds(m.PersonID); ok {
				m.Tags = append(m.Tags, h.tag.Name)
			}
		}
		out = append(out, *m)
	}
	slices.SortFunc(out, func(a, b community.SegmentMember) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.PersonID, b.PersonID))
	})
	return out, nil
}

func taggedSet(list []community.Tagged) map[int64]bool {
	out := make(map[int64]bool, len(list))
	for _, v := range list {
		out[v.ID] = true
	}
	return out
}

// tagOfCadence checks that a cadence's tag is a group tag of the
// organisation.
func tagOfCadence(ctx context.Context, db *DB, q queryer, orgID, tagID int64) error {
	var subject string
	err := q.QueryRowContext(ctx, db.q("SELECT subject FROM tags WHERE org_id = ? AND id = ?"), orgID, tagID).Scan(&subject)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return errkind.Errorf(errkind.NotFound, "tag %d not found", tagID)
	case err != nil:
		return fmt.Errorf("cadence tag: %w", err)
	case community.TagSubject(subject) != community.TagGroups:
		return errkind.Errorf(errkind.Invalid, "tag_id: tag %d names people; a cadence aims at a group tag", tagID)
	}
	return nil
}

// TagChoices lists the organisation's templates, campaigns and partner
// levels, which tag rules name by id.
func (db *DB) TagChoices(ctx context.Context, orgID int64) (community.TagChoices, error) {
	var out community.TagChoices
	for _, c := range []struct {
		into *[]community.TagChoice
		q    string
	}{
		{&out.Templates, "SELECT id, name FROM group_templates WHERE org_id = ? ORDER BY name, id"},
		{&out.Campaigns, "SELECT id, name FROM campaigns WHERE org_id = ? ORDER BY archived_at IS NOT NULL, name, id"},
		{&out.Levels, "SELECT id, name FROM partner_levels WHERE org_id = ? ORDER BY rank, id"},
	} {
		rows, err := db.sql.QueryContext(ctx, db.q(c.q), orgID)
		list, err := scanAll(rows, err, func(r *sql.Rows, v *community.TagChoice) error { return r.Scan(&v.ID, &v.Name) })
		if err != nil {
			return out, fmt.Errorf("tag choices: %w", err)
		}
		*c.into = list
	}
	return out, nil
}
