package telegram

// The parts of the Bot API's types qunzhu reads
// (https://core.telegram.org/bots/api#available-types). Fields qunzhu
// only needs to see present are *present; everything else Telegram sends
// is skipped, so a newer Bot API does not break decoding.

// present is a field whose presence is all that matters (a photo, a
// video…). JSON null counts as absent.
type present struct{}

// UnmarshalJSON accepts any value: only presence counts.
func (*present) UnmarshalJSON([]byte) error { return nil }

type tgUpdate struct {
	UpdateID          int64                `json:"update_id"`
	Message           *tgMessage           `json:"message"`
	EditedMessage     *tgMessage           `json:"edited_message"`
	ChannelPost       *present             `json:"channel_post"`
	EditedChannelPost *present             `json:"edited_channel_post"`
	ChatMember        *tgChatMemberUpdated `json:"chat_member"`
	MyChatMember      *tgChatMemberUpdated `json:"my_chat_member"`
	CallbackQuery     *tgCallbackQuery     `json:"callback_query"`
}

// tgCallbackQuery is a press of a button of an inline keyboard under one
// of the bot's messages.
type tgCallbackQuery struct {
	ID      string     `json:"id"`
	From    tgUser     `json:"from"`
	Message *tgMessage `json:"message"` // the bot's message; absent when too old
	Data    string     `json:"data"`
}

type tgUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

// Chat types.
const (
	chatGroup      = "group"
	chatSupergroup = "supergroup"
)

type tgChat struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Username string `json:"username"`
}

// Entity types qunzhu reads.
const (
	entityURL         = "url"
	entityTextLink    = "text_link"
	entityTextMention = "text_mention"
	entityMention     = "mention"
	entityBotCommand  = "bot_command"
)

type tgEntity struct {
	Type   string  `json:"type"`
	Offset int     `json:"offset"` // in UTF-16 code units
	Length int     `json:"length"`
	URL    string  `json:"url"`
	User   *tgUser `json:"user"`
}

type tgMessage struct {
	MessageID          int        `json:"message_id"`
	MessageThreadID    int        `json:"message_thread_id"`
	From               *tgUser    `json:"from"`
	SenderChat         *tgChat    `json:"sender_chat"`
	Date               int64      `json:"date"`
	Chat               tgChat     `json:"chat"`
	IsTopicMessage     bool       `json:"is_topic_message"`
	IsAutomaticForward bool       `json:"is_automatic_forward"`
	ReplyToMessage     *tgMessage `json:"reply_to_message"`
	EditDate           int64      `json:"edit_date"`
	AuthorSignature    string     `json:"author_signature"`
	ForwardOrigin      *struct {
		Type       string  `json:"type"`
		SenderUser *tgUser `json:"sender_user"`
	} `json:"forward_origin"`

	Text            string     `json:"text"`
	Entities        []tgEntity `json:"entities"`
	Caption         string     `json:"caption"`
	CaptionEntities []tgEntity `json:"caption_entities"`

	Story     *present `json:"story"`
	Photo     *present `json:"photo"`
	PaidMedia *present `json:"paid_media"`
	Sticker   *struct {
		Emoji string `json:"emoji"`
	} `json:"sticker"`
	Animation *present `json:"animation"`
	Video     *present `json:"video"`
	VideoNote *present `json:"video_note"`
	Voice     *present `json:"voice"`
	Audio     *present `json:"audio"`
	Document  *struct {
		FileName string `json:"file_name"`
	} `json:"document"`
	Contact *struct {
		FirstName   string `json:"first_name"`
		LastName    string `json:"last_name"`
		PhoneNumber string `json:"phone_number"`
	} `json:"contact"`
	Venue *struct {
		Title   string `json:"title"`
		Address string `json:"address"`
	} `json:"venue"`
	Location *present `json:"location"`
	Poll     *struct {
		Question string `json:"question"`
	} `json:"poll"`
	Game *struct {
		Title string `json:"title"`
	} `json:"game"`
	Dice *struct {
		Emoji string `json:"emoji"`
	} `json:"dice"`

	NewChatMembers        []tgUser `json:"new_chat_members"`
	LeftChatMember        *tgUser  `json:"left_chat_member"`
	NewChatTitle          string   `json:"new_chat_title"`
	GroupChatCreated      bool     `json:"group_chat_created"`
	SupergroupChatCreated bool     `json:"supergroup_chat_created"`
	MigrateToChatID       int64    `json:"migrate_to_chat_id"`
	MigrateFromChatID     int64    `json:"migrate_from_chat_id"`
	PinnedMessage         *present `json:"pinned_message"`
	ForumTopicCreated     *present `json:"forum_topic_created"`
}

type tgChatMemberUpdated struct {
	Chat          tgChat        `json:"chat"`
	From          tgUser        `json:"from"`
	Date          int64         `json:"date"`
	OldChatMember *tgChatMember `json:"old_chat_member"`
	NewChatMember *tgChatMember `json:"new_chat_member"`
	InviteLink    *struct {
		InviteLink string `json:"invite_link"`
		Name       string `json:"name"`
	} `json:"invite_link"`
	ViaJoinRequest          bool `json:"via_join_request"`
	ViaChatFolderInviteLink bool `json:"via_chat_folder_invite_link"`
}

// tgChatMember is every kind of ChatMember: they differ by status.
type tgChatMember struct {
	Status   string `json:"status"` // creator, administrator, member, restricted, left, kicked
	User     tgUser `json:"user"`
	IsMember bool   `json:"is_member"` // restricted: still in the chat
}

// isMember reports whether the member is in the chat.
func (m *tgChatMember) isMember() bool {
	switch m.Status {
	case "creator", "administrator", "member":
		return true
	case "restricted":
		return m.IsMember
	}
	return false
}
