package onebot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// fakeImpl is a fake OneBot implementation: it sends recorded event frames
// and answers API calls the way NapCat does, recording every call.
type fakeImpl struct {
	t *testing.T

	mu    sync.Mutex
	calls []apiCall
	// answer decides the answer to a call; nil answers ok with no data. A
	// nil *reply means "never answer".
	answer func(c apiCall) *reply
}

type apiCall struct {
	Action string         `json:"action"`
	Params map[string]any `json:"params"`
	Echo   any            `json:"echo"`
}

type reply struct {
	Status  string `json:"status"`
	Retcode int    `json:"retcode"`
	Data    any    `json:"data"`
	Message string `json:"message,omitempty"`
	Wording string `json:"wording,omitempty"`
	Echo    any    `json:"echo"`
	delay   time.Duration
}

func ok(data any) *reply { return &reply{Status: "ok", Retcode: 0, Data: data} }

func (f *fakeImpl) recorded() []apiCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// serve sends frames, then answers calls until the connection ends.
func (f *fakeImpl) serve(ctx context.Context, ws *websocket.Conn, frames [][]byte) {
	for _, fr := range frames {
		if err := ws.Write(ctx, websocket.MessageText, fr); err != nil {
			return
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		_, data, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var c apiCall
		if err := json.Unmarshal(data, &c); err != nil {
			f.t.Errorf("fake: bad call frame %s: %v", data, err)
			return
		}
		f.mu.Lock()
		f.calls = append(f.calls, c)
		answer := f.answer
		f.mu.Unlock()
		r := ok(nil)
		if answer != nil {
			r = answer(c)
		}
		if r == nil {
			continue
		}
		r.Echo = c.Echo
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(r.delay)
			b, _ := json.Marshal(r)
			_ = ws.Write(ctx, websocket.MessageText, b)
		}()
	}
}

// memSink records ingested events; it fails the first `fail` calls.
type memSink struct {
	mu     sync.Mutex
	fail   int
	calls  int
	events []chat.Event
}

func (s *memSink) Ingest(ctx context.Context, evs []chat.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail > 0 {
		s.fail--
		return errors.New("database is locked")
	}
	s.events = append(s.events, evs...)
	return nil
}

func (s *memSink) got() []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// fastSleep records waits and returns at once.
type fastSleep struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *fastSleep) Sleep(ctx context.Context, d time.Duration) bool {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return false
	case <-time.After(time.Millisecond):
		return true
	}
}

func (s *fastSleep) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.waits)
}

func frames(t *testing.T, names ...string) [][]byte {
	var out [][]byte
	for _, n := range names {
		out = append(out, readFrame(t, n))
	}
	return out
}

func runAdapter(t *testing.T, a *Adapter, sink chat.Sink) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, sink) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v, want nil on cancel", err)
			}
		case <-time.After(15 * time.Second): // a close may wait 5 s for an implementation's answer
			t.Error("Run did not return within 15 s of the cancel")
		}
	})
}

var eventFrames = []string{"group_text", "group_ban", "group_increase_invite", "meta_heartbeat", "group_image_caption", "request_group_add", "group_decrease_kick"}

func checkEvents(t *testing.T, got []chat.Event) {
	t.Helper()
	var ids []string
	for _, ev := range got {
		ids = append(ids, string(ev.Type)+"/"+ev.Sender.ID)
	}
	want := []string{"message/1801234567", "member_joined/1809990002", "message/1801234569", "member_left/1809990002"}
	if !slices.Equal(ids, want) {
		t.Fatalf("events in order: got %v, want %v", ids, want)
	}
	if got[0].Message.Text != "大家好，今天的微营销作业已发群文件" || got[2].Message.Kind != chat.KindImage || got[1].Inviter == nil || got[1].Inviter.ID != "1801234568" {
		t.Errorf("mapping: %+v", got)
	}
}

