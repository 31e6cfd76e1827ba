package content

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

var ownersQuiet = ZonedWindow{Window: community.Window{From: community.Clock{Hour: 6, Minute: 30}, To: community.Clock{Hour: 23, Minute: 30}}}

func clocks(cs ...string) []community.Clock {
	var out []community.Clock
	for _, c := range cs {
		k, err := community.ParseClock(c)
		if err != nil {
			panic(err)
		}
		out = append(out, k)
	}
	return out
}

// TestFit: each rule of a group's day, with the deferral landing on the
// group's next peak that fits.
func TestFit(t *testing.T) {
	shanghai, _ := LoadZone("")
	def := Limits{Windows: []ZonedWindow{ownersQuiet}, Loc: cst}
	tests := []struct {
		name    string
		lim     Limits
		want    time.Time
		taken   []time.Time
		at      time.Time
		reasons string
	}{
		{"free peak", def, at(25, 7, 30), nil, at(25, 7, 30), ""},
		{"an exact time that fits stays", def, at(25, 9, 10), nil, at(25, 9, 10), ""},
		{"quiet hours: the next morning's peak, not 06:30", def, at(25, 23, 45), nil, at(26, 7, 30), "quiet_hours"},
		{"daily cap: the next day's first peak, not midnight", def, at(25, 20, 30), []time.Time{at(25, 7, 30), at(25, 12, 0), at(25, 16, 0)}, at(26, 7, 30), "daily_cap"},
		{"gap after a push: the next peak", def, at(25, 8, 0), []time.Time{at(25, 7, 30)}, at(25, 12, 0), "min_gap"},
		{"gap before a push: the peak after it", def, at(25, 12, 0), []time.Time{at(25, 13, 0)}, at(25, 20, 30), "min_gap"},
		{"the group's own peaks", Limits{Windows: def.Windows, Loc: cst, Peaks: clocks("08:00", "12:30", "21:00")}, at(25, 23, 45), nil, at(26, 8, 0), "quiet_hours"},
		{"peaks in quiet hours are skipped", Limits{Windows: []ZonedWindow{{Window: community.Window{From: community.Clock{Hour: 9}, To: community.Clock{Hour: 18}}}}, Loc: cst}, at(25, 20, 30), nil, at(26, 12, 0), "quiet_hours"},
		{"reasons met on the way", def, at(25, 23, 45), []time.Time{at(26, 5, 0), at(26, 10, 0), at(26, 15, 0)}, at(27, 7, 30), "quiet_hours,daily_cap"},
		{"a request window narrows the group's", Limits{Windows: []ZonedWindow{ownersQuiet, {Window: community.Window{From: community.Clock{Hour: 9}, To: community.Clock{Hour: 21}}}}, Loc: cst}, at(25, 7, 30), nil, at(25, 12, 0), "quiet_hours"},
		{"caps of the group's rules", Limits{Caps: Caps{PerDay: 1}, Windows: def.Windows, Loc: cst}, at(25, 20, 30), []time.Time{at(25, 7, 30)}, at(26, 7, 30), "daily_cap"},
		// The quiet hours are in the rules' zone (Shanghai), the peaks and
		// days in the group's (UTC): 23:45 in Shanghai is 15:45 UTC; the
		// next UTC peak inside Shanghai's 06:30–23:30 is 07:30 UTC (15:30
		// in Shanghai) the next day — 20:30 UTC is 04:30 in Shanghai.
		{"quiet hours in their own zone", Limits{Windows: []ZonedWindow{{Window: ownersQuiet.Window, Loc: shanghai}}, Loc: time.UTC}, time.Date(2026, 11, 25, 15, 45, 0, 0, time.UTC), nil, time.Date(2026, 11, 26, 7, 30, 0, 0, time.UTC), "quiet_hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Fit(tt.want, tt.taken, tt.lim)
			if !ok || !p.At.Equal(tt.at) {
				t.Fatalf("Fit = %v (%v, %q), want %v", p.At.In(cst), ok, p.Reason, tt.at)
			}
			if p.Deferred != (tt.reasons != "") || p.Reason != tt.reasons {
				t.Fatalf("deferred=%v reason %q, want %q", p.Deferred, p.Reason, tt.reasons)
			}
			if r := tt.lim.Refuse(p.At, tt.taken); len(r) > 0 {
				t.Fatalf("the time Fit chose is refused: %v", r)
			}
		})
	}
	// Nothing fits inside the horizon: the reasons say why.
	full := []time.Time{at(25, 7, 0), at(25, 10, 0), at(25, 13, 0)}
	if p, ok := Fit(at(25, 20, 0), full, Limits{Windows: def.Windows, Loc: cst, Horizon: 2 * time.Hour}); ok || p.Reason != "daily_cap" {
		t.Fatalf("Fit found a time beyond its horizon: %+v %v", p, ok)
	}
	// Every peak in quiet hours: dropped.
	night := Limits{Windows: []ZonedWindow{{Window: community.Window{From: community.Clock{Hour: 1}, To: community.Clock{Hour: 2}}}}, Loc: cst}
	if p, ok := Fit(at(25, 7, 30), nil, night); ok || p.Reason != "quiet_hours" {
		t.Fatalf("no peak in the window: %+v %v", p, ok)
	}
}

