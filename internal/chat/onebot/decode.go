package onebot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// FrameKind says what a frame received from a OneBot implementation is.
type FrameKind string

const (
	FrameMessage  FrameKind = "message"    // post_type message or message_sent
	FrameNotice   FrameKind = "notice"     // post_type notice
	FrameRequest  FrameKind = "request"    // post_type request (add/invite requests)
	FrameMeta     FrameKind = "meta_event" // heartbeat, lifecycle
	FrameResponse FrameKind = "response"   // an answer to an API call (has echo, no post_type)
)

// Frame is a decoded OneBot v11 frame.
type Frame struct {
	Kind FrameKind `json:"kind"`
	// Events are the qunzhu events the frame maps to (none for frames qunzhu
	// ignores: private messages, bans, recalls, meta events, requests…).
	Events []chat.Event `json:"events,omitempty"`
	// Ignored says why a message or notice frame maps to no event, for logs.
	Ignored string `json:"ignored,omitempty"`
	SelfID  string `json:"self_id,omitempty"`

	// Meta events.
	MetaType      string        `json:"meta_type,omitempty"` // heartbeat, lifecycle
	SubType       string        `json:"sub_type,omitempty"`  // lifecycle: enable, disable, connect
	Interval      time.Duration `json:"interval,omitempty"`
	Online        *bool         `json:"online,omitempty"` // heartbeat status.online, when reported
	RequestType   string        `json:"request_type,omitempty"`
	RequestDetail string        `json:"request_detail,omitempty"` // request: "group add 123 by 456: comment"

	// Responses.
	Response *Response `json:"response,omitempty"`

	// BadTime is the frame's time when it was implausible (chat.SaneTime)
	// and the receive time was used instead, for logs.
	BadTime int64 `json:"bad_time,omitempty"`
}

// Response is the answer to an API call.
type Response struct {
	Status  string          `json:"status"` // ok, async, failed
	Retcode int             `json:"retcode"`
	Data    json.RawMessage `json:"data"`
	Echo    json.RawMessage `json:"echo"`
	Message string          `json:"message"` // go-cqhttp, NapCat: error text
	Wording string          `json:"wording"` // go-cqhttp, NapCat: error text for people
	Msg     string          `json:"msg"`     // go-cqhttp: error code name
}

// id is a OneBot number (group_id, user_id, message_id…) kept as a decimal
// string. The spec sends numbers; some implementations send strings.
type id string

func (v *id) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*v = ""
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = id(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a number or a string, got %.20s", b)
	}
	if i, err := n.Int64(); err == nil {
		*v = id(strconv.FormatInt(i, 10))
		return nil
	}
	*v = id(n.String())
	return nil
}

// zero reports whether the id is absent (OneBot uses 0 for "nobody").
func (v id) zero() bool { return v == "" || v == "0" }

// segments is a message in either format: an array of segments, a single
// segment object, or a CQ-code string.
type segments []Segment

func (s *segments) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*s = nil
		return nil
	}
	switch b[0] {
	case '"':
		var str string
		if err := json.Unmarshal(b, &str); err != nil {
			return err
		}
		*s = ParseCQ(str)
		return nil
	case '{':
		var one rawSegment
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = segments{one.segment()}
		return nil
	}
	var raw []rawSegment
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	out := make(segments, 0, len(raw))
	for _, r := range raw {
		out = append(out, r.segment())
	}
	*s = out
	return nil
}

type rawSegment struct {
	Type string                     `json:"type"`
	Data map[string]json.RawMessage `json:"data"`
}

func (r rawSegment) segment() Segment {
	s := Segment{Type: r.Type, Data: make(map[string]string, len(r.Data))}
	for k, v := range r.Data {
		s.Data[k] = rawString(v)
	}
	return s
}

// rawString turns a JSON value into a string: strings unquoted, anything
// else (numbers, booleans, objects) as its JSON text.
func rawString(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	if string(v) == "null" {
		return ""
	}
	return string(v)
}

