package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Cadences (SOPs): stored campaigns whose occurrences the scheduler plans
// into ordinary pushes, once each.

var cadenceCols = cadenceColsOf("")

// cadenceColsOf lists a cadence's columns, each with the table prefix p.
func cadenceColsOf(p string) string {
	return strings.NewReplacer("@", p).Replace("@id, @org_id, @script_id, @name, @group_ids, @group_kind, COALESCE(@node_id, 0), @kind, @slot, @weekday, @day, @quiet, @paused_at, @created_by, @created_at, COALESCE(@tag_id, 0)")
}

func scanCadence(sc interface{ Scan(...any) error }) (content.Cadence, error) {
	var c content.Cadence
	var ids, kind, quiet string
	var weekday int
	var paused sql.NullInt64
	var created int64
	err := sc.Scan(&c.ID, &c.OrgID, &c.ScriptID, &c.Name, &ids, &c.Select.Kind, &c.Select.NodeID, &kind, &c.Slot, &weekday, &c.Day, &quiet, &paused, &c.CreatedBy, &created, &c.Select.TagID)
	if err != nil {
		return c, err
	}
	for _, f := range strings.Split(ids, ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			c.Select.GroupIDs = append(c.Select.GroupIDs, id)
		}
	}
	c.Kind, c.Weekday, c.Paused, c.CreatedAt = content.CadenceKind(kind), time.Weekday(weekday), paused.Valid, fromMS(created)
	if quiet != "" { // none: the groups' own quiet hours alone
		if w, err := community.ParseWindow(quiet); err == nil {
			c.Quiet = w
		}
	}
	return c, nil
}

// CreateCadence stores a cadence; its script and groups must be the
// organisation's. Occurrences before it was created are never planned.
func (db *DB) CreateCadence(ctx context.Context, c *content.Cadence) error {
	if err := c.Validate(); err != nil {
		return errkind.Errorf(errkind.Invalid, "%v", err)
	}
	c.CreatedAt, c.Paused = db.now(), false
	if _, err := db.Script(ctx, c.OrgID, c.ScriptID); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		ids := make([]string, len(c.Select.GroupIDs))
		for i, g := range c.Select.GroupIDs {
			if err := checkGroup(ctx, db, tx, c.OrgID, g); err != nil {
				return err
			}
			ids[i] = strconv.FormatInt(g, 10)
		}
		if c.Select.NodeID != 0 {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM nodes WHERE org_id = ? AND id = ?"), c.OrgID, c.Select.NodeID).Scan(&n); err != nil || n == 0 {
				return errkind.Errorf(errkind.NotFound, "node %d not found", c.Select.NodeID)
			}
		}
		if c.Select.TagID != 0 {
			if err := tagOfCadence(ctx, db, tx, c.OrgID, c.Select.TagID); err != nil {
				return err
			}
		}
		err := tx.QueryRowContext(ctx, db.q(`INSERT INTO cadences (org_id, script_id, name, group_ids, group_kind, node_id, tag_id, kind, slot, weekday, day, quiet, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
			c.OrgID, c.ScriptID, c.Name, strings.Join(ids, ","), c.Select.Kind, nullID(c.Select.NodeID), nullID(c.Select.TagID), string(c.Kind), c.Slot, int(c.Weekday), c.Day, c.Quiet.String(), c.CreatedBy, ms(c.CreatedAt)).Scan(&c.ID)
		if err != nil {
			return fmt.Errorf("create cadence: %w", classify(err))
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: c.OrgID, Actor: c.CreatedBy, Action: "cadence.create", Subject: fmt.Sprintf("cadence:%d", c.ID),
			Detail: community.Detail("script", c.ScriptID, "kind", c.Kind, "slot", c.Slot)})
	})
}

// Cadences lists the organisation's cadences, newest first, with their
// runs.
func (db *DB) Cadences(ctx context.Context, orgID int64) ([]content.CadenceInfo, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+cadenceCols+" FROM cadences WHERE org_id = ? ORDER BY id DESC"), orgID)
	if err != nil {
		return nil, fmt.Errorf("list cadences: %w", err)
	}
	var out []content.CadenceInfo
	for rows.Next() {
		c, err := scanCadence(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("list cadences: %w", err)
		}
		out = append(out, content.CadenceInfo{Cadence: c})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list cadences: %w", err)
	}
	for i := range out {
		var last sql.NullInt64
		err := db.sql.QueryRowContext(ctx, db.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'deferred' THEN 1 ELSE 0 END), 0),
				COALESCE(SUM(CASE WHEN status = 'dropped' THEN 1 ELSE 0 END), 0), MAX(created_at) FROM cadence_runs WHERE cadence_id = ?`), out[i].ID).
			Scan(&out[i].Runs, &out[i].Deferred, &out[i].Dropped, &last)
		if err != nil {
			return nil, fmt.Errorf("cadence runs: %w", err)
		}
		out[i].LastRun = fromNullMS(last)
	}
	return out, nil
}

