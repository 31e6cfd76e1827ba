// Package webhook is the generic HTTP integration: any bridge (wechaty,
// NapCat, a WeCom relay) POSTs qunzhu events as JSON and receives actions
// pushed to its URL, signed with HMAC-SHA256, or pulls them. This package
// decodes and validates events, encodes and signs actions, and is the
// chat.Adapter of a webhook connection.
package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// DecodeOptions limit and complete decoded events.
type DecodeOptions struct {
	MaxBytes   int64            // body limit; 1 MiB when 0
	MaxEvents  int              // events per body; 1000 when 0
	Connection string           // set on every event
	Platform   string           // "webhook" when empty and the event names none
	Now        func() time.Time // the time of events without one, or with an implausible one; time.Now when nil
	Logger     *slog.Logger     // notes implausible times; none when nil
}

// MaxTextBytes caps any one text field.
const MaxTextBytes = 64 << 10

// wireEvent is an event as a bridge sends it.
type wireEvent struct {
	ID         string       `json:"id"`
	Connection string       `json:"connection"`
	Platform   string       `json:"platform"`
	Type       string       `json:"type"`
	Group      string       `json:"group"`
	GroupName  string       `json:"group_name"`
	Time       string       `json:"time"`
	Sender     *chat.User   `json:"sender"`
	Message    *wireMessage `json:"message"`
	Source     string       `json:"source"`
	Inviter    *chat.User   `json:"inviter"`
	Code       string       `json:"code"`
	Reason     string       `json:"reason"`
	Actor      *chat.User   `json:"actor"`
	NewName    string       `json:"new_name"`
}

type wireMessage struct {
	ID         string   `json:"id"`
	Kind       string   `json:"kind"`
	Text       string   `json:"text"`
	URL        string   `json:"url"`
	ReplyTo    string   `json:"reply_to"`
	Mentions   []string `json:"mentions"`
	MentionAll bool     `json:"mention_all"`
}

func invalid(format string, args ...any) error {
	return errkind.Errorf(errkind.Invalid, format, args...)
}

// DecodeEvents reads one event object or a JSON array of them. It returns
// every event or, on the first problem, none, with an error of kind Invalid
// (or TooLarge) that names the event and field.
func DecodeEvents(r io.Reader, opt DecodeOptions) ([]chat.Event, error) {
	if opt.MaxBytes <= 0 {
		opt.MaxBytes = 1 << 20
	}
	if opt.MaxEvents <= 0 {
		opt.MaxEvents = 1000
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	body, err := io.ReadAll(io.LimitReader(r, opt.MaxBytes+1))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, errkind.Errorf(errkind.TooLarge, "request body over %d bytes", opt.MaxBytes)
		}
		return nil, invalid("read body: %v", err)
	}
	if int64(len(body)) > opt.MaxBytes {
		return nil, errkind.Errorf(errkind.TooLarge, "request body over %d bytes", opt.MaxBytes)
	}
	if !utf8.Valid(body) {
		return nil, invalid("body: not valid UTF-8")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, invalid("body: empty; want an event object or an array of events")
	}
	array := trimmed[0] == '['
	if array {
		if out, ok, err := decodeArray(body, opt); ok {
			return out, err
		}
	}
	return decodeEach(body, array, opt)
}

// decodeArray decodes a well-formed array of at most opt.MaxEvents event
// objects in one pass, the common case: every byte is scanned twice,
// where decodeEach scans it four times (the array, then each element
// again). ok is false, and nothing done, when the array has anything
// decodeEach must name — bad JSON, an unknown field, no events or too
// many. A field check that fails is reported here as decodeEach reports
// it: every element decoded cleanly, so it is the first problem. body is
// valid UTF-8 (DecodeEvents checked).
func decodeArray(body []byte, opt DecodeOptions) (out []chat.Event, ok bool, err error) {
	ws, ok := scanEvents(body, opt.MaxEvents)
	if !ok {
		if err := strictUnmarshal(body, &ws); err != nil || len(ws) == 0 || len(ws) > opt.MaxEvents {
			return nil, false, nil
		}
	}
	out = make([]chat.Event, 0, len(ws))
	for i := range ws {
		e, err := ws[i].event(opt)
		if err != nil {
			return nil, true, invalid("%s", at(fmt.Sprintf("events[%d]", i), err.Error()))
		}
		out = append(out, e)
	}
	return out, true, nil
}

// decodeEach reads the body's events one by one, reporting the first
// problem.
func decodeEach(body []byte, array bool, opt DecodeOptions) ([]chat.Event, error) {
	var raws []json.RawMessage
	if array {
		if err := strictUnmarshal(body, &raws); err != nil {
			return nil, invalid("body: %s", jsonProblem(err))
		}
		if len(raws) == 0 {
			return nil, invalid("body: empty array; send at least one event")
		}
		if len(raws) > opt.MaxEvents {
			return nil, invalid("body: %d events, at most %d in one request", len(raws), opt.MaxEvents)
		}
	} else {
		raws = []json.RawMessage{body}
	}
	out := make([]chat.Event, 0, len(raws))
	for i, raw := range raws {
		prefix := ""
		if array {
			prefix = fmt.Sprintf("events[%d]", i)
		}
		w, ok := wireEvent{}, false
		if !array {
			w, ok = scanEvent(raw)
		}
		if !ok {
			if err := strictUnmarshal(raw, &w); err != nil {
				return nil, invalid("%s", at(prefix, jsonProblem(err)))
			}
		}
		e, err := w.event(opt)
		if err != nil {
			return nil, invalid("%s", at(prefix, err.Error()))
		}
		out = append(out, e)
	}
	return out, nil
}

