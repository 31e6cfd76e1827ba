package content

import (
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
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
		{Scheduled, Published, Publisher, "", true},
	}
	for _, tt := range tests {
		err := Transition(tt.from, tt.to, tt.role, tt.reason)
		if (err == nil) != tt.ok {
			t.Errorf("%s→%s by %s: %v, want ok=%v", tt.from, tt.to, tt.role, err, tt.ok)
		}
	}
}

func TestFit(t *testing.T) {
	caps := DefaultCaps()
	owners := community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}
	tests := []struct {
		name    string
		want    time.Time
		pushes  []time.Time
		win     community.Window
		at      time.Time
		reasons string
	}{
		{"free slot", at(25, 7, 30), nil, owners, at(25, 7, 30), ""},
		{"gap after a push", at(25, 12, 0), []time.Time{at(25, 11, 0)}, owners, at(25, 13, 0), "too close"},
		{"gap before a push", at(25, 12, 0), []time.Time{at(25, 13, 0)}, owners, at(25, 15, 0), "too close"},
		{"daily cap", at(25, 20, 30), []time.Time{at(25, 7, 30), at(25, 12, 0), at(25, 16, 0)}, owners, at(26, 6, 30), "daily cap"},
		{"quiet hours", at(25, 23, 45), nil, owners, at(26, 6, 30), "quiet hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Fit(tt.want, tt.pushes, caps, tt.win, cst, 7*24*time.Hour)
			if !ok || !p.At.Equal(tt.at) {
				t.Fatalf("Fit = %v (%v), want %v", p.At.In(cst), ok, tt.at)
			}
			if p.Deferred != (tt.reasons != "") || !strings.Contains(p.Reason, tt.reasons) {
				t.Fatalf("deferred=%v reason %q, want %q", p.Deferred, p.Reason, tt.reasons)
			}
		})
	}
	// Nothing fits inside the horizon.
	full := []time.Time{at(25, 7, 0), at(25, 10, 0), at(25, 13, 0)}
	if _, ok := Fit(at(25, 20, 0), full, caps, owners, cst, 2*time.Hour); ok {
		t.Fatal("Fit found a time beyond its horizon")
	}
}

// FuzzFit checks that whatever Fit returns respects the caps and window.
func FuzzFit(f *testing.F) {
	f.Add(int64(0), int64(3600), int64(7200), 3, 120)
	f.Fuzz(func(t *testing.T, want, p1, p2 int64, perDay, gapMin int) {
		if perDay < 1 || perDay > 10 || gapMin < 0 || gapMin > 600 {
			return
		}
		base := at(25, 0, 0)
		w := base.Add(time.Duration(want%(3*86400)) * time.Second)
		pushes := []time.Time{base.Add(time.Duration(p1%(3*86400)) * time.Second), base.Add(time.Duration(p2%(3*86400)) * time.Second)}
		caps := Caps{PerDay: perDay, MinGap: time.Duration(gapMin) * time.Minute}
		win := community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}
		p, ok := Fit(w, pushes, caps, win, cst, 10*24*time.Hour)
		if !ok {
			return
		}
		if p.At.Before(w) || !win.Allows(p.At, cst) || countDay(p.At, pushes, cst) >= perDay || !conflictGap(p.At, pushes, caps.MinGap).IsZero() {
			t.Fatalf("Fit(%v, %v, %+v) = %v breaks a rule", w, pushes, caps, p.At)
		}
	})
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
