package community

import (
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

func at(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, cst) }

func TestParseClock(t *testing.T) {
	for _, bad := range []string{"7:30", "24:00", "12:60", "noon", ""} {
		if _, err := ParseClock(bad); err == nil {
			t.Errorf("ParseClock(%q) accepted", bad)
		}
	}
	if c, err := ParseClock("07:30"); err != nil || c != (Clock{Hour: 7, Minute: 30}) {
		t.Fatalf("ParseClock(07:30) = %v, %v", c, err)
	}
}

func TestWindow(t *testing.T) {
	owners := Window{From: Clock{Hour: 6, Minute: 30}, To: Clock{Hour: 23, Minute: 30}}
	night := Window{From: Clock{Hour: 22, Minute: 0}, To: Clock{Hour: 6, Minute: 0}}
	tests := []struct {
		w    Window
		t    time.Time
		want bool
	}{
		{owners, at(25, 6, 29), false}, {owners, at(25, 6, 30), true}, {owners, at(25, 23, 29), true}, {owners, at(25, 23, 30), false},
		{night, at(25, 23, 0), true}, {night, at(25, 5, 59), true}, {night, at(25, 12, 0), false},
		{Window{}, at(25, 3, 0), true},
	}
	for _, tt := range tests {
		if got := tt.w.Allows(tt.t, cst); got != tt.want {
			t.Errorf("%v allows %v = %v, want %v", tt.w, tt.t.Format("15:04"), got, tt.want)
		}
	}
	// The window is read in the group's zone, not UTC.
	if !owners.Allows(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC), cst) { // 08:00 in Shanghai
		t.Error("08:00 CST (00:00 UTC) must be allowed")
	}
}

func TestParseWindow(t *testing.T) {
	if w, err := ParseWindow("22:00 - 06:00"); err != nil || w.String() != "22:00-06:00" {
		t.Fatalf("ParseWindow = %v, %v", w, err)
	}
	for _, bad := range []string{"22:00", "22:00-6:00", "x-y", ""} {
		if _, err := ParseWindow(bad); err == nil {
			t.Errorf("ParseWindow(%q) accepted", bad)
		}
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"06:30-23:30", "22:00-06:00", "00:00-00:00", "7:30-8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			return
		}
		back, err := ParseWindow(w.String())
		if err != nil || back != w {
			t.Fatalf("ParseWindow(%q) = %v, which reads back as %v, %v", s, w, back, err)
		}
	})
}