// FuzzFit checks that whatever Fit returns respects the caps and the
// windows, and is the time asked for or one of the group's peaks.
func FuzzFit(f *testing.F) {
	f.Add(int64(0), int64(3600), int64(7200), 3, 120, 6*60+30, 23*60+30)
	f.Add(int64(85500), int64(27000), int64(43200), 1, 0, 0, 0)
	f.Fuzz(func(t *testing.T, want, p1, p2 int64, perDay, gapMin, from, to int) {
		if perDay < 1 || perDay > 10 || gapMin < 0 || gapMin > 600 || from < 0 || from >= 1440 || to < 0 || to >= 1440 {
			return
		}
		base := at(25, 0, 0)
		w := base.Add(time.Duration(want%(3*86400)) * time.Second)
		taken := []time.Time{base.Add(time.Duration(p1%(3*86400)) * time.Second), base.Add(time.Duration(p2%(3*86400)) * time.Second)}
		lim := Limits{Caps: Caps{PerDay: perDay, MinGap: time.Duration(gapMin) * time.Minute}, Loc: cst, Horizon: 10 * 24 * time.Hour,
			Windows: []ZonedWindow{{Window: community.Window{From: community.Clock{Hour: from / 60, Minute: from % 60}, To: community.Clock{Hour: to / 60, Minute: to % 60}}}}}
		p, ok := Fit(w, taken, lim)
		if !ok {
			if p.Reason == "" {
				t.Fatalf("Fit(%v) failed without a reason", w)
			}
			return
		}
		if p.At.Before(w) || len(lim.Refuse(p.At, taken)) > 0 {
			t.Fatalf("Fit(%v, %v, %+v) = %v breaks a rule", w, taken, lim, p.At)
		}
		if p.Deferred {
			c := community.Clock{Hour: p.At.In(cst).Hour(), Minute: p.At.In(cst).Minute()}
			if !slices.ContainsFunc(DefaultSlots(), func(s Slot) bool { return s.At == c }) || p.Reason == "" {
				t.Fatalf("deferred to %v, not a peak (reason %q)", p.At.In(cst), p.Reason)
			}
		}
	})
}

func TestLimitsFor(t *testing.T) {
	set := SlotSet{Zone: "UTC", Slots: []Slot{{"早高峰", community.Clock{Hour: 8}}}}
	rules := PushRules{Quiet: ownersQuiet, Caps: Caps{PerDay: 2}}
	l := LimitsFor(rules, set, Caps{}, community.Window{}, 0)
	if l.Caps.PerDay != 2 || len(l.Windows) != 1 || l.Loc != time.UTC || len(l.Peaks) != 1 {
		t.Fatalf("the group's rules: %+v", l)
	}
	l = LimitsFor(rules, set, Caps{PerDay: 5, MinGap: time.Hour}, community.Window{From: community.Clock{Hour: 9}, To: community.Clock{Hour: 21}}, 0)
	if l.Caps.PerDay != 5 || len(l.Windows) != 2 {
		t.Fatalf("a request's caps and window: %+v", l)
	}
	if l := LimitsFor(PushRules{}, set, Caps{}, community.Window{}, 0); len(l.Windows) != 0 || l.Caps.OrDefault() != DefaultCaps() {
		t.Fatalf("no rules: %+v", l)
	}
}

