// Package csvexport writes tables as CSV downloads that spreadsheet
// programs open safely: UTF-8 with a byte order mark, so that they read
// Chinese right, and no cell that a spreadsheet would run as a formula.
// The console's and the API's exports both write through it; members
// write much of the text that ends up in these files.
package csvexport

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Cell keeps a spreadsheet from reading a cell as a formula: a cell that
// starts with =, +, -, @, a tab, a carriage return or a line feed gets an
// apostrophe in front (OWASP's advice for CSV injection).
func Cell(c string) string {
	if c != "" && strings.ContainsRune("=+-@\t\r\n", rune(c[0])) {
		return "'" + c
	}
	return c
}

// Write writes the byte order mark, the header and the rows, each cell
// through Cell (the header too: a translated column name is text like
// any other).
func Write(w io.Writer, header []string, rows [][]string) error {
	if _, err := io.WriteString(w, "\xEF\xBB\xBF"); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	cw := csv.NewWriter(w)
	line := make([]string, 0, len(header))
	for _, row := range append([][]string{header}, rows...) {
		line = line[:0]
		for _, c := range row {
			line = append(line, Cell(c))
		}
		if err := cw.Write(line); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

// Send sends a table as a CSV download named name (an attachment that is
// not cached). A failed write is the client having gone away; the caller
// logs it.
func Send(w http.ResponseWriter, name string, header []string, rows [][]string) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	w.Header().Set("Cache-Control", "no-store")
	return Write(w, header, rows)
}
