package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/backoff"
	"github.com/qunzhu/qunzhu/internal/chat"
)

// cursorKey names the saved polling position: the next update_id to ask
// getUpdates for.
const cursorKey = "offset"

// callTimeout bounds the calls Run makes besides getUpdates (getMe,
// setWebhook…); the dispatcher bounds actions.
const callTimeout = 30 * time.Second

// delivery is a webhook request's events waiting for Run to store them.
type delivery struct {
	events []chat.Event
	done   chan error // buffered: Run never blocks on it
}

// Run receives updates until ctx is done: by long polling, or in webhook
// mode by storing what ServeHTTP hands it. It first checks the token with
// getMe; a token Telegram refuses is an error (Run returns it and Status
// says so). Network errors and rate limits are retried with backoff. It
// returns nil when ctx is cancelled.
func (a *Adapter) Run(ctx context.Context, sink chat.Sink) error {
	live := make(chan struct{})
	a.mu.Lock()
	if a.live != nil {
		a.mu.Unlock()
		return fmt.Errorf("telegram %s: already running", a.cfg.Name)
	}
	a.live = live
	a.status.Running = true
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		a.live = nil
		a.status.Running = false
		a.mu.Unlock()
		close(live)
	}()
	if err := a.hello(ctx); err != nil || ctx.Err() != nil {
		return err
	}
	if a.cfg.Mode == ModeWebhook {
		return a.serve(ctx, sink)
	}
	return a.poll(ctx, sink)
}

// hello asks getMe until Telegram answers: it learns the bot's id and
// username, and tells a refused token from a network failure.
func (a *Adapter) hello(ctx context.Context) error {
	var me tgUser
	ok, err := a.untilDone(ctx, "getMe", func(ctx context.Context) error {
		return a.api.call(ctx, "getMe", nil, &me)
	})
	if !ok {
		return err
	}
	a.learn(me)
	a.mu.Lock()
	a.status.BotID, a.status.BotUsername, a.status.TokenRejected = itoa(me.ID), me.Username, false
	a.mu.Unlock()
	a.log.Info("telegram: connected", "bot", "@"+me.Username, "id", me.ID, "mode", a.cfg.Mode)
	return nil
}

// untilDone calls a Bot API method until it succeeds (true), Telegram
// refuses the token (the error) or ctx ends (false, nil), waiting between
// attempts as Telegram asks or with backoff. Each attempt may take
// callTimeout.
func (a *Adapter) untilDone(ctx context.Context, method string, call func(context.Context) error) (bool, error) {
	for attempt := 1; ; attempt++ {
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		err := call(cctx)
		cancel()
		if ctx.Err() != nil {
			return false, nil
		}
		if err == nil {
			a.setConnected(nil)
			return true, nil
		}
		if err := a.fatal(method, err); err != nil {
			return false, err
		}
		wait := a.wait(attempt, err)
		a.logRetry(attempt, "telegram: "+method+" failed; retrying", "err", a.redact(err), "attempt", attempt, "in", wait)
		if !a.cfg.Sleep(ctx, wait) {
			return false, nil
		}
	}
}

// fatal records a failed call in the status and returns an error for Run
// when the failure is the token's: Telegram answers 401 for a revoked or
// wrong token and 404 for a malformed one (or when api_url is not a Bot
// API server).
func (a *Adapter) fatal(method string, err error) error {
	err = a.redact(err)
	a.setConnected(err)
	code := apiCode(err)
	if code != 401 && code != 404 {
		return nil
	}
	a.mu.Lock()
	a.status.TokenRejected = true
	a.mu.Unlock()
	return fmt.Errorf("telegram %s: %s: the bot token was refused (check options.bot_token, or revoke it and copy the new one from @BotFather; check api_url %s): %w",
		a.cfg.Name, method, a.cfg.APIURL, err)
}

// logRetry logs a failed call that will be retried: the first failure
// at info (a passing hiccup), the ones after it at warn.
func (a *Adapter) logRetry(attempt int, msg string, args ...any) {
	level := slog.LevelWarn
	if attempt <= 1 {
		level = slog.LevelInfo
	}
	a.log.Log(context.Background(), level, msg, args...)
}

// wait is how long to wait before retrying a failed call: what Telegram
// asked for (429 retry_after), else exponential backoff.
func (a *Adapter) wait(attempt int, err error) time.Duration {
	var ae *APIError
	if errors.As(err, &ae) && ae.Code == 429 && ae.RetryAfter > 0 {
		return time.Duration(ae.RetryAfter) * time.Second
	}
	return a.backoff(attempt)
}

