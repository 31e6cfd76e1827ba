package community

import (
	"fmt"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestLevelPatch(t *testing.T) {
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	for _, tt := range []struct {
		p    LevelPatch
		ok   bool
		name string
	}{
		{LevelPatch{Name: str("  城市合伙人 ")}, true, "城市合伙人"},
		{LevelPatch{Cap: num(1)}, true, ""},
		{LevelPatch{Name: str("   ")}, false, ""},
		{LevelPatch{Name: str(strings.Repeat("合", MaxLevelName+1))}, false, ""},
		{LevelPatch{Cap: num(0)}, false, ""},
		{LevelPatch{Cap: num(-3)}, false, ""},
		{LevelPatch{Cap: num(MaxPartnerCap + 1)}, false, ""},
	} {
		err := tt.p.Validate()
		if (err == nil) != tt.ok || (err != nil && !errkind.Is(err, errkind.Invalid)) {
			t.Errorf("Validate(%+v) = %v, want ok %v", tt.p, err, tt.ok)
		}
		if tt.name != "" && *tt.p.Name != tt.name {
			t.Errorf("name trimmed to %q, want %q", *tt.p.Name, tt.name)
		}
	}
}

func TestTierName(t *testing.T) {
	for _, tt := range []struct{ name, lang, want string }{
		{"创始合伙人 founding partner", "zh", "创始合伙人"},
		{"创始合伙人 founding partner", "en", "founding partner"},
		{"门店合伙人", "en", "门店合伙人"},
		{"Gold", "zh", "Gold"},
		{"VIP合伙人", "zh", "VIP合伙人"},
	} {
		if got := TierName(tt.name, tt.lang); got != tt.want {
			t.Errorf("TierName(%q, %s) = %q, want %q", tt.name, tt.lang, got, tt.want)
		}
	}
}

func TestPromotionText(t *testing.T) {
	zh := PromotionText("zh", "王芳", "城市合伙人", "发起合伙人", 12)
	if zh != "@王芳 恭喜！有席位空出，您已从候补转为城市合伙人第 12 号席位（发起合伙人）。" {
		t.Errorf("zh: %q", zh)
	}
	en := PromotionText("en", "Ann", "city partner", "", 3)
	if en != "@Ann a seat has opened: you have moved up from the waitlist and are now city partner no. 3. Congratulations!" {
		t.Errorf("en: %q", en)
	}
}

func TestValidateCampaignName(t *testing.T) {
	if n, err := ValidateCampaignName("  冬季招生 "); err != nil || n != "冬季招生" {
		t.Errorf("a good name: %q %v", n, err)
	}
	for _, bad := range []string{"", "  ", strings.Repeat("冬", MaxCampaignName+1)} {
		if _, err := ValidateCampaignName(bad); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
}

// render prints a forest as "name(size)[children]".
func render(ns []*ReferralNode) string {
	var parts []string
	for _, n := range ns {
		s := fmt.Sprintf("%s%d/%d", n.Name, n.Depth, n.Size)
		if len(n.Children) > 0 {
			s += "[" + render(n.Children) + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

func TestReferralForest(t *testing.T) {
	r := func(id, inviter int64, name string) Referral {
		return Referral{PersonID: id, InviterID: inviter, Name: name}
	}
	refs := []Referral{
		r(2, 1, "b"), r(3, 1, "c"), // 1 is not among them: b and c are roots
		r(4, 2, "d"), r(5, 4, "e"), r(6, 3, "f"),
		r(7, 8, "g"), r(8, 7, "h"), // a cycle
		r(4, 3, "d again"), // a duplicate: the first stands
	}
	if got, want := render(ReferralForest(refs)), "b0/2[d1/1[e2/0]] c0/1[f1/0] g0/0 h0/0"; got != want {
		t.Errorf("forest %s, want %s", got, want)
	}
	if ReferralForest(nil) != nil {
		t.Error("no referrals, a forest")
	}
}

func TestParseTierLines(t *testing.T) {
	got, err := ParseTierLines("1-10 创始合伙人\n\n 11–50  发起合伙人 initiating\r\n51 至 199 合伙人\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []TierBand{{1, 10, "", "创始合伙人"}, {11, 50, "", "发起合伙人 initiating"}, {51, 199, "", "合伙人"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if back, _ := ParseTierLines(FormatTierLines(got)); fmt.Sprint(back) != fmt.Sprint(got) {
		t.Fatalf("round trip: %v", back)
	}
	for _, bad := range []string{"", "  \n ", "1-10", "创始 1-10", "a-b x", "1-99999999 x", strings.Repeat("1-2 x\n", 21), "1-2 " + strings.Repeat("名", 61)} {
		if _, err := ParseTierLines(bad); !errkind.Is(err, errkind.Invalid) {
			t.Errorf("%q: %v, want invalid", bad, err)
		}
	}
}

func FuzzParseTierLines(f *testing.F) {
	for _, s := range []string{"1-10 创始合伙人\n11-50 发起合伙人\n51-199 合伙人", "1~3 a", "x", "", "1 至 2 名\n\n3-4 b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		bands, err := ParseTierLines(text)
		if err != nil {
			if !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("%q: %v is not an invalid-input error", text, err)
			}
			return
		}
		if len(bands) == 0 || len(bands) > maxTierLines {
			t.Fatalf("%q: %d bands", text, len(bands))
		}
		for _, b := range bands {
			if b.Name == "" || b.Name != strings.TrimSpace(b.Name) || b.From < 0 || b.To < 0 {
				t.Fatalf("%q: band %+v", text, b)
			}
		}
		again, err := ParseTierLines(FormatTierLines(bands))
		if err != nil || fmt.Sprint(again) != fmt.Sprint(bands) {
			t.Fatalf("%q: round trip %v, %v", text, again, err)
		}
	})
}
