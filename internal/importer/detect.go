package importer

import (
	"bytes"
	"encoding/csv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Detect tells the format of an export from its first bytes (64 KiB is
// plenty; Open reads that much): a JSON object with Telegram's keys, a CSV
// header with WeChat's columns, the QQ message manager's banner or its
// "time name(QQ)" lines, or chat-log header lines. It returns an error of
// kind Invalid naming what the file looks like when it is none of them.
func Detect(head []byte) (Format, error) {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return "", unrecognised("zip", "a ZIP archive: unzip it and upload the export inside (Telegram's result.json, Element's export.json, the CSV or text file)")
	}
	t := decodeHead(head)
	trimmed := bytes.TrimLeft(t, " \t\r\n")
	if len(trimmed) == 0 {
		return "", ErrEmpty
	}
	if isHTML(trimmed) {
		return "", unrecognised("html", "an HTML export, which is made for reading, not for importing: export again as JSON (Telegram Desktop: \"Machine-readable JSON\"; Element: JSON) or, from WeChat's tools, as CSV or TXT")
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if isMatrixHead(t) {
			return FormatMatrix, nil
		}
		if isQCEHead(t) {
			return FormatQQJSON, nil
		}
		for _, k := range []string{`"messages"`, `"chats"`, `"personal_information"`, `"date_unixtime"`} {
			if bytes.Contains(t, []byte(k)) {
				return FormatTelegram, nil
			}
		}
		return "", unrecognised("json", "a JSON file, but not a Telegram Desktop export (it has no \"messages\" or \"chats\") nor Element's export of a Matrix room nor QQ Chat Exporter's")
	}
	// Only whole lines count: the last one may be cut short.
	if i := bytes.LastIndexByte(t, '\n'); i >= 0 && len(t) == len(head) && len(head) >= headSize {
		t = t[:i+1]
	}
	valid := t
	for len(valid) > 0 && !utf8.Valid(valid) && len(t)-len(valid) < utf8.UTFMax {
		valid = valid[:len(valid)-1]
	}
	if !utf8.Valid(valid) {
		return "", unrecognised("encoding", "not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)")
	}
	text := string(valid)
	first, _, _ := strings.Cut(text, "\n")
	if isWeChatCSVHeader(first) {
		return FormatWeChatCSV, nil
	}
	lines := strings.Split(text, "\n")
	if len(lines) > 2000 {
		lines = lines[:2000]
	}
	qq, wx := 0, 0
	for _, l := range lines {
		l = strings.TrimRight(l, "\r")
		switch {
		case strings.HasPrefix(l, qqBanner), strings.HasPrefix(l, "消息分组:"), strings.HasPrefix(l, "消息对象:"):
			return FormatQQText, nil
		case qqHeaderLine(l):
			qq++
		case wechatHeaderLine(l):
			wx++
		}
	}
	switch {
	case qq > 0 && qq >= wx:
		return FormatQQText, nil
	case wx > 0:
		return FormatWeChatText, nil
	}
	return "", unrecognised("unknown", "not a chat export qunzhu reads: want a Telegram Desktop export (result.json), Element's JSON export of a Matrix room, a WeChat CSV (MemoTrace/WeChatMsg, PyWxDump), a chat log with lines like \"2024-03-01 09:15:02 张三\", QQ Chat Exporter's JSON or a QQ message manager text export")
}

// isWeChatCSVHeader reports whether line is the header of a WeChat CSV.
func isWeChatCSVHeader(line string) bool {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(line, "\ufeff")))
	rec, err := r.Read()
	if err != nil {
		return false
	}
	_, err = csvColumns(rec)
	return err == nil
}

// isHTML reports whether a file starts as an HTML page does.
func isHTML(t []byte) bool {
	if len(t) > 512 {
		t = t[:512]
	}
	l := bytes.ToLower(t)
	return bytes.HasPrefix(l, []byte("<!doctype html")) || (bytes.HasPrefix(l, []byte("<")) && bytes.Contains(l, []byte("<html")))
}

// Unrecognised is Detect's refusal of a file that is no export it reads.
// What names what the file looks like — "zip", "html", "empty",
// "encoding" (not UTF-8), "json" (JSON of another program) or "unknown" —
// for a caller that explains it in its own words (the console, in the
// reader's language); Error is the explanation in English.
type Unrecognised struct {
	What    string
	Message string
}

func (e *Unrecognised) Error() string { return e.Message }

// ErrEmpty is the refusal of an empty file, by Detect and by a caller
// that sees the file is empty before reading it.
var ErrEmpty = unrecognised("empty", "the file is empty")

// unrecognised is a refusal of kind Invalid carrying an *Unrecognised.
func unrecognised(what, msg string) error {
	return &errkind.Error{Kind: errkind.Invalid, Message: msg, Err: &Unrecognised{What: what, Message: msg}}
}
