package onebot

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Roles a reverse connection announces in X-Client-Role.
const (
	RoleUniversal = "universal" // events and API calls on one connection
	RoleAPI       = "api"       // API calls only
	RoleEvent     = "event"     // events only
)

// dialTimeout bounds one connection attempt of forward mode.
const dialTimeout = 15 * time.Second

// readLimit bounds one frame: member lists of 2000-member groups are large.
const readLimit = 32 << 20

// conn is one WebSocket to the implementation.
type conn struct {
	ws     *websocket.Conn
	role   string
	selfID string
}

func (c *conn) apiCapable() bool { return c.role == RoleUniversal || c.role == RoleAPI }

// ServeHTTP accepts a reverse WebSocket connection from the implementation
// (qunzhu serves it at /connect/{connection}). The access token
// may come as "Authorization: Bearer …" (or the older "Token …") or as the
// access_token query parameter; a wrong or missing one is answered 401.
// A request from a web page (an Origin header naming another site) is
// answered 403: OneBot implementations send no Origin. X-Client-Role is
// Universal (the default), API or Event; X-Self-ID is the bot's account
// and must match Config.SelfID when that is set.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Mode != ModeReverse {
		http.Error(w, "this OneBot connection is in forward mode: qunzhu dials the implementation\n此 OneBot 连接为正向模式，由 qunzhu 主动连接", http.StatusNotFound)
		return
	}
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		a.log.Warn("onebot: reverse connection refused: a web page of another site", "origin", o, "remote", r.RemoteAddr)
		http.Error(w, "connections from web pages of other sites are refused\n拒绝来自其他网站网页的连接", http.StatusForbidden)
		return
	}
	if !a.authorized(r) {
		a.log.Warn("onebot: reverse connection refused: wrong or missing access token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="onebot"`)
		http.Error(w, "access token missing or wrong\naccess_token 缺失或错误", http.StatusUnauthorized)
		return
	}
	role := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Client-Role")))
	if role == "" {
		role = RoleUniversal
	}
	if role != RoleUniversal && role != RoleAPI && role != RoleEvent {
		http.Error(w, fmt.Sprintf("X-Client-Role %q: want Universal, API or Event\nX-Client-Role 应为 Universal、API 或 Event", role), http.StatusBadRequest)
		return
	}
	self := strings.TrimSpace(r.Header.Get("X-Self-ID"))
	if a.cfg.SelfID != "" && self != "" && self != a.cfg.SelfID {
		a.log.Warn("onebot: reverse connection refused: another account", "self_id", self, "want", a.cfg.SelfID)
		http.Error(w, fmt.Sprintf("account %s is not the one configured for this connection\n账号 %s 与此连接配置的不一致", self, self), http.StatusForbidden)
		return
	}
	// The server's read and write timeouts stay on until the WebSocket is
	// accepted: net/http clears them when Accept takes the connection
	// over, after the peer proved who it is, so a stranger's slow request
	// is still cut off. A plain request is answered 426 by Accept.
	ws, err := websocket.Accept(w, r, nil) // checks the Origin again
	if err != nil {
		a.log.Warn("onebot: websocket handshake failed", "err", err, "remote", r.RemoteAddr)
		return
	}
	ws.SetReadLimit(readLimit)
	c := &conn{ws: ws, role: role, selfID: self}
	a.log.Info("onebot: implementation connected", "role", role, "self_id", self, "remote", r.RemoteAddr)
	err = a.serveConn(r.Context(), c)
	a.log.Info("onebot: implementation disconnected", "role", role, "self_id", self, "err", err)
}

// sameOrigin reports whether a browser's Origin header names the host the
// request was sent to (a page of qunzhu itself).
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

func (a *Adapter) authorized(r *http.Request) bool {
	if a.cfg.AccessToken == "" {
		return false // New refuses this in reverse mode; never serve without a token
	}
	got := r.URL.Query().Get("access_token")
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "Token")) {
			got = strings.TrimSpace(tok)
		}
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.AccessToken)) == 1
}

// dialLoop keeps a forward connection up until ctx is done, redialling with
// exponential backoff and jitter and logging every reconnect.
func (a *Adapter) dialLoop(ctx context.Context) {
	failures := 0
	for reconnects := 0; ctx.Err() == nil; reconnects++ {
		ws, err := a.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			failures++
			a.setDown(err)
			wait := a.backoff(failures)
			a.log.Warn("onebot: connecting to the implementation failed; retrying", "host", hostOf(a.cfg.URL), "err", err, "attempt", failures, "in", wait)
			if !a.cfg.Sleep(ctx, wait) {
				return
			}
			continue
		}
		failures = 0
		a.log.Info("onebot: connected to the implementation", "host", hostOf(a.cfg.URL), "reconnects", reconnects)
		err = a.serveConn(ctx, &conn{ws: ws, role: RoleUniversal, selfID: a.cfg.SelfID})
		if ctx.Err() != nil {
			return
		}
		wait := a.backoff(1)
		a.log.Warn("onebot: connection lost; reconnecting", "host", hostOf(a.cfg.URL), "err", err, "in", wait)
		if !a.cfg.Sleep(ctx, wait) {
			return
		}
	}
}

