package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var fixed = time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)

func opts() DecodeOptions {
	return DecodeOptions{Connection: "wx", Now: func() time.Time { return fixed }, MaxBytes: 4096, MaxEvents: 10}
}

func TestDecodeValid(t *testing.T) {
	f, err := os.Open("testdata/valid.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	evs, err := DecodeEvents(f, opts())
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 7 {
		t.Fatalf("%d events, want 7", len(evs))
	}
	e := evs[0]
	if e.Connection != "wx" || e.Platform != "webhook" || e.Message.Text != "大家好" || e.Sender.Name != "张三" || e.Time.Hour() != 8 {
		t.Fatalf("first event = %+v", e)
	}
	if evs[2].Source != chat.SourceReferral || evs[2].Inviter.ID != "u1" || evs[2].Code != "LUKAI88" {
		t.Fatalf("join = %+v", evs[2])
	}
	if evs[3].Reason != chat.LeftRemoved || evs[5].GroupName == "" || evs[1].Message.ReplyTo != "m1" {
		t.Fatalf("events = %+v", evs)
	}
	// The shape from the issue, as a single object, without a time.
	one, err := DecodeEvents(strings.NewReader(`{"id":"e1","platform":"webhook","type":"message","group":"g-ext-id","sender":{"id":"u1","name":"张三"},"message":{"id":"m1","kind":"text","text":"大家好"}}`), opts())
	if err != nil || len(one) != 1 || !one[0].Time.Equal(fixed) {
		t.Fatalf("single object = %+v, %v", one, err)
	}
}

func TestDecodeInvalid(t *testing.T) {
	ev := func(s string) string {
		return `{"id":"e1","type":"message","group":"g","time":"2026-11-25T08:00:00Z","sender":{"id":"u1"},"message":{"id":"m1","kind":"text","text":"hi"}` + s + `}`
	}
	tests := []struct {
		name, body string
		kind       errkind.Kind
		want       string
	}{
		{"empty", "", errkind.Invalid, "body: empty"},
		{"empty array", "[]", errkind.Invalid, "empty array"},
		{"malformed", `[{"id":`, errkind.Invalid, "malformed JSON"},
		{"trailing garbage", ev("") + "x", errkind.Invalid, "trailing data"},
		{"not an object", `[42]`, errkind.Invalid, "events[0]: not a JSON number"},
		{"unknown field", `[` + ev("") + `,` + ev(`,"grop":"x"`) + `]`, errkind.Invalid, `events[1]: unknown field "grop"`},
		{"unknown type", `{"id":"x","type":"poke","group":"g"}`, errkind.Invalid, `type: unknown event type "poke"`},
		{"no id", `{"type":"message","group":"g"}`, errkind.Invalid, "id: required"},
		{"no group", `{"id":"x","type":"group_created"}`, errkind.Invalid, "group: required"},
		{"bad time", strings.Replace(ev(""), "2026-11-25T08:00:00Z", "25/11/2026", 1), errkind.Invalid, "time: not RFC 3339"},
		{"no sender", `{"id":"x","type":"member_joined","group":"g"}`, errkind.Invalid, "sender: required for member_joined"},
		{"sender without id", `{"id":"x","type":"member_joined","group":"g","sender":{"name":"a"}}`, errkind.Invalid, "sender.id: required"},
		{"no message", `{"id":"x","type":"message","group":"g","sender":{"id":"u"}}`, errkind.Invalid, "message: required"},
		{"bad kind", strings.Replace(ev(""), `"kind":"text"`, `"kind":"audio"`, 1), errkind.Invalid, `message.kind: unknown kind "audio"`},
		{"wrong type", strings.Replace(ev(""), `"text":"hi"`, `"text":5`, 1), errkind.Invalid, "message.text: want string"},
		{"bad source", `{"id":"x","type":"member_joined","group":"g","sender":{"id":"u"},"source":"magic"}`, errkind.Invalid, `source: unknown join source "magic"`},
		{"message on a join", `{"id":"x","type":"member_joined","group":"g","sender":{"id":"u"},"message":{"id":"m","kind":"text"}}`, errkind.Invalid, "message: only for message events"},
		{"invalid utf-8", "{\"id\":\"\xff\"}", errkind.Invalid, "not valid UTF-8"},
		{"too large", "[" + strings.Repeat(" ", 5000) + "]", errkind.TooLarge, "over 4096 bytes"},
		{"too many", "[" + strings.Repeat(ev("")+",", 10) + ev("") + "]", errkind.TooLarge, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts()
			if tt.name == "too many" {
				o.MaxBytes = 1 << 20
				tt.kind, tt.want = errkind.Invalid, "11 events, at most 10"
			}
			evs, err := DecodeEvents(strings.NewReader(tt.body), o)
			if err == nil || evs != nil {
				t.Fatalf("accepted: %+v", evs)
			}
			if errkind.Of(err) != tt.kind || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q (%s), want %s containing %q", err, errkind.Of(err), tt.kind, tt.want)
			}
		})
	}
}

