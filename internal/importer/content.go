package importer

import (
	"regexp"
	"strings"
	"sync"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// placeholders are the words WeChat and QQ text exports write for what
// is not text.
var placeholders = []struct {
	word string
	kind chat.MessageKind
}{
	{"[图片]", chat.KindImage}, {"[闪照]", chat.KindImage},
	{"[语音]", chat.KindVoice},
	{"[视频]", chat.KindVideo},
	{"[表情包]", chat.KindSticker}, {"[动画表情]", chat.KindSticker}, {"[表情]", chat.KindSticker},
	{"[文件]", chat.KindFile},
	{"[链接]", chat.KindLink}, {"[音乐分享]", chat.KindLink}, {"[视频号]", chat.KindLink},
	{"[位置]", chat.KindCard}, {"[名片]", chat.KindCard},
	{"[小程序]", chat.KindMiniProgram},
	{"[聊天记录]", chat.KindForward},
	{"[红包]", chat.KindRedPacket}, {"[微信红包]", chat.KindRedPacket}, {"[转账]", chat.KindRedPacket}, {"[QQ红包]", chat.KindRedPacket},
}

// lazyRegexp compiles expr on first use: every command of the one
// binary initialises this package, and compiling its expressions at
// start-up cost each run (qunzhu check included) about a millisecond.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

var urlPattern = lazyRegexp(`https?://[^\s<>"'，。、）)\]]+`)

// classify reads a text export's message content: a leading placeholder
// gives the kind (the rest is its caption or title), a link makes a text a
// link message, "@所有人" mentions everyone.
func classify(content string) *chat.Message {
	m := &chat.Message{Kind: chat.KindText, Text: content}
	rest := content
	for {
		found := false
		for _, p := range placeholders {
			if strings.HasPrefix(rest, p.word) && (m.Kind == chat.KindText || m.Kind == p.kind) {
				m.Kind, rest, found = p.kind, rest[len(p.word):], true
				break
			}
		}
		if !found {
			break
		}
	}
	if m.Kind != chat.KindText {
		m.Text = strings.TrimSpace(strings.TrimPrefix(rest, ":"))
		// MemoTrace writes a shared link as "[链接]:title:…" with
		// description, url and name lines: the title is the text.
		if title, ok := strings.CutPrefix(m.Text, "title:"); ok {
			m.Text, _, _ = strings.Cut(title, "\n")
			m.Text = strings.TrimSpace(m.Text)
		}
	}
	m.URL = urlPattern().FindString(content)
	if m.Kind == chat.KindText && m.URL != "" {
		m.Kind = chat.KindLink
	}
	for _, w := range []string{"@所有人", "@全体成员", "@All", "@all"} {
		if strings.Contains(content, w) {
			m.MentionAll = true
			break
		}
	}
	return m
}

// splitNames splits a notice's list of names: "张三、李四" or "张三", "李四".
func splitNames(s string) []string {
	s = strings.Trim(s, "\"“”")
	var out []string
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '、' || r == '"' || r == '“' || r == '”' }) {
		if p := strings.TrimSpace(part); p != "" && p != "," && p != "，" {
			out = append(out, p)
		}
	}
	return out
}
