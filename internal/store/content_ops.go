package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Content operations: members' 投稿 from the chat, the push slots of
// organisations and groups, the staff group, duty reminders and the duty
// board. Cadences are in content_ops_cadences.go.

// MessageText returns the text and sender of a stored message sent within
// pipeline.ReplyReach before replyAt.
func (t *ingestTx) MessageText(ctx context.Context, groupID int64, messageID string, replyAt time.Time) (string, int64, bool, error) {
	var text string
	var person int64
	err := t.row(ctx, "SELECT text, person_id FROM messages WHERE id = ("+messageByID+")", groupID, reachedFrom(replyAt), messageID).Scan(&text, &person)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, fmt.Errorf("find message text: %w", err)
	}
	return text, person, true, nil
}

// SubmitScript adds a member's 投稿 to the library: a script by
// "person:<id>", created as a draft and submitted at once (two revisions,
// the first naming the member, the group and the message), and audited.
// A message submitted before returns its script.
func (t *ingestTx) SubmitScript(ctx context.Context, s pipeline.Submission) (int64, bool, error) {
	db := t.db
	var id int64
	err := t.row(ctx, "SELECT script_id FROM script_submissions WHERE group_id = ? AND message_id = ?", s.GroupID, s.MessageID).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return 0, false, fmt.Errorf("find submission: %w", err)
	}
	if err := validScript(s.Title, s.Body); err != nil {
		return 0, false, err
	}
	sc := content.Script{OrgID: s.OrgID, Title: s.Title, Body: s.Body, Author: fmt.Sprintf("person:%d", s.PersonID), Status: content.Draft}
	err = t.tx.QueryRowContext(ctx, db.q("INSERT INTO scripts (org_id, title, body, tags, author, status, created_at, updated_at) VALUES (?, ?, ?, '', ?, ?, ?, ?) RETURNING id"),
		sc.OrgID, sc.Title, sc.Body, sc.Author, string(content.Submitted), ms(s.At), ms(s.At)).Scan(&sc.ID)
	if err != nil {
		return 0, false, fmt.Errorf("submit script: %w", err)
	}
	if err := revise(ctx, db, t.tx, sc, sc.Author, fmt.Sprintf("投稿 by %s in group %d (message %s)", s.Name, s.GroupID, s.MessageID)); err != nil {
		return 0, false, err
	}
	sc.Status = content.Submitted
	if err := revise(ctx, db, t.tx, sc, sc.Author, "draft → submitted 投稿"); err != nil {
		return 0, false, err
	}
	_, err = t.tx.ExecContext(ctx, db.q(`INSERT INTO script_submissions (script_id, group_id, message_id, person_id, name, source_person_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, message_id) DO NOTHING`), sc.ID, s.GroupID, s.MessageID, s.PersonID, s.Name, nullID(s.SourcePerson), ms(s.At))
	if err != nil {
		return 0, false, fmt.Errorf("record submission: %w", err)
	}
	detail, _ := json.Marshal(map[string]any{"group": s.GroupID, "message": s.MessageID, "name": s.Name, "via": "chat"})
	err = appendAudit(ctx, db, t.tx, community.AuditEntry{OrgID: s.OrgID, At: s.At, Actor: sc.Author, Action: "script.submitted", Subject: fmt.Sprintf("script:%d", sc.ID), Detail: string(detail)})
	return sc.ID, true, err
}

type slotJSON struct {
	Name string `json:"name"`
	At   string `json:"at"`
}

func encodeSlots(ss []content.Slot) string {
	out := make([]slotJSON, len(ss))
	for i, s := range ss {
		out[i] = slotJSON{s.Name, s.At.String()}
	}
	b, _ := json.Marshal(out)
	return string(b)
}

func decodeSlots(s string) ([]content.Slot, error) {
	var in []slotJSON
	if err := json.Unmarshal([]byte(s), &in); err != nil {
		return nil, err
	}
	out := make([]content.Slot, len(in))
	for i, v := range in {
		c, err := community.ParseClock(v.At)
		if err != nil {
			return nil, err
		}
		out[i] = content.Slot{Name: v.Name, At: c}
	}
	return out, nil
}

