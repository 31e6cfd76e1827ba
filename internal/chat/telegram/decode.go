package telegram

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Update is one decoded Telegram update.
type Update struct {
	UpdateID int64  `json:"update_id"`
	Kind     string `json:"kind"` // message, edited_message, chat_member, my_chat_member, other
	// Events are the qunzhu events the update maps to (none for updates
	// qunzhu does not track: private chats, channel posts, pins…).
	Events []chat.Event `json:"events,omitempty"`
	// Ignored says why the update maps to no event, for logs.
	Ignored string `json:"ignored,omitempty"`
	// Malformed is set when the update has an id but its fields do not
	// have the Bot API's types: it is skipped, not retried.
	Malformed bool `json:"malformed,omitempty"`
	// Callback is the id of a button press (callback_query) to answer
	// once its event is stored, so the member's app stops waiting.
	Callback string `json:"callback,omitempty"`
}

// ErrNotUpdate is returned by DecodeUpdate for a body that is not a
// Telegram update (not a JSON object with an update_id).
var ErrNotUpdate = errors.New("not a telegram update")

// DecodeUpdate decodes one update as Telegram sends it (a webhook body or
// an element of getUpdates' result) and maps it to qunzhu events. It
// learns usernames from the update, so a later "@name" mention can be
// resolved to a user id.
func (a *Adapter) DecodeUpdate(raw []byte) (Update, error) {
	var head struct {
		UpdateID *int64 `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil || head.UpdateID == nil {
		if err == nil {
			err = errors.New("no update_id")
		}
		return Update{}, fmt.Errorf("%w: %v", ErrNotUpdate, err)
	}
	out := Update{UpdateID: *head.UpdateID}
	var u tgUpdate
	if err := json.Unmarshal(raw, &u); err != nil {
		out.Kind, out.Malformed, out.Ignored = "other", true, "cannot decode: "+err.Error()
		return out, nil
	}
	out.Kind, out.Events, out.Ignored = a.mapUpdate(&u)
	if u.CallbackQuery != nil {
		out.Callback = u.CallbackQuery.ID
	}
	return out, nil
}

func (a *Adapter) mapUpdate(u *tgUpdate) (kind string, evs []chat.Event, ignored string) {
	switch {
	case u.Message != nil:
		evs, ignored = a.mapMessage(u.Message, false)
		return "message", evs, ignored
	case u.EditedMessage != nil:
		if a.cfg.Edits != EditsRecheck {
			a.learnMessage(u.EditedMessage)
			return "edited_message", nil, "edited message (edited_messages = ignore)"
		}
		evs, ignored = a.mapMessage(u.EditedMessage, true)
		return "edited_message", evs, ignored
	case u.ChatMember != nil:
		evs, ignored = a.mapChatMember(u.ChatMember)
		return "chat_member", evs, ignored
	case u.MyChatMember != nil:
		c := u.MyChatMember
		return "my_chat_member", nil, fmt.Sprintf("the bot's own membership in %d (%s) went %s → %s", c.Chat.ID, c.Chat.Title, status(c.OldChatMember), status(c.NewChatMember))
	case u.CallbackQuery != nil:
		evs, ignored = a.mapCallback(u.CallbackQuery)
		return "callback_query", evs, ignored
	case u.ChannelPost != nil, u.EditedChannelPost != nil:
		return "other", nil, "channel post"
	}
	return "other", nil, "update type not tracked"
}

func status(m *tgChatMember) string {
	if m == nil || m.Status == "" {
		return "unknown"
	}
	return m.Status
}

func isGroup(c tgChat) bool {
	return c.Type == chatGroup || c.Type == chatSupergroup
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// at is the time of a Telegram date (Unix seconds): the receive time when
// it is missing or implausible (chat.SaneTime), which is logged.
func (a *Adapter) at(unix int64) time.Time {
	now := a.cfg.Now()
	if unix <= 0 {
		return now
	}
	t, ok := chat.SaneTime(time.Unix(unix, 0).UTC(), now)
	if !ok {
		a.log.Warn("telegram: an implausible date replaced by the time received (a date in milliseconds, or a broken clock)", "date", unix, "received", now)
	}
	return t
}

// user maps a Telegram user; Name is the first and last name, or the
// username when both are empty.
func user(u tgUser) chat.User {
	name := strings.TrimSpace(u.FirstName + " " + u.LastName)
	if name == "" {
		name = u.Username
	}
	return chat.User{ID: itoa(u.ID), Name: name, Bot: u.IsBot}
}

func ptr(u chat.User) *chat.User { return &u }

func (a *Adapter) base(c tgChat, unix int64) chat.Event {
	return chat.Event{Connection: a.cfg.Name, Platform: "telegram", Group: itoa(c.ID), GroupName: c.Title, Time: a.at(unix)}
}

// mapMessage maps a message (or, when edited, its new version).
func (a *Adapter) mapMessage(m *tgMessage, edited bool) ([]chat.Event, string) {
	a.learnMessage(m)
	if !isGroup(m.Chat) {
		return nil, m.Chat.Type + " chat"
	}
	if evs, ignored, ok := a.mapService(m); ok {
		return evs, ignored
	}
	e := a.base(m.Chat, m.Date)
	e.Type = chat.EventMessage
	e.ID = itoa(m.Chat.ID) + ":" + strconv.Itoa(m.MessageID)
	if edited {
		e.ID += ":edit:" + itoa(m.EditDate)
		e.Time = a.at(m.EditDate)
	}
	switch {
	case m.SenderChat != nil:
		// A channel, or an anonymous administrator (the group itself).
		name := m.SenderChat.Title
		if m.SenderChat.ID == m.Chat.ID && m.AuthorSignature != "" {
			name = m.AuthorSignature
		}
		if name == "" {
			name = m.SenderChat.Username
		}
		// A post of the group's linked channel, forwarded by Telegram
		// itself: the owners' content, not a member's, so Bot.
		e.Sender = chat.User{ID: itoa(m.SenderChat.ID), Name: name, Bot: m.IsAutomaticForward}
	case m.From != nil:
		e.Sender = user(*m.From)
	default:
		return nil, "message without a sender"
	}
	msg, ignored := a.content(m)
	if msg == nil {
		return nil, ignored
	}
	msg.ID = strconv.Itoa(m.MessageID)
	if r := m.ReplyToMessage; r != nil && r.Chat.ID == m.Chat.ID {
		// In a forum, a message in a topic "replies" to the topic's first
		// message without the user replying to anything.
		if !(m.IsTopicMessage && r.MessageID == m.MessageThreadID && r.ForumTopicCreated != nil) {
			msg.ReplyTo = strconv.Itoa(r.MessageID)
		}
	}
	e.Message = msg
	return []chat.Event{e}, ""
}

// mapService maps service messages: ok is false for a message with
// content.
func (a *Adapter) mapService(m *tgMessage) (evs []chat.Event, ignored string, ok bool) {
	group := itoa(m.Chat.ID)
	id := group + ":" + strconv.Itoa(m.MessageID)
	var actor *chat.User
	if m.From != nil {
		actor = ptr(user(*m.From))
	}
	switch {
	case len(m.NewChatMembers) > 0:
		if a.cfg.MemberEvents != MembersFromService {
			return nil, "join service message (member_events = chat_member)", true
		}
		for _, u := range m.NewChatMembers {
			e := a.base(m.Chat, m.Date)
			e.Type, e.ID, e.Sender = chat.EventMemberJoined, id+":joined:"+itoa(u.ID), user(u)
			e.Source = chat.SourcePromo // joined by themselves: a link, the group's username
			if actor != nil && m.From.ID != u.ID {
				e.Source, e.Inviter = chat.SourcePulledIn, actor
			}
			evs = append(evs, e)
		}
		return evs, "", true
	case m.LeftChatMember != nil:
		if a.cfg.MemberEvents != MembersFromService {
			return nil, "leave service message (member_events = chat_member)", true
		}
		u := *m.LeftChatMember
		e := a.base(m.Chat, m.Date)
		e.Type, e.ID, e.Sender, e.Reason = chat.EventMemberLeft, id+":left:"+itoa(u.ID), user(u), chat.LeftVoluntarily
		if actor != nil && m.From.ID != u.ID {
			e.Reason, e.Actor = chat.LeftRemoved, actor
		}
		return []chat.Event{e}, "", true
	case m.NewChatTitle != "":
		e := a.base(m.Chat, m.Date)
		e.Type, e.ID, e.GroupName, e.NewName, e.Actor = chat.EventGroupRenamed, id, m.NewChatTitle, m.NewChatTitle, actor
		return []chat.Event{e}, "", true
	case m.GroupChatCreated || m.SupergroupChatCreated:
		e := a.base(m.Chat, m.Date)
		e.Type, e.ID, e.Actor = chat.EventGroupCreated, id, actor
		return []chat.Event{e}, "", true
	case m.MigrateToChatID != 0:
		a.setMigrated(m.Chat.ID, m.MigrateToChatID)
		return nil, fmt.Sprintf("group %d was upgraded to supergroup %d; its events continue there", m.Chat.ID, m.MigrateToChatID), true
	case m.MigrateFromChatID != 0:
		// The first message of a supergroup that was a basic group: a new
		// group for qunzhu (Telegram gives it a new id), named after it.
		a.setMigrated(m.MigrateFromChatID, m.Chat.ID)
		e := a.base(m.Chat, m.Date)
		e.Type, e.ID, e.Actor = chat.EventGroupCreated, id, actor
		return []chat.Event{e}, "", true
	case m.PinnedMessage != nil:
		return nil, "pinned a message", true
	}
	return nil, "", false
}

// content reads a message's kind, text, link and mentions; nil for a
// message without content qunzhu tracks (a video chat starting, a topic
// being created…), with the reason.
func (a *Adapter) content(m *tgMessage) (*chat.Message, string) {
	msg := &chat.Message{Text: m.Text}
	entities := m.Entities
	if m.Text == "" {
		msg.Text, entities = m.Caption, m.CaptionEntities
	}
	switch {
	case m.ForwardOrigin != nil && !m.IsAutomaticForward, m.Story != nil:
		msg.Kind = chat.KindForward
	case m.Photo != nil, m.PaidMedia != nil:
		msg.Kind = chat.KindImage
	case m.Sticker != nil:
		msg.Kind, msg.Text = chat.KindSticker, m.Sticker.Emoji
	case m.Animation != nil, m.Video != nil, m.VideoNote != nil:
		msg.Kind = chat.KindVideo // an animation also carries a document: look at it first
	case m.Voice != nil, m.Audio != nil:
		msg.Kind = chat.KindVoice
	case m.Document != nil:
		msg.Kind = chat.KindFile
		if msg.Text == "" {
			msg.Text = m.Document.FileName
		}
	case m.Contact != nil:
		c := m.Contact
		msg.Kind, msg.Text = chat.KindCard, strings.TrimSpace(strings.TrimSpace(c.FirstName+" "+c.LastName)+" "+c.PhoneNumber)
	case m.Venue != nil:
		msg.Kind, msg.Text = chat.KindCard, strings.TrimSpace(m.Venue.Title+" "+m.Venue.Address)
	case m.Location != nil:
		msg.Kind = chat.KindCard
	case m.Poll != nil:
		msg.Kind, msg.Text = chat.KindCard, m.Poll.Question
	case m.Game != nil:
		msg.Kind, msg.Text = chat.KindCard, m.Game.Title
	case m.Dice != nil:
		msg.Kind, msg.Text = chat.KindSticker, m.Dice.Emoji
	case m.Text != "":
		msg.Kind = chat.KindText
	default:
		return nil, "message without content qunzhu tracks"
	}
	msg.URL, msg.Mentions = a.entities(msg.Text, entities)
	if msg.Kind == chat.KindText && msg.URL != "" {
		msg.Kind = chat.KindLink
	}
	a.addressee(msg)
	return msg, ""
}

// addressee reads whom a command is for: "/warn@ourbot …" becomes
// "/warn …", and "/rules@OtherBot" is marked ForOtherBot, so no command
// parser downstream runs another bot's command. Until getMe has told the
// bot's username, commands are left as they are.
func (a *Adapter) addressee(msg *chat.Message) {
	text := msg.Text
	if !strings.HasPrefix(text, "/") {
		return
	}
	end := strings.IndexFunc(text, unicode.IsSpace)
	if end < 0 {
		end = len(text)
	}
	name, bot, ok := strings.Cut(text[:end], "@")
	if !ok || bot == "" {
		return
	}
	a.mu.Lock()
	us := a.status.BotUsername
	a.mu.Unlock()
	switch {
	case us == "":
	case strings.EqualFold(bot, us):
		msg.Text = name + text[end:]
	default:
		msg.ForOtherBot = true
	}
}

// entities returns the first link (a url or text_link entity) and the
// mentioned user ids: text_mention entities carry the user, @username
// mentions are resolved from usernames seen before (unknown ones are
// left out: Telegram does not tell their ids).
func (a *Adapter) entities(text string, es []tgEntity) (link string, mentions []string) {
	var units []uint16
	sub := func(e tgEntity) string {
		if units == nil {
			units = utf16.Encode([]rune(text))
		}
		if e.Offset < 0 || e.Length <= 0 || e.Offset > len(units) || e.Length > len(units)-e.Offset {
			return ""
		}
		return string(utf16.Decode(units[e.Offset : e.Offset+e.Length]))
	}
	add := func(id string) {
		if id != "" && !slices.Contains(mentions, id) {
			mentions = append(mentions, id)
		}
	}
	for _, e := range es {
		switch e.Type {
		case entityURL:
			if link == "" {
				link = sub(e)
			}
		case entityTextLink:
			if link == "" {
				link = e.URL
			}
		case entityTextMention:
			if e.User != nil {
				a.learn(*e.User)
				add(itoa(e.User.ID))
			}
		case entityMention:
			add(a.lookup(strings.TrimPrefix(sub(e), "@")))
		}
	}
	return link, mentions
}

// mapCallback maps a press of a button under one of the bot's messages in
// a group: an EventButton with the button's data and the message's id.
// Telegram dates no press; it is the time received.
func (a *Adapter) mapCallback(c *tgCallbackQuery) ([]chat.Event, string) {
	a.learn(c.From)
	if c.Message == nil || !isGroup(c.Message.Chat) {
		return nil, "button press outside a group (or under a message too old to show)"
	}
	if c.Data == "" {
		return nil, "button press without data"
	}
	e := a.base(c.Message.Chat, 0)
	e.Type, e.ID, e.Sender = chat.EventButton, itoa(c.Message.Chat.ID)+":button:"+c.ID, user(c.From)
	e.Button = &chat.Pressed{Data: c.Data, MessageID: strconv.Itoa(c.Message.MessageID)}
	return []chat.Event{e}, ""
}

// mapChatMember maps a member's status change: joins and leaves, when
// chat_member updates are the source of member events.
func (a *Adapter) mapChatMember(c *tgChatMemberUpdated) ([]chat.Event, string) {
	a.learn(c.From)
	if c.OldChatMember == nil || c.NewChatMember == nil {
		return nil, "member change without the member"
	}
	u := c.NewChatMember.User
	a.learn(u)
	if !isGroup(c.Chat) {
		return nil, c.Chat.Type + " chat"
	}
	if a.cfg.MemberEvents != MembersFromChatMember {
		return nil, "chat_member update (member_events = service)"
	}
	was, is := c.OldChatMember.isMember(), c.NewChatMember.isMember()
	e := a.base(c.Chat, c.Date)
	e.ID = fmt.Sprintf("%d:member:%d:%d:%s", c.Chat.ID, u.ID, c.Date, status(c.NewChatMember))
	e.Sender = user(u)
	switch {
	case !was && is:
		e.Type = chat.EventMemberJoined
		switch {
		case c.InviteLink != nil:
			e.Source, e.Code = chat.SourcePromo, c.InviteLink.Name
			if e.Code == "" {
				e.Code = c.InviteLink.InviteLink
			}
		case c.ViaJoinRequest, c.ViaChatFolderInviteLink:
			e.Source = chat.SourcePromo
		case c.From.ID != u.ID:
			e.Source, e.Inviter = chat.SourcePulledIn, ptr(user(c.From))
		default:
			e.Source = chat.SourcePromo // by the group's username or a link Telegram does not name
		}
	case was && !is:
		e.Type, e.Reason = chat.EventMemberLeft, chat.LeftVoluntarily
		if c.From.ID != u.ID {
			e.Reason, e.Actor = chat.LeftRemoved, ptr(user(c.From))
		}
	default:
		return nil, "status change " + status(c.OldChatMember) + " → " + status(c.NewChatMember)
	}
	return []chat.Event{e}, ""
}

// maxUsernames bounds the username and name maps; past it a map starts
// over.
const maxUsernames = 100000

// learnMessage records the usernames and names a message shows.
func (a *Adapter) learnMessage(m *tgMessage) {
	if m.From != nil {
		a.learn(*m.From)
	}
	if m.ReplyToMessage != nil && m.ReplyToMessage.From != nil {
		a.learn(*m.ReplyToMessage.From)
	}
	if m.LeftChatMember != nil {
		a.learn(*m.LeftChatMember)
	}
	if o := m.ForwardOrigin; o != nil && o.SenderUser != nil {
		a.learn(*o.SenderUser)
	}
	for _, u := range m.NewChatMembers {
		a.learn(u)
	}
}

// learn records a user's username (to resolve "@username" mentions) and
// name (to mention them by name in a warning).
func (a *Adapter) learn(u tgUser) {
	if u.ID == 0 {
		return
	}
	id, name := itoa(u.ID), user(u).Name
	a.mu.Lock()
	defer a.mu.Unlock()
	if u.Username != "" {
		if len(a.usernames) >= maxUsernames {
			clear(a.usernames)
		}
		a.usernames[strings.ToLower(u.Username)] = id
	}
	if name != "" {
		if len(a.names) >= maxUsernames {
			clear(a.names)
		}
		a.names[id] = name
	}
}

func (a *Adapter) lookup(username string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.usernames[strings.ToLower(username)]
}

// nameOf is the name last seen for a user id, or "".
func (a *Adapter) nameOf(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.names[id]
}

func (a *Adapter) setMigrated(from, to int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.migrated[from] = to
}
