// Package wecomtest is a fake WeCom server for tests: the access token,
// customer groups (list, get), join ways, 群发 tasks and their results,
// daily statistics, application messages and the group robot, with state
// tests can read and change, and the signed, encrypted callbacks WeCom
// would post when that state changes.
package wecomtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat/wecom"
)

// TokenLife is how long the fake's access tokens last.
const TokenLife = 7200 * time.Second

// QRCapacity is how many members a group may have for a join way to send
// newcomers there (WeCom stops QR joins at 200 members).
const QRCapacity = wecom.QRJoinLimit

// Group is a customer group in the fake.
type Group struct {
	ChatID  string
	Name    string
	Owner   string
	Created int64
	Members []wecom.GroupMember
	Admins  []string
	Version int
}

// Msg is a 群发 in the fake.
type Msg struct {
	ID        string
	Sender    string
	ChatIDs   []string
	Text      string
	Confirmed bool
	Cancelled bool
	// Quota lists groups that refuse it: their quota was used up.
	Quota map[string]bool
}

// AppMessage is an application message sent.
type AppMessage struct {
	AgentID int64
	ToUser  string
	Text    string
}

// RobotMessage is a message posted through a group robot.
type RobotMessage struct {
	Key     string
	Text    string
	Mention []string
}

// Server is the fake. Create it with New; close it with Close.
type Server struct {
	CorpID string
	Secret string
	// RobotKey is the one robot webhook key the fake accepts.
	RobotKey string
	// Now is the fake's clock (time.Now when nil).
	Now func() time.Time

	URL string

	mu         sync.Mutex
	srv        *httptest.Server
	tokens     map[string]time.Time
	tokenCalls int
	seq        int
	groups     map[string]*Group
	order      []string
	joinWays   map[string]*wecom.JoinWay
	msgs       map[string]*Msg
	msgOrder   []string
	app        []AppMessage
	robot      []RobotMessage
	stats      map[string]wecom.GroupStats // owner + "/" + unix day
	calls      []string
	fail       map[string][]int
}

// New starts a fake for a corp and its app's secret.
func New(corpID, secret string) *Server {
	s := &Server{CorpID: corpID, Secret: secret, RobotKey: "robot-key-1", tokens: map[string]time.Time{}, groups: map[string]*Group{},
		joinWays: map[string]*wecom.JoinWay{}, msgs: map[string]*Msg{}, stats: map[string]wecom.GroupStats{}, fail: map[string][]int{}}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL
	return s
}

// Close stops the fake.
func (s *Server) Close() { s.srv.Close() }

func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// RobotURL is the webhook URL of the fake's robot.
func (s *Server) RobotURL() string { return s.URL + "/cgi-bin/webhook/send?key=" + s.RobotKey }

// Fail makes the next calls to path (e.g. "externalcontact/groupchat/get",
// or "gettoken") answer these errcodes, one call each.
func (s *Server) Fail(path string, codes ...int) {
	s.mu.Lock()
	s.fail[path] = append(s.fail[path], codes...)
	s.mu.Unlock()
}

// ExpireTokens makes every token issued so far expired (errcode 42001).
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	for t := range s.tokens {
		s.tokens[t] = time.Time{}
	}
	s.mu.Unlock()
}

// TokenCalls is how many tokens were issued.
func (s *Server) TokenCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenCalls
}

// Calls lists the API paths called, in order.
func (s *Server) Calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// AppMessages lists the application messages sent.
func (s *Server) AppMessages() []AppMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.app)
}

// RobotMessages lists the robot's messages.
func (s *Server) RobotMessages() []RobotMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.robot)
}

// Msgs lists the 群发 created, oldest first.
func (s *Server) Msgs() []Msg {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Msg, 0, len(s.msgOrder))
	for _, id := range s.msgOrder {
		out = append(out, *s.msgs[id])
	}
	return out
}

// Confirm is the sender confirming a 群发 in their WeCom app.
func (s *Server) Confirm(msgID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[msgID]
	if ok {
		m.Confirmed = true
	}
	return ok
}

