package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// matrix reads Element's JSON export of a Matrix room ("Export chat",
// format JSON): an object with room_name, room_creator, topic, export_date,
// exported_by and "messages", the room's timeline as the client holds it —
// each element a Matrix client event (type, event_id, room_id, sender,
// origin_server_ts, content, unsigned). One event is decoded at a time, so
// memory stays flat however long the export.
//
// Events map as the live adapter (internal/chat/matrix) maps them, with
// its ids: an event's id is its Matrix event id, so history imported and
// the same events delivered live are stored once.
type matrix struct {
	st       *state
	top      topObject
	roomName string
	room     string            // the room of the last event
	names    map[string]string // room \x00 user → display name
	inviter  map[string]string // room \x00 user → who invited them
	ev       mxEvent           // the event being read (reused)
	out      []chat.Event
}

func newMatrix(st *state, br *bufio.Reader) parser {
	return &matrix{st: st, top: newTopObject(br, "an Element export of a Matrix room"), names: map[string]string{}, inviter: map[string]string{}}
}

// mxEvent is one element of "messages", with the fields qunzhu reads.
type mxEvent struct {
	Type     string    `json:"type"`
	EventID  string    `json:"event_id"`
	RoomID   string    `json:"room_id"`
	Sender   string    `json:"sender"`
	TS       mxTime    `json:"origin_server_ts"`
	StateKey *string   `json:"state_key"`
	Content  mxContent `json:"content"`
	// PrevContent is where servers before the unsigned section (and some
	// clients' copies) keep a state event's previous content.
	PrevContent *mxContent `json:"prev_content"`
	Unsigned    struct {
		PrevContent *mxContent `json:"prev_content"`
		PrevSender  string     `json:"prev_sender"`
	} `json:"unsigned"`
}

// mxContent is the content of the events qunzhu maps: messages, stickers,
// memberships and the room's name.
type mxContent struct {
	MsgType     string          `json:"msgtype"`
	Body        mxString        `json:"body"`
	URL         mxString        `json:"url"`
	File        *mxFile         `json:"file"` // an encrypted attachment
	Membership  string          `json:"membership"`
	Displayname mxString        `json:"displayname"`
	Name        mxString        `json:"name"`
	NewContent  json.RawMessage `json:"m.new_content"`
	RelatesTo   *struct {
		RelType   string `json:"rel_type"`
		InReplyTo *struct {
			EventID string `json:"event_id"`
		} `json:"m.in_reply_to"`
	} `json:"m.relates_to"`
	Mentions *struct {
		UserIDs []string `json:"user_ids"`
		Room    bool     `json:"room"`
	} `json:"m.mentions"`
}

type mxFile struct {
	URL string `json:"url"`
}

// mxString is a string field that some clients leave null or fill with
// another type (a malformed body, a displayname of null): read as "".
type mxString string

func (s *mxString) UnmarshalJSON(b []byte) error {
	var v string
	if json.Unmarshal(b, &v) == nil {
		*s = mxString(v)
	}
	return nil
}

// mxTime is origin_server_ts: milliseconds since 1970.
type mxTime struct {
	ms  int64
	set bool
}

func (t *mxTime) UnmarshalJSON(b []byte) error { return t.parse("origin_server_ts", b) }

// parse reads milliseconds since 1970 (null: not set) for field.
func (t *mxTime) parse(field string, b []byte) error {
	if string(b) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil || n <= 0 {
		return &fieldError{field, fmt.Sprintf("not a time in milliseconds: %s", clip(string(b)))}
	}
	t.ms, t.set = n, true
	return nil
}

func (p *matrix) read() ([]chat.Event, error) {
	at, err := p.top.next(p.key)
	if err != nil {
		return nil, err
	}
	p.ev = mxEvent{}
	if err := p.top.dec.Decode(&p.ev); err != nil {
		return nil, jsonError(at.String(), err)
	}
	return p.event(&p.ev, at)
}

// key reads a key of the top object other than "messages".
func (p *matrix) key(key string) (bool, error) {
	if key != "room_name" {
		return false, nil
	}
	var s *string
	if err := p.top.dec.Decode(&s); err != nil {
		return true, jsonError(key, err)
	}
	if s != nil {
		p.roomName = strings.TrimSpace(*s)
	}
	return true, nil
}

// mxUserID reports whether s looks like a Matrix user id (@localpart:server).
func mxUserID(s string) bool {
	return len(s) >= 4 && s[0] == '@' && strings.IndexByte(s, ':') > 1 && !strings.ContainsAny(s, " \t\r\n")
}