func FuzzDecodeEvents(f *testing.F) {
	b, _ := os.ReadFile("testdata/valid.json")
	f.Add(b)
	f.Add([]byte(`{"id":"e1","type":"message","group":"g","sender":{"id":"u"},"message":{"id":"m","kind":"text"}}`))
	f.Add([]byte(`[{"id":"x","type":"member_left","group":"g","sender":{"id":"u"}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o := DecodeOptions{Connection: "c", Now: func() time.Time { return fixed }}
		evs, err := DecodeEvents(strings.NewReader(string(body)), o)
		if err != nil {
			if errkind.Of(err) != errkind.Invalid && errkind.Of(err) != errkind.TooLarge {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		// Whatever is accepted survives a round trip unchanged.
		again, err := json.Marshal(evs)
		if err != nil {
			t.Fatal(err)
		}
		var wire []map[string]any
		json.Unmarshal(again, &wire)
		for _, w := range wire {
			delete(w, "connection")
			if s, ok := w["sender"].(map[string]any); ok && s["id"] == "" {
				delete(w, "sender") // chat.Event always has a sender; group events send none
			}
		}
		back, _ := json.Marshal(wire)
		evs2, err := DecodeEvents(strings.NewReader(string(back)), o)
		if err != nil {
			t.Fatalf("re-decoding an accepted batch failed: %v\n%s", err, back)
		}
		for i := range evs {
			evs[i].Time, evs2[i].Time = evs[i].Time.UTC(), evs2[i].Time.UTC()
		}
		if !reflect.DeepEqual(evs, evs2) {
			t.Fatalf("round trip changed the events:\n%+v\n%+v", evs, evs2)
		}
	})
}

// FuzzDecodeArray checks that the one-pass decoding of an array answers
// exactly as decoding it element by element does: the same events, or
// the same error.
func FuzzDecodeArray(f *testing.F) {
	b, _ := os.ReadFile("testdata/valid.json")
	f.Add(b)
	ev := `{"id":"e1","type":"message","group":"g","time":"2026-11-25T08:00:00Z","sender":{"id":"u1"},"message":{"id":"m1","kind":"text","text":"hi"}}`
	for _, s := range []string{"[]", "[null]", "[42]", `[` + ev + `,{"id":"x","type":"poke","group":"g"}]`, `[` + ev + `,` + ev + `] `, `[` + ev + `]x`,
		`[` + ev + `,{"id":"x","type":"member_joined","group":"g","grop":1}]`, `[{"id":"x","type":"message","group":"g","sender":{"id":"u"}},[1]]`,
		`[{"ID":"x","TYPE":"member_left","group":"g","sender":{"id":"u"},"id":"y"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(bytes.TrimLeft(body, " \t\r\n")) == 0 || bytes.TrimLeft(body, " \t\r\n")[0] != '[' || !utf8.Valid(body) { // as DecodeEvents calls it
			return
		}
		o := DecodeOptions{Connection: "c", Now: func() time.Time { return fixed }, MaxEvents: 3}
		evs, ok, err := decodeArray(body, o)
		if !ok {
			return
		}
		want, wantErr := decodeEach(body, true, o)
		if fmt.Sprint(err) != fmt.Sprint(wantErr) || !reflect.DeepEqual(evs, want) {
			t.Fatalf("one pass: %+v, %v\nelement by element: %+v, %v", evs, err, want, wantErr)
		}
	})
}

func TestSignKnownAnswer(t *testing.T) {
	// Computed independently: HMAC-SHA256(key "whsec_test",
	// "1764028800.{\"kind\":\"send\"}") with Python's hmac module.
	got := Sign([]byte("whsec_test"), time.Unix(1764028800, 0), []byte(`{"kind":"send"}`))
	want := "t=1764028800,v1=e83ea47fd3fdaaee10af98a8880d88798bd48de0610476ec38923ed9c531b709"
	if got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}

func TestVerify(t *testing.T) {
	secret := []byte("s3cret")
	body := []byte(`{"kind":"kick"}`)
	now := time.Unix(1764028800, 0)
	h := Sign(secret, now, body)
	tests := []struct {
		name, header string
		body         []byte
		now          time.Time
		ok           bool
	}{
		{"good", h, body, now, true},
		{"rotated secrets", h + ",v1=" + strings.Repeat("0", 64), body, now, true},
		{"tampered body", h, []byte(`{"kind":"ban"}`), now, false},
		{"stale", h, body, now.Add(10 * time.Minute), false},
		{"malformed", "garbage", body, now, false},
		{"no signature", "t=1764028800", body, now, false},
	}
	for _, tt := range tests {
		if err := Verify(secret, tt.header, tt.body, tt.now, 5*time.Minute); (err == nil) != tt.ok {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
	}
}

func TestPush(t *testing.T) {
	act := chat.Action{Key: "wx:e1:0:kick", Connection: "wx", Kind: chat.ActKick, Group: "g", User: "u9", Reason: "广告"}
	tests := []struct {
		name      string
		status    int
		header    string
		permanent bool
		retry     time.Duration
		ok        bool
	}{
		{"accepted", 204, "", false, 0, true},
		{"rate limited", 429, "7", false, 7 * time.Second, false},
		{"server error", 503, "", false, 0, false},
		{"refused", 403, "", true, 0, false},
		{"timeout", 408, "", false, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []byte
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = io.ReadAll(r.Body)
				if err := Verify([]byte("sec"), r.Header.Get(SignatureHeader), got, time.Now(), time.Minute); err != nil {
					t.Errorf("bad signature: %v", err)
				}
				if r.Header.Get("Idempotency-Key") != act.Key {
					t.Errorf("Idempotency-Key = %q", r.Header.Get("Idempotency-Key"))
				}
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				w.WriteHeader(tt.status)
				io.WriteString(w, "not an admin")
			}))
			defer srv.Close()
			a, err := New(Config{Name: "wx", PushURL: srv.URL, Secret: "sec"})
			if err != nil {
				t.Fatal(err)
			}
			err = a.Do(t.Context(), act)
			var ra *chat.RetryAfterError
			switch {
			case tt.ok && err != nil:
				t.Fatalf("Do = %v", err)
			case !tt.ok && err == nil:
				t.Fatal("Do succeeded")
			case errors.Is(err, chat.ErrPermanent) != tt.permanent:
				t.Fatalf("permanent = %v for %v", !tt.permanent, err)
			case tt.retry > 0 && (!errors.As(err, &ra) || ra.After != tt.retry):
				t.Fatalf("retry-after error = %v", err)
			}
			var back chat.Action
			if json.Unmarshal(got, &back); !reflect.DeepEqual(back, act) {
				t.Fatalf("bridge received %s", got)
			}
		})
	}
}