// PauseCadence pauses (or resumes) a cadence: a paused cadence plans
// nothing; on resuming, occurrences missed meanwhile are not made up.
func (db *DB) PauseCadence(ctx context.Context, orgID, id int64, pause bool, actor string) (content.Cadence, error) {
	var c content.Cadence
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		var at any
		action := "cadence.resume"
		if pause {
			at, action = ms(db.now()), "cadence.pause"
		}
		res, err := tx.ExecContext(ctx, db.q("UPDATE cadences SET paused_at = ? WHERE org_id = ? AND id = ?"), at, orgID, id)
		if err != nil {
			return fmt.Errorf("pause cadence: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errkind.Errorf(errkind.NotFound, "cadence %d not found", id)
		}
		if !pause {
			// Resuming starts afresh: what fell due while paused is skipped.
			if _, err := tx.ExecContext(ctx, db.q("UPDATE cadences SET created_at = ? WHERE id = ? AND created_at < ?"), ms(db.now().Add(-content.CadenceGrace)), id, ms(db.now().Add(-content.CadenceGrace))); err != nil {
				return fmt.Errorf("resume cadence: %w", err)
			}
		}
		if c, err = scanCadence(tx.QueryRowContext(ctx, db.q("SELECT "+cadenceCols+" FROM cadences WHERE id = ?"), id)); err != nil {
			return fmt.Errorf("read cadence: %w", err)
		}
		if !pause && !c.Select.Aims() {
			// Its tag was deleted: running on, it would select every group.
			return errkind.Errorf(errkind.Conflict, "cadence %d aims at no groups any more (its tag was deleted): create a new one", id)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: action, Subject: fmt.Sprintf("cadence:%d", id)})
	})
	return c, err
}

// PlanCadences plans the due occurrences of every running cadence (of
// every organisation) into pushes through PlanPush, so the caps and quiet
// hours apply and deferrals show: occurrences from an hour ago
// (content.CadenceGrace) to a day ahead (content.CadenceLookahead), each once — a
// cadence_runs key per cadence × group × date, or × member for
// member-day cadences. It runs under the scheduler's lease; a crash
// between planning a push and recording its run is healed on the next
// call, as the push's own unique key (script, group, time) finds the push
// planned before. It returns how many runs it recorded.
func (db *DB) PlanCadences(ctx context.Context) (int, error) {
	now := db.now()
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+cadenceColsOf("c.")+` FROM cadences c JOIN scripts s ON s.id = c.script_id
		WHERE c.paused_at IS NULL AND s.status IN ('approved', 'scheduled', 'published') ORDER BY c.id`))
	if err != nil {
		return 0, fmt.Errorf("running cadences: %w", err)
	}
	var cads []content.Cadence
	for rows.Next() {
		c, err := scanCadence(rows)
		if err != nil {
			rows.Close()
			return 0, fmt.Errorf("running cadences: %w", err)
		}
		cads = append(cads, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cads) == 0 {
		return 0, err
	}
	p := cadencePlanner{db: db, now: now, groups: map[int64][]community.Group{}, slots: map[int64]content.SlotConfig{}}
	var errs []error
	n := 0
	for _, c := range cads {
		k, err := p.plan(ctx, c)
		n += k
		if err != nil {
			errs = append(errs, fmt.Errorf("cadence %d: %w", c.ID, err))
		}
	}
	return n, errors.Join(errs...)
}

