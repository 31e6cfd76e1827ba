package importer

import (
	"encoding/xml"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// A notice is a system message about the group: members joining or
// leaving, the group renamed.
type notice struct {
	typ     chat.EventType
	members []nameRef // who joined or left
	actor   *nameRef  // who invited, shared the QR code, removed, renamed
	source  chat.JoinSource
	reason  chat.LeaveReason
	title   string // group_renamed
}

// nameRef is a person as a notice writes them.
type nameRef struct {
	name string
	id   string // a platform id, when the notice gives one
	self bool   // "你": the account that made the export
}

type noticePattern struct {
	re     *regexp.Regexp
	typ    chat.EventType
	source chat.JoinSource
	reason chat.LeaveReason
	// selfMember/selfActor: "你" is the member / the actor.
	selfMember, selfActor bool
}

// WeChat's notices, after “ and ” became ". a is the actor (inviter,
// sharer of the QR code, remover, renamer), b the members, t the title.
// Compiled on first use, as are QQ's: every command of the one binary
// initialises this package.
var wechatNotices = sync.OnceValue(func() []noticePattern {
	return []noticePattern{
		{re: regexp.MustCompile(`^你邀请"(?P<b>.+)"加入了群聊`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn, selfActor: true},
		{re: regexp.MustCompile(`^"(?P<a>[^"]+)"邀请你和"(?P<b>.+)"加入了群聊`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn, selfMember: true},
		{re: regexp.MustCompile(`^"(?P<a>[^"]+)"邀请你加入了群聊`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn, selfMember: true},
		{re: regexp.MustCompile(`^"(?P<a>[^"]+)"邀请"(?P<b>.+)"加入了群聊`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn},
		{re: regexp.MustCompile(`^你通过扫描"(?P<a>[^"]+)"分享的二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourceReferral, selfMember: true},
		{re: regexp.MustCompile(`^"(?P<b>[^"]+)"通过扫描你分享的二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourceReferral, selfActor: true},
		{re: regexp.MustCompile(`^"(?P<b>[^"]+)"通过扫描"(?P<a>[^"]+)"分享的二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourceReferral},
		{re: regexp.MustCompile(`^"(?P<b>[^"]+)"通过"(?P<a>[^"]+)"的邀请二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourceReferral},
		{re: regexp.MustCompile(`^你通过扫描二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourcePromo, selfMember: true},
		{re: regexp.MustCompile(`^"(?P<b>[^"]+)"通过扫描二维码加入群聊`), typ: chat.EventMemberJoined, source: chat.SourcePromo},
		{re: regexp.MustCompile(`^"(?P<b>.+)"加入了群聊`), typ: chat.EventMemberJoined},
		{re: regexp.MustCompile(`^你将"(?P<b>.+)"移出了群聊`), typ: chat.EventMemberLeft, reason: chat.LeftRemoved, selfActor: true},
		{re: regexp.MustCompile(`^"(?P<a>[^"]+)"将"(?P<b>.+)"移出了群聊`), typ: chat.EventMemberLeft, reason: chat.LeftRemoved},
		{re: regexp.MustCompile(`^你被"(?P<a>[^"]+)"移出群聊`), typ: chat.EventMemberLeft, reason: chat.LeftRemoved, selfMember: true},
		{re: regexp.MustCompile(`^"(?P<b>.+)"退出了群聊`), typ: chat.EventMemberLeft, reason: chat.LeftVoluntarily},
		{re: regexp.MustCompile(`^你修改群名为"(?P<t>.*)"\s*$`), typ: chat.EventGroupRenamed, selfActor: true},
		{re: regexp.MustCompile(`^"(?P<a>[^"]+)"修改群名为"(?P<t>.*)"\s*$`), typ: chat.EventGroupRenamed},
	}
})

// QQ's notices (the content of a 系统消息): names may carry "(QQ)".
var qqNotices = sync.OnceValue(func() []noticePattern {
	return []noticePattern{
		{re: regexp.MustCompile(`^(?P<a>.+?)邀请(?P<b>.+?)加入(?:了)?本群`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn},
		{re: regexp.MustCompile(`^(?P<b>.+?)(?:已经|已)?加入(?:了)?本群`), typ: chat.EventMemberJoined},
		{re: regexp.MustCompile(`^(?P<b>.+?)(?:已经|已)?被(?P<a>.+?)移出(?:了)?(?:本群|该群|群聊)`), typ: chat.EventMemberLeft, reason: chat.LeftRemoved},
		{re: regexp.MustCompile(`^(?P<b>.+?)(?:已经|已)?退出(?:了)?(?:本群|该群|群聊)`), typ: chat.EventMemberLeft, reason: chat.LeftVoluntarily},
	}
})

// qqNTNotices are QQ NT's grey tips about members, as QQ Chat Exporter
// writes them: names without quotes or numbers ("张三邀请李四加入了群聊").
var qqNTNotices = sync.OnceValue(func() []noticePattern {
	return []noticePattern{
		{re: regexp.MustCompile(`^你邀请(?P<b>.+)加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn, selfActor: true},
		{re: regexp.MustCompile(`^(?P<a>.+?)邀请你加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn, selfMember: true},
		{re: regexp.MustCompile(`^你通过(?P<a>.+)分享的二维码加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourceReferral, selfMember: true},
		{re: regexp.MustCompile(`^(?P<b>.+?)通过你的二维码加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourceReferral, selfActor: true},
		{re: regexp.MustCompile(`^(?P<b>.+?)通过(?P<a>.+)分享的二维码加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourceReferral},
		{re: regexp.MustCompile(`^(?P<a>.+?)邀请(?P<b>.+)加入了群聊$`), typ: chat.EventMemberJoined, source: chat.SourcePulledIn},
		{re: regexp.MustCompile(`^你加入了群聊$`), typ: chat.EventMemberJoined, selfMember: true},
		{re: regexp.MustCompile(`^(?P<b>.+)加入了群聊$`), typ: chat.EventMemberJoined},
		{re: regexp.MustCompile(`^(?P<b>.+?)(?:已经|已)?被(?P<a>.+?)移出(?:了)?(?:本群|该群|群聊)$`), typ: chat.EventMemberLeft, reason: chat.LeftRemoved},
		{re: regexp.MustCompile(`^(?P<b>.+?)(?:已经|已)?退出(?:了)?(?:本群|该群|群聊)$`), typ: chat.EventMemberLeft, reason: chat.LeftVoluntarily},
	}
})

// wechatQuotes turns WeChat's “ and ” into ".
var wechatQuotes = strings.NewReplacer("“", `"`, "”", `"`)

// parseWeChatNotice reads a WeChat system message: plain text or a
// sysmsgtemplate (whose members carry their wxids). nil when it is no
// notice qunzhu tracks (a recall, a pat, a red packet…).
func parseWeChatNotice(s string) *notice {
	ids := map[string]string(nil)
	if i := strings.Index(s, "<sysmsg"); i >= 0 {
		var ok bool
		if s, ids, ok = expandTemplate(s[i:]); !ok {
			return nil
		}
	}
	s = strings.TrimSpace(wechatQuotes.Replace(s))
	n := matchNotice(wechatNotices(), s, func(name string) nameRef { return nameRef{name: name, id: ids[name]} }, splitNames)
	return n
}

// parseQQNotice reads the content of a QQ system message.
func parseQQNotice(s string) *notice {
	return matchNotice(qqNotices(), strings.TrimSpace(s), qqRef, func(s string) []string {
		return strings.FieldsFunc(s, func(r rune) bool { return r == '、' || r == '，' || r == ',' })
	})
}

// qqRef reads "昵称(12345678)" or a plain name in a QQ notice.
func qqRef(s string) nameRef {
	s = strings.TrimSpace(s)
	if m := qqIDSuffix().FindStringSubmatch(s); m != nil {
		return nameRef{name: strings.TrimSpace(m[1]), id: m[2]}
	}
	return nameRef{name: s}
}

var qqIDSuffix = lazyRegexp(`^(.*?)\s*[(（](\d{5,12})[)）]$`)

func matchNotice(patterns []noticePattern, s string, ref func(string) nameRef, split func(string) []string) *notice {
	for _, p := range patterns {
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		n := &notice{typ: p.typ, source: p.source, reason: p.reason}
		for i, name := range p.re.SubexpNames() {
			switch name {
			case "a":
				a := ref(m[i])
				if a.name == "管理员" || a.name == "群主" {
					continue // QQ: removed by an unnamed admin
				}
				n.actor = &a
			case "b":
				for _, b := range split(m[i]) {
					n.members = append(n.members, ref(b))
				}
			case "t":
				n.title = strings.TrimSpace(m[i])
			}
		}
		if p.selfMember {
			n.members = append([]nameRef{{self: true}}, n.members...)
		}
		if p.selfActor {
			n.actor = &nameRef{self: true}
		}
		if n.typ != chat.EventGroupRenamed && len(n.members) == 0 {
			return nil
		}
		if n.typ == chat.EventGroupRenamed && n.title == "" {
			return nil
		}
		return n
	}
	return nil
}

// sysmsg is WeChat's templated system message.
type sysmsg struct {
	Type    string `xml:"type,attr"`
	Content struct {
		Template string `xml:"template"`
		Links    []struct {
			Name    string `xml:"name,attr"`
			Members []struct {
				Username string `xml:"username"`
				Nickname string `xml:"nickname"`
			} `xml:"memberlist>member"`
			Separator string `xml:"separator"`
		} `xml:"link_list>link"`
	} `xml:"sysmsgtemplate>content_template"`
}

// expandTemplate fills a sysmsgtemplate's $names$ with the members'
// nicknames and returns the text and each nickname's wxid.
func expandTemplate(s string) (string, map[string]string, bool) {
	var m sysmsg
	if err := xml.Unmarshal([]byte(s), &m); err != nil || m.Type != "sysmsgtemplate" || m.Content.Template == "" {
		return "", nil, false
	}
	ids := map[string]string{}
	text := m.Content.Template
	for _, l := range m.Content.Links {
		names := make([]string, 0, len(l.Members))
		for _, mem := range l.Members {
			name := strings.TrimSpace(mem.Nickname)
			if name == "" {
				name = mem.Username
			}
			names = append(names, name)
			if mem.Username != "" {
				ids[name] = mem.Username
			}
		}
		text = strings.ReplaceAll(text, "$"+l.Name+"$", strings.Join(names, "、"))
	}
	return text, ids, true
}

// noticeEvents maps a notice to events of the current group. who resolves
// the people it names; rid is the record's own id ("" for none: the ids
// are hashed from what the notice says).
func (st *state) noticeEvents(n *notice, at time.Time, rid string, who func(nameRef) chat.User) []chat.Event {
	var actor *chat.User
	actorKey := ""
	if n.actor != nil {
		u := who(*n.actor)
		actor, actorKey = &u, n.actor.name
	}
	if n.typ == chat.EventGroupRenamed {
		e := st.base(chat.EventGroupRenamed, at)
		e.GroupName, e.NewName, e.Actor = n.title, n.title, actor
		if rid != "" {
			e.ID = st.sourceID(rid)
		} else {
			e.ID = st.hashID(recordKey("renamed", unixKey(at), actorKey, n.title))
		}
		return []chat.Event{e}
	}
	out := make([]chat.Event, 0, len(n.members))
	for i, m := range n.members {
		e := st.base(n.typ, at)
		e.Sender = who(m)
		key := m.name
		if m.self {
			key = "\x00self"
		}
		switch {
		case rid != "":
			e.ID = st.sourceID(rid, string(n.typ), strconv.Itoa(i))
		default:
			e.ID = st.hashID(recordKey(string(n.typ), unixKey(at), key, actorKey))
		}
		if n.typ == chat.EventMemberJoined {
			e.Source, e.Inviter = n.source, actor
		} else {
			e.Reason, e.Actor = n.reason, actor
		}
		out = append(out, e)
	}
	return out
}
