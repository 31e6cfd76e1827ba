package community

import "testing"

func TestTiers(t *testing.T) {
	bands := DefaultTiers()
	if err := ValidateTiers(bands, DefaultPartnerCap); err != nil {
		t.Fatal(err)
	}
	for seat, want := range map[int]string{1: "founding", 10: "founding", 11: "initiating", 50: "initiating", 51: "partner", 199: "partner"} {
		if b, ok := TierOf(seat, bands); !ok || b.Slug != want {
			t.Errorf("seat %d: %q, want %q", seat, b.Slug, want)
		}
	}
	if _, ok := TierOf(200, bands); ok {
		t.Error("seat 200 is beyond the bands")
	}
	for name, bad := range map[string][]TierBand{
		"not from 1":      {{2, 199, "a", "A"}},
		"a gap":           {{1, 10, "a", "A"}, {12, 199, "b", "B"}},
		"reversed":        {{1, 10, "a", "A"}, {11, 5, "b", "B"}},
		"short of cap":    {{1, 10, "a", "A"}},
		"no name":         {{1, 199, "a", ""}},
		"no slug":         {{1, 199, "", "A"}},
		"slug used twice": {{1, 10, "a", "A"}, {11, 199, "a", "B"}},
		"empty":           {},
	} {
		if ValidateTiers(bad, DefaultPartnerCap) == nil {
			t.Errorf("%s: ValidateTiers(%v) accepted bad bands", name, bad)
		}
	}
}

func TestLevelBands(t *testing.T) {
	// The seed's bands stretch to a larger cap; a level's own bands stand.
	l := PartnerLevel{Cap: 300}
	if b := l.Bands(); b[len(b)-1].To != 300 || ValidateTiers(b, 300) != nil {
		t.Fatalf("default bands for cap 300: %v", b)
	}
	if b := DefaultTiers(); b[len(b)-1].To != 199 {
		t.Fatal("Bands changed the defaults")
	}
	own := []TierBand{{1, 5, "core", "核心"}, {6, 20, "member", "成员"}}
	if b := (PartnerLevel{Cap: 20, Tiers: own}).Bands(); len(b) != 2 || b[0].Slug != "core" {
		t.Fatalf("own bands: %v", b)
	}
}