func TestReasons(t *testing.T) {
	if got := JoinReasons("quiet_hours", "min_gap,quiet_hours", "", "daily_cap"); got != "quiet_hours,min_gap,daily_cap" {
		t.Fatalf("JoinReasons = %q", got)
	}
	if got := Reasons(" no_fit, quiet_hours ,"); !slices.Equal(got, []string{"no_fit", "quiet_hours"}) {
		t.Fatalf("Reasons = %q", got)
	}
	for _, c := range ReasonCodes() {
		if strings.ContainsAny(c, ", ") {
			t.Errorf("reason code %q cannot be stored in a list", c)
		}
	}
}

// TestSkipReason: what a due push is checked against when it is about to
// go out.
func TestSkipReason(t *testing.T) {
	ok := Due{Script: Scheduled, Group: community.Active, Connected: true}
	tests := []struct {
		name string
		due  func(Due) Due
		want string
	}{
		{"all well", func(d Due) Due { return d }, ""},
		{"approved, not yet scheduled", func(d Due) Due { d.Script = Approved; return d }, ""},
		{"published before", func(d Due) Due { d.Script = Published; return d }, ""},
		{"moved back to a draft", func(d Due) Due { d.Script = Draft; return d }, ReasonNotApproved},
		{"rejected", func(d Due) Due { d.Script = Rejected; return d }, ReasonNotApproved},
		{"submitted again", func(d Due) Due { d.Script = Submitted; return d }, ReasonNotApproved},
		{"archived group", func(d Due) Due { d.Group = community.Archived; return d }, ReasonGroupArchived},
		{"another lifecycle", func(d Due) Due { d.Group = "planned"; return d }, ReasonGroupInactive},
		{"connection gone", func(d Due) Due { d.Connected = false; return d }, ReasonNoConnection},
		{"the script first", func(d Due) Due { d.Script, d.Connected = Draft, false; return d }, ReasonNotApproved},
	}
	for _, tt := range tests {
		if got := SkipReason(tt.due(ok)); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if (Policy{}).IsConnected("") || !(Policy{}).IsConnected("wx") || (Policy{Connected: func(c string) bool { return c == "tg" }}).IsConnected("wx") {
		t.Error("Policy.IsConnected")
	}
}

// TestPrompt: the duty prompt follows the clock in the group's zone, not
// the slot's name.
func TestPrompt(t *testing.T) {
	morning := time.Date(2026, 11, 26, 7, 30, 0, 0, cst)
	if p := Prompt(morning, cst, 3); p != "早上好！看完今天的分享，你最想先试哪一条？" {
		t.Fatalf("morning prompt %q", p)
	}
	if Prompt(morning, cst, 4) == Prompt(morning, cst, 5) {
		t.Fatal("prompts do not rotate")
	}
	tests := []struct {
		h, m int
		want string
	}{{5, 0, "morning"}, {10, 59, "morning"}, {11, 0, "noon"}, {13, 59, "noon"}, {14, 0, "afternoon"}, {16, 20, "afternoon"}, {18, 0, "evening"}, {23, 0, "evening"}, {2, 0, "evening"}}
	for _, tt := range tests {
		at := time.Date(2026, 11, 26, tt.h, tt.m, 0, 0, cst)
		if got := Period(at, cst); got != tt.want {
			t.Errorf("%02d:%02d is %s, want %s", tt.h, tt.m, got, tt.want)
		}
	}
	// A morning push deferred to 16:20 gets no morning or noon greeting.
	late := time.Date(2026, 11, 26, 16, 20, 0, 0, cst)
	for seq := int64(0); seq < 3; seq++ {
		if p := Prompt(late, cst, seq); strings.Contains(p, "早上好") || strings.Contains(p, "中午好") || strings.Contains(p, "早安") || strings.Contains(p, "午休") {
			t.Errorf("16:20 prompt %q", p)
		}
	}
	// The zone decides: 08:20 UTC is 16:20 in Shanghai.
	utc := time.Date(2026, 11, 26, 8, 20, 0, 0, time.UTC)
	if Period(utc, cst) != "afternoon" || Period(utc, time.UTC) != "morning" {
		t.Error("the period is not read in the group's zone")
	}
	for _, p := range Periods {
		if len(prompts[p]) == 0 {
			t.Errorf("no prompts for %s", p)
		}
	}
}