// checkActions makes one of each action and checks what the implementation received.
func checkActions(t *testing.T, a *Adapter, impl *fakeImpl) {
	t.Helper()
	ctx := context.Background()
	acts := []chat.Action{
		{Kind: chat.ActSend, Group: "735001206", Text: "请勿发广告 [CQ:at,qq=all]", MessageID: "-2147480013"},
		// A warning mentions the member natively, in place of "@name".
		{Kind: chat.ActSend, Group: "735001206", Text: "@阳新小王 请勿发广告", MessageID: "-2147480013", Mention: &chat.User{ID: "1801234568", Name: "阳新小王"}},
		{Kind: chat.ActSend, Group: "735001206", Text: "⚠️ 发广告", Mention: &chat.User{ID: "1801234568"}},
		// A welcome names each newcomer with an at segment.
		{Kind: chat.ActSend, Group: "735001206", Text: "欢迎 @阳新小王、@小李 加入", Mentions: []chat.Mention{
			{User: chat.User{ID: "1801234568", Name: "阳新小王"}, Offset: 7, Length: 13}, {User: chat.User{ID: "1801234569", Name: "小李"}, Offset: 23, Length: 7}}},
		{Kind: chat.ActDelete, Group: "735001206", MessageID: "-2147480013"},
		{Kind: chat.ActMute, Group: "735001206", User: "1801234573", Duration: chat.Duration(10 * time.Minute)},
		// Retried five minutes into a ten-minute mute: it still ends when
		// it was meant to (301 s: half a second of margin, rounded up).
		{Kind: chat.ActMute, Group: "735001206", User: "1801234573", Duration: chat.Duration(10 * time.Minute), Until: time.Now().Add(5*time.Minute + 500*time.Millisecond)},
		// Retried after its end: not made.
		{Kind: chat.ActMute, Group: "735001206", User: "1801234573", Duration: chat.Duration(10 * time.Minute), Until: time.Now().Add(-time.Second)},
		{Kind: chat.ActUnmute, Group: "735001206", User: "1801234573"},
		{Kind: chat.ActKick, Group: "735001206", User: "1801234573"},
		{Kind: chat.ActBan, Group: "735001206", User: "1801234574"},
		{Kind: chat.ActSetNotice, Group: "735001206", Text: "群规：禁止广告"},
		{Kind: chat.ActSetRole, Group: "735001206", User: "1801234575", Text: "admin"},
		{Kind: chat.ActSetRole, Group: "735001206", User: "1801234575", Text: "member"},
	}
	for _, act := range acts {
		if err := a.Do(ctx, act); err != nil {
			t.Fatalf("%s: %v", act.Kind, err)
		}
	}
	err := a.Do(ctx, chat.Action{Kind: chat.ActUnban, Group: "735001206", User: "1801234574"})
	if !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "no call to lift a ban") {
		t.Errorf("unban: %v, want a permanent error", err)
	}
	var got []string
	for _, c := range impl.recorded() {
		p, _ := json.Marshal(c.Params)
		got = append(got, c.Action+" "+string(p))
	}
	want := []string{
		`send_group_msg {"group_id":735001206,"message":[{"data":{"id":"-2147480013"},"type":"reply"},{"data":{"text":"请勿发广告 [CQ:at,qq=all]"},"type":"text"}]}`,
		`send_group_msg {"group_id":735001206,"message":[{"data":{"id":"-2147480013"},"type":"reply"},{"data":{"qq":"1801234568"},"type":"at"},{"data":{"text":" 请勿发广告"},"type":"text"}]}`,
		`send_group_msg {"group_id":735001206,"message":[{"data":{"qq":"1801234568"},"type":"at"},{"data":{"text":" ⚠️ 发广告"},"type":"text"}]}`,
		`send_group_msg {"group_id":735001206,"message":[{"data":{"text":"欢迎 "},"type":"text"},{"data":{"qq":"1801234568"},"type":"at"},{"data":{"text":"、"},"type":"text"},{"data":{"qq":"1801234569"},"type":"at"},{"data":{"text":" 加入"},"type":"text"}]}`,
		`delete_msg {"message_id":-2147480013}`,
		`set_group_ban {"duration":600,"group_id":735001206,"user_id":1801234573}`,
		`set_group_ban {"duration":301,"group_id":735001206,"user_id":1801234573}`,
		`set_group_ban {"duration":0,"group_id":735001206,"user_id":1801234573}`,
		`set_group_kick {"group_id":735001206,"reject_add_request":false,"user_id":1801234573}`,
		`set_group_kick {"group_id":735001206,"reject_add_request":true,"user_id":1801234574}`,
		`_send_group_notice {"content":"群规：禁止广告","group_id":735001206}`,
		`set_group_admin {"enable":true,"group_id":735001206,"user_id":1801234575}`,
		`set_group_admin {"enable":false,"group_id":735001206,"user_id":1801234575}`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("calls:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(want, "\n     "))
	}
	echoes := map[any]bool{}
	for _, c := range impl.recorded() {
		if c.Echo == nil || echoes[c.Echo] {
			t.Errorf("echo %v missing or reused", c.Echo)
		}
		echoes[c.Echo] = true
	}
}