// QuotaUsed makes a group refuse 群发: it received its quota already.
func (s *Server) QuotaUsed(msgID, chatID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m, ok := s.msgs[msgID]; ok {
		if m.Quota == nil {
			m.Quota = map[string]bool{}
		}
		m.Quota[chatID] = true
	}
}

// JoinWays lists the join ways by config id.
func (s *Server) JoinWays() map[string]wecom.JoinWay {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]wecom.JoinWay{}
	for k, v := range s.joinWays {
		out[k] = *v
	}
	return out
}

// AddJoinWay creates a join way as staff would in the WeCom admin and
// returns its config id.
func (s *Server) AddJoinWay(w wecom.JoinWay) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seq++
	w.ConfigID = fmt.Sprintf("cfg%04d", s.seq)
	w.QRCode = "https://wwcdn.example/qr/" + w.ConfigID + ".png"
	s.joinWays[w.ConfigID] = &w
	return w.ConfigID
}

// SetStats sets an owner's figures for the day starting at day.
func (s *Server) SetStats(owner string, day time.Time, st wecom.GroupStats) {
	s.mu.Lock()
	s.stats[owner+"/"+strconv.FormatInt(day.Unix(), 10)] = st
	s.mu.Unlock()
}

// Group returns a copy of a group.
func (s *Server) Group(chatID string) (Group, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return Group{}, false
	}
	c := *g
	c.Members = slices.Clone(g.Members)
	return c, true
}

// Groups lists the chat ids in creation order.
func (s *Server) Groups() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// AddGroup creates a group with its members (silently: no callback).
func (s *Server) AddGroup(g Group) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addGroup(g)
}

func (s *Server) addGroup(g Group) *Group {
	if g.Created == 0 {
		g.Created = s.now().Unix()
	}
	c := g
	c.Members = slices.Clone(g.Members)
	s.groups[g.ChatID] = &c
	s.order = append(s.order, g.ChatID)
	return &c
}

// Notification is a callback to post (its XML, before encryption).
type Notification string

func note(corp, chatID, change, detail string, at time.Time, extra string) Notification {
	return Notification(fmt.Sprintf(`<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[change_external_chat]]></Event><ChatId><![CDATA[%s]]></ChatId><ChangeType><![CDATA[%s]]></ChangeType>%s%s</xml>`,
		corp, at.Unix(), chatID, change, detail, extra))
}

func memList(users []string) string {
	var b strings.Builder
	b.WriteString("<MemChangeList>")
	for _, u := range users {
		fmt.Fprintf(&b, "<Item><![CDATA[%s]]></Item>", u)
	}
	b.WriteString("</MemChangeList>")
	return b.String()
}

// CreateGroup creates a group and returns the create callback.
func (s *Server) CreateGroup(g Group) Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addGroup(g)
	return note(s.CorpID, g.ChatID, wecom.ChangeCreate, "", s.now(), "")
}

// Join adds a member (join time now when zero) and returns the add_member
// callback, with the callback's scene (0 invited, 3 QR code).
func (s *Server) Join(chatID string, m wecom.GroupMember) (Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return "", fmt.Errorf("no group %s", chatID)
	}
	return s.join(g, m), nil
}

func (s *Server) join(g *Group, m wecom.GroupMember) Notification {
	if m.JoinTime == 0 {
		m.JoinTime = s.now().Unix()
	}
	if m.Type == 0 {
		m.Type = wecom.MemberCustomer
	}
	g.Members = append(g.Members, m)
	g.Version++
	scene := 0
	if m.JoinScene == wecom.JoinByQRCode {
		scene = 3
	}
	return note(s.CorpID, g.ChatID, wecom.ChangeUpdate, "<UpdateDetail><![CDATA[add_member]]></UpdateDetail>", s.now(),
		fmt.Sprintf("<JoinScene>%d</JoinScene><MemChangeCnt>1</MemChangeCnt>%s<CurMemVer>%d</CurMemVer>", scene, memList([]string{m.UserID}), g.Version))
}

