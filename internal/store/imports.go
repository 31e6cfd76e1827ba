package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
)

var _ imports.Store = (*DB)(nil)

const importJobCols = `id, org_id, created_by, connection, format, file_name, upload, size, plan, summary, result, status, phase,
	bytes, events, accepted, duplicates, error, holder, created_at, started_at, finished_at, heartbeat_at`

func scanImportJob(sc interface{ Scan(...any) error }) (imports.Job, error) {
	var j imports.Job
	var format, status, plan, summary, result string
	var created, beat int64
	var started, finished sql.NullInt64
	if err := sc.Scan(&j.ID, &j.OrgID, &j.CreatedBy, &j.Connection, &format, &j.FileName, &j.Upload, &j.Size, &plan, &summary, &result, &status, &j.Phase,
		&j.Bytes, &j.Events, &j.Accepted, &j.Duplicates, &j.Error, &j.Holder, &created, &started, &finished, &beat); err != nil {
		return j, err
	}
	j.Format, j.Status = importer.Format(format), imports.Status(status)
	j.CreatedAt, j.StartedAt, j.FinishedAt, j.HeartbeatAt = fromMS(created), fromNullMS(started), fromNullMS(finished), fromMS(beat)
	for _, f := range []struct {
		what string
		raw  string
		into any
	}{{"plan", plan, &j.Plan}, {"summary", summary, &j.Summary}, {"result", result, &j.Result}} {
		if err := json.Unmarshal([]byte(f.raw), f.into); err != nil {
			return j, fmt.Errorf("import job %d: read its %s: %w", j.ID, f.what, err)
		}
	}
	return j, nil
}

// jobJSON encodes a job's plan, summary and result.
func jobJSON(j *imports.Job) (plan, summary, result string, err error) {
	var b [3][]byte
	for i, v := range []any{j.Plan, j.Summary, j.Result} {
		if b[i], err = json.Marshal(v); err != nil {
			return "", "", "", fmt.Errorf("encode import job: %w", err)
		}
	}
	return string(b[0]), string(b[1]), string(b[2]), nil
}