func forwardServer(t *testing.T, impl *fakeImpl, token string, frames func(n int) [][]byte, dropAfterFrames func(n int) bool) *httptest.Server {
	var mu sync.Mutex
	n := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" && r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "bad token", http.StatusUnauthorized)
			return
		}
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		mu.Lock()
		n++
		k := n
		mu.Unlock()
		if dropAfterFrames != nil && dropAfterFrames(k) {
			for _, fr := range frames(k) {
				_ = ws.Write(r.Context(), websocket.MessageText, fr)
			}
			ws.Close(websocket.StatusGoingAway, "implementation restarting")
			return
		}
		impl.serve(r.Context(), ws, frames(k))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func wsURL(srv *httptest.Server) string { return "ws" + strings.TrimPrefix(srv.URL, "http") }

func TestForwardEndToEnd(t *testing.T) {
	impl := &fakeImpl{t: t}
	srv := forwardServer(t, impl, "s3cret", func(int) [][]byte { return frames(t, eventFrames...) }, nil)
	logs := &syncBuffer{}
	a, err := New(Config{Name: "qq", Mode: ModeForward, URL: wsURL(srv), AccessToken: "s3cret", Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	runAdapter(t, a, sink)
	waitFor(t, "4 events", func() bool { return len(sink.got()) >= 4 })
	checkEvents(t, sink.got())
	st := a.Status()
	if !st.Connected || st.SelfID != "2854196310" || st.LastHeartbeat.IsZero() || st.Interval != 30*time.Second || !st.Ready(time.Now()) {
		t.Errorf("status %+v", st)
	}
	if st.Ready(time.Now().Add(2 * time.Minute)) {
		t.Error("status ready although heartbeats stopped for 4 intervals")
	}
	if !strings.Contains(logs.String(), "join request not handled") {
		t.Errorf("the join request was not logged:\n%s", logs)
	}
	checkActions(t, a, impl)
}

func TestForwardBadToken(t *testing.T) {
	impl := &fakeImpl{t: t}
	srv := forwardServer(t, impl, "right", func(int) [][]byte { return nil }, nil)
	sl := &fastSleep{}
	a, err := New(Config{Name: "qq", Mode: ModeForward, URL: wsURL(srv), AccessToken: "wrong", Sleep: sl.Sleep})
	if err != nil {
		t.Fatal(err)
	}
	runAdapter(t, a, &memSink{})
	waitFor(t, "two failed attempts", func() bool { return len(sl.recorded()) >= 2 })
	st := a.Status()
	if st.Connected || !strings.Contains(st.LastError, "refused the access token") {
		t.Errorf("status %+v", st)
	}
}

func TestForwardReconnect(t *testing.T) {
	impl := &fakeImpl{t: t}
	// The first connection sends one event and drops; the second sends another and stays.
	srv := forwardServer(t, impl, "", func(n int) [][]byte {
		if n == 1 {
			return frames(t, "group_text")
		}
		return frames(t, "group_image_caption")
	}, func(n int) bool { return n == 1 })
	logs := &syncBuffer{}
	sl := &fastSleep{}
	a, err := New(Config{Name: "qq", Mode: ModeForward, URL: wsURL(srv), Sleep: sl.Sleep, MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	sink := &memSink{}
	runAdapter(t, a, sink)
	waitFor(t, "events from both connections", func() bool { return len(sink.got()) == 2 })
	waitFor(t, "reconnected status", func() bool { return a.Status().Connected })
	if got := sink.got(); got[0].ID != "-2147480001" || got[1].ID != "-2147480005" {
		t.Errorf("events %v", got)
	}
	if !strings.Contains(logs.String(), "connection lost; reconnecting") || !strings.Contains(logs.String(), "reconnects=1") {
		t.Errorf("reconnect not logged:\n%s", logs)
	}
	for _, w := range sl.recorded() {
		if w < 80*time.Millisecond || w > 120*time.Millisecond {
			t.Errorf("first backoff %s outside 100ms±20%%", w)
		}
	}
	// Calls work on the new connection.
	if err := a.Do(context.Background(), chat.Action{Kind: chat.ActDelete, Group: "1", MessageID: "2"}); err != nil {
		t.Fatal(err)
	}
}

func TestBackoffGrowsWithJitter(t *testing.T) {
	a, err := New(Config{Name: "qq", Mode: ModeReverse, AccessToken: testToken, MinBackoff: time.Second, MaxBackoff: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, base := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 6: 30 * time.Second, 60: 30 * time.Second} {
		seen := map[time.Duration]bool{}
		for range 50 {
			d := a.backoff(attempt)
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("attempt %d: %s outside %s±20%%", attempt, d, base)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("attempt %d: no jitter", attempt)
		}
	}
}

// reverseClient dials the adapter as a OneBot implementation in reverse mode.
// testToken is the access token of the reverse connections in tests.
const testToken = "onebot-test-token-0123456789"

// reverseClient connects to a reverse connection as an implementation
// does, with the access token unless h names one.
func reverseClient(t *testing.T, url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	if h == nil {
		h = http.Header{}
	}
	if h.Get("Authorization") == "" {
		h.Set("Authorization", "Bearer "+testToken)
	}
	return dialRaw(url, h)
}

// dialRaw connects with exactly the headers h.
func dialRaw(url string, h http.Header) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
}

func newReverse(t *testing.T, cfg Config) (*Adapter, *httptest.Server) {
	t.Helper()
	cfg.Name, cfg.Mode = "qq", ModeReverse
	if cfg.AccessToken == "" {
		cfg.AccessToken = testToken
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a)
	t.Cleanup(srv.Close)
	return a, srv
}

func TestReverseEndToEnd(t *testing.T) {
	a, srv := newReverse(t, Config{SelfID: "2854196310"})
	sink := &memSink{fail: 2}
	sl := &fastSleep{}
	a.cfg.Sleep = sl.Sleep
	runAdapter(t, a, sink)

	impl := &fakeImpl{t: t, answer: func(c apiCall) *reply {
		switch c.Action {
		case "get_group_member_list":
			return ok([]map[string]any{
				{"group_id": 735001206, "user_id": 1801234567, "nickname": "吕凯", "card": "5-1-3305吕凯", "role": "owner", "join_time": 1700000000, "last_sent_time": 1764037800, "level": "12"},
				{"group_id": 735001206, "user_id": 1801234568, "nickname": "阳新小王", "card": "", "role": "member", "join_time": 1710000000, "last_sent_time": 0, "level": 3},
			})
		case "get_group_info":
			return ok(map[string]any{"group_id": 735001206, "group_name": "NF-阳新第6期微营销培训群", "member_count": 2, "max_member_count": 500})
		}
		return ok(map[string]any{"message_id": 1})
	}}
	h := http.Header{"Authorization": {"Bearer " + testToken}, "X-Self-ID": {"2854196310"}, "X-Client-Role": {"Universal"}}
	ws, _, err := reverseClient(t, wsURL(srv), h)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go impl.serve(ctx, ws, frames(t, eventFrames...))

	waitFor(t, "4 events", func() bool { return len(sink.got()) >= 4 })
	checkEvents(t, sink.got())
	if len(sl.recorded()) != 2 {
		t.Errorf("sink retries: %v, want 2 waits", sl.recorded())
	}
	if !a.Status().Connected || a.Status().SelfID != "2854196310" {
		t.Errorf("status %+v", a.Status())
	}

	members, err := a.GetGroupMemberList(ctx, "735001206")
	if err != nil {
		t.Fatal(err)
	}
	if len(members) != 2 || members[0].UserID != "1801234567" || members[0].Name() != "5-1-3305吕凯" || members[0].Role != "owner" ||
		!members[0].JoinTime.Equal(time.Unix(1700000000, 0)) || members[1].Name() != "阳新小王" || members[1].Level != "3" || !members[1].LastSentTime.IsZero() {
		t.Errorf("members %+v", members)
	}
	info, err := a.GetGroupInfo(ctx, "735001206")
	if err != nil {
		t.Fatal(err)
	}
	if info != (GroupInfo{GroupID: "735001206", Name: "NF-阳新第6期微营销培训群", MemberCount: 2, MaxMemberCount: 500}) {
		t.Errorf("info %+v", info)
	}
	impl.mu.Lock()
	impl.calls, impl.answer = nil, nil
	impl.mu.Unlock()
	checkActions(t, a, impl)

	// The implementation goes away: calls fail retryably, status says so.
	ws.Close(websocket.StatusNormalClosure, "bye")
	waitFor(t, "disconnected status", func() bool { return !a.Status().Connected })
	err = a.Do(ctx, chat.Action{Kind: chat.ActSend, Group: "1", Text: "hi"})
	if !errors.Is(err, ErrNotConnected) || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("not connected: %v", err)
	}
}

func TestReverseHandshake(t *testing.T) {
	_, srv := newReverse(t, Config{SelfID: "2854196310"})
	tests := []struct {
		name   string
		query  string
		header http.Header
		status int
	}{
		{"no token", "", http.Header{}, http.StatusUnauthorized},
		{"wrong token", "", http.Header{"Authorization": {"Bearer nope"}}, http.StatusUnauthorized},
		{"wrong query token", "?access_token=nope", nil, http.StatusUnauthorized},
		{"empty token", "?access_token=", http.Header{"Authorization": {"Bearer "}}, http.StatusUnauthorized},
		// A web page of another site, even with the token (a browser
		// would send the cookie-less request with the page's Origin).
		{"other site's page", "", http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"https://evil.example.com"}}, http.StatusForbidden},
		{"unparsable origin", "", http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {"null"}}, http.StatusForbidden},
		{"other account", "", http.Header{"Authorization": {"Bearer " + testToken}, "X-Self-ID": {"10001"}}, http.StatusForbidden},
		{"bad role", "", http.Header{"Authorization": {"Bearer " + testToken}, "X-Client-Role": {"Boss"}}, http.StatusBadRequest},
		{"bearer", "", http.Header{"Authorization": {"Bearer " + testToken}, "X-Self-ID": {"2854196310"}}, http.StatusSwitchingProtocols},
		{"old token scheme", "", http.Header{"Authorization": {"Token " + testToken}}, http.StatusSwitchingProtocols},
		{"query token", "?access_token=" + testToken, nil, http.StatusSwitchingProtocols},
		{"event role", "", http.Header{"Authorization": {"Bearer " + testToken}, "X-Client-Role": {"Event"}}, http.StatusSwitchingProtocols},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws, resp, err := dialRaw(wsURL(srv)+tt.query, tt.header)
			if ws != nil {
				defer ws.CloseNow()
			}
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d (%v)", resp.StatusCode, tt.status, err)
			}
		})
	}
	// The right token on a plain request: a WebSocket is wanted.
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain request: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// A page of qunzhu's own address is not another site.
	ws, resp, err := dialRaw(wsURL(srv), http.Header{"Authorization": {"Bearer " + testToken}, "Origin": {srv.URL}})
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Errorf("same-site origin: %v %v", resp, err)
	} else {
		ws.CloseNow()
	}
}

