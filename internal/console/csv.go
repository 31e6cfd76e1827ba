package console

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"time"
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

// sendCSV sends a table as a CSV download: UTF-8 with a byte order mark,
// so spreadsheet programs read Chinese right, and cells a spreadsheet
// would run as a formula (=, +, -, @ first) prefixed with an apostrophe:
// members write the text that ends up in these files. A failed write (the
// client went away) is logged.
func (s *Server) sendCSV(w http.ResponseWriter, name string, header []string, rows [][]string) {
	if err := writeCSV(w, name, header, rows); err != nil {
		s.Logger.Warn("csv download", "file", name, "err", err)
	}
}

func writeCSV(w http.ResponseWriter, name string, header []string, rows [][]string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	if _, err := w.Write([]byte("\xEF\xBB\xBF")); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, row := range rows {
		for i, c := range row {
			row[i] = safeCell(c)
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// safeCell keeps a spreadsheet from reading a cell as a formula.
func safeCell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
		return "'" + c
	}
	return c
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
