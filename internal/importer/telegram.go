package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// telegram reads a Telegram Desktop JSON export with the decoder's token
// API: one message object is decoded at a time, so memory stays flat
// however long the export.
type telegram struct {
	st      *state
	dec     *json.Decoder
	frames  []tgFrame
	started bool
	found   bool         // a "messages" or "chats" key
	msg     tgMessage    // the message being read (reused)
	out     []chat.Event // the events of the last message (reused: the reader copies them)
}

type tgFrameKind int

const (
	tgTop      tgFrameKind = iota // the top object: a chat, or an account
	tgChats                       // the object of "chats" / "left_chats"
	tgList                        // its "list" of chats
	tgChat                        // a chat of the list
	tgMessages                    // a chat's "messages"
)

type tgFrame struct {
	kind  tgFrameKind
	path  string // JSON path of the value
	index int    // tgList, tgMessages: the next element's index
	head  tgHead // tgTop, tgChat: the chat's name, type and id so far
	skip  bool   // tgMessages: the chat is not imported
}

type tgHead struct {
	name        string
	typ         string
	id          int64
	hasID, seen bool
}

func newTelegram(st *state, br *bufio.Reader) parser {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	return &telegram{st: st, dec: dec}
}

func join(path, key string) string {
	switch {
	case key == "":
		return path
	case path == "":
		return key
	}
	return path + "." + key
}

// jsonError names a decoding error's place in the file.
func jsonError(path string, err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var fe *fieldError
	switch {
	case errors.As(err, &fe):
		return fileError(join(path, fe.field), 0, "%s", fe.problem)
	case errors.As(err, &te):
		return fileError(join(path, te.Field), 0, "want %s, got JSON %s", jsonKind(te.Type.String()), te.Value)
	case errors.As(err, &se):
		return fileError(path, 0, "malformed JSON: %v", se)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fileError(path, 0, "the file ends in the middle: is the export complete?")
	}
	return err
}

func jsonKind(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), goType == "json.Number":
		return "a number"
	case goType == "string", goType == "*string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	}
	return "an object"
}

// fieldError is a problem a field's own decoding found.
type fieldError struct{ field, problem string }

func (e *fieldError) Error() string { return e.field + ": " + e.problem }

// expect reads the next token and checks it is the delimiter d.
func (p *telegram) expect(path string, d json.Delim) error {
	tok, err := p.dec.Token()
	if err != nil {
		return jsonError(path, err)
	}
	if tok != d {
		what := "an object"
		if d == '[' {
			what = "an array"
		}
		return fileError(path, 0, "want %s, got %v", what, tokenWord(tok))
	}
	return nil
}

func tokenWord(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		if v == '[' {
			return "an array"
		}
		return string(v)
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprint(tok)
}

// elemPath is the JSON path of an array element, written out only for an
// error message.
type elemPath struct {
	base string
	i    int
}

func (e elemPath) String() string { return e.base + "[" + strconv.Itoa(e.i) + "]" }

// element moves to the next element of the array in frame i and returns
// its path; at the array's end it reads the ] and leaves the frame.
func (p *telegram) element(i int) (at elemPath, more bool, err error) {
	f := &p.frames[i]
	if !p.dec.More() {
		if _, err := p.dec.Token(); err != nil {
			return at, false, jsonError(f.path, err)
		}
		p.pop()
		return at, false, nil
	}
	at = elemPath{f.path, f.index}
	f.index++
	return at, true, nil
}

func (p *telegram) push(f tgFrame) { p.frames = append(p.frames, f) }
func (p *telegram) pop()           { p.frames = p.frames[:len(p.frames)-1] }