// backoff is exponential from MinBackoff, capped at MaxBackoff, with ±20%
// jitter.
func (a *Adapter) backoff(attempt int) time.Duration {
	return backoff.Delay(attempt, a.cfg.MinBackoff, a.cfg.MaxBackoff)
}

// allowedUpdates are the update types asked for: chat_member only when it
// is the source of member events (Telegram sends it to administrators).
func (a *Adapter) allowedUpdates() []string {
	u := []string{"message", "edited_message", "my_chat_member", "callback_query"}
	if a.cfg.MemberEvents == MembersFromChatMember {
		u = append(u, "chat_member")
	}
	return u
}

// poll long-polls getUpdates. Each answer's events are stored before the
// offset past them is saved, so a restart resumes exactly there.
func (a *Adapter) poll(ctx context.Context, sink chat.Sink) error {
	saved, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, cursorKey)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("telegram %s: load offset: %w", a.cfg.Name, err)
	}
	var offset int64
	if saved != "" {
		if offset, err = strconv.ParseInt(saved, 10, 64); err != nil {
			return fmt.Errorf("telegram %s: saved offset %q is not a number: %w", a.cfg.Name, saved, err)
		}
	}
	a.dropWebhook(ctx)
	hasty := 0 // empty answers in a row that came well before the poll timeout
	warned := false
	for attempt := 1; ctx.Err() == nil; {
		asked := a.cfg.Now()
		raws, err := a.getUpdates(ctx, offset)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if err := a.fatal("getUpdates", err); err != nil {
				return err
			}
			wait := a.wait(attempt, err)
			msg := "telegram: getUpdates failed; retrying"
			if apiCode(err) == 409 {
				msg = "telegram: getUpdates conflicts with another poller or a webhook (is a second qunzhu running with this token?); retrying"
			}
			a.logRetry(attempt, msg, "err", a.redact(err), "attempt", attempt, "in", wait)
			attempt++
			if !a.cfg.Sleep(ctx, wait) {
				return nil
			}
			continue
		}
		attempt = 1
		a.setConnected(nil)
		now := a.cfg.Now()
		a.mu.Lock()
		a.status.LastPoll = now
		if len(raws) > 0 {
			a.status.LastUpdate = now
		}
		a.mu.Unlock()
		if len(raws) == 0 && now.Sub(asked) < a.cfg.PollTimeout/2 {
			// A server that does not hold the long poll (a test server, a
			// misbehaving proxy) would have us ask again and again at once.
			hasty++
			wait := min(a.backoff(hasty), a.cfg.PollTimeout)
			if hasty == 3 && !warned {
				warned = true
				a.log.Warn("telegram: getUpdates keeps answering at once with nothing instead of waiting up to the poll timeout; waiting between polls (is api_url a Bot API server?)",
					"poll_timeout", a.cfg.PollTimeout, "in", wait)
			}
			if !a.cfg.Sleep(ctx, wait) {
				return nil
			}
			continue
		}
		hasty = 0
		next, evs, presses := a.decodeBatch(raws, offset)
		if len(evs) > 0 && !a.ingest(ctx, sink, evs) {
			return nil
		}
		a.answerPresses(ctx, presses)
		if next == offset {
			continue
		}
		offset = next
		if err := a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, cursorKey, strconv.FormatInt(offset, 10)); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			// The events are stored; the next save carries a later offset.
			// Until then a restart repeats them, which their ids make harmless.
			a.log.Error("telegram: saving the offset failed", "offset", offset, "err", err)
		}
	}
	return nil
}

// dropWebhook removes a webhook left registered for this bot: Telegram
// refuses getUpdates (409) while one is set.
func (a *Adapter) dropWebhook(parent context.Context) {
	ctx, cancel := context.WithTimeout(parent, callTimeout)
	defer cancel()
	var info webhookInfo
	if err := a.api.call(ctx, "getWebhookInfo", nil, &info); err != nil {
		if parent.Err() == nil {
			a.log.Warn("telegram: getWebhookInfo failed; polling all the same (should a webhook still be registered, getUpdates answers 409)", "err", a.redact(err))
		}
		return
	}
	if info.URL == "" {
		return
	}
	a.log.Warn("telegram: a webhook is registered for this bot; deleting it to poll (pending updates are kept)", "url", info.URL, "pending", info.PendingUpdateCount)
	if err := a.api.call(ctx, "deleteWebhook", nil, nil); err != nil && parent.Err() == nil {
		a.log.Warn("telegram: deleteWebhook failed", "err", a.redact(err))
	}
}

