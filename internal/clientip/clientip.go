// Package clientip finds the address of the client behind a request.
//
// Behind a reverse proxy every request comes from the proxy, so limits
// kept per address would lock every client out together. The proxy puts
// the client in X-Forwarded-For, but anyone can send that header: it is
// believed only from a configured trusted proxy ([server]
// trusted_proxies), and read from the right — the nearest address that is
// not itself a trusted proxy is the client.
package clientip

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Resolver finds clients' addresses; the zero Resolver trusts no proxy.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a resolver that believes X-Forwarded-For from the given
// proxies: CIDR prefixes ("10.0.0.0/8", "fd00::/8") or single addresses.
func New(trusted []string) (*Resolver, error) {
	r := &Resolver{}
	for _, s := range trusted {
		p, err := ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		r.trusted = append(r.trusted, p)
	}
	return r, nil
}

// ParsePrefix reads a trusted proxy: a CIDR prefix or a single address.
func ParsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix like 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: want an address or a CIDR prefix like 10.0.0.0/8", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (r *Resolver) trusts(a netip.Addr) bool {
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Addr is the request's client: its peer, unless the peer is a trusted
// proxy, in which case the rightmost address of X-Forwarded-For that is
// not a trusted proxy (or, when the header ends in something that is not
// an address, the last trusted hop before it). The zero Addr when the
// peer's address cannot be read.
func (r *Resolver) Addr(req *http.Request) netip.Addr {
	peer := remote(req.RemoteAddr)
	if r == nil || !peer.IsValid() || !r.trusts(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(req.Header.Values("X-Forwarded-For"), ","), ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		h := strings.TrimSpace(hops[i])
		if h == "" {
			continue
		}
		a := remote(h)
		if !a.IsValid() {
			break
		}
		client = a
		if !r.trusts(a) {
			break
		}
	}
	return client
}

// remote reads "host:port", "[v6]:port" or a bare address.
func remote(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap()
	}
	if host, _, err := net.SplitHostPort(s); err == nil {
		s = host
	}
	a, err := netip.ParseAddr(strings.Trim(s, "[]"))
	if err != nil {
		return netip.Addr{}
	}
	return a.WithZone("").Unmap()
}

// Key is the address as a rate limit counts it: an IPv4 address itself,
// an IPv6 address its /64 (one subscriber's network hands out a whole
// /64, so counting single addresses would count nothing). "unknown" for
// the zero Addr.
func Key(a netip.Addr) string {
	if !a.IsValid() {
		return "unknown"
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}
