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
