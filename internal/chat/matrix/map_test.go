package matrix

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/qunzhu/qunzhu/internal/chat"
)

type memCursors map[string]string

func (m memCursors) LoadCursor(_ context.Context, c, k string) (string, error) {
	return m[c+"/"+k], nil
}
func (m memCursors) SaveCursor(_ context.Context, c, k, v string) error {
	m[c+"/"+k] = v
	return nil
}

func newTest(t testing.TB) *Adapter {
	a, err := New(Config{Name: "mx", Homeserver: "http://127.0.0.1:1", UserID: "@qunzhu:localhost", AccessToken: "t", Cursors: memCursors{}})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func parse(t testing.TB, raw string) *event.Event {
	var e event.Event
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		t.Fatalf("fixture: %v", err)
	}
	e.RoomID = "!room:localhost"
	return &e
}

func TestMap(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want string // type|sender|kind-or-source|text-or-detail, "" for no event
	}{
		{"text", `{"type":"m.room.message","event_id":"$1","sender":"@alice:localhost","origin_server_ts":1764028800000,"content":{"msgtype":"m.text","body":"大家好"}}`,
			"message|@alice:localhost|text|大家好"},
		{"link in text", `{"type":"m.room.message","event_id":"$2","sender":"@alice:localhost","content":{"msgtype":"m.text","body":"看这个 https://t.cn/abc 不错"}}`,
			"message|@alice:localhost|text|url=https://t.cn/abc"},
		{"image", `{"type":"m.room.message","event_id":"$3","sender":"@bob:localhost","content":{"msgtype":"m.image","body":"a.jpg","url":"mxc://localhost/abc"}}`,
			"message|@bob:localhost|image|url=mxc://localhost/abc"},
		{"voice", `{"type":"m.room.message","event_id":"$4","sender":"@bob:localhost","content":{"msgtype":"m.audio","body":"voice.ogg","url":"mxc://x/y"}}`,
			"message|@bob:localhost|voice|url=mxc://x/y"},
		{"reply with mentions", `{"type":"m.room.message","event_id":"$5","sender":"@bob:localhost","content":{"msgtype":"m.text","body":"同意","m.relates_to":{"m.in_reply_to":{"event_id":"$1"}},"m.mentions":{"user_ids":["@alice:localhost"]}}}`,
			"message|@bob:localhost|text|reply=$1 text=同意 mentions=[@alice:localhost]"},
		{"reply with a fallback", `{"type":"m.room.message","event_id":"$5b","sender":"@bob:localhost","content":{"msgtype":"m.text","body":"> <@alice:localhost> 加微信领资料\n> 第二行\n\n别发广告","m.relates_to":{"m.in_reply_to":{"event_id":"$1"}}}}`,
			"message|@bob:localhost|text|reply=$1 text=别发广告"},
		{"bot notice", `{"type":"m.room.message","event_id":"$6","sender":"@qunzhu:localhost","content":{"msgtype":"m.notice","body":"欢迎"}}`,
			"message|@qunzhu:localhost|text|bot"},
		{"edit ignored", `{"type":"m.room.message","event_id":"$7","sender":"@bob:localhost","content":{"msgtype":"m.text","body":"* x","m.new_content":{"msgtype":"m.text","body":"x"},"m.relates_to":{"rel_type":"m.replace","event_id":"$5"}}}`, ""},
		{"sticker", `{"type":"m.sticker","event_id":"$8","sender":"@bob:localhost","content":{"body":"😀","url":"mxc://x/s"}}`,
			"message|@bob:localhost|sticker|😀"},
		{"invited join", `{"type":"m.room.member","event_id":"$9","sender":"@carol:localhost","state_key":"@carol:localhost","content":{"membership":"join","displayname":"5-1-3305 吕凯"},"unsigned":{"prev_content":{"membership":"invite"},"prev_sender":"@alice:localhost"}}`,
			"member_joined|@carol:localhost|pulled_in|inviter=@alice:localhost name=5-1-3305 吕凯"},
		{"self join", `{"type":"m.room.member","event_id":"$10","sender":"@dave:localhost","state_key":"@dave:localhost","content":{"membership":"join"}}`,
			"member_joined|@dave:localhost|promotion|"},
		{"rename", `{"type":"m.room.member","event_id":"$11","sender":"@dave:localhost","state_key":"@dave:localhost","content":{"membership":"join","displayname":"12-2-801 王芳"},"unsigned":{"prev_content":{"membership":"join","displayname":"dave"}}}`,
			"member_renamed|@dave:localhost||new=12-2-801 王芳"},
		{"avatar change ignored", `{"type":"m.room.member","event_id":"$12","sender":"@dave:localhost","state_key":"@dave:localhost","content":{"membership":"join","displayname":"d","avatar_url":"mxc://a/b"},"unsigned":{"prev_content":{"membership":"join","displayname":"d"}}}`, ""},
		{"kicked", `{"type":"m.room.member","event_id":"$13","sender":"@alice:localhost","state_key":"@dave:localhost","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join"}}}`,
			"member_left|@dave:localhost||removed by @alice:localhost"},
		{"left", `{"type":"m.room.member","event_id":"$14","sender":"@dave:localhost","state_key":"@dave:localhost","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join"}}}`,
			"member_left|@dave:localhost||left"},
		{"rejected invitation", `{"type":"m.room.member","event_id":"$15","sender":"@eve:localhost","state_key":"@eve:localhost","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"invite"}}}`, ""},
		{"room name", `{"type":"m.room.name","event_id":"$16","sender":"@alice:localhost","state_key":"","content":{"name":"万景城业主交流群"}}`,
			"group_renamed|||万景城业主交流群"},
		{"reaction ignored", `{"type":"m.reaction","event_id":"$17","sender":"@bob:localhost","content":{}}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newTest(t)
			evs, ok := a.Map(parse(t, tt.raw))
			if tt.want == "" {
				if ok || len(evs) > 0 {
					t.Fatalf("mapped to %+v, want nothing", evs)
				}
				return
			}
			if !ok || len(evs) != 1 {
				t.Fatalf("mapped to %+v", evs)
			}
			if got := describe(evs[0]); got != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if evs[0].Connection != "mx" || evs[0].Group != "!room:localhost" || evs[0].ID == "" {
				t.Fatalf("event envelope %+v", evs[0])
			}
		})
	}
}

func describe(e chat.Event) string {
	var detail []string
	kind := string(e.Source)
	if m := e.Message; m != nil {
		kind = string(m.Kind)
		if m.Text != "" && m.URL == "" && m.ReplyTo == "" && !e.Sender.Bot {
			detail = append(detail, m.Text)
		}
		if m.URL != "" {
			detail = append(detail, "url="+m.URL)
		}
		if m.ReplyTo != "" {
			detail = append(detail, "reply="+m.ReplyTo)
			detail = append(detail, "text="+m.Text)
		}
		if len(m.Mentions) > 0 {
			detail = append(detail, fmt.Sprintf("mentions=%v", m.Mentions))
		}
		if e.Sender.Bot {
			detail = append(detail, "bot")
		}
	}
	if e.Inviter != nil {
		detail = append(detail, "inviter="+e.Inviter.ID, "name="+e.Sender.Name)
	}
	if e.NewName != "" {
		detail = append(detail, "new="+e.NewName)
	}
	if e.Type == chat.EventMemberLeft {
		if e.Actor != nil {
			detail = append(detail, "removed by "+e.Actor.ID)
		} else {
			detail = append(detail, string(e.Reason))
		}
	}
	if e.GroupName != "" {
		detail = append(detail, e.GroupName)
	}
	sender := e.Sender.ID
	return strings.Join([]string{string(e.Type), sender, kind, strings.Join(detail, " ")}, "|")
}

func TestNewValidates(t *testing.T) {
	for _, c := range []Config{
		{},
		{Name: "m", Homeserver: "matrix.org", UserID: "@a:b", AccessToken: "t", Cursors: memCursors{}},
		{Name: "m", Homeserver: "https://m.org", UserID: "a", AccessToken: "t", Cursors: memCursors{}},
		{Name: "m", Homeserver: "https://m.org", UserID: "@a:b", Cursors: memCursors{}},
		{Name: "m", Homeserver: "https://m.org", UserID: "@a:b", AccessToken: "t"},
	} {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v) accepted", c)
		}
	}
}

// FuzzMap feeds arbitrary Matrix events to the mapping: it must never
// panic, and what it returns must be a valid qunzhu event.
func FuzzMap(f *testing.F) {
	f.Add(`{"type":"m.room.message","event_id":"$1","sender":"@a:b","content":{"msgtype":"m.text","body":"hi"}}`)
	f.Add(`{"type":"m.room.member","event_id":"$2","sender":"@a:b","state_key":"@c:d","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join"}}}`)
	f.Add(`{"type":"m.room.name","event_id":"$3","sender":"@a:b","state_key":"","content":{"name":5}}`)
	a := newTest(f)
	f.Fuzz(func(t *testing.T, raw string) {
		var e event.Event
		if json.Unmarshal([]byte(raw), &e) != nil {
			return
		}
		e.RoomID = "!r:x"
		evs, _ := a.Map(&e)
		for _, ev := range evs {
			if ev.ID == "" || ev.Group == "" || !ev.Type.Valid() {
				t.Fatalf("invalid event %+v from %s", ev, raw)
			}
			if ev.Type == chat.EventMessage && (ev.Message == nil || !ev.Message.Kind.Valid()) {
				t.Fatalf("bad message %+v from %s", ev, raw)
			}
		}
	})
}

// TestMapImplausibleTimestamp: an origin_server_ts in microseconds, before
// 2000, or missing takes the time the event arrived.
func TestMapImplausibleTimestamp(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.UTC)
	a := newTest(t)
	a.cfg.Now = func() time.Time { return now }
	for _, tt := range []struct {
		ts   string
		want time.Time
	}{
		{`,"origin_server_ts":1764028800000`, time.UnixMilli(1764028800000)},
		{`,"origin_server_ts":1764028800000000`, now}, // microseconds
		{`,"origin_server_ts":946684799000`, now},     // 1999
		{``, now},
	} {
		evs, ok := a.Map(parse(t, `{"type":"m.room.message","event_id":"$1","sender":"@alice:localhost"`+tt.ts+`,"content":{"msgtype":"m.text","body":"hi"}}`))
		if !ok || len(evs) != 1 || !evs[0].Time.Equal(tt.want) {
			t.Errorf("%q: %+v, want time %v", tt.ts, evs, tt.want)
		}
	}
}
