package wecom

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The WeCom APIs qunzhu calls, each a thin method over Client.Post. Field
// names follow WeCom's documentation (客户联系 → 客户群管理, 客户群「加入群聊」
// 管理, 消息推送, 统计管理; 消息推送 → 发送应用消息; 群机器人).

// GroupChatStatus is a group's status in groupchat/list.
type GroupChatStatus int

// Group statuses: normal, or in one of the stages of being handed over
// after its owner left the company (离职继承).
const (
	GroupNormal       GroupChatStatus = 0
	GroupOwnerLeft    GroupChatStatus = 1
	GroupHandingOver  GroupChatStatus = 2
	GroupHandedOver   GroupChatStatus = 3
	maxGroupListLimit                 = 1000
)

// GroupChatRef is one entry of groupchat/list.
type GroupChatRef struct {
	ChatID string          `json:"chat_id"`
	Status GroupChatStatus `json:"status"`
}

// ListGroupChats lists every customer group whose owner is in the app's
// visible scope, following the cursor through all pages.
func (c *Client) ListGroupChats(ctx context.Context) ([]GroupChatRef, error) {
	var all []GroupChatRef
	cursor := ""
	for page := 0; ; page++ {
		var out struct {
			GroupChatList []GroupChatRef `json:"group_chat_list"`
			NextCursor    string         `json:"next_cursor"`
		}
		in := map[string]any{"status_filter": 0, "limit": maxGroupListLimit}
		if cursor != "" {
			in["cursor"] = cursor
		}
		if err := c.Post(ctx, "externalcontact/groupchat/list", in, &out); err != nil {
			return nil, err
		}
		all = append(all, out.GroupChatList...)
		if out.NextCursor == "" || out.NextCursor == cursor {
			return all, nil
		}
		if page > 100000 {
			return nil, fmt.Errorf("wecom externalcontact/groupchat/list: more than %d pages; the cursor does not advance", page)
		}
		cursor = out.NextCursor
	}
}

// Member types in a customer group.
const (
	MemberStaff    = 1 // 企业成员
	MemberCustomer = 2 // 外部联系人
)

// Join scenes of groupchat/get (the callback's scenes differ: 0 for any
// invitation by a member, 3 for a QR code).
const (
	JoinInvited    = 1 // 由群成员邀请入群（直接邀请）
	JoinByLink     = 2 // 由群成员邀请入群（通过邀请链接）
	JoinByQRCode   = 3 // 通过扫描群二维码入群
	sceneInvitedCB = 0 // the callback's JoinScene for 1 and 2
)

// UserRef names a WeCom member.
type UserRef struct {
	UserID string `json:"userid"`
}

// GroupMember is a member of a customer group.
type GroupMember struct {
	UserID        string   `json:"userid"`
	Type          int      `json:"type"`
	UnionID       string   `json:"unionid,omitempty"`
	JoinTime      int64    `json:"join_time"`
	JoinScene     int      `json:"join_scene"`
	Invitor       *UserRef `json:"invitor,omitempty"`
	GroupNickname string   `json:"group_nickname"`
	Name          string   `json:"name"`
	// State is the state of the join way (群活码) the member joined by,
	// when it had one: qunzhu puts the invite code there.
	State string `json:"state,omitempty"`
}

// DisplayName is the member's group nickname, else their name.
func (m GroupMember) DisplayName() string {
	if m.GroupNickname != "" {
		return m.GroupNickname
	}
	return m.Name
}

// GroupChat is a customer group as groupchat/get returns it.
type GroupChat struct {
	ChatID        string        `json:"chat_id"`
	Name          string        `json:"name"`
	Owner         string        `json:"owner"`
	CreateTime    int64         `json:"create_time"`
	Notice        string        `json:"notice"`
	MemberList    []GroupMember `json:"member_list"`
	AdminList     []UserRef     `json:"admin_list"`
	MemberVersion string        `json:"member_version"`
}

// GetGroupChat returns a customer group with its members' names.
func (c *Client) GetGroupChat(ctx context.Context, chatID string) (GroupChat, error) {
	var out struct {
		GroupChat GroupChat `json:"group_chat"`
	}
	if err := c.Post(ctx, "externalcontact/groupchat/get", map[string]any{"chat_id": chatID, "need_name": 1}, &out); err != nil {
		return GroupChat{}, err
	}
	if out.GroupChat.ChatID == "" {
		out.GroupChat.ChatID = chatID
	}
	return out.GroupChat, nil
}

