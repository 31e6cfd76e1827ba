package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/api"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// decodeArray is a minimal decoder for these tests; the real one is tested
// in internal/chat/webhook and end to end in internal/app.
func decodeArray(r io.Reader, conn, platform string) ([]chat.Event, error) {
	var evs []chat.Event
	if err := json.NewDecoder(r).Decode(&evs); err != nil {
		return nil, errkind.Errorf(errkind.Invalid, "body: %w", err)
	}
	for i := range evs {
		evs[i].Connection, evs[i].Platform = conn, platform
	}
	return evs, nil
}

type env struct {
	srv   *httptest.Server
	db    *store.DB
	token string
	read  string // a read-only token
	org   int64
}

// newEnv serves the API of a fresh organisation; clock, when given, is the
// store's and the server's clock.
func newEnv(t *testing.T, clock ...func() time.Time) *env {
	t.Helper()
	var now func() time.Time
	if len(clock) > 0 {
		now = clock[0]
	}
	db := storetest.Open(t, store.SQLite, now)
	ctx, cancel := context.WithCancel(context.Background())
	org := community.Org{Name: "学院", Slug: "acad"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	other := community.Org{Name: "别家", Slug: "other"}
	db.CreateOrg(ctx, &other)
	hidden := community.Group{OrgID: other.ID, Connection: "x", Platform: "x", ExternalID: "secret", Name: "别家的群"}
	db.CreateGroup(ctx, &hidden)
	tok, err := db.CreateToken(ctx, org.ID, "test", access.ScopeAdmin)
	if err != nil {
		t.Fatal(err)
	}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }})
	go in.Run(ctx)
	s := &api.Server{Store: db, Ingest: in, Decode: decodeArray, MaxBodyBytes: 4096,
		Connections: []api.Connection{{Name: "wx", Platform: "webhook", Token: "conn-secret", Pulled: true}, {Name: "pushy", Platform: "webhook", Token: "push-secret"}},
		Ready:       db.CheckSchema, Admin: db, Content: db, Audit: db, Analytics: db, OnChange: in.Forget, Now: now}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(func() { srv.Close(); cancel() })
	ro, _ := db.CreateToken(ctx, org.ID, "viewer", access.ScopeRead)
	return &env{srv: srv, db: db, token: tok, read: ro, org: org.ID}
}

func (e *env) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

const oneEvent = `[{"id":"e1","type":"message","group":"g-ext-id","time":"2026-11-25T08:00:00+08:00","sender":{"id":"u1","name":"张三"},"message":{"id":"m1","kind":"text","text":"大家好"}}]`

func TestEventsAndReadAPI(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(t, "POST", "/api/v1/events", "conn-secret", oneEvent)
	if code != 200 || out["accepted"] != 1.0 {
		t.Fatalf("post = %d %v", code, out)
	}
	code, out = e.do(t, "POST", "/api/v1/events", "conn-secret", oneEvent)
	if code != 200 || out["duplicates"] != 1.0 || out["accepted"] != 0.0 {
		t.Fatalf("redelivery = %d %v", code, out)
	}
	code, out = e.do(t, "GET", "/api/v1/groups", e.token, "")
	groups, _ := out["groups"].([]any)
	if code != 200 || len(groups) != 1 {
		t.Fatalf("groups = %d %v (another organisation's group must not show)", code, out)
	}
	g := groups[0].(map[string]any)
	if g["name"] != "g-ext-id" || g["members"] != 1.0 || g["platform"] != "webhook" {
		t.Fatalf("group = %v", g)
	}
	id := int(g["id"].(float64))
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/members", id), e.token, "")
	if ms, _ := out["members"].([]any); code != 200 || len(ms) != 1 || ms[0].(map[string]any)["name"] != "张三" {
		t.Fatalf("members = %d %v", code, out)
	}
	code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/groups/%d/messages", id), e.token, "")
	if ms, _ := out["messages"].([]any); code != 200 || len(ms) != 1 || ms[0].(map[string]any)["text"] != "大家好" {
		t.Fatalf("messages = %d %v", code, out)
	}
}

func TestErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, method, path, token, body string
		code                            int
		msg                             string
	}{
		{"no token", "POST", "/api/v1/events", "", oneEvent, 401, "missing Authorization"},
		{"bad token", "POST", "/api/v1/events", "nope", oneEvent, 401, "unknown connection token"},
		{"api token is not a connection", "POST", "/api/v1/events", e.token, oneEvent, 401, "unknown connection token"},
		{"malformed", "POST", "/api/v1/events", "conn-secret", `[{"id":`, 400, "body"},
		{"too large", "POST", "/api/v1/events", "conn-secret", "[" + strings.Repeat(" ", 5000) + "]", 413, "over 4096 bytes"},
		{"unknown type", "POST", "/api/v1/events", "conn-secret", `[{"id":"x","type":"poke","group":"g","time":"2026-11-25T08:00:00Z"}]`, 400, "unknown event type"},
		{"read api needs api token", "GET", "/api/v1/groups", "conn-secret", "", 401, "unknown or revoked"},
		{"group of another org", "GET", "/api/v1/groups/1", e.token, "", 404, "not found"},
		{"bad group id", "GET", "/api/v1/groups/abc/members", e.token, "", 400, "positive whole number"},
		{"bad limit", "GET", "/api/v1/actions?limit=0", "conn-secret", "", 400, "limit"},
		{"push connection cannot pull", "GET", "/api/v1/actions", "push-secret", "", 409, "push_url"},
		{"bad ack", "POST", "/api/v1/actions/ack", "conn-secret", `{"cursors":["x"]}`, 400, "not a cursor"},
		{"unknown endpoint", "GET", "/api/v1/nope", e.token, "", 404, "no API endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := e.do(t, tt.method, tt.path, tt.token, tt.body)
			msg, _ := out["error"].(map[string]any)["message"].(string)
			if code != tt.code || !strings.Contains(msg, tt.msg) {
				t.Fatalf("got %d %v, want %d with %q", code, out, tt.code, tt.msg)
			}
		})
	}
	if n, _ := e.db.CountEvents(context.Background(), "wx"); n != 0 {
		t.Fatalf("%d events stored by rejected requests", n)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/events", strings.NewReader(oneEvent))
	req.Header.Set("Authorization", "Bearer conn-secret")
	req.Header.Set("Content-Type", "text/plain")
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 415 {
		t.Fatalf("text/plain body: %d, want 415", resp.StatusCode)
	}
}

func TestPullAndAck(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var acts []chat.Action
	for i := 0; i < 3; i++ {
		acts = append(acts, chat.Action{Key: fmt.Sprint("k", i), Connection: "wx", Kind: chat.ActSend, Group: "g", Text: fmt.Sprint(i)})
	}
	acts = append(acts, chat.Action{Key: "other", Connection: "pushy", Kind: chat.ActSend, Group: "g"})
	if err := e.db.Enqueue(ctx, acts); err != nil {
		t.Fatal(err)
	}
	code, out := e.do(t, "GET", "/api/v1/actions?limit=2", "conn-secret", "")
	list, _ := out["actions"].([]any)
	if code != 200 || len(list) != 2 {
		t.Fatalf("pull = %d %v", code, out)
	}
	first := list[0].(map[string]any)
	if first["kind"] != "send" || first["text"] != "0" || first["key"] != "k0" {
		t.Fatalf("first action = %v", first)
	}
	next := out["next"].(string)
	code, out = e.do(t, "GET", "/api/v1/actions?after="+next, "conn-secret", "")
	if l, _ := out["actions"].([]any); code != 200 || len(l) != 1 {
		t.Fatalf("second page = %d %v", code, out)
	}
	code, out = e.do(t, "POST", "/api/v1/actions/ack", "conn-secret", fmt.Sprintf(`{"cursors":[%q]}`, first["cursor"]))
	if code != 200 || out["acked"] != 1.0 {
		t.Fatalf("ack = %d %v", code, out)
	}
	// Unacknowledged actions are offered again from the start.
	code, out = e.do(t, "GET", "/api/v1/actions", "conn-secret", "")
	if l, _ := out["actions"].([]any); code != 200 || len(l) != 2 {
		t.Fatalf("after ack = %d %v", code, out)
	}
}

