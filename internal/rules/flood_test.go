package rules

import (
	"fmt"
	"testing"
	"time"
)

// TestFloodMemoryForgetsIdle: past floodSweep members, those idle longer
// than the window are forgotten; those within it are kept.
func TestFloodMemoryForgetsIdle(t *testing.T) {
	var mem floodMemory
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	w := 30 * time.Second
	for i := range floodSweep {
		mem.observe(floodKey{1, int64(i)}, t0, "hi", w)
	}
	mem.observe(floodKey{1, 0}, t0.Add(2*w), "hi", w) // speaks again
	mem.observe(floodKey{2, 1}, t0.Add(2*w), "hi", w) // a new member: the sweep
	if len(mem.m) != 2 {
		t.Fatalf("%d members remembered after the sweep, want the two active ones", len(mem.m))
	}
	if recent, _ := mem.observe(floodKey{1, 0}, t0.Add(2*w+time.Second), "hi", w); recent != 2 {
		t.Fatalf("a member within the window forgotten: recent = %d", recent)
	}
	// Everyone within the window: a sweep forgets nobody, and the next
	// is not before the memory has doubled.
	for i := range floodSweep {
		mem.observe(floodKey{4, int64(i)}, t0.Add(3*w), "hi", w)
	}
	if mem.sweepAt <= floodSweep {
		t.Fatalf("a sweep that forgot nobody is run again at the next new member (next at %d, %d remembered)", mem.sweepAt, len(mem.m))
	}
}

// BenchmarkFloodMemoryNewMembers: a new member a message, everyone within
// the window (a large community's first minute, an import): the memory
// is swept when it doubles, not at every new member once it holds
// floodSweep.
func BenchmarkFloodMemoryNewMembers(b *testing.B) {
	var mem floodMemory
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	for i := range b.N {
		mem.observe(floodKey{int64(i % 1000), int64(i)}, t0.Add(time.Duration(i)*time.Microsecond), "收到", time.Minute)
	}
}

// TestFloodLimitsReachable: the highest limits a rule set may hold are
// reached — the memory counts one message more than the most a member may
// send, and as many identical ones as a rule may name.
func TestFloodLimitsReachable(t *testing.T) {
	rs, err := ParseRuleSet("r.toml", []byte(fmt.Sprintf("[flood]\nmessages = %d\nidentical = %d\nwindow = \"1m\"\naction = \"mute\"\n", floodSlots-1, floodSlots)))
	if err != nil {
		t.Fatal(err)
	}
	for _, over := range []string{fmt.Sprintf("messages = %d", floodSlots), fmt.Sprintf("identical = %d", floodSlots+1)} {
		if _, err := ParseRuleSet("r.toml", []byte("[flood]\n"+over+"\nwindow = \"1m\"\n")); err == nil {
			t.Errorf("%s accepted, beyond what the memory counts", over)
		}
	}
	var mem floodMemory
	t0 := time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)
	var recent, identical int
	for i := range 2 * floodSlots {
		recent, identical = mem.observe(floodKey{1, 1}, t0.Add(time.Duration(i)*time.Second/10), "刷屏", time.Duration(rs.Flood.Window))
		if i < rs.Flood.Messages && recent > rs.Flood.Messages {
			t.Fatalf("message %d: %d recent, over the limit early", i+1, recent)
		}
	}
	if recent <= rs.Flood.Messages || identical < rs.Flood.Identical {
		t.Fatalf("after %d messages in the window: %d recent, %d identical; the limits %d and %d are never reached", 2*floodSlots, recent, identical, rs.Flood.Messages, rs.Flood.Identical)
	}
}
