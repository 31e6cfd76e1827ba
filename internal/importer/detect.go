package importer

import (
	"bytes"
	"encoding/csv"
	"strings"
	"unicode/utf8"
)

// Detect tells the format of an export from its first bytes (64 KiB is
// plenty; Open reads that much): a JSON object with Telegram's keys, a CSV
// header with WeChat's columns, the QQ message manager's banner or its
// "time name(QQ)" lines, or chat-log header lines. It returns an error of
// kind Invalid naming what the file looks like when it is none of them.
func Detect(head []byte) (Format, error) {
	t := decodeHead(head)
	trimmed := bytes.TrimLeft(t, " \t\r\n")
	if len(trimmed) == 0 {
		return "", invalid("the file is empty")
	}
	if trimmed[0] == '{' || trimmed[0] == '[' {
		if isMatrixHead(t) {
			return FormatMatrix, nil
		}
		for _, k := range []string{`"messages"`, `"chats"`, `"personal_information"`, `"date_unixtime"`} {
			if bytes.Contains(t, []byte(k)) {
				return FormatTelegram, nil
			}
		}
		return "", invalid("a JSON file, but not a Telegram Desktop export (it has no \"messages\" or \"chats\") nor Element's export of a Matrix room")
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
		return "", invalid("not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)")
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
	return "", invalid("not a chat export qunzhu reads: want a Telegram Desktop export (result.json), Element's JSON export of a Matrix room, a WeChat CSV (MemoTrace/WeChatMsg, PyWxDump), a chat log with lines like \"2024-03-01 09:15:02 张三\" or a QQ message manager text export")
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
