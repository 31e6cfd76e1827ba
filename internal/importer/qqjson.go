package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/onebot"
)

// qqJSON reads the JSON export of QQ Chat Exporter (QCE,
// github.com/shuakami/qq-chat-exporter), the exporter of QQ NT, whose
// desktop client has no export of its own: an object with "metadata"
// (QQChatExporter, its version), "chatInfo" (the chat's name, type — group
// or private — and peerUid, a group's number), "statistics" and
// "messages", each a message as QCE cleans it (id, timestamp in
// milliseconds, sender with uin = the QQ number, content.elements,
// recalled, system). One message is decoded at a time.
//
// A message's content is mapped as the live OneBot adapter maps a message's
// segments (onebot.MapSegments), so kinds, texts, mentions and replies are
// those live traffic gets; members are their QQ numbers, as OneBot's. The
// ids are QQ NT's message ids, which OneBot implementations do not give
// live: an import stores each message once however often it runs, but does
// not recognise a message the bot also received live (see docs/import.md).
type qqJSON struct {
	st   *state
	top  topObject
	info *qceChat
	msg  qceMessage
	out  []chat.Event
}

func newQQJSON(st *state, br *bufio.Reader) parser {
	return &qqJSON{st: st, top: newTopObject(br, "a QQ Chat Exporter export")}
}

// qceChat is "chatInfo".
type qceChat struct {
	Name     mxString `json:"name"`
	Type     mxString `json:"type"`
	PeerUID  mxString `json:"peerUid"`
	SelfUin  mxString `json:"selfUin"`
	SelfName mxString `json:"selfName"`
}

// qceMessage is one element of "messages", with the fields qunzhu reads.
type qceMessage struct {
	ID        mxString `json:"id"`
	Timestamp qceTime  `json:"timestamp"`
	Sender    struct {
		Uin       mxString `json:"uin"`
		Name      mxString `json:"name"`
		GroupCard mxString `json:"groupCard"`
		Nickname  mxString `json:"nickname"`
	} `json:"sender"`
	Content struct {
		Text     mxString     `json:"text"`
		Elements []qceElement `json:"elements"`
	} `json:"content"`
	Recalled bool `json:"recalled"`
	System   bool `json:"system"`
}

// qceTime is a message's timestamp: milliseconds since 1970.
type qceTime struct{ mxTime }

func (t *qceTime) UnmarshalJSON(b []byte) error { return t.parse("timestamp", b) }

type qceElement struct {
	Type string         `json:"type"`
	Data map[string]any `json:"data"`
}

