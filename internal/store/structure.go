package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Group structure: profiles and checklists, templates and their "to
// create" tasks, capacity routing along a family, node deletion. See
// docs/group-structure.md.

// loadGroup reads one group of an organisation with its member count.
func loadGroup(ctx context.Context, db *DB, q queryer, orgID, id int64) (community.Group, error) {
	var members int
	g, err := scanGroup(q.QueryRowContext(ctx, db.q("SELECT "+groupCols+", "+memberCount+" FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, id), &members)
	g.Members = members
	if errors.Is(err, sql.ErrNoRows) {
		return g, errkind.Errorf(errkind.NotFound, "group %d not found", id)
	}
	if err != nil {
		return g, fmt.Errorf("read group %d: %w", id, err)
	}
	return g, nil
}

// audit appends an audit entry whose detail is v as JSON.
func auditJSON(ctx context.Context, db *DB, q queryer, orgID int64, actor, action, subject string, v any) error {
	detail, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("audit detail: %w", err)
	}
	return appendAudit(ctx, db, q, community.AuditEntry{OrgID: orgID, Actor: actor, Action: action, Subject: subject, Detail: string(detail)})
}

// GroupProfile returns a group's profile; a group never profiled has an
// empty one.
func (db *DB) GroupProfile(ctx context.Context, orgID, groupID int64) (community.Profile, error) {
	return groupProfile(ctx, db, db.sql, orgID, groupID)
}

func groupProfile(ctx context.Context, db *DB, q queryer, orgID, groupID int64) (community.Profile, error) {
	p := community.Profile{GroupID: groupID, KOLs: []int64{}}
	if _, err := loadGroup(ctx, db, q, orgID, groupID); err != nil {
		return p, err
	}
	var at sql.NullInt64
	err := q.QueryRowContext(ctx, db.q("SELECT positioning, threshold, rules, goal, updated_at, updated_by FROM group_profiles WHERE group_id = ?"), groupID).
		Scan(&p.Positioning, &p.Threshold, &p.Rules, &p.Goal, &at, &p.UpdatedBy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("read profile of group %d: %w", groupID, err)
	}
	if at.Valid {
		p.UpdatedAt = fromMS(at.Int64)
	}
	p.KOLs, err = int64s(ctx, db, q, "KOLs", "SELECT person_id FROM group_kols WHERE group_id = ? ORDER BY ordinal", groupID)
	return p, err
}

// SetGroupProfile replaces a group's profile. The KOLs must be current
// members of the group.
func (db *DB) SetGroupProfile(ctx context.Context, orgID int64, p community.Profile, actor string) (community.Profile, error) {
	var out community.Profile
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := loadGroup(ctx, db, tx, orgID, p.GroupID); err != nil {
			return err
		}
		if err := p.Validate(); err != nil {
			return err
		}
		members, err := openMembers(ctx, db, tx, p.GroupID)
		if err != nil {
			return err
		}
		for i, id := range p.KOLs {
			if !members[id] {
				return errkind.Errorf(errkind.Invalid, "kols[%d]: person %d is not a member of group %d", i, id, p.GroupID)
			}
		}
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO group_profiles (group_id, positioning, threshold, rules, goal, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET positioning = excluded.positioning, threshold = excluded.threshold, rules = excluded.rules,
			goal = excluded.goal, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			p.GroupID, p.Positioning, p.Threshold, p.Rules, p.Goal, ms(db.now()), actor); err != nil {
			return fmt.Errorf("save profile: %w", err)
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM group_kols WHERE group_id = ?"), p.GroupID); err != nil {
			return fmt.Errorf("save KOLs: %w", err)
		}
		for i, id := range p.KOLs {
			if _, err := tx.ExecContext(ctx, db.q("INSERT INTO group_kols (group_id, person_id, ordinal) VALUES (?, ?, ?)"), p.GroupID, id, i); err != nil {
				return fmt.Errorf("save KOLs: %w", err)
			}
		}
		if err := auditJSON(ctx, db, tx, orgID, actor, "group.profile", "group:"+strconv.FormatInt(p.GroupID, 10), map[string]any{
			"positioning": p.Positioning, "threshold": p.Threshold, "rules": p.Rules, "kols": p.KOLs, "goal": p.Goal}); err != nil {
			return err
		}
		out, err = groupProfile(ctx, db, tx, orgID, p.GroupID)
		return err
	})
	return out, err
}

