package console

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			if got := skipText(Zh, r); got == r || !hanChar.MatchString(got) {
				t.Errorf("%s: skip reason %q is shown as %q", filepath.Base(f), r, got)
			}
			if got := skipText(En, r); strings.Contains(got, "m.") {
				t.Errorf("%s: skip reason %q is shown as %q in English", filepath.Base(f), r, got)
			}
		}
	}
}