// With separate roles, events come on the Event connection and calls go
// over the API connection.
func TestReverseSeparateRoles(t *testing.T) {
	a, srv := newReverse(t, Config{})
	sink := &memSink{}
	runAdapter(t, a, sink)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	ev, _, err := reverseClient(t, wsURL(srv), http.Header{"X-Client-Role": {"Event"}, "X-Self-ID": {"2854196310"}})
	if err != nil {
		t.Fatal(err)
	}
	defer ev.CloseNow()
	for _, fr := range frames(t, "group_text") {
		if err := ev.Write(ctx, websocket.MessageText, fr); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "event", func() bool { return len(sink.got()) == 1 })
	if a.Status().Connected {
		t.Error("an Event-only connection cannot take calls, yet status says connected")
	}
	api, _, err := reverseClient(t, wsURL(srv), http.Header{"X-Client-Role": {"API"}})
	if err != nil {
		t.Fatal(err)
	}
	impl := &fakeImpl{t: t}
	go impl.serve(ctx, api, nil)
	waitFor(t, "api connection", func() bool { return a.Status().Connected })
	if err := a.Do(ctx, chat.Action{Kind: chat.ActKick, Group: "1", User: "2"}); err != nil {
		t.Fatal(err)
	}
	if c := impl.recorded(); len(c) != 1 || c[0].Action != "set_group_kick" {
		t.Errorf("calls %+v", c)
	}
}

