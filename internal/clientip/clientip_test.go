package clientip

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestAddr(t *testing.T) {
	r, err := New([]string{"10.0.0.0/8", "127.0.0.1", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"no proxy", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"a stranger's header is ignored", "203.0.113.7:5555", []string{"1.2.3.4"}, "203.0.113.7"},
		{"from the trusted proxy", "127.0.0.1:40000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"a chain of trusted proxies", "10.0.0.2:1", []string{"198.51.100.9, 10.1.1.1, 10.0.0.3"}, "198.51.100.9"},
		{"a client's forged hop on the left is ignored", "10.0.0.2:1", []string{"1.2.3.4, 198.51.100.9"}, "198.51.100.9"},
		{"two headers are one list", "10.0.0.2:1", []string{"1.2.3.4", "198.51.100.9"}, "198.51.100.9"},
		{"the proxy sent no header", "127.0.0.1:40000", nil, "127.0.0.1"},
		{"garbage stops the walk at the last trusted hop", "10.0.0.2:1", []string{"198.51.100.9, evil, 10.0.0.5"}, "10.0.0.5"},
		{"everyone in the chain is trusted", "10.0.0.2:1", []string{"10.9.9.9"}, "10.9.9.9"},
		{"IPv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"IPv6 trusted proxy", "[fd00::1]:443", []string{"2001:db8::7"}, "2001:db8::7"},
		{"IPv4-mapped IPv6", "[::ffff:127.0.0.1]:1", []string{"198.51.100.9"}, "198.51.100.9"},
		{"a port in the header", "127.0.0.1:1", []string{"198.51.100.9:1234"}, "198.51.100.9"},
		{"an unreadable peer", "pipe", nil, "invalid IP"},
	} {
		req := httptest.NewRequest("GET", "/", nil)
		req.RemoteAddr = tc.remote
		for _, h := range tc.xff {
			req.Header.Add("X-Forwarded-For", h)
		}
		if got := r.Addr(req).String(); got != tc.want {
			t.Errorf("%s: %s", tc.name, got)
		}
	}
	var none *Resolver
	req := httptest.NewRequest("GET", "/", nil)
	req.RemoteAddr, req.Header["X-Forwarded-For"] = "127.0.0.1:1", []string{"1.2.3.4"}
	if got := none.Addr(req).String(); got != "127.0.0.1" {
		t.Errorf("a nil resolver believes the header: %s", got)
	}
}

func TestParsePrefix(t *testing.T) {
	for _, s := range []string{"10.0.0.0/8", "127.0.0.1", "::1", "fd00::/8", " 192.168.1.0/24 "} {
		if _, err := ParsePrefix(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "10.0.0.0/33", "localhost", "10.0.0.0/8,", "*"} {
		if _, err := ParsePrefix(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	if p, _ := ParsePrefix("10.1.2.3/8"); p.String() != "10.0.0.0/8" {
		t.Errorf("not masked: %s", p)
	}
}

func TestKey(t *testing.T) {
	for in, want := range map[string]string{"203.0.113.7": "203.0.113.7", "2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64", "::ffff:1.2.3.4": "1.2.3.4"} {
		if got := Key(netip.MustParseAddr(in)); got != want {
			t.Errorf("Key(%s) = %s, want %s", in, got, want)
		}
	}
	if Key(netip.Addr{}) != "unknown" {
		t.Error("the zero address")
	}
}
