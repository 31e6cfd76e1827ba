package wecom_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
	"github.com/qunzhu/qunzhu/internal/community"
)

const (
	corpID   = "wwcorp0000000001"
	secret   = "app-secret-0001"
	cbToken  = "cbtoken123"
	aesKey   = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
	agentID  = 1000002
	ownerA   = "zhangsan"
	chatA    = "wrAAAA"
	chatB    = "wrBBBB"
	customer = "wmCUSTOMER1"
)

// cursors is chat.Cursors in memory.
type cursors struct {
	mu sync.Mutex
	m  map[string]string
}

func newCursors() *cursors { return &cursors{m: map[string]string{}} }

func (c *cursors) LoadCursor(_ context.Context, conn, key string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[conn+"/"+key], nil
}

func (c *cursors) SaveCursor(_ context.Context, conn, key, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m[conn+"/"+key] = value
	return nil
}

// sink stores events once per id, as the pipeline does.
type sink struct {
	mu   sync.Mutex
	evs  []chat.Event
	ids  map[string]bool
	fail error
}

func newSink() *sink { return &sink{ids: map[string]bool{}} }

func (s *sink) Ingest(_ context.Context, evs []chat.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	for _, e := range evs {
		if !s.ids[e.ID] {
			s.ids[e.ID] = true
			s.evs = append(s.evs, e)
		}
	}
	return nil
}

func (s *sink) events() []chat.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]chat.Event(nil), s.evs...)
}

// listener records what the adapter tells it, failing while fail is set.
type listener struct {
	mu        sync.Mutex
	staff     map[string][]community.PlatformStaff // chat → each telling
	dismissed []string
	fail      error
}

func newListener() *listener { return &listener{staff: map[string][]community.PlatformStaff{}} }

func (l *listener) GroupStaff(_ context.Context, chatID string, s community.PlatformStaff) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.staff[chatID] = append(l.staff[chatID], s)
	return nil
}

func (l *listener) GroupDismissed(_ context.Context, chatID string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return l.fail
	}
	l.dismissed = append(l.dismissed, chatID)
	return nil
}

// told returns what the listener was told of a group's staff, in order.
func (l *listener) told(chatID string) []community.PlatformStaff {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.staff[chatID])
}

func (l *listener) setFail(err error) {
	l.mu.Lock()
	l.fail = err
	l.mu.Unlock()
}

// find returns the stored events of a type in a group.
func (s *sink) find(t chat.EventType, group string) []chat.Event {
	var out []chat.Event
	for _, e := range s.events() {
		if e.Type == t && e.Group == group {
			out = append(out, e)
		}
	}
	return out
}

// world is a fake WeCom server, an adapter and its callback URL.
type world struct {
	t     *testing.T
	fake  *wecomtest.Server
	a     *wecom.Adapter
	cur   *cursors
	sink  *sink
	cb    *wecomtest.Callbacks
	http  *httptest.Server
	stop  func()
	logs  *strings.Builder
	logMu *sync.Mutex
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newWorld(t *testing.T, mod func(*wecom.Config)) *world {
	t.Helper()
	fake := wecomtest.New(corpID, secret)
	t.Cleanup(fake.Close)
	fake.AddGroup(wecomtest.Group{ChatID: chatA, Name: "NF-阳新2026第1期群", Owner: ownerA, Created: 1700000000, Admins: []string{"lisi"},
		Members: []wecom.GroupMember{
			{UserID: ownerA, Type: wecom.MemberStaff, JoinTime: 1700000000, JoinScene: wecom.JoinInvited, Name: "张三"},
			{UserID: "wmOLD1", Type: wecom.MemberCustomer, JoinTime: 1700000100, JoinScene: wecom.JoinInvited, Invitor: invitor(ownerA), Name: "老王"},
			{UserID: "wmOLD2", Type: wecom.MemberCustomer, JoinTime: 1700000200, JoinScene: wecom.JoinByQRCode, State: "SPRING", Name: "小李", GroupNickname: "李同学"},
		}})
	w := &world{t: t, fake: fake, cur: newCursors(), sink: newSink(), logs: &strings.Builder{}, logMu: &sync.Mutex{}}
	w.start(mod)
	return w
}

func invitor(id string) *wecom.UserRef { return &wecom.UserRef{UserID: id} }

// start builds an adapter on the world's cursors and runs it.
func (w *world) start(mod func(*wecom.Config)) {
	w.t.Helper()
	cfg := wecom.Config{Name: "wx", CorpID: corpID, AgentID: agentID, Secret: secret, CallbackToken: cbToken, EncodingAESKey: aesKey,
		APIURL: w.fake.URL, RobotWebhook: w.fake.RobotURL(), Cursors: w.cur, ConfirmCheck: time.Minute,
		Logger: slog.New(slog.NewTextHandler(lockedWriter{w.logMu, w.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if mod != nil {
		mod(&cfg)
	}
	a, err := wecom.New(cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.a = a
	w.http = httptest.NewServer(a)
	w.cb, err = wecomtest.NewCallbacks(w.http.URL+"/connect/wx", cbToken, aesKey, corpID)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, w.sink) }()
	w.stop = func() {
		cancel()
		if err := <-done; err != nil {
			w.t.Errorf("Run: %v", err)
		}
		w.http.Close()
	}
	w.t.Cleanup(func() {
		if w.stop != nil {
			w.stop()
			w.stop = nil
		}
	})
	w.waitFor("the first sync", func() bool { return !w.a.Status().LastSync.IsZero() })
}

func (w *world) restart(mod func(*wecom.Config)) {
	w.stop()
	w.stop = nil
	w.start(mod)
}

func (w *world) waitFor(what string, ok func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			w.logMu.Lock()
			defer w.logMu.Unlock()
			w.t.Fatalf("timed out waiting for %s; events: %s\nlog:\n%s", what, describe(w.sink.events()), w.logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// post posts a callback and wants 200.
func (w *world) post(n wecomtest.Notification) {
	w.t.Helper()
	code, body, err := w.cb.Post(n)
	if err != nil || code != 200 {
		w.logMu.Lock()
		defer w.logMu.Unlock()
		w.t.Fatalf("callback: %d %q %v\nlog:\n%s", code, body, err, w.logs.String())
	}
}

func describe(evs []chat.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %s %s %s %s src=%s reason=%s", e.ID, e.Type, e.Group, e.Sender.ID, e.Source, e.Reason)
	}
	return b.String()
}