// int64s reads a column of ids; what names them in errors.
func int64s(ctx context.Context, db *DB, q queryer, what, query string, args ...any) ([]int64, error) {
	rows, err := q.QueryContext(ctx, db.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	defer rows.Close()
	out := []int64{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read %s: %w", what, err)
		}
		out = append(out, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	return out, nil
}

// openMembers returns the people with an open membership of a group.
func openMembers(ctx context.Context, db *DB, q queryer, groupID int64) (map[int64]bool, error) {
	ids, err := int64s(ctx, db, q, "members", "SELECT person_id FROM memberships WHERE group_id = ? AND left_at IS NULL", groupID)
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, err
}

// GroupChecklist returns a group's checklist: the five things of its
// profile and the gaps flagged from its members and settings.
func (db *DB) GroupChecklist(ctx context.Context, orgID, groupID int64) ([]community.CheckItem, error) {
	var in community.CheckInput
	var err error
	if in.Group, err = loadGroup(ctx, db, db.sql, orgID, groupID); err != nil {
		return nil, err
	}
	if in.Profile, err = groupProfile(ctx, db, db.sql, orgID, groupID); err != nil {
		return nil, err
	}
	if err := db.sql.QueryRowContext(ctx, db.q(`SELECT COALESCE(SUM(CASE WHEN role = 'owner' THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN role = 'assistant' THEN 1 ELSE 0 END), 0)
		FROM memberships WHERE group_id = ? AND left_at IS NULL`), groupID).Scan(&in.Owners, &in.Assistants); err != nil {
		return nil, fmt.Errorf("count staff: %w", err)
	}
	members, err := openMembers(ctx, db, db.sql, groupID)
	if err != nil {
		return nil, err
	}
	for _, id := range in.Profile.KOLs {
		if members[id] {
			in.PresentKOLs = append(in.PresentKOLs, id)
		}
	}
	return community.Checklist(in), nil
}

// CreateTemplate validates and stores a template.
func (db *DB) CreateTemplate(ctx context.Context, t *community.Template, actor string) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = db.now()
	}
	if t.Variables == nil {
		t.Variables = []string{}
	}
	vars, _ := json.Marshal(t.Variables)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, db.q("INSERT INTO group_templates (org_id, name, variables, created_at) VALUES (?, ?, ?, ?) RETURNING id"),
			t.OrgID, t.Name, string(vars), ms(t.CreatedAt)).Scan(&t.ID)
		if err != nil {
			if err := classify(err); errkind.Is(err, errkind.Conflict) {
				return errkind.Errorf(errkind.Conflict, "a template named %q already exists", t.Name)
			}
			return fmt.Errorf("create template %q: %w", t.Name, classify(err))
		}
		for i := range t.Steps {
			s := &t.Steps[i]
			if s.Topics == nil {
				s.Topics = []string{}
			}
			topics, _ := json.Marshal(s.Topics)
			if err := tx.QueryRowContext(ctx, db.q("INSERT INTO group_template_steps (template_id, ordinal, kind, group_count, topics, pattern) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"),
				t.ID, i+1, string(s.Kind), s.Count, string(topics), s.Pattern).Scan(&s.ID); err != nil {
				return fmt.Errorf("create template step %d: %w", i+1, err)
			}
		}
		return auditJSON(ctx, db, tx, t.OrgID, actor, "template.create", "template:"+strconv.FormatInt(t.ID, 10), map[string]any{"name": t.Name, "steps": len(t.Steps)})
	})
}

// Templates lists an organisation's templates in creation order.
func (db *DB) Templates(ctx context.Context, orgID int64) ([]community.Template, error) {
	return templates(ctx, db, db.sql, orgID, 0)
}

