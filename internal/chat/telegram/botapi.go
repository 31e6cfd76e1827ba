package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// maxAnswerBytes bounds a Bot API answer; getUpdates answers of 100
// updates stay far below it.
const maxAnswerBytes = 32 << 20

// APIError is a call the Bot API server refused or failed: Telegram's
// error_code and description, or, for an answer that is not the Bot API's
// JSON (a proxy's 502 page, another server's message), the HTTP status
// and the start of the body, so the reason is never lost.
type APIError struct {
	Method      string
	Code        int    // error_code; the HTTP status when the answer has none
	Description string // Telegram's description, or the body
	// RetryAfter is how long Telegram asks to wait (429), in seconds.
	RetryAfter int
	// MigrateTo is the supergroup a basic group became (400).
	MigrateTo int64
}

func (e *APIError) Error() string {
	s := e.Method + ": " + strconv.Itoa(e.Code)
	if e.Description != "" {
		s += " " + e.Description
	}
	return s
}

// apiClient calls Bot API methods with JSON over net/http.
type apiClient struct {
	http *http.Client
	base string // the API URL with /bot<token>
}

// answer is the envelope of every Bot API answer.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		RetryAfter      int   `json:"retry_after"`
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// call posts params (nil for none) as JSON to method and decodes the
// result into result (nil to ignore it). A refusal or a failed server is
// an *APIError; a network failure is returned as net/http gives it (its
// text holds the URL, hence the token: the adapter redacts it).
func (c *apiClient) call(ctx context.Context, method string, params, result any) error {
	body := []byte("{}")
	if params != nil {
		b, err := json.Marshal(params)
		if err != nil {
			return fmt.Errorf("%s: encode parameters: %w", method, err)
		}
		body = b
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/"+method, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBytes))
	if err != nil {
		return fmt.Errorf("%s: reading the answer (HTTP %d): %w", method, resp.StatusCode, err)
	}
	var ans answer
	if err := json.Unmarshal(raw, &ans); err != nil || (!ans.OK && ans.ErrorCode == 0 && ans.Description == "") {
		// Not the Bot API speaking: keep what was said.
		desc := strings.TrimSpace(http.StatusText(resp.StatusCode) + ": " + bodySnippet(raw))
		if resp.StatusCode == http.StatusOK {
			desc = "the answer is not a Bot API answer: " + bodySnippet(raw)
		}
		return &APIError{Method: method, Code: resp.StatusCode, Description: desc}
	}
	if !ans.OK {
		e := &APIError{Method: method, Code: ans.ErrorCode, Description: ans.Description}
		if e.Code == 0 {
			e.Code = resp.StatusCode
		}
		if p := ans.Parameters; p != nil {
			e.RetryAfter, e.MigrateTo = p.RetryAfter, p.MigrateToChatID
		}
		return e
	}
	if result == nil {
		return nil
	}
	if err := json.Unmarshal(ans.Result, result); err != nil {
		return fmt.Errorf("%s: unexpected result %s: %w", method, bodySnippet(ans.Result), err)
	}
	return nil
}

// bodySnippet is the start of a body on one line, for errors.
func bodySnippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}

// apiCode is the error code of a Bot API refusal in err's chain, or 0.
func apiCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return 0
}

// The parameters of the methods qunzhu calls; zero values are left out
// where Telegram's default is the same.

type getUpdatesParams struct {
	Offset         int64    `json:"offset,omitempty"`
	Timeout        int      `json:"timeout"`
	AllowedUpdates []string `json:"allowed_updates"`
}

type setWebhookParams struct {
	URL            string   `json:"url"`
	SecretToken    string   `json:"secret_token"`
	AllowedUpdates []string `json:"allowed_updates"`
}

type webhookInfo struct {
	URL                string `json:"url"`
	PendingUpdateCount int    `json:"pending_update_count"`
	LastErrorMessage   string `json:"last_error_message"`
}

type chatParams struct {
	ChatID int64 `json:"chat_id"`
}

type messageParams struct {
	ChatID    int64 `json:"chat_id"`
	MessageID int   `json:"message_id"`
}

type memberParams struct {
	ChatID       int64 `json:"chat_id"`
	UserID       int64 `json:"user_id"`
	OnlyIfBanned bool  `json:"only_if_banned,omitempty"`
}