// str is an element's field as text: a string, or a number as written.
func (e *qceElement) str(key string) string {
	switch v := e.Data[key].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (p *qqJSON) read() ([]chat.Event, error) {
	at, err := p.top.next(p.key)
	if err != nil {
		return nil, err
	}
	p.msg = qceMessage{}
	if err := p.top.dec.Decode(&p.msg); err != nil {
		return nil, jsonError(at.String(), err)
	}
	return p.message(&p.msg, at)
}

// key reads "chatInfo", refuses the chunked export's manifest, and opens
// the chat when its "messages" begin.
func (p *qqJSON) key(key string) (bool, error) {
	switch key {
	case "chatInfo":
		var c qceChat
		if err := p.top.dec.Decode(&c); err != nil {
			return true, jsonError(key, err)
		}
		p.info = &c
		return true, nil
	case "chunked":
		return true, fileError(key, 0, "this is the manifest of QQ Chat Exporter's chunked export (manifest.json and chunks/): export the chat again as a single JSON file")
	case "messages":
		if p.info == nil {
			return true, fileError("chatInfo", 0, "required before \"messages\" (QQ Chat Exporter writes it first)")
		}
		return false, p.openChat()
	}
	return false, nil
}

// openChat opens the exported chat: a group by its number, or a private
// chat, which is not imported.
func (p *qqJSON) openChat() error {
	c := p.info
	name, id := strings.TrimSpace(string(c.Name)), strings.TrimSpace(string(c.PeerUID))
	switch string(c.Type) {
	case "group":
		if id == "" || !allDigits([]byte(id)) {
			return fileError("chatInfo.peerUid", 0, "a group's number is required: %q", clip(id))
		}
		_, err := p.st.openGroup(id, name, "", id, "")
		return err
	case "":
		return fileError("chatInfo.type", 0, "required (group or private)")
	}
	_, err := p.st.openGroup(string(c.Type)+":"+id, name, "private chat", "", "private chat (not a group)")
	return err
}

// sender is the member who wrote m: their QQ number, else a name
// identity; false when the message names nobody.
func (p *qqJSON) sender(m *qceMessage) (chat.User, bool) {
	st := p.st
	scope := st.cur.sum.Key
	name := strings.TrimSpace(string(m.Sender.GroupCard))
	if name == "" {
		name = strings.TrimSpace(string(m.Sender.Name))
	}
	if name == "" {
		name = strings.TrimSpace(string(m.Sender.Nickname))
	}
	uin := strings.TrimSpace(string(m.Sender.Uin))
	if uin != "" && uin != "0" && allDigits([]byte(uin)) {
		if name == "" {
			name = uin
		}
		return st.platformUser(scope, uin, name), true
	}
	if name == "" {
		return chat.User{}, false
	}
	return st.byName(scope, name), true
}

// message maps one element of "messages".
func (p *qqJSON) message(m *qceMessage, at elemPath) ([]chat.Event, error) {
	st := p.st
	where := func(field string) string { return join(at.String(), field) }
	id := strings.TrimSpace(string(m.ID))
	if id == "" {
		return nil, fileError(where("id"), 0, "required")
	}
	if !m.Timestamp.set {
		return nil, fileError(where("timestamp"), 0, "required")
	}
	if st.cur.sum.Skipped != "" {
		st.skip("chat not imported")
		return nil, nil
	}
	when := time.UnixMilli(m.Timestamp.ms).UTC()
	if m.System {
		return p.notice(m, id, when)
	}
	if m.Recalled {
		st.skip("recalled message")
		return nil, nil
	}
	segs := make([]onebot.Segment, 0, len(m.Content.Elements))
	for i := range m.Content.Elements {
		if s, ok := segment(&m.Content.Elements[i]); ok {
			segs = append(segs, s)
		}
	}
	var msg chat.Message
	if len(m.Content.Elements) == 0 {
		msg = chat.Message{Kind: chat.KindText, Text: strings.TrimSpace(string(m.Content.Text))}
	} else {
		msg = onebot.MapSegments(segs)
	}
	if msg.Text == "" && msg.Kind == chat.KindText {
		st.skip("message without content")
		return nil, nil
	}
	sender, ok := p.sender(m)
	if !ok {
		st.skip("message without a sender")
		return nil, nil
	}
	msg.Text = st.text(msg.Text)
	msg.ID = id
	e := st.base(chat.EventMessage, when)
	e.ID = st.sourceID(id)
	e.Sender = sender
	e.Message = &msg
	p.out = append(p.out[:0], e)
	return p.out, nil
}

// segment is the OneBot segment a QCE element stands for (false for the
// elements no segment maps: a gift, a keyboard…).
func segment(e *qceElement) (onebot.Segment, bool) {
	d := map[string]string{}
	typ := e.Type
	switch e.Type {
	case "text":
		d["text"] = e.str("text")
	case "at":
		uin := e.str("uin")
		switch {
		case e.str("uid") == "all" || e.str("atType") == "1":
			d["qq"] = "all"
		case uin != "" && uin != "0":
			d["qq"] = uin
		default:
			return onebot.Segment{}, false
		}
	case "reply":
		id := e.str("referencedMessageId")
		if id == "" {
			id = e.str("messageId")
		}
		if id == "" || id == "0" {
			return onebot.Segment{}, false
		}
		d["id"] = id
	case "face":
		d["id"] = e.str("id")
	case "market_face":
		typ, d["summary"], d["url"] = "mface", "["+e.str("name")+"]", e.str("url")
	case "image":
		d["url"], d["file"] = e.str("url"), e.str("filename")
		if e.str("subType") == "1" {
			d["sub_type"] = "1"
		}
	case "audio":
		typ = "record"
	case "video":
		d["file"] = e.str("filename")
	case "file":
		d["name"] = e.str("filename")
	case "forward":
	case "json":
		d["data"] = e.str("content")
	case "location":
		d["title"] = e.str("title")
	case "markdown":
		d["content"] = e.str("content")
	default:
		return onebot.Segment{}, false
	}
	return onebot.Segment{Type: typ, Data: d}, true
}

// notice maps a system message (QQ's grey tips): members joining or
// leaving, by the sentence QQ NT writes.
func (p *qqJSON) notice(m *qceMessage, id string, when time.Time) ([]chat.Event, error) {
	st := p.st
	text := strings.TrimSpace(string(m.Content.Text))
	if text == "" {
		for _, e := range m.Content.Elements {
			if e.Type == "system" {
				text = strings.TrimSpace(e.str("text"))
				break
			}
		}
	}
	n := parseQQNTNotice(text)
	if n == nil {
		st.skip("system notice")
		return nil, nil
	}
	scope := st.cur.sum.Key
	self := p.selfUser()
	return st.noticeEvents(n, when, id, func(r nameRef) chat.User {
		if r.self {
			return self
		}
		return st.byName(scope, r.name)
	}), nil
}

// selfUser is the account that made the export ("你" in QQ's notices).
func (p *qqJSON) selfUser() chat.User {
	c := p.info
	if uin := strings.TrimSpace(string(c.SelfUin)); uin != "" && allDigits([]byte(uin)) {
		name := strings.TrimSpace(string(c.SelfName))
		if name == "" {
			name = uin
		}
		return p.st.platformUser(p.st.cur.sum.Key, uin, name)
	}
	return p.st.self("你")
}

// qceTrailer is what QQ NT appends to a join ("，并附带了30条聊天记录。").
func qceTrailer(s string) string {
	if i := strings.Index(s, "，并附带了"); i >= 0 {
		return s[:i]
	}
	return strings.TrimRight(s, "。")
}

// parseQQNTNotice reads a QQ NT grey tip about members; nil for the others
// (a pat, a recall, an honour…).
func parseQQNTNotice(s string) *notice {
	s = qceTrailer(strings.TrimSpace(s))
	return matchNotice(qqNTNotices(), s, func(name string) nameRef { return nameRef{name: strings.TrimSpace(name)} }, func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '、' || r == '，' || r == ',' })
	})
}

// isQCEHead reports whether the first bytes of a JSON export are QQ Chat
// Exporter's: its first key is "metadata" or "chatInfo", or it names the
// exporter.
func isQCEHead(t []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(t))
	if tok, err := dec.Token(); err == nil && tok == json.Delim('{') {
		if key, err := dec.Token(); err == nil && (key == "chatInfo" || key == "metadata") {
			return bytes.Contains(t, []byte(`"chatInfo"`))
		}
	}
	return false
}