func (p *telegram) read() ([]chat.Event, error) {
	for {
		if len(p.frames) == 0 {
			if p.started {
				if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
					return nil, fileError("", 0, "trailing data after the export's JSON object")
				}
				if !p.found {
					return nil, fileError("", 0, "not a Telegram Desktop export: the JSON object has no \"messages\" or \"chats\"")
				}
				return nil, io.EOF
			}
			p.started = true
			if err := p.expect("", '{'); err != nil {
				return nil, fileError("", 0, "not a Telegram Desktop export: want a JSON object")
			}
			p.push(tgFrame{kind: tgTop})
			continue
		}
		i := len(p.frames) - 1
		f := p.frames[i]
		switch f.kind {
		case tgTop, tgChats, tgChat:
			tok, err := p.dec.Token()
			if err != nil {
				return nil, jsonError(f.path, err)
			}
			if tok == json.Delim('}') {
				p.pop()
				continue
			}
			key, _ := tok.(string)
			if err := p.key(i, key); err != nil {
				return nil, err
			}
		case tgList:
			at, more, err := p.element(i)
			if err != nil {
				return nil, err
			}
			if !more {
				continue
			}
			if err := p.expect(at.String(), '{'); err != nil {
				return nil, err
			}
			p.push(tgFrame{kind: tgChat, path: at.String()})
		case tgMessages:
			at, more, err := p.element(i)
			if err != nil {
				return nil, err
			}
			if !more {
				continue
			}
			if f.skip {
				var raw json.RawMessage
				if err := p.dec.Decode(&raw); err != nil {
					return nil, jsonError(at.String(), err)
				}
				p.st.skip("chat not imported")
				continue
			}
			m := &p.msg
			*m = tgMessage{}
			if err := p.dec.Decode(m); err != nil {
				return nil, jsonError(at.String(), err)
			}
			return p.message(m, at)
		}
	}
}

// key handles a key of the object in frame i.
func (p *telegram) key(i int, key string) error {
	f := &p.frames[i]
	at := join(f.path, key)
	chatLike := f.kind == tgTop || f.kind == tgChat
	switch {
	case chatLike && key == "messages":
		p.found = true
		skip, err := p.openChat(f)
		if err != nil {
			return err
		}
		if err := p.expect(at, '['); err != nil {
			return err
		}
		p.push(tgFrame{kind: tgMessages, path: at, skip: skip})
	case f.kind == tgTop && (key == "chats" || key == "left_chats"):
		p.found = true
		if err := p.expect(at, '{'); err != nil {
			return err
		}
		p.push(tgFrame{kind: tgChats, path: at})
	case f.kind == tgChats && key == "list":
		if err := p.expect(at, '['); err != nil {
			return err
		}
		p.push(tgFrame{kind: tgList, path: at})
	case chatLike && key == "name":
		var s *string
		if err := p.dec.Decode(&s); err != nil {
			return jsonError(at, err)
		}
		if s != nil {
			f.head.name = *s
		}
	case chatLike && key == "type":
		if err := p.dec.Decode(&f.head.typ); err != nil {
			return jsonError(at, err)
		}
		f.head.seen = true
	case chatLike && key == "id":
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return jsonError(at, err)
		}
		id, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return fileError(at, 0, "not a chat id: %s", clip(string(raw)))
		}
		f.head.id, f.head.hasID = id, true
	default:
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return jsonError(at, err)
		}
	}
	return nil
}

// botAPIID is a group's id as the Bot API (and so the live adapter)
// writes it: -100… for supergroups, -… for basic groups.
func botAPIID(typ string, id int64) (string, bool) {
	switch typ {
	case "private_group":
		return "-" + strconv.FormatInt(id, 10), true
	case "private_supergroup", "public_supergroup":
		return "-100" + strconv.FormatInt(id, 10), true
	}
	return "", false
}

// openChat starts the chat whose messages come next; skip is true when
// it is not a group (or not chosen).
func (p *telegram) openChat(f *tgFrame) (skip bool, err error) {
	h := f.head
	if !h.seen {
		return false, fileError(join(f.path, "type"), 0, "required before \"messages\" (private_group, private_supergroup, public_supergroup…)")
	}
	if !h.hasID {
		return false, fileError(join(f.path, "id"), 0, "required before \"messages\"")
	}
	id, group := botAPIID(h.typ, h.id)
	reason, key := "", id
	if !group {
		reason, key = h.typ+" (not a group)", h.typ+":"+strconv.FormatInt(h.id, 10)
	}
	g, err := p.st.openGroup(key, h.name, h.typ, id, reason)
	if err != nil {
		return false, err
	}
	return g.sum.Skipped != "", nil
}

