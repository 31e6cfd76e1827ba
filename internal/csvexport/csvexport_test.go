package csvexport

import (
	"bytes"
	"encoding/csv"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"大家好", "大家好"},
		{"=HYPERLINK(\"http://evil.example\",\"点我\")", "'=HYPERLINK(\"http://evil.example\",\"点我\")"},
		{"+1+1", "'+1+1"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"\n=1", "'\n=1"},
		{"a=1", "a=1"},
		{"'=1", "'=1"},
		{"１２３", "１２３"},
	} {
		if got := Cell(tc.in); got != tc.want {
			t.Errorf("Cell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSend(t *testing.T) {
	w := httptest.NewRecorder()
	rows := [][]string{{"1", "=cmd|' /C calc'!A0", "张三"}, {"2", "ok", "-1"}}
	if err := Send(w, "x.csv", []string{"id", "text", "name"}, rows); err != nil {
		t.Fatal(err)
	}
	if ct, cd := w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"); ct != "text/csv; charset=utf-8" || cd != `attachment; filename="x.csv"` {
		t.Fatalf("headers %v", w.Header())
	}
	body := w.Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no byte order mark")
	}
	recs, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 || recs[1][1] != "'=cmd|' /C calc'!A0" || recs[1][2] != "张三" || recs[2][2] != "'-1" {
		t.Fatalf("records %q", recs)
	}
	// The caller's rows are left as they were.
	if rows[0][1] != "=cmd|' /C calc'!A0" {
		t.Fatalf("Send changed the caller's row: %q", rows[0])
	}
	if !strings.Contains(string(body), "id,text,name\n") {
		t.Fatalf("header line: %q", body)
	}
}
