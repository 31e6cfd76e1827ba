package content

import (
	"testing"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

func at(day, h, m int) time.Time { return time.Date(2026, 11, day, h, m, 0, 0, cst) }

func TestTransition(t *testing.T) {
	tests := []struct {
		from, to Status
		role     Role
		reason   string
		ok       bool
	}{
		{Draft, Submitted, Contributor, "", true},
		{Submitted, InReview, Reviewer, "", true},
		{Submitted, InReview, Editor, "", false},
		{InReview, Rejected, Reviewer, "", false},
		{InReview, Rejected, Reviewer, "硬广，直接卖货", true},
		{InReview, Approved, Contributor, "", false},
		{Approved, Scheduled, Publisher, "", true},
		{Draft, Published, Publisher, "", false},
		{Submitted, Approved, Reviewer, "", true},
		{Submitted, Rejected, Reviewer, "", false},
		{Submitted, Rejected, Reviewer, "与上周重复", true},
		{Submitted, Approved, Contributor, "", false},
		{Scheduled, Published, Publisher, "", true},
	}
	for _, tt := range tests {
		err := Transition(tt.from, tt.to, tt.role, tt.reason)
		if (err == nil) != tt.ok {
			t.Errorf("%s→%s by %s: %v, want ok=%v", tt.from, tt.to, tt.role, err, tt.ok)
		}
	}
}

func TestRotation(t *testing.T) {
	as := []int64{11, 22, 33}
	var got []int64
	for seq := 0; seq < 5; seq++ {
		a, _ := Rotation(as, seq)
		got = append(got, a)
	}
	if want := []int64{11, 22, 33, 11, 22}; !equal(got, want) {
		t.Fatalf("rotation %v, want %v", got, want)
	}
	if _, ok := Rotation(nil, 1); ok {
		t.Fatal("a group without assistants has nobody on duty")
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
