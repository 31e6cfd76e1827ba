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
	for _, bad := range [][]TierBand{
		{{2, 10, "a", ""}},                     // not from 1
		{{1, 10, "a", ""}, {12, 199, "b", ""}}, // a gap
		{{1, 10, "a", ""}, {11, 5, "b", ""}},   // reversed
		{{1, 10, "a", ""}},                     // does not cover the cap
	} {
		if ValidateTiers(bad, DefaultPartnerCap) == nil {
			t.Errorf("ValidateTiers(%v) accepted bad bands", bad)
		}
	}
}
