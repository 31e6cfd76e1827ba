package importer

import (
	"bufio"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// The clock of a header: 2024-03-01 09:15:02, 2024/3/1 9:15, 2023/09/16
// 2:51 PM, 2024年3月1日 下午2:51.
const clock = `(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T]+(上午|下午|中午|晚上|凌晨)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp][Mm]))?`

var (
	// "2024-03-01 09:15:02 张三": MemoTrace's TXT, most logs.
	timeFirst = lazyRegexp(`^` + clock + `\s+(.*\S)\s*$`)
	// "张三 2024/3/1 9:15": what WeChat copies.
	nameFirst = lazyRegexp(`^(.*\S)\s+` + clock + `\s*$`)
)

// wechatHeaderLine reports whether l looks like a chat-log header (Detect).
func wechatHeaderLine(l string) bool {
	return timeFirst().MatchString(l) || nameFirst().MatchString(l)
}

// stamp reads a header's clock, submatches y, mo, d, half-day word, h,
// mi, s, am/pm, in loc.
func stamp(m []string, loc *time.Location) (time.Time, error) {
	num := func(s string) int { n, _ := strconv.Atoi(s); return n }
	y, mo, d, h, mi, s := num(m[0]), num(m[1]), num(m[2]), num(m[4]), num(m[5]), num(m[6])
	word, ampm := m[3], strings.ToUpper(m[7])
	switch {
	case ampm != "":
		if h < 1 || h > 12 {
			return time.Time{}, fmt.Errorf("hour %d with %s", h, ampm)
		}
		h %= 12
		if ampm == "PM" {
			h += 12
		}
	case word == "下午" || word == "晚上":
		if h < 12 {
			h += 12
		}
	case word == "中午":
		if h < 11 {
			h += 12
		}
	case word == "上午" || word == "凌晨":
		if h == 12 {
			h = 0
		}
	}
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, errors.New("not a date and time")
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, loc)
	if t.Day() != d {
		return time.Time{}, errors.New("not a date and time")
	}
	return t.UTC(), nil
}

// wechatText reads a plain-text chat log (FormatWeChatText).
type wechatText struct {
	st        *state
	lr        *lineReader
	style     int  // 0 not known yet, 1 time first, 2 name first
	prevBlank bool // the line before was blank (or there was none)
	started   bool
}

func newWeChatText(st *state, br *bufio.Reader) parser {
	return &wechatText{st: st, lr: newLineReader(decodeText(br)), prevBlank: true}
}

type textHeader struct {
	at   time.Time
	name string // the sender, or the notice of a header without content
	line int
}

// header reads line as a header: ok is false for a content line.
func (p *wechatText) header(line string) (h textHeader, ok bool, err error) {
	var clockParts []string
	if p.style != 2 {
		if m := timeFirst().FindStringSubmatch(line); m != nil {
			clockParts, h.name = m[1:9], m[9]
			if p.style == 0 {
				p.style = 1
			}
		}
	}
	if clockParts == nil && p.style != 1 && p.prevBlank {
		// A name-first header only after a blank line: a content line
		// ending in a date must not split a message.
		if m := nameFirst().FindStringSubmatch(line); m != nil {
			clockParts, h.name = m[2:10], m[1]
			if p.style == 0 {
				p.style = 2
			}
		}
	}
	if clockParts == nil {
		return h, false, nil
	}
	h.line = p.lr.n
	if err := p.st.needLocation(fmt.Sprintf("line %d", h.line), h.line); err != nil {
		return h, false, err
	}
	if h.at, err = stamp(clockParts, p.st.opt.Location); err != nil {
		return h, false, lineError(h.line, "%q: %v", clip(line), err)
	}
	return h, true, nil
}

func (p *wechatText) read() ([]chat.Event, error) {
	st := p.st
	if !p.started {
		p.started = true
		if _, err := st.openGroup("", st.opt.GroupName, "", "", ""); err != nil {
			return nil, err
		}
	}
	var h textHeader
	for {
		line, err := p.lr.next()
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(line) == "" {
			p.prevBlank = true
			continue
		}
		var ok bool
		if h, ok, err = p.header(line); err != nil {
			return nil, err
		}
		p.prevBlank = false
		if !ok {
			return nil, lineError(p.lr.n, "want a message header like \"2024-03-01 09:15:02 张三\" or \"张三 2024/3/1 9:15\", got %q", clip(line))
		}
		break
	}
	content, err := p.lr.body(func(line string) (bool, error) {
		if strings.TrimSpace(line) == "" {
			p.prevBlank = true
			return false, nil
		}
		_, ok, err := p.header(line)
		if !ok {
			p.prevBlank = false
		}
		return ok, err
	})
	if err != nil {
		return nil, err
	}
	// MemoTrace writes the message a reply quotes on a last line.
	if n := len(content); n > 1 && strings.HasPrefix(content[n-1], "引用:") {
		content = content[:n-1]
	}
	g := st.cur
	if g.sum.Skipped != "" {
		st.skip("group not imported")
		return nil, nil
	}
	if len(content) == 0 {
		// A header alone is a notice (MemoTrace writes them so).
		n := parseWeChatNotice(h.name)
		if n == nil {
			st.skip("system notice")
			return nil, nil
		}
		return st.noticeEvents(n, h.at, "", func(r nameRef) chat.User { return p.user(r.name, r.self) }), nil
	}
	text := strings.Join(content, "\n")
	e := st.base(chat.EventMessage, h.at)
	e.Sender = p.user(h.name, false)
	e.Message = classify(st.text(text))
	e.ID = st.hashID(recordKey("m", unixKey(h.at), h.name, text))
	e.Message.ID = strings.TrimPrefix(e.ID, g.sum.ID+":")
	return []chat.Event{e}, nil
}

// user is the sender or member name: the export's account when it is "你"
// or the Self's name, else a name identity in the group.
func (p *wechatText) user(name string, self bool) chat.User {
	st := p.st
	if self || (st.opt.Self != nil && st.opt.Self.Name != "" && name == st.opt.Self.Name) {
		return st.self(name)
	}
	return st.byName(st.cur.sum.Key, name)
}

// clip shortens a line for an error message.
func clip(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
