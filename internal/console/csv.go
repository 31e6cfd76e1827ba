package console

import (
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/csvexport"
)

// wantsCSV reports whether a page was asked for as a CSV download.
func wantsCSV(r *http.Request) bool { return r.URL.Query().Get("format") == "csv" }

// csvURL returns the URL of the same page as a CSV download.
func csvURL(r *http.Request) string {
	q := r.URL.Query()
	q.Del("lang")
	q.Set("format", "csv")
	return r.URL.Path + "?" + q.Encode()
}

// sendCSV sends a table as a CSV download (csvexport: UTF-8 with a byte
// order mark, cells a spreadsheet would run as a formula defused). A
// failed write (the client went away) is logged.
func (s *Server) sendCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	if err := csvexport.Send(w, name, header, rows); err != nil {
		s.Logger.Warn("csv download", "file", name, "err", err)
	}
}

// csvTime writes a time the way spreadsheets read it, in the console's
// time zone; "" for none.
func (s *Server) csvTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(s.Location).Format("2006-01-02 15:04:05")
}

// headers translates column keys.
func headers(l Lang, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = T(l, k)
	}
	return out
}
