package wecom

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

// delivery is a verified customer-group callback waiting for Run.
type delivery struct {
	note Notification
	done chan error // buffered: Run never blocks on it
}

// ServeHTTP is the callback URL (接收消息服务器 URL) set in the WeCom
// admin for the self-built app.
//
// GET is WeCom's URL check: the echostr is decrypted and echoed. POST is
// an event. Either is answered 401 when msg_signature does not match the
// callback token, and 400 when the body cannot be read or decrypted or is
// addressed to another corp; each refusal is logged. A customer-group
// event is answered 200 only once its events are stored (WeCom sends it
// again otherwise: 503 while the connection is not running, 500 when
// reading the group or storing failed); an event seen before (by the hash
// of its decrypted content) is answered 200 at once; other events are
// acknowledged and ignored.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sig, ts, nonce := q.Get("msg_signature"), q.Get("timestamp"), q.Get("nonce")
	switch r.Method {
	case http.MethodGet:
		echo := q.Get("echostr")
		if sig == "" || ts == "" || nonce == "" || echo == "" {
			a.refuse(w, r, http.StatusBadRequest, "URL check without msg_signature, timestamp, nonce and echostr", nil)
			return
		}
		// A proxy that decodes the query twice turns + into space.
		if err := a.crypt.Verify(sig, ts, nonce, echo); err != nil && strings.Contains(echo, " ") {
			echo = strings.ReplaceAll(echo, " ", "+")
		}
		msg, err := a.crypt.Open(sig, ts, nonce, echo)
		if err != nil {
			a.refuse(w, r, statusOf(err), "URL check refused", err)
			return
		}
		a.log.Info("wecom: callback URL checked")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(msg)
	case http.MethodPost:
		a.receive(w, r, sig, ts, nonce)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "WeCom callbacks are GET (URL check) or POST (events)", http.StatusMethodNotAllowed)
	}
}

func (a *Adapter) receive(w http.ResponseWriter, r *http.Request, sig, ts, nonce string) {
	if sig == "" || ts == "" || nonce == "" {
		a.refuse(w, r, http.StatusBadRequest, "event without msg_signature, timestamp and nonce", nil)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.refuse(w, r, http.StatusRequestEntityTooLarge, "event body too large", nil)
			return
		}
		a.refuse(w, r, http.StatusBadRequest, "cannot read the event body", err)
		return
	}
	env, err := DecodeEnvelope(body)
	if err != nil {
		a.refuse(w, r, http.StatusBadRequest, "event body refused", err)
		return
	}
	msg, err := a.crypt.Open(sig, ts, nonce, env.Encrypt)
	if err != nil {
		a.refuse(w, r, statusOf(err), "event refused", err)
		return
	}
	if env.ToUserName != "" && env.ToUserName != a.cfg.CorpID {
		a.refuse(w, r, http.StatusBadRequest, "event for another corp id", errors.New(env.ToUserName))
		return
	}
	n, err := DecodeNotification(msg)
	if err != nil {
		a.refuse(w, r, http.StatusBadRequest, "event refused", err)
		return
	}
	if !n.GroupChange() {
		a.log.Debug("wecom: event ignored", "msg_type", n.MsgType, "event", n.Event, "change_type", n.ChangeType)
		w.WriteHeader(http.StatusOK)
		return
	}
	sum := sha256.Sum256(msg)
	id := hex.EncodeToString(sum[:12])
	if a.seen.has(id) {
		a.log.Info("wecom: event received again; handled already", "chat", n.ChatID, "change", n.ChangeType, "detail", n.UpdateDetail)
		w.WriteHeader(http.StatusOK)
		return
	}
	status, err := a.handOver(r.Context(), n)
	switch {
	case status == http.StatusOK:
		a.seen.add(id)
		w.WriteHeader(status)
	case err != nil:
		a.log.Error("wecom: handling an event failed; WeCom will send it again", "chat", n.ChatID, "change", n.ChangeType, "detail", n.UpdateDetail, "status", status, "err", err)
		http.Error(w, "the event was not handled ("+err.Error()+"); send it again", status)
	}
}

// handOver gives a verified event to Run and waits until it is handled:
// 200, or the status to answer and why not. A request given up by WeCom
// returns 0.
func (a *Adapter) handOver(ctx context.Context, n Notification) (int, error) {
	a.mu.Lock()
	live := a.live
	a.mu.Unlock()
	if live == nil {
		return http.StatusServiceUnavailable, errors.New("not running")
	}
	d := delivery{note: n, done: make(chan error, 1)}
	select {
	case a.notes <- d:
	case <-live:
		return http.StatusServiceUnavailable, errors.New("shutting down")
	case <-ctx.Done():
		return 0, nil
	}
	select {
	case err := <-d.done:
		if err != nil {
			return http.StatusInternalServerError, err
		}
		return http.StatusOK, nil
	case <-ctx.Done():
		return 0, nil
	}
}

// refuse answers a request that failed a check, and logs why.
func (a *Adapter) refuse(w http.ResponseWriter, r *http.Request, status int, what string, err error) {
	args := []any{"remote", r.RemoteAddr, "status", status}
	if err != nil {
		args = append(args, "err", err)
	}
	a.log.Warn("wecom: callback "+what, args...)
	msg := what
	switch status {
	case http.StatusUnauthorized:
		msg = "msg_signature does not match the callback token"
	case http.StatusBadRequest:
		if err != nil {
			msg = what + ": " + err.Error()
		}
	}
	http.Error(w, msg, status)
}

// statusOf maps a crypto error to the answer: 401 for a signature that
// does not match, 400 for the rest.
func statusOf(err error) int {
	if errors.Is(err, ErrSignature) {
		return http.StatusUnauthorized
	}
	return http.StatusBadRequest
}

// recent remembers the last n ids.
type recent struct {
	mu   sync.Mutex
	set  map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{set: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recent) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[id]
	return ok
}

func (r *recent) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.set[id]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