// localpart is a user id's name before the server: what the live adapter
// shows for a member without a display name.
func localpart(id string) string {
	l, _, _ := strings.Cut(strings.TrimPrefix(id, "@"), ":")
	return l
}

// user is a member of the current room with the display name the export
// gave them last (the live adapter's, from the room's member events).
func (p *matrix) user(id string) chat.User {
	name := p.names[p.room+"\x00"+id]
	if name == "" {
		name = localpart(id)
	}
	return p.st.platformUser(p.room, id, name)
}

// event maps one element of "messages".
func (p *matrix) event(ev *mxEvent, at elemPath) ([]chat.Event, error) {
	st := p.st
	where := func(field string) string { return join(at.String(), field) }
	if ev.Type == "" {
		return nil, fileError(where("type"), 0, "required (m.room.message, m.room.member…)")
	}
	if ev.EventID == "" {
		return nil, fileError(where("event_id"), 0, "required")
	}
	if !ev.TS.set {
		return nil, fileError(where("origin_server_ts"), 0, "required")
	}
	if ev.RoomID != "" && ev.RoomID != p.room {
		if p.room != "" {
			return nil, fileError(where("room_id"), 0, "the export is of room %s, and this event of %s: export one room a file", clip(p.room), clip(ev.RoomID))
		}
		if ev.RoomID[0] != '!' || strings.IndexByte(ev.RoomID, ':') < 0 {
			return nil, fileError(where("room_id"), 0, "not a room id like \"!abc:example.org\": %s", clip(ev.RoomID))
		}
		p.room = ev.RoomID
		if _, err := st.openGroup(p.room, p.roomName, "", p.room, ""); err != nil {
			return nil, err
		}
	}
	if p.room == "" {
		return nil, fileError(where("room_id"), 0, "required")
	}
	if st.cur.sum.Skipped != "" {
		st.skip("chat not imported")
		return nil, nil
	}
	if !mxUserID(ev.Sender) {
		return nil, fileError(where("sender"), 0, "not a user id like \"@name:example.org\": %s", clip(ev.Sender))
	}
	when := time.UnixMilli(ev.TS.ms).UTC()
	base := st.base("", when)
	base.ID = ev.EventID
	switch ev.Type {
	case "m.room.message", "m.sticker":
		return p.message(ev, base)
	case "m.room.member":
		return p.member(ev, base, where)
	case "m.room.name":
		base.Type, base.GroupName = chat.EventGroupRenamed, strings.TrimSpace(string(ev.Content.Name))
		if base.GroupName == "" {
			st.skip("room name removed")
			return nil, nil
		}
		actor := p.user(ev.Sender)
		base.Actor = &actor
	case "m.room.create":
		base.Type = chat.EventGroupCreated
		actor := p.user(ev.Sender)
		base.Actor = &actor
	case "m.room.encrypted":
		st.skip("encrypted message (not decrypted when exported)")
		return nil, nil
	default:
		st.skip("event type " + clip(ev.Type))
		return nil, nil
	}
	p.out = append(p.out[:0], base)
	return p.out, nil
}

// message maps a message or a sticker as the live adapter does.
func (p *matrix) message(ev *mxEvent, base chat.Event) ([]chat.Event, error) {
	st, c := p.st, &ev.Content
	m := &chat.Message{ID: ev.EventID, Kind: chat.KindText, Text: string(c.Body)}
	url := string(c.URL)
	if url == "" && c.File != nil {
		url = c.File.URL
	}
	if ev.Type == "m.sticker" {
		m.Kind = chat.KindSticker
	} else {
		if len(c.NewContent) > 0 || (c.RelatesTo != nil && c.RelatesTo.RelType == "m.replace") {
			st.skip("edit of a message")
			return nil, nil
		}
		switch c.MsgType {
		case "m.text", "m.emote":
			if strings.Contains(m.Text, "http://") || strings.Contains(m.Text, "https://") {
				m.URL = chat.FirstLink(m.Text) // the kind stays text, as live
			}
		case "m.notice":
		case "m.image":
			m.Kind, m.URL = chat.KindImage, url
		case "m.audio":
			m.Kind, m.URL = chat.KindVoice, url
		case "m.video":
			m.Kind, m.URL = chat.KindVideo, url
		case "m.file":
			m.Kind, m.URL = chat.KindFile, url
		case "m.location":
			m.Kind = chat.KindCard
		case "":
			st.skip("deleted message")
			return nil, nil
		}
		if c.RelatesTo != nil && c.RelatesTo.InReplyTo != nil {
			m.ReplyTo = c.RelatesTo.InReplyTo.EventID
			m.Text = chat.StripReplyFallback(m.Text)
		}
		if c.Mentions != nil {
			for _, u := range c.Mentions.UserIDs {
				if mxUserID(u) && !containsStr(m.Mentions, u) {
					m.Mentions = append(m.Mentions, u)
				}
			}
			m.MentionAll = c.Mentions.Room
		}
	}
	m.Text = st.text(m.Text)
	if m.Text == "" && m.Kind == chat.KindText {
		st.skip("message without content")
		return nil, nil
	}
	base.Type = chat.EventMessage
	base.Sender = p.user(ev.Sender)
	base.Sender.Bot = c.MsgType == "m.notice" // notices are what bots send
	base.Message = m
	p.out = append(p.out[:0], base)
	return p.out, nil
}