// slotsFor returns the slots in force for a group (its own, else its
// organisation's, else the defaults); groupID 0 asks for the
// organisation's.
func slotsFor(ctx context.Context, db *DB, q queryer, orgID, groupID int64) (content.SlotConfig, error) {
	rows, err := q.QueryContext(ctx, db.q("SELECT group_id, zone, slots FROM slot_configs WHERE org_id = ? AND group_id IN (0, ?) ORDER BY group_id DESC"), orgID, groupID)
	if err != nil {
		return content.SlotConfig{}, fmt.Errorf("read slots: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var gid int64
		var zone, raw string
		if err := rows.Scan(&gid, &zone, &raw); err != nil {
			return content.SlotConfig{}, fmt.Errorf("read slots: %w", err)
		}
		ss, err := decodeSlots(raw)
		if err != nil {
			return content.SlotConfig{}, fmt.Errorf("read slots of group %d: %w", gid, err)
		}
		src := "org"
		if gid != 0 {
			src = "group"
		}
		if zone == "" {
			zone = db.zone
		}
		return content.SlotConfig{SlotSet: content.SlotSet{Zone: zone, Slots: ss}, Source: src}, nil
	}
	if err := rows.Err(); err != nil {
		return content.SlotConfig{}, fmt.Errorf("read slots: %w", err)
	}
	return content.SlotConfig{SlotSet: content.SlotSet{Zone: db.zone, Slots: content.DefaultSlots()}, Source: "default"}, nil
}

func checkGroup(ctx context.Context, db *DB, q queryer, orgID, groupID int64) error {
	var n int
	if err := q.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM chat_groups WHERE org_id = ? AND id = ?"), orgID, groupID).Scan(&n); err != nil {
		return fmt.Errorf("find group: %w", err)
	}
	if n == 0 {
		return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
	}
	return nil
}

// Slots returns the push slots in force for one of the organisation's
// groups, or for the organisation when groupID is 0.
func (db *DB) Slots(ctx context.Context, orgID, groupID int64) (content.SlotConfig, error) {
	if groupID != 0 {
		if err := checkGroup(ctx, db, db.sql, orgID, groupID); err != nil {
			return content.SlotConfig{}, err
		}
	}
	return slotsFor(ctx, db, db.sql, orgID, groupID)
}

