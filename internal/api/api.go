// Package api is qunzhu's HTTP API: event ingestion for bridges, pulled
// actions, the read API, health and metrics. Every error leaves through
// writeError, the one place error kinds become HTTP statuses.
package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/ratelimit"
)

// Decoder turns a request body into events for a connection (the generic
// webhook decoder; see internal/chat/webhook).
type Decoder func(r io.Reader, connection, platform string) ([]chat.Event, error)

// Ingester stores events.
type Ingester interface {
	IngestCount(ctx context.Context, events []chat.Event) (pipeline.Result, error)
}

// Store is what the API reads and writes.
type Store interface {
	community.Directory
	TokenByPlaintext(ctx context.Context, plain string) (access.Token, error)
	PullActions(ctx context.Context, connections []string, after int64, limit int) ([]pipeline.OutboxItem, error)
	AckActions(ctx context.Context, connections []string, ids []int64) (int, error)
}

// Connection is a configured connection that bridges authenticate as.
type Connection struct {
	Name     string
	Platform string
	Token    string // bearer token for POST /api/v1/events and the actions endpoints
	Pulled   bool   // actions are pulled, not pushed
}

// Server serves the API.
type Server struct {
	Store       Store
	Ingest      Ingester
	Decode      Decoder
	Connections []Connection
	// ConnectionList, when set, is used instead of Connections: the
	// connections change while the service runs (added in the console).
	ConnectionList func() []Connection
	// Ready reports whether the service can serve (database reachable,
	// schema current); nil means always ready.
	Ready func(ctx context.Context) error
	// Replica, when set, says which replica answers and which connections
	// it holds, in /readyz's answer to an admin token.
	Replica func() Replica
	Metrics http.Handler
	Logger  *slog.Logger
	// Admin, when set, enables the organisation write API.
	Admin Admin
	// Content, when set, enables the script library and push API.
	Content Content
	// Audit, when set, enables the audit log and moderation exports.
	Audit AuditLog
	// LintMatcher finds banned categories in scripts under review (the
	// rules engine); nil leaves that check out of the lint.
	LintMatcher content.CategoryMatcher
	// Analytics, when set, enables health, alerts and leaderboards.
	Analytics Analytics
	// Structure, when set, enables group profiles, templates, tasks,
	// capacity routing and node deletion.
	Structure Structure
	// Tags, when set, lists the organisation's tags (GET /api/v1/tags).
	Tags TagLister
	// Caps reports a connection's capabilities (whether roles sync to
	// the platform); nil: none.
	Caps func(connection string) chat.Capabilities
	// OnChange is called after a successful write (the ingester drops its
	// caches).
	OnChange func()
	Now      func() time.Time
	// Location is the server's time zone: the calendar days of the
	// analytics and of pushes planned for a date, unless a group's slots
	// name their own; content.DefaultZone's when nil.
	Location *time.Location
	// MaxBodyBytes caps request bodies (1 MiB when 0).
	MaxBodyBytes int64
	// ClientAddr finds a request's client (clientip.Resolver.Addr: behind
	// a trusted proxy, from X-Forwarded-For); the peer's address when nil.
	ClientAddr func(*http.Request) netip.Addr
	// Links, when set, serves the short links of pushes (GET /l/{code});
	// LinkKey is the secret their visitors are hashed under.
	Links   Links
	LinkKey []byte

	joins    *ratelimit.Window // public join and short links opened, per client
	decoding chan struct{}     // a slot per event body being decoded (see postEvents)
}