// at joins a path prefix and a "field: problem" message.
func at(prefix, msg string) string {
	switch {
	case prefix == "":
		return msg
	case strings.HasPrefix(msg, "unknown field"), strings.HasPrefix(msg, "not a JSON"):
		return prefix + ": " + msg
	}
	return prefix + "." + msg
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// jsonProblem turns a decoding error into "field: problem" words.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field == "" {
			return fmt.Sprintf("not a JSON %s: want an event object", te.Value)
		}
		return fmt.Sprintf("%s: want %s, got JSON %s", te.Field, te.Type.String(), te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "malformed JSON: unexpected end"
	}
	return err.Error()
}

func kindList[T ~string](ks []T) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func checkText(field, s string) error {
	if len(s) > MaxTextBytes {
		return fmt.Errorf("%s: %d bytes, at most %d", field, len(s), MaxTextBytes)
	}
	return nil
}

func checkUser(field string, u *chat.User) error {
	if u == nil {
		return nil
	}
	if u.ID == "" {
		return fmt.Errorf("%s.id: required", field)
	}
	// The fields' names are joined only for the error: otherwise a
	// concatenation an event, twice.
	if len(u.ID) > MaxTextBytes || len(u.Name) > MaxTextBytes {
		if err := checkText(field+".id", u.ID); err != nil {
			return err
		}
		return checkText(field+".name", u.Name)
	}
	return nil
}

func (w *wireEvent) event(opt DecodeOptions) (chat.Event, error) {
	e := chat.Event{ID: w.ID, Connection: opt.Connection, Platform: w.Platform, Type: chat.EventType(w.Type), Group: w.Group, GroupName: w.GroupName,
		Source: chat.JoinSource(w.Source), Inviter: w.Inviter, Code: w.Code, Reason: chat.LeaveReason(w.Reason), Actor: w.Actor, NewName: w.NewName}
	if e.Platform == "" {
		e.Platform = opt.Platform
		if e.Platform == "" {
			e.Platform = "webhook"
		}
	}
	switch {
	case w.ID == "":
		return e, errors.New("id: required")
	case len(w.ID) > 256:
		return e, errors.New("id: at most 256 bytes")
	case w.Type == "":
		return e, errors.New("type: required")
	case !e.Type.Valid():
		return e, fmt.Errorf("type: unknown event type %q (want %s)", w.Type, kindList(chat.EventTypes))
	case w.Group == "":
		return e, errors.New("group: required")
	}
	for _, f := range []struct{ n, v string }{{"group", w.Group}, {"group_name", w.GroupName}, {"code", w.Code}, {"new_name", w.NewName}} {
		if err := checkText(f.n, f.v); err != nil {
			return e, err
		}
	}
	if w.Time == "" {
		e.Time = opt.Now()
	} else {
		t, err := time.Parse(time.RFC3339Nano, w.Time)
		if err != nil {
			return e, fmt.Errorf("time: not RFC 3339 (like 2026-11-25T08:00:00+08:00), got %q", w.Time)
		}
		var ok bool
		if e.Time, ok = chat.SaneTime(t, opt.Now()); !ok && opt.Logger != nil {
			opt.Logger.Warn("webhook: an implausible event time replaced by the time received", "connection", opt.Connection, "event", w.ID, "time", w.Time)
		}
	}
	for _, u := range []struct {
		n string
		u *chat.User
	}{{"sender", w.Sender}, {"inviter", w.Inviter}, {"actor", w.Actor}} {
		if err := checkUser(u.n, u.u); err != nil {
			return e, err
		}
	}
	if w.Sender != nil {
		e.Sender = *w.Sender
	}
	switch e.Type {
	case chat.EventMessage, chat.EventMemberJoined, chat.EventMemberLeft, chat.EventMemberRenamed:
		if w.Sender == nil {
			return e, fmt.Errorf("sender: required for %s events", e.Type)
		}
	}
	if !e.Source.Valid() {
		return e, fmt.Errorf("source: unknown join source %q (want pulled_in, event, referral or promotion)", w.Source)
	}
	if w.Reason != "" && e.Reason != chat.LeftVoluntarily && e.Reason != chat.LeftRemoved {
		return e, fmt.Errorf("reason: unknown %q (want left or removed)", w.Reason)
	}
	if e.Type == chat.EventMemberLeft && e.Reason == "" {
		e.Reason = chat.LeftVoluntarily
	}
	if e.Type != chat.EventMessage {
		if w.Message != nil {
			return e, fmt.Errorf("message: only for message events, not %s", e.Type)
		}
		return e, nil
	}
	m := w.Message
	if m == nil {
		return e, errors.New("message: required for message events")
	}
	switch {
	case m.ID == "":
		return e, errors.New("message.id: required")
	case m.Kind == "":
		return e, errors.New("message.kind: required")
	case !chat.MessageKind(m.Kind).Valid():
		return e, fmt.Errorf("message.kind: unknown kind %q (want %s)", m.Kind, kindList(chat.MessageKinds))
	case len(m.Mentions) > 500:
		return e, errors.New("message.mentions: at most 500")
	}
	for _, f := range []struct{ n, v string }{{"message.id", m.ID}, {"message.text", m.Text}, {"message.url", m.URL}, {"message.reply_to", m.ReplyTo}} {
		if err := checkText(f.n, f.v); err != nil {
			return e, err
		}
	}
	e.Message = &chat.Message{ID: m.ID, Kind: chat.MessageKind(m.Kind), Text: m.Text, URL: m.URL, ReplyTo: m.ReplyTo, Mentions: m.Mentions, MentionAll: m.MentionAll}
	return e, nil
}
