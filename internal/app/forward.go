package app

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"
)

// A connection's events are decided on the replica that holds it, so
// that what the rules keep in memory (a member's recent messages, for
// flood control) and what they count in the database (the ladder's
// offences, a message's reports) see every event of a group, in order.
// Pulling connections (Telegram polling, Matrix, a OneBot implementation
// qunzhu dials) arrive there by themselves. The platforms that call
// qunzhu — a Telegram webhook, WeCom's callbacks, a OneBot
// implementation's reverse WebSocket, a bridge posting events — reach
// whichever replica the load balancer picks; a replica that does not
// hold the connection forwards the request to the one that does (its
// address is in the lease), which answers it as its own.

// forwardedHeader marks a forwarded request; a replica never forwards
// one again, whatever it thinks of the lease.
const forwardedHeader = "X-Qunzhu-Forwarded-By"

// serveConnect serves /connect/{name}: the platform's own requests to a
// connection (a webhook, a callback, a reverse WebSocket), by the adapter
// here when this replica holds the connection, else by the holder.
func (s *service) serveConnect(w http.ResponseWriter, r *http.Request) {
	name, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/connect/"), "/")
	h := s.conns.handler(name)
	if h == nil {
		http.Error(w, "no connection "+name+" takes requests here", http.StatusNotFound)
		return
	}
	if s.conns.keeper.Held(name) {
		h.ServeHTTP(w, r)
		return
	}
	if r.Header.Get(forwardedHeader) != "" {
		// Forwarded here by a replica that read the lease before this one
		// lost it: never accepted by a replica that does not run the
		// connection, never forwarded twice.
		w.Header().Set("Retry-After", "5")
		http.Error(w, "this replica no longer holds connection "+name+"; send it again shortly", http.StatusServiceUnavailable)
		return
	}
	target, ok := s.holderURL(r, name)
	if !ok {
		// The holder died and nobody has taken over yet (at most a lease
		// time): the platforms send again.
		w.Header().Set("Retry-After", "5")
		http.Error(w, "no replica holds connection "+name+" right now; send it again shortly", http.StatusServiceUnavailable)
		return
	}
	if isUpgrade(r) && r.ContentLength <= 0 {
		// A WebSocket lives as long as the platform keeps it: the
		// server's timeouts are lifted for the relay, as the holder lifts
		// them for its end once it has checked the token (a slow body
		// stays under them: only a request without one is relayed so).
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Time{})
		rc.SetWriteDeadline(time.Time{})
	}
	s.proxy(target, nil).ServeHTTP(w, r)
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket") && strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade")
}

// holderURL is where the replica holding a connection takes requests,
// when another live replica holds it. The lease is read again when the
// last reading says nobody does.
func (s *service) holderURL(r *http.Request, name string) (*url.URL, bool) {
	now := time.Now()
	l, ok := s.conns.keeper.Lease(name)
	if !ok || !l.Live(now) || l.HolderURL == "" {
		l, ok = s.conns.keeper.Refresh(r.Context(), name)
	}
	if !ok || !l.Live(now) || l.HolderURL == "" || l.Holder == s.replica {
		return nil, false
	}
	u, err := url.Parse(l.HolderURL)
	if err != nil || u.Host == "" {
		return nil, false
	}
	return u, true
}

// proxy forwards requests to the replica at target; failed, when set,
// serves a request the holder could not be reached for.
func (s *service) proxy(target *url.URL, failed http.HandlerFunc) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Host = pr.In.Host
			pr.Out.Header.Set(forwardedHeader, s.replica)
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			s.log.Warn("forward to the connection's holder failed", "path", r.URL.Path, "holder", target.String(), "err", err)
			if failed != nil {
				failed(w, r)
				return
			}
			w.Header().Set("Retry-After", "5")
			http.Error(w, "the replica holding this connection cannot be reached; send it again shortly", http.StatusBadGateway)
		},
	}
}

// forwardEvents sends a bridge's events (POST /api/v1/events) to the
// replica holding its connection. The body is read first (within the
// API's limit), so that when the holder cannot be reached the events are
// stored here instead: a bridge's events are never refused for it.
func (s *service) forwardEvents(api http.Handler, maxBody int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/events" || r.Header.Get(forwardedHeader) != "" {
			api.ServeHTTP(w, r)
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		name := ""
		if ok {
			name = s.conns.byToken(strings.TrimSpace(tok))
		}
		if name == "" || s.conns.keeper.Held(name) {
			api.ServeHTTP(w, r)
			return
		}
		target, ok := s.holderURL(r, name)
		if !ok {
			api.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		r.Body.Close()
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		again := func(w http.ResponseWriter, r *http.Request) {
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
			r.Header.Del(forwardedHeader)
			api.ServeHTTP(w, r)
		}
		if int64(len(body)) > maxBody {
			again(w, r) // the API refuses it as too large
			return
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		s.proxy(target, again).ServeHTTP(w, r)
	})
}
