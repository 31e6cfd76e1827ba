package webhook

import (
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// scanEvents reads a JSON array of event objects written the plain way
// bridges write them — exact lower-case field names, each at most once,
// strings, booleans, objects and null where the fields want them — into
// wire events, without encoding/json's reflection: decoding was most of
// the HTTP path's own CPU time in a batch (bench/httpingest), ~7 µs an
// event against ~2 µs here (BenchmarkDecodeEvents, with the checks).
//
// ok is false, and nothing returned, for anything else (an unknown or
// differently cased field, a repeated field, a number, a lone surrogate
// escape, more than max events, bad JSON): the caller then decodes with
// encoding/json, which accepts or names the problem exactly as before.
// Whatever scanEvents accepts, encoding/json's strict decoding gives the
// same wire events for (FuzzScanEvents). body must be valid UTF-8.
func scanEvents(body []byte, max int) (ws []wireEvent, ok bool) {
	s := scanner{b: body}
	ws = make([]wireEvent, 0, min(max, len(body)/128+1))
	if !s.array(func() bool {
		if len(ws) == max {
			return false
		}
		ws = append(ws, wireEvent{})
		return s.event(&ws[len(ws)-1])
	}) || len(ws) == 0 || !s.end() { // no events: the caller's words say so
		return nil, false
	}
	return ws, true
}

// scanEvent reads one event object as scanEvents reads each of an
// array's: a single-event request (how Telegram and WeCom deliver).
func scanEvent(body []byte) (w wireEvent, ok bool) {
	s := scanner{b: body}
	if !s.event(&w) || !s.end() {
		return wireEvent{}, false
	}
	return w, true
}

// scanner walks a JSON text; every method answers false at the first
// thing it does not take, leaving the position wherever it was.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// end reports whether only space is left.
func (s *scanner) end() bool {
	s.space()
	return s.i == len(s.b)
}

// take consumes c when it is the next byte.
func (s *scanner) take(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// null consumes a null literal when it comes next (after space).
func (s *scanner) null() bool {
	s.space()
	if len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// array reads "[", then each element through elem, then "]".
func (s *scanner) array(elem func() bool) bool {
	s.space()
	if !s.take('[') {
		return false
	}
	s.space()
	if s.take(']') {
		return true
	}
	for {
		if !elem() {
			return false
		}
		s.space()
		if s.take(',') {
			continue
		}
		return s.take(']')
	}
}

// object reads "{", then each member's key and, through member, its value,
// then "}". A key with an escape, or one member refuses, fails it.
func (s *scanner) object(member func(key []byte) bool) bool {
	s.space()
	if !s.take('{') {
		return false
	}
	s.space()
	if s.take('}') {
		return true
	}
	for {
		s.space()
		key, ok := s.rawKey()
		if !ok {
			return false
		}
		s.space()
		if !s.take(':') {
			return false
		}
		if !member(key) {
			return false
		}
		s.space()
		if s.take(',') {
			continue
		}
		return s.take('}')
	}
}

// plain reads a string's opening quote and its bytes up to the closing
// quote, past it. At an escape it stops there instead, with esc true.
func (s *scanner) plain() (b []byte, esc, ok bool) {
	if !s.take('"') {
		return nil, false, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			return s.b[start : s.i-1], false, true
		case c == '\\':
			return s.b[start:s.i], true, true
		case c < 0x20:
			return nil, false, false
		}
		s.i++
	}
	return nil, false, false
}

// rawKey reads a string without escapes and returns its bytes.
func (s *scanner) rawKey() ([]byte, bool) {
	b, esc, ok := s.plain()
	return b, ok && !esc
}

// str reads a string value, or null (leaving *dst as it is, as
// encoding/json does).
func (s *scanner) str(dst *string) bool {
	if s.null() {
		return true
	}
	b, esc, ok := s.plain()
	switch {
	case !ok:
		return false
	case esc:
		return s.escaped(b, dst)
	}
	*dst = known(b)
	return true
}

// known returns the constant for the words that come in nearly every
// event (a type, a kind), so they cost no allocation, and a copy of b
// otherwise.
func known(b []byte) string {
	switch string(b) {
	case string(chat.EventMessage):
		return string(chat.EventMessage)
	case string(chat.KindText):
		return string(chat.KindText)
	case string(chat.KindImage):
		return string(chat.KindImage)
	case string(chat.EventMemberJoined):
		return string(chat.EventMemberJoined)
	case string(chat.EventMemberLeft):
		return string(chat.EventMemberLeft)
	}
	return string(b)
}

// escaped finishes a string whose first bytes, head, an escape at s.i
// follows.
func (s *scanner) escaped(head []byte, dst *string) bool {
	out := make([]byte, 0, len(head)+16)
	out = append(out, head...)
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			s.i++
			*dst = string(out)
			return true
		case c < 0x20:
			return false
		case c != '\\':
			out = append(out, c)
			s.i++
			continue
		}
		if s.i+1 >= len(s.b) {
			return false
		}
		e := s.b[s.i+1]
		s.i += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := s.hex4()
			if !ok || utf8.RuneLen(r) < 0 { // a surrogate: pairs and lone halves are encoding/json's to read
				return false
			}
			out = utf8.AppendRune(out, r)
		default:
			return false
		}
	}
	return false
}