// Leave removes a member and returns the del_member callback (quit scene
// 0 left, 1 removed).
func (s *Server) Leave(chatID, userID string, quitScene int) (Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return "", fmt.Errorf("no group %s", chatID)
	}
	i := slices.IndexFunc(g.Members, func(m wecom.GroupMember) bool { return m.UserID == userID })
	if i < 0 {
		return "", fmt.Errorf("%s is not in %s", userID, chatID)
	}
	g.Members = slices.Delete(g.Members, i, i+1)
	g.Version++
	return note(s.CorpID, chatID, wecom.ChangeUpdate, "<UpdateDetail><![CDATA[del_member]]></UpdateDetail>", s.now(),
		fmt.Sprintf("<QuitScene>%d</QuitScene><MemChangeCnt>1</MemChangeCnt>%s", quitScene, memList([]string{userID}))), nil
}

// Rename renames a group and returns the change_name callback.
func (s *Server) Rename(chatID, name string) (Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return "", fmt.Errorf("no group %s", chatID)
	}
	g.Name = name
	return note(s.CorpID, chatID, wecom.ChangeUpdate, "<UpdateDetail><![CDATA[change_name]]></UpdateDetail>", s.now(), ""), nil
}

// ChangeOwner hands a group to another owner and returns the callback.
func (s *Server) ChangeOwner(chatID, owner string) (Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return "", fmt.Errorf("no group %s", chatID)
	}
	g.Owner = owner
	return note(s.CorpID, chatID, wecom.ChangeUpdate, "<UpdateDetail><![CDATA[change_owner]]></UpdateDetail>", s.now(), ""), nil
}

// SetAdmins replaces a group's admins (群管理员). WeCom posts no callback
// for it: qunzhu sees it on its next read of the group.
func (s *Server) SetAdmins(chatID string, admins ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.groups[chatID]
	if !ok {
		return fmt.Errorf("no group %s", chatID)
	}
	g.Admins = slices.Clone(admins)
	return nil
}

// Dismiss dismisses a group and returns the dismiss callback.
func (s *Server) Dismiss(chatID string) Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.groups, chatID)
	s.order = slices.DeleteFunc(s.order, func(c string) bool { return c == chatID })
	return note(s.CorpID, chatID, wecom.ChangeDismiss, "", s.now(), "")
}

// Scan is a newcomer scanning a join way's QR code, as WeCom handles it:
// they join the first of its groups with fewer than QRCapacity members;
// when all are full and the join way creates rooms, WeCom creates the next
// group (room_base_name + room_base_id, counting up), owned by the first
// group's owner, and adds it to the join way. It returns the group joined
// and the callbacks, in order.
func (s *Server) Scan(configID string, m wecom.GroupMember) (string, []Notification, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w, ok := s.joinWays[configID]
	if !ok {
		return "", nil, fmt.Errorf("no join way %s", configID)
	}
	m.JoinScene, m.State = wecom.JoinByQRCode, w.State
	var notes []Notification
	for _, id := range w.ChatIDList {
		if g, ok := s.groups[id]; ok && len(g.Members) < QRCapacity {
			return id, append(notes, s.join(g, m)), nil
		}
	}
	if w.AutoCreateRoom != 1 || len(w.ChatIDList) == 0 {
		return "", nil, fmt.Errorf("join way %s: every group is full", configID)
	}
	first := s.groups[w.ChatIDList[0]]
	if first == nil {
		return "", nil, fmt.Errorf("join way %s: its first group is gone", configID)
	}
	s.seq++
	g := s.addGroup(Group{ChatID: fmt.Sprintf("wrAUTO%04d", s.seq), Name: w.RoomBaseName + strconv.Itoa(w.RoomBaseID), Owner: first.Owner,
		Members: []wecom.GroupMember{{UserID: first.Owner, Type: wecom.MemberStaff, JoinTime: s.now().Unix(), JoinScene: wecom.JoinInvited}}})
	w.RoomBaseID++
	if len(w.ChatIDList) < wecom.JoinWayMaxGroups {
		w.ChatIDList = append(w.ChatIDList, g.ChatID)
	} else {
		w.ChatIDList = append(w.ChatIDList[1:], g.ChatID)
	}
	notes = append(notes, note(s.CorpID, g.ChatID, wecom.ChangeCreate, "", s.now(), ""))
	return g.ChatID, append(notes, s.join(g, m)), nil
}