// wire is the union of the fields of the v11 frames qunzhu reads.
type wire struct {
	Time     int64  `json:"time"`
	SelfID   id     `json:"self_id"`
	PostType string `json:"post_type"`

	MessageType string   `json:"message_type"`
	SubType     string   `json:"sub_type"`
	MessageID   id       `json:"message_id"`
	GroupID     id       `json:"group_id"`
	UserID      id       `json:"user_id"`
	Message     segments `json:"message"`
	RawMessage  string   `json:"raw_message"`
	Sender      struct {
		UserID   id     `json:"user_id"`
		Nickname string `json:"nickname"`
		Card     string `json:"card"`
	} `json:"sender"`
	Anonymous *struct {
		Name string `json:"name"`
	} `json:"anonymous"`

	NoticeType string `json:"notice_type"`
	OperatorID id     `json:"operator_id"`
	CardNew    string `json:"card_new"`
	CardOld    string `json:"card_old"`

	RequestType string `json:"request_type"`
	Comment     string `json:"comment"`

	MetaEventType string          `json:"meta_event_type"`
	Interval      int64           `json:"interval"`
	Status        json.RawMessage `json:"status"`
}

// ErrNotOneBot is returned for a frame that is JSON but neither an event nor
// an API response.
var ErrNotOneBot = errors.New("not a onebot v11 frame")