// SetSlots sets the organisation's slots (groupID 0) or a group's
// override; a nil set removes them (back to the organisation's, or the
// defaults). It returns what is in force afterwards.
func (db *DB) SetSlots(ctx context.Context, orgID, groupID int64, set *content.SlotSet, actor string) (content.SlotConfig, error) {
	if set != nil {
		if err := set.Validate(); err != nil {
			return content.SlotConfig{}, errkind.Errorf(errkind.Invalid, "%v", err)
		}
	}
	var out content.SlotConfig
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		subject := fmt.Sprintf("org:%d", orgID)
		if groupID != 0 {
			if err := checkGroup(ctx, db, tx, orgID, groupID); err != nil {
				return err
			}
			subject = fmt.Sprintf("group:%d", groupID)
		}
		detail := `{"slots":null}`
		if set == nil {
			if _, err := tx.ExecContext(ctx, db.q("DELETE FROM slot_configs WHERE org_id = ? AND group_id = ?"), orgID, groupID); err != nil {
				return fmt.Errorf("clear slots: %w", err)
			}
		} else {
			enc := encodeSlots(set.Slots)
			_, err := tx.ExecContext(ctx, db.q(`INSERT INTO slot_configs (org_id, group_id, zone, slots, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?)
				ON CONFLICT (org_id, group_id) DO UPDATE SET zone = excluded.zone, slots = excluded.slots, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
				orgID, groupID, set.Zone, enc, ms(db.now()), actor)
			if err != nil {
				return fmt.Errorf("set slots: %w", err)
			}
			d, _ := json.Marshal(map[string]any{"zone": set.Zone, "slots": json.RawMessage(enc)})
			detail = string(d)
		}
		if err := appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "slots.set", Subject: subject, Detail: detail}); err != nil {
			return err
		}
		var err error
		out, err = slotsFor(ctx, db, tx, orgID, groupID)
		return err
	})
	return out, err
}

// StaffGroup returns the organisation's staff group (0: none), where duty
// reminders are posted.
func (db *DB) StaffGroup(ctx context.Context, orgID int64) (int64, error) {
	var id sql.NullInt64
	err := db.sql.QueryRowContext(ctx, db.q("SELECT staff_group_id FROM content_settings WHERE org_id = ?"), orgID).Scan(&id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("read staff group: %w", err)
	}
	return id.Int64, nil
}

// SetStaffGroup sets the organisation's staff group (0 clears it).
func (db *DB) SetStaffGroup(ctx context.Context, orgID, groupID int64, actor string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if groupID != 0 {
			if err := checkGroup(ctx, db, tx, orgID, groupID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, db.q(`INSERT INTO content_settings (org_id, staff_group_id, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET staff_group_id = excluded.staff_group_id, updated_at = excluded.updated_at`), orgID, nullID(groupID), ms(db.now()))
		if err != nil {
			return fmt.Errorf("set staff group: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "settings.staff_group", Subject: fmt.Sprintf("org:%d", orgID), Detail: fmt.Sprintf(`{"group":%d}`, groupID)})
	})
}

// pushesSent runs in SendDuePushes' transaction for the pushes being
// handed over (acts[i] sends ids[i]): it puts the members a push mentions
// before its text, records a reminder for the assistant on duty with a
// prompt for the slot, sends it to the assistant directly where a platform
// can (a staff account of theirs: a WeCom application message), and,
// where the organisation has a staff group, posts it there as an ordinary
// message naming the assistant.
func (db *DB) pushesSent(ctx context.Context, tx *sql.Tx, ids []int64, acts []chat.Action) ([]chat.Action, error) {
	now := db.now()
	for i, id := range ids {
		var org, group, duty, staff int64
		var slot, groupName, groupConn, title, staffConn, staffExt, staffLife string
		var planned int64
		err := tx.QueryRowContext(ctx, db.q(`SELECT p.org_id, p.group_id, p.slot, p.planned_at, COALESCE(p.duty_person, 0), g.name, g.connection, s.title,
				COALESCE(cs.staff_group_id, 0), COALESCE(sg.connection, ''), COALESCE(sg.external_id, ''), COALESCE(sg.lifecycle, '')
			FROM pushes p JOIN chat_groups g ON g.id = p.group_id JOIN scripts s ON s.id = p.script_id
			LEFT JOIN content_settings cs ON cs.org_id = p.org_id LEFT JOIN chat_groups sg ON sg.id = cs.staff_group_id
			WHERE p.id = ?`), id).Scan(&org, &group, &slot, &planned, &duty, &groupName, &groupConn, &title, &staff, &staffConn, &staffExt, &staffLife)
		if err != nil {
			return nil, fmt.Errorf("push %d: %w", id, err)
		}
		names, err := namesIn(ctx, db, tx, group, "SELECT person_id FROM push_mentions WHERE push_id = ?", id)
		if err != nil {
			return nil, err
		}
		if len(names) > 0 {
			acts[i].Text = "@" + strings.Join(names, " @") + "\n" + acts[i].Text
		}
		if duty == 0 {
			continue
		}
		cfg, err := slotsFor(ctx, db, tx, org, group)
		if err != nil {
			return nil, err
		}
		// The prompt greets as the clock in the group says now, when it
		// goes out.
		prompt := content.Prompt(now, cfg.Location(), id)
		_, err = tx.ExecContext(ctx, db.q(`INSERT INTO duty_reminders (push_id, org_id, group_id, person_id, prompt, staff_group_id, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (push_id) DO NOTHING`), id, org, group, duty, prompt, nullID(staff), ms(now))
		if err != nil {
			return nil, fmt.Errorf("record duty reminder: %w", err)
		}
		reminder := fmt.Sprintf("值班提醒：「%s」的推送《%s》刚刚发出，请在 %d 分钟内去群里跟进互动。\n建议话术：%s\nDuty: push #%d to %s is out; follow it up within %d minutes.",
			groupName, title, int(content.FollowUpWindow/time.Minute), prompt, id, groupName, int(content.FollowUpWindow/time.Minute))
		// To the assistant on duty directly, where the platform can reach
		// them (a WeCom application message to their userid).
		direct, ok, err := staffMessage(ctx, db, tx, duty, groupConn, fmt.Sprintf("duty-direct:%d", id), "duty reminder", reminder)
		if err != nil {
			return nil, err
		}
		if ok {
			acts = append(acts, direct)
		}
		if staff == 0 || staffLife != string(community.Active) {
			continue
		}
		who, err := namesIn(ctx, db, tx, staff, "SELECT id FROM people WHERE id = ?", duty)
		if err != nil {
			return nil, err
		}
		acts = append(acts, chat.Action{Key: fmt.Sprintf("duty:%d", id), Connection: staffConn, Kind: chat.ActSend, Group: staffExt, Reason: "duty reminder",
			Text: "@" + who[0] + " " + reminder})
	}
	return acts, nil
}

// namesIn returns how the people the query lists (one person id a row)
// are called in a group: their nickname there, else their name; in the
// order of their ids.
func namesIn(ctx context.Context, db *DB, q queryer, groupID int64, people string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, db.q(`SELECT COALESCE((SELECT NULLIF(m.nickname, '') FROM memberships m WHERE m.group_id = ? AND m.person_id = p.id AND m.left_at IS NULL LIMIT 1), p.name)
		FROM people p WHERE p.id IN (`+people+`) ORDER BY p.id`), append([]any{groupID}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("names in group %d: %w", groupID, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("names in group %d: %w", groupID, err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// DutyBoard lists the organisation's pushes with an assistant on duty —
// one person's, or everyone's when personID is 0 — planned from now to
// to, or sent from from to now: the prompt for each, and for those sent
// whether staff (and the assistant) followed up within FollowUpWindow.
func (db *DB) DutyBoard(ctx context.Context, orgID, personID int64, from, to time.Time) ([]content.DutyItem, error) {
	now := db.now()
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT p.id, p.script_id, s.title, p.group_id, g.name, p.slot, p.planned_at, p.sent_at, p.status, p.duty_person, COALESCE(dp.name, ''),
			COALESCE(r.prompt, ''), CASE WHEN r.push_id IS NULL THEN 0 ELSE 1 END, COALESCE(r.staff_group_id, 0)
		FROM pushes p JOIN scripts s ON s.id = p.script_id JOIN chat_groups g ON g.id = p.group_id
		LEFT JOIN people dp ON dp.id = p.duty_person LEFT JOIN duty_reminders r ON r.push_id = p.id
		WHERE p.org_id = ? AND p.duty_person IS NOT NULL AND (? = 0 OR p.duty_person = ?)
		  AND ((p.status = 'planned' AND p.planned_at >= ? AND p.planned_at <= ?) OR (p.status = 'sent' AND p.sent_at >= ? AND p.sent_at <= ?))
		ORDER BY p.planned_at, p.id`), orgID, personID, personID, ms(from), ms(to), ms(from), ms(now))
	if err != nil {
		return nil, fmt.Errorf("duty board: %w", err)
	}
	var out []content.DutyItem
	for rows.Next() {
		var d content.DutyItem
		var planned int64
		var sent sql.NullInt64
		var status string
		var reminded int
		if err := rows.Scan(&d.PushID, &d.ScriptID, &d.Title, &d.GroupID, &d.Group, &d.Slot, &planned, &sent, &status, &d.DutyPerson, &d.DutyName, &d.Prompt, &reminded, &d.StaffGroup); err != nil {
			rows.Close()
			return nil, fmt.Errorf("duty board: %w", err)
		}
		d.PlannedAt, d.SentAt, d.Status, d.Reminded = fromMS(planned), fromNullMS(sent), content.PushStatus(status), reminded == 1
		out = append(out, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("duty board: %w", err)
	}
	zones := map[int64]*time.Location{}
	for i := range out {
		d := &out[i]
		if d.Prompt == "" {
			loc := zones[d.GroupID]
			if loc == nil {
				cfg, err := slotsFor(ctx, db, db.sql, orgID, d.GroupID)
				if err != nil {
					return nil, err
				}
				loc = cfg.Location()
				zones[d.GroupID] = loc
			}
			d.Prompt = content.Prompt(d.PlannedAt, loc, d.PushID)
		}
		if d.SentAt != nil {
			r := content.PushResponse{PushID: d.PushID, GroupID: d.GroupID, SentAt: *d.SentAt, DutyPerson: d.DutyPerson}
			if err := db.measure(ctx, &r); err != nil {
				return nil, err
			}
			d.Response = &r.Response
		}
	}
	return out, nil
}
