package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

const (
	auditPageRows = 50
	auditCSVRows  = 10000
	auditBatch    = 500    // entries read from the store at a time
	auditMaxScan  = 20_000 // entries read at most to fill one filtered page
)

// auditPrefixes are the areas offered in the action filter; any prefix
// works.
// Each has its name in words ("aud_area_" + area).
var auditPrefixes = []string{"moderation", "report", "appeal", "ban", "group", "member", "script", "push", "partner", "partners", "event", "campaign", "invite_code",
	"purge", "eligibility", "template", "task", "duty", "alert", "rules", "settings", "token"}

type auditData struct {
	Action   string
	Entries  []auditRow
	Prefixes []string
	Next     string // the next (older) page; "" at the end
	First    string // the newest page, when this is not it
	CSV      string
}

// auditEntries reads up to want entries older than before whose action
// starts with prefix, newest first. next is the cursor for the following
// page, 0 when the log has no more.
func (s *Server) auditEntries(ctx context.Context, orgID int64, prefix string, before int64, want int) (out []community.AuditEntry, next int64, err error) {
	for scanned := 0; scanned < auditMaxScan; {
		batch, err := s.Store.AuditLog(ctx, orgID, community.Page{Limit: auditBatch, Before: before})
		if err != nil {
			return nil, 0, err
		}
		for _, e := range batch {
			before = e.ID
			if !strings.HasPrefix(e.Action, prefix) {
				continue
			}
			out = append(out, e)
			if len(out) == want {
				return out, e.ID, nil
			}
		}
		scanned += len(batch)
		if len(batch) < auditBatch {
			return out, 0, nil
		}
	}
	return out, before, nil // more may match further back
}

func (s *Server) audit(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	q := r.URL.Query()
	prefix := strings.TrimSpace(q.Get("action"))
	var before int64
	if b := q.Get("before"); b != "" {
		var err error
		if before, err = strconv.ParseInt(b, 10, 64); err != nil || before < 0 {
			s.renderError(w, r, errkind.Errorf(errkind.Invalid, "before: want an entry id, got %q", b))
			return
		}
	}
	want := auditPageRows
	if wantsCSV(r) {
		want = auditCSVRows
	}
	entries, next, err := s.auditEntries(r.Context(), u.OrgID, prefix, before, want)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(entries))
		for _, e := range entries {
			rows = append(rows, []string{strconv.FormatInt(e.ID, 10), s.csvTime(&e.At), e.Actor, e.Action, e.Subject, e.Detail})
		}
		s.sendCSV(w, "qunzhu-audit.csv", headers(l, "id", "time", "actor", "action", "subject", "detail"), rows)
		return
	}
	rows, err := s.auditRows(r.Context(), l, u.OrgID, entries)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := auditData{Action: prefix, Entries: rows, Prefixes: auditPrefixes, CSV: csvURL(r)}
	page := func(before int64) string {
		v := url.Values{}
		if prefix != "" {
			v.Set("action", prefix)
		}
		if before > 0 {
			v.Set("before", strconv.FormatInt(before, 10))
		}
		return "/audit?" + v.Encode()
	}
	if next > 0 {
		d.Next = page(next)
	}
	if before > 0 {
		d.First = page(0)
	}
	s.render(w, http.StatusOK, "audit", s.page(r, u, T(l, "audit"), d))
}
