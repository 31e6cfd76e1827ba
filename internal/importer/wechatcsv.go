package importer

import (
	"bufio"
	"encoding/csv"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// csvCols are the column indexes of a WeChat CSV (-1: absent).
type csvCols struct {
	svrID, typ, subType, typeName, isSender, createTime, strTime, content, remark, nick, sender, room int
}

// csvColumnNames lists, for each column read, the header names accepted
// (compared without case): MemoTrace/WeChatMsg's first, PyWxDump's after.
var csvColumnNames = []struct {
	names []string
	field func(*csvCols) *int
}{
	{[]string{"MsgSvrID"}, func(c *csvCols) *int { return &c.svrID }},
	{[]string{"Type"}, func(c *csvCols) *int { return &c.typ }},
	{[]string{"SubType"}, func(c *csvCols) *int { return &c.subType }},
	{[]string{"type_name"}, func(c *csvCols) *int { return &c.typeName }},
	{[]string{"IsSender", "is_sender"}, func(c *csvCols) *int { return &c.isSender }},
	{[]string{"CreateTime"}, func(c *csvCols) *int { return &c.createTime }},
	{[]string{"StrTime"}, func(c *csvCols) *int { return &c.strTime }},
	{[]string{"StrContent", "msg", "content"}, func(c *csvCols) *int { return &c.content }},
	{[]string{"Remark"}, func(c *csvCols) *int { return &c.remark }},
	{[]string{"NickName"}, func(c *csvCols) *int { return &c.nick }},
	{[]string{"Sender", "talker"}, func(c *csvCols) *int { return &c.sender }},
	{[]string{"StrTalker", "room_name"}, func(c *csvCols) *int { return &c.room }},
}

// csvColumns maps a header to columns; unknown columns are ignored.
func csvColumns(header []string) (csvCols, error) {
	c := csvCols{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		for _, col := range csvColumnNames {
			for _, n := range col.names {
				if strings.EqualFold(h, n) {
					p := col.field(&c)
					if *p >= 0 {
						return c, fmt.Errorf("column %s twice", h)
					}
					*p = i
				}
			}
		}
	}
	var missing []string
	if c.content < 0 {
		missing = append(missing, "StrContent (or msg)")
	}
	if c.createTime < 0 && c.strTime < 0 {
		missing = append(missing, "CreateTime or StrTime")
	}
	if c.typ < 0 && c.typeName < 0 {
		missing = append(missing, "Type (or type_name)")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("not a WeChat CSV export: no column %s (the header has %s)", strings.Join(missing, ", "), clip(strings.Join(header, ",")))
	}
	return c, nil
}

// pyWxDumpTypes are PyWxDump's type_name values.
var pyWxDumpTypes = map[string][2]int{
	"文本": {1, 0}, "图片": {3, 0}, "语音": {34, 0}, "推荐公众号": {42, 0}, "视频": {43, 0}, "动画表情": {47, 0}, "位置": {48, 0},
	"文件": {49, 6}, "粘贴的文本": {49, 1}, "(分享)音乐": {49, 3}, "(分享)卡片式链接": {49, 5}, "用户上传的GIF表情": {49, 8},
	"合并转发的聊天记录": {49, 19}, "(分享)笔记": {49, 24}, "(分享)小程序": {49, 33}, "(分享)收藏夹": {49, 40},
	"(分享)视频号名片": {49, 50}, "(分享)视频号视频": {49, 51}, "接龙": {49, 53}, "引用回复": {49, 57}, "群公告": {49, 87},
	"转账": {49, 2000}, "赠送红包封面": {49, 2003}, "语音通话": {50, 0},
	"系统通知": {10000, 0}, "拍一拍": {10000, 4}, "邀请加群": {10000, 8000},
}

// wechatKind maps WeChat's message Type and SubType to a kind; notice is
// true for system messages, ok false for what is not a message (calls,
// friend requests).
func wechatKind(typ, sub int) (kind chat.MessageKind, notice, ok bool) {
	switch typ {
	case 1:
		return chat.KindText, false, true
	case 3:
		return chat.KindImage, false, true
	case 34:
		return chat.KindVoice, false, true
	case 42, 48:
		return chat.KindCard, false, true
	case 43, 62:
		return chat.KindVideo, false, true
	case 47:
		return chat.KindSticker, false, true
	case 49:
		switch sub {
		case 0, 6, 74:
			return chat.KindFile, false, true
		case 1, 57, 87, 53:
			return chat.KindText, false, true
		case 8:
			return chat.KindSticker, false, true
		case 19, 40:
			return chat.KindForward, false, true
		case 33, 36:
			return chat.KindMiniProgram, false, true
		case 2000, 2001, 2003:
			return chat.KindRedPacket, false, true
		}
		return chat.KindLink, false, true
	case 10000, 10002:
		return "", true, true
	}
	return "", false, false
}

// appMsg is the XML WeChat stores for shared links, files and replies.
type appMsg struct {
	AppMsg struct {
		Title string `xml:"title"`
		Des   string `xml:"des"`
		URL   string `xml:"url"`
	} `xml:"appmsg"`
}

// wechatCSV reads a WeChat CSV (FormatWeChatCSV).
type wechatCSV struct {
	st   *state
	r    *csv.Reader
	cols csvCols
	head bool
}

func newWeChatCSV(st *state, br *bufio.Reader) parser {
	r := csv.NewReader(decodeText(br))
	r.FieldsPerRecord = -1 // MemoTrace leaves the sender columns off private chats' rows
	r.ReuseRecord = true
	return &wechatCSV{st: st, r: r}
}

// csvProblem names a CSV reading error's line.
func csvProblem(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return lineError(pe.Line, "malformed CSV: %v", pe.Err)
	}
	return err
}

