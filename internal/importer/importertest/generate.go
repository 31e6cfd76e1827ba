// Package importertest writes chat exports for tests and benchmarks of
// the importer and of whole imports.
package importertest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TelegramStart is the time of the first message WriteTelegram writes;
// message i is i seconds later.
var TelegramStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// TelegramChat is the Bot API id of the supergroup WriteTelegram writes.
const TelegramChat = "-1001234567890"

// WriteTelegram writes a Telegram Desktop export of one supergroup with n
// messages from 500 members, one a second: texts, links, photos, replies,
// and every thousandth a service message inviting two members by name.
func WriteTelegram(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprint(bw, "{\n \"name\": \"压力测试群\",\n \"type\": \"private_supergroup\",\n \"id\": 1234567890,\n \"messages\": [")
	base := TelegramStart.Unix()
	for i := range n {
		if i > 0 {
			bw.WriteString(",")
		}
		at := base + int64(i)
		date := time.Unix(at, 0).UTC().Format("2006-01-02T15:04:05")
		u := i % 500
		head := fmt.Sprintf("\n  {\n   \"id\": %d,\n   \"type\": \"%%s\",\n   \"date\": \"%s\",\n   \"date_unixtime\": \"%d\",\n", i+1, date, at)
		switch {
		case i%1000 == 0:
			fmt.Fprintf(bw, head, "service")
			fmt.Fprintf(bw, "   \"actor\": \"成员%d\",\n   \"actor_id\": \"user%d\",\n   \"action\": \"invite_members\",\n   \"members\": [\"成员%d\", \"新人%d\"],\n   \"text\": \"\"\n  }", u, 100000+u, (u+1)%500, i)
		case i%10 == 0:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"reply_to_message_id\": %d,\n   \"text\": [\n    \"路线在这里 \",\n    {\n     \"type\": \"link\",\n     \"text\": \"https://example.org/r/%d\"\n    }\n   ]\n  }", u, 100000+u, i, i)
		case i%17 == 0:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"photo\": \"photos/photo_%d@01-01-2024_00-00-00.jpg\",\n   \"width\": 1280,\n   \"height\": 960,\n   \"text\": \"\"\n  }", u, 100000+u, i)
		default:
			fmt.Fprintf(bw, head, "message")
			fmt.Fprintf(bw, "   \"from\": \"成员%d\",\n   \"from_id\": \"user%d\",\n   \"text\": \"第%d条消息：周末一起去爬山吧，记得带水和雨衣。\"\n  }", u, 100000+u, i)
		}
	}
	bw.WriteString("\n ]\n}\n")
	return bw.Flush()
}

// TelegramFile writes an export of n messages (WriteTelegram) to a file in
// dir and returns its path and size.
func TelegramFile(tb testing.TB, dir string, n int) (string, int64) {
	tb.Helper()
	path := filepath.Join(dir, "result.json")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := WriteTelegram(f, n); err != nil {
		tb.Fatal(err)
	}
	st, _ := f.Stat()
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, st.Size()
}
