package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// sleeps records the waits an adapter asks for and returns at once.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) bool {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	time.Sleep(time.Millisecond)
	return ctx.Err() == nil
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}

// polling returns a polling adapter on the fake server.
func polling(t *testing.T, f *fakeAPI, cur *memCursors, sl *sleeps, edit func(*Config)) *Adapter {
	t.Helper()
	return testAdapter(t, func(c *Config) {
		c.APIURL, c.Cursors, c.PollTimeout, c.Sleep, c.Now = f.URL(), cur, time.Second, sl.sleep, time.Now
		if edit != nil {
			edit(c)
		}
	})
}

// start runs a in the background; stop cancels it and returns Run's error.
func start(t *testing.T, a *Adapter, sink chat.Sink) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, sink) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	return stop
}

func offsets(calls []apiCall) []int64 {
	var out []int64
	for _, c := range calls {
		out = append(out, num(c.Params["offset"]))
	}
	return out
}

func TestPollingDeliversAndSavesOffset(t *testing.T) {
	f := newFakeAPI(t)
	f.queue(recorded(t, "text")...)
	f.queue(recorded(t, "command_reply_mentions")...)
	f.queue(recorded(t, "private")...) // no event, but the offset moves past it
	cur := &memCursors{}
	sink := newSink()
	a := polling(t, f, cur, &sleeps{}, nil)
	stop := start(t, a, sink)
	waitFor(t, "the offset past the last update", func() bool { return cur.get("offset") == "900100033" })
	waitFor(t, "the next poll", func() bool { return len(f.Calls("getUpdates")) >= 2 })
	if err := stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	want := []string{group + ":4101", group + ":4103", group + ":4104"}
	if got := sink.ids(); !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
	if ev := sink.events()[2]; !slices.Equal(ev.Message.Mentions, []string{alice.ID, bob.ID}) {
		t.Errorf("mentions across one getUpdates answer: %v", ev.Message.Mentions)
	}
	calls := f.Calls()
	if calls[0].Method != "getMe" || calls[1].Method != "getWebhookInfo" || calls[2].Method != "getUpdates" {
		t.Fatalf("call order %v", calls[:3])
	}
	if got := canon(calls[2]); got != `getUpdates {"allowed_updates":["message","edited_message","my_chat_member","callback_query","chat_member"],"timeout":1}` {
		t.Errorf("first getUpdates: %s", got)
	}
	got := offsets(f.Calls("getUpdates"))
	if got[0] != 0 || got[1] != 900100033 {
		t.Errorf("getUpdates offsets %v: want 0, then past the answer", got)
	}
	s := a.Status()
	if s.BotUsername != "qunzhu_test_bot" || s.BotID != "7777000111" || s.Running || s.LastPoll.IsZero() || s.LastUpdate.IsZero() {
		t.Errorf("status after stop: %+v", s)
	}
}

func TestPollingStatusReady(t *testing.T) {
	f := newFakeAPI(t)
	a := polling(t, f, &memCursors{}, &sleeps{}, nil)
	if a.Status().Ready(time.Now()) || a.Health(time.Now()) == nil {
		t.Error("ready before Run")
	}
	stop := start(t, a, newSink())
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	if err := a.Health(time.Now()); err != nil {
		t.Errorf("health: %v", err)
	}
	if s := a.Status(); s.Ready(s.LastPoll.Add(3*time.Minute)) || a.Health(s.LastPoll.Add(3*time.Minute)) == nil {
		t.Error("still ready three minutes after the last answer of getUpdates")
	}
	stop()
	if a.Status().Ready(time.Now()) {
		t.Error("ready after Run returned")
	}
}

// TestRestartResumes: a second adapter on the same cursors starts where
// the first stopped; nothing is lost or repeated.
func TestRestartResumes(t *testing.T) {
	f := newFakeAPI(t)
	cur := &memCursors{}
	sink := newSink()
	f.queue(recorded(t, "text")...)
	f.queue(recorded(t, "photo")...)
	stop := start(t, polling(t, f, cur, &sleeps{}, nil), sink)
	waitFor(t, "two events", func() bool { return len(sink.ids()) == 2 })
	waitFor(t, "the offset saved", func() bool { return cur.get("offset") != "" })
	stop()
	saved := cur.get("offset")
	// While qunzhu is down, more updates arrive.
	f.queue(recorded(t, "voice")...)
	f.queue(recorded(t, "sticker")...)
	before := len(f.Calls("getUpdates"))
	stop = start(t, polling(t, f, cur, &sleeps{}, nil), sink)
	waitFor(t, "four events", func() bool { return len(sink.ids()) == 4 })
	stop()
	if first := f.Calls("getUpdates")[before]; saved != "900100009" || first.Params["offset"] != json.Number(saved) {
		t.Errorf("restart asked from offset %v, saved %s", first.Params["offset"], saved)
	}
	ids := sink.ids()
	want := []string{group + ":4101", group + ":4108", group + ":4109", group + ":4116"}
	if !slices.Equal(ids, want) {
		t.Errorf("events %v, want %v (each once, in order)", ids, want)
	}
}