func TestConcurrentCallsEchoCorrelation(t *testing.T) {
	a, srv := newReverse(t, Config{})
	runAdapter(t, a, &memSink{})
	const n = 40
	var mu sync.Mutex
	held := []apiCall{}
	release := make(chan struct{})
	impl := &fakeImpl{t: t}
	impl.answer = func(c apiCall) *reply {
		mu.Lock()
		defer mu.Unlock()
		held = append(held, c)
		if len(held) == n {
			close(release)
		}
		gid := c.Params["group_id"].(float64)
		// Later calls answer first: answers arrive out of order.
		r := ok(map[string]any{"group_id": gid, "group_name": fmt.Sprintf("群%d", int64(gid)), "member_count": int64(gid) % 500})
		r.delay = time.Duration(n-len(held)) * time.Millisecond
		return r
	}
	ws, _, err := reverseClient(t, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go impl.serve(ctx, ws, nil)
	waitFor(t, "connected", func() bool { return a.Status().Connected })

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := fmt.Sprint(700000000 + i)
			info, err := a.GetGroupInfo(ctx, g)
			if err != nil {
				errs <- err
				return
			}
			if info.GroupID != g || info.Name != "群"+g {
				errs <- fmt.Errorf("call for %s got the answer for %s (%s)", g, info.GroupID, info.Name)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	a.mu.Lock()
	left := len(a.pending)
	a.mu.Unlock()
	if left != 0 {
		t.Errorf("%d pending calls left behind", left)
	}
}

func TestCallTimeoutAndLostConnection(t *testing.T) {
	a, srv := newReverse(t, Config{CallTimeout: 100 * time.Millisecond})
	runAdapter(t, a, &memSink{})
	impl := &fakeImpl{t: t, answer: func(apiCall) *reply { return nil }} // never answers
	ws, _, err := reverseClient(t, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go impl.serve(ctx, ws, nil)
	waitFor(t, "connected", func() bool { return a.Status().Connected })

	start := time.Now()
	err = a.Do(ctx, chat.Action{Kind: chat.ActSend, Group: "1", Text: "hi"})
	if err == nil || errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("timeout: %v", err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("timeout took %s", el)
	}

	// A call in flight when the connection drops fails at once, retryably.
	a.cfg.CallTimeout = 10 * time.Second
	go func() {
		waitFor(t, "second call", func() bool { return len(impl.recorded()) == 2 })
		ws.Close(websocket.StatusGoingAway, "restart")
	}()
	start = time.Now()
	err = a.Do(ctx, chat.Action{Kind: chat.ActSend, Group: "1", Text: "hi"})
	if err == nil || errors.Is(err, chat.ErrPermanent) || time.Since(start) > 5*time.Second {
		t.Errorf("lost connection: %v after %s", err, time.Since(start))
	}
}

func TestFailedCalls(t *testing.T) {
	a, srv := newReverse(t, Config{})
	runAdapter(t, a, &memSink{})
	impl := &fakeImpl{t: t, answer: func(c apiCall) *reply {
		switch c.Action {
		case "_send_group_notice":
			return &reply{Status: "failed", Retcode: 1404, Message: "API不存在"}
		case "set_group_kick":
			return &reply{Status: "failed", Retcode: 200, Message: "发送频率过快", Wording: "发送频率过快"}
		case "set_group_ban":
			return &reply{Status: "failed", Retcode: 1400, Message: "user_id 无效"}
		}
		return &reply{Status: "failed", Retcode: 100, Message: "timeout of upstream"}
	}}
	ws, _, err := reverseClient(t, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go impl.serve(ctx, ws, nil)
	waitFor(t, "connected", func() bool { return a.Status().Connected })

	err = a.Do(ctx, chat.Action{Kind: chat.ActSetNotice, Group: "1", Text: "公告"})
	if !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "no _send_group_notice") {
		t.Errorf("notice: %v", err)
	}
	err = a.Do(ctx, chat.Action{Kind: chat.ActKick, Group: "1", User: "2"})
	var ra *chat.RetryAfterError
	if !errors.As(err, &ra) || ra.After != RateLimitWait || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("rate limit: %v", err)
	}
	err = a.Do(ctx, chat.Action{Kind: chat.ActMute, Group: "1", User: "2", Duration: chat.Duration(time.Second)})
	if !errors.Is(err, chat.ErrPermanent) {
		t.Errorf("bad request: %v", err)
	}
	err = a.Do(ctx, chat.Action{Kind: chat.ActSend, Group: "1", Text: "x"})
	var ce *CallError
	if !errors.As(err, &ce) || ce.Retcode != 100 || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("generic failure: %v", err)
	}
	// A mute under a minute is a minute: QQ's shortest.
	calls := impl.recorded()
	if d := calls[2].Params["duration"]; d != float64(60) {
		t.Errorf("mute of 1s sent as %v seconds", d)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		r         Response
		ok        bool
		permanent bool
		retry     bool
	}{
		{Response{Status: "ok"}, true, false, false},
		{Response{Status: "async", Retcode: 1}, true, false, false},
		{Response{Status: "failed", Retcode: 1400}, false, true, false},
		{Response{Status: "failed", Retcode: 1404}, false, true, false},
		{Response{Status: "failed", Retcode: 1403}, false, true, false},
		{Response{Status: "failed", Retcode: 100, Wording: "权限不足"}, false, true, false},
		{Response{Status: "failed", Retcode: 100, Message: "Rate limit exceeded"}, false, false, true},
		{Response{Status: "failed", Retcode: 100, Message: "操作过于频繁"}, false, false, true},
		{Response{Status: "failed", Retcode: 102}, false, false, false},
		{Response{Status: "failed", Retcode: 0}, false, false, false},
	}
	for _, tt := range tests {
		_, err := classify("x", &tt.r)
		var ra *chat.RetryAfterError
		if (err == nil) != tt.ok || errors.Is(err, chat.ErrPermanent) != tt.permanent || errors.As(err, &ra) != tt.retry {
			t.Errorf("%+v: %v", tt.r, err)
		}
	}
}

func TestDoValidation(t *testing.T) {
	caps, err := ParseCapabilities("send, delete")
	if err != nil {
		t.Fatal(err)
	}
	a, err := New(Config{Name: "wx", Mode: ModeReverse, AccessToken: testToken, Capabilities: caps})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Capabilities(); !got.Can(chat.ActSend) || !got.Can(chat.ActDelete) || got.Can(chat.ActMute) || got.Can(chat.ActUnban) {
		t.Errorf("capabilities %v", got)
	}
	for _, act := range []chat.Action{
		{Kind: chat.ActMute, Group: "1", User: "2"},
		{Kind: "explode", Group: "1"},
		{Kind: chat.ActSend, Group: "abc", Text: "x"},
		{Kind: chat.ActSend, Group: "1", Text: "  "},
		{Kind: chat.ActDelete, Group: "1", MessageID: ""},
	} {
		if err := a.Do(context.Background(), act); !errors.Is(err, chat.ErrPermanent) {
			t.Errorf("%+v: %v, want permanent", act, err)
		}
	}
	// Valid but nobody connected: retryable.
	err = a.Do(context.Background(), chat.Action{Kind: chat.ActSend, Group: "1", Text: "x"})
	if !errors.Is(err, ErrNotConnected) || errors.Is(err, chat.ErrPermanent) {
		t.Errorf("not connected: %v", err)
	}
	full, _ := New(Config{Name: "qq", Mode: ModeReverse, AccessToken: testToken})
	if c := full.Capabilities(); !c.Can(chat.ActMute) || !c.Can(chat.ActSetNotice) || c.Can(chat.ActUnban) {
		t.Errorf("native capabilities %v", c)
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		cfg Config
		err string
	}{
		{Config{Mode: ModeReverse}, "name required"},
		{Config{Name: "qq"}, `mode ""`},
		{Config{Name: "qq", Mode: "both"}, `mode "both"`},
		{Config{Name: "qq", Mode: ModeForward}, "want ws://"},
		{Config{Name: "qq", Mode: ModeForward, URL: "http://127.0.0.1:3001"}, "want ws://"},
		{Config{Name: "qq", Mode: ModeReverse, URL: "ws://x", AccessToken: testToken}, "url is for forward mode"},
		{Config{Name: "qq", Mode: ModeReverse, AccessToken: testToken, SelfID: "abc"}, "self_id"},
		{Config{Name: "qq", Mode: ModeReverse, AccessToken: testToken, CallTimeout: -time.Second}, "negative"},
		{Config{Name: "qq", Mode: ModeReverse}, "access_token of at least 16 characters required in reverse mode"},
		{Config{Name: "qq", Mode: ModeReverse, AccessToken: "short-token"}, "access_token of at least 16"},
		{Config{Name: "qq", Mode: ModeReverse, AccessToken: testToken}, ""},
		{Config{Name: "qq", Mode: ModeForward, URL: "ws://127.0.0.1:3001"}, ""}, // the implementation's own setting
		{Config{Name: "qq", Mode: ModeForward, URL: "wss://bot.example.cn:3001/"}, ""},
	}
	for _, tt := range tests {
		_, err := New(tt.cfg)
		if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("New(%+v) = %v, want %q", tt.cfg, err, tt.err)
		}
	}
}