// templates reads the organisation's templates, or the one with id when
// id is not 0.
func templates(ctx context.Context, db *DB, q queryer, orgID, id int64) ([]community.Template, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT t.id, t.name, t.variables, t.created_at, s.id, s.kind, s.group_count, s.topics, s.pattern
		FROM group_templates t JOIN group_template_steps s ON s.template_id = t.id
		WHERE t.org_id = ? AND (? = 0 OR t.id = ?) ORDER BY t.id, s.ordinal`), orgID, id, id)
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	defer rows.Close()
	var out []community.Template
	for rows.Next() {
		var t community.Template
		var s community.TemplateStep
		var vars, topics, kind string
		var c int64
		if err := rows.Scan(&t.ID, &t.Name, &vars, &c, &s.ID, &kind, &s.Count, &topics, &s.Pattern); err != nil {
			return nil, fmt.Errorf("list templates: %w", err)
		}
		if len(out) == 0 || out[len(out)-1].ID != t.ID {
			t.OrgID, t.CreatedAt = orgID, fromMS(c)
			if err := json.Unmarshal([]byte(vars), &t.Variables); err != nil {
				return nil, fmt.Errorf("template %d variables: %w", t.ID, err)
			}
			out = append(out, t)
		}
		s.Kind = community.GroupKind(kind)
		if err := json.Unmarshal([]byte(topics), &s.Topics); err != nil {
			return nil, fmt.Errorf("template %d topics: %w", t.ID, err)
		}
		last := &out[len(out)-1]
		last.Steps = append(last.Steps, s)
	}
	return out, rows.Err()
}

// ApplyTemplate turns a template into "to create" tasks at a tree node,
// one per group, in the template's order. Tasks are idempotent by name: a
// name that already has a task in the organisation is not added again.
// Tasks whose group already exists are bound at once. It returns the tasks
// of the plan and how many were new.
func (db *DB) ApplyTemplate(ctx context.Context, orgID, templateID, nodeID int64, vars map[string]string, actor string) ([]community.GroupTask, int, error) {
	var out []community.GroupTask
	created := 0
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		ts, err := templates(ctx, db, tx, orgID, templateID)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			return errkind.Errorf(errkind.NotFound, "template %d not found", templateID)
		}
		t := ts[0]
		if err := nodeInOrg(ctx, db, tx, orgID, nodeID, "node_id"); err != nil {
			return err
		}
		plan, err := t.Plan(vars)
		if err != nil {
			return err
		}
		clean := map[string]string{}
		for k, v := range vars {
			clean[k] = strings.TrimSpace(v)
		}
		key, _ := json.Marshal(clean) // map keys sorted: one key per set of values
		families := map[string]int64{}
		var ids []int64
		for _, pg := range plan {
			step := t.Steps[pg.Step]
			fk := strconv.Itoa(pg.Step) + "\x00" + pg.Topic
			fam, ok := families[fk]
			if !ok {
				if fam, err = family(ctx, db, tx, orgID, step.ID, pg.Topic, string(key), nodeID); err != nil {
					return err
				}
				families[fk] = fam
			}
			var id int64
			// A concurrent apply may add the same name: DO NOTHING waits for
			// it, and the name is then found.
			err := tx.QueryRowContext(ctx, db.q(`INSERT INTO group_tasks (org_id, family_id, n, name, kind, node_id, origin, status, created_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (org_id, name) DO NOTHING RETURNING id`),
				orgID, fam, pg.N, pg.Name, string(pg.Kind), nodeID, community.OriginTemplate, string(community.TaskOpen), ms(db.now())).Scan(&id)
			switch {
			case err == nil:
				created++
			case errors.Is(err, sql.ErrNoRows):
				if err := tx.QueryRowContext(ctx, db.q("SELECT id FROM group_tasks WHERE org_id = ? AND name = ?"), orgID, pg.Name).Scan(&id); err != nil {
					return fmt.Errorf("find task %q: %w", pg.Name, err)
				}
			default:
				return fmt.Errorf("create task %q: %w", pg.Name, classify(err))
			}
			ids = append(ids, id)
		}
		if err := auditJSON(ctx, db, tx, orgID, actor, "template.apply", "template:"+strconv.FormatInt(templateID, 10), map[string]any{
			"node": nodeID, "variables": clean, "tasks": len(ids), "created": created}); err != nil {
			return err
		}
		if _, err := autoBind(ctx, db, tx, orgID); err != nil {
			return err
		}
		all, err := tasks(ctx, db, tx, orgID, "")
		if err != nil {
			return err
		}
		byID := map[int64]community.GroupTask{}
		for _, t := range all {
			byID[t.ID] = t
		}
		for _, id := range ids {
			out = append(out, byID[id])
		}
		return nil
	})
	return out, created, err
}

// nodeInOrg checks a node exists in the organisation; field names the
// input in the error.
func nodeInOrg(ctx context.Context, db *DB, q queryer, orgID, nodeID int64, field string) error {
	if nodeID <= 0 {
		return errkind.Errorf(errkind.Invalid, "%s: required, a tree node id", field)
	}
	var n int
	if err := q.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM nodes WHERE org_id = ? AND id = ?"), orgID, nodeID).Scan(&n); err != nil {
		return fmt.Errorf("find node: %w", err)
	}
	if n == 0 {
		return errkind.Errorf(errkind.Invalid, "%s: node %d does not exist in this organisation", field, nodeID)
	}
	return nil
}

// family returns the id of the family of a template step, topic and
// values, creating it.
func family(ctx context.Context, db *DB, q queryer, orgID, stepID int64, topic, vars string, nodeID int64) (int64, error) {
	if _, err := q.ExecContext(ctx, db.q(`INSERT INTO group_families (org_id, step_id, topic, vars, node_id, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (step_id, topic, vars) DO NOTHING`), orgID, stepID, topic, vars, nodeID, ms(db.now())); err != nil {
		return 0, fmt.Errorf("create family: %w", err)
	}
	var id int64
	if err := q.QueryRowContext(ctx, db.q("SELECT id FROM group_families WHERE step_id = ? AND topic = ? AND vars = ?"), stepID, topic, vars).Scan(&id); err != nil {
		return 0, fmt.Errorf("find family: %w", err)
	}
	return id, nil
}

const taskCols = `t.id, t.org_id, s.template_id, t.family_id, s.ordinal, f.topic, t.n, t.name, t.kind, COALESCE(t.node_id, 0), t.origin, t.status, COALESCE(t.group_id, 0), t.created_at, t.done_at, f.vars
	FROM group_tasks t JOIN group_families f ON f.id = t.family_id JOIN group_template_steps s ON s.id = f.step_id`

func scanTask(sc interface{ Scan(...any) error }) (community.GroupTask, error) {
	var t community.GroupTask
	var kind, status string
	var c int64
	var done sql.NullInt64
	var vars string
	err := sc.Scan(&t.ID, &t.OrgID, &t.TemplateID, &t.FamilyID, &t.Step, &t.Topic, &t.N, &t.Name, &kind, &t.NodeID, &t.Origin, &status, &t.GroupID, &c, &done, &vars)
	t.Kind, t.Status, t.CreatedAt, t.DoneAt = community.GroupKind(kind), community.TaskStatus(status), fromMS(c), fromNullMS(done)
	if err == nil {
		if err = json.Unmarshal([]byte(vars), &t.Vars); err != nil {
			err = fmt.Errorf("task %d variables: %w", t.ID, err)
		}
	}
	return t, err
}

func tasks(ctx context.Context, db *DB, q queryer, orgID int64, status community.TaskStatus) ([]community.GroupTask, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT "+taskCols+" WHERE t.org_id = ? AND (? = '' OR t.status = ?) ORDER BY t.id"), orgID, string(status), string(status))
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	defer rows.Close()
	out := []community.GroupTask{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// GroupTasks lists an organisation's "to create" tasks (of a status, or
// all when status is ""), in creation order. It first binds each open task
// to the group of exactly its name when there is one such group not bound
// to another task; bound reports how many it bound.
func (db *DB) GroupTasks(ctx context.Context, orgID int64, status community.TaskStatus) (list []community.GroupTask, bound int, err error) {
	if status != "" && status != community.TaskOpen && status != community.TaskDone {
		return nil, 0, errkind.Errorf(errkind.Invalid, "status %q: want open or done", status)
	}
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		if bound, err = autoBind(ctx, db, tx, orgID); err != nil {
			return err
		}
		list, err = tasks(ctx, db, tx, orgID, status)
		return err
	})
	return list, bound, err
}

// autoBind binds open tasks to the groups of exactly their names (one
// group, not bound to another task).
func autoBind(ctx context.Context, db *DB, tx *sql.Tx, orgID int64) (int, error) {
	rows, err := tx.QueryContext(ctx, db.q(`SELECT t.id, g.id FROM group_tasks t JOIN chat_groups g ON g.org_id = t.org_id AND g.name = t.name
		WHERE t.org_id = ? AND t.status = 'open' AND NOT EXISTS (SELECT 1 FROM group_tasks b WHERE b.group_id = g.id) ORDER BY t.id, g.id`), orgID)
	if err != nil {
		return 0, fmt.Errorf("match tasks to groups: %w", err)
	}
	var order []int64
	matches := map[int64][]int64{}
	for rows.Next() {
		var task, group int64
		if err := rows.Scan(&task, &group); err != nil {
			rows.Close()
			return 0, fmt.Errorf("match tasks to groups: %w", err)
		}
		if matches[task] == nil {
			order = append(order, task)
		}
		matches[task] = append(matches[task], group)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("match tasks to groups: %w", err)
	}
	n := 0
	for _, task := range order {
		if len(matches[task]) != 1 {
			continue // two groups of that name: the operator binds one
		}
		t, err := scanTask(tx.QueryRowContext(ctx, db.q("SELECT "+taskCols+" WHERE t.id = ?"), task))
		if err != nil {
			return n, fmt.Errorf("read task %d: %w", task, err)
		}
		if err := bindTask(ctx, db, tx, t, matches[task][0], "system:auto-bind"); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// bindTask marks an open task done with its group, places the group at
// the task's node when it has none and gives it the task's kind when it
// has the default one.
func bindTask(ctx context.Context, db *DB, tx *sql.Tx, t community.GroupTask, groupID int64, actor string) error {
	res, err := tx.ExecContext(ctx, db.q("UPDATE group_tasks SET status = 'done', group_id = ?, done_at = ? WHERE id = ? AND status = 'open'"), groupID, ms(db.now()), t.ID)
	if err != nil {
		return fmt.Errorf("bind task %d: %w", t.ID, classify(err))
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errkind.Errorf(errkind.Conflict, "task %d was bound meanwhile", t.ID)
	}
	if t.NodeID != 0 {
		if _, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET node_id = ? WHERE id = ? AND node_id IS NULL"), t.NodeID, groupID); err != nil {
			return fmt.Errorf("place group %d: %w", groupID, err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.q("UPDATE chat_groups SET kind = ? WHERE id = ? AND kind = ?"), string(t.Kind), groupID, string(community.KindCustom)); err != nil {
		return fmt.Errorf("set kind of group %d: %w", groupID, err)
	}
	return auditJSON(ctx, db, tx, t.OrgID, actor, "task.bind", "task:"+strconv.FormatInt(t.ID, 10), map[string]any{"group": groupID, "name": t.Name})
}

// BindTask binds a task to a group explicitly (the group may have another
// name). Binding a task again to the same group changes nothing.
func (db *DB) BindTask(ctx context.Context, orgID, taskID, groupID int64, actor string) (community.GroupTask, error) {
	var out community.GroupTask
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		t, err := scanTask(tx.QueryRowContext(ctx, db.q("SELECT "+taskCols+" WHERE t.org_id = ? AND t.id = ?"), orgID, taskID))
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.NotFound, "task %d not found", taskID)
		}
		if err != nil {
			return fmt.Errorf("read task %d: %w", taskID, err)
		}
		if groupID <= 0 {
			return errkind.New(errkind.Invalid, "group_id: required, a group id")
		}
		if _, err := loadGroup(ctx, db, tx, orgID, groupID); errkind.Is(err, errkind.NotFound) {
			return errkind.Errorf(errkind.Invalid, "group_id: group %d does not exist in this organisation", groupID)
		} else if err != nil {
			return err
		}
		if t.Status == community.TaskDone {
			if t.GroupID == groupID {
				out = t
				return nil
			}
			return errkind.Errorf(errkind.Conflict, "task %d is already bound to group %d", taskID, t.GroupID)
		}
		var other int64
		var otherName string
		err = tx.QueryRowContext(ctx, db.q("SELECT id, name FROM group_tasks WHERE group_id = ?"), groupID).Scan(&other, &otherName)
		if err == nil {
			return errkind.Errorf(errkind.Conflict, "group %d is already bound to task %d (%s)", groupID, other, otherName)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find task of group %d: %w", groupID, err)
		}
		if err := bindTask(ctx, db, tx, t, groupID, actor); err != nil {
			return err
		}
		out, err = scanTask(tx.QueryRowContext(ctx, db.q("SELECT "+taskCols+" WHERE t.id = ?"), taskID))
		return err
	})
	return out, err
}

// RouteJoiner finds where a new joiner of a group should go: the group
// itself while below its capacity, else the first group of its family with
// room (after it, then before it, in family order), else the family's next
// group to create: an open task of the family, or a new "overflow" task
// named by the family's pattern with the next number. It binds tasks by
// name first (as GroupTasks does); changed reports whether it wrote
// anything.
func (db *DB) RouteJoiner(ctx context.Context, orgID, groupID int64, actor string) (r community.Route, changed bool, err error) {
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		bound, err := autoBind(ctx, db, tx, orgID)
		if err != nil {
			return err
		}
		changed = bound > 0
		if r.From, err = loadGroup(ctx, db, tx, orgID, groupID); err != nil {
			return err
		}
		if community.HasRoom(r.From) {
			r.Target, r.Group = "this", &r.From
			return nil
		}
		var fam int64
		err = tx.QueryRowContext(ctx, db.q("SELECT family_id FROM group_tasks WHERE group_id = ?"), groupID).Scan(&fam)
		if errors.Is(err, sql.ErrNoRows) {
			return errkind.Errorf(errkind.Conflict, "group %d is full (%d of %d members) and belongs to no family: bind it to a template task (POST /api/v1/tasks/{id}/bind) to route joiners on", groupID, r.From.Members, r.From.Capacity)
		}
		if err != nil {
			return fmt.Errorf("find family: %w", err)
		}
		ids, err := int64s(ctx, db, tx, "family", "SELECT group_id FROM group_tasks WHERE family_id = ? AND group_id IS NOT NULL ORDER BY n", fam)
		if err != nil {
			return err
		}
		var members []community.Group
		for _, id := range ids {
			g, err := loadGroup(ctx, db, tx, orgID, id)
			if err != nil {
				return err
			}
			members = append(members, g)
		}
		if g, ok := community.NextWithRoom(groupID, members); ok {
			r.Target, r.Group = "family", &g
			return nil
		}
		r.Target = "create"
		t, err := scanTask(tx.QueryRowContext(ctx, db.q("SELECT "+taskCols+" WHERE t.family_id = ? AND t.status = 'open' ORDER BY t.n LIMIT 1"), fam))
		if err == nil {
			r.Task = &t
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("find open task: %w", err)
		}
		t, err = overflowTask(ctx, db, tx, orgID, fam, actor)
		if err != nil {
			return err
		}
		r.Task, changed = &t, true
		return nil
	})
	return r, changed, err
}

// overflowTask adds the next group of a full family as a task.
func overflowTask(ctx context.Context, db *DB, tx *sql.Tx, orgID, fam int64, actor string) (community.GroupTask, error) {
	var pattern, kind, topic, vars string
	var node sql.NullInt64
	var next int
	err := tx.QueryRowContext(ctx, db.q(`SELECT s.pattern, s.kind, f.topic, f.vars, f.node_id, (SELECT COALESCE(MAX(n), 0) + 1 FROM group_tasks WHERE family_id = f.id)
		FROM group_families f JOIN group_template_steps s ON s.id = f.step_id WHERE f.id = ?`), fam).Scan(&pattern, &kind, &topic, &vars, &node, &next)
	if err != nil {
		return community.GroupTask{}, fmt.Errorf("read family %d: %w", fam, err)
	}
	p, err := community.ParsePattern(pattern)
	if err != nil {
		return community.GroupTask{}, err
	}
	if !p.Uses(community.VarN) {
		return community.GroupTask{}, errkind.Errorf(errkind.Conflict, "every group of the family is full and its pattern %q has no {n}: another group cannot be named; create one and bind it", pattern)
	}
	var values map[string]string
	if err := json.Unmarshal([]byte(vars), &values); err != nil {
		return community.GroupTask{}, fmt.Errorf("family %d variables: %w", fam, err)
	}
	name := community.FamilyName(p, values, topic, next)
	var id int64
	err = tx.QueryRowContext(ctx, db.q(`INSERT INTO group_tasks (org_id, family_id, n, name, kind, node_id, origin, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`), orgID, fam, next, name, kind, node, community.OriginOverflow, string(community.TaskOpen), ms(db.now())).Scan(&id)
	if err != nil {
		if err := classify(err); errkind.Is(err, errkind.Conflict) {
			return community.GroupTask{}, errkind.Errorf(errkind.Conflict, "the family's next group would be named %q, which another task already has", name)
		}
		return community.GroupTask{}, fmt.Errorf("create overflow task: %w", err)
	}
	if err := auditJSON(ctx, db, tx, orgID, actor, "task.create", "task:"+strconv.FormatInt(id, 10), map[string]any{"name": name, "origin": community.OriginOverflow, "family": fam}); err != nil {
		return community.GroupTask{}, err
	}
	return scanTask(tx.QueryRowContext(ctx, db.q("SELECT "+taskCols+" WHERE t.id = ?"), id))
}

// DeleteNode deletes a tree node. While it has child nodes or groups (or
// console accounts scoped to it, or tasks and families placed at it) it is
// refused, unless moveTo names another node of the organisation, not below
// it, to move them to first. Partner seats at the node always refuse it.
func (db *DB) DeleteNode(ctx context.Context, orgID, id, moveTo int64, actor string) (community.NodeDeletion, error) {
	out := community.NodeDeletion{NodeID: id, MovedTo: moveTo}
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		parents, err := nodeParents(ctx, db, tx, orgID)
		if err != nil {
			return err
		}
		if _, ok := parents[id]; !ok {
			return errkind.Errorf(errkind.NotFound, "node %d not found", id)
		}
		var seats, waiting, families int
		for _, c := range []struct {
			n     *int
			query string
		}{
			{&out.Children, "SELECT COUNT(*) FROM nodes WHERE parent_id = ?"},
			{&out.Groups, "SELECT COUNT(*) FROM chat_groups WHERE node_id = ?"},
			{&out.Users, "SELECT COUNT(*) FROM users WHERE scope_node_id = ?"},
			{&out.Tasks, "SELECT COUNT(*) FROM group_tasks WHERE node_id = ?"},
			{&families, "SELECT COUNT(*) FROM group_families WHERE node_id = ?"},
			{&seats, "SELECT COUNT(*) FROM partner_seats WHERE entity_id = ?"},
			{&waiting, "SELECT COUNT(*) FROM partner_waitlist WHERE entity_id = ?"},
		} {
			if err := tx.QueryRowContext(ctx, db.q(c.query), id).Scan(c.n); err != nil {
				return fmt.Errorf("inspect node %d: %w", id, err)
			}
		}
		seats += waiting
		if seats > 0 {
			return errkind.Errorf(errkind.Conflict, "node %d has %d partner seats or waitlist entries: release them before deleting the node", id, seats)
		}
		held := out.Children + out.Groups + out.Users + out.Tasks + families
		if moveTo == 0 {
			if held > 0 {
				return errkind.Errorf(errkind.Conflict, "node %d still has %d child nodes, %d groups, %d console accounts and %d tasks: move them first or delete with ?move_to=ID",
					id, out.Children, out.Groups, out.Users, out.Tasks)
			}
		} else {
			if _, ok := parents[moveTo]; !ok {
				return errkind.Errorf(errkind.Invalid, "move_to: node %d does not exist in this organisation", moveTo)
			}
			for a := moveTo; a != 0; a = parents[a] {
				if a == id {
					if a == moveTo {
						return errkind.Errorf(errkind.Invalid, "move_to: node %d is the node being deleted", moveTo)
					}
					return errkind.Errorf(errkind.Invalid, "move_to: node %d is below node %d: moving its children there would make a cycle", moveTo, id)
				}
			}
			for _, query := range []string{
				"UPDATE nodes SET parent_id = ? WHERE parent_id = ?",
				"UPDATE chat_groups SET node_id = ? WHERE node_id = ?",
				"UPDATE users SET scope_node_id = ? WHERE scope_node_id = ?",
				"UPDATE group_tasks SET node_id = ? WHERE node_id = ?",
				"UPDATE group_families SET node_id = ? WHERE node_id = ?",
				"UPDATE campaigns SET node_id = ? WHERE node_id = ?",
			} {
				if _, err := tx.ExecContext(ctx, db.q(query), moveTo, id); err != nil {
					return fmt.Errorf("move contents of node %d: %w", id, err)
				}
			}
		}
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM nodes WHERE id = ?"), id); err != nil {
			if errkind.Is(classify(err), errkind.Invalid) { // a foreign key: something else still points at the node
				return &errkind.Error{Kind: errkind.Conflict, Message: fmt.Sprintf("node %d is still referred to by other records and cannot be deleted", id), Err: err}
			}
			return fmt.Errorf("delete node %d: %w", id, err)
		}
		return auditJSON(ctx, db, tx, orgID, actor, "node.delete", "node:"+strconv.FormatInt(id, 10), map[string]any{
			"move_to": moveTo, "children": out.Children, "groups": out.Groups, "users": out.Users, "tasks": out.Tasks})
	})
	return out, err
}
