package sim

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/content"
)

// Shanghai is the simulated members' zone when Options name none.
var Shanghai, _ = content.LoadZone("")

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, Shanghai)

func small() Scenario {
	return Scenario{Seed: 7, Groups: []GroupSpec{
		{ID: "a", Name: "NF-测试群", Style: Academy, Members: 60, Liveness: 1},
		{ID: "o", Name: "业主群", Style: Owners, Members: 80, Liveness: 1, NicknameRule: true},
	}}
}

func TestDeterministic(t *testing.T) {
	now := func() time.Time { return t0 }
	a := New("sim", small(), Options{Now: now}).History(t0, t0.Add(10*24*time.Hour))
	b := New("sim", small(), Options{Now: now}).History(t0, t0.Add(10*24*time.Hour))
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different histories")
	}
	if len(a) < 200 {
		t.Fatalf("only %d events in 10 days of two groups", len(a))
	}
}

func TestHistoryShape(t *testing.T) {
	s := New("sim", small(), Options{Now: func() time.Time { return t0 }})
	evs := s.History(t0, t0.Add(30*24*time.Hour))
	present := map[string]bool{}
	spoke := map[string]bool{}
	ids := map[string]bool{}
	var hours [24]int
	sources := map[chat.JoinSource]int{}
	for i, e := range evs {
		if ids[e.ID] {
			t.Fatalf("duplicate event id %s", e.ID)
		}
		ids[e.ID] = true
		if i > 0 && e.Time.Before(evs[i-1].Time) {
			t.Fatal("history is not in time order")
		}
		k := e.Group + "/" + e.Sender.ID
		switch e.Type {
		case chat.EventMemberJoined:
			present[k] = true
			sources[e.Source]++
		case chat.EventMemberLeft:
			if !present[k] {
				t.Fatalf("%s left without having joined", k)
			}
			delete(present, k)
		case chat.EventMessage:
			if !present[k] {
				t.Fatalf("%s spoke while not a member (%s)", k, e.ID)
			}
			spoke[k] = true
			hours[e.Time.In(Shanghai).Hour()]++
		}
	}
	if hours[3] >= hours[8] || hours[21] <= hours[4] {
		t.Fatalf("hour curve not followed: %v", hours)
	}
	silent := 0
	for k := range present {
		if !spoke[k] {
			silent++
		}
	}
	if silent < len(present)/5 {
		t.Fatalf("only %d of %d members never spoke: no lurkers", silent, len(present))
	}
	for _, src := range []chat.JoinSource{chat.SourcePulledIn, chat.SourceEvent, chat.SourceReferral, chat.SourcePromo} {
		if sources[src] == 0 {
			t.Errorf("no joins from %s", src)
		}
	}
	if len(s.Expect()) == 0 {
		t.Error("no rule violations generated")
	}
}

func TestLiveIDsDoNotCollide(t *testing.T) {
	clock := t0
	a := New("sim", small(), Options{Now: func() time.Time { return clock }})
	clock = clock.Add(time.Second) // a restart later
	b := New("sim", small(), Options{Now: func() time.Time { return clock }})
	seen := map[string]bool{}
	for _, s := range []*Sim{a, b} {
		for i := 0; i < 200; i++ {
			e, ok := s.tick(clock)
			if !ok {
				continue
			}
			if seen[e.ID] {
				t.Fatalf("live id %s repeated across restarts", e.ID)
			}
			seen[e.ID] = true
		}
	}
}

type sink struct {
	mu    sync.Mutex
	fails int
	got   []chat.Event
}

func (k *sink) Ingest(_ context.Context, evs []chat.Event) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.fails > 0 {
		k.fails--
		return errors.New("database is locked")
	}
	k.got = append(k.got, evs...)
	return nil
}