func TestParseCapabilities(t *testing.T) {
	tests := []struct {
		in   string
		want []chat.ActionKind
		err  string
	}{
		{"", nil, ""},
		{"send", []chat.ActionKind{chat.ActSend}, ""},
		{" Send , delete,", []chat.ActionKind{chat.ActSend, chat.ActDelete}, ""},
		{"all", []chat.ActionKind{chat.ActSend, chat.ActDelete, chat.ActMute, chat.ActUnmute, chat.ActKick, chat.ActBan, chat.ActSetNotice, chat.ActSetRole}, ""},
		{"unban", nil, "no call to lift a ban"},
		{"send,fly", nil, `unknown action "fly"`},
	}
	for _, tt := range tests {
		got, err := ParseCapabilities(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		var kinds []chat.ActionKind
		for _, k := range chat.ActionKinds {
			if got.Can(k) {
				kinds = append(kinds, k)
			}
		}
		if !slices.Equal(kinds, tt.want) {
			t.Errorf("%q: %v, want %v", tt.in, kinds, tt.want)
		}
	}
}

func TestFromOptions(t *testing.T) {
	cfg, err := FromOptions("qq", map[string]string{"mode": "forward", "url": "ws://127.0.0.1:3001", "access_token": "t", "self_id": "10001", "call_timeout": "15s", "capabilities": "send,delete"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != ModeForward || cfg.URL != "ws://127.0.0.1:3001" || cfg.AccessToken != "t" || cfg.SelfID != "10001" || cfg.CallTimeout != 15*time.Second || !cfg.Capabilities.Can(chat.ActDelete) || cfg.Capabilities.Can(chat.ActKick) {
		t.Errorf("%+v", cfg)
	}
	if _, err := New(cfg); err != nil {
		t.Error(err)
	}
	if cfg, _ := FromOptions("qq", map[string]string{"mode": "reverse"}, nil); cfg.Capabilities != nil {
		t.Error("no capabilities option must mean native capabilities")
	}
	for _, bad := range []map[string]string{{"call_timeout": "soon"}, {"call_timeout": "-1s"}, {"capabilities": "fly"}} {
		if _, err := FromOptions("qq", bad, nil); err == nil {
			t.Errorf("%v: want an error", bad)
		}
	}
}

func TestForwardModeRefusesReverseConnections(t *testing.T) {
	a, err := New(Config{Name: "qq", Mode: ModeForward, URL: "ws://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	a.ServeHTTP(rec, httptest.NewRequest("GET", "/onebot/v11/ws/qq", nil))
	if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "正向") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestStatusAccountsAndReplacement(t *testing.T) {
	logs := &syncBuffer{}
	a, srv := newReverse(t, Config{SelfID: "2854196310", Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if a.Name() != "qq" || a.Platform() != "onebot" {
		t.Errorf("name %q platform %q", a.Name(), a.Platform())
	}
	sink := &memSink{}
	runAdapter(t, a, sink)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first, _, err := reverseClient(t, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer first.CloseNow()
	other := bytes.Replace(readFrame(t, "group_text"), []byte(`"self_id": 2854196310`), []byte(`"self_id": 10001`), 1)
	offline := []byte(`{"time":1764037830,"self_id":2854196310,"post_type":"meta_event","meta_event_type":"heartbeat","status":{"online":false,"good":false},"interval":5000}`)
	for _, fr := range [][]byte{other, []byte(`{"junk":`), readFrame(t, "meta_lifecycle"), offline, readFrame(t, "group_nickname_only")} {
		if err := first.Write(ctx, websocket.MessageText, fr); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "the event of our account", func() bool { return len(sink.got()) == 1 })
	if got := sink.got()[0]; got.Sender.ID != "1801234568" {
		t.Errorf("the other account's frame was ingested: %+v", got)
	}
	st := a.Status()
	if !st.Connected || st.Online || st.Interval != 5*time.Second || st.Ready(time.Now()) {
		t.Errorf("status after an offline heartbeat: %+v", st)
	}
	for _, want := range []string{"frame from another account skipped", "unreadable frame skipped", "lifecycle"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	// A second Universal connection (the implementation restarted) replaces the first.
	second, _, err := reverseClient(t, wsURL(srv), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Closed before the adapter stops: once impl stops reading, the
	// adapter's close would wait its 5 s for an answer.
	defer second.CloseNow()
	impl := &fakeImpl{t: t}
	go impl.serve(ctx, second, nil)
	if _, _, err := first.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Errorf("the old connection was not closed as replaced: %v", err)
	}
	waitFor(t, "online again", func() bool { return a.Status().Connected && a.Status().Online })
	if err := a.Do(ctx, chat.Action{Kind: chat.ActDelete, Group: "1", MessageID: "5"}); err != nil {
		t.Fatal(err)
	}
	if len(impl.recorded()) != 1 {
		t.Errorf("the call did not go over the new connection: %+v", impl.recorded())
	}
}

// TestLogNamesConnectionOnce: the caller's logger names the connection;
// the adapter adds only the platform.
func TestLogNamesConnectionOnce(t *testing.T) {
	logs := &syncBuffer{}
	_, srv := newReverse(t, Config{Logger: slog.New(slog.NewTextHandler(logs, nil)).With("connection", "qq")})
	if _, resp, _ := dialRaw(wsURL(srv), http.Header{"Authorization": {"Bearer wrong"}}); resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v", resp)
	}
	if got := logs.String(); !strings.Contains(got, "platform=onebot") || strings.Count(got, "connection=qq") != 1 {
		t.Errorf("log: %s", got)
	}
}

// TestStopClosesHungConnectionsTogether: stopping closes the connections
// side by side. A close waits up to 5 s for the implementation's answer
// (the websocket library's wait), so two implementations that no longer
// read hold the stop about 5 s, not 10.
func TestStopClosesHungConnectionsTogether(t *testing.T) {
	a, srv := newReverse(t, Config{SelfID: "2854196310"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, &memSink{}) }()
	for _, role := range []string{"API", "Event"} {
		c, _, err := reverseClient(t, wsURL(srv), http.Header{"X-Client-Role": {role}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow() // never read: the close handshake goes unanswered
	}
	waitFor(t, "both connected", func() bool {
		a.mu.Lock()
		defer a.mu.Unlock()
		return len(a.conns) == 2
	})
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run returned %v, want nil on cancel", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return within 30 s of the cancel")
	}
	if took := time.Since(start); took > 9*time.Second {
		t.Errorf("stopping took %v: the hung connections were closed one after another", took.Round(time.Millisecond))
	}
}