func TestNewAndPullMode(t *testing.T) {
	for _, c := range []Config{{}, {Name: "x", PushURL: "ftp://x"}, {Name: "x", PushURL: "https://x.example"}} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
	a, err := New(Config{Name: "pull"})
	if err != nil || !a.Pulled() {
		t.Fatalf("pull adapter: %v", err)
	}
	if err := a.Do(t.Context(), chat.Action{}); !errors.Is(err, chat.ErrPermanent) {
		t.Fatalf("Do in pull mode: %v", err)
	}
	if d := retryAfter("Wed, 25 Nov 2026 00:00:30 GMT", fixed); d != 30*time.Second {
		t.Fatalf("HTTP-date Retry-After = %v", d)
	}
}

// TestDocExamples decodes every JSON example of events in docs/webhook.md,
// so the documentation cannot drift from the decoder.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../../../docs/webhook.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(doc), "```json\n")[1:]
	checked := 0
	for _, b := range blocks {
		body := b[:strings.Index(b, "```")]
		if !strings.Contains(body, `"type"`) {
			continue // an action or a response, not events
		}
		if _, err := DecodeEvents(strings.NewReader(body), opts()); err != nil {
			t.Errorf("docs/webhook.md example does not decode: %v\n%s", err, body)
		}
		checked++
	}
	if checked < 2 {
		t.Fatalf("only %d event examples found in docs/webhook.md", checked)
	}
}

// TestDecodeImplausibleTime: an event dated before 2000 or more than a
// day ahead takes the time it arrived, and is logged.
func TestDecodeImplausibleTime(t *testing.T) {
	var logs bytes.Buffer
	o := opts()
	o.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	for _, tt := range []struct {
		time string
		want time.Time
	}{
		{"2026-11-24T08:00:00+08:00", time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)},
		{"1970-01-01T00:00:00Z", fixed},
		{"2099-01-01T00:00:00Z", fixed},
		{"2026-11-26T12:00:00Z", fixed}, // a day and a half ahead
	} {
		body := `{"id":"e1","type":"message","group":"g","time":"` + tt.time + `","sender":{"id":"u1"},"message":{"id":"m1","kind":"text","text":"hi"}}`
		evs, err := DecodeEvents(strings.NewReader(body), o)
		if err != nil || len(evs) != 1 || !evs[0].Time.Equal(tt.want) {
			t.Errorf("%s: %+v %v, want %v", tt.time, evs, err, tt.want)
		}
	}
	if n := strings.Count(logs.String(), "implausible event time"); n != 3 {
		t.Errorf("%d logged, want 3:\n%s", n, logs.String())
	}
}
