package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"math"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestWriteJSONEncodeError: a value that cannot be encoded is a logged 500
// with the error body, not a 200 with an empty body.
func TestWriteJSONEncodeError(t *testing.T) {
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	w := httptest.NewRecorder()
	writeJSON(w, log, 200, map[string]any{"score": math.Inf(1)})
	var body ErrorBody
	if w.Code != 500 || json.Unmarshal(w.Body.Bytes(), &body) != nil || body.Error.Code != "internal" {
		t.Fatalf("unencodable answer: %d %q", w.Code, w.Body)
	}
	if !strings.Contains(logged.String(), "encode response") {
		t.Fatalf("not logged: %q", logged.String())
	}
	w = httptest.NewRecorder()
	writeJSON(w, log, 201, map[string]string{"note": "a\x01b"})
	if w.Code != 201 || w.Header().Get("Content-Length") != "20" || !json.Valid(w.Body.Bytes()) {
		t.Fatalf("a good answer: %d %s %q", w.Code, w.Header(), w.Body)
	}
}