type cadencePlanner struct {
	db      *DB
	now     time.Time
	groups  map[int64][]community.Group // by organisation
	parents map[int64]int64
	slots   map[int64]content.SlotConfig // by group
}

// targets lists the active groups a cadence's selector picks.
func (p *cadencePlanner) targets(ctx context.Context, c content.Cadence) ([]community.Group, error) {
	if !c.Select.Aims() {
		return nil, nil // its tag was deleted (it was paused then): never every group
	}
	gs, ok := p.groups[c.OrgID]
	if !ok {
		var err error
		if gs, err = p.db.Groups(ctx, c.OrgID); err != nil {
			return nil, err
		}
		p.groups[c.OrgID] = gs
	}
	if c.Select.TagID != 0 {
		// Resolved at each planning: a group tagged since is in at once.
		var err error
		if c.Select.Tagged, err = p.db.TagGroups(ctx, c.OrgID, c.Select.TagID); err != nil {
			return nil, err
		}
	}
	if c.Select.NodeID != 0 && p.parents == nil {
		var err error
		if p.parents, err = p.db.NodeParents(ctx); err != nil {
			return nil, err
		}
	}
	return content.Select(gs, p.parents, c.Select), nil
}

func (p *cadencePlanner) plan(ctx context.Context, c content.Cadence) (int, error) {
	gs, err := p.targets(ctx, c)
	if err != nil {
		return 0, err
	}
	from := p.now.Add(-content.CadenceGrace)
	if c.CreatedAt.After(from) {
		from = c.CreatedAt
	}
	// The runs of occurrences in the window were recorded at most a day
	// and an hour before now: read them once, not per group.
	done := map[string]bool{}
	rows, err := p.db.sql.QueryContext(ctx, p.db.q("SELECT group_id, occurrence FROM cadence_runs WHERE cadence_id = ? AND created_at >= ? AND occurrence NOT LIKE 'member:%'"),
		c.ID, ms(p.now.Add(-3*24*time.Hour)))
	if err != nil {
		return 0, fmt.Errorf("cadence runs: %w", err)
	}
	for rows.Next() {
		var gid int64
		var key string
		if err := rows.Scan(&gid, &key); err != nil {
			rows.Close()
			return 0, fmt.Errorf("cadence runs: %w", err)
		}
		done[fmt.Sprint(gid, "|", key)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("cadence runs: %w", err)
	}
	n := 0
	for _, g := range gs {
		cfg, ok := p.slots[g.ID]
		if !ok {
			if cfg, err = slotsFor(ctx, p.db, p.db.sql, g.OrgID, g.ID); err != nil {
				return n, err
			}
			p.slots[g.ID] = cfg
		}
		slot, ok := cfg.Find(c.Slot)
		if !ok {
			continue // the group has no such slot (any more): nothing to plan
		}
		loc := cfg.Location()
		if c.Kind == content.MemberDay {
			k, err := p.memberDay(ctx, c, g, slot, loc, from)
			n += k
			if err != nil {
				return n, err
			}
			continue
		}
		for _, want := range c.Occurrences(slot.At, loc, g.CreatedAt, from, p.now.Add(content.CadenceLookahead)) {
			key := want.In(loc).Format("2006-01-02")
			if done[fmt.Sprint(g.ID, "|", key)] {
				continue
			}
			if err := p.occur(ctx, c, g, slot, loc, want, []string{key}, nil); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

// memberDay follows up the members of a group who joined Day days before
// an occurrence, once each: one push per group and day mentioning them
// all (a day's joiners are taken once the day is over).
func (p *cadencePlanner) memberDay(ctx context.Context, c content.Cadence, g community.Group, slot content.Slot, loc *time.Location, from time.Time) (int, error) {
	today := content.DayStart(p.now, loc)
	n := 0
	for back := c.Day; back >= 1; back-- {
		// Joined on the day that ended `back` days ago (1 = yesterday):
		// their occurrence is Day days after it.
		joinDay := today.AddDate(0, 0, -back)
		want := c.MemberOccurrence(slot.At, loc, joinDay)
		if want.Before(from) || want.After(p.now.Add(content.CadenceLookahead)) {
			continue
		}
		rows, err := p.db.sql.QueryContext(ctx, p.db.q(`SELECT DISTINCT m.person_id FROM memberships m
			WHERE m.group_id = ? AND m.joined_at >= ? AND m.joined_at < ? AND m.left_at IS NULL AND m.role = 'member'
			  AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = m.person_id AND i.bot = TRUE)
			  AND NOT EXISTS (SELECT 1 FROM cadence_runs r WHERE r.cadence_id = ? AND r.group_id = m.group_id AND r.occurrence = 'member:' || m.person_id)
			ORDER BY m.person_id`), g.ID, ms(joinDay), ms(joinDay.AddDate(0, 0, 1)), c.ID)
		if err != nil {
			return n, fmt.Errorf("newcomers: %w", err)
		}
		var people []int64
		var keys []string
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return n, fmt.Errorf("newcomers: %w", err)
			}
			people, keys = append(people, id), append(keys, fmt.Sprintf("member:%d", id))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, fmt.Errorf("newcomers: %w", err)
		}
		if len(people) == 0 {
			continue
		}
		if err := p.occur(ctx, c, g, slot, loc, want, keys, people); err != nil {
			return n, err
		}
		n += len(keys)
	}
	return n, nil
}

// occur plans one occurrence into a push (or finds the push planned for
// it before) and records its runs and the members it mentions.
func (p *cadencePlanner) occur(ctx context.Context, c content.Cadence, g community.Group, slot content.Slot, loc *time.Location, want time.Time, keys []string, mention []int64) error {
	db := p.db
	// The group's own rules give the quiet hours and caps; the cadence's
	// window, when it has one, narrows them.
	push, err := db.PlanPush(ctx, content.PushRequest{OrgID: c.OrgID, ScriptID: c.ScriptID, GroupID: g.ID, Slot: slot.Name, Want: want,
		Window: c.Quiet, Actor: fmt.Sprintf("cadence:%d", c.ID)})
	if errkind.Is(err, errkind.Conflict) {
		// Planned before (a crash after planning, or a push of the same
		// script at the same time): that push is the occurrence's.
		var status string
		var planned int64
		e := db.sql.QueryRowContext(ctx, db.q("SELECT id, status, planned_at, reason FROM pushes WHERE script_id = ? AND group_id = ? AND want_at = ?"), c.ScriptID, g.ID, ms(want)).
			Scan(&push.ID, &status, &planned, &push.Reason)
		if e != nil {
			return err
		}
		push.Status, push.PlannedAt, push.WantAt, err = content.PushStatus(status), fromMS(planned), want, nil
	}
	if err != nil {
		return err
	}
	status := "planned"
	switch {
	case push.Status == content.PushDropped:
		status = "dropped"
	case push.Status == content.PushSent && len(mention) > 0:
		status, push.Reason = "missed", content.ReasonMissed
	case !push.PlannedAt.Equal(want):
		status = "deferred"
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if status == "planned" || status == "deferred" {
			for _, m := range mention {
				if _, err := tx.ExecContext(ctx, db.q("INSERT INTO push_mentions (push_id, person_id) VALUES (?, ?) ON CONFLICT DO NOTHING"), push.ID, m); err != nil {
					return fmt.Errorf("mention in push: %w", err)
				}
			}
		}
		for _, k := range keys {
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO cadence_runs (cadence_id, group_id, occurrence, push_id, status, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (cadence_id, group_id, occurrence) DO NOTHING`), c.ID, g.ID, k, push.ID, status, push.Reason, ms(p.now))
			if err != nil {
				return fmt.Errorf("record cadence run: %w", err)
			}
		}
		return nil
	})
}
