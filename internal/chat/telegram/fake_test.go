package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

const testToken = "123456789:AAEhBOweik9ai2o4dSheUq8aQo7zWq0Gs-x"

// fakeAPI is a Bot API server for tests: it records every call, replays
// queued updates to getUpdates the way Telegram does (an update is
// dropped once getUpdates is called with an offset past it), and answers
// scripted replies.
type fakeAPI struct {
	t     testing.TB
	srv   *httptest.Server
	token string

	mu      sync.Mutex
	calls   []apiCall
	updates []json.RawMessage    // not yet confirmed, in update_id order
	replies map[string][]fakeRep // method → replies used once each, before the default
	always  map[string]fakeRep   // method → reply used every time
	nextMsg int
	wake    chan struct{} // signalled when updates are queued
	// hasty makes getUpdates answer at once, without waiting for the
	// long poll's timeout (as some test servers do).
	hasty bool
}

type apiCall struct {
	Method string
	Params map[string]any
}

// fakeRep is a scripted answer: an HTTP status and a body.
type fakeRep struct {
	status int
	body   string
}

func okRep(result string) fakeRep { return fakeRep{200, `{"ok":true,"result":` + result + `}`} }

func errRep(code int, desc string, params string) fakeRep {
	body := fmt.Sprintf(`{"ok":false,"error_code":%d,"description":%q`, code, desc)
	if params != "" {
		body += `,"parameters":` + params
	}
	return fakeRep{code, body + "}"}
}

func newFakeAPI(t testing.TB) *fakeAPI {
	f := &fakeAPI{t: t, token: testToken, replies: map[string][]fakeRep{}, always: map[string]fakeRep{}, nextMsg: 9000, wake: make(chan struct{}, 1)}
	f.srv = httptest.NewServer(f)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) URL() string { return f.srv.URL }

// queue adds the updates of a recorded getUpdates answer (or single
// updates) to be delivered.
func (f *fakeAPI) queue(raws ...json.RawMessage) {
	f.mu.Lock()
	f.updates = append(f.updates, raws...)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// reply scripts the next answers of method, used once each in order.
func (f *fakeAPI) reply(method string, reps ...fakeRep) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies[method] = append(f.replies[method], reps...)
}

// fail makes every call of method answer rep.
func (f *fakeAPI) fail(method string, rep fakeRep) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.always[method] = rep
}

// Calls returns the recorded calls, optionally only those of the named
// methods.
func (f *fakeAPI) Calls(methods ...string) []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiCall
	for _, c := range f.calls {
		if len(methods) == 0 || slices.Contains(methods, c.Method) {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	w.Header().Set("Content-Type", "application/json")
	if !ok || !ok2 || r.Method != http.MethodPost {
		writeRep(w, errRep(404, "Not Found", ""))
		return
	}
	body, _ := io.ReadAll(r.Body)
	params := map[string]any{}
	if len(body) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&params); err != nil {
			f.t.Errorf("fake api: %s body is not JSON: %v: %s", method, err, body)
		}
	}
	f.mu.Lock()
	f.calls = append(f.calls, apiCall{Method: method, Params: params})
	if token != f.token {
		f.mu.Unlock()
		writeRep(w, errRep(401, "Unauthorized", ""))
		return
	}
	rep, scripted := f.always[method]
	if !scripted && len(f.replies[method]) > 0 {
		rep, scripted = f.replies[method][0], true
		f.replies[method] = f.replies[method][1:]
	}
	f.mu.Unlock()
	if scripted {
		writeRep(w, rep)
		return
	}
	writeRep(w, f.answer(r.Context(), method, params))
}

func writeRep(w http.ResponseWriter, rep fakeRep) {
	w.WriteHeader(rep.status)
	io.WriteString(w, rep.body)
}