// member maps a change of membership: a join (how the member came), a
// leave (by themselves or removed), a new display name. Invitations are
// remembered for the join that follows; other changes are not events.
func (p *matrix) member(ev *mxEvent, base chat.Event, where func(string) string) ([]chat.Event, error) {
	st := p.st
	if ev.StateKey == nil || !mxUserID(*ev.StateKey) {
		return nil, fileError(where("state_key"), 0, "a member event names its member: want a user id like \"@name:example.org\"")
	}
	target := *ev.StateKey
	key := p.room + "\x00" + target
	c := &ev.Content
	prev := ev.Unsigned.PrevContent
	if prev == nil {
		prev = ev.PrevContent
	}
	prevMembership, prevName := "leave", ""
	if prev != nil {
		prevMembership, prevName = prev.Membership, string(prev.Displayname)
	}
	name := strings.TrimSpace(string(c.Displayname))
	if name != "" {
		p.names[key] = name
	}
	switch c.Membership {
	case "invite":
		p.inviter[key] = ev.Sender
		st.skip("invitation")
		return nil, nil
	case "join":
		if prevMembership == "join" {
			if string(c.Displayname) == prevName || name == "" {
				st.skip("profile change")
				return nil, nil
			}
			base.Type, base.NewName = chat.EventMemberRenamed, name
			base.Sender = p.user(target)
			break
		}
		base.Type = chat.EventMemberJoined
		base.Sender = p.user(target)
		inv := p.inviter[key]
		delete(p.inviter, key)
		if inv == "" && prevMembership == "invite" && mxUserID(ev.Unsigned.PrevSender) {
			inv = ev.Unsigned.PrevSender // the invitation, as the server remembers it
		}
		switch {
		case inv != "" && inv != target:
			u := p.user(inv)
			base.Source, base.Inviter = chat.SourcePulledIn, &u
		case ev.Sender != target:
			u := p.user(ev.Sender)
			base.Source, base.Inviter = chat.SourcePulledIn, &u
		default:
			base.Source = chat.SourcePromo // through a link or the room directory
		}
	case "leave", "ban":
		_, invited := p.inviter[key]
		delete(p.inviter, key)
		if (prev != nil && prevMembership != "join") || (prev == nil && invited) {
			st.skip("invitation declined or withdrawn")
			return nil, nil
		}
		base.Type, base.Reason = chat.EventMemberLeft, chat.LeftVoluntarily
		base.Sender = p.user(target)
		if ev.Sender != target {
			actor := p.user(ev.Sender)
			base.Reason, base.Actor = chat.LeftRemoved, &actor
		}
	default:
		st.skip("membership " + clip(c.Membership))
		return nil, nil
	}
	p.out = append(p.out[:0], base)
	return p.out, nil
}

// isMatrixHead reports whether the first bytes of a JSON export are
// Element's export of a Matrix room: an object whose first key is one of
// the export's own (Element writes room_name first), or one holding Matrix
// events and none of Telegram's keys.
func isMatrixHead(t []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
		if key, err := dec.Token(); err == nil {
			switch key {
			case "room_name", "room_creator", "topic", "export_date", "exported_by":
				return true
			}
		}
	}
	if !bytes.Contains(t, []byte(`"origin_server_ts"`)) || !bytes.Contains(t, []byte(`"event_id"`)) {
		return false
	}
	for _, k := range []string{`"date_unixtime"`, `"personal_information"`, `"chats"`} {
		if bytes.Contains(t, []byte(k)) {
			return false
		}
	}
	return true
}
