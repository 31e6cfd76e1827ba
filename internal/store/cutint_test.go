package store

import (
	"strconv"
	"strings"
	"testing"
)

func TestCutInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int64
		rest string
		ok   bool
	}{
		{"12 3", 12, "3", true},
		{"3", 3, "", true},
		{"0 ", 0, "", true},
		{"9223372036854775807", 1<<63 - 1, "", true},
		{"9223372036854775808", 0, "", false},
		{"", 0, "", false},
		{" 1", 0, "", false},
		{"-1 2", 0, "", false},
		{"1x 2", 0, "", false},
	} {
		n, rest, ok := cutInt([]byte(c.in))
		if ok != c.ok || ok && (n != c.n || string(rest) != c.rest) {
			t.Errorf("cutInt(%q) = %d, %q, %v; want %d, %q, %v", c.in, n, rest, ok, c.n, c.rest, c.ok)
		}
	}
}

// FuzzCutInt checks cutInt against strconv on the list the rollup reads.
func FuzzCutInt(f *testing.F) {
	for _, s := range []string{"1 2 3 4", "10", "", "007 1", "18446744073709551616 1", "1  2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, rest, ok := cutInt([]byte(s))
		word, after, _ := strings.Cut(s, " ")
		want, err := strconv.ParseInt(word, 10, 64)
		wantOK := err == nil && word != "" && word[0] >= '0' && word[0] <= '9'
		if ok != wantOK {
			t.Fatalf("cutInt(%q) ok = %v, want %v (%v)", s, ok, wantOK, err)
		}
		if ok && (n != want || string(rest) != after) {
			t.Fatalf("cutInt(%q) = %d, %q; want %d, %q", s, n, rest, want, after)
		}
	})
}