// wxidPattern is a WeChat account id: wxid_… or a chosen WeChat ID.
var wxidPattern = lazyRegexp(`^[A-Za-z][-_A-Za-z0-9]{5,40}$`)

// notSender are the sender words PyWxDump writes where there is no wxid.
func notSender(s string) bool { return s == "" || s == "我" || s == "未知" || s == "系统" }

func (p *wechatCSV) read() ([]chat.Event, error) {
	st := p.st
	if !p.head {
		p.head = true
		header, err := p.r.Read()
		if errors.Is(err, io.EOF) {
			return nil, lineError(1, "empty: want a header line")
		}
		if err != nil {
			return nil, csvProblem(err)
		}
		if p.cols, err = csvColumns(header); err != nil {
			return nil, lineError(1, "%v", err)
		}
	}
	rec, err := p.r.Read()
	if err != nil {
		return nil, csvProblem(err)
	}
	line, _ := p.r.FieldPos(0)
	for _, f := range rec {
		if !utf8.ValidString(f) {
			return nil, lineError(line, "not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)")
		}
	}
	c := p.cols
	get := func(i int) string {
		if i < 0 || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	fieldErr := func(col int, name, format string, args ...any) error {
		l, _ := p.r.FieldPos(min(col, len(rec)-1))
		return lineError(l, "%s: %s", name, fmt.Sprintf(format, args...))
	}

	room := get(c.room)
	if room != "" && !strings.HasSuffix(room, "@chatroom") {
		if _, err := st.openGroup(room, room, "private chat", "", "private chat (not a group)"); err != nil {
			return nil, err
		}
	} else if _, err := st.openGroup(room, st.opt.GroupName, "", room, ""); err != nil {
		return nil, err
	}

	at, err := p.time(get, fieldErr, line)
	if err != nil {
		return nil, err
	}
	var typ, sub int
	if c.typ >= 0 {
		if typ, err = strconv.Atoi(get(c.typ)); err != nil {
			return nil, fieldErr(c.typ, "Type", "not a number: %q", clip(get(c.typ)))
		}
		if s := get(c.subType); s != "" {
			if sub, err = strconv.Atoi(s); err != nil {
				return nil, fieldErr(c.subType, "SubType", "not a number: %q", clip(s))
			}
		}
	} else {
		name := get(c.typeName)
		ts, ok := pyWxDumpTypes[name]
		if !ok {
			st.skip("type " + clip(name))
			return nil, nil
		}
		typ, sub = ts[0], ts[1]
	}
	kind, isNotice, ok := wechatKind(typ, sub)
	if !ok {
		st.skip(fmt.Sprintf("type %d", typ))
		return nil, nil
	}
	g := st.cur
	if g.sum.Skipped != "" {
		st.skip("group not imported")
		return nil, nil
	}
	content := get(c.content)
	svr := get(c.svrID)
	if _, err := strconv.ParseUint(svr, 10, 64); err != nil || svr == "0" {
		svr = ""
	}
	who := func(r nameRef) chat.User {
		switch {
		case r.self:
			return st.self("")
		case r.id != "":
			return st.platformUser("", r.id, r.name)
		}
		return st.byName("", r.name)
	}
	if isNotice {
		n := parseWeChatNotice(content)
		if n == nil {
			st.skip("system notice")
			return nil, nil
		}
		rid := ""
		if svr != "" {
			rid = "svr:" + svr
		}
		return st.noticeEvents(n, at, rid, who), nil
	}

	sender, display, remark := get(c.sender), get(c.nick), get(c.remark)
	if display == "" {
		display = remark
	}
	isSender := false
	switch strings.ToLower(get(c.isSender)) {
	case "1", "true":
		isSender = true
	}
	if notSender(sender) && !isSender {
		// Older databases keep the sender in the content: "wxid_…:\n…".
		if id, rest, ok := strings.Cut(content, ":\n"); ok && wxidPattern().MatchString(id) {
			sender, content = id, rest
		}
	}
	var u chat.User
	senderKey := ""
	switch {
	case !notSender(sender):
		u, senderKey = st.platformUser("", sender, display), sender
		if remark != "" {
			st.learned.learn("", remark, sender)
		}
	case isSender:
		u, senderKey = st.self(display), "\x00self"
	case display != "":
		u, senderKey = st.byName("", display), "\x00name\x00"+display
	default:
		st.skip("message without a sender")
		return nil, nil
	}

	m := &chat.Message{Kind: kind}
	switch {
	case strings.HasPrefix(content, "<"):
		var am appMsg
		if xml.Unmarshal([]byte(content), &am) == nil {
			m.Text, m.URL = strings.TrimSpace(am.AppMsg.Title), strings.TrimSpace(am.AppMsg.URL)
		}
	case kind == chat.KindText:
		m = classify(content)
		if m.Kind != chat.KindText && m.Kind != chat.KindLink {
			m.Kind, m.Text = chat.KindText, content // a text that starts with "[图片]" is still a text
		}
	case kind == chat.KindImage, kind == chat.KindVideo, kind == chat.KindVoice, kind == chat.KindSticker:
		// PyWxDump writes a word ("图片") or a summary: no caption.
	default:
		first, _, _ := strings.Cut(content, "\n")
		m.Text = strings.TrimSpace(first)
		m.URL = urlPattern().FindString(content)
	}
	m.Text = st.text(m.Text)
	e := st.base(chat.EventMessage, at)
	e.Sender = u
	e.Message = m
	if svr != "" {
		e.ID, m.ID = st.sourceID("svr", svr), svr
	} else {
		e.ID = st.hashID(recordKey("m", unixKey(at), senderKey, strconv.Itoa(typ), strconv.Itoa(sub), content))
		m.ID = strings.TrimPrefix(e.ID, g.sum.ID+":")
	}
	return []chat.Event{e}, nil
}

// time reads CreateTime (Unix seconds or milliseconds, or a local time
// string) or else StrTime (a local time string).
func (p *wechatCSV) time(get func(int) string, fieldErr func(int, string, string, ...any) error, line int) (time.Time, error) {
	c := p.cols
	col, name, v := c.createTime, "CreateTime", get(c.createTime)
	if v == "" {
		col, name, v = c.strTime, "StrTime", get(c.strTime)
	}
	if v == "" {
		return time.Time{}, lineError(line, "CreateTime: required")
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > 1e11 { // milliseconds
			n /= 1000
		}
		if n <= 0 {
			return time.Time{}, fieldErr(col, name, "not a time: %q", v)
		}
		return time.Unix(n, 0).UTC(), nil
	}
	if err := p.st.needLocation(fmt.Sprintf("line %d", line), line); err != nil {
		return time.Time{}, err
	}
	for _, layout := range []string{"2006-01-02 15:04:05", "2006/01/02 15:04:05", "2006-01-02 15:04", "2006/1/2 15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, v, p.st.opt.Location); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fieldErr(col, name, "not a time: %q (want Unix seconds or 2006-01-02 15:04:05)", clip(v))
}