func (a *Adapter) dial(ctx context.Context) (*websocket.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	h := http.Header{}
	if a.cfg.AccessToken != "" {
		h.Set("Authorization", "Bearer "+a.cfg.AccessToken)
	}
	ws, resp, err := websocket.Dial(ctx, a.cfg.URL, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("the implementation refused the access token: %w", err)
		}
		return nil, err
	}
	ws.SetReadLimit(readLimit)
	return ws, nil
}

func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// serveConn reads frames from c until it fails or ctx is done.
func (a *Adapter) serveConn(ctx context.Context, c *conn) error {
	a.attach(c)
	err := a.read(ctx, c)
	a.detach(c, err)
	c.ws.CloseNow()
	return err
}

func (a *Adapter) read(ctx context.Context, c *conn) error {
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			return err
		}
		if err := a.handleFrame(ctx, c, data); err != nil {
			return err
		}
	}
}

// handleFrame routes one frame: answers to their calls, meta events to the
// status, events (in order) to Run.
func (a *Adapter) handleFrame(ctx context.Context, c *conn, data []byte) error {
	f, err := DecodeFrame(a.cfg.Name, data, a.cfg.Now())
	if err != nil {
		a.log.Warn("onebot: unreadable frame skipped", "err", err, "frame", snippet(data))
		return nil
	}
	if f.BadTime != 0 {
		a.log.Warn("onebot: an implausible time replaced by the time received (a time in milliseconds, or a broken clock)", "time", f.BadTime)
	}
	if f.SelfID != "" && f.SelfID != "0" {
		if a.cfg.SelfID != "" && f.SelfID != a.cfg.SelfID {
			a.log.Warn("onebot: frame from another account skipped", "self_id", f.SelfID, "want", a.cfg.SelfID)
			return nil
		}
		a.learnSelf(c, f.SelfID)
	}
	switch f.Kind {
	case FrameResponse:
		a.deliver(f.Response)
	case FrameMeta:
		a.meta(f)
	case FrameRequest:
		a.log.Info("onebot: join request not handled by qunzhu; approve or refuse it in QQ", "request", f.RequestDetail)
	default:
		if len(f.Events) == 0 {
			a.log.Debug("onebot: event not mapped", "why", f.Ignored)
			return nil
		}
		select {
		case a.events <- f.Events:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func snippet(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

func (a *Adapter) attach(c *conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns[c] = struct{}{}
	if !c.apiCapable() {
		return
	}
	if old := a.api; old != nil && old != c {
		go old.ws.Close(websocket.StatusPolicyViolation, "replaced by a newer connection")
	}
	a.api = c
	a.status.Connected = true
	a.status.Since = a.cfg.Now()
	a.status.LastError = ""
	a.status.Online = true
	if c.selfID != "" {
		a.status.SelfID = c.selfID
	}
}

func (a *Adapter) detach(c *conn, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.conns, c)
	for echo, p := range a.pending {
		if p.conn == c {
			close(p.ch)
			delete(a.pending, echo)
		}
	}
	if a.api != c {
		return
	}
	a.api = nil
	a.status.Connected = false
	a.status.Since = a.cfg.Now()
	if err != nil {
		a.status.LastError = err.Error()
	}
}

func (a *Adapter) setDown(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.status.Connected {
		a.status.Since = a.cfg.Now()
	}
	a.status.Connected = false
	a.status.LastError = err.Error()
}

func (a *Adapter) learnSelf(c *conn, self string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c.selfID == "" {
		c.selfID = self
	}
	a.status.SelfID = self
}

func (a *Adapter) meta(f Frame) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch f.MetaType {
	case "heartbeat":
		a.status.LastHeartbeat = a.cfg.Now()
		if f.Interval > 0 {
			a.status.Interval = f.Interval
		}
		if f.Online != nil {
			if a.status.Online != *f.Online {
				a.log.Warn("onebot: the implementation reports the account", "online", *f.Online)
			}
			a.status.Online = *f.Online
		}
	case "lifecycle":
		a.log.Info("onebot: lifecycle", "sub_type", f.SubType, "self_id", f.SelfID)
		switch f.SubType {
		case "disable":
			a.status.Online = false
		case "enable", "connect":
			a.status.Online = true
		}
	}
}

// closeAll closes every connection (when Run stops).
func (a *Adapter) closeAll() {
	a.mu.Lock()
	cs := make([]*conn, 0, len(a.conns))
	for c := range a.conns {
		cs = append(cs, c)
	}
	a.mu.Unlock()
	// Side by side: a close waits up to 5 s for the peer's answer, and
	// implementations that hung would otherwise hold the stop 5 s each.
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Go(func() { _ = c.ws.Close(websocket.StatusGoingAway, "qunzhu is stopping") })
	}
	wg.Wait()
}

var errConnLost = errors.New("the connection to the implementation closed before it answered")

// ErrNotConnected is returned (retryable) by calls made while no
// implementation is connected.
var ErrNotConnected = errors.New("no onebot implementation is connected")
