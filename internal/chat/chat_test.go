package chat

import (
	"testing"
	"time"
)

func TestMuteLeft(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		act  Action
		left time.Duration
		ok   bool
	}{
		{"no end given: the duration", Action{Duration: Duration(time.Hour)}, time.Hour, true},
		{"forever", Action{}, 0, true},
		{"made at once", Action{Duration: Duration(time.Hour), Until: now.Add(time.Hour)}, time.Hour, true},
		{"retried ten minutes later", Action{Duration: Duration(time.Hour), Until: now.Add(50 * time.Minute)}, 50 * time.Minute, true},
		{"retried after its end", Action{Duration: Duration(time.Hour), Until: now.Add(-time.Second)}, -time.Second, false},
		{"retried at its end", Action{Duration: Duration(time.Hour), Until: now}, 0, false},
	}
	for _, tt := range tests {
		left, ok := tt.act.MuteLeft(now)
		if left != tt.left || ok != tt.ok {
			t.Errorf("%s: %s %v, want %s %v", tt.name, left, ok, tt.left, tt.ok)
		}
	}
}

func TestSplitMention(t *testing.T) {
	wang := &User{ID: "777", Name: "王五"}
	tests := []struct {
		text    string
		mention *User
		want    string
	}{
		{"@王五 请勿发广告", wang, "请勿发广告"},
		{"@王五\n请勿发广告", wang, "请勿发广告"},
		{"@王五", wang, ""},
		{"⚠️ 发广告", wang, "⚠️ 发广告"},
		{"@王五六 请勿发广告", wang, "@王五六 请勿发广告"},
		{"@王五 请勿发广告", nil, "@王五 请勿发广告"},
		{"⚠️ 发广告", &User{ID: "777"}, "⚠️ 发广告"},
		{"@Admin  spam", &User{ID: "1", Name: "Admin"}, " spam"},
	}
	for _, tt := range tests {
		if got := (Action{Text: tt.text, Mention: tt.mention}).SplitMention(); got != tt.want {
			t.Errorf("%q with %+v: %q, want %q", tt.text, tt.mention, got, tt.want)
		}
	}
}

func TestSaneTime(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		t    time.Time
		sane bool
	}{
		{"now", now, true},
		{"an hour ago", now.Add(-time.Hour), true},
		{"last year", now.AddDate(-1, 0, 0), true},
		{"2000 exactly", time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), true},
		{"a clock a few hours ahead", now.Add(5 * time.Hour), true},
		{"a day ahead", now.Add(24 * time.Hour), true},
		{"more than a day ahead", now.Add(24*time.Hour + time.Second), false},
		{"Unix seconds read as milliseconds' worth: year 58,900", time.Unix(1764300000000, 0), false},
		{"the zero time", time.Time{}, false},
		{"Unix 0", time.Unix(0, 0), false},
		{"1999", time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC), false},
		{"milliseconds read as seconds' worth of nanoseconds: 1970", time.Unix(0, 1764300000000), false},
	}
	for _, tt := range tests {
		got, ok := SaneTime(tt.t, now)
		switch {
		case ok != tt.sane:
			t.Errorf("%s: sane %v, want %v", tt.name, ok, tt.sane)
		case ok && !got.Equal(tt.t):
			t.Errorf("%s: %v changed to %v", tt.name, tt.t, got)
		case !ok && !got.Equal(now):
			t.Errorf("%s: replaced by %v, want the receive time", tt.name, got)
		}
	}
}