// tgMessage is one element of "messages", with the fields qunzhu reads.
type tgMessage struct {
	ID           *int64    `json:"id"`
	Type         string    `json:"type"`
	Date         string    `json:"date"`
	DateUnix     tgUnix    `json:"date_unixtime"`
	From         *string   `json:"from"`
	FromID       fromID    `json:"from_id"`
	Actor        *string   `json:"actor"`
	ActorID      actorID   `json:"actor_id"`
	Action       string    `json:"action"`
	Title        string    `json:"title"`
	Members      []*string `json:"members"`
	Inviter      *string   `json:"inviter"`
	Author       string    `json:"author"`
	Forwarded    present   `json:"forwarded_from"`
	ReplyTo      int64     `json:"reply_to_message_id"`
	Photo        string    `json:"photo"`
	File         string    `json:"file"`
	MediaType    string    `json:"media_type"`
	StickerEmoji string    `json:"sticker_emoji"`
	Contact      *struct {
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Phone     string `json:"phone_number"`
	} `json:"contact_information"`
	Location  present `json:"location_information"`
	PlaceName string  `json:"place_name"`
	Address   string  `json:"address"`
	Poll      *struct {
		Question string `json:"question"`
	} `json:"poll"`
	GameTitle string `json:"game_title"`
	Text      tgText `json:"text"`
}

// present records that a field was there, even as null.
type present bool

func (p *present) UnmarshalJSON([]byte) error { *p = true; return nil }

// tgUnix is date_unixtime: Unix seconds as a string (or a number).
type tgUnix struct {
	t   int64
	set bool
}

func (u *tgUnix) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return &fieldError{"date_unixtime", fmt.Sprintf("not a Unix time: %s", clip(string(b)))}
	}
	u.t, u.set = n, true
	return nil
}

