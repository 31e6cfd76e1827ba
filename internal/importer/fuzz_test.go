package importer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// fuzzImport checks what must hold for any input read as format: no
// panic; a refusal is of kind Invalid with an *Error naming the place;
// an accepted file gives valid events with unique ids, as many as the
// summary says, and the same ones twice.
func fuzzImport(f *testing.F, format Format, fixtures []string, seeds ...string) {
	for _, name := range fixtures {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		opt := Options{Connection: "c", Format: format, Location: cst, Groups: nil}
		if format != FormatTelegram && format != FormatQQText && format != FormatMatrix && format != FormatQQJSON {
			opt.Group = "g"
		}
		run := func() ([]string, Summary, error) {
			var ids []string
			sum, err := Import(context.Background(), func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(in)), nil }, opt,
				func(_ context.Context, b Batch) error {
					for i := range b.Events {
						if err := checkEvent(&b.Events[i]); err != nil {
							t.Fatalf("invalid event %+v: %v", b.Events[i], err)
						}
						ids = append(ids, b.Events[i].ID)
					}
					return nil
				})
			return ids, sum, err
		}
		ids, sum, err := run()
		if err != nil {
			var fe *Error
			if errkind.Of(err) != errkind.Invalid || (!errors.As(err, &fe) && !isOptionError(err)) {
				t.Fatalf("error of kind %q without a place: %v", errkind.Of(err), err)
			}
			if len(ids) != 0 {
				t.Fatalf("%d events emitted before the error %v", len(ids), err)
			}
			return
		}
		seen := map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("id %s twice", id)
			}
			seen[id] = true
		}
		if len(ids) != sum.Events {
			t.Fatalf("%d events, summary says %d", len(ids), sum.Events)
		}
		again, _, err := run()
		if err != nil || len(again) != len(ids) {
			t.Fatalf("second import: %d events, %v", len(again), err)
		}
		for i := range ids {
			if ids[i] != again[i] {
				t.Fatalf("id %d: %s then %s", i, ids[i], again[i])
			}
		}
	})
}

// isOptionError reports the refusals that are about the options, not a
// place in the file.
func isOptionError(err error) bool {
	m := err.Error()
	return m == "the export holds more than one group: choose and map them with Options.Groups (keys: the groups' keys in the summary) instead of Options.Group" ||
		m == "the export does not name its group: set the group to import into (Options.Group) or a name for a new one (Options.GroupName)"
}

func FuzzTelegram(f *testing.F) {
	fuzzImport(f, FormatTelegram, []string{"telegram/supergroup.json", "telegram/account.json", "telegram/old.json"},
		tgSupergroup(tgm(1, linxiao+`,"text":["a",{"type":"mention_name","text":"b","user_id":2}]`)),
		`{"chats":{"list":[{"type":"private_group","id":1,"messages":[{"id":1,"type":"service","date_unixtime":"1","actor_id":"user1","action":"invite_members","members":["x",null]}]}]}}`,
		`{"type":"private_group","id":1,"messages":[{"id":-5,"type":"message","date":"2020-01-01T00:00:00","from_id":7,"text":"x"}]}`)
}

func FuzzMatrix(f *testing.F) {
	fuzzImport(f, FormatMatrix, []string{"matrix/element.json"},
		mxRoom(mxText("$1", "@a:x", "> <@b:x> 引用\n\n回复"), `{"type":"m.room.member","event_id":"$2","sender":"@a:x","origin_server_ts":2,"room_id":"!r:x","state_key":"@b:x","content":{"membership":"leave"},"unsigned":{"prev_content":{"membership":"join"}}}`),
		`{"messages":[{"type":"m.room.member","event_id":"$1","sender":"@a:x","origin_server_ts":1,"room_id":"!r:x","state_key":"@a:x","content":{"membership":"join","displayname":null}}]}`)
}

func FuzzQQJSON(f *testing.F) {
	fuzzImport(f, FormatQQJSON, []string{"qq/qce.json"},
		qceGroup("1", `{"id":"1","timestamp":1,"system":true,"content":{"text":"你邀请a、b加入了群聊"}}`, `{"id":"2","timestamp":2,"sender":{"uin":"0","name":"x"},"content":{"elements":[{"type":"at","data":{"uin":5}},{"type":"reply","data":{"messageId":"1"}}]}}`),
		`{"chatInfo":{"type":"private","peerUid":"u_1"},"messages":[{"id":"1","timestamp":1,"content":{"text":"x"}}]}`)
}

func FuzzWeChatCSV(f *testing.F) {
	fuzzImport(f, FormatWeChatCSV, []string{"wechat/memotrace.csv", "wechat/pywxdump.csv"},
		"Type,CreateTime,StrContent,Sender\n1,1709254800,\"a\nb\",wxid_a\n10000,1709254800,\"\"\"a\"\"邀请\"\"b\"\"加入了群聊\",\n",
		"type_name,CreateTime,msg,talker,room_name\n文本,2024-03-01 09:00:00,x,wxid_a,r@chatroom\n")
}

func FuzzWeChatText(f *testing.F) {
	fuzzImport(f, FormatWeChatText, []string{"wechat/memotrace.txt", "wechat/copied.txt"},
		"2024-03-01 09:00:00 \"a\"邀请\"b、c\"加入了群聊\n\n2024-03-01 09:00:00 a\n[图片]x\n",
		"a 2024/3/1 下午2:30\nb\n\nc 2024年3月1日 9:15 PM\nd\n")
}

func FuzzQQText(f *testing.F) {
	fuzzImport(f, FormatQQText, []string{"qq/all.txt"},
		"2021-03-04 12:01:22 a(12345)\nb\n\n2021-03-04 12:01:23 系统消息(10000)\na(12345)邀请c加入了本群\n",
		"消息分组:x\n消息对象:y\n2021-03-04 8:01:22 PM a<b@c.d>\n[图片]\n")
}

// FuzzDetect: any head is a format or a refusal of kind Invalid.
func FuzzDetect(f *testing.F) {
	for _, c := range goldenCases {
		b, err := os.ReadFile(filepath.Join("testdata", c.file))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{0xFF, 0xFE, 0x00})
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, head []byte) {
		got, err := Detect(head)
		if err != nil {
			if errkind.Of(err) != errkind.Invalid || got != "" {
				t.Fatalf("%q, %v", got, err)
			}
			return
		}
		if !got.Valid() {
			t.Fatalf("unknown format %q", got)
		}
	})
}