// DecodeFrame decodes one frame received from a OneBot implementation and
// maps it to qunzhu events for the named connection. now is used for frames
// without a time, or with an implausible one (then Frame.BadTime says so).
func DecodeFrame(connection string, raw []byte, now time.Time) (Frame, error) {
	var probe struct {
		PostType string          `json:"post_type"`
		Echo     json.RawMessage `json:"echo"`
		Status   json.RawMessage `json:"status"`
		Retcode  *int            `json:"retcode"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return Frame{}, fmt.Errorf("decode frame: %w", err)
	}
	if probe.PostType == "" {
		if probe.Retcode == nil && len(probe.Status) == 0 {
			return Frame{}, ErrNotOneBot
		}
		var r Response
		if err := json.Unmarshal(raw, &r); err != nil {
			return Frame{}, fmt.Errorf("decode response: %w", err)
		}
		return Frame{Kind: FrameResponse, Response: &r}, nil
	}
	var w wire
	if err := json.Unmarshal(raw, &w); err != nil {
		return Frame{}, fmt.Errorf("decode %s event: %w", probe.PostType, err)
	}
	f := Frame{SelfID: string(w.SelfID)}
	t := now.UTC()
	if w.Time > 0 {
		var ok bool
		if t, ok = chat.SaneTime(time.Unix(w.Time, 0).UTC(), t); !ok {
			f.BadTime = w.Time
		}
	}
	switch w.PostType {
	case "message", "message_sent":
		f.Kind = FrameMessage
		f.Events, f.Ignored = mapMessage(connection, &w, t)
	case "notice":
		f.Kind = FrameNotice
		f.Events, f.Ignored = mapNotice(connection, &w, t)
	case "request":
		f.Kind = FrameRequest
		f.RequestType = w.RequestType
		f.RequestDetail = fmt.Sprintf("%s %s group=%s user=%s comment=%q", w.RequestType, w.SubType, w.GroupID, w.UserID, w.Comment)
	case "meta_event":
		f.Kind = FrameMeta
		f.MetaType = w.MetaEventType
		f.SubType = w.SubType
		f.Interval = time.Duration(w.Interval) * time.Millisecond
		if len(w.Status) > 0 {
			var st struct {
				Online *bool `json:"online"`
			}
			if json.Unmarshal(w.Status, &st) == nil {
				f.Online = st.Online
			}
		}
	default:
		return Frame{}, fmt.Errorf("post_type %q: %w", w.PostType, ErrNotOneBot)
	}
	return f, nil
}

func base(connection string, w *wire, t time.Time) chat.Event {
	return chat.Event{Connection: connection, Platform: "onebot", Group: string(w.GroupID), Time: t}
}

func mapMessage(connection string, w *wire, t time.Time) ([]chat.Event, string) {
	if w.MessageType != "group" {
		return nil, "not a group message: " + w.MessageType
	}
	if w.GroupID.zero() || w.MessageID == "" {
		return nil, "group message without group_id or message_id"
	}
	ev := base(connection, w, t)
	ev.ID = string(w.MessageID)
	ev.Type = chat.EventMessage
	user := w.UserID
	if user.zero() {
		user = w.Sender.UserID
	}
	ev.Sender = chat.User{ID: string(user), Name: w.Sender.Card}
	if ev.Sender.Name == "" {
		ev.Sender.Name = w.Sender.Nickname
	}
	if w.Anonymous != nil && w.Anonymous.Name != "" {
		ev.Sender.Name = w.Anonymous.Name
	}
	ev.Sender.Bot = w.PostType == "message_sent" || (!w.SelfID.zero() && user == w.SelfID)
	segs := []Segment(w.Message)
	if len(segs) == 0 && w.RawMessage != "" {
		segs = ParseCQ(w.RawMessage)
	}
	m := MapSegments(segs)
	m.ID = string(w.MessageID)
	ev.Message = &m
	return []chat.Event{ev}, ""
}

// noticeID builds a stable event id for a notice, so a redelivered notice
// dedupes: OneBot notices carry no id of their own.
func noticeID(w *wire) string {
	return fmt.Sprintf("%s:%s:%s:%s:%d", w.PostType, w.NoticeType, w.GroupID, w.UserID, w.Time)
}

func mapNotice(connection string, w *wire, t time.Time) ([]chat.Event, string) {
	ev := base(connection, w, t)
	ev.ID = noticeID(w)
	ev.Sender = chat.User{ID: string(w.UserID), Bot: !w.SelfID.zero() && w.UserID == w.SelfID}
	operator := func() *chat.User {
		if w.OperatorID.zero() || w.OperatorID == w.UserID {
			return nil
		}
		return &chat.User{ID: string(w.OperatorID), Bot: w.OperatorID == w.SelfID}
	}
	if w.GroupID.zero() {
		return nil, "notice without a group: " + w.NoticeType
	}
	switch w.NoticeType {
	case "group_increase":
		ev.Type = chat.EventMemberJoined
		switch w.SubType {
		case "invite":
			// Pulled in by a member: the operator is who pulled them.
			ev.Source = chat.SourcePulledIn
			ev.Inviter = operator()
		case "approve":
			// Asked to join (search, QR code, link) and an admin let
			// them in: the operator approved, they did not refer.
			ev.Source = chat.SourcePromo
		}
	case "group_decrease":
		ev.Type = chat.EventMemberLeft
		switch w.SubType {
		case "leave":
			ev.Reason = chat.LeftVoluntarily
		case "kick", "kick_me":
			ev.Reason = chat.LeftRemoved
			ev.Actor = operator()
		default:
			ev.Reason = chat.LeftVoluntarily
		}
	case "group_card":
		ev.Type = chat.EventMemberRenamed
		ev.Sender.Name = w.CardOld
		ev.NewName = w.CardNew
	default:
		// group_ban, group_admin, group_recall, group_upload, notify (poke,
		// honor…), friend_*: no qunzhu event; see docs/platforms-onebot.md.
		return nil, "notice not mapped: " + w.NoticeType
	}
	return []chat.Event{ev}, ""
}

// kindRank orders kinds for a message of several segments: the message is
// of the highest-ranked kind it contains, and keeps its text.
var kindRank = map[chat.MessageKind]int{
	chat.KindText:        0,
	chat.KindSticker:     1,
	chat.KindImage:       2,
	chat.KindLink:        3,
	chat.KindVoice:       4,
	chat.KindVideo:       5,
	chat.KindFile:        6,
	chat.KindCard:        7,
	chat.KindMiniProgram: 8,
	chat.KindForward:     9,
	chat.KindRedPacket:   10,
}

// MapSegments maps a message's segments to a qunzhu message (without its id).
//
// Text segments are joined into Text; at segments become Mentions (qq=all
// sets MentionAll); a reply segment sets ReplyTo. The kind is the
// highest-ranked kind among the other segments (a red packet over a
// forward over a mini program over a card over a file…, see kindRank), so
// an image with a caption is an image whose Text is the caption. QQ's small
// inline emoji (face) do not turn a text into a sticker; a message that is
// only faces is a sticker.
func MapSegments(segs []Segment) chat.Message {
	m := chat.Message{Kind: chat.KindText}
	var text strings.Builder
	var title string // link, card or file title used when there is no text
	faces := 0
	set := func(k chat.MessageKind, url, t string) {
		if kindRank[k] < kindRank[m.Kind] || (k == m.Kind && m.URL != "") {
			return
		}
		m.Kind = k
		if url != "" {
			m.URL = url
		}
		if t != "" {
			title = t
		}
	}
	for _, s := range segs {
		d := s.Data
		if d == nil {
			d = map[string]string{}
		}
		switch s.Type {
		case "text":
			text.WriteString(d["text"])
		case "at":
			qq := d["qq"]
			if qq == "all" {
				m.MentionAll = true
			} else if qq != "" && !contains(m.Mentions, qq) {
				m.Mentions = append(m.Mentions, qq)
			}
		case "reply":
			m.ReplyTo = d["id"]
		case "face":
			faces++
		case "mface", "bface", "sface", "dice", "rps", "poke", "shake":
			set(chat.KindSticker, mediaURL(d), d["summary"])
		case "image":
			if d["sub_type"] == "1" || d["type"] == "sticker" {
				// NapCat marks "animated sticker" images with sub_type 1.
				set(chat.KindSticker, mediaURL(d), d["summary"])
			} else {
				set(chat.KindImage, mediaURL(d), "")
			}
		case "record":
			set(chat.KindVoice, mediaURL(d), "")
		case "video":
			set(chat.KindVideo, mediaURL(d), "")
		case "file", "onlinefile":
			name := d["name"]
			if name == "" {
				name = d["file"]
			}
			set(chat.KindFile, mediaURL(d), name)
		case "share":
			set(chat.KindLink, d["url"], joinNonEmpty(" ", d["title"], d["content"]))
		case "music":
			set(chat.KindCard, firstNonEmpty(d["url"], d["jumpUrl"]), d["title"])
		case "location", "contact":
			set(chat.KindCard, "", firstNonEmpty(d["title"], d["content"]))
		case "json":
			k, url, t := classifyJSONCard(d["data"])
			set(k, url, t)
		case "xml":
			k, url, t := classifyXMLCard(d["data"])
			set(k, url, t)
		case "forward", "node":
			set(chat.KindForward, "", "")
		case "redbag", "redpacket":
			set(chat.KindRedPacket, "", d["title"])
		case "markdown":
			text.WriteString(d["content"])
		}
	}
	m.Text = strings.TrimSpace(text.String())
	if m.Kind == chat.KindText && m.Text == "" && faces > 0 {
		m.Kind = chat.KindSticker
	}
	if m.Text == "" {
		m.Text = title
	}
	return m
}

// mediaURL picks a fetchable address of a media segment: url when the
// implementation gives one, else file when it is itself a URL.
func mediaURL(d map[string]string) string {
	if u := d["url"]; u != "" {
		return u
	}
	if f := d["file"]; strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
		return f
	}
	return ""
}

// classifyJSONCard tells a mini-program from other JSON cards (QQ's "ark"
// messages). Mini programs have app com.tencent.miniapp…, a view named
// like "miniapp", or a meta.detail_1 with an appid.
func classifyJSONCard(data string) (chat.MessageKind, string, string) {
	var card struct {
		App    string `json:"app"`
		View   string `json:"view"`
		Prompt string `json:"prompt"`
		Desc   string `json:"desc"`
		Meta   map[string]struct {
			Title    string `json:"title"`
			Desc     string `json:"desc"`
			AppID    string `json:"appid"`
			URL      string `json:"url"`
			QQDocURL string `json:"qqdocurl"`
			JumpURL  string `json:"jumpUrl"`
		} `json:"meta"`
	}
	if err := json.Unmarshal([]byte(data), &card); err != nil {
		return chat.KindCard, "", ""
	}
	kind := chat.KindCard
	if strings.Contains(card.App, "miniapp") || strings.Contains(strings.ToLower(card.View), "miniapp") {
		kind = chat.KindMiniProgram
	}
	var url, title string
	for _, name := range []string{"detail_1", "news", "music", "video", "contact"} {
		v, ok := card.Meta[name]
		if !ok {
			continue
		}
		if v.AppID != "" && name == "detail_1" {
			kind = chat.KindMiniProgram
		}
		url = firstNonEmpty(v.QQDocURL, v.JumpURL, v.URL)
		title = firstNonEmpty(v.Desc, v.Title)
		if name == "news" {
			title = firstNonEmpty(v.Title, v.Desc)
		}
		break
	}
	if title == "" {
		title = strings.TrimSpace(strings.Trim(firstNonEmpty(card.Prompt, card.Desc), "[]"))
	}
	return kind, url, title
}

var (
	xmlBrief = regexp.MustCompile(`brief="([^"]*)"`)
	xmlURL   = regexp.MustCompile(`url="([^"]*)"`)
)

// classifyXMLCard reads the brief and url of a QQ XML card ("structmsg").
func classifyXMLCard(data string) (chat.MessageKind, string, string) {
	kind := chat.KindCard
	if strings.Contains(strings.ToLower(data), "miniprogram") || strings.Contains(data, "miniapp") {
		kind = chat.KindMiniProgram
	}
	var url, title string
	if m := xmlURL.FindStringSubmatch(data); m != nil {
		url = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if m := xmlBrief.FindStringSubmatch(data); m != nil {
		title = m[1]
	}
	return kind, url, title
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func firstNonEmpty(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

func joinNonEmpty(sep string, xs ...string) string {
	var out []string
	for _, x := range xs {
		if x != "" {
			out = append(out, x)
		}
	}
	return strings.Join(out, sep)
}
