package importer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix/event"

	"github.com/qunzhu/qunzhu/internal/chat"
	mxlive "github.com/qunzhu/qunzhu/internal/chat/matrix"
)

// mxRoom is an Element export of room !r:x holding events.
func mxRoom(events ...string) string {
	return `{"room_name":"读书会","room_creator":"a","topic":"","export_date":"2026/12/1","exported_by":"a","messages":[` + strings.Join(events, ",") + `]}`
}

// mxText is a text message of room !r:x.
func mxText(id, sender, body string) string {
	b, _ := json.Marshal(body)
	return `{"type":"m.room.message","event_id":"` + id + `","sender":"` + sender + `","origin_server_ts":1793667600000,"room_id":"!r:x","content":{"msgtype":"m.text","body":` + string(b) + `}}`
}

type noCursors struct{}

func (noCursors) LoadCursor(context.Context, string, string) (string, error) { return "", nil }
func (noCursors) SaveCursor(context.Context, string, string, string) error   { return nil }

// TestMatrixLikeLive: every event of the fixture, imported, is the event
// the live Matrix adapter makes of it — the same id, type, member, kind,
// text, link, reply, mentions, source, inviter, reason and actor — so
// history imported and the same events delivered live are stored once and
// judged alike.
func TestMatrixLikeLive(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "matrix", "element.json"))
	if err != nil {
		t.Fatal(err)
	}
	var export struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(b, &export); err != nil {
		t.Fatal(err)
	}
	live, err := mxlive.New(mxlive.Config{Name: "imp", Homeserver: "http://127.0.0.1:1", UserID: "@qunzhu:localhost", AccessToken: "t", Cursors: noCursors{},
		Now: func() time.Time { return time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var want []chat.Event
	for _, raw := range export.Messages {
		var e event.Event
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		evs, _ := live.Map(&e)
		want = append(want, evs...)
	}
	_, got := importAll(t, "matrix/element.json", Options{})
	if len(got) != len(want) {
		t.Fatalf("imported %d events, the live adapter made %d:\n%v\n%v", len(got), len(want), briefs(got), briefs(want))
	}
	for i := range want {
		if g, w := comparable(got[i]), comparable(want[i]); !reflect.DeepEqual(g, w) {
			t.Errorf("event %d:\nimported %+v\nlive     %+v", i, g, w)
		}
		if got[i].Platform != "matrix" || !got[i].Time.Equal(want[i].Time) {
			t.Errorf("event %d: platform %q, time %v (live %v)", i, got[i].Platform, got[i].Time, want[i].Time)
		}
	}
}

// comparable is what the import and the live adapter must agree on: the
// envelope's connection, platform and time aside, and the group's name,
// which the import gives every event as a hint.
func comparable(e chat.Event) chat.Event {
	e.Connection, e.Platform, e.Time = "", "", time.Time{}
	if e.Type != chat.EventGroupRenamed {
		e.GroupName = ""
	}
	if e.Message != nil {
		m := *e.Message
		if len(m.Mentions) == 0 {
			m.Mentions = nil
		}
		e.Message = &m
	}
	return e
}

func TestDetectMatrix(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "matrix", "element.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, head string
		want       Format
	}{
		{"Element's export", string(b), FormatMatrix},
		{"cut at 64 KiB", string(b[:200]), FormatMatrix},
		{"events without the header", `{"messages":[{"type":"m.room.message","event_id":"$1","origin_server_ts":1}]}`, FormatMatrix},
		{"a Telegram chat that talks about Matrix", `{"name":"技术群","type":"private_supergroup","id":1,"messages":[{"id":1,"type":"message","date_unixtime":"1","text":"\"origin_server_ts\" 和 \"event_id\" 是 Matrix 的字段"}]}`, FormatTelegram},
	} {
		got, err := Detect([]byte(tc.head))
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, got, err, tc.want)
		}
	}
}

// TestMatrixOptions: a room mapped to another group keeps the events' own
// ids; a room not chosen is skipped whole.
func TestMatrixOptions(t *testing.T) {
	in := mxRoom(mxText("$1", "@a:x", "早"), mxText("$2", "@b:x", "早上好"))
	evs, sum, err := importString(t, in, Options{Group: "!new:x"})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 || evs[0].Group != "!new:x" || evs[0].ID != "$1" || evs[1].ID != "$2" || evs[0].GroupName != "读书会" || evs[0].Sender.Name != "a" {
		t.Fatalf("mapped: %v %+v", briefs(evs), evs[0])
	}
	if len(sum.Groups) != 1 || sum.Groups[0].Key != "!r:x" || sum.Groups[0].Name != "读书会" {
		t.Fatalf("summary %+v", sum.Groups)
	}
	evs, sum, err = importString(t, in, Options{Groups: map[string]string{"!other:x": ""}})
	if err != nil || len(evs) != 0 || sum.Skipped["chat not imported"] != 2 {
		t.Fatalf("not chosen: %v %+v %v", briefs(evs), sum.Skipped, err)
	}
}
