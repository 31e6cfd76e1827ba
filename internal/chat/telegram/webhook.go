package telegram

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
)

// SecretHeader carries the webhook secret in Telegram's update POSTs.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateBytes bounds a webhook body; updates are a few kilobytes.
const maxUpdateBytes = 1 << 20

// ServeHTTP receives one update Telegram posts in webhook mode. A request
// without the configured secret is answered 401 and never reaches the
// sink. The answer is 200 only once the update's events are stored (or
// when it maps to none), so Telegram redelivers the update otherwise: 503
// while Run is not running or getMe has not answered yet, 500 when
// storing failed. A body that is not an update is 400; an update that
// cannot be read is logged and answered 200, so it does not hold back the
// updates behind it.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.cfg.Mode != ModeWebhook {
		http.Error(w, "this telegram connection polls; it takes no webhook", http.StatusNotFound)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST updates here", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get(SecretHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(a.cfg.WebhookSecret)) != 1 {
		a.log.Warn("telegram: webhook request with a missing or wrong secret", "remote", r.RemoteAddr)
		http.Error(w, "wrong secret token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	greeted := a.status.BotUsername != ""
	a.mu.Unlock()
	if !greeted {
		// Until getMe answered, commands cannot be told from other bots'.
		http.Error(w, "not connected to the Bot API yet; send it again later", http.StatusServiceUnavailable)
		return
	}
	u, err := a.DecodeUpdate(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.logIgnored(u, body)
	a.mu.Lock()
	live := a.live
	if live != nil {
		a.status.LastUpdate = a.cfg.Now()
	}
	a.mu.Unlock()
	if len(u.Events) == 0 {
		w.WriteHeader(http.StatusOK)
		return
	}
	if live == nil {
		http.Error(w, "not running; send it again later", http.StatusServiceUnavailable)
		return
	}
	d := delivery{events: u.Events, done: make(chan error, 1)}
	select {
	case a.deliveries <- d:
	case <-live:
		http.Error(w, "shutting down; send it again later", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	select {
	case err := <-d.done:
		if err != nil {
			a.log.Error("telegram: storing a webhook update failed; Telegram will send it again", "update_id", u.UpdateID, "err", err)
			http.Error(w, "storing the update failed; send it again", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
		if u.Callback != "" {
			a.answerPresses(r.Context(), []string{u.Callback})
		}
	case <-r.Context().Done():
	}
}
