package community

import (
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestPattern(t *testing.T) {
	for _, tt := range []struct {
		pattern string
		vars    []string
		render  string
		bad     bool
	}{
		{pattern: "NF-{county}{year}第{n}期{topic}群", vars: []string{"county", "year", "n", "topic"}, render: "NF-阳新2026第3期选品群"},
		{pattern: "全员群", render: "全员群"},
		{pattern: "{county}", vars: []string{"county"}, render: "阳新"},
		{pattern: "{n}{n}", vars: []string{"n"}, render: "33"},
		{pattern: "", bad: true},
		{pattern: "a{", bad: true},
		{pattern: "a{b{c}}", bad: true},
		{pattern: "a}b", bad: true},
		{pattern: "a{}b", bad: true},
		{pattern: "a{1x}b", bad: true},
		{pattern: "a{县-1}b", bad: true},
		{pattern: "{县}第{n}期", vars: []string{"县", "n"}, render: "{县}第3期"}, // a Chinese operator names variables in Chinese
	} {
		p, err := ParsePattern(tt.pattern)
		if tt.bad {
			if !errkind.Is(err, errkind.Invalid) {
				t.Errorf("ParsePattern(%q) = %v, want invalid", tt.pattern, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", tt.pattern, err)
			continue
		}
		if !slices.Equal(p.Vars(), tt.vars) {
			t.Errorf("%q: vars %v, want %v", tt.pattern, p.Vars(), tt.vars)
		}
		if got := FamilyName(p, map[string]string{"county": "阳新", "year": "2026"}, "选品", 3); got != tt.render {
			t.Errorf("%q renders %q, want %q", tt.pattern, got, tt.render)
		}
	}
}

func TestPlan(t *testing.T) {
	tpl := Template{Name: "t", Variables: []string{"county"}, Steps: []TemplateStep{
		{Kind: KindTopic, Topics: []string{"甲", "乙"}, Count: 2, Pattern: "{county}第{n}期{topic}群"},
		{Kind: KindAllHands, Pattern: "{county}全员群"},
	}}
	if err := tpl.Validate(); err != nil {
		t.Fatal(err)
	}
	plan, err := tpl.Plan(map[string]string{"county": "阳新"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range plan {
		names = append(names, p.Name)
	}
	want := []string{"阳新第1期甲群", "阳新第2期甲群", "阳新第1期乙群", "阳新第2期乙群", "阳新全员群"}
	if !slices.Equal(names, want) {
		t.Fatalf("plan: %v, want %v", names, want)
	}
	// Values can make two steps' names collide.
	clash := Template{Name: "t", Variables: []string{"a", "b"}, Steps: []TemplateStep{{Kind: KindTopic, Pattern: "{a}群"}, {Kind: KindTopic, Pattern: "{b}群"}}}
	if err := clash.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, err := clash.Plan(map[string]string{"a": "x", "b": "x"}); !errkind.Is(err, errkind.Invalid) {
		t.Fatalf("colliding values: %v", err)
	}
}

func TestRouting(t *testing.T) {
	g := func(id int64, members int) Group {
		return Group{ID: id, Members: members, Capacity: DefaultCapacity, Lifecycle: Active}
	}
	for members, room := range map[int]bool{0: true, 499: true, 500: false, 501: false} {
		if HasRoom(g(1, members)) != room {
			t.Errorf("%d of 500: room %v", members, !room)
		}
	}
	archived := g(4, 0)
	archived.Lifecycle = Archived
	fam := []Group{g(1, 500), g(2, 10), g(3, 500), archived, g(5, 3)}
	for from, want := range map[int64]int64{1: 2, 3: 5, 2: 5, 5: 2} {
		if got, ok := NextWithRoom(from, fam); !ok || got.ID != want {
			t.Errorf("from %d: %d, want %d", from, got.ID, want)
		}
	}
	if _, ok := NextWithRoom(1, []Group{g(1, 500), g(3, 501)}); ok {
		t.Error("a full family has room")
	}
}

func TestChecklist(t *testing.T) {
	end := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
	base := CheckInput{Group: Group{ID: 1, NodeID: 2, Members: 450, Capacity: 500, Kind: KindCohort}, Owners: 1, Assistants: 1,
		Profile: Profile{Positioning: "p", Threshold: "t", Rules: RulesInherited, KOLs: []int64{7}, Goal: "g"}, PresentKOLs: []int64{7}}
	flagged := func(in CheckInput) []string {
		var out []string
		for _, it := range Checklist(in) {
			if !it.Done {
				out = append(out, it.Key)
			}
		}
		return out
	}
	for _, tt := range []struct {
		name string
		edit func(*CheckInput)
		want []string
	}{
		{"everything settled at 90%", func(*CheckInput) {}, nil},
		{"91%", func(in *CheckInput) { in.Group.Members = 455 }, []string{"capacity"}},
		{"no staff, no node", func(in *CheckInput) { in.Owners, in.Assistants, in.Group.NodeID = 0, 0, 0 }, []string{"owner", "assistant", "node"}},
		{"temporary without end", func(in *CheckInput) { in.Group.Kind = KindTemporary }, []string{"end_date"}},
		{"temporary with end", func(in *CheckInput) { in.Group.Kind, in.Group.ExpiresAt = KindTemporary, &end }, nil},
		{"KOL left, no goal", func(in *CheckInput) { in.PresentKOLs, in.Profile.Goal = nil, "" }, []string{"kol", "goal"}},
		{"empty profile", func(in *CheckInput) { in.Profile, in.PresentKOLs = Profile{}, nil }, []string{"positioning", "threshold", "rules", "kol", "goal"}},
	} {
		in := base
		tt.edit(&in)
		if got := flagged(in); !slices.Equal(got, tt.want) {
			t.Errorf("%s: flagged %v, want %v", tt.name, got, tt.want)
		}
	}
}