// getUpdates asks for the updates from offset on, each left undecoded so
// that one update that cannot be read does not block the ones after it.
func (a *Adapter) getUpdates(ctx context.Context, offset int64) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, a.cfg.PollTimeout+30*time.Second)
	defer cancel()
	params := getUpdatesParams{Offset: offset, Timeout: int(a.cfg.PollTimeout / time.Second), AllowedUpdates: a.allowedUpdates()}
	var raws []json.RawMessage
	if err := a.api.call(ctx, "getUpdates", params, &raws); err != nil {
		return nil, a.redact(err)
	}
	return raws, nil
}

// decodeBatch maps a getUpdates answer; next is the offset past its last
// update, presses the button presses to answer once the events are stored.
func (a *Adapter) decodeBatch(raws []json.RawMessage, offset int64) (next int64, evs []chat.Event, presses []string) {
	next = offset
	for _, raw := range raws {
		u, err := a.DecodeUpdate(raw)
		if err != nil {
			a.log.Warn("telegram: skipping something that is not an update", "err", err, "raw", bodySnippet(raw))
			continue
		}
		next = max(next, u.UpdateID+1)
		a.logIgnored(u, raw)
		evs = append(evs, u.Events...)
		if u.Callback != "" {
			presses = append(presses, u.Callback)
		}
	}
	return next, evs, presses
}

// answerPresses answers button presses (answerCallbackQuery) once their
// events are stored, so the member's app stops showing it waiting; what the
// press does comes in the group. A failed answer is only logged: Telegram
// stops waiting by itself after a few seconds.
func (a *Adapter) answerPresses(ctx context.Context, ids []string) {
	for _, id := range ids {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := a.api.call(cctx, "answerCallbackQuery", callbackAnswerParams{CallbackQueryID: id}, nil)
		cancel()
		if err != nil && ctx.Err() == nil {
			a.log.Debug("telegram: answerCallbackQuery failed", "err", a.redact(err))
		}
	}
}

func (a *Adapter) logIgnored(u Update, raw []byte) {
	switch {
	case u.Malformed:
		a.log.Warn("telegram: skipping an update that cannot be read", "update_id", u.UpdateID, "why", u.Ignored, "raw", bodySnippet(raw))
	case u.Kind == "my_chat_member":
		a.log.Info("telegram: "+u.Ignored, "update_id", u.UpdateID)
	case u.Ignored != "":
		a.log.Debug("telegram: update ignored", "update_id", u.UpdateID, "why", u.Ignored)
	}
}

// ingest hands events to the sink, retrying the same events with backoff
// until it accepts them; false when ctx ended first.
func (a *Adapter) ingest(ctx context.Context, sink chat.Sink, evs []chat.Event) bool {
	for attempt := 1; ; attempt++ {
		err := sink.Ingest(ctx, evs)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := a.backoff(attempt)
		a.log.Error("telegram: storing events failed; retrying the same events", "err", err, "attempt", attempt, "in", wait)
		if !a.cfg.Sleep(ctx, wait) {
			return false
		}
	}
}

// serve stores what ServeHTTP hands over, one request at a time, and
// registers the webhook when a URL is configured.
func (a *Adapter) serve(ctx context.Context, sink chat.Sink) error {
	fatal := make(chan error, 1)
	done := make(chan struct{})
	defer func() { <-done }()
	go func() {
		defer close(done)
		if err := a.register(ctx); err != nil {
			fatal <- err
		}
	}()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-fatal:
			return err
		case d := <-a.deliveries:
			d.done <- sink.Ingest(ctx, d.events)
		}
	}
}

// register calls setWebhook with the configured URL and secret until it
// succeeds.
func (a *Adapter) register(ctx context.Context) error {
	if a.cfg.WebhookURL == "" {
		return nil
	}
	params := setWebhookParams{URL: a.cfg.WebhookURL, SecretToken: a.cfg.WebhookSecret, AllowedUpdates: a.allowedUpdates()}
	ok, err := a.untilDone(ctx, "setWebhook", func(ctx context.Context) error { return a.api.call(ctx, "setWebhook", params, nil) })
	if ok {
		a.mu.Lock()
		a.status.WebhookSet = true
		a.mu.Unlock()
		a.log.Info("telegram: webhook registered", "url", a.cfg.WebhookURL)
	}
	return err
}