func (s *scanner) hex4() (rune, bool) {
	if len(s.b)-s.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s.b[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// boolean reads true, false or null (leaving *dst as it is), after space.
func (s *scanner) boolean(dst *bool) bool {
	if s.null() {
		return true
	}
	switch {
	case len(s.b)-s.i >= 4 && string(s.b[s.i:s.i+4]) == "true":
		*dst = true
		s.i += 4
	case len(s.b)-s.i >= 5 && string(s.b[s.i:s.i+5]) == "false":
		*dst = false
		s.i += 5
	default:
		return false
	}
	return true
}

// fields reads an object's members into v through field, which reads
// one member's value and answers its bit, or 0 for a key it does not know
// or a value it does not take; a member given twice fails it.
func fields[T any](s *scanner, v *T, field func(s *scanner, v *T, key []byte) uint32) bool {
	var seen uint32
	return s.object(func(key []byte) bool {
		bit := field(s, v, key)
		if bit == 0 || seen&bit != 0 {
			return false
		}
		seen |= bit
		return true
	})
}

// pointer reads an object into a new T, as fields does, or null (nil).
func pointer[T any](s *scanner, dst **T, field func(s *scanner, v *T, key []byte) uint32) bool {
	if s.null() {
		*dst = nil
		return true
	}
	v := new(T)
	if !fields(s, v, field) {
		return false
	}
	*dst = v
	return true
}

// bit answers b when ok, else 0.
func bit(b uint32, ok bool) uint32 {
	if ok {
		return b
	}
	return 0
}

func (s *scanner) event(w *wireEvent) bool { return fields(s, w, eventField) }

func eventField(s *scanner, w *wireEvent, key []byte) uint32 {
	switch string(key) {
	case "id":
		return bit(1<<0, s.str(&w.ID))
	case "connection":
		return bit(1<<1, s.str(&w.Connection))
	case "platform":
		return bit(1<<2, s.str(&w.Platform))
	case "type":
		return bit(1<<3, s.str(&w.Type))
	case "group":
		return bit(1<<4, s.str(&w.Group))
	case "group_name":
		return bit(1<<5, s.str(&w.GroupName))
	case "time":
		return bit(1<<6, s.str(&w.Time))
	case "sender":
		return bit(1<<7, pointer(s, &w.Sender, userField))
	case "message":
		return bit(1<<8, pointer(s, &w.Message, messageField))
	case "source":
		return bit(1<<9, s.str(&w.Source))
	case "inviter":
		return bit(1<<10, pointer(s, &w.Inviter, userField))
	case "code":
		return bit(1<<11, s.str(&w.Code))
	case "reason":
		return bit(1<<12, s.str(&w.Reason))
	case "actor":
		return bit(1<<13, pointer(s, &w.Actor, userField))
	case "new_name":
		return bit(1<<14, s.str(&w.NewName))
	}
	return 0
}

func userField(s *scanner, u *chat.User, key []byte) uint32 {
	switch string(key) {
	case "id":
		return bit(1<<0, s.str(&u.ID))
	case "name":
		return bit(1<<1, s.str(&u.Name))
	case "bot":
		return bit(1<<2, s.boolean(&u.Bot))
	}
	return 0
}

func messageField(s *scanner, m *wireMessage, key []byte) uint32 {
	switch string(key) {
	case "id":
		return bit(1<<0, s.str(&m.ID))
	case "kind":
		return bit(1<<1, s.str(&m.Kind))
	case "text":
		return bit(1<<2, s.str(&m.Text))
	case "url":
		return bit(1<<3, s.str(&m.URL))
	case "reply_to":
		return bit(1<<4, s.str(&m.ReplyTo))
	case "mentions":
		return bit(1<<5, s.strings(&m.Mentions))
	case "mention_all":
		return bit(1<<6, s.boolean(&m.MentionAll))
	}
	return 0
}

// strings reads an array of strings (not nil when empty, as encoding/json
// makes it), or null (nil).
func (s *scanner) strings(dst *[]string) bool {
	if s.null() {
		*dst = nil
		return true
	}
	out := []string{}
	if !s.array(func() bool {
		s.space()
		if s.i < len(s.b) && s.b[s.i] != '"' { // null elements are encoding/json's
			return false
		}
		var v string
		if !s.str(&v) {
			return false
		}
		out = append(out, v)
		return true
	}) {
		return false
	}
	*dst = out
	return true
}