// Handler returns the API's routes.
func (s *Server) Handler() http.Handler {
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.MaxBodyBytes <= 0 {
		s.MaxBodyBytes = 1 << 20
	}
	if s.Location == nil {
		s.Location, _ = content.LoadZone("")
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	s.joins = ratelimit.New(joinsPerMinute, time.Minute)
	s.decoding = make(chan struct{}, decodeSlots())
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, s.Logger, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	if s.Links != nil {
		mux.HandleFunc("GET /l/{code}", s.followLink) // public: in pushed scripts
	}
	if s.Metrics != nil {
		mux.Handle("GET /metrics", s.Metrics)
	}
	mux.HandleFunc("POST /api/v1/events", s.connectionAuth(s.postEvents))
	mux.HandleFunc("GET /api/v1/actions", s.connectionAuth(s.getActions))
	mux.HandleFunc("POST /api/v1/actions/ack", s.connectionAuth(s.ackActions))
	mux.HandleFunc("GET /api/v1/groups", s.tokenAuth(s.json(s.listGroups)))
	mux.HandleFunc("GET /api/v1/groups/{id}", s.tokenAuth(s.json(s.getGroup)))
	mux.HandleFunc("GET /api/v1/groups/{id}/members", s.tokenAuth(s.json(s.listMembers)))
	mux.HandleFunc("GET /api/v1/groups/{id}/messages", s.tokenAuth(s.json(s.listMessages)))
	s.adminRoutes(mux)
	s.structureRoutes(mux)
	s.contentRoutes(mux)
	s.auditRoutes(mux)
	s.analyticsRoutes(mux)
	s.tagRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.Logger, errkind.Errorf(errkind.NotFound, "no API endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// jsonHandler is an API handler: it returns the status and body to write,
// or an error, which json writes as the API's error body.
type jsonHandler func(w http.ResponseWriter, r *http.Request) (int, any, error)

// json adapts a jsonHandler: every error leaves through writeError.
func (s *Server) json(h jsonHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		status, body, err := h(w, r)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		writeJSON(w, s.Logger, status, body)
	}
}

// Status maps an error kind to its HTTP status. It is the only such mapping.
func Status(k errkind.Kind) int {
	switch k {
	case errkind.Invalid:
		return http.StatusBadRequest
	case errkind.Unauthorized:
		return http.StatusUnauthorized
	case errkind.Forbidden:
		return http.StatusForbidden
	case errkind.NotFound:
		return http.StatusNotFound
	case errkind.Conflict:
		return http.StatusConflict
	case errkind.TooLarge:
		return http.StatusRequestEntityTooLarge
	case errkind.RateLimited:
		return http.StatusTooManyRequests
	case errkind.Unavailable:
		return http.StatusServiceUnavailable
	case errkind.Unsupported:
		return http.StatusNotImplemented
	case errkind.MediaType:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON shape of every error response.
type ErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	k := errkind.Of(err)
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	if errors.Is(err, context.DeadlineExceeded) {
		k = errkind.Unavailable
	}
	status := Status(k)
	if status >= 500 {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var body ErrorBody
	body.Error.Code = string(k)
	body.Error.Message = errkind.Message(err)
	if k == errkind.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="qunzhu"`)
	}
	writeJSON(w, log, status, body)
}

// writeJSON encodes v first and only then writes the status and the body:
// a value that cannot be encoded (a bug) is a logged 500 with the error
// body, never a 200 with an empty or cut-off body.
func writeJSON(w http.ResponseWriter, log *slog.Logger, status int, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		log.Error("encode response", "status", status, "err", err)
		b.Reset()
		b.WriteString(`{"error":{"code":"internal","message":"internal error: the answer could not be encoded"}}` + "\n")
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errkind.New(errkind.Unauthorized, "missing Authorization: Bearer <token> header")
	}
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", errkind.New(errkind.Unauthorized, "Authorization header must be Bearer <token>")
	}
	return strings.TrimSpace(tok), nil
}

type connKey struct{}

// Replica is the part of /readyz's answer that says which replica
// answered and which platform connections it holds.
type Replica struct {
	ID    string   `json:"replica"`
	Holds []string `json:"holds"`
}

// connections returns the connections bridges authenticate as.
func (s *Server) connections() []Connection {
	if s.ConnectionList != nil {
		return s.ConnectionList()
	}
	return s.Connections
}

// connectionAuth authenticates a bridge by its connection token.
func (s *Server) connectionAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := bearer(r)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		for _, c := range s.connections() {
			if c.Token != "" && subtle.ConstantTimeCompare([]byte(c.Token), []byte(tok)) == 1 {
				h(w, r.WithContext(context.WithValue(r.Context(), connKey{}, c)))
				return
			}
		}
		writeError(w, r, s.Logger, errkind.New(errkind.Unauthorized, "unknown connection token"))
	}
}

type tokenKey struct{}

// tokenAuth authenticates an API token from the database.
func (s *Server) tokenAuth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := bearer(r)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		t, err := s.Store.TokenByPlaintext(r.Context(), tok)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, t)))
	}
}

// readyz answers whether the service can serve: 200 or 503. Why it
// cannot (a database address, an adapter's error) and, when it can, which
// replica answers and the connections it holds are for operators: the
// answer says them to a request with an admin token (the adapters log
// their own failures); anyone else — a load balancer, a stranger — gets
// the status alone.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := s.Ready(ctx); err != nil {
			if !s.operator(r) {
				s.Logger.Debug("not ready", "err", err)
				writeJSON(w, s.Logger, http.StatusServiceUnavailable, map[string]string{"status": "not ready"})
				return
			}
			if errkind.Of(err) == errkind.Internal {
				err = &errkind.Error{Kind: errkind.Unavailable, Message: "not ready: " + err.Error(), Err: err}
			}
			writeError(w, r, s.Logger, err)
			return
		}
	}
	if s.Replica == nil || !s.operator(r) {
		writeJSON(w, s.Logger, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	rep := s.Replica()
	if rep.Holds == nil {
		rep.Holds = []string{}
	}
	writeJSON(w, s.Logger, http.StatusOK, struct {
		Status string `json:"status"`
		Replica
	}{"ready", rep})
}

// operator reports whether the request carries an admin token (one that
// may manage the platform connections).
func (s *Server) operator(r *http.Request) bool {
	tok, err := bearer(r)
	if err != nil {
		return false
	}
	t, err := s.Store.TokenByPlaintext(r.Context(), tok)
	return err == nil && t.May(access.ManageConnections)
}

// EventsResponse answers POST /api/v1/events.
type EventsResponse struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
}

// decodeSlots is how many event bodies are decoded at once: all cores but
// the one the ingest's writer needs, at least one. Measured with
// bench/httpingest (docs/benchmarks.md): with every request decoding at
// once the writer waited for a core.
func decodeSlots() int { return max(1, runtime.GOMAXPROCS(0)-1) }

func (s *Server) postEvents(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(connKey{}).(Connection)
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			writeError(w, r, s.Logger, errkind.Errorf(errkind.MediaType, "Content-Type %q: want application/json", ct))
			return
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = errkind.Errorf(errkind.TooLarge, "request body over %d bytes", s.MaxBodyBytes)
		} else {
			err = errkind.Errorf(errkind.Invalid, "read the request body: %v", err)
		}
		writeError(w, r, s.Logger, err)
		return
	}
	// The body is read first, then decoded in one of a few slots: decoding
	// is work for a core, and requests decoded faster than the single
	// writer stores them only wait for it, taking its core meanwhile.
	select {
	case s.decoding <- struct{}{}:
	case <-r.Context().Done():
		writeError(w, r, s.Logger, errkind.Errorf(errkind.Unavailable, "the request ended before its events were read"))
		return
	}
	evs, err := s.Decode(bytes.NewReader(body), c.Name, c.Platform)
	<-s.decoding
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	res, err := s.Ingest.IngestCount(r.Context(), evs)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, s.Logger, http.StatusOK, EventsResponse{Accepted: res.Accepted, Duplicates: res.Duplicates})
}

// PulledAction is an action as GET /api/v1/actions lists it.
type PulledAction struct {
	Cursor string `json:"cursor"`
	chat.Action
}

func intParam(r *http.Request, name string, def, lo, hi int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, errkind.Errorf(errkind.Invalid, "%s: want a whole number from %d to %d, got %q", name, lo, hi, v)
	}
	return n, nil
}

func (s *Server) getActions(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(connKey{}).(Connection)
	if !c.Pulled {
		writeError(w, r, s.Logger, errkind.Errorf(errkind.Conflict, "connection %q pushes its actions to its push_url; pulling is for connections without one", c.Name))
		return
	}
	after, err := intParam(r, "after", 0, 0, 1<<62)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	items, err := s.Store.PullActions(r.Context(), []string{c.Name}, after, int(limit))
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := struct {
		Actions []PulledAction `json:"actions"`
		Next    string         `json:"next"`
	}{Actions: []PulledAction{}, Next: strconv.FormatInt(after, 10)}
	// An action not due yet (a welcome sent when its window ends, an
	// unmute when the mute ends) is held back, and the cursor stops
	// before it, so a bridge that lists from its last cursor gets it
	// when it is due.
	now, held := s.Now(), false
	for _, it := range items {
		if it.Action.NotBefore.After(now) {
			held = true
			continue
		}
		out.Actions = append(out.Actions, PulledAction{Cursor: strconv.FormatInt(it.ID, 10), Action: it.Action})
		if !held {
			out.Next = strconv.FormatInt(it.ID, 10)
		}
	}
	writeJSON(w, s.Logger, http.StatusOK, out)
}

func (s *Server) ackActions(w http.ResponseWriter, r *http.Request) {
	c := r.Context().Value(connKey{}).(Connection)
	var in struct {
		Cursors []string `json:"cursors"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		writeError(w, r, s.Logger, errkind.Errorf(errkind.Invalid, "body: want {\"cursors\":[\"…\"]}: %v", err))
		return
	}
	if len(in.Cursors) == 0 || len(in.Cursors) > 1000 {
		writeError(w, r, s.Logger, errkind.New(errkind.Invalid, "cursors: give 1 to 1000 cursors"))
		return
	}
	ids := make([]int64, len(in.Cursors))
	for i, cur := range in.Cursors {
		id, err := strconv.ParseInt(cur, 10, 64)
		if err != nil || id <= 0 {
			writeError(w, r, s.Logger, errkind.Errorf(errkind.Invalid, "cursors[%d]: %q is not a cursor from GET /api/v1/actions", i, cur))
			return
		}
		ids[i] = id
	}
	n, err := s.Store.AckActions(r.Context(), []string{c.Name}, ids)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	writeJSON(w, s.Logger, http.StatusOK, map[string]int{"acked": n})
}
