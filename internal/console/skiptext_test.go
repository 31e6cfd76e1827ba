package console

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
)

// TestSkipTexts: every reason an import skipped records for, in the
// importer's golden summaries (every format's fixtures), is shown in the
// operator's words in both languages, not as the importer's English.
func TestSkipTexts(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "importer", "testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("golden summaries: %v (%d files)", err, len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var g struct {
			Summary struct {
				Skipped map[string]int `json:"skipped"`
				Groups  []struct {
					Skipped string `json:"skipped"`
				} `json:"groups"`
			} `json:"summary"`
		}
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		reasons := []string{}
		for r := range g.Summary.Skipped {
			reasons = append(reasons, r)
		}
		for _, gr := range g.Summary.Groups {
			if gr.Skipped != "" {
				reasons = append(reasons, gr.Skipped)
			}
		}
		for _, r := range reasons {
			if got := skipText(Zh, r); got == r || !hasHan(got) {
				t.Errorf("%s: skip reason %q is shown as %q", filepath.Base(f), r, got)
			}
			if got := skipText(En, r); strings.Contains(got, "m.") {
				t.Errorf("%s: skip reason %q is shown as %q in English", filepath.Base(f), r, got)
			}
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

func TestKindText(t *testing.T) {
	for _, tc := range []struct{ kind, zh string }{
		{"private_supergroup", "私有超级群"}, {"public_supergroup", "公开超级群"}, {"private_group", "普通群"},
		{"我的群聊", "我的群聊"}, {"", ""}, {"some_new_type", ""},
	} {
		if got := kindText(Zh, tc.kind); got != tc.zh {
			t.Errorf("kindText(%q) = %q, want %q", tc.kind, got, tc.zh)
		}
	}
}
