package content

import (
	"crypto/rand"
	"net/url"
	"strings"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Click-tracked links (docs/content.md, "Click-tracked links"): when a
// push goes out, each web link in it becomes a short link qunzhu serves at
// /l/{code}, which redirects to that link and nothing else and counts the
// click. A code is ten random letters and digits (62¹⁰ ≈ 8·10¹⁷: not
// guessable by trying).

// MaxLinkLength is the longest URL a push's link may be to be shortened.
const MaxLinkLength = 2048

// LinkCodeLength is the length of a short link's code.
const LinkCodeLength = 10

const codeAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Link is a web link found in a text, at text[Start:End].
type Link struct {
	Start, End int
	URL        string
}

// FindLinks returns the web links (http:// and https://) in a text. A link
// runs to the first space, quote, angle bracket or non-ASCII character
// (Chinese text around a link needs no space), without the punctuation
// that ends a sentence after it (a closing parenthesis stays when the link
// opened one).
func FindLinks(text string) []Link {
	var out []Link
	// ASCII case only, so that byte offsets stay those of text.
	lowered := []byte(text)
	for i, c := range lowered {
		if c >= 'A' && c <= 'Z' {
			lowered[i] = c + 'a' - 'A'
		}
	}
	lower := string(lowered)
	for i := 0; i < len(text); {
		j := strings.Index(lower[i:], "http")
		if j < 0 {
			break
		}
		start := i + j
		rest := lower[start:]
		var scheme int
		switch {
		case strings.HasPrefix(rest, "https://"):
			scheme = len("https://")
		case strings.HasPrefix(rest, "http://"):
			scheme = len("http://")
		default:
			i = start + 4
			continue
		}
		end := start + scheme
		for end < len(text) && linkByte(text[end]) {
			end++
		}
		// Sentence punctuation after a link is not part of it.
		for end > start+scheme {
			c := text[end-1]
			if strings.IndexByte(".,;:!?'", c) >= 0 || (c == ')' && strings.Count(text[start:end], "(") < strings.Count(text[start:end], ")")) || c == ']' {
				end--
				continue
			}
			break
		}
		if u, err := SafeURL(text[start:end]); err == nil {
			out = append(out, Link{Start: start, End: end, URL: u})
		}
		i = max(end, start+scheme)
	}
	return out
}

// linkByte is a byte a link may contain: printable ASCII but the
// delimiters of text around links.
func linkByte(c byte) bool {
	return c > 0x20 && c < 0x7f && strings.IndexByte(`"<>\^{}|`+"`", c) < 0
}

// SafeURL checks a link before it is stored or redirected to: an absolute
// http or https URL with a host, no user name or password, no spaces or
// control characters, at most MaxLinkLength bytes. It returns the URL as
// given.
func SafeURL(raw string) (string, error) {
	if raw == "" || len(raw) > MaxLinkLength {
		return "", errkind.Errorf(errkind.Invalid, "url: want a link of 1 to %d characters", MaxLinkLength)
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] <= 0x20 || raw[i] >= 0x7f {
			return "", errkind.New(errkind.Invalid, "url: a link has no spaces, control or non-ASCII characters")
		}
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return "", errkind.Errorf(errkind.Invalid, "url: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errkind.New(errkind.Invalid, "url: only http and https links")
	case u.Host == "" || u.Hostname() == "" || u.Opaque != "":
		return "", errkind.New(errkind.Invalid, "url: a link needs a host")
	case u.User != nil:
		return "", errkind.New(errkind.Invalid, "url: a link with a user name or password is not shortened")
	case strings.ContainsAny(u.Host, `\@`):
		return "", errkind.New(errkind.Invalid, "url: a bad host")
	}
	return raw, nil
}

// Rewrite replaces each web link of text by what short gives for it; a
// link short declines (ok false) stays as it was.
func Rewrite(text string, short func(url string) (string, bool)) string {
	links := FindLinks(text)
	if len(links) == 0 {
		return text
	}
	var b strings.Builder
	at := 0
	for _, l := range links {
		b.WriteString(text[at:l.Start])
		if s, ok := short(l.URL); ok {
			b.WriteString(s)
		} else {
			b.WriteString(text[l.Start:l.End])
		}
		at = l.End
	}
	b.WriteString(text[at:])
	return b.String()
}

// NewLinkCode returns a random code for a short link.
func NewLinkCode() string {
	b := make([]byte, LinkCodeLength)
	for i := range b {
		// rand.Text-style rejection-free: 256 % 62 ≠ 0, so draw until a
		// byte falls in the largest multiple of 62.
		for {
			var c [1]byte
			rand.Read(c[:])
			if c[0] < 248 {
				b[i] = codeAlphabet[int(c[0])%len(codeAlphabet)]
				break
			}
		}
	}
	return string(b)
}

// ValidLinkCode reports whether code could be a short link's code (the
// length and the alphabet), so anything else is refused before it is
// looked up.
func ValidLinkCode(code string) bool {
	if len(code) != LinkCodeLength {
		return false
	}
	for i := 0; i < len(code); i++ {
		if strings.IndexByte(codeAlphabet, code[i]) < 0 {
			return false
		}
	}
	return true
}