// TestRestartAfterFailedIngest: when the process stops while the sink has
// not accepted a batch, the offset is not saved and the next run gets the
// same updates again.
func TestRestartAfterFailedIngest(t *testing.T) {
	f := newFakeAPI(t)
	cur := &memCursors{}
	f.queue(recorded(t, "text")...)
	blocked := newSink()
	blocked.block = true
	stop := start(t, polling(t, f, cur, &sleeps{}, nil), blocked)
	<-blocked.got
	stop()
	if v := cur.get("offset"); v != "" {
		t.Fatalf("offset %q saved although the events were not stored", v)
	}
	sink := newSink()
	stop = start(t, polling(t, f, cur, &sleeps{}, nil), sink)
	waitFor(t, "the event again", func() bool { return len(sink.ids()) == 1 })
	waitFor(t, "the offset", func() bool { return cur.get("offset") == "900100002" })
	stop()
}

// TestSinkFailureRetriesSameBatch: a failing sink gets the same events
// again without another getUpdates, and the offset waits for it.
func TestSinkFailureRetriesSameBatch(t *testing.T) {
	f := newFakeAPI(t)
	cur := &memCursors{}
	f.queue(recorded(t, "text")...)
	sink := newSink()
	sink.fails = 2
	sl := &sleeps{}
	stop := start(t, polling(t, f, cur, sl, func(c *Config) { c.MinBackoff = 3 * time.Second }), sink)
	waitFor(t, "the offset", func() bool { return cur.get("offset") == "900100002" })
	waitFor(t, "the next poll", func() bool { return len(f.Calls("getUpdates")) >= 2 })
	stop()
	if sink.callCount() < 3 || !slices.Equal(sink.ids(), []string{group + ":4101"}) {
		t.Errorf("sink calls %d, stored %v", sink.callCount(), sink.ids())
	}
	if got := offsets(f.Calls("getUpdates")); got[0] != 0 || got[1] != 900100002 {
		t.Errorf("getUpdates offsets %v: the batch must be retried without polling again", got)
	}
	if d := sl.all(); len(d) < 2 || d[0] < 2*time.Second || d[1] < 4*time.Second {
		t.Errorf("backoff %v: want growing waits from about 3s", d)
	}
	if !slices.Equal(cur.saves, []string{"900100002"}) {
		t.Errorf("saves %v", cur.saves)
	}
}

func TestPollingRateLimited(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("getUpdates", errRep(429, "Too Many Requests: retry after 7", `{"retry_after":7}`))
	f.queue(recorded(t, "text")...)
	sl := &sleeps{}
	sink := newSink()
	stop := start(t, polling(t, f, &memCursors{}, sl, nil), sink)
	waitFor(t, "the event after the wait", func() bool { return len(sink.ids()) == 1 })
	stop()
	if d := sl.all(); len(d) == 0 || d[0] != 7*time.Second {
		t.Errorf("waits %v: want retry_after first", d)
	}
}