// ServeHTTP answers the WeCom API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/cgi-bin/")
	answer := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	fail := func(code int, msg string) { answer(map[string]any{"errcode": code, "errmsg": msg}) }
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, path)
	if q := s.fail[path]; len(q) > 0 {
		s.fail[path] = q[1:]
		fail(q[0], "injected by the test")
		return
	}
	if path == "gettoken" {
		if r.URL.Query().Get("corpid") != s.CorpID {
			fail(40013, "invalid corpid")
			return
		}
		if r.URL.Query().Get("corpsecret") != s.Secret {
			fail(40001, "invalid credential")
			return
		}
		s.tokenCalls++
		tok := fmt.Sprintf("token-%d", s.tokenCalls)
		s.tokens[tok] = s.now().Add(TokenLife)
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "access_token": tok, "expires_in": int(TokenLife / time.Second)})
		return
	}
	var in map[string]json.RawMessage
	body, _ := io.ReadAll(r.Body)
	if r.Method != http.MethodPost || json.Unmarshal(body, &in) != nil {
		fail(40058, "want a POST with a JSON object")
		return
	}
	if path == "webhook/send" {
		s.robotSend(r.URL.Query(), in, answer, fail)
		return
	}
	tok := r.URL.Query().Get("access_token")
	exp, ok := s.tokens[tok]
	switch {
	case tok == "":
		fail(41001, "access_token missing")
		return
	case !ok:
		fail(40014, "invalid access_token")
		return
	case !s.now().Before(exp):
		fail(42001, "access_token expired")
		return
	}
	str := func(k string) string {
		var v string
		json.Unmarshal(in[k], &v)
		return v
	}
	switch path {
	case "externalcontact/groupchat/list":
		s.list(in, answer)
	case "externalcontact/groupchat/get":
		g, ok := s.groups[str("chat_id")]
		if !ok {
			fail(49008, "chat dismissed or not found")
			return
		}
		admins := []map[string]string{}
		for _, a := range g.Admins {
			admins = append(admins, map[string]string{"userid": a})
		}
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "group_chat": map[string]any{"chat_id": g.ChatID, "name": g.Name, "owner": g.Owner,
			"create_time": g.Created, "member_list": g.Members, "admin_list": admins, "member_version": strconv.Itoa(g.Version)}})
	case "externalcontact/groupchat/add_join_way", "externalcontact/groupchat/update_join_way":
		var jw wecom.JoinWay
		json.Unmarshal(body, &jw)
		if len(jw.ChatIDList) == 0 || len(jw.ChatIDList) > wecom.JoinWayMaxGroups || (jw.Scene != 1 && jw.Scene != 2) {
			fail(40058, "chat_id_list must name 1 to 5 groups; scene 1 or 2")
			return
		}
		for _, c := range jw.ChatIDList {
			if _, ok := s.groups[c]; !ok {
				fail(40050, "chat_id not found: "+c)
				return
			}
		}
		if path == "externalcontact/groupchat/add_join_way" {
			s.seq++
			jw.ConfigID = fmt.Sprintf("cfg%04d", s.seq)
			jw.QRCode = "https://wwcdn.example/qr/" + jw.ConfigID + ".png"
			s.joinWays[jw.ConfigID] = &jw
			answer(map[string]any{"errcode": 0, "errmsg": "ok", "config_id": jw.ConfigID})
			return
		}
		old, ok := s.joinWays[jw.ConfigID]
		if !ok {
			fail(41044, "invalid config_id")
			return
		}
		jw.QRCode = old.QRCode
		s.joinWays[jw.ConfigID] = &jw
		fail(0, "ok")
	case "externalcontact/groupchat/get_join_way":
		jw, ok := s.joinWays[str("config_id")]
		if !ok {
			fail(41044, "invalid config_id")
			return
		}
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "join_way": jw})
	case "externalcontact/groupchat/del_join_way":
		if _, ok := s.joinWays[str("config_id")]; !ok {
			fail(41044, "invalid config_id")
			return
		}
		delete(s.joinWays, str("config_id"))
		fail(0, "ok")
	case "externalcontact/add_msg_template":
		s.addMsg(in, answer, fail)
	case "externalcontact/get_groupmsg_task":
		m, ok := s.msgs[str("msgid")]
		if !ok {
			fail(41047, "invalid msgid")
			return
		}
		st := wecom.TaskNotSent
		if m.Confirmed {
			st = wecom.TaskSent
		}
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "task_list": []wecom.GroupMsgTask{{UserID: m.Sender, Status: st}}})
	case "externalcontact/get_groupmsg_send_result":
		m, ok := s.msgs[str("msgid")]
		if !ok {
			fail(41047, "invalid msgid")
			return
		}
		var list []wecom.GroupMsgResult
		if str("userid") == m.Sender {
			for _, c := range m.ChatIDs {
				st := wecom.SendPending
				switch {
				case m.Quota[c]:
					st = wecom.SendQuota
				case m.Confirmed:
					st = wecom.SendDone
				}
				list = append(list, wecom.GroupMsgResult{ChatID: c, UserID: m.Sender, Status: st})
			}
		}
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "send_list": list})
	case "externalcontact/cancel_groupmsg_send":
		m, ok := s.msgs[str("msgid")]
		if !ok {
			fail(41047, "invalid msgid")
			return
		}
		m.Cancelled = true
		fail(0, "ok")
	case "externalcontact/groupchat/statistic":
		s.statistic(in, answer)
	case "message/send":
		var msg struct {
			ToUser  string `json:"touser"`
			MsgType string `json:"msgtype"`
			AgentID int64  `json:"agentid"`
			Text    struct {
				Content string `json:"content"`
			} `json:"text"`
		}
		json.Unmarshal(body, &msg)
		if msg.MsgType != "text" || msg.Text.Content == "" {
			fail(44004, "empty content")
			return
		}
		if msg.ToUser == "" {
			fail(82001, "no receiver")
			return
		}
		s.app = append(s.app, AppMessage{AgentID: msg.AgentID, ToUser: msg.ToUser, Text: msg.Text.Content})
		answer(map[string]any{"errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": fmt.Sprintf("app%d", len(s.app))})
	default:
		fail(48002, "api forbidden (the fake does not have it)")
	}
}

