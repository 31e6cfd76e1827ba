package content

import (
	"reflect"
	"strings"
	"testing"
)

func TestFindLinks(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"看这里 https://mp.weixin.qq.com/s/abc123 就懂了", []string{"https://mp.weixin.qq.com/s/abc123"}},
		{"报名：https://example.com/a?b=1&c=2。谢谢", []string{"https://example.com/a?b=1&c=2"}},
		{"(see http://example.com/x), and https://example.com/wiki/A_(b).", []string{"http://example.com/x", "https://example.com/wiki/A_(b)"}},
		{"HTTPS://EXAMPLE.COM/Up", []string{"HTTPS://EXAMPLE.COM/Up"}},
		{"链接https://a.cn/1，另一个http://b.cn/2！", []string{"https://a.cn/1", "http://b.cn/2"}},
		{`<a href="https://x.org/p">`, []string{"https://x.org/p"}},
		{"no links: http:// https:/ httpx://a ftp://a.b javascript:alert(1) www.example.com", nil},
		{"https://user:pw@evil.com/ http://@/ https://:80/", nil},
		{"https://a.cn/" + strings.Repeat("x", MaxLinkLength), nil},
	} {
		var got []string
		for _, l := range FindLinks(tc.text) {
			if tc.text[l.Start:l.End] != l.URL {
				t.Errorf("%q: span %d-%d is %q, not %q", tc.text, l.Start, l.End, tc.text[l.Start:l.End], l.URL)
			}
			got = append(got, l.URL)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("FindLinks(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestRewriteAndCodes(t *testing.T) {
	text := "早上好！今天看 https://a.cn/1 和 https://b.cn/2。"
	got := Rewrite(text, func(u string) (string, bool) {
		if u == "https://b.cn/2" {
			return "", false
		}
		return "https://qz.cn/l/CODE", true
	})
	if got != "早上好！今天看 https://qz.cn/l/CODE 和 https://b.cn/2。" {
		t.Errorf("rewritten %q", got)
	}
	seen := map[string]bool{}
	for range 1000 {
		c := NewLinkCode()
		if !ValidLinkCode(c) || seen[c] {
			t.Fatalf("code %q (valid %v, seen %v)", c, ValidLinkCode(c), seen[c])
		}
		seen[c] = true
	}
	for _, bad := range []string{"", "abc", "ABCDEFGHIJK", "ABCDEFGHI-", "ABCDEFGHI/", "../../etc/", "ABCDEFGHIé"} {
		if ValidLinkCode(bad) {
			t.Errorf("ValidLinkCode(%q)", bad)
		}
	}
	for _, bad := range []string{"", "/relative", "//evil.com/x", "javascript:alert(1)", "data:text/html,x", "https://", "https:///x", "http://a b.cn", "https://a.cn/\n", "https://例子.cn", "https://evil.com\\@good.com", "mailto:a@b.cn"} {
		if _, err := SafeURL(bad); err == nil {
			t.Errorf("SafeURL(%q) accepted", bad)
		}
	}
}

// FuzzFindLinks: every link found is the text at its span and safe to
// redirect to; rewriting each link as itself changes nothing.
func FuzzFindLinks(f *testing.F) {
	for _, s := range []string{"看 https://a.cn/x?y=1。", "(http://a.b/c)", "https://u:p@a.cn", "http://[::1]:80/x", "https://a.cn/%zz", "httphttps://x.y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, l := range FindLinks(text) {
			if l.Start < 0 || l.End > len(text) || l.Start >= l.End || text[l.Start:l.End] != l.URL {
				t.Fatalf("%q: bad span %+v", text, l)
			}
			if _, err := SafeURL(l.URL); err != nil {
				t.Fatalf("%q: found an unsafe link %q: %v", text, l.URL, err)
			}
		}
		if got := Rewrite(text, func(u string) (string, bool) { return u, true }); got != text {
			t.Fatalf("rewriting %q as itself gave %q", text, got)
		}
	})
}
