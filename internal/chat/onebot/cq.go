package onebot

import (
	"slices"
	"strings"
)

// Segment is one part of a OneBot v11 message: {"type":"text","data":{"text":"hi"}}.
// Data values are kept as strings: the v11 spec sends every data value as a
// string, and numbers sent by some implementations are normalised on decode.
type Segment struct {
	Type string            `json:"type"`
	Data map[string]string `json:"data"`
}

// cqUnescaper and cqEscaper implement the CQ-code escape rules. In plain text
// only & [ ] are escaped; inside a CQ code's parameter values the comma is
// escaped too.
var (
	cqTextEscaper  = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;")
	cqParamEscaper = strings.NewReplacer("&", "&amp;", "[", "&#91;", "]", "&#93;", ",", "&#44;")
	cqUnescaper    = strings.NewReplacer("&#91;", "[", "&#93;", "]", "&#44;", ",", "&amp;", "&")
)

// EscapeCQ escapes plain text so no part of it is read as a CQ code.
func EscapeCQ(s string) string { return cqTextEscaper.Replace(s) }

// UnescapeCQ reverses EscapeCQ (and the parameter escape of the comma).
func UnescapeCQ(s string) string { return cqUnescaper.Replace(s) }

// ParseCQ splits a message in the CQ-code string format ("hi [CQ:at,qq=123]")
// into segments. Text between codes becomes text segments; a malformed code
// (no closing bracket, no type) is kept as text, so nothing the sender wrote
// is lost.
func ParseCQ(s string) []Segment {
	var segs []Segment
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			segs = append(segs, Segment{Type: "text", Data: map[string]string{"text": UnescapeCQ(text.String())}})
			text.Reset()
		}
	}
	for len(s) > 0 {
		i := strings.Index(s, "[CQ:")
		if i < 0 {
			text.WriteString(s)
			break
		}
		text.WriteString(s[:i])
		s = s[i:]
		end := strings.IndexByte(s, ']')
		// A '[' before the ']' means this is not a well-formed code
		// (brackets inside a code are always escaped).
		if end < 0 || strings.IndexByte(s[1:end], '[') >= 0 {
			text.WriteString("[")
			s = s[1:]
			continue
		}
		seg, ok := parseCQCode(s[len("[CQ:"):end])
		if !ok {
			text.WriteString(s[:end+1])
			s = s[end+1:]
			continue
		}
		flush()
		segs = append(segs, seg)
		s = s[end+1:]
	}
	flush()
	return segs
}

// parseCQCode parses the inside of a code: "at,qq=123".
func parseCQCode(body string) (Segment, bool) {
	parts := strings.Split(body, ",")
	typ := strings.TrimSpace(parts[0])
	if typ == "" || strings.ContainsAny(typ, "=&") {
		return Segment{}, false
	}
	seg := Segment{Type: typ, Data: map[string]string{}}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return Segment{}, false
		}
		seg.Data[k] = UnescapeCQ(v)
	}
	return seg, true
}

// FormatCQ renders segments in the CQ-code string format, the inverse of ParseCQ.
func FormatCQ(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.Type == "text" {
			b.WriteString(EscapeCQ(s.Data["text"]))
			continue
		}
		b.WriteString("[CQ:")
		b.WriteString(s.Type)
		keys := make([]string, 0, len(s.Data))
		for k := range s.Data {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			b.WriteString(",")
			b.WriteString(k)
			b.WriteString("=")
			b.WriteString(cqParamEscaper.Replace(s.Data[k]))
		}
		b.WriteString("]")
	}
	return b.String()
}
