package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// minMute is the shortest mute: Telegram takes an until_date less than 30
// seconds away as "forever", so shorter mutes are lengthened, with a margin
// for clock skew.
const minMute = 40 * time.Second

// Do performs one action. Telegram's 429 is a *chat.RetryAfterError with
// its retry_after; its other refusals (400 message not found, user not
// found, not enough rights; 403 the bot was removed) wrap chat.ErrPermanent;
// 5xx and network errors are returned as they are, to be retried. A mute
// ends at the action's Until, however late it is made. An
// action on a basic group that became a supergroup is sent again to the
// supergroup.
func (a *Adapter) Do(ctx context.Context, act chat.Action) error {
	group, err := strconv.ParseInt(act.Group, 10, 64)
	if err != nil {
		return fmt.Errorf("telegram %s: group %q is not a chat id: %w", act.Kind, act.Group, chat.ErrPermanent)
	}
	a.mu.Lock()
	if to, ok := a.migrated[group]; ok {
		group = to
	}
	a.mu.Unlock()
	err = a.do(ctx, act, group)
	var ae *APIError
	if errors.As(err, &ae) && ae.MigrateTo != 0 {
		to := ae.MigrateTo
		a.log.Info("telegram: the group became a supergroup; sending the action there", "from", group, "to", to, "kind", act.Kind)
		a.setMigrated(group, to)
		err = a.do(ctx, act, to)
	}
	return a.classify(act, err)
}

func (a *Adapter) do(ctx context.Context, act chat.Action, chatID int64) error {
	switch act.Kind {
	case chat.ActSend:
		text, entities := a.compose(act)
		kb := keyboard(act.Buttons)
		if act.Image != "" {
			return a.sendPhoto(ctx, chatID, act.Image, text, entities, act.MessageID, kb)
		}
		_, err := a.send(ctx, chatID, text, entities, act.MessageID, kb)
		return err
	case chat.ActSetNotice:
		return a.notice(ctx, chatID, act)
	case chat.ActSetRole:
		uid, err := strconv.ParseInt(act.User, 10, 64)
		if err != nil {
			return fmt.Errorf("user %q is not a user id: %w", act.User, chat.ErrPermanent)
		}
		admin := act.Text == "admin"
		// Staff moderate: delete, restrict, pin, invite; they do not add
		// admins or change the group's info.
		return a.api.call(ctx, "promoteChatMember", promoteParams{ChatID: chatID, UserID: uid,
			CanDeleteMessages: admin, CanRestrictMembers: admin, CanPinMessages: admin, CanInviteUsers: admin, CanManageChat: admin}, nil)
	case chat.ActInviteLink:
		// The link's name is the member's invite code: a join through it
		// reports the name, and the join is credited to them.
		var link struct {
			InviteLink string `json:"invite_link"`
		}
		if err := a.api.call(ctx, "createChatInviteLink", inviteLinkParams{ChatID: chatID, Name: act.Code}, &link); err != nil {
			return err
		}
		_, err := a.send(ctx, chatID, strings.ReplaceAll(act.Text, "{link}", link.InviteLink), nil, act.MessageID, nil)
		return err
	case chat.ActDelete:
		msg, err := strconv.Atoi(act.MessageID)
		if err != nil {
			return fmt.Errorf("message id %q is not a number: %w", act.MessageID, chat.ErrPermanent)
		}
		return a.api.call(ctx, "deleteMessage", messageParams{ChatID: chatID, MessageID: msg}, nil)
	}
	user, err := strconv.ParseInt(act.User, 10, 64)
	if err != nil {
		return fmt.Errorf("user %q is not a user id: %w", act.User, chat.ErrPermanent)
	}
	if user < 0 {
		return a.doSenderChat(ctx, act, chatID, user)
	}
	switch act.Kind {
	case chat.ActMute:
		now := a.cfg.Now()
		left, ok := act.MuteLeft(now)
		if !ok {
			a.log.Info("telegram: a mute not made: it would have ended already", "chat", chatID, "user", user, "until", act.Until)
			return nil
		}
		var until int64 // 0: until unmuted
		if left > 0 {
			until = now.Add(max(left, minMute)).Unix()
		}
		return a.api.call(ctx, "restrictChatMember", restrictParams{ChatID: chatID, UserID: user,
			Permissions: allPermissions(false), UseIndependentChatPermissions: true, UntilDate: until}, nil)
	case chat.ActUnmute:
		return a.api.call(ctx, "restrictChatMember", restrictParams{ChatID: chatID, UserID: user,
			Permissions: a.defaults(ctx, chatID), UseIndependentChatPermissions: true}, nil)
	case chat.ActKick:
		if err := a.api.call(ctx, "banChatMember", memberParams{ChatID: chatID, UserID: user}, nil); err != nil {
			return err
		}
		return a.api.call(ctx, "unbanChatMember", memberParams{ChatID: chatID, UserID: user, OnlyIfBanned: true}, nil)
	case chat.ActBan:
		return a.api.call(ctx, "banChatMember", memberParams{ChatID: chatID, UserID: user}, nil)
	case chat.ActUnban:
		return a.api.call(ctx, "unbanChatMember", memberParams{ChatID: chatID, UserID: user, OnlyIfBanned: true}, nil)
	}
	return fmt.Errorf("unknown action %q: %w", act.Kind, chat.ErrPermanent)
}

