package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// MergePeople makes two people one: everything of from — platform
// identities, memberships, messages, moderation, bans, reports, partner
// seats, invite codes, referrals, sign-ups, rollups — becomes into's, and
// from is deleted. Where both hold the same thing (a membership open in
// one group, a seat of one level at one entity, a ban, a place on a
// list), into's is kept and from's is ended or dropped. The foreign keys
// guarantee nothing is left pointing at from: were a table missed, the
// merge is refused and nothing changes.
func (db *DB) MergePeople(ctx context.Context, orgID, from, into int64, actor string) error {
	if from == into {
		return errkind.New(errkind.Invalid, "merge: a person cannot be merged into themselves")
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for _, id := range []int64{from, into} {
			var n int
			if err := tx.QueryRowContext(ctx, db.q("SELECT COUNT(*) FROM people WHERE org_id = ? AND id = ?"), orgID, id).Scan(&n); err != nil || n == 0 {
				return errkind.Errorf(errkind.NotFound, "person %d not found", id)
			}
		}
		now := ms(db.now())
		steps := []struct {
			what string
			sql  string
			args []any
		}{
			{"identities", "UPDATE identities SET person_id = ? WHERE person_id = ?", []any{into, from}},
			// One open membership per group: from's ends where into is in too.
			{"memberships", `UPDATE memberships SET left_at = ?, left_reason = 'merged' WHERE person_id = ? AND left_at IS NULL
				AND group_id IN (SELECT group_id FROM memberships WHERE person_id = ? AND left_at IS NULL)`, []any{now, from, into}},
			{"memberships", "UPDATE memberships SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"referrals", "UPDATE memberships SET inviter_id = ? WHERE inviter_id = ?", []any{into, from}},
			{"referrals", "UPDATE memberships SET inviter_id = NULL WHERE inviter_id = person_id", nil},
			{"messages", "UPDATE messages SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"moderation", "UPDATE moderation_actions SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"seats", `UPDATE partner_seats SET released_at = ? WHERE person_id = ? AND released_at IS NULL
				AND EXISTS (SELECT 1 FROM partner_seats o WHERE o.person_id = ? AND o.level_id = partner_seats.level_id AND o.entity_id = partner_seats.entity_id AND o.released_at IS NULL)`, []any{now, from, into}},
			{"seats", "UPDATE partner_seats SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"waitlist", `DELETE FROM partner_waitlist WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM partner_waitlist o WHERE o.person_id = ? AND o.level_id = partner_waitlist.level_id AND o.entity_id = partner_waitlist.entity_id)`, []any{from, into}},
			{"waitlist", "UPDATE partner_waitlist SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"invite codes", "UPDATE invite_codes SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"partner notices", "UPDATE partner_notices SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"pushes", "UPDATE pushes SET duty_person = ? WHERE duty_person = ?", []any{into, from}},
			{"bans", `UPDATE org_bans SET lifted_at = ?, lifted_by = 'merged' WHERE person_id = ? AND lifted_at IS NULL
				AND EXISTS (SELECT 1 FROM org_bans o WHERE o.person_id = ? AND o.org_id = org_bans.org_id AND o.lifted_at IS NULL)`, []any{now, from, into}},
			{"bans", "UPDATE org_bans SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"reports", `DELETE FROM reports WHERE reporter_id = ?
				AND EXISTS (SELECT 1 FROM reports o WHERE o.reporter_id = ? AND o.group_id = reports.group_id AND o.message_id = reports.message_id)`, []any{from, into}},
			{"reports", "UPDATE reports SET reporter_id = ? WHERE reporter_id = ?", []any{into, from}},
			{"reports", "UPDATE reports SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"report cases", "UPDATE report_cases SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"appeals", "UPDATE appeals SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"sign-up lists", "UPDATE signup_lists SET opened_by = ? WHERE opened_by = ?", []any{into, from}},
			{"sign-ups", `DELETE FROM signups WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM signups o WHERE o.person_id = ? AND o.list_id = signups.list_id)`, []any{from, into}},
			{"sign-ups", "UPDATE signups SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"eligibility", "UPDATE eligibility_cases SET person_id = ? WHERE person_id = ?", []any{into, from}},
			// The join gate: one check a member a group; the kept person's stands.
			{"gate checks", `DELETE FROM gate_checks WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM gate_checks o WHERE o.person_id = ? AND o.group_id = gate_checks.group_id)`, []any{from, into}},
			{"gate checks", "UPDATE gate_checks SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"purges", `DELETE FROM purge_members WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM purge_members o WHERE o.person_id = ? AND o.purge_id = purge_members.purge_id)`, []any{from, into}},
			{"purges", "UPDATE purge_members SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"KOLs", `DELETE FROM group_kols WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM group_kols o WHERE o.person_id = ? AND o.group_id = group_kols.group_id)`, []any{from, into}},
			{"KOLs", "UPDATE group_kols SET person_id = ? WHERE person_id = ?", []any{into, from}},
			// Rollups: a day both posted adds up.
			{"rollups", `INSERT INTO member_days (group_id, person_id, day, messages, substantive)
				SELECT group_id, ?, day, messages, substantive FROM member_days WHERE person_id = ?
				ON CONFLICT (group_id, day, person_id) DO UPDATE SET messages = member_days.messages + excluded.messages, substantive = member_days.substantive + excluded.substantive`, []any{into, from}},
			{"rollups", "DELETE FROM member_days WHERE person_id = ?", []any{from}},
			// Check-ins: a day both checked in keeps one; points all move.
			{"check-ins", `DELETE FROM checkins WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM checkins o WHERE o.person_id = ? AND o.group_id = checkins.group_id AND o.day = checkins.day)`, []any{from, into}},
			{"check-ins", "UPDATE checkins SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"points", "UPDATE points SET person_id = ? WHERE person_id = ?", []any{into, from}},
			{"alerts", `DELETE FROM alerts WHERE person_id = ?
				AND EXISTS (SELECT 1 FROM alerts o WHERE o.person_id = ? AND o.group_id = alerts.group_id AND o.kind = alerts.kind AND o.day = alerts.day)`, []any{from, into}},
			{"alerts", "UPDATE alerts SET person_id = ? WHERE person_id = ?", []any{into, from}},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, db.q(st.sql), st.args...); err != nil {
				return fmt.Errorf("merge %s: %w", st.what, err)
			}
		}
		var fromName, intoName string
		tx.QueryRowContext(ctx, db.q("SELECT name FROM people WHERE id = ?"), from).Scan(&fromName)
		tx.QueryRowContext(ctx, db.q("SELECT name FROM people WHERE id = ?"), into).Scan(&intoName)
		if _, err := tx.ExecContext(ctx, db.q("DELETE FROM people WHERE id = ?"), from); err != nil {
			if errkind.Of(classify(err)) == errkind.Invalid { // a foreign key still points at from
				return errkind.Errorf(errkind.Conflict, "merge: person %d is still referenced somewhere the merge does not handle (%v); nothing was changed", from, err)
			}
			return fmt.Errorf("merge: delete person %d: %w", from, err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "person.merge", Subject: fmt.Sprintf("person:%d", into),
			Detail: community.Detail("merged", from, "merged_name", fromName, "into_name", intoName)})
	})
}