func (s *Server) list(in map[string]json.RawMessage, answer func(any)) {
	var limit int
	var cursor string
	json.Unmarshal(in["limit"], &limit)
	json.Unmarshal(in["cursor"], &cursor)
	if limit <= 0 || limit > 1000 {
		limit = 1000
	}
	start, _ := strconv.Atoi(cursor)
	end := min(start+limit, len(s.order))
	var list []wecom.GroupChatRef
	for _, id := range s.order[min(start, end):end] {
		list = append(list, wecom.GroupChatRef{ChatID: id})
	}
	next := ""
	if end < len(s.order) {
		next = strconv.Itoa(end)
	}
	answer(map[string]any{"errcode": 0, "errmsg": "ok", "group_chat_list": list, "next_cursor": next})
}

func (s *Server) addMsg(in map[string]json.RawMessage, answer func(any), fail func(int, string)) {
	var req struct {
		ChatType   string   `json:"chat_type"`
		Sender     string   `json:"sender"`
		ChatIDList []string `json:"chat_id_list"`
		Text       struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &req)
	if req.ChatType != "group" || req.Sender == "" {
		fail(40058, "the fake takes only chat_type group with a sender")
		return
	}
	if req.Text.Content == "" {
		fail(44004, "empty content")
		return
	}
	for _, c := range req.ChatIDList {
		g, ok := s.groups[c]
		if !ok {
			fail(40050, "chat_id not found: "+c)
			return
		}
		if g.Owner != req.Sender {
			fail(41048, "the sender does not own "+c)
			return
		}
	}
	s.seq++
	m := &Msg{ID: fmt.Sprintf("msgGROUP%04d", s.seq), Sender: req.Sender, ChatIDs: req.ChatIDList, Text: req.Text.Content}
	s.msgs[m.ID] = m
	s.msgOrder = append(s.msgOrder, m.ID)
	answer(map[string]any{"errcode": 0, "errmsg": "ok", "fail_list": []string{}, "msgid": m.ID})
}