func TestPollingServerErrorsBackOff(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("getUpdates", fakeRep{502, "<html>Bad Gateway</html>"}, fakeRep{502, "<html>Bad Gateway</html>"}, errRep(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running", ""))
	f.queue(recorded(t, "text")...)
	sl := &sleeps{}
	sink := newSink()
	a := polling(t, f, &memCursors{}, sl, nil)
	stop := start(t, a, sink)
	waitFor(t, "the event after the errors", func() bool { return len(sink.ids()) == 1 })
	waitFor(t, "connected again", func() bool { return a.Status().Connected })
	stop()
	d := sl.all()
	if len(d) != 3 || d[0] > 1200*time.Millisecond || d[1] < 1600*time.Millisecond || d[2] < 3200*time.Millisecond {
		t.Errorf("waits %v: want three growing ones", d)
	}
}

func TestTokenRefused(t *testing.T) {
	f := newFakeAPI(t)
	f.token = "999:other" // every call answers 401
	cur := &memCursors{}
	a := polling(t, f, cur, &sleeps{}, nil)
	err := a.Run(context.Background(), newSink())
	if err == nil || !strings.Contains(err.Error(), "token was refused") || !strings.Contains(err.Error(), "401") {
		t.Fatalf("Run: %v", err)
	}
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("the error shows the token: %v", err)
	}
	s := a.Status()
	if !s.TokenRejected || s.Connected || s.Running || s.Ready(time.Now()) {
		t.Errorf("status %+v", s)
	}
	if h := a.Health(time.Now()); h == nil || !strings.Contains(h.Error(), "refused the bot token") {
		t.Errorf("health: %v", h)
	}
	if calls := f.Calls(); len(calls) != 1 || calls[0].Method != "getMe" {
		t.Errorf("calls after a refused token: %v", calls)
	}
}

// TestTokenRevokedWhilePolling: a 401 from getUpdates ends Run too.
func TestTokenRevokedWhilePolling(t *testing.T) {
	f := newFakeAPI(t)
	f.fail("getUpdates", errRep(401, "Unauthorized", ""))
	a := polling(t, f, &memCursors{}, &sleeps{}, nil)
	if err := a.Run(context.Background(), newSink()); err == nil || !strings.Contains(err.Error(), "getUpdates") {
		t.Fatalf("Run: %v", err)
	}
	if !a.Status().TokenRejected {
		t.Error("status does not say the token was refused")
	}
}

// TestNetworkErrorHidesToken: net/http quotes the URL, which holds the
// token; neither the status nor the log may show it.
func TestNetworkErrorHidesToken(t *testing.T) {
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sl := func(_ context.Context, d time.Duration) bool { cancel(); return false }
	a, err := New(Config{Name: "tg", Token: testToken, APIURL: "http://127.0.0.1:1", Cursors: &memCursors{}, Sleep: sl,
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Run(ctx, newSink()); err != nil {
		t.Fatalf("a network error is retried, not returned: %v", err)
	}
	s := a.Status()
	if s.LastError == "" || s.Connected || s.TokenRejected {
		t.Errorf("status %+v", s)
	}
	if strings.Contains(s.LastError, testToken) || strings.Contains(logs.String(), testToken) {
		t.Errorf("token leaked:\nstatus: %s\nlog: %s", s.LastError, logs.String())
	}
	if !strings.Contains(s.LastError, "<token>") {
		t.Errorf("last error %q", s.LastError)
	}
}

func TestPollingDeletesWebhook(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("getWebhookInfo", okRep(`{"url":"https://old.example.com/hook","has_custom_certificate":false,"pending_update_count":3}`))
	sink := newSink()
	f.queue(recorded(t, "text")...)
	stop := start(t, polling(t, f, &memCursors{}, &sleeps{}, nil), sink)
	waitFor(t, "the event", func() bool { return len(sink.ids()) == 1 })
	stop()
	calls := f.Calls("getWebhookInfo", "deleteWebhook", "getUpdates")
	if canon(calls[1]) != "deleteWebhook {}" || calls[2].Method != "getUpdates" {
		t.Errorf("calls %v", calls)
	}
}

// TestMalformedUpdateSkipped: an update that cannot be read is passed over;
// the ones after it arrive and the offset moves past it.
func TestMalformedUpdateSkipped(t *testing.T) {
	f := newFakeAPI(t)
	f.queue(recorded(t, "text")...)
	f.queue(recorded(t, "malformed")...)
	cur := &memCursors{}
	sink := newSink()
	stop := start(t, polling(t, f, cur, &sleeps{}, nil), sink)
	waitFor(t, "the offset past both", func() bool { return cur.get("offset") == "900100060" })
	stop()
	if got := sink.ids(); !slices.Equal(got, []string{group + ":4101"}) {
		t.Errorf("events %v", got)
	}
}

func TestServiceModeAsksNoChatMember(t *testing.T) {
	f := newFakeAPI(t)
	stop := start(t, polling(t, f, &memCursors{}, &sleeps{}, func(c *Config) { c.MemberEvents = MembersFromService }), newSink())
	waitFor(t, "a poll", func() bool { return len(f.Calls("getUpdates")) > 0 })
	stop()
	if got := canon(f.Calls("getUpdates")[0]); got != `getUpdates {"allowed_updates":["message","edited_message","my_chat_member","callback_query"],"timeout":1}` {
		t.Errorf("getUpdates: %s", got)
	}
}

func TestSaveCursorFailureKeepsGoing(t *testing.T) {
	f := newFakeAPI(t)
	cur := &memCursors{err: errors.New("disk full")}
	f.queue(recorded(t, "text")...)
	sink := newSink()
	stop := start(t, polling(t, f, cur, &sleeps{}, nil), sink)
	waitFor(t, "the event", func() bool { return len(sink.ids()) == 1 })
	waitFor(t, "a poll past it", func() bool { return slices.Contains(offsets(f.Calls("getUpdates")), 900100002) })
	if err := stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestRetryLogging: the first failure of a call is logged at info, the
// ones after it at warn, each with Telegram's reason; a failed
// getWebhookInfo is logged, not silent; the adapter does not name the
// connection again (the caller's logger does).
func TestRetryLogging(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("getMe", fakeRep{502, "<html>Bad Gateway</html>"}, fakeRep{502, "<html>Bad Gateway</html>"})
	f.reply("getWebhookInfo", fakeRep{500, `{"message":"API method 'getWebhookInfo' is not supported."}`})
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil)).With("connection", "tg")
	sink := newSink()
	f.queue(recorded(t, "text")...)
	stop := start(t, polling(t, f, &memCursors{}, &sleeps{}, func(c *Config) { c.Logger = log }), sink)
	waitFor(t, "the event", func() bool { return len(sink.ids()) == 1 })
	stop()
	lines := strings.Split(logs.String(), "\n")
	var retries []string
	for _, l := range lines {
		if strings.Contains(l, "getMe failed") {
			retries = append(retries, l)
		}
		if strings.Count(l, "connection=tg") > 1 {
			t.Errorf("connection named twice: %s", l)
		}
	}
	if len(retries) != 2 || !strings.Contains(retries[0], "level=INFO") || !strings.Contains(retries[1], "level=WARN") {
		t.Errorf("getMe retries logged as:\n%s", strings.Join(retries, "\n"))
	}
	if !strings.Contains(retries[0], "Bad Gateway") {
		t.Errorf("the reason is lost: %s", retries[0])
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"telegram: getWebhookInfo failed") || !strings.Contains(logs.String(), "is not supported") {
		t.Errorf("getWebhookInfo's failure not logged with its reason:\n%s", logs.String())
	}
}

// TestPollingBacksOffHastyEmptyAnswers: a server that answers getUpdates
// with nothing at once, instead of holding the long poll (telegram-test-api
// does), is polled with growing pauses, not in a hot loop; an update still
// arrives, and a proper long poll afterwards is not delayed.
func TestPollingBacksOffHastyEmptyAnswers(t *testing.T) {
	f := newFakeAPI(t)
	f.hasty = true
	sl := &sleeps{}
	var logs bytes.Buffer
	var mu sync.Mutex
	sink := newSink()
	a := polling(t, f, &memCursors{}, sl, func(c *Config) {
		c.PollTimeout = 30 * time.Second
		c.Logger = slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) }), nil))
	})
	stop := start(t, a, sink)
	waitFor(t, "six polls", func() bool { return len(f.Calls("getUpdates")) >= 6 })
	f.queue(recorded(t, "text")...)
	waitFor(t, "the update", func() bool { return len(sink.ids()) == 1 })
	stop()
	polls, waits := len(f.Calls("getUpdates")), sl.all()
	// Every poll but the one that brought the update (and one cut short
	// by the stop) was followed by a pause.
	if len(waits) < polls-2 {
		t.Fatalf("%d polls answered at once, but only %d pauses: %v", polls, len(waits), waits)
	}
	for i, d := range waits[:5] {
		if want := time.Second << i; d < want*8/10 || d > want*12/10 {
			t.Errorf("pause %d: %s, want about %s", i, d, want)
		}
	}
	for _, d := range waits {
		if d > 30*time.Second {
			t.Errorf("pause %s longer than the poll timeout", d)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "keeps answering at once"); n != 1 {
		t.Errorf("warned %d times:\n%s", n, logs.String())
	}
}