// CreateImportJob records a new import job.
func (db *DB) CreateImportJob(ctx context.Context, j *imports.Job) error {
	plan, summary, result, err := jobJSON(j)
	if err != nil {
		return err
	}
	if j.CreatedAt.IsZero() {
		j.CreatedAt = db.now()
	}
	if j.HeartbeatAt.IsZero() {
		j.HeartbeatAt = j.CreatedAt
	}
	err = db.scanWrite(ctx, db.q(`INSERT INTO import_jobs (org_id, created_by, connection, format, file_name, upload, size, plan, summary, result,
		status, phase, bytes, events, accepted, duplicates, error, holder, created_at, started_at, finished_at, heartbeat_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		[]any{j.OrgID, j.CreatedBy, j.Connection, string(j.Format), j.FileName, j.Upload, j.Size, plan, summary, result,
			string(j.Status), j.Phase, j.Bytes, j.Events, j.Accepted, j.Duplicates, j.Error, j.Holder, ms(j.CreatedAt), nullMS(j.StartedAt), nullMS(j.FinishedAt), ms(j.HeartbeatAt)}, &j.ID)
	if err != nil {
		return fmt.Errorf("create import job: %w", classify(err))
	}
	return nil
}

// SaveImportJob writes a job's progress, plan, result and status.
func (db *DB) SaveImportJob(ctx context.Context, j *imports.Job) error {
	plan, summary, result, err := jobJSON(j)
	if err != nil {
		return err
	}
	res, err := db.exec(ctx, db.q(`UPDATE import_jobs SET format = ?, upload = ?, size = ?, plan = ?, summary = ?, result = ?, status = ?, phase = ?,
		bytes = ?, events = ?, accepted = ?, duplicates = ?, error = ?, started_at = ?, finished_at = ?, heartbeat_at = ? WHERE org_id = ? AND id = ?`),
		string(j.Format), j.Upload, j.Size, plan, summary, result, string(j.Status), j.Phase,
		j.Bytes, j.Events, j.Accepted, j.Duplicates, j.Error, nullMS(j.StartedAt), nullMS(j.FinishedAt), ms(j.HeartbeatAt), j.OrgID, j.ID)
	if err != nil {
		return fmt.Errorf("save import job %d: %w", j.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errkind.Errorf(errkind.NotFound, "no import %d", j.ID)
	}
	return nil
}

// ClaimImportJob moves a job to status to for holder when it may start:
// uploaded or failed, queued by holder, or queued or running with a
// heartbeat before stale (its process stopped).
func (db *DB) ClaimImportJob(ctx context.Context, orgID, id int64, to imports.Status, holder string, now, stale time.Time) (imports.Job, error) {
	if to != imports.Queued && to != imports.Running {
		return imports.Job{}, errkind.Errorf(errkind.Invalid, "claim import %d: to %s", id, to)
	}
	started := any(nil)
	if to == imports.Running {
		started = ms(now)
	}
	res, err := db.exec(ctx, db.q(`UPDATE import_jobs SET status = ?, holder = ?, heartbeat_at = ?, started_at = COALESCE(?, started_at), finished_at = NULL
		WHERE org_id = ? AND id = ? AND (status IN ('uploaded', 'failed', 'interrupted') OR (status = 'queued' AND holder = ?)
			OR (status IN ('queued', 'running') AND heartbeat_at < ?))`),
		string(to), holder, ms(now), started, orgID, id, holder, ms(stale))
	if err != nil {
		return imports.Job{}, fmt.Errorf("claim import %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return imports.Job{}, fmt.Errorf("claim import %d: %w", id, err)
	}
	j, err := db.ImportJob(ctx, orgID, id)
	if err != nil {
		return j, err
	}
	if n == 0 {
		return j, errkind.Errorf(errkind.Conflict, "import %d is %s", id, j.State(now))
	}
	return j, nil
}

// TouchImportJobs beats the heartbeat of holder's queued and running jobs.
func (db *DB) TouchImportJobs(ctx context.Context, holder string, now time.Time) error {
	if _, err := db.exec(ctx, db.q("UPDATE import_jobs SET heartbeat_at = ? WHERE holder = ? AND status IN ('queued', 'running')"), ms(now), holder); err != nil {
		return fmt.Errorf("import heartbeat: %w", err)
	}
	return nil
}

// ImportJob returns an import job of the organisation.
func (db *DB) ImportJob(ctx context.Context, orgID, id int64) (imports.Job, error) {
	j, err := scanImportJob(db.sql.QueryRowContext(ctx, db.q("SELECT "+importJobCols+" FROM import_jobs WHERE org_id = ? AND id = ?"), orgID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return j, errkind.Errorf(errkind.NotFound, "no import %d", id)
	}
	if err != nil {
		return j, fmt.Errorf("read import %d: %w", id, err)
	}
	return j, nil
}

// ImportJobs returns the organisation's latest import jobs, newest first.
func (db *DB) ImportJobs(ctx context.Context, orgID int64, limit int) ([]imports.Job, error) {
	return db.importJobs(ctx, "org_id = ? ORDER BY id DESC LIMIT ?", orgID, limit)
}

func (db *DB) importJobs(ctx context.Context, where string, args ...any) ([]imports.Job, error) {
	rows, err := db.sql.QueryContext(ctx, db.q("SELECT "+importJobCols+" FROM import_jobs WHERE "+where), args...)
	out, err := scanAll(rows, err, func(r *sql.Rows, j *imports.Job) error {
		var err error
		*j, err = scanImportJob(r)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list imports: %w", err)
	}
	return out, nil
}

// DeleteImportJob forgets an import job.
func (db *DB) DeleteImportJob(ctx context.Context, orgID, id int64) error {
	res, err := db.exec(ctx, db.q("DELETE FROM import_jobs WHERE org_id = ? AND id = ?"), orgID, id)
	if err != nil {
		return fmt.Errorf("delete import %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errkind.Errorf(errkind.NotFound, "no import %d", id)
	}
	return nil
}

// StaleUploads lists the kept uploads of jobs that have not changed since
// before: uploaded and never started, failed or interrupted.
func (db *DB) StaleUploads(ctx context.Context, before time.Time) ([]imports.Job, error) {
	return db.importJobs(ctx, "upload <> '' AND heartbeat_at < ? AND status IN ('uploaded', 'failed', 'interrupted', 'queued', 'running') ORDER BY id", ms(before))
}

// GroupByExternalID finds a group of the organisation by its connection
// and platform id.
func (db *DB) GroupByExternalID(ctx context.Context, orgID int64, connection, externalID string) (community.Group, bool, error) {
	var id int64
	err := db.sql.QueryRowContext(ctx, db.q("SELECT id FROM chat_groups WHERE org_id = ? AND connection = ? AND external_id = ?"), orgID, connection, externalID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return community.Group{}, false, nil
	}
	if err != nil {
		return community.Group{}, false, fmt.Errorf("find group %s/%s: %w", connection, externalID, err)
	}
	g, err := db.Group(ctx, orgID, id)
	return g, err == nil, err
}

// BackdateGroup moves a group's creation back to at when at is earlier.
func (db *DB) BackdateGroup(ctx context.Context, groupID int64, at time.Time) error {
	if _, err := db.exec(ctx, db.q("UPDATE chat_groups SET created_at = ? WHERE id = ? AND created_at > ?"), ms(at), groupID, ms(at)); err != nil {
		return fmt.Errorf("backdate group %d: %w", groupID, err)
	}
	return nil
}

// MergeProposals lists, per group, the people imported by name (a name or
// e-mail identity, and no platform identity) whose name is the name or
// the group nickname of a member with a platform identity on the same
// connection, leaving out pairs staff dismissed. At most limit, by group
// and name.
func (db *DB) MergeProposals(ctx context.Context, orgID int64, limit int) ([]community.MergeProposal, error) {
	// The few people imported by name first, then their groups, the
	// groups' members (memberships_group) and their identities
	// (identities_person: person and connection), in that order (SQLite
	// keeps a CROSS JOIN's order): planned freely, SQLite went from each
	// group to every identity of its connection twice over — every pair
	// of the organisation's identities, 1.4 s for the demo's 4,000, a
	// hundred times that for ten times as many (BenchmarkMergeProposals).
	rows, err := db.sql.QueryContext(ctx, db.q(`WITH named AS MATERIALIZED (
			SELECT i.connection, i.person_id, i.name, i.external_id FROM identities i JOIN people p ON p.id = i.person_id
			WHERE p.org_id = ? AND (i.external_id LIKE 'name:%' OR i.external_id LIKE 'email:%')
			  AND NOT EXISTS (SELECT 1 FROM identities x WHERE x.person_id = i.person_id AND x.external_id NOT LIKE 'name:%' AND x.external_id NOT LIKE 'email:%'))
		SELECT DISTINCT ia.connection, g.id, g.name, ia.person_id, ia.name, ia.external_id, ib.person_id, pb.name, ib.external_id,
			(SELECT COUNT(*) FROM messages m WHERE m.group_id = g.id AND m.person_id = ia.person_id)
		FROM named ia
		CROSS JOIN memberships ma
		CROSS JOIN chat_groups g
		CROSS JOIN memberships mb
		CROSS JOIN identities ib
		CROSS JOIN people pb
		WHERE ma.person_id = ia.person_id AND g.id = ma.group_id AND g.connection = ia.connection AND g.org_id = ?
		  AND mb.group_id = g.id AND mb.person_id <> ia.person_id
		  AND ib.person_id = mb.person_id AND ib.connection = ia.connection AND pb.id = ib.person_id
		  AND ib.external_id NOT LIKE 'name:%' AND ib.external_id NOT LIKE 'email:%' AND ib.bot = FALSE
		  AND (ib.name = ia.name OR mb.nickname = ia.name OR pb.name = ia.name)
		  AND NOT EXISTS (SELECT 1 FROM merge_dismissals d WHERE d.connection = ia.connection AND d.name_id = ia.external_id AND d.other_id = ib.external_id)
		ORDER BY g.name, g.id, ia.name, ia.person_id, ib.person_id LIMIT ?`), orgID, orgID, limit)
	out, err := scanAll(rows, err, func(r *sql.Rows, p *community.MergeProposal) error {
		return r.Scan(&p.Connection, &p.GroupID, &p.GroupName, &p.Person, &p.PersonName, &p.NameID, &p.Other, &p.OtherName, &p.OtherID, &p.Messages)
	})
	if err != nil {
		return nil, fmt.Errorf("merge proposals: %w", err)
	}
	return out, nil
}

// proposalPeople finds the people of a proposal's two identities, as they
// are now: the first imported by name, the second not.
func (db *DB) proposalPeople(ctx context.Context, orgID int64, p community.MergeProposal) (from, into int64, err error) {
	if !community.ImportedByName(p.NameID) || community.ImportedByName(p.OtherID) || p.OtherID == "" {
		return 0, 0, errkind.New(errkind.Invalid, "a merge proposal pairs a member imported by name with one known by a platform id")
	}
	for _, x := range []struct {
		ext string
		id  *int64
	}{{p.NameID, &from}, {p.OtherID, &into}} {
		err := db.sql.QueryRowContext(ctx, db.q(`SELECT i.person_id FROM identities i JOIN people p ON p.id = i.person_id
			WHERE p.org_id = ? AND i.connection = ? AND i.external_id = ?`), orgID, p.Connection, x.ext).Scan(x.id)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, 0, errkind.Errorf(errkind.NotFound, "no member %s on connection %s", x.ext, p.Connection)
		}
		if err != nil {
			return 0, 0, fmt.Errorf("merge proposal: %w", err)
		}
	}
	if from == into {
		return 0, 0, errkind.New(errkind.Conflict, "the two are one person already")
	}
	return from, into, nil
}

// AcceptMerge merges the person imported by name into the person of the
// platform identity (MergePeople).
func (db *DB) AcceptMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error {
	from, into, err := db.proposalPeople(ctx, orgID, p)
	if err != nil {
		return err
	}
	return db.MergePeople(ctx, orgID, from, into, actor)
}

// DismissMerge records that a member imported by name is not the person
// of a platform identity: the pair is proposed no more.
func (db *DB) DismissMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error {
	from, into, err := db.proposalPeople(ctx, orgID, p)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO merge_dismissals (org_id, connection, name_id, other_id, dismissed_by, dismissed_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (connection, name_id, other_id) DO NOTHING`), orgID, p.Connection, p.NameID, p.OtherID, actor, ms(db.now())); err != nil {
			return fmt.Errorf("dismiss merge: %w", err)
		}
		return appendAudit(ctx, db, tx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: "person.merge_dismiss", Subject: fmt.Sprintf("person:%d", from),
			Detail: fmt.Sprintf(`{"other":%d,"connection":%q,"name_id":%q,"other_id":%q}`, into, p.Connection, p.NameID, p.OtherID)})
	})
}