// JoinWay is a customer-group join way (「加入群聊」, 群活码): a QR code
// that sends newcomers to the first of up to five groups with room and,
// with AutoCreateRoom, creates the next group (RoomBaseName + RoomBaseID,
// counting up) when all are full.
type JoinWay struct {
	ConfigID       string   `json:"config_id,omitempty"`
	Scene          int      `json:"scene"` // 1 mini-program plug-in, 2 QR code
	Remark         string   `json:"remark,omitempty"`
	AutoCreateRoom int      `json:"auto_create_room"`
	RoomBaseName   string   `json:"room_base_name,omitempty"`
	RoomBaseID     int      `json:"room_base_id,omitempty"`
	ChatIDList     []string `json:"chat_id_list"`
	State          string   `json:"state,omitempty"`
	QRCode         string   `json:"qr_code,omitempty"`
}

// Join way limits from WeCom's documentation.
const (
	JoinWayMaxGroups   = 5
	joinWayMaxRemark   = 30 // characters
	joinWayMaxBaseName = 40
	joinWayMaxState    = 30
	joinWayQRCode      = 2
)

// AddJoinWay creates a join way and returns its config id.
func (c *Client) AddJoinWay(ctx context.Context, w JoinWay) (string, error) {
	w.ConfigID, w.QRCode = "", ""
	var out struct {
		ConfigID string `json:"config_id"`
	}
	if err := c.Post(ctx, "externalcontact/groupchat/add_join_way", w, &out); err != nil {
		return "", err
	}
	return out.ConfigID, nil
}

// GetJoinWay returns a join way with its QR code.
func (c *Client) GetJoinWay(ctx context.Context, configID string) (JoinWay, error) {
	var out struct {
		JoinWay JoinWay `json:"join_way"`
	}
	err := c.Post(ctx, "externalcontact/groupchat/get_join_way", map[string]string{"config_id": configID}, &out)
	return out.JoinWay, err
}

// UpdateJoinWay replaces a join way's settings (every field is sent).
func (c *Client) UpdateJoinWay(ctx context.Context, w JoinWay) error {
	w.QRCode = ""
	return c.Post(ctx, "externalcontact/groupchat/update_join_way", w, nil)
}

// DeleteJoinWay deletes a join way; its QR code stops working.
func (c *Client) DeleteJoinWay(ctx context.Context, configID string) error {
	return c.Post(ctx, "externalcontact/groupchat/del_join_way", map[string]string{"config_id": configID}, nil)
}

// GroupMsg is a 群发 to customer groups (add_msg_template with chat_type
// group): WeCom hands it to the sender — the groups' owner — who must
// confirm it in their WeCom app before anything is sent.
type GroupMsg struct {
	Sender     string
	ChatIDs    []string
	Text       string
	LinkTitle  string // optional link attachment
	LinkURL    string
	LinkPicURL string
}

// AddGroupMsg creates the 群发 task and returns its msgid.
func (c *Client) AddGroupMsg(ctx context.Context, m GroupMsg) (string, error) {
	in := map[string]any{"chat_type": "group", "sender": m.Sender, "chat_id_list": m.ChatIDs, "allow_select": false}
	if m.Text != "" {
		in["text"] = map[string]string{"content": m.Text}
	}
	if m.LinkURL != "" {
		in["attachments"] = []any{map[string]any{"msgtype": "link", "link": map[string]string{"title": m.LinkTitle, "url": m.LinkURL, "picurl": m.LinkPicURL}}}
	}
	var out struct {
		MsgID    string   `json:"msgid"`
		FailList []string `json:"fail_list"`
	}
	if err := c.Post(ctx, "externalcontact/add_msg_template", in, &out); err != nil {
		return "", err
	}
	if out.MsgID == "" {
		return "", &APIError{Path: "externalcontact/add_msg_template", Code: -1, Message: "no msgid in the answer"}
	}
	return out.MsgID, nil
}

// Statuses of a staff member's 群发 task and of one group's delivery.
const (
	TaskNotSent   = 0 // the staff member has not confirmed it yet
	TaskSent      = 2 // confirmed and sent
	SendPending   = 0 // not sent to this group (yet)
	SendDone      = 1
	SendNotFriend = 2 // failed: the customer is not the sender's contact
	SendQuota     = 3 // failed: the customer or group received its quota of 群发 already
)

// GroupMsgTask is one staff member's task of a 群发.
type GroupMsgTask struct {
	UserID   string `json:"userid"`
	Status   int    `json:"status"`
	SendTime int64  `json:"send_time"`
}

// GroupMsgTasks lists the staff tasks of a 群发, following the cursor.
func (c *Client) GroupMsgTasks(ctx context.Context, msgID string) ([]GroupMsgTask, error) {
	var all []GroupMsgTask
	cursor := ""
	for {
		var out struct {
			NextCursor string         `json:"next_cursor"`
			TaskList   []GroupMsgTask `json:"task_list"`
		}
		if err := c.Post(ctx, "externalcontact/get_groupmsg_task", map[string]any{"msgid": msgID, "limit": 1000, "cursor": cursor}, &out); err != nil {
			return nil, err
		}
		all = append(all, out.TaskList...)
		if out.NextCursor == "" || out.NextCursor == cursor {
			return all, nil
		}
		cursor = out.NextCursor
	}
}