// An action not due yet is held back from a pull, and the cursor stops
// before it: a bridge listing from its last cursor gets it when due.
func TestPullHoldsBackWhatIsNotDue(t *testing.T) {
	now := time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC)
	e := newEnv(t, func() time.Time { return now })
	ctx := context.Background()
	acts := []chat.Action{
		{Key: "a", Connection: "wx", Kind: chat.ActSend, Group: "g", Text: "now"},
		{Key: "w", Connection: "wx", Kind: chat.ActSend, Group: "g", Text: "welcome", NotBefore: now.Add(time.Minute)},
		{Key: "b", Connection: "wx", Kind: chat.ActSend, Group: "g", Text: "also now"},
	}
	if err := e.db.Enqueue(ctx, acts); err != nil {
		t.Fatal(err)
	}
	pull := func(after string) (texts []string, cursors []string, next string) {
		t.Helper()
		code, out := e.do(t, "GET", "/api/v1/actions?after="+after, "conn-secret", "")
		if code != 200 {
			t.Fatalf("pull = %d %v", code, out)
		}
		for _, a := range out["actions"].([]any) {
			texts = append(texts, a.(map[string]any)["text"].(string))
			cursors = append(cursors, a.(map[string]any)["cursor"].(string))
		}
		return texts, cursors, out["next"].(string)
	}
	texts, cursors, next := pull("0")
	if strings.Join(texts, ",") != "now,also now" || next != cursors[0] {
		t.Fatalf("pulled %q, next %s (cursors %v): want the due ones, the cursor before the held one", texts, next, cursors)
	}
	if code, out := e.do(t, "POST", "/api/v1/actions/ack", "conn-secret", fmt.Sprintf(`{"cursors":[%q,%q]}`, cursors[0], cursors[1])); code != 200 || out["acked"] != 2.0 {
		t.Fatalf("ack = %d %v", code, out)
	}
	now = now.Add(time.Minute)
	if texts, _, _ := pull(next); strings.Join(texts, ",") != "welcome" {
		t.Fatalf("when due: %q, want the welcome", texts)
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t)
	if code, _ := e.do(t, "GET", "/healthz", "", ""); code != 200 {
		t.Fatalf("healthz = %d", code)
	}
	if code, out := e.do(t, "GET", "/readyz", "", ""); code != 200 {
		t.Fatalf("readyz = %d %v", code, out)
	}
	// Why it is not ready is for an admin token; anyone else gets the
	// status alone.
	e.db.SQL().Exec("UPDATE schema_migrations SET version = version + 1000 WHERE version = (SELECT MAX(version) FROM schema_migrations)")
	code, out := e.do(t, "GET", "/readyz", "", "")
	if code != 503 || len(out) != 1 || out["status"] != "not ready" {
		t.Fatalf("anonymous readyz with a newer schema = %d %v, want 503 and the status alone", code, out)
	}
	for _, tok := range []string{e.read, "not-a-token"} {
		if code, out := e.do(t, "GET", "/readyz", tok, ""); code != 503 || len(out) != 1 {
			t.Fatalf("readyz with a read or a bad token = %d %v, want the status alone", code, out)
		}
	}
	if code, out := e.do(t, "GET", "/readyz", e.token, ""); code != 503 || !strings.Contains(fmt.Sprint(out), "schema") {
		t.Fatalf("readyz with an admin token = %d %v, want why", code, out)
	}
	e.db.Close()
	code, out = e.do(t, "GET", "/readyz", e.token, "")
	if code != 503 || out["status"] != "not ready" {
		t.Fatalf("readyz with the database closed = %d %v, want 503", code, out)
	}
}