// doSenderChat acts on a channel posting in the group (negative ids are
// chats): it can be banned and unbanned, not muted.
func (a *Adapter) doSenderChat(ctx context.Context, act chat.Action, chatID, sender int64) error {
	p := senderChatParams{ChatID: chatID, SenderChatID: sender}
	switch act.Kind {
	case chat.ActBan:
		return a.api.call(ctx, "banChatSenderChat", p, nil)
	case chat.ActUnban:
		return a.api.call(ctx, "unbanChatSenderChat", p, nil)
	case chat.ActKick:
		if err := a.api.call(ctx, "banChatSenderChat", p, nil); err != nil {
			return err
		}
		return a.api.call(ctx, "unbanChatSenderChat", p, nil)
	}
	return fmt.Errorf("telegram cannot %s a channel posting in a group (only ban it): %w", act.Kind, chat.ErrPermanent)
}

// compose renders a send: the member it speaks to (Mention) becomes a
// text_mention of their name in front of the text, so Telegram notifies
// them and no plain "@name" links to whoever holds that username. A chat
// posting in the group (a negative id) is named without a link.
func (a *Adapter) compose(act chat.Action) (string, []sendEntity) {
	m := act.Mention
	if m == nil || m.ID == "" {
		return composeMentions(act)
	}
	name := m.Name
	if name == "" {
		name = a.nameOf(m.ID)
	}
	if name == "" {
		name = m.ID
	}
	text := name
	if rest := act.SplitMention(); rest != "" {
		text += " " + rest
	}
	uid, err := strconv.ParseInt(m.ID, 10, 64)
	if err != nil || uid <= 0 {
		return text, nil
	}
	return text, []sendEntity{{Type: entityTextMention, Offset: 0, Length: len(utf16.Encode([]rune(name))),
		User: &sendUser{ID: uid, FirstName: name}}}
}

// send sends text, as a reply to the message replyTo when it is set and
// with the buttons of kb (nil: none); it returns the id of the message
// sent.
func (a *Adapter) send(ctx context.Context, chatID int64, text string, entities []sendEntity, replyTo string, kb *inlineKeyboard) (int, error) {
	rp, err := replyParams(replyTo)
	if err != nil {
		return 0, err
	}
	p := sendMessageParams{ChatID: chatID, Text: text, Entities: entities, ReplyParameters: rp, ReplyMarkup: kb}
	var sent struct {
		MessageID int `json:"message_id"`
	}
	err = a.api.call(ctx, "sendMessage", p, &sent)
	return sent.MessageID, err
}

// maxCaption is the longest caption Telegram takes under a photo, in
// UTF-16 code units.
const maxCaption = 1024

// sendPhoto posts the picture at url with text as its caption; a text
// too long for a caption follows in a message of its own.
func (a *Adapter) sendPhoto(ctx context.Context, chatID int64, url, text string, entities []sendEntity, replyTo string, kb *inlineKeyboard) error {
	rp, err := replyParams(replyTo)
	if err != nil {
		return err
	}
	p := sendPhotoParams{ChatID: chatID, Photo: url, ReplyParameters: rp, ReplyMarkup: kb}
	long := len(utf16.Encode([]rune(text))) > maxCaption
	if !long {
		p.Caption, p.CaptionEntities = text, entities
	}
	if err := a.api.call(ctx, "sendPhoto", p, nil); err != nil {
		return err
	}
	if long {
		_, err = a.send(ctx, chatID, text, entities, "", nil)
	}
	return err
}

