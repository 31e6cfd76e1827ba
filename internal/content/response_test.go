package content

import (
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	sent := time.Date(2026, 11, 25, 20, 30, 0, 0, time.FixedZone("CST", 8*3600))
	at := func(m int) time.Time { return sent.Add(time.Duration(m) * time.Minute) }
	const duty, other = 7, 8
	posts := []Post{
		{Person: 1, At: at(-5)},                   // before: not counted
		{Person: other, At: at(3), Staff: true},   // a staff follow-up, not by the duty assistant
		{Person: duty, At: at(12), Staff: true},   // the duty assistant, within 15 minutes
		{Person: 1, At: at(1), ReplyToBot: true},  // a reply to the push
		{Person: 2, At: at(25)},                   //
		{Person: 1, At: at(45)},                   //
		{Person: 3, At: at(90), ReplyToBot: true}, //
		{Person: 4, At: at(24*60 + 1)},            // too late
		{Person: duty, At: at(16), Staff: true},   // too late to be the follow-up, and staff
	}
	r := Measure(sent, duty, posts)
	want := Response{Posts30: 2, Posts60: 3, Posts1440: 4, Members60: 2, Replies: 2, FollowUp: 3 * time.Minute, FollowedUp: true, ByDuty: true}
	if r != want {
		t.Fatalf("Measure = %+v\nwant %+v", r, want)
	}
	if r := Measure(sent, duty, []Post{{Person: duty, At: at(16), Staff: true}}); r.FollowedUp || r.ByDuty {
		t.Fatalf("a staff message after 16 minutes counted as a follow-up: %+v", r)
	}
}

func TestBaseline(t *testing.T) {
	at := time.Date(2026, 11, 25, 20, 30, 0, 0, time.UTC)
	pushedDays := map[int]bool{2: true} // two days before had a push at that time
	pushed := func(t time.Time) bool { return pushedDays[int(at.Sub(t).Hours()/24)] }
	posts := func(from, to time.Time) int { return int(at.Sub(from).Hours() / 24) } // day d brings d posts
	avg, n := Baseline(at, 4, pushed, posts)
	if n != 3 || avg != float64(1+3+4)/3 {
		t.Fatalf("Baseline = %v over %d days", avg, n)
	}
	if avg, n := Baseline(at, 0, pushed, posts); n != 0 || avg != 0 {
		t.Fatalf("no days: %v %d", avg, n)
	}
}
