package telegram

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

const testSecret = "s3cr3t-Token_for-tests"

func webhookAdapter(t *testing.T, f *fakeAPI, sl *sleeps, url string) *Adapter {
	t.Helper()
	return testAdapter(t, func(c *Config) {
		c.Mode, c.WebhookSecret, c.WebhookURL, c.Cursors = ModeWebhook, testSecret, url, nil
		c.APIURL, c.Sleep, c.Now = f.URL(), sl.sleep, time.Now
	})
}

// post sends body to the adapter's handler as Telegram would.
func post(a *Adapter, secret string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodPost, "/connect/tg", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	if secret != "" {
		r.Header.Set(SecretHeader, secret)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, r)
	return w
}

func TestWebhookStoresBeforeAnswering(t *testing.T) {
	f := newFakeAPI(t)
	a := webhookAdapter(t, f, &sleeps{}, "")
	sink := newSink()
	stop := start(t, a, sink)
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	for _, raw := range recorded(t, "command_reply_mentions") {
		if w := post(a, testSecret, raw); w.Code != http.StatusOK {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	// Answered 200 only after Ingest returned, so the events are there.
	if got := sink.ids(); !slices.Equal(got, []string{group + ":4103", group + ":4104"}) {
		t.Errorf("events %v", got)
	}
	if ev := sink.events()[1]; !slices.Equal(ev.Message.Mentions, []string{alice.ID, bob.ID}) || ev.Message.ReplyTo != "4103" {
		t.Errorf("message %+v", *ev.Message)
	}
	stop()
	if calls := f.Calls(); len(calls) != 1 || calls[0].Method != "getMe" {
		t.Errorf("webhook mode without a URL calls only getMe, got %v", calls)
	}
}

func TestWebhookRejectsWrongSecret(t *testing.T) {
	f := newFakeAPI(t)
	a := webhookAdapter(t, f, &sleeps{}, "")
	sink := newSink()
	start(t, a, sink)
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	raw := recorded(t, "text")[0]
	for _, secret := range []string{"", "wrong", testSecret + "x", strings.ToUpper(testSecret)} {
		if w := post(a, secret, raw); w.Code != http.StatusUnauthorized {
			t.Errorf("secret %q: status %d", secret, w.Code)
		}
	}
	if n := sink.callCount(); n != 0 {
		t.Errorf("the sink was called %d times for unauthenticated requests", n)
	}
}

func TestWebhookRedeliveryAfterSinkFailure(t *testing.T) {
	f := newFakeAPI(t)
	a := webhookAdapter(t, f, &sleeps{}, "")
	sink := newSink()
	sink.fails = 1
	start(t, a, sink)
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	raw := recorded(t, "text")[0]
	if w := post(a, testSecret, raw); w.Code != http.StatusInternalServerError {
		t.Fatalf("failed store answered %d; Telegram must send it again", w.Code)
	}
	if w := post(a, testSecret, raw); w.Code != http.StatusOK {
		t.Fatalf("redelivery answered %d", w.Code)
	}
	if got := sink.ids(); !slices.Equal(got, []string{group + ":4101"}) {
		t.Errorf("events %v", got)
	}
}

func TestWebhookAnswers(t *testing.T) {
	f := newFakeAPI(t)
	a := webhookAdapter(t, f, &sleeps{}, "")
	sink := newSink()
	text := recorded(t, "text")[0]
	// Not running: Telegram is asked to come back.
	if w := post(a, testSecret, text); w.Code != http.StatusServiceUnavailable {
		t.Errorf("before Run: %d", w.Code)
	}
	stop := start(t, a, sink)
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	tests := []struct {
		name   string
		method string
		body   []byte
		code   int
	}{
		{"get", http.MethodGet, nil, http.StatusMethodNotAllowed},
		{"not json", http.MethodPost, []byte("hello"), http.StatusBadRequest},
		{"no update id", http.MethodPost, []byte(`{"message":{}}`), http.StatusBadRequest},
		{"too large", http.MethodPost, bytes.Repeat([]byte(" "), maxUpdateBytes+1), http.StatusRequestEntityTooLarge},
		{"private chat", http.MethodPost, recorded(t, "private")[0], http.StatusOK},
		{"unreadable update", http.MethodPost, recorded(t, "malformed")[0], http.StatusOK},
	}
	for _, tt := range tests {
		r := httptest.NewRequest(tt.method, "/connect/tg", bytes.NewReader(tt.body))
		r.Header.Set(SecretHeader, testSecret)
		w := httptest.NewRecorder()
		a.ServeHTTP(w, r)
		if w.Code != tt.code {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.code)
		}
	}
	if n := sink.callCount(); n != 0 {
		t.Errorf("updates without events reached the sink %d times", n)
	}
	stop()
	if w := post(a, testSecret, text); w.Code != http.StatusServiceUnavailable {
		t.Errorf("after Run: %d", w.Code)
	}
	// A polling connection takes no webhook.
	p := testAdapter(t, nil)
	if w := post(p, "", text); w.Code != http.StatusNotFound {
		t.Errorf("polling adapter: %d", w.Code)
	}
}

func TestWebhookRegisters(t *testing.T) {
	f := newFakeAPI(t)
	f.reply("setWebhook", fakeRep{502, "bad gateway"})
	sl := &sleeps{}
	a := webhookAdapter(t, f, sl, "https://qunzhu.example.com/connect/tg")
	start(t, a, newSink())
	waitFor(t, "ready", func() bool { return a.Status().Ready(time.Now()) })
	calls := f.Calls("setWebhook")
	want := `setWebhook {"allowed_updates":["message","edited_message","my_chat_member","callback_query","chat_member"],"secret_token":"` + testSecret + `","url":"https://qunzhu.example.com/connect/tg"}`
	if len(calls) != 2 || canon(calls[1]) != want {
		t.Errorf("setWebhook calls %v\nwant twice %s", calls, want)
	}
	if len(sl.all()) != 1 {
		t.Errorf("waits %v: want one backoff after the 502", sl.all())
	}
}

func TestWebhookNotReadyUntilRegistered(t *testing.T) {
	f := newFakeAPI(t)
	f.fail("setWebhook", errRep(400, "Bad Request: bad webhook: Failed to resolve host", ""))
	a := webhookAdapter(t, f, &sleeps{}, "https://nowhere.example.com/connect/tg")
	start(t, a, newSink())
	waitFor(t, "a few attempts", func() bool { return len(f.Calls("setWebhook")) >= 3 })
	if s := a.Status(); s.Ready(time.Now()) || s.WebhookSet || !strings.Contains(s.LastError, "Failed to resolve host") {
		t.Errorf("status %+v", s)
	}
}

func TestWebhookTokenRefused(t *testing.T) {
	f := newFakeAPI(t)
	f.fail("setWebhook", errRep(401, "Unauthorized", ""))
	a := webhookAdapter(t, f, &sleeps{}, "https://qunzhu.example.com/connect/tg")
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context(), newSink()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "setWebhook") || !a.Status().TokenRejected {
			t.Errorf("Run: %v, status %+v", err, a.Status())
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run went on with a refused token")
	}
}

// TestWebhookWaitsForGetMe: until getMe names the bot, updates are
// refused with 503 (Telegram sends them again), since a command for
// another bot cannot be told yet.
func TestWebhookWaitsForGetMe(t *testing.T) {
	f := newFakeAPI(t)
	f.fail("getMe", fakeRep{502, "bad gateway"})
	a := webhookAdapter(t, f, &sleeps{}, "")
	sink := newSink()
	start(t, a, sink)
	waitFor(t, "getMe tried", func() bool { return len(f.Calls("getMe")) > 0 })
	if w := post(a, testSecret, recorded(t, "text")[0]); w.Code != http.StatusServiceUnavailable {
		t.Errorf("before getMe answered: %d", w.Code)
	}
	if sink.callCount() != 0 {
		t.Error("an update reached the sink before getMe answered")
	}
}
