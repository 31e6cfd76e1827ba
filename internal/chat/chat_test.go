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