// peer reads a peer id: "user123" (or 123 in old exports) is a user,
// "channel123" a channel or supergroup (-100123 in the Bot API), "chat123"
// a basic group (-123).
func peer(field string, b []byte) (string, error) {
	if string(b) == "null" {
		return "", nil
	}
	bad := func() error {
		return &fieldError{field, fmt.Sprintf("not a peer id like \"user123\": %s", clip(string(b)))}
	}
	if len(b) > 0 && b[0] != '"' {
		if _, err := strconv.ParseInt(string(b), 10, 64); err != nil {
			return "", bad()
		}
		return string(b), nil
	}
	if len(b) < 2 || b[len(b)-1] != '"' {
		return "", bad()
	}
	s := b[1 : len(b)-1] // a peer id needs no escapes; one with them is refused below
	for _, k := range []struct{ prefix, botAPI string }{{"user", ""}, {"channel", "-100"}, {"chat", "-"}} {
		if rest, ok := bytes.CutPrefix(s, []byte(k.prefix)); ok && len(rest) > 0 && rest[0] != '0' && len(rest) <= 19 && allDigits(rest) {
			return k.botAPI + string(rest), nil
		}
	}
	return "", bad()
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

type fromID struct{ id string }

func (p *fromID) UnmarshalJSON(b []byte) (err error) { p.id, err = peer("from_id", b); return err }

type actorID struct{ id string }

func (p *actorID) UnmarshalJSON(b []byte) (err error) { p.id, err = peer("actor_id", b); return err }

// tgText is a message's text: a string, or an array of plain strings and
// entity objects ({"type":"link","text":…}, {"type":"mention_name",
// "text":…,"user_id":…}).
type tgText struct {
	text     string
	link     string
	mentions []string
}

type tgEntity struct {
	Type   string      `json:"type"`
	Text   string      `json:"text"`
	Href   string      `json:"href"`
	UserID json.Number `json:"user_id"`
}

func (t *tgText) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	bad := func() error { return &fieldError{"text", "want a string or an array of text parts"} }
	switch {
	case len(b) == 0:
		return bad()
	case b[0] == '"':
		if s := b[1 : len(b)-1]; bytes.IndexByte(s, '\\') < 0 && utf8.Valid(s) {
			t.text = string(s) // no escapes: the common case, without a second parse
			return nil
		}
		return json.Unmarshal(b, &t.text)
	case string(b) == "null":
		return nil
	case b[0] != '[':
		return bad()
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(b, &parts); err != nil {
		return bad()
	}
	var sb strings.Builder
	for i, raw := range parts {
		if len(raw) > 0 && raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return bad()
			}
			sb.WriteString(s)
			continue
		}
		var e tgEntity
		if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &e) != nil {
			return &fieldError{fmt.Sprintf("text[%d]", i), "want a string or an entity object"}
		}
		sb.WriteString(e.Text)
		switch e.Type {
		case "link":
			if t.link == "" {
				t.link = e.Text
			}
		case "text_link":
			if t.link == "" {
				t.link = e.Href
			}
		case "mention_name":
			if id := e.UserID.String(); id != "" && !containsStr(t.mentions, id) {
				t.mentions = append(t.mentions, id)
			}
		}
	}
	t.text = sb.String()
	return nil
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// time reads a message's time: date_unixtime, else date in Location
// (exports older than date_unixtime wrote the exporting computer's time).
func (p *telegram) time(m *tgMessage, at elemPath) (time.Time, error) {
	if m.DateUnix.set {
		return time.Unix(m.DateUnix.t, 0).UTC(), nil
	}
	if m.Date == "" {
		return time.Time{}, fileError(join(at.String(), "date"), 0, "required")
	}
	if p.st.opt.Location == nil {
		return time.Time{}, p.st.needLocation(join(at.String(), "date"), 0)
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", m.Date, p.st.opt.Location)
	if err != nil {
		return time.Time{}, fileError(join(at.String(), "date"), 0, "not a time: %q", clip(m.Date))
	}
	return t.UTC(), nil
}

// message maps one element of "messages".
func (p *telegram) message(m *tgMessage, at elemPath) ([]chat.Event, error) {
	st := p.st
	if m.ID == nil {
		return nil, fileError(join(at.String(), "id"), 0, "required")
	}
	switch m.Type {
	case "message", "service":
	case "unsupported":
		st.skip("unsupported message")
		return nil, nil
	case "":
		return nil, fileError(join(at.String(), "type"), 0, "required (message or service)")
	default:
		st.skip("message type " + clip(m.Type))
		return nil, nil
	}
	when, err := p.time(m, at)
	if err != nil {
		return nil, err
	}
	msgID := strconv.FormatInt(*m.ID, 10)
	if m.Type == "service" {
		return p.service(m, msgID, when), nil
	}
	if m.FromID.id == "" {
		st.skip("message without a sender")
		return nil, nil
	}
	name := deref(m.From)
	if m.FromID.id == st.cur.sum.ID && m.Author != "" {
		name = m.Author // an anonymous administrator: the group itself, signed
	}
	msg := content(m)
	if msg == nil {
		st.skip("message without content")
		return nil, nil
	}
	msg.Text = st.text(msg.Text)
	msg.ID = msgID
	if m.ReplyTo != 0 {
		msg.ReplyTo = strconv.FormatInt(m.ReplyTo, 10)
	}
	e := st.base(chat.EventMessage, when)
	e.ID = st.sourceID(msgID)
	e.Sender = st.platformUser("", m.FromID.id, name)
	e.Message = msg
	p.out = append(p.out[:0], e)
	return p.out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// content reads a message's kind and text as the live adapter does.
func content(m *tgMessage) *chat.Message {
	msg := &chat.Message{Text: m.Text.text, URL: m.Text.link, Mentions: m.Text.mentions}
	switch {
	case bool(m.Forwarded):
		msg.Kind = chat.KindForward
	case m.Photo != "":
		msg.Kind = chat.KindImage
	case m.MediaType == "sticker":
		msg.Kind, msg.Text = chat.KindSticker, m.StickerEmoji
	case m.MediaType == "animation", m.MediaType == "video_file", m.MediaType == "video_message":
		msg.Kind = chat.KindVideo
	case m.MediaType == "voice_message", m.MediaType == "audio_file":
		msg.Kind = chat.KindVoice
	case m.File != "":
		msg.Kind = chat.KindFile
		if msg.Text == "" && !strings.HasPrefix(m.File, "(") {
			msg.Text = path.Base(m.File)
		}
	case m.Contact != nil:
		c := m.Contact
		msg.Kind, msg.Text = chat.KindCard, strings.TrimSpace(strings.TrimSpace(c.FirstName+" "+c.LastName)+" "+c.Phone)
	case m.PlaceName != "" || m.Address != "":
		msg.Kind, msg.Text = chat.KindCard, strings.TrimSpace(m.PlaceName+" "+m.Address)
	case bool(m.Location):
		msg.Kind = chat.KindCard
	case m.Poll != nil:
		msg.Kind, msg.Text = chat.KindCard, m.Poll.Question
	case m.GameTitle != "":
		msg.Kind, msg.Text = chat.KindCard, m.GameTitle
	case msg.Text != "":
		msg.Kind = chat.KindText
	default:
		return nil
	}
	if msg.Kind == chat.KindText && msg.URL != "" {
		msg.Kind = chat.KindLink
	}
	return msg
}

// service maps a service message: joins, leaves, the group created or
// renamed. Ids are those of the live adapter's service messages:
// {group}:{message id}, and :joined:/:left:{user id} for members.
func (p *telegram) service(m *tgMessage, msgID string, when time.Time) []chat.Event {
	st := p.st
	var actor *chat.User
	actorName := deref(m.Actor)
	if m.ActorID.id != "" {
		u := st.platformUser("", m.ActorID.id, actorName)
		actor = &u
	}
	member := func(typ chat.EventType, i int, name string) (chat.Event, bool) {
		e := st.base(typ, when)
		var u chat.User
		switch {
		case actor != nil && len(m.Members) == 1 && name == actorName:
			u = *actor // joined or left by themselves
		default:
			u = st.byName("", name)
		}
		e.Sender = u
		word := "joined"
		if typ == chat.EventMemberLeft {
			word = "left"
		}
		if KindOf(u.ID) == ByPlatformID {
			e.ID = st.sourceID(msgID, word, u.ID)
		} else {
			e.ID = st.sourceID(msgID, word, "#"+strconv.Itoa(i))
		}
		self := actor != nil && u.ID == actor.ID
		return e, self
	}
	var out []chat.Event
	switch m.Action {
	case "invite_members", "create_group", "create_channel":
		if m.Action != "invite_members" {
			e := st.base(chat.EventGroupCreated, when)
			e.ID, e.Actor = st.sourceID(msgID), actor
			if m.Title != "" {
				e.GroupName = m.Title
			}
			out = append(out, e)
		}
		for i, name := range m.Members {
			if name == nil {
				st.skip("member without a name (deleted account)")
				continue
			}
			if m.Action != "invite_members" && *name == actorName && actor != nil {
				continue // the creator is not a joiner
			}
			e, self := member(chat.EventMemberJoined, i, *name)
			if self {
				e.Source = chat.SourcePromo // by the group's link or username
			} else {
				e.Source, e.Inviter = chat.SourcePulledIn, actor
			}
			out = append(out, e)
		}
	case "join_group_by_link", "join_group_by_request":
		if actor == nil {
			st.skip("join without the member")
			return nil
		}
		e := st.base(chat.EventMemberJoined, when)
		e.ID, e.Sender, e.Source = st.sourceID(msgID, "joined", actor.ID), *actor, chat.SourcePromo
		if name := deref(m.Inviter); name != "" && name != actorName {
			u := st.byName("", name) // who made the link
			e.Inviter = &u
		}
		out = append(out, e)
	case "remove_members":
		for i, name := range m.Members {
			if name == nil {
				st.skip("member without a name (deleted account)")
				continue
			}
			e, self := member(chat.EventMemberLeft, i, *name)
			if self {
				e.Reason = chat.LeftVoluntarily
			} else {
				e.Reason, e.Actor = chat.LeftRemoved, actor
			}
			out = append(out, e)
		}
	case "edit_group_title":
		e := st.base(chat.EventGroupRenamed, when)
		e.ID, e.GroupName, e.NewName, e.Actor = st.sourceID(msgID), m.Title, m.Title, actor
		out = append(out, e)
	case "migrate_from_group":
		// The first message of a supergroup upgraded from a basic group.
		e := st.base(chat.EventGroupCreated, when)
		e.ID, e.Actor = st.sourceID(msgID), actor
		out = append(out, e)
	default:
		st.skip("service message " + clip(m.Action))
	}
	return out
}
