package onebot

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseCQ(t *testing.T) {
	text := func(s string) Segment { return Segment{Type: "text", Data: map[string]string{"text": s}} }
	tests := []struct {
		in   string
		want []Segment
	}{
		{"", nil},
		{"你好", []Segment{text("你好")}},
		{"[CQ:at,qq=123]", []Segment{{Type: "at", Data: map[string]string{"qq": "123"}}}},
		{"hi [CQ:at,qq=all] 开会", []Segment{text("hi "), {Type: "at", Data: map[string]string{"qq": "all"}}, text(" 开会")}},
		{"&#91;不是码&#93; &amp;&#44;", []Segment{text("[不是码] &,")}},
		{"[CQ:share,url=https://a.cn/?a=1&amp;b=2,title=标题&#44;副标题]", []Segment{{Type: "share", Data: map[string]string{"url": "https://a.cn/?a=1&b=2", "title": "标题,副标题"}}}},
		{"[CQ:face,id=14][CQ:face,id=178]", []Segment{{Type: "face", Data: map[string]string{"id": "14"}}, {Type: "face", Data: map[string]string{"id": "178"}}}},
		{"[CQ:forward]", []Segment{{Type: "forward", Data: map[string]string{}}}},
		// Malformed codes stay text.
		{"[CQ:at,qq=1", []Segment{text("[CQ:at,qq=1")}},
		{"[CQ:]", []Segment{text("[CQ:]")}},
		{"[CQ:at,qq]", []Segment{text("[CQ:at,qq]")}},
		{"[CQ:[CQ:at,qq=1]", []Segment{text("[CQ:"), {Type: "at", Data: map[string]string{"qq": "1"}}}},
		{"a]b[c", []Segment{text("a]b[c")}},
		{"&amp;#91;", []Segment{text("&#91;")}},
	}
	for _, tt := range tests {
		got := ParseCQ(tt.in)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseCQ(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestFormatCQ(t *testing.T) {
	segs := []Segment{
		{Type: "reply", Data: map[string]string{"id": "-12"}},
		{Type: "text", Data: map[string]string{"text": "[注意] a&b, c"}},
		{Type: "image", Data: map[string]string{"url": "https://x/?a=1,2", "file": "f.image"}},
	}
	got := FormatCQ(segs)
	want := "[CQ:reply,id=-12]&#91;注意&#93; a&amp;b, c[CQ:image,file=f.image,url=https://x/?a=1&#44;2]"
	if got != want {
		t.Fatalf("FormatCQ\n got %s\nwant %s", got, want)
	}
	if back := ParseCQ(got); !reflect.DeepEqual(back, segs) {
		t.Errorf("round trip: %#v", back)
	}
}

// FuzzParseCQ checks the parser never panics, never loses plain text, and
// that escaped text always comes back as exactly one text segment.
func FuzzParseCQ(f *testing.F) {
	for _, s := range []string{"", "hi", "[CQ:at,qq=1] x", "&#91;&#93;&amp;&#44;", "[CQ:image,file=a,url=b&#44;c]", "[CQ:", "[[CQ:a]]", "&amp;amp;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs := ParseCQ(s)
		for _, seg := range segs {
			if seg.Type == "" {
				t.Fatalf("segment without type from %q", s)
			}
			if seg.Type == "text" && seg.Data["text"] == "" {
				t.Fatalf("empty text segment from %q", s)
			}
		}
		if !strings.Contains(s, "[CQ:") {
			if len(segs) > 1 || (len(segs) == 1 && segs[0].Data["text"] != UnescapeCQ(s)) {
				t.Fatalf("plain text %q parsed as %#v", s, segs)
			}
		}
		if s != "" {
			got := ParseCQ(EscapeCQ(s))
			if len(got) != 1 || got[0].Type != "text" || got[0].Data["text"] != s {
				t.Fatalf("escaped %q parsed as %#v", s, got)
			}
		}
		// Formatting what was parsed and parsing again is stable.
		again := ParseCQ(FormatCQ(segs))
		if FormatCQ(again) != FormatCQ(segs) {
			t.Fatalf("not stable: %q → %q → %q", s, FormatCQ(segs), FormatCQ(again))
		}
	})
}