// answer is Telegram's answer to a call that was not scripted.
func (f *fakeAPI) answer(ctx context.Context, method string, params map[string]any) fakeRep {
	switch method {
	case "getMe":
		return okRep(`{"id":7777000111,"is_bot":true,"first_name":"群助手","username":"qunzhu_test_bot","can_join_groups":true,"can_read_all_group_messages":true,"supports_inline_queries":false}`)
	case "getWebhookInfo":
		return okRep(`{"url":"","has_custom_certificate":false,"pending_update_count":0}`)
	case "getUpdates":
		wait := time.Duration(num(params["timeout"])) * time.Second
		f.mu.Lock()
		if f.hasty {
			wait = 0
		}
		f.mu.Unlock()
		return okRep(f.updatesFrom(ctx, num(params["offset"]), wait))
	case "sendMessage":
		f.mu.Lock()
		f.nextMsg++
		id := f.nextMsg
		f.mu.Unlock()
		text, _ := json.Marshal(params["text"])
		return okRep(fmt.Sprintf(`{"message_id":%d,"from":{"id":7777000111,"is_bot":true,"first_name":"群助手","username":"qunzhu_test_bot"},"chat":{"id":%s,"type":"supergroup","title":"T"},"date":1764300000,"text":%s}`, id, params["chat_id"], text))
	case "createChatInviteLink":
		name, _ := json.Marshal(params["name"])
		return okRep(fmt.Sprintf(`{"invite_link":"https://t.me/+AbCdEf123","creator":{"id":7777000111,"is_bot":true,"first_name":"群助手"},"creates_join_request":false,"is_primary":false,"is_revoked":false,"name":%s}`, name))
	case "getChat":
		return okRep(fmt.Sprintf(`{"id":%s,"type":"supergroup","title":"T","accent_color_id":0,"max_reaction_count":11,"accepted_gift_types":{"unlimited_gifts":false,"limited_gifts":false,"unique_gifts":false,"premium_subscription":false},"permissions":{"can_send_messages":true,"can_send_audios":true,"can_send_documents":true,"can_send_photos":true,"can_send_videos":true,"can_send_video_notes":true,"can_send_voice_notes":true,"can_send_polls":false,"can_send_other_messages":true,"can_add_web_page_previews":true,"can_change_info":false,"can_invite_users":true,"can_pin_messages":false,"can_manage_topics":false}}`, params["chat_id"]))
	}
	return okRep("true")
}

// updatesFrom confirms the updates before offset and returns the rest as a
// JSON list; with none it waits up to timeout for more, like a long poll.
func (f *fakeAPI) updatesFrom(ctx context.Context, offset int64, timeout time.Duration) string {
	deadline := time.After(timeout)
	for {
		f.mu.Lock()
		f.updates = slices.DeleteFunc(f.updates, func(raw json.RawMessage) bool { return updateID(raw) < offset })
		out := slices.Clone(f.updates)
		f.mu.Unlock()
		if len(out) > 0 {
			b, _ := json.Marshal(out)
			return string(b)
		}
		select {
		case <-f.wake:
		case <-deadline:
			return "[]"
		case <-ctx.Done():
			return "[]"
		}
	}
}

func updateID(raw json.RawMessage) int64 {
	var u struct {
		UpdateID int64 `json:"update_id"`
	}
	_ = json.Unmarshal(raw, &u)
	return u.UpdateID
}

func num(v any) int64 {
	n, ok := v.(json.Number)
	if !ok {
		return 0
	}
	i, _ := n.Int64()
	return i
}

// canon is a call's parameters as sorted JSON, for comparing.
func canon(c apiCall) string {
	b, _ := json.Marshal(c.Params)
	return c.Method + " " + string(b)
}

// memCursors is an in-memory cursor store.
type memCursors struct {
	mu    sync.Mutex
	m     map[string]string
	saves []string
	err   error // returned by SaveCursor when set
}

func (c *memCursors) LoadCursor(_ context.Context, conn, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[conn+"/"+key], nil
}

func (c *memCursors) SaveCursor(_ context.Context, conn, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return c.err
	}
	if c.m == nil {
		c.m = map[string]string{}
	}
	c.m[conn+"/"+key] = value
	c.saves = append(c.saves, value)
	return nil
}

func (c *memCursors) get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m["tg/"+key]
}

// memSink records what it accepts; fails makes the next n calls fail.
type memSink struct {
	mu      sync.Mutex
	batches [][]chat.Event
	calls   int
	fails   int
	block   bool // when set, Ingest waits for ctx and fails
	got     chan struct{}
}

func newSink() *memSink { return &memSink{got: make(chan struct{}, 100)} }

func (s *memSink) Ingest(ctx context.Context, evs []chat.Event) error {
	s.mu.Lock()
	s.calls++
	block := s.block
	if !block && s.fails > 0 {
		s.fails--
		s.mu.Unlock()
		return errors.New("database is locked")
	}
	if !block {
		s.batches = append(s.batches, slices.Clone(evs))
	}
	s.mu.Unlock()
	if block {
		s.got <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}
	s.got <- struct{}{}
	return nil
}

func (s *memSink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, b := range s.batches {
		for _, e := range b {
			out = append(out, e.ID)
		}
	}
	return out
}

func (s *memSink) events() []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []chat.Event
	for _, b := range s.batches {
		out = append(out, b...)
	}
	return out
}

func (s *memSink) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// waitFor waits until cond holds, failing the test after a few seconds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