func TestRunRetriesAndStops(t *testing.T) {
	s := New("sim", small(), Options{Rate: 2000, Now: func() time.Time { return t0.Add(9 * time.Hour) }})
	k := &sink{fails: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if err := s.Run(ctx, k); err != nil {
		t.Fatal(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.got) == 0 {
		t.Fatal("no events after the sink recovered")
	}
}

func TestDoReactions(t *testing.T) {
	s := New("sim", small(), Options{Now: func() time.Time { return t0 }})
	ctx := context.Background()
	victim := "a-m10"
	if err := s.Do(ctx, chat.Action{Kind: chat.ActBan, Group: "a", User: victim}); err != nil {
		t.Fatal(err)
	}
	if len(s.pending) != 1 || s.pending[0].Type != chat.EventMemberLeft || s.pending[0].Reason != chat.LeftRemoved {
		t.Fatalf("ban did not produce a removal: %+v", s.pending)
	}
	if s.byID["a"].byID[victim] != nil || !s.byID["a"].banned[victim] {
		t.Fatal("banned member still present")
	}
	muted := "o-m5"
	s.Do(ctx, chat.Action{Kind: chat.ActMute, Group: "o", User: muted, Duration: chat.Duration(time.Hour)})
	for i := 0; i < 500; i++ {
		if e, ok := s.message(s.byID["o"], t0.Add(time.Minute), true); ok && e.Sender.ID == muted {
			t.Fatal("a muted member spoke")
		}
	}
	if err := s.Do(ctx, chat.Action{Kind: chat.ActSend, Group: "nope"}); !errors.Is(err, chat.ErrPermanent) {
		t.Fatalf("unknown group: %v", err)
	}
	if len(s.Actions()) != 2 {
		t.Fatalf("recorded %d actions", len(s.Actions()))
	}
}

func TestDemoScenario(t *testing.T) {
	sc := DemoScenario()
	kinds := map[string]int{}
	for _, g := range sc.Groups {
		kinds[g.Kind]++
		if g.Members > 500 {
			t.Errorf("%s has %d members, over the cap", g.Name, g.Members)
		}
	}
	if len(sc.Groups) < 17 || kinds["lecturer"] == 0 || kinds["topic"] == 0 || kinds["enrolment"] == 0 || kinds["cohort"] == 0 || kinds["allhands"] == 0 || kinds["owners"] != 1 {
		t.Fatalf("demo scenario kinds %v over %d groups", kinds, len(sc.Groups))
	}
}

func BenchmarkStream(b *testing.B) {
	s := New("sim", DemoScenario(), Options{Now: func() time.Time { return t0 }})
	b.ReportAllocs()
	b.ResetTimer()
	s.Stream(b.N, t0)
}

// A planned departure: the chattiest member leaves when planned and says
// nothing there after; a group opened later seats a member of
// another group too, who joins before speaking and keeps the first seat.
func TestDepartAndOpen(t *testing.T) {
	s := New("sim", small(), Options{Now: func() time.Time { return t0 }})
	regular := s.Regulars("a", 1)
	if len(regular) != 1 {
		t.Fatalf("regulars: %v", regular)
	}
	at := t0.Add(5*24*time.Hour + 10*time.Hour)
	s.Depart("a", regular[0], at)
	end := t0.Add(10 * 24 * time.Hour)
	left, spoke := 0, 0
	for _, e := range s.History(t0, end) {
		if e.Group != "a" || e.Sender.ID != regular[0] {
			continue
		}
		switch {
		case e.Type == chat.EventMemberLeft:
			left++
			if !e.Time.Equal(at) || e.Reason != chat.LeftVoluntarily {
				t.Errorf("the leave: %+v", e)
			}
		case e.Type == chat.EventMessage && !e.Time.Before(at):
			spoke++
		}
	}
	if left != 1 || spoke != 0 {
		t.Fatalf("the departed regular: %d leaves, %d messages after", left, spoke)
	}
	other := s.Regulars("o", 1)[0]
	evs := s.Open(GroupSpec{ID: "b", Name: "NF-测试二群", Style: Academy, Members: 20, Liveness: 1}, end, end.Add(5*24*time.Hour), []string{other, "nobody"})
	joined, members := time.Time{}, 0
	for _, e := range evs {
		if e.Group != "b" {
			t.Fatalf("an event of another group: %+v", e)
		}
		if e.Type == chat.EventMemberJoined {
			members++
			if e.Sender.ID == other {
				joined = e.Time
			}
		}
		if e.Sender.ID == other && e.Type == chat.EventMessage && (joined.IsZero() || e.Time.Before(joined)) {
			t.Fatalf("%s spoke in the new group before joining", other)
		}
	}
	if joined.IsZero() || members < 21 || s.byID["o"].byID[other] == nil {
		t.Fatalf("the opened group: %d joins, %s joined at %v, still in o: %v", members, other, joined, s.byID["o"].byID[other] != nil)
	}
}
