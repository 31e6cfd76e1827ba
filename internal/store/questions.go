package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Questions and their response time (docs/metrics.md, "Questions and
// response time"): the tracker (analytics.Tracker) reads each stored
// message once, in the order it was stored, from the mark where its last
// run stopped; the questions it finds and what became of them are kept in
// questions; an open question past its due time is sent once to the
// assistant on duty and the staff group.

// questionsMark names the tracker's mark in insight_marks.
const questionsMark = "questions"

// QuestionBatch is the most messages one run of the tracker reads.
const QuestionBatch = 2000

// staleAlert: a question that became overdue longer ago than this when
// the tracker first sees it (imported history, a long stop) is not sent
// to staff; it shows on the questions page only.
const staleAlert = 2 * time.Hour

// QuestionRun says what a run of the tracker did.
type QuestionRun struct {
	Read, Asked, Answered, Alerted int
}

// ResponseTargets returns the response targets the organisation's groups
// set (a group not in the map has the defaults: analytics.DefaultTarget
// over analytics.DefaultActive), in loc.
func (db *DB) ResponseTargets(ctx context.Context, orgID int64, loc *time.Location) (map[int64]analytics.ResponseTarget, error) {
	return responseTargets(ctx, db, db.sql, orgID, loc)
}

func responseTargets(ctx context.Context, db *DB, q queryer, orgID int64, loc *time.Location) (map[int64]analytics.ResponseTarget, error) {
	out := map[int64]analytics.ResponseTarget{}
	rows, err := q.QueryContext(ctx, db.q(`SELECT r.group_id, r.target_seconds, r.active FROM response_targets r JOIN chat_groups g ON g.id = r.group_id WHERE g.org_id = ?`), orgID)
	err = eachRow(rows, err, func(r *sql.Rows) error {
		var g, secs int64
		var active string
		if err := r.Scan(&g, &secs, &active); err != nil {
			return err
		}
		w, err := community.ParseWindow(active)
		if err != nil {
			return fmt.Errorf("group %d: %w", g, err)
		}
		out[g] = analytics.ResponseTarget{Within: time.Duration(secs) * time.Second, Hours: w, Loc: loc}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("response targets: %w", err)
	}
	return out, nil
}

// SetResponseTarget sets how soon a group's questions should be answered
// and in which hours the clock runs.
func (db *DB) SetResponseTarget(ctx context.Context, orgID, groupID int64, t analytics.ResponseTarget, actor string) error {
	if err := t.Validate(); err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if err := groupInOrg(ctx, db, tx, orgID, groupID); err != nil {
			return err
		}
		now := db.now()
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO response_targets (group_id, target_seconds, active, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (group_id) DO UPDATE SET target_seconds = excluded.target_seconds, active = excluded.active, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
			groupID, int64(t.Within/time.Second), t.Hours.String(), ms(now), actor); err != nil {
			return fmt.Errorf("set response target: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, At: now, Actor: actor, Action: "group.response_target", Subject: fmt.Sprintf("group:%d", groupID),
			Detail: community.Detail("minutes", fmt.Sprint(int(t.Within/time.Minute)), "active", t.Hours.String())})
	})
}