type senderChatParams struct {
	ChatID       int64 `json:"chat_id"`
	SenderChatID int64 `json:"sender_chat_id"`
}

type sendMessageParams struct {
	ChatID          int64            `json:"chat_id"`
	Text            string           `json:"text"`
	Entities        []sendEntity     `json:"entities,omitempty"`
	ReplyParameters *replyParameters `json:"reply_parameters,omitempty"`
	ReplyMarkup     *inlineKeyboard  `json:"reply_markup,omitempty"`
}

// sendPhotoParams posts a picture from its URL with a caption.
type sendPhotoParams struct {
	ChatID          int64            `json:"chat_id"`
	Photo           string           `json:"photo"`
	Caption         string           `json:"caption,omitempty"`
	CaptionEntities []sendEntity     `json:"caption_entities,omitempty"`
	ReplyParameters *replyParameters `json:"reply_parameters,omitempty"`
	ReplyMarkup     *inlineKeyboard  `json:"reply_markup,omitempty"`
}

// inlineKeyboard is an InlineKeyboardMarkup: rows of buttons whose
// presses come back as callback queries.
type inlineKeyboard struct {
	InlineKeyboard [][]inlineButton `json:"inline_keyboard"`
}

type inlineButton struct {
	Text         string `json:"text"`
	CallbackData string `json:"callback_data"`
}

type callbackAnswerParams struct {
	CallbackQueryID string `json:"callback_query_id"`
}

// sendEntity is a MessageEntity in a message qunzhu sends: a
// text_mention naming the user it links to.
type sendEntity struct {
	Type   string    `json:"type"`
	Offset int       `json:"offset"` // in UTF-16 code units
	Length int       `json:"length"`
	User   *sendUser `json:"user,omitempty"`
}

type sendUser struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
}

type replyParameters struct {
	MessageID                int  `json:"message_id"`
	AllowSendingWithoutReply bool `json:"allow_sending_without_reply"`
}

type restrictParams struct {
	ChatID                        int64       `json:"chat_id"`
	UserID                        int64       `json:"user_id"`
	Permissions                   permissions `json:"permissions"`
	UseIndependentChatPermissions bool        `json:"use_independent_chat_permissions"`
	UntilDate                     int64       `json:"until_date,omitempty"`
}

// permissions is ChatPermissions: a field left nil is not sent, so an
// unmute grants nothing the group's defaults do not.
type permissions struct {
	CanSendMessages       *bool `json:"can_send_messages,omitempty"`
	CanSendAudios         *bool `json:"can_send_audios,omitempty"`
	CanSendDocuments      *bool `json:"can_send_documents,omitempty"`
	CanSendPhotos         *bool `json:"can_send_photos,omitempty"`
	CanSendVideos         *bool `json:"can_send_videos,omitempty"`
	CanSendVideoNotes     *bool `json:"can_send_video_notes,omitempty"`
	CanSendVoiceNotes     *bool `json:"can_send_voice_notes,omitempty"`
	CanSendPolls          *bool `json:"can_send_polls,omitempty"`
	CanSendOtherMessages  *bool `json:"can_send_other_messages,omitempty"`
	CanAddWebPagePreviews *bool `json:"can_add_web_page_previews,omitempty"`
	CanChangeInfo         *bool `json:"can_change_info,omitempty"`
	CanInviteUsers        *bool `json:"can_invite_users,omitempty"`
	CanPinMessages        *bool `json:"can_pin_messages,omitempty"`
	CanManageTopics       *bool `json:"can_manage_topics,omitempty"`
}

type promoteParams struct {
	ChatID             int64 `json:"chat_id"`
	UserID             int64 `json:"user_id"`
	CanDeleteMessages  bool  `json:"can_delete_messages"`
	CanRestrictMembers bool  `json:"can_restrict_members"`
	CanPinMessages     bool  `json:"can_pin_messages"`
	CanInviteUsers     bool  `json:"can_invite_users"`
	CanManageChat      bool  `json:"can_manage_chat"`
}

type inviteLinkParams struct {
	ChatID int64  `json:"chat_id"`
	Name   string `json:"name"`
}
