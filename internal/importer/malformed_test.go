package importer

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// TestMalformed checks each problem's message: the place (JSON path or
// line) and what is wrong. Every error is of kind Invalid, carries an
// *Error, and nothing is emitted.
func TestMalformed(t *testing.T) {
	msg := func(fields string) string {
		return tgSupergroup(`{"id":1,"type":"message","from_id":"user1","text":"x",` + fields + `}`)
	}
	tq := func(body string) string { return qqFrame("测试群", body) }
	noZone := Options{Group: "g"}
	mxCut := mxRoom(mxText("$1", "@a:x", "x"))
	mxCut = mxCut[:len(mxCut)-60]
	tests := []struct {
		name  string
		f     Format
		input string
		opt   Options
		want  string
		line  int
	}{
		// Telegram: the JSON path of the problem.
		{"not an object", FormatTelegram, `[1,2]`, Options{}, "not a Telegram Desktop export: want a JSON object", 0},
		{"no messages", FormatTelegram, `{"name":"x","about":"y"}`, Options{}, `not a Telegram Desktop export: the JSON object has no "messages" or "chats"`, 0},
		{"no type", FormatTelegram, `{"name":"x","id":1,"messages":[]}`, Options{}, `type: required before "messages" (private_group, private_supergroup, public_supergroup…)`, 0},
		{"no id", FormatTelegram, `{"type":"private_group","messages":[]}`, Options{}, `id: required before "messages"`, 0},
		{"bad chat id", FormatTelegram, `{"type":"private_group","id":"x","messages":[]}`, Options{}, `id: not a chat id: "x"`, 0},
		{"messages not an array", FormatTelegram, `{"type":"private_group","id":1,"messages":{}}`, Options{}, "messages: want an array, got an object", 0},
		{"message not an object", FormatTelegram, tgSupergroup(`5`), Options{}, "messages[0]: want an object, got JSON number", 0},
		{"message without id", FormatTelegram, tgSupergroup(`{"type":"message","date_unixtime":"1"}`), Options{}, "messages[0].id: required", 0},
		{"id not a number", FormatTelegram, tgSupergroup(`{"id":"1","type":"message","date_unixtime":"1"}`), Options{}, "messages[0].id: want a number, got JSON string", 0},
		{"message without type", FormatTelegram, tgSupergroup(`{"id":1,"date_unixtime":"1"}`), Options{}, "messages[0].type: required (message or service)", 0},
		{"no date", FormatTelegram, msg(`"date_unixtime":null`), Options{}, "messages[0].date: required", 0},
		{"bad date", FormatTelegram, tgSupergroup(tgm(1, linxiao+`,"text":"x"`), `{"id":2,"type":"message","date":"yesterday","from_id":"user1","text":"x"}`), Options{Location: cst}, `messages[1].date: not a time: "yesterday"`, 0},
		{"date without zone", FormatTelegram, msg(`"date":"2024-01-01T00:00:00"`), Options{}, "messages[0].date: the time has no time zone: set the operator's time zone (Options.Location)", 0},
		{"bad date_unixtime", FormatTelegram, msg(`"date_unixtime":"abc"`), Options{}, `messages[0].date_unixtime: not a Unix time: "abc"`, 0},
		{"bad from_id", FormatTelegram, tgSupergroup(`{"id":1,"type":"message","date_unixtime":"1","from_id":"bob","text":"x"}`), Options{}, `messages[0].from_id: not a peer id like "user123": "bob"`, 0},
		{"bad actor_id", FormatTelegram, tgSupergroup(`{"id":1,"type":"service","date_unixtime":"1","actor_id":"user-5","action":"x"}`), Options{}, `messages[0].actor_id: not a peer id like "user123": "user-5"`, 0},
		{"bad text", FormatTelegram, msg(`"date_unixtime":"1","text":5`), Options{}, "messages[0].text: want a string or an array of text parts", 0},
		{"bad text part", FormatTelegram, tgSupergroup(`{"id":1,"type":"message","date_unixtime":"1","from_id":"user1","text":["a",5]}`), Options{}, "messages[0].text[1]: want a string or an entity object", 0},
		{"bad members", FormatTelegram, msg(`"date_unixtime":"1","members":[1]`), Options{}, "messages[0].members: want a string, got JSON number", 0},
		{"bad nested field", FormatTelegram, msg(`"date_unixtime":"1","poll":{"question":5}`), Options{}, "messages[0].poll.question: want a string, got JSON number", 0},
		{"malformed JSON", FormatTelegram, tgSupergroup(`{"id":1,,"type":"message"}`), Options{}, "messages[0]: malformed JSON: invalid character ',' looking for beginning of object key string", 0},
		{"cut short", FormatTelegram, tgSupergroup(tgm(1, linxiao+`,"text":"x"`))[:120], Options{}, "messages[0]: the file ends in the middle: is the export complete?", 0},
		{"trailing data", FormatTelegram, tgSupergroup() + "x", Options{}, "trailing data after the export's JSON object", 0},
		{"chat not an object", FormatTelegram, `{"chats":{"list":[5]}}`, Options{}, "chats.list[0]: want an object, got a number", 0},
		{"deep in an account export", FormatTelegram, `{"chats":{"about":"","list":[{"type":"private_group","id":1,"messages":[]},{"type":"private_group","id":2,"messages":[{"id":1,"type":"message","date":"x"}]}]}}`, Options{Location: cst}, `chats.list[1].messages[0].date: not a time: "x"`, 0},

		// Element's export of a Matrix room: the JSON path of the problem.
		{"matrix not an object", FormatMatrix, `[1]`, Options{}, "not an Element export of a Matrix room: want a JSON object", 0},
		{"matrix no messages", FormatMatrix, `{"room_name":"x"}`, Options{}, `not an Element export of a Matrix room: the JSON object has no "messages"`, 0},
		{"matrix messages not an array", FormatMatrix, `{"room_name":"x","messages":{}}`, Options{}, "messages: want an array, got an object", 0},
		{"matrix event not an object", FormatMatrix, mxRoom(`5`), Options{}, "messages[0]: want an object, got JSON number", 0},
		{"matrix no type", FormatMatrix, mxRoom(`{"event_id":"$1","sender":"@a:x","origin_server_ts":1,"room_id":"!r:x"}`), Options{}, "messages[0].type: required (m.room.message, m.room.member…)", 0},
		{"matrix no event id", FormatMatrix, mxRoom(`{"type":"m.room.message","sender":"@a:x","origin_server_ts":1,"room_id":"!r:x","content":{"msgtype":"m.text","body":"x"}}`), Options{}, "messages[0].event_id: required", 0},
		{"matrix no time", FormatMatrix, mxRoom(mxText("$1", "@a:x", "x"), `{"type":"m.room.message","event_id":"$2","sender":"@a:x","room_id":"!r:x","content":{}}`), Options{}, "messages[1].origin_server_ts: required", 0},
		{"matrix bad time", FormatMatrix, mxRoom(`{"type":"m.room.message","event_id":"$1","sender":"@a:x","origin_server_ts":"soon","room_id":"!r:x"}`), Options{}, `messages[0].origin_server_ts: not a time in milliseconds: "soon"`, 0},
		{"matrix no room", FormatMatrix, mxRoom(`{"type":"m.room.message","event_id":"$1","sender":"@a:x","origin_server_ts":1}`), Options{}, "messages[0].room_id: required", 0},
		{"matrix bad room", FormatMatrix, mxRoom(`{"type":"m.room.message","event_id":"$1","sender":"@a:x","origin_server_ts":1,"room_id":"general"}`), Options{}, `messages[0].room_id: not a room id like "!abc:example.org": general`, 0},
		{"matrix two rooms", FormatMatrix, mxRoom(mxText("$1", "@a:x", "x"), `{"type":"m.room.message","event_id":"$2","sender":"@a:x","origin_server_ts":1,"room_id":"!s:x"}`), Options{}, "messages[1].room_id: the export is of room !r:x, and this event of !s:x: export one room a file", 0},
		{"matrix bad sender", FormatMatrix, mxRoom(mxText("$1", "alice", "x")), Options{}, `messages[0].sender: not a user id like "@name:example.org": alice`, 0},
		{"matrix member without state key", FormatMatrix, mxRoom(`{"type":"m.room.member","event_id":"$1","sender":"@a:x","origin_server_ts":1,"room_id":"!r:x","content":{"membership":"join"}}`), Options{}, `messages[0].state_key: a member event names its member: want a user id like "@name:example.org"`, 0},
		{"matrix cut short", FormatMatrix, mxCut, Options{}, "messages[0]: the file ends in the middle: is the export complete?", 0},
		{"matrix trailing data", FormatMatrix, mxRoom() + "x", Options{}, "trailing data after the export's JSON object", 0},
		{"matrix messages twice", FormatMatrix, `{"messages":[],"messages":[]}`, Options{}, "messages: given twice", 0},

		// QQ Chat Exporter: the JSON path.
		{"qce not an object", FormatQQJSON, `[]`, Options{}, "not a QQ Chat Exporter export: want a JSON object", 0},
		{"qce no messages", FormatQQJSON, `{"metadata":{},"chatInfo":{"name":"群","type":"group","peerUid":"1"}}`, Options{}, `not a QQ Chat Exporter export: the JSON object has no "messages"`, 0},
		{"qce messages before chatInfo", FormatQQJSON, `{"metadata":{},"messages":[]}`, Options{}, `chatInfo: required before "messages" (QQ Chat Exporter writes it first)`, 0},
		{"qce group without a number", FormatQQJSON, qceGroup("", ``), Options{}, `chatInfo.peerUid: a group's number is required: ""`, 0},
		{"qce no chat type", FormatQQJSON, `{"chatInfo":{"name":"群","peerUid":"1"},"messages":[]}`, Options{}, "chatInfo.type: required (group or private)", 0},
		{"qce message without id", FormatQQJSON, qceGroup("123", `{"timestamp":1714784400000,"sender":{"uin":"1","name":"a"},"content":{"text":"x"}}`), Options{}, "messages[0].id: required", 0},
		{"qce message without time", FormatQQJSON, qceGroup("123", `{"id":"1","sender":{"uin":"1","name":"a"},"content":{"text":"x"}}`), Options{}, "messages[0].timestamp: required", 0},
		{"qce bad time", FormatQQJSON, qceGroup("123", `{"id":"1","timestamp":"today"}`), Options{}, `messages[0].timestamp: not a time in milliseconds: "today"`, 0},
		{"qce chunked manifest", FormatQQJSON, `{"metadata":{"name":"QQChatExporter"},"chatInfo":{"name":"群","type":"group","peerUid":"1"},"statistics":{},"chunked":{"format":"chunked-jsonl","chunks":[]}}`, Options{}, "chunked: this is the manifest of QQ Chat Exporter's chunked export (manifest.json and chunks/): export the chat again as a single JSON file", 0},
		{"qce elements not an array", FormatQQJSON, qceGroup("123", `{"id":"1","timestamp":1,"content":{"elements":{}}}`), Options{}, "messages[0].content.elements: want an array, got JSON object", 0},

		// WeChat CSV: the line.
		{"no header columns", FormatWeChatCSV, "a,b,c\n1,2,3\n", wxOpt, "line 1: not a WeChat CSV export: no column StrContent (or msg), CreateTime or StrTime, Type (or type_name) (the header has a,b,c)", 1},
		{"a column twice", FormatWeChatCSV, "Type,CreateTime,StrContent,type\n", wxOpt, "line 1: column type twice", 1},
		{"empty CSV", FormatWeChatCSV, "", wxOpt, "line 1: empty: want a header line", 1},
		{"Type not a number", FormatWeChatCSV, csvOf(memoHeader, memoRow("1", "0", "0", "x", "", "", "wxid_a"), memoRow("text", "0", "0", "x", "", "", "wxid_a")), wxOpt, `line 3: Type: not a number: "text"`, 3},
		{"SubType not a number", FormatWeChatCSV, csvOf(memoHeader, memoRow("49", "x", "0", "x", "", "", "wxid_a")), wxOpt, `line 2: SubType: not a number: "x"`, 2},
		{"bad CreateTime", FormatWeChatCSV, "Type,CreateTime,StrContent,Sender\n1,yesterday,x,wxid_a\n", wxOpt, `line 2: CreateTime: not a time: "yesterday" (want Unix seconds or 2006-01-02 15:04:05)`, 2},
		{"no time", FormatWeChatCSV, "Type,CreateTime,StrContent,Sender\n1,,x,wxid_a\n", wxOpt, "line 2: CreateTime: required", 2},
		{"a time string without zone", FormatWeChatCSV, "Type,StrTime,StrContent,Sender\n1,2024-03-01 09:00:00,x,wxid_a\n", noZone, "line 2: the time has no time zone: set the operator's time zone (Options.Location)", 2},
		{"bad quoting", FormatWeChatCSV, "Type,CreateTime,StrContent,Sender\n1,1709254800,\"x\"y,wxid_a\n", wxOpt, `line 2: malformed CSV: extraneous or missing " in quoted-field`, 2},
		{"GBK", FormatWeChatCSV, "Type,CreateTime,StrContent,Sender\n1,1709254800,\xc4\xe3\xba\xc3,wxid_a\n", wxOpt, "line 2: not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)", 2},
		{"a multi-line record's line", FormatWeChatCSV, "Type,CreateTime,StrContent,Sender\n1,1709254800,\"a\nb\",wxid_a\nx,1709254800,c,wxid_a\n", wxOpt, `line 4: Type: not a number: "x"`, 4},

		// WeChat text: the line.
		{"content before a header", FormatWeChatText, "你好\n2024-03-01 09:00:00 林晓\n你好\n", wxOpt, `line 1: want a message header like "2024-03-01 09:15:02 张三" or "张三 2024/3/1 9:15", got "你好"`, 1},
		{"not a date", FormatWeChatText, "2024-03-01 09:00:00 林晓\n你好\n\n2024-02-30 10:00:00 陈默\n好\n", wxOpt, `line 4: "2024-02-30 10:00:00 陈默": not a date and time`, 4},
		{"not a time", FormatWeChatText, "2024-03-01 25:00:00 林晓\n你好\n", wxOpt, `line 1: "2024-03-01 25:00:00 林晓": not a date and time`, 1},
		{"hour with AM", FormatWeChatText, "林晓 2024/3/1 13:00 AM\n你好\n", wxOpt, `line 1: "林晓 2024/3/1 13:00 AM": hour 13 with AM`, 1},
		{"text without zone", FormatWeChatText, "2024-03-01 09:00:00 林晓\n你好\n", noZone, "line 1: the time has no time zone: set the operator's time zone (Options.Location)", 1},
		{"GBK text", FormatWeChatText, "2024-03-01 09:00:00 \xc1\xd6\xcf\xfe\n", wxOpt, "line 1: not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)", 1},
		{"a line too long", FormatWeChatText, "2024-03-01 09:00:00 林晓\n" + strings.Repeat("长", MaxLineBytes/3+1) + "\n", wxOpt, "line 2: longer than 1048576 bytes: not a chat export", 2},

		// QQ: the line.
		{"QQ garbage", FormatQQText, tq("2021-03-04 12:01:22 林晓(10001001)\n你好\n") + "\n================================================================\nhello\n", Options{Location: cst}, `line 13: want a message header like "2021-03-04 12:01:22 昵称(12345678)", got "hello"`, 13},
		{"QQ nameless conversation", FormatQQText, "消息分组:我的群聊\n消息对象:\n", Options{Location: cst}, "line 2: 消息对象 without a name", 2},
		{"QQ bad hour", FormatQQText, "2021-03-04 13:01:22 PM 林晓(10001001)\n你好\n", Options{Location: cst, Group: "g"}, "line 1: hour 13 with PM", 1},
		{"QQ bad date", FormatQQText, "2021-02-29 10:01:22 林晓(10001001)\n你好\n", Options{Location: cst, Group: "g"}, "line 1: not a date and time", 1},
		{"QQ without zone", FormatQQText, tq("2021-03-04 12:01:22 林晓(10001001)\n你好\n"), Options{}, "line 9: the time has no time zone: set the operator's time zone (Options.Location)", 9},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			opt.Format = tc.f
			evs, _, err := importString(t, tc.input, opt)
			if err == nil {
				t.Fatalf("no error; events %v", briefs(evs))
			}
			if len(evs) != 0 {
				t.Errorf("%d events emitted from a malformed file", len(evs))
			}
			if errkind.Of(err) != errkind.Invalid {
				t.Errorf("kind %q: %v", errkind.Of(err), err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n\t%s\nwant\n\t%s", err, tc.want)
			}
			var fe *Error
			if !errors.As(err, &fe) || fe.Line != tc.line {
				t.Errorf("*Error %+v, want line %d", fe, tc.line)
			}
		})
	}
}

