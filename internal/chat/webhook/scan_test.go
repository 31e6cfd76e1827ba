package webhook

import (
	"os"
	"reflect"
	"testing"
	"unicode/utf8"
)

// TestScanEventsTakes checks which bodies the scanner takes itself and
// that it reads them as encoding/json does; everything else is left to
// encoding/json (and FuzzScanEvents checks the same on random bodies).
func TestScanEventsTakes(t *testing.T) {
	valid, err := os.ReadFile("testdata/valid.json")
	if err != nil {
		t.Fatal(err)
	}
	ev := `{"id":"e1","type":"message","group":"g","sender":{"id":"u1"},"message":{"id":"m1","kind":"text","text":"hi"}}`
	tests := []struct {
		name string
		body string
		take bool
	}{
		{"the testdata", string(valid), true},
		{"a load batch", string(loadBatch(50)), true},
		{"space everywhere", " \n[ \t{ \"id\" : \"e1\" ,\r\n \"type\":\"message\" } ] \n", true},
		{"escapes", `[{"id":"e\"1\\","type":"message","group":"\u7fa4\/\n\t\b\f\r","sender":{"id":"\u003cu\u003e","name":"a\u00e9"}}]`, true},
		{"nulls", `[{"id":"e1","type":null,"sender":null,"message":null,"inviter":{"id":null,"name":"x","bot":null}}]`, true},
		{"mentions and flags", `[{"id":"e1","sender":{"id":"u","bot":true},"message":{"id":"m","mentions":[],"mention_all":false}},{"id":"e2","message":{"mentions":["a", "b"],"mention_all":true}}]`, true},
		{"empty objects", `[{},{"sender":{},"message":{}}]`, true},
		{"upper-case field", `[{"ID":"x"}]`, false},
		{"escaped field", `[{"\u0069d":"x"}]`, false},
		{"repeated field", `[{"id":"x","id":"y"}]`, false},
		{"repeated sender", `[{"sender":{"id":"a"},"sender":{"name":"b"}}]`, false},
		{"unknown field", `[{"id":"x","button":{"data":"d"}}]`, false},
		{"a number", `[{"id":1}]`, false},
		{"a surrogate pair", `[{"id":"\ud83d\ude00"}]`, false},
		{"a lone surrogate", `[{"id":"\ud83d"}]`, false},
		{"a null element", `[null]`, false},
		{"a null mention", `[{"message":{"mentions":[null]}}]`, false},
		{"empty array", `[]`, false},
		{"too many", "[" + ev + "," + ev + "," + ev + "," + ev + "]", false},
		{"trailing data", "[" + ev + "]x", false},
		{"a control character", "[{\"id\":\"a\tb\"}]", false},
		{"cut short", `[{"id":"e1"`, false},
		{"a single object", ev, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			max := 50
			if tt.name == "too many" {
				max = 3
			}
			ws, ok := scanEvents([]byte(tt.body), max)
			if ok != tt.take {
				t.Fatalf("taken %v, want %v", ok, tt.take)
			}
			if ok {
				sameAsJSON(t, []byte(tt.body), ws)
			}
			w, ok := scanEvent([]byte(tt.body))
			if one := tt.name == "a single object"; ok != one {
				t.Fatalf("taken as a single event %v, want %v", ok, one)
			}
			if ok {
				sameAsJSON(t, []byte(tt.body), w)
			}
		})
	}
}

// sameAsJSON fails unless encoding/json's strict decoding of body gives
// what the scanner gave: events, or one event.
func sameAsJSON[T []wireEvent | wireEvent](t *testing.T, body []byte, got T) {
	t.Helper()
	var want T
	if err := strictUnmarshal(body, &want); err != nil {
		t.Fatalf("scanned a body encoding/json refuses (%v):\n%s", err, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("scanned %+v\nencoding/json %+v", got, want)
	}
}

// FuzzScanEvents checks that whatever the scanner takes, encoding/json's
// strict decoding takes too and reads the same.
func FuzzScanEvents(f *testing.F) {
	valid, _ := os.ReadFile("testdata/valid.json")
	f.Add(valid)
	f.Add(loadBatch(3))
	for _, s := range []string{`[{"id":"e\"1\\","group":"\u7fa4\/\n","sender":{"id":"\u003c","bot":true}}]`, `[{"message":{"mentions":["a",""],"mention_all":null}}]`,
		`[{"ID":"x"}]`, `[{"id":"x","id":"y"}]`, `[{"id":"\ud83d\ude00"}]`, `[{},{}] `, `[{"inviter":null,"actor":{"id":"a"}}]`, `{"id":"e1","type":"member_left","sender":{"id":"u"}}`, `{"id":"x"} {}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !utf8.Valid(body) {
			return
		}
		if ws, ok := scanEvents(body, 5); ok {
			if len(ws) == 0 || len(ws) > 5 {
				t.Fatalf("%d events taken", len(ws))
			}
			sameAsJSON(t, body, ws)
		}
		if w, ok := scanEvent(body); ok {
			sameAsJSON(t, body, w)
		}
	})
}
