package chat

import (
	"strings"
	"testing"
)

func TestSpans(t *testing.T) {
	text, ms := Naming([]User{{ID: "1", Name: "王五"}, {ID: "2", Name: " Bo "}, {ID: "3"}}, "、")
	if text != "@王五、@Bo、@3" {
		t.Fatalf("Naming: %q", text)
	}
	for _, tt := range []struct {
		name string
		ms   []Mention
		want string // the pieces, mentions in brackets
	}{
		{"each named", ms, "[@王五]|、|[@Bo]|、|[@3]"},
		{"out of order", []Mention{ms[2], ms[0]}, "[@王五]|、@Bo、|[@3]"},
		{"not at an @", []Mention{{User: User{ID: "1"}, Offset: 1, Length: 3}}, "@王五、@Bo、@3"},
		{"a rune cut in two", []Mention{{User: User{ID: "1"}, Offset: 0, Length: 3}}, "@王五、@Bo、@3"},
		{"past the end", []Mention{{User: User{ID: "3"}, Offset: 16, Length: 9}}, "@王五、@Bo、@3"},
		{"negative", []Mention{{User: User{ID: "3"}, Offset: -1, Length: 2}}, "@王五、@Bo、@3"},
		{"no user", []Mention{{Offset: 0, Length: 7}}, "@王五、@Bo、@3"},
		{"overlapping", []Mention{ms[0], {User: User{ID: "9"}, Offset: 0, Length: 4}}, "[@王五]|、@Bo、@3"},
	} {
		var got []string
		for _, p := range (Action{Text: text, Mentions: tt.ms}).Spans() {
			if p.Mention != nil {
				got = append(got, "["+p.Text+"]")
			} else {
				got = append(got, p.Text)
			}
		}
		if strings.Join(got, "|") != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, strings.Join(got, "|"), tt.want)
		}
	}
}

// FuzzSpans: whatever the offsets, the pieces are the text, in order, and
// each mention piece is an "@" and more.
func FuzzSpans(f *testing.F) {
	f.Add("欢迎 @王五、@Bo 加入", 7, 7, 17, 3)
	f.Add("@x", 0, 2, 0, 2)
	f.Fuzz(func(t *testing.T, text string, o1, l1, o2, l2 int) {
		a := Action{Text: text, Mentions: []Mention{{User: User{ID: "1"}, Offset: o1, Length: l1}, {User: User{ID: "2"}, Offset: o2, Length: l2}}}
		var b strings.Builder
		for _, p := range a.Spans() {
			if p.Mention != nil && (!strings.HasPrefix(p.Text, "@") || len(p.Text) < 2) {
				t.Fatalf("mention piece %q", p.Text)
			}
			b.WriteString(p.Text)
		}
		if b.String() != text {
			t.Fatalf("pieces %q, text %q", b.String(), text)
		}
	})
}