type writerFunc func([]byte) (int, error)

func (w writerFunc) Write(p []byte) (int, error) { return w(p) }

// TestButtonPressAnswered: a button press in a group becomes a button
// event, and is answered (answerCallbackQuery) only once it is stored.
func TestButtonPressAnswered(t *testing.T) {
	f := newFakeAPI(t)
	f.queue(recorded(t, "callback_group")...)
	sink := &checkingSink{memSink: newSink(), check: func() {
		if n := len(f.Calls("answerCallbackQuery")); n > 0 {
			t.Errorf("the press was answered before its event was stored")
		}
	}}
	stop := start(t, polling(t, f, &memCursors{}, &sleeps{}, nil), sink)
	waitFor(t, "the press answered", func() bool { return len(f.Calls("answerCallbackQuery")) == 1 })
	stop()
	evs := sink.events()
	if len(evs) != 1 || evs[0].Type != chat.EventButton || evs[0].Button == nil || evs[0].Button.Data != "gate:17" || evs[0].Button.MessageID != "812" || evs[0].Sender.ID != "5012345679" {
		t.Fatalf("events %+v", evs)
	}
	if got := canon(f.Calls("answerCallbackQuery")[0]); got != `answerCallbackQuery {"callback_query_id":"4383"}` {
		t.Errorf("answer: %s", got)
	}
}

// checkingSink runs check before storing.
type checkingSink struct {
	*memSink
	check func()
}

func (s *checkingSink) Ingest(ctx context.Context, evs []chat.Event) error {
	s.check()
	return s.memSink.Ingest(ctx, evs)
}
