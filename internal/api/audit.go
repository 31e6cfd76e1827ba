package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/csvexport"
)

// AuditLog is the evidence trail the API exports.
type AuditLog interface {
	AuditLog(ctx context.Context, orgID int64, p community.Page) ([]community.AuditEntry, error)
	ModerationActions(ctx context.Context, orgID int64, limit int) ([]community.ModerationAction, error)
}

func (s *Server) auditRoutes(mux *http.ServeMux) {
	if s.Audit == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/audit", s.tokenAuth(s.auditLog))
	mux.HandleFunc("GET /api/v1/moderation", s.tokenAuth(s.moderation))
}

// auditLog lists the audit log, newest first, as JSON or (?format=csv) CSV.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	limit, err := intParam(r, "limit", 100, 1, 10000)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	before, err := intParam(r, "before", 0, 0, 1<<62)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	entries, err := s.Audit.AuditLog(r.Context(), orgOf(r), community.Page{Limit: int(limit), Before: before})
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		rows := make([][]string, 0, len(entries))
		for _, e := range entries {
			rows = append(rows, []string{strconv.FormatInt(e.ID, 10), e.At.Format(time.RFC3339), e.Actor, e.Action, e.Subject, e.Detail})
		}
		s.sendCSV(w, "qunzhu-audit.csv", []string{"id", "time", "actor", "action", "subject", "detail"}, rows)
		return
	}
	type entry struct {
		ID      int64     `json:"id"`
		At      time.Time `json:"at"`
		Actor   string    `json:"actor"`
		Action  string    `json:"action"`
		Subject string    `json:"subject"`
		Detail  rawJSON   `json:"detail"`
	}
	out := struct {
		Entries []entry `json:"entries"`
	}{Entries: []entry{}}
	for _, e := range entries {
		out.Entries = append(out.Entries, entry{e.ID, e.At, e.Actor, e.Action, e.Subject, rawJSON(e.Detail)})
	}
	writeJSON(w, s.Logger, http.StatusOK, out)
}

// sendCSV sends a CSV export through csvexport (the console's exports use
// the same): cells a spreadsheet would run as a formula are defused. A
// failed write (the client went away) is logged.
func (s *Server) sendCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	if err := csvexport.Send(w, name, header, rows); err != nil {
		s.Logger.Warn("csv export", "file", name, "err", err)
	}
}

// rawJSON embeds a stored JSON object as is; anything else (an entry
// written before details were built with encoding/json, whose %q escapes
// are not JSON) is embedded as {"text": "…"}, so one bad entry cannot
// spoil the answer.
type rawJSON string

func (j rawJSON) MarshalJSON() ([]byte, error) {
	return []byte(community.SafeDetail(string(j))), nil
}

// moderation lists moderation actions, newest first, as JSON or CSV.
func (s *Server) moderation(w http.ResponseWriter, r *http.Request) {
	limit, err := intParam(r, "limit", 100, 1, 10000)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	list, err := s.Audit.ModerationActions(r.Context(), orgOf(r), int(limit))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	if r.URL.Query().Get("format") == "csv" {
		rows := make([][]string, 0, len(list))
		for _, a := range list {
			rows = append(rows, []string{strconv.FormatInt(a.ID, 10), a.CreatedAt.Format(time.RFC3339), strconv.FormatInt(a.GroupID, 10), strconv.FormatInt(a.PersonID, 10), a.MessageID, string(a.Action), a.Rule, a.Category, a.Reason, a.Actor})
		}
		s.sendCSV(w, "qunzhu-moderation.csv", []string{"id", "time", "group_id", "person_id", "message_id", "action", "rule", "category", "reason", "actor"}, rows)
		return
	}
	type item struct {
		ID        int64     `json:"id"`
		At        time.Time `json:"at"`
		GroupID   int64     `json:"group_id"`
		PersonID  int64     `json:"person_id"`
		MessageID string    `json:"message_id,omitempty"`
		Action    string    `json:"action"`
		Rule      string    `json:"rule"`
		Category  string    `json:"category"`
		Reason    string    `json:"reason"`
		Actor     string    `json:"actor"`
	}
	out := struct {
		Actions []item `json:"actions"`
	}{Actions: []item{}}
	for _, a := range list {
		out.Actions = append(out.Actions, item{a.ID, a.CreatedAt, a.GroupID, a.PersonID, a.MessageID, string(a.Action), a.Rule, a.Category, a.Reason, a.Actor})
	}
	writeJSON(w, s.Logger, http.StatusOK, out)
}