// TestOptionErrors checks what Open, Import and Detect refuse.
func TestOptionErrors(t *testing.T) {
	multi := qqFrame("甲群", "2021-03-04 12:01:22 林晓(10001001)\n你好\n") + "\n" + qqFrame("乙群", "2021-03-04 12:01:22 林晓(10001001)\n你好\n")
	tests := []struct {
		name, input string
		opt         Options
		want        string
	}{
		{"no connection", "2024-03-01 09:00:00 林晓\n你好", Options{Connection: "-"}, "connection: required"},
		{"unknown format", "x", Options{Format: "xml"}, `format: unknown "xml" (want telegram, matrix, wechat-csv, qq-json, qq-text, wechat-text)`},
		{"empty file", "", Options{}, "the file is empty"},
		{"JSON but not Telegram", `{"a":1}`, Options{}, `a JSON file, but not a Telegram Desktop export (it has no "messages" or "chats") nor Element's export of a Matrix room nor QQ Chat Exporter's`},
		{"not a chat", "hello\nworld\n", Options{}, `not a chat export qunzhu reads: want a Telegram Desktop export (result.json), Element's JSON export of a Matrix room, a WeChat CSV (MemoTrace/WeChatMsg, PyWxDump), a chat log with lines like "2024-03-01 09:15:02 张三", QQ Chat Exporter's JSON or a QQ message manager text export`},
		{"GBK", "2024-03-01 09:00:00 \xc1\xd6\xcf\xfe\n\xc4\xe3\xba\xc3\n", Options{}, "not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)"},
		{"a ZIP", "PK\x03\x04\x14\x00\x08\x00export.json", Options{}, "a ZIP archive: unzip it and upload the export inside (Telegram's result.json, Element's export.json, the CSV or text file)"},
		{"Telegram's HTML", "<!DOCTYPE html>\n<html>\n <head>\n  <meta charset=\"utf-8\"/>\n<title>Exported Data</title>", Options{}, "an HTML export, which is made for reading, not for importing: export again as JSON (Telegram Desktop: \"Machine-readable JSON\"; Element: JSON) or, from WeChat's tools, as CSV or TXT"},
		{"HTML after a BOM", "\ufeff<html lang=\"zh\"><body>聊天记录</body></html>", Options{}, "an HTML export, which is made for reading, not for importing: export again as JSON (Telegram Desktop: \"Machine-readable JSON\"; Element: JSON) or, from WeChat's tools, as CSV or TXT"},
		{"a group without a name or id", "2024-03-01 09:00:00 林晓\n你好", Options{Location: cst}, "the export does not name its group: set the group to import into (Options.Group) or a name for a new one (Options.GroupName)"},
		{"Group for several groups", multi, Options{Location: cst, Group: "g"}, "the export holds more than one group: choose and map them with Options.Groups (keys: the groups' keys in the summary) instead of Options.Group"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := tc.opt
			if opt.Connection == "-" {
				opt.Connection = ""
				_, err := Open(strings.NewReader(tc.input), opt)
				if err == nil || err.Error() != tc.want || errkind.Of(err) != errkind.Invalid {
					t.Fatalf("err %v, want %s", err, tc.want)
				}
				return
			}
			evs, _, err := importString(t, tc.input, opt)
			if err == nil || err.Error() != tc.want || errkind.Of(err) != errkind.Invalid {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
			if len(evs) != 0 {
				t.Errorf("events emitted: %v", briefs(evs))
			}
		})
	}
	t.Run("Validate accepts a group without a name; Open refuses it at its first record", func(t *testing.T) {
		sum, err := Validate(context.Background(), strings.NewReader("2024-03-01 09:00:00 林晓\n你好"), Options{Connection: "c", Location: cst})
		if err != nil || len(sum.Groups) != 1 || sum.Groups[0].ID != "" || sum.Events != 1 {
			t.Fatalf("%+v %v", sum, err)
		}
		rd, err := Open(strings.NewReader("2024-03-01 09:00:00 林晓\n你好"), Options{Connection: "c", Location: cst})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rd.Next(context.Background()); err == nil || !strings.Contains(err.Error(), "does not name its group") {
			t.Fatalf("Next: %v", err)
		}
	})
	t.Run("a reader stays failed", func(t *testing.T) {
		rd, err := Open(strings.NewReader("2024-03-01 09:00:00 林晓\n你好\nx\n2024-13-01 09:00:00 林晓\n"), Options{Connection: "c", Location: cst, Group: "g"})
		if err != nil {
			t.Fatal(err)
		}
		_, err1 := rd.Next(context.Background())
		_, err2 := rd.Next(context.Background())
		if err1 == nil || err2 != err1 {
			t.Fatalf("%v then %v", err1, err2)
		}
	})
	t.Run("the emitter's error stops Import", func(t *testing.T) {
		boom := errors.New("store down")
		_, err := Import(context.Background(), func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader("2024-03-01 09:00:00 林晓\n你好")), nil
		}, Options{Connection: "c", Location: cst, Group: "g"}, func(context.Context, Batch) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
	})
	t.Run("a cancelled context stops a pass", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Validate(ctx, strings.NewReader("2024-03-01 09:00:00 林晓\n你好"), Options{Connection: "c", Location: cst})
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	})
}
