package community

import (
	"encoding/json"
	"math"
	"testing"
)

func TestDetail(t *testing.T) {
	for _, tc := range []struct {
		kv   []any
		want string
	}{
		{nil, `{}`},
		{[]any{"note", "违规\x01广告", "group", 12}, `{"note":"违规\u0001广告","group":12}`},
		{[]any{"a", `"quoted" <b>`, "ok", true}, `{"a":"\"quoted\" \u003cb\u003e","ok":true}`},
		{[]any{"bad", math.Inf(1)}, `{"bad":"+Inf"}`},
		{[]any{7, "x", "odd"}, `{"7":"x","odd":null}`},
		{[]any{"bell", "\a\x7f\u2028😀"}, "{\"bell\":\"\\u0007\x7f\\u2028😀\"}"},
	} {
		got := Detail(tc.kv...)
		if !json.Valid([]byte(got)) {
			t.Errorf("Detail(%q) = %s: not JSON", tc.kv, got)
		}
		if got != tc.want {
			t.Errorf("Detail(%q) = %s, want %s", tc.kv, got, tc.want)
		}
	}
}

func TestSafeDetail(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "{}"},
		{`{"a":1}`, `{"a":1}`},
		{`{"note":"\x01"}`, `{"text":"{\"note\":\"\\x01\"}"}`},
		{`[1,2]`, `{"text":"[1,2]"}`},
		{"plain text", `{"text":"plain text"}`},
	} {
		if got := SafeDetail(tc.in); got != tc.want {
			t.Errorf("SafeDetail(%q) = %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid([]byte(SafeDetail(tc.in))) {
			t.Errorf("SafeDetail(%q) is not JSON", tc.in)
		}
	}
}
