package importer

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// qqBanner opens the QQ message manager's text export.
const qqBanner = "消息记录（此消息记录为文本格式，不支持重新导入）"

var (
	// "2021-03-04 12:01:22 昵称(12345678)", "2019-09-23 8:43:38 PM 昵称<a@b.c>".
	qqHeader = lazyRegexp(`^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AaPp][Mm]))? (.*)$`)
	// The sender: an optional role tag (【管理员】), a name, then the QQ
	// number or an e-mail address.
	qqSender = lazyRegexp(`^(?:【[^】]*】)*(.*?)(?:\((\d{4,12})\)|<([^<>]+)>)$`)
	qqMailID = lazyRegexp(`^(\d{5,12})@qq\.com$`)
)

// qqHeaderLine reports whether l is a QQ message header (Detect).
func qqHeaderLine(l string) bool {
	m := qqHeader().FindStringSubmatch(l)
	return m != nil && qqSender().MatchString(m[8])
}

// qqText reads the QQ message manager's text export (FormatQQText).
type qqText struct {
	st      *state
	lr      *lineReader
	section string // the current 消息分组
	opened  bool
}

func newQQText(st *state, br *bufio.Reader) parser {
	return &qqText{st: st, lr: newLineReader(decodeText(br))}
}

type qqHead struct {
	line          int
	m             []string // qqHeader's submatches
	name, id, eml string
}

// head reads line as a message header; ok is false for other lines.
func (p *qqText) head(line string) (h qqHead, ok bool) {
	m := qqHeader().FindStringSubmatch(line)
	if m == nil {
		return h, false
	}
	s := qqSender().FindStringSubmatch(m[8])
	if s == nil {
		return h, false
	}
	return qqHead{line: p.lr.n, m: m, name: strings.TrimSpace(s[1]), id: s[2], eml: s[3]}, true
}

// structural reports the lines that frame conversations.
func structural(line string) bool {
	return strings.HasPrefix(line, qqBanner) || strings.HasPrefix(line, "消息分组:") || strings.HasPrefix(line, "消息对象:") ||
		(len(line) >= 16 && strings.Trim(line, "=") == "")
}

func (p *qqText) read() ([]chat.Event, error) {
	st := p.st
	var h qqHead
	for {
		line, err := p.lr.next()
		if err != nil {
			return nil, err
		}
		switch {
		case strings.TrimSpace(line) == "", strings.HasPrefix(line, qqBanner), len(line) >= 16 && strings.Trim(line, "=") == "":
			continue
		case strings.HasPrefix(line, "消息分组:"):
			p.section = strings.TrimSpace(strings.TrimPrefix(line, "消息分组:"))
			continue
		case strings.HasPrefix(line, "消息对象:"):
			name := strings.TrimSpace(strings.TrimPrefix(line, "消息对象:"))
			if name == "" {
				return nil, lineError(p.lr.n, "消息对象 without a name")
			}
			reason := ""
			if p.section != "" && !strings.Contains(p.section, "群") && !strings.Contains(p.section, "讨论组") {
				reason = "personal chat (消息分组 " + p.section + ")"
			}
			if _, err := st.openGroup(name, name, p.section, "", reason); err != nil {
				return nil, err
			}
			p.opened = true
			continue
		}
		var ok bool
		if h, ok = p.head(line); !ok {
			return nil, lineError(p.lr.n, "want a message header like \"2021-03-04 12:01:22 昵称(12345678)\", got %q", clip(line))
		}
		break
	}
	if !p.opened {
		// An export of one conversation without its frame.
		if _, err := st.openGroup("", st.opt.GroupName, "", "", ""); err != nil {
			return nil, err
		}
		p.opened = true
	}
	content, err := p.lr.body(func(line string) (bool, error) {
		_, ok := p.head(line)
		return ok || structural(line), nil
	})
	if err != nil {
		return nil, err
	}
	where := fmt.Sprintf("line %d", h.line)
	if err := st.needLocation(where, h.line); err != nil {
		return nil, err
	}
	m := h.m
	at, err := stamp([]string{m[1], m[2], m[3], "", m[4], m[5], m[6], m[7]}, st.opt.Location)
	if err != nil {
		return nil, lineError(h.line, "%v", err)
	}
	g := st.cur
	if g.sum.Skipped != "" {
		st.skip("group not imported")
		return nil, nil
	}
	text := strings.Join(content, "\n")
	scope := g.sum.Key
	if strings.HasPrefix(h.name, "系统消息") || h.id == "10000" || h.id == "1000000" {
		n := parseQQNotice(text)
		if n == nil {
			st.skip("system notice")
			return nil, nil
		}
		return st.noticeEvents(n, at, "", func(r nameRef) chat.User {
			if r.id != "" {
				return st.platformUser(scope, r.id, r.name)
			}
			return st.byName(scope, r.name)
		}), nil
	}
	if len(content) == 0 {
		st.skip("message without content")
		return nil, nil
	}
	e := st.base(chat.EventMessage, at)
	senderKey := h.id
	switch {
	case h.id != "":
		e.Sender = st.platformUser(scope, h.id, h.name)
	case qqMailID().MatchString(h.eml):
		id := qqMailID().FindStringSubmatch(h.eml)[1]
		e.Sender, senderKey = st.platformUser(scope, id, h.name), id
	case h.eml != "":
		e.Sender, senderKey = emailUser(h.eml, h.name), "<"+strings.ToLower(h.eml)+">"
	}
	if e.Sender.Name == "" {
		e.Sender.Name = h.name
	}
	e.Message = classify(st.text(text))
	e.ID = st.hashID(recordKey("m", unixKey(at), senderKey, text))
	e.Message.ID = strings.TrimPrefix(e.ID, g.sum.ID+":")
	return []chat.Event{e}, nil
}