// GroupMsgResult is the delivery of a 群发 to one group (or customer).
type GroupMsgResult struct {
	ExternalUserID string `json:"external_userid,omitempty"`
	ChatID         string `json:"chat_id,omitempty"`
	UserID         string `json:"userid"`
	Status         int    `json:"status"`
	SendTime       int64  `json:"send_time"`
}

// GroupMsgResults lists a 群发's deliveries by one sender.
func (c *Client) GroupMsgResults(ctx context.Context, msgID, sender string) ([]GroupMsgResult, error) {
	var all []GroupMsgResult
	cursor := ""
	for {
		var out struct {
			NextCursor string           `json:"next_cursor"`
			SendList   []GroupMsgResult `json:"send_list"`
		}
		in := map[string]any{"msgid": msgID, "userid": sender, "limit": 1000, "cursor": cursor}
		if err := c.Post(ctx, "externalcontact/get_groupmsg_send_result", in, &out); err != nil {
			return nil, err
		}
		all = append(all, out.SendList...)
		if out.NextCursor == "" || out.NextCursor == cursor {
			return all, nil
		}
		cursor = out.NextCursor
	}
}

// CancelGroupMsg stops a 群发 its staff have not confirmed (停止企业群发).
func (c *Client) CancelGroupMsg(ctx context.Context, msgID string) error {
	return c.Post(ctx, "externalcontact/cancel_groupmsg_send", map[string]string{"msgid": msgID}, nil)
}

// SendAppText sends a text application message from agentID to members
// (their userids). WeCom drops a repeat of the same text to the same
// people within dedup (at most four hours), which makes a retried send
// harmless.
func (c *Client) SendAppText(ctx context.Context, agentID int64, users []string, text string, dedup time.Duration) error {
	in := map[string]any{"touser": strings.Join(users, "|"), "msgtype": "text", "agentid": agentID, "text": map[string]string{"content": text}}
	if dedup > 0 {
		in["enable_duplicate_check"] = 1
		in["duplicate_check_interval"] = int(min(dedup, 4*time.Hour) / time.Second)
	}
	var out struct {
		InvalidUser string `json:"invaliduser"`
	}
	if err := c.Post(ctx, "message/send", in, &out); err != nil {
		return err
	}
	if out.InvalidUser != "" {
		return &APIError{Path: "message/send", Code: 81013, Message: "invaliduser: " + out.InvalidUser}
	}
	return nil
}

// SendRobotText posts text through a group robot's webhook, mentioning
// the members (userids) given.
func (c *Client) SendRobotText(ctx context.Context, webhookURL, text string, mention []string) error {
	body := map[string]any{"content": text}
	if len(mention) > 0 {
		body["mentioned_list"] = mention
	}
	return c.PostURL(ctx, "webhook/send", webhookURL, map[string]any{"msgtype": "text", "text": body}, nil)
}

// GroupStats are WeCom's daily customer-group figures (groupchat/statistic).
type GroupStats struct {
	NewChatCnt   int `json:"new_chat_cnt"`
	ChatTotal    int `json:"chat_total"`
	ChatHasMsg   int `json:"chat_has_msg"`
	NewMemberCnt int `json:"new_member_cnt"`
	MemberTotal  int `json:"member_total"`
	MemberHasMsg int `json:"member_has_msg"`
	MsgTotal     int `json:"msg_total"`
}

// OwnerStats are one owner's figures for a day.
type OwnerStats struct {
	Owner string     `json:"owner"`
	Data  GroupStats `json:"data"`
}

// maxStatOwners is how many owners one groupchat/statistic call may name.
const maxStatOwners = 100

// StatsByOwner returns the figures of the groups of each owner named for
// the day starting at day (local midnight; WeCom rounds down to it).
func (c *Client) StatsByOwner(ctx context.Context, day time.Time, owners []string) ([]OwnerStats, error) {
	var all []OwnerStats
	for start := 0; start < len(owners); start += maxStatOwners {
		part := owners[start:min(start+maxStatOwners, len(owners))]
		offset := 0
		for {
			var out struct {
				Total      int          `json:"total"`
				NextOffset int          `json:"next_offset"`
				Items      []OwnerStats `json:"items"`
			}
			in := map[string]any{"day_begin_time": day.Unix(), "day_end_time": day.Unix(), "owner_filter": map[string]any{"userid_list": part},
				"order_by": 1, "order_asc": 0, "offset": offset, "limit": 1000}
			if err := c.Post(ctx, "externalcontact/groupchat/statistic", in, &out); err != nil {
				return nil, err
			}
			all = append(all, out.Items...)
			if len(out.Items) == 0 || out.NextOffset <= offset || out.NextOffset >= out.Total {
				break
			}
			offset = out.NextOffset
		}
	}
	return all, nil
}
