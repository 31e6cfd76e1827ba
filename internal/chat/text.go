package chat

import "strings"

// StripReplyFallback removes from a Matrix reply's body the quotation of
// the message replied to, which clients before Matrix 1.13 put at its
// start ("> <@a:x> what a said", then an empty line): the rules judge the
// reply's own words, not the words it quotes.
func StripReplyFallback(body string) string {
	if !strings.HasPrefix(body, "> ") {
		return body
	}
	rest := body
	for strings.HasPrefix(rest, ">") {
		_, after, ok := strings.Cut(rest, "\n")
		if !ok {
			return body // nothing but the quotation: keep it
		}
		rest = after
	}
	if after, ok := strings.CutPrefix(rest, "\n"); ok {
		return after
	}
	return body // no empty line after the quotation: not a fallback
}

// FirstLink is the first http:// or https:// link of a text, up to the
// next space or line end ("" when there is none).
func FirstLink(s string) string {
	i := strings.Index(s, "http://")
	if j := strings.Index(s, "https://"); j >= 0 && (i < 0 || j < i) {
		i = j
	}
	if i < 0 {
		return ""
	}
	end := strings.IndexAny(s[i:], " \n\t")
	if end < 0 {
		return s[i:]
	}
	return s[i : i+end]
}
