package chat

import (
	"encoding/json"
	"testing"
	"time"
)

func TestDurationText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"5s", 5 * time.Second, true}, {"2m30s", 150 * time.Second, true}, {"30d", 30 * 24 * time.Hour, true}, {"0s", 0, true},
		{"-5s", 0, false}, {"0d", 0, false}, {"007d", 0, false}, {"d", 0, false}, {"soon", 0, false}, {"", 0, false},
	} {
		var d Duration
		err := d.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && time.Duration(d) != tc.want) {
			t.Errorf("UnmarshalText(%q) = %v, %v; want %v ok %v", tc.in, time.Duration(d), err, tc.want, tc.ok)
		}
	}
	if b, _ := Duration(90 * time.Second).MarshalText(); string(b) != "1m30s" {
		t.Errorf("MarshalText = %s", b)
	}
}

// TestDurationJSON: on the wire a duration stays whole seconds, whatever
// its text form.
func TestDurationJSON(t *testing.T) {
	b, err := json.Marshal(struct{ D Duration }{Duration(time.Hour)})
	if err != nil || string(b) != `{"D":3600}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var v struct{ D Duration }
	if err := json.Unmarshal([]byte(`{"D":60}`), &v); err != nil || time.Duration(v.D) != time.Minute {
		t.Fatalf("Unmarshal = %v, %v", v.D, err)
	}
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"5s", "30d", "1h30m", "-1s", "9999999d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err == nil && d < 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
	})
}