// groupInOrg checks that a group is the organisation's.
func groupInOrg(ctx context.Context, db *DB, q queryer, orgID, groupID int64) error {
	var one int
	err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM chat_groups WHERE id = ? AND org_id = ?`), groupID, orgID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return errkind.Errorf(errkind.NotFound, "group %d not found", groupID)
	}
	if err != nil {
		return fmt.Errorf("group: %w", err)
	}
	return nil
}

// TrackQuestions reads the organisation's messages stored since its last
// run (at most a few thousand a call; run it again while Read is
// QuestionBatch): it records the questions members ask and the answers
// they get, and sends each question still unanswered past its due time
// to the group's assistant on duty and the staff group, once. Messages
// sent longer than analytics.QuestionHorizon before now ask nothing.
func (db *DB) TrackQuestions(ctx context.Context, orgID int64, now time.Time, loc *time.Location) (QuestionRun, error) {
	return db.trackQuestions(ctx, orgID, now, now.Add(-analytics.QuestionHorizon), false, loc)
}

// TrackHistory runs the tracker over every message stored since its last
// run, as TrackQuestions does, except that messages sent since since ask
// (not only those of the last day) and nothing is sent to staff: the
// questions of a history imported at once (the demo's) are kept as if
// they had been tracked as they came, and those overdue by now are
// marked sent. It returns how many questions were asked.
func (db *DB) TrackHistory(ctx context.Context, orgID int64, since, now time.Time, loc *time.Location) (int, error) {
	asked := 0
	for {
		run, err := db.trackQuestions(ctx, orgID, now, since, true, loc)
		if err != nil {
			return asked, err
		}
		asked += run.Asked
		if run.Read < QuestionBatch {
			return asked, nil
		}
	}
}

func (db *DB) trackQuestions(ctx context.Context, orgID int64, now, since time.Time, quiet bool, loc *time.Location) (QuestionRun, error) {
	// The messages are read and the questions decided outside any write
	// transaction (a batch takes a second or more); the write that follows
	// holds the write lock only for the rows that change. One tracker runs
	// at a time (the scheduler's lease); the mark, read again in the write,
	// keeps a run that lost a race from writing twice.
	qt, err := newQuestionTrack(ctx, db, db.prepared(nil), orgID, now, since, loc)
	if err != nil {
		return QuestionRun{}, err
	}
	qt.quiet = quiet
	b, err := qt.read(ctx)
	if err != nil {
		return QuestionRun{}, err
	}
	var run QuestionRun
	err = db.inTx(ctx, func(tx *sql.Tx) error {
		run = QuestionRun{}
		if b.read > 0 {
			if err := qt.write(ctx, tx, b, &run); err != nil {
				return err
			}
		}
		return qt.alert(ctx, tx, &run)
	})
	return run, err
}

// questionTrack is one run of the tracker.
type questionTrack struct {
	db      *DB
	q       queryer // reads, outside the write; prepared (a run runs the same few statements thousands of times)
	org     int64
	now     time.Time
	since   time.Time // messages sent before it ask nothing
	quiet   bool      // mark overdue questions sent without sending them
	loc     *time.Location
	targets map[int64]analytics.ResponseTarget
	staff   map[[2]int64]bool // (group, person) of staff; (0, person) of bots
	names   map[int64][]string
	duty    map[int64]int64 // the assistant on duty per group, read once a run
	tr      analytics.Tracker
}

func newQuestionTrack(ctx context.Context, db *DB, q queryer, orgID int64, now, since time.Time, loc *time.Location) (*questionTrack, error) {
	qt := &questionTrack{db: db, q: q, org: orgID, now: now, since: since, loc: loc, names: map[int64][]string{}, duty: map[int64]int64{}}
	var err error
	if qt.targets, err = responseTargets(ctx, db, q, orgID, loc); err != nil {
		return nil, err
	}
	qt.tr.Target = qt.target
	if qt.staff, err = staffOf(ctx, db, q, orgID); err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	open, err := questionsWhere(ctx, db, q, `q.org_id = ? AND q.answered_at IS NULL AND q.asked_at >= ? ORDER BY q.asked_at, q.id`, orgID, ms(since))
	if err != nil {
		return nil, err
	}
	for i := range open {
		qt.tr.Add(&open[i])
	}
	return qt, nil
}

func (qt *questionTrack) target(group int64) analytics.ResponseTarget {
	if t, ok := qt.targets[group]; ok {
		return t
	}
	return analytics.ResponseTarget{Within: analytics.DefaultTarget, Hours: analytics.DefaultActive, Loc: qt.loc}
}

func (qt *questionTrack) isStaff(group, person int64) bool {
	return qt.staff[[2]int64{group, person}] || qt.staff[[2]int64{0, person}]
}

// nameOf returns the names a person goes by (their name, their platform
// names), read once a run.
func (qt *questionTrack) nameOf(ctx context.Context, person int64) []string {
	if n, ok := qt.names[person]; ok {
		return n
	}
	rows, err := qt.q.QueryContext(ctx, qt.db.q(`SELECT p.name FROM people p WHERE p.id = ? UNION SELECT i.name FROM identities i WHERE i.person_id = ?`), person, person)
	names, err := scanAll(rows, err, func(r *sql.Rows, s *string) error { return r.Scan(s) })
	if err != nil {
		names = nil // a name not read matches no "@name"; the platform's mentions still do
	}
	qt.names[person] = names
	return names
}

// saidRow is a stored message as the tracker reads it.
type saidRow struct {
	id       int64
	said     analytics.Said
	conn     string
	mentions []string
}

// questionBatch is what one read of the tracker decided: the rows to
// write.
type questionBatch struct {
	mark, last int64 // the mark read, the last message id read
	read       int
	asked      []*analytics.Question // in order; ID set when written
	answered   []*analytics.Question // their answer set by the tracker
}

// read runs the tracker over the messages after the mark, writing
// nothing.
func (qt *questionTrack) read(ctx context.Context) (questionBatch, error) {
	db, q := qt.db, qt.q
	var b questionBatch
	var err error
	if b.mark, err = qt.mark(ctx, q, false); err != nil {
		return b, err
	}
	// The new messages are read by id from the mark: CROSS JOIN keeps
	// SQLite's planner from walking every group's messages by group and
	// time instead (PostgreSQL plans it as the inner join it is).
	rows, err := q.QueryContext(ctx, db.q(`SELECT m.id, m.group_id, m.person_id, m.external_id, m.reply_to, m.text, m.mention_ids, m.sent_at, g.connection
		FROM messages m CROSS JOIN chat_groups g WHERE g.id = m.group_id AND g.org_id = ? AND m.id > ? ORDER BY m.id LIMIT ?`), qt.org, b.mark, QuestionBatch)
	msgs, err := scanAll(rows, err, func(r *sql.Rows, s *saidRow) error {
		var at int64
		var mentions string
		if err := r.Scan(&s.id, &s.said.Group, &s.said.Person, &s.said.ID, &s.said.ReplyTo, &s.said.Text, &mentions, &at, &s.conn); err != nil {
			return err
		}
		s.said.At = fromMS(at)
		s.mentions = strings.Fields(mentions)
		return nil
	})
	if err != nil {
		return b, fmt.Errorf("questions: messages: %w", err)
	}
	if len(msgs) == 0 {
		return b, nil
	}
	who, err := qt.mentioned(ctx, msgs)
	if err != nil {
		return b, err
	}
	type asking struct {
		group   int64
		message string
	}
	seen := map[asking]bool{} // asked in this batch
	for i := range msgs {
		s := &msgs[i].said
		s.Staff = qt.isStaff(s.Group, s.Person)
		var people []int64
		for _, ext := range msgs[i].mentions {
			if p, ok := who[[2]string{msgs[i].conn, ext}]; ok {
				people = append(people, p)
				s.CallsStaff = s.CallsStaff || (p != s.Person && qt.staff[[2]int64{s.Group, p}])
			}
		}
		text := s.Text
		s.Mentions = func(p int64) bool {
			for _, m := range people {
				if m == p {
					return true
				}
			}
			return strings.ContainsAny(text, "@＠") && analytics.MentionsName(text, qt.nameOf(ctx, p)...)
		}
		answered, asked := qt.tr.Step(*s)
		b.answered = append(b.answered, answered...)
		if asked == nil {
			continue
		}
		if s.At.Before(qt.since) {
			qt.tr.Drop(asked) // history: too old to ask
			continue
		}
		key := asking{asked.GroupID, asked.MessageID}
		again := seen[key]
		if !again {
			var one int
			err := q.QueryRowContext(ctx, db.q(`SELECT 1 FROM questions WHERE group_id = ? AND message_id = ?`), asked.GroupID, asked.MessageID).Scan(&one)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return b, fmt.Errorf("questions: asked before: %w", err)
			}
			again = err == nil
		}
		if again {
			qt.tr.Drop(asked) // the same message id again: already asked
			continue
		}
		seen[key] = true
		duty, ok := qt.duty[s.Group]
		if !ok {
			if duty, err = dutyFor(ctx, db, q, s.Group, 0); err != nil {
				return b, err
			}
			qt.duty[s.Group] = duty
		}
		asked.DutyPerson = duty
		b.asked = append(b.asked, asked)
	}
	b.read = len(msgs)
	b.last = msgs[len(msgs)-1].id
	return b, nil
}

// mark is the id of the last message the tracker read (0 before the
// first run). lock, for the write's reading, holds the mark until the
// write ends: PostgreSQL's writes do not queue as SQLite's do, so two
// runs' writes may overlap, each reading the mark before the other's
// commit. There the mark's row, made if missing, is locked, and the
// second write reads the first's mark once it committed.
func (qt *questionTrack) mark(ctx context.Context, q queryer, lock bool) (int64, error) {
	forUpdate := ""
	if lock && qt.db.dialect == Postgres {
		if _, err := q.ExecContext(ctx, qt.db.q(`INSERT INTO insight_marks (org_id, name, value, updated_at) VALUES (?, ?, 0, ?)
			ON CONFLICT (org_id, name) DO NOTHING`), qt.org, questionsMark, ms(qt.now)); err != nil {
			return 0, fmt.Errorf("questions: mark: %w", err)
		}
		forUpdate = " FOR UPDATE"
	}
	var mark int64
	err := q.QueryRowContext(ctx, qt.db.q(`SELECT value FROM insight_marks WHERE org_id = ? AND name = ?`+forUpdate), qt.org, questionsMark).Scan(&mark)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("questions: mark: %w", err)
	}
	return mark, nil
}

// write stores what read decided, unless another run moved the mark
// since: the questions asked (before the answers, which may answer one
// of them), the answers, and the new mark.
func (qt *questionTrack) write(ctx context.Context, tx *sql.Tx, b questionBatch, run *QuestionRun) error {
	db, w := qt.db, qt.db.prepared(tx)
	if mark, err := qt.mark(ctx, w, true); err != nil {
		return err
	} else if mark != b.mark {
		return nil // another run read these messages
	}
	for _, asked := range b.asked {
		err := w.QueryRowContext(ctx, db.q(`INSERT INTO questions (org_id, group_id, person_id, message_id, text, asked_at, starts_at, due_at, duty_person)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, message_id) DO NOTHING RETURNING id`),
			qt.org, asked.GroupID, asked.PersonID, asked.MessageID, asked.Text, ms(asked.AskedAt), ms(asked.StartsAt), ms(asked.DueAt), nullID(asked.DutyPerson)).Scan(&asked.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue // asked already: its answer, if any, is not this run's
		}
		if err != nil {
			return fmt.Errorf("questions: asked: %w", err)
		}
		run.Asked++
	}
	for _, q := range b.answered {
		if q.ID == 0 {
			continue
		}
		if _, err := w.ExecContext(ctx, db.q(`UPDATE questions SET answered_at = ?, answered_by = ?, answer_kind = ?, by_staff = ?, waited_ms = ? WHERE id = ?`),
			ms(*q.AnsweredAt), q.AnsweredBy, string(q.Kind), q.ByStaff, q.Waited.Milliseconds(), q.ID); err != nil {
			return fmt.Errorf("questions: answered: %w", err)
		}
		run.Answered++
	}
	run.Read = b.read
	if _, err := w.ExecContext(ctx, db.q(`INSERT INTO insight_marks (org_id, name, value, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (org_id, name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`), qt.org, questionsMark, b.last, ms(qt.now)); err != nil {
		return fmt.Errorf("questions: mark: %w", err)
	}
	return nil
}

// mentioned resolves the platform ids the messages mention to people:
// (connection, external id) → person.
func (qt *questionTrack) mentioned(ctx context.Context, msgs []saidRow) (map[[2]string]int64, error) {
	out := map[[2]string]int64{}
	seen := map[string]bool{}
	var ids []any
	for _, m := range msgs {
		for _, ext := range m.mentions {
			if !seen[ext] {
				seen[ext] = true
				ids = append(ids, ext)
			}
		}
	}
	for start := 0; start < len(ids); start += chunk {
		part := ids[start:min(start+chunk, len(ids))]
		// Not prepared: the list's length varies.
		rows, err := qt.db.sql.QueryContext(ctx, qt.db.q(`SELECT i.connection, i.external_id, i.person_id FROM identities i JOIN people p ON p.id = i.person_id
			WHERE p.org_id = ? AND i.external_id IN (`+placeholders(len(part))+`)`), append([]any{qt.org}, part...)...)
		err = eachRow(rows, err, func(r *sql.Rows) error {
			var k [2]string
			var p int64
			if err := r.Scan(&k[0], &k[1], &p); err != nil {
				return err
			}
			out[k] = p
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("questions: mentions: %w", err)
		}
	}
	return out, nil
}

// questionAlert is what the assistant on duty and the staff group are
// told of a question waiting past its due time (the minutes of the
// group's active hours it has waited).
const questionAlert = "问题提醒：「%s」里%s的问题在活跃时段内已等了 %d 分钟，还没有人回答：%s\nQuestion waiting: %[2]s's question in %[1]s has waited %[3]d minutes of the group's active hours without an answer: %[4]s"

// alert sends the questions that became overdue, once each.
func (qt *questionTrack) alert(ctx context.Context, tx *sql.Tx, run *QuestionRun) error {
	db, w := qt.db, qt.db.prepared(tx)
	due, err := questionsWhere(ctx, db, w, `q.org_id = ? AND q.answered_at IS NULL AND q.alerted_at IS NULL AND q.due_at <= ? AND q.asked_at >= ? ORDER BY q.due_at, q.id`,
		qt.org, ms(qt.now), ms(qt.since))
	if err != nil {
		return err
	}
	for _, q := range due {
		if !qt.quiet && qt.now.Sub(q.DueAt) <= staleAlert {
			text := fmt.Sprintf(questionAlert, q.Group, q.Asker, int(qt.target(q.GroupID).Waited(q.StartsAt, qt.now)/time.Minute), analytics.Excerpt(q.Text, 60))
			if err := notifyDuty(ctx, db, tx, q.GroupID, q.DutyPerson, fmt.Sprintf("question:%d", q.ID), text, qt.now); err != nil {
				return err
			}
			run.Alerted++
		}
		if _, err := w.ExecContext(ctx, db.q(`UPDATE questions SET alerted_at = ? WHERE id = ?`), ms(qt.now), q.ID); err != nil {
			return fmt.Errorf("questions: alerted: %w", err)
		}
	}
	return nil
}

// questionCols reads a question with its group's, asker's, answerer's and
// assistant's names.
const questionCols = `SELECT q.id, q.group_id, g.name, q.person_id, pa.name, q.message_id, q.text, q.asked_at, q.starts_at, q.due_at,
	q.answered_at, COALESCE(q.answered_by, 0), COALESCE(pb.name, ''), q.answer_kind, q.by_staff, q.waited_ms,
	COALESCE(q.duty_person, 0), COALESCE(pd.name, ''), q.alerted_at
	FROM questions q JOIN chat_groups g ON g.id = q.group_id JOIN people pa ON pa.id = q.person_id
	LEFT JOIN people pb ON pb.id = q.answered_by LEFT JOIN people pd ON pd.id = q.duty_person WHERE `

func questionsWhere(ctx context.Context, db *DB, q queryer, where string, args ...any) ([]analytics.Question, error) {
	rows, err := q.QueryContext(ctx, db.q(questionCols+where), args...)
	out, err := scanAll(rows, err, func(r *sql.Rows, v *analytics.Question) error {
		var asked, starts, due, waited int64
		var answered, alerted sql.NullInt64
		var kind string
		if err := r.Scan(&v.ID, &v.GroupID, &v.Group, &v.PersonID, &v.Asker, &v.MessageID, &v.Text, &asked, &starts, &due,
			&answered, &v.AnsweredBy, &v.Answerer, &kind, &v.ByStaff, &waited, &v.DutyPerson, &v.DutyName, &alerted); err != nil {
			return err
		}
		v.AskedAt, v.StartsAt, v.DueAt, v.Kind, v.Waited = fromMS(asked), fromMS(starts), fromMS(due), analytics.AnswerKind(kind), time.Duration(waited)*time.Millisecond
		if answered.Valid {
			t := fromMS(answered.Int64)
			v.AnsweredAt = &t
		}
		if alerted.Valid {
			t := fromMS(alerted.Int64)
			v.AlertedAt = &t
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("questions: %w", err)
	}
	return out, nil
}

// Questions returns the organisation's questions asked from..to, newest
// first, at most limit.
func (db *DB) Questions(ctx context.Context, orgID int64, from, to time.Time, limit int) ([]analytics.Question, error) {
	return questionsWhere(ctx, db, db.sql, `q.org_id = ? AND q.asked_at >= ? AND q.asked_at < ? ORDER BY q.asked_at DESC, q.id DESC LIMIT ?`, orgID, ms(from), ms(to), limit)
}
