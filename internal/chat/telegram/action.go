package telegram

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// minMute is the shortest mute: Telegram takes an until_date less than 30
// seconds away as "forever", so shorter mutes are lengthened, with a margin
// for clock skew.
const minMute = 40 * time.Second

// Do performs one action. Telegram's 429 is a *chat.RetryAfterError with
// its retry_after; its other refusals (400 message not found, user not
// found, not enough rights; 403 the bot was removed) wrap chat.ErrPermanent;
// 5xx and network errors are returned as they are, to be retried. An
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
	var ae *ta.Error
	if errors.As(err, &ae) && ae.Parameters != nil && ae.Parameters.MigrateToChatID != 0 {
		to := ae.Parameters.MigrateToChatID
		a.log.Info("telegram: the group became a supergroup; sending the action there", "from", group, "to", to, "kind", act.Kind)
		a.setMigrated(group, to)
		err = a.do(ctx, act, to)
	}
	return a.classify(act, err)
}

func (a *Adapter) do(ctx context.Context, act chat.Action, group int64) error {
	chatID := tu.ID(group)
	switch act.Kind {
	case chat.ActSend:
		_, err := a.send(ctx, chatID, act.Text, act.MessageID)
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
		err = a.bot.PromoteChatMember(ctx, &telego.PromoteChatMemberParams{ChatID: chatID, UserID: uid,
			CanDeleteMessages: &admin, CanRestrictMembers: &admin, CanPinMessages: &admin, CanInviteUsers: &admin, CanManageChat: &admin})
		return err
	case chat.ActInviteLink:
		// The link's name is the member's invite code: a join through it
		// reports the name, and the join is credited to them.
		link, err := a.bot.CreateChatInviteLink(ctx, &telego.CreateChatInviteLinkParams{ChatID: chatID, Name: act.Code})
		if err != nil {
			return err
		}
		_, err = a.send(ctx, chatID, strings.ReplaceAll(act.Text, "{link}", link.InviteLink), act.MessageID)
		return err
	case chat.ActDelete:
		msg, err := strconv.Atoi(act.MessageID)
		if err != nil {
			return fmt.Errorf("message id %q is not a number: %w", act.MessageID, chat.ErrPermanent)
		}
		return a.bot.DeleteMessage(ctx, &telego.DeleteMessageParams{ChatID: chatID, MessageID: msg})
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
		var until int64
		if d := time.Duration(act.Duration); d > 0 {
			until = a.cfg.Now().Add(max(d, minMute)).Unix()
		}
		return a.bot.RestrictChatMember(ctx, &telego.RestrictChatMemberParams{ChatID: chatID, UserID: user,
			Permissions: permissions(false), UseIndependentChatPermissions: true, UntilDate: until})
	case chat.ActUnmute:
		return a.bot.RestrictChatMember(ctx, &telego.RestrictChatMemberParams{ChatID: chatID, UserID: user,
			Permissions: a.defaults(ctx, chatID), UseIndependentChatPermissions: true})
	case chat.ActKick:
		if err := a.bot.BanChatMember(ctx, &telego.BanChatMemberParams{ChatID: chatID, UserID: user}); err != nil {
			return err
		}
		return a.bot.UnbanChatMember(ctx, &telego.UnbanChatMemberParams{ChatID: chatID, UserID: user, OnlyIfBanned: true})
	case chat.ActBan:
		return a.bot.BanChatMember(ctx, &telego.BanChatMemberParams{ChatID: chatID, UserID: user})
	case chat.ActUnban:
		return a.bot.UnbanChatMember(ctx, &telego.UnbanChatMemberParams{ChatID: chatID, UserID: user, OnlyIfBanned: true})
	}
	return fmt.Errorf("unknown action %q: %w", act.Kind, chat.ErrPermanent)
}