func (s *Server) statistic(in map[string]json.RawMessage, answer func(any)) {
	var req struct {
		DayBegin    int64 `json:"day_begin_time"`
		OwnerFilter struct {
			UserIDList []string `json:"userid_list"`
		} `json:"owner_filter"`
	}
	b, _ := json.Marshal(in)
	json.Unmarshal(b, &req)
	var items []wecom.OwnerStats
	for _, o := range req.OwnerFilter.UserIDList {
		if st, ok := s.stats[o+"/"+strconv.FormatInt(req.DayBegin, 10)]; ok {
			items = append(items, wecom.OwnerStats{Owner: o, Data: st})
		}
	}
	answer(map[string]any{"errcode": 0, "errmsg": "ok", "total": len(items), "next_offset": len(items), "items": items})
}

func (s *Server) robotSend(q url.Values, in map[string]json.RawMessage, answer func(any), fail func(int, string)) {
	if q.Get("key") != s.RobotKey {
		fail(93000, "invalid webhook url")
		return
	}
	var text struct {
		Content string   `json:"content"`
		Mention []string `json:"mentioned_list"`
	}
	var typ string
	json.Unmarshal(in["msgtype"], &typ)
	json.Unmarshal(in["text"], &text)
	if typ != "text" || text.Content == "" {
		fail(44004, "empty content")
		return
	}
	s.robot = append(s.robot, RobotMessage{Key: q.Get("key"), Text: text.Content, Mention: text.Mention})
	answer(map[string]any{"errcode": 0, "errmsg": "ok"})
}

// Callbacks posts signed, encrypted callbacks to a connection's URL as
// WeCom does.
type Callbacks struct {
	URL     string
	Crypter *wecom.Crypter
	Client  *http.Client
	seq     int
}

// NewCallbacks returns a poster for the app's callback token and
// EncodingAESKey.
func NewCallbacks(callbackURL, token, aesKey, corpID string) (*Callbacks, error) {
	c, err := wecom.NewCrypter(token, aesKey, corpID)
	if err != nil {
		return nil, err
	}
	return &Callbacks{URL: callbackURL, Crypter: c, Client: http.DefaultClient}, nil
}

func (c *Callbacks) params() (ts, nonce string) {
	c.seq++
	return strconv.FormatInt(time.Now().Unix(), 10), fmt.Sprintf("%d%06d", time.Now().UnixNano()%1e6, c.seq)
}

// Post encrypts and signs n and posts it; it returns the status and body.
func (c *Callbacks) Post(n Notification) (int, string, error) {
	ts, nonce := c.params()
	enc, sig, err := c.Crypter.Seal([]byte(n), ts, nonce)
	if err != nil {
		return 0, "", err
	}
	to := ""
	if i := strings.Index(string(n), "<ToUserName><![CDATA["); i >= 0 {
		rest := string(n)[i+len("<ToUserName><![CDATA["):]
		to, _, _ = strings.Cut(rest, "]]>")
	}
	body := fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt><AgentID><![CDATA[1000002]]></AgentID></xml>", to, enc)
	return c.PostRaw(sig, ts, nonce, body)
}

// PostRaw posts a body with the given query, for tests of refusals.
func (c *Callbacks) PostRaw(sig, ts, nonce, body string) (int, string, error) {
	q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}}
	resp, err := c.Client.Post(c.URL+"?"+q.Encode(), "text/xml", bytes.NewBufferString(body))
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}

// VerifyURL is WeCom's check of the callback URL: it returns the status
// and the body, which must be echo.
func (c *Callbacks) VerifyURL(echo string) (int, string, error) {
	ts, nonce := c.params()
	enc, sig, err := c.Crypter.Seal([]byte(echo), ts, nonce)
	if err != nil {
		return 0, "", err
	}
	q := url.Values{"msg_signature": {sig}, "timestamp": {ts}, "nonce": {nonce}, "echostr": {enc}}
	resp, err := c.Client.Get(c.URL + "?" + q.Encode())
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), nil
}
