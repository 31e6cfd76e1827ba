// Package imports brings a group's history into qunzhu: it runs a chat
// export (read by internal/importer) through the same ingest as live
// traffic — pipeline.Ingester.IngestHistory, which stores the events with
// their deterministic ids and acts on none of them — as a job whose
// progress is recorded, then dates the groups back to their first
// imported event and recomputes the daily rollups (health, retention,
// leaderboards) of the days it touched.
//
// `qunzhu import` and the console's upload page both run imports through
// a Service. docs/import.md describes the whole of it.
package imports

import (
	"time"

	"github.com/qunzhu/qunzhu/internal/importer"
)

// Status is where a job is.
type Status string

const (
	// Uploaded: the file is kept and validated; the operator has not yet
	// chosen where its groups go.
	Uploaded Status = "uploaded"
	// Queued: started, waiting for the importer of this server.
	Queued Status = "queued"
	// Running: being imported (its heartbeat is recent).
	Running Status = "running"
	// Done: imported, rollups recomputed.
	Done Status = "done"
	// Failed: stopped by an error (Error says which); nothing half-
	// imported when the file was bad, and a run again stores what is
	// missing when the database failed.
	Failed Status = "failed"
	// Interrupted: the process running it stopped (a restart, a crash):
	// its heartbeat is older than StaleAfter. Running it again is safe.
	Interrupted Status = "interrupted"
)

// Statuses lists the statuses, for translations.
var Statuses = []Status{Uploaded, Queued, Running, Done, Failed, Interrupted}

// StaleAfter is how old the heartbeat of a queued or running job may be
// before the job counts as interrupted; a running job beats every
// Heartbeat.
const (
	StaleAfter = time.Minute
	Heartbeat  = 10 * time.Second
)

// Plan is how a job imports its file: what the operator chose.
type Plan struct {
	// Platform is set on every event: the connection's platform.
	Platform string `json:"platform,omitempty"`
	// Zone is the time zone of times the export writes without one.
	Zone string `json:"zone,omitempty"`
	// Since and Until keep only events at or after Since and before Until.
	Since time.Time `json:"since,omitzero"`
	Until time.Time `json:"until,omitzero"`
	// Groups maps the export's group keys (importer.GroupSummary.Key) to
	// the external id to import into: "" keeps the export's own id (a
	// Telegram chat, a WeChat chatroom) or the one derived from its name.
	// Groups not listed are skipped. Nil imports every group as it is.
	Groups map[string]string `json:"groups,omitempty"`
	// Group and GroupName are for an export that names no group (a WeChat
	// text or CSV export): the external id of the group to import into,
	// or the name of a new one.
	Group     string `json:"group,omitempty"`
	GroupName string `json:"group_name,omitempty"`
	// Names names the groups the import creates (key → name), replacing
	// the name the export gives once the import is done.
	Names map[string]string `json:"names,omitempty"`
}

// GroupResult is one group a job imported into.
type GroupResult struct {
	Key        string    `json:"key"`
	ExternalID string    `json:"external_id"`
	GroupID    int64     `json:"group_id"`
	Name       string    `json:"name"`
	Created    bool      `json:"created,omitempty"` // the import created it
	Events     int       `json:"events"`
	Messages   int       `json:"messages"`
	First      time.Time `json:"first,omitzero"`
	Last       time.Time `json:"last,omitzero"`
}

// Result is what a finished job did.
type Result struct {
	Groups []GroupResult `json:"groups"`
	// Identities counts the members imported by name (or e-mail): merge
	// proposals may follow.
	Identities int `json:"identities"`
	// Days is how many days of rollups were recomputed, from From.
	Days     int            `json:"days"`
	From     time.Time      `json:"from,omitzero"`
	Skipped  map[string]int `json:"skipped,omitempty"`
	Seconds  float64        `json:"seconds"`
	ByType   map[string]int `json:"by_type,omitempty"`
	Messages int            `json:"messages"`
}

// Job is one import.
type Job struct {
	ID        int64
	OrgID     int64
	CreatedBy string // "staff:<username>" or "cli"
	// Connection is the configured connection the groups belong to.
	Connection string
	Format     importer.Format
	FileName   string // as uploaded or named on the command line
	// Upload is the path of the kept upload ("" when the file is not the
	// job's own, as with `qunzhu import`, or has been removed).
	Upload string
	Size   int64
	Plan   Plan
	// Summary is what validation found: the groups with their keys,
	// counts, times and identities (the first of them).
	Summary importer.Summary
	Result  Result
	Status  Status
	// Phase is the step a running job is in: validate, import, rollup.
	Phase      string
	Bytes      int64 // of the file, read in the current phase
	Events     int   // events handed to the ingest so far
	Accepted   int   // of which new
	Duplicates int   // of which stored before
	Error      string
	Holder     string // the process running it
	CreatedAt  time.Time
	StartedAt  *time.Time
	FinishedAt *time.Time
	// HeartbeatAt is when the job was last queued or reported progress.
	HeartbeatAt time.Time
}

// State is the job's status as of now: a queued or running job whose
// heartbeat is stale was interrupted.
func (j Job) State(now time.Time) Status {
	if (j.Status == Running || j.Status == Queued) && now.Sub(j.HeartbeatAt) > StaleAfter {
		return Interrupted
	}
	return j.Status
}

// Percent is how far the current phase is through the file, 0–100.
func (j Job) Percent() int {
	if j.Size <= 0 {
		return 0
	}
	return int(min(100, j.Bytes*100/j.Size))
}

// Connection is a configured connection an export may be imported into.
type Connection struct {
	Name     string
	Platform string
}

// summaryIdentities is how many identities a job keeps of its summary.
const summaryIdentities = 50