// doSenderChat acts on a channel posting in the group (negative ids are
// chats): it can be banned and unbanned, not muted.
func (a *Adapter) doSenderChat(ctx context.Context, act chat.Action, chatID telego.ChatID, sender int64) error {
	ban := &telego.BanChatSenderChatParams{ChatID: chatID, SenderChatID: sender}
	unban := &telego.UnbanChatSenderChatParams{ChatID: chatID, SenderChatID: sender}
	switch act.Kind {
	case chat.ActBan:
		return a.bot.BanChatSenderChat(ctx, ban)
	case chat.ActUnban:
		return a.bot.UnbanChatSenderChat(ctx, unban)
	case chat.ActKick:
		if err := a.bot.BanChatSenderChat(ctx, ban); err != nil {
			return err
		}
		return a.bot.UnbanChatSenderChat(ctx, unban)
	}
	return fmt.Errorf("telegram cannot %s a channel posting in a group (only ban it): %w", act.Kind, chat.ErrPermanent)
}

func (a *Adapter) send(ctx context.Context, chatID telego.ChatID, text, replyTo string) (*telego.Message, error) {
	p := &telego.SendMessageParams{ChatID: chatID, Text: text}
	if replyTo != "" {
		msg, err := strconv.Atoi(replyTo)
		if err != nil {
			return nil, fmt.Errorf("reply-to message id %q is not a number: %w", replyTo, chat.ErrPermanent)
		}
		// The message may be gone (deleted as spam): send all the same.
		// The chat is named although it is the same: telego's encoder
		// ignores omitzero and would send an empty chat_id.
		p.ReplyParameters = &telego.ReplyParameters{MessageID: msg, ChatID: chatID, AllowSendingWithoutReply: true}
	}
	return a.bot.SendMessage(ctx, p)
}

// notice sends the text and pins it. A retry after a failed pin pins the
// message already sent instead of sending another.
func (a *Adapter) notice(ctx context.Context, chatID telego.ChatID, act chat.Action) error {
	key := act.Key + "\x00" + chatID.String()
	a.mu.Lock()
	msg, sent := a.notices[key]
	a.mu.Unlock()
	if !sent {
		m, err := a.send(ctx, chatID, act.Text, "")
		if err != nil {
			return err
		}
		msg = m.MessageID
		a.mu.Lock()
		if len(a.notices) > 1000 {
			clear(a.notices)
		}
		a.notices[key] = msg
		a.mu.Unlock()
	}
	if err := a.bot.PinChatMessage(ctx, &telego.PinChatMessageParams{ChatID: chatID, MessageID: msg}); err != nil {
		return err
	}
	a.mu.Lock()
	delete(a.notices, key)
	a.mu.Unlock()
	return nil
}

// permissions returns every member permission set to v.
func permissions(v bool) telego.ChatPermissions {
	b := func() *bool { return &v }
	return telego.ChatPermissions{CanSendMessages: b(), CanSendAudios: b(), CanSendDocuments: b(), CanSendPhotos: b(),
		CanSendVideos: b(), CanSendVideoNotes: b(), CanSendVoiceNotes: b(), CanSendPolls: b(), CanSendOtherMessages: b(),
		CanAddWebPagePreviews: b(), CanChangeInfo: b(), CanInviteUsers: b(), CanPinMessages: b(), CanManageTopics: b()}
}

// defaults returns the group's default member permissions, which an
// unmuted member gets back; when getChat fails, the right to send
// everything (and no more).
func (a *Adapter) defaults(ctx context.Context, chatID telego.ChatID) telego.ChatPermissions {
	info, err := a.bot.GetChat(ctx, &telego.GetChatParams{ChatID: chatID})
	if err == nil && info.Permissions != nil {
		return *info.Permissions
	}
	if err != nil {
		a.log.Warn("telegram: getChat failed; unmuting with the send permissions only", "chat", chatID.String(), "err", a.redact(err))
	}
	p := permissions(true)
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
	var ae *ta.Error
	if errors.As(err, &ae) {
		switch code := ae.ErrorCode; {
		case code == 429:
			after := time.Second
			if ae.Parameters != nil && ae.Parameters.RetryAfter > 0 {
				after = time.Duration(ae.Parameters.RetryAfter) * time.Second
			}
			return &chat.RetryAfterError{After: after, Err: fmt.Errorf("%s: %w", where, err)}
		case code >= 400 && code < 500:
			return fmt.Errorf("%s: %w: %w", where, err, chat.ErrPermanent)
		}
	}
	return fmt.Errorf("%s: %w", where, err)
}