// replyParams is the reply parameters of a send answering the message id
// (nil when it is empty). The message may be gone (deleted as spam): the
// send goes out all the same.
func replyParams(id string) (*replyParameters, error) {
	if id == "" {
		return nil, nil
	}
	msg, err := strconv.Atoi(id)
	if err != nil {
		return nil, fmt.Errorf("reply-to message id %q is not a number: %w", id, chat.ErrPermanent)
	}
	return &replyParameters{MessageID: msg, AllowSendingWithoutReply: true}, nil
}

// keyboard lays buttons out one per row (nil: none).
func keyboard(bs []chat.Button) *inlineKeyboard {
	if len(bs) == 0 {
		return nil
	}
	kb := &inlineKeyboard{}
	for _, b := range bs {
		kb.InlineKeyboard = append(kb.InlineKeyboard, []inlineButton{{Text: b.Text, CallbackData: b.Data}})
	}
	return kb
}

// notice sends the text and pins it. A retry after a failed pin pins the
// message already sent instead of sending another.
func (a *Adapter) notice(ctx context.Context, chatID int64, act chat.Action) error {
	key := act.Key + "\x00" + itoa(chatID)
	a.mu.Lock()
	msg, sent := a.notices[key]
	a.mu.Unlock()
	if !sent {
		m, err := a.send(ctx, chatID, act.Text, nil, "", nil)
		if err != nil {
			return err
		}
		msg = m
		a.mu.Lock()
		if len(a.notices) > 1000 {
			clear(a.notices)
		}
		a.notices[key] = msg
		a.mu.Unlock()
	}
	if err := a.api.call(ctx, "pinChatMessage", messageParams{ChatID: chatID, MessageID: msg}, nil); err != nil {
		return err
	}
	a.mu.Lock()
	delete(a.notices, key)
	a.mu.Unlock()
	return nil
}

// allPermissions returns every member permission set to v.
func allPermissions(v bool) permissions {
	b := func() *bool { return &v }
	return permissions{CanSendMessages: b(), CanSendAudios: b(), CanSendDocuments: b(), CanSendPhotos: b(),
		CanSendVideos: b(), CanSendVideoNotes: b(), CanSendVoiceNotes: b(), CanSendPolls: b(), CanSendOtherMessages: b(),
		CanAddWebPagePreviews: b(), CanChangeInfo: b(), CanInviteUsers: b(), CanPinMessages: b(), CanManageTopics: b()}
}

// defaults returns the group's default member permissions, which an
// unmuted member gets back; when getChat fails, the right to send
// everything (and no more).
func (a *Adapter) defaults(ctx context.Context, chatID int64) permissions {
	var info struct {
		Permissions *permissions `json:"permissions"`
	}
	err := a.api.call(ctx, "getChat", chatParams{ChatID: chatID}, &info)
	if err == nil && info.Permissions != nil {
		return *info.Permissions
	}
	if err != nil {
		a.log.Warn("telegram: getChat failed; unmuting with the send permissions only", "chat", chatID, "err", a.redact(err))
	}
	p := allPermissions(true)
	p.CanChangeInfo, p.CanInviteUsers, p.CanPinMessages, p.CanManageTopics = nil, nil, nil, nil
	return p
}

// classify maps Bot API errors onto the dispatcher's: 429 waits as asked,
// other 4xx refusals are permanent, the rest is retried.
func (a *Adapter) classify(act chat.Action, err error) error {
	if err == nil {
		return nil
	}
	err = a.redact(err)
	where := fmt.Sprintf("telegram %s in %s", act.Kind, act.Group)
	var ae *APIError
	if errors.As(err, &ae) {
		switch code := ae.Code; {
		case code == 429:
			after := time.Second
			if ae.RetryAfter > 0 {
				after = time.Duration(ae.RetryAfter) * time.Second
			}
			return &chat.RetryAfterError{After: after, Err: fmt.Errorf("%s: %w", where, err)}
		case code >= 400 && code < 500:
			return fmt.Errorf("%s: %w: %w", where, err, chat.ErrPermanent)
		}
	}
	return fmt.Errorf("%s: %w", where, err)
}
