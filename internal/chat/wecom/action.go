package wecom

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Do performs one action (chat.Adapter). WeCom allows an app only these:
//
//	send to a customer group, for a scheduled push (key push:…)
//	            a 群发 from the group's owner (add_msg_template, chat_type
//	            group): pending until the owner confirms it in WeCom, then
//	            done when WeCom reports it sent (*chat.PendingError
//	            meanwhile); cancelled and failed after ConfirmWithin
//	send to RobotGroup
//	            the group robot's webhook (the staff group)
//	send to "app:userid|userid"
//	            an application message to those members
//
// Every other action is refused as permanent, saying why: WeCom has no
// API to delete a message, mute, remove or ban a customer, set a customer
// group's notice, make someone its admin, or post into it at once.
func (a *Adapter) Do(ctx context.Context, act chat.Action) error {
	if err := a.do(ctx, act); err != nil {
		var pe *chat.PendingError
		if errors.As(err, &pe) {
			return err
		}
		return fmt.Errorf("wecom %s: %s in %s: %w", a.cfg.Name, act.Kind, act.Group, forDispatch(err))
	}
	return nil
}

func (a *Adapter) do(ctx context.Context, act chat.Action) error {
	if !act.Kind.Valid() {
		return fmt.Errorf("unknown action kind %q: %w", act.Kind, chat.ErrPermanent)
	}
	if act.Kind != chat.ActSend {
		return fmt.Errorf("%s: %w", refusals[act.Kind], chat.ErrPermanent)
	}
	if strings.TrimSpace(act.Text) == "" {
		return fmt.Errorf("empty text: %w", chat.ErrPermanent)
	}
	switch {
	case act.Group == RobotGroup:
		if a.robot == "" {
			return fmt.Errorf("no group robot is configured (options.robot_webhook): %w", chat.ErrPermanent)
		}
		return a.api.SendRobotText(ctx, a.robot, clip(act.Text, robotMaxBytes), nil)
	case strings.HasPrefix(act.Group, AppPrefix):
		users := strings.FieldsFunc(strings.TrimPrefix(act.Group, AppPrefix), func(r rune) bool { return r == '|' || r == ',' })
		if len(users) == 0 {
			return fmt.Errorf("no member to send the application message to: %w", chat.ErrPermanent)
		}
		return a.api.SendAppText(ctx, a.cfg.AgentID, users, clip(act.Text, appMaxBytes), 4*time.Hour)
	case strings.HasPrefix(act.Key, "push:"):
		return a.push(ctx, act)
	}
	return fmt.Errorf("a customer group takes messages only as a 群发 its owner confirms, a few a month: qunzhu sends scheduled pushes that way and nothing else — post this by hand: %w", chat.ErrPermanent)
}

// refusals say why WeCom cannot do an action.
var refusals = map[chat.ActionKind]string{
	chat.ActDelete:     "WeCom has no API to delete or recall a message in a customer group: remove it by hand in the WeCom app (群主/管理员)",
	chat.ActMute:       "WeCom has no API to mute a customer in a customer group: warn them by hand, or remove them from the group in the WeCom app",
	chat.ActUnmute:     "WeCom has no API to mute or unmute a customer",
	chat.ActKick:       "WeCom has no API to remove a customer from a customer group: the owner or an admin must remove them in the WeCom app",
	chat.ActBan:        "WeCom has no API to remove or ban a customer from a customer group: the owner or an admin must remove them in the WeCom app",
	chat.ActUnban:      "WeCom has no ban list for customer groups",
	chat.ActSetNotice:  "WeCom has no API to set a customer group's notice (群公告): the owner sets it in the WeCom app",
	chat.ActInviteLink: "WeCom cannot post a personal invite link into a customer group; use a join way (群活码) whose state is the code",
	chat.ActSetRole:    "WeCom has no API to make someone a customer group's admin: the owner does it in the WeCom app",
}

// Size limits of WeCom's text messages, in bytes.
const (
	robotMaxBytes = 2048
	appMaxBytes   = 2048
	groupMsgBytes = 4000
)

// clip cuts s to at most n bytes on a character boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "…"
	cut := n - len(mark)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + mark
}

// groupMsg is the 群发 that carries a push, kept through chat.Cursors
// under the action's key.
type groupMsg struct {
	MsgID   string `json:"msgid"`
	Sender  string `json:"sender"`
	Created int64  `json:"created"` // unix ms
}

// push delivers a scheduled push to a customer group as a 群发 from its
// owner, and reports its progress on later calls with the same action.
func (a *Adapter) push(ctx context.Context, act chat.Action) error {
	key := keyGroupMsg + act.Key
	raw, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, key)
	if err != nil {
		return err
	}
	var gm groupMsg
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &gm); err != nil {
			return fmt.Errorf("the 群发 of %s: %w", act.Key, err)
		}
	}
	if gm.MsgID == "" {
		return a.startPush(ctx, act, key)
	}
	return a.checkPush(ctx, act, key, gm)
}

func (a *Adapter) startPush(ctx context.Context, act chat.Action, key string) error {
	owner, err := a.ownerOf(ctx, act.Group)
	if err != nil {
		return err
	}
	if owner == "" {
		return fmt.Errorf("the group has no owner WeCom knows of, so no one can send it a 群发: %w", chat.ErrPermanent)
	}
	msgID, err := a.api.AddGroupMsg(ctx, GroupMsg{Sender: owner, ChatIDs: []string{act.Group}, Text: clip(act.Text, groupMsgBytes)})
	if err != nil {
		return err
	}
	gm := groupMsg{MsgID: msgID, Sender: owner, Created: a.cfg.Now().UnixMilli()}
	b, _ := json.Marshal(gm)
	// WeCom has no idempotency key: were this not saved, the next attempt
	// would create a second task. Try hard before giving up.
	for attempt := 1; ; attempt++ {
		err = a.cfg.Cursors.SaveCursor(context.WithoutCancel(ctx), a.cfg.Name, key, string(b))
		if err == nil {
			break
		}
		if attempt == 5 {
			a.log.Error("wecom: the 群发 was created but could not be recorded; a retry will create it again", "msgid", msgID, "key", act.Key, "err", err)
			return fmt.Errorf("record the 群发 %s: %w", msgID, err)
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	a.log.Info("wecom: push handed to the group owner as a 群发", "chat", act.Group, "owner", owner, "msgid", msgID, "key", act.Key)
	return &chat.PendingError{For: chat.PendingOwnerConfirm, State: awaiting(owner, msgID), CheckAfter: a.cfg.ConfirmCheck}
}

func awaiting(owner, msgID string) string {
	return fmt.Sprintf("sent to the group owner %s as a 群发 (msgid %s); waiting for them to confirm it in WeCom", owner, msgID)
}

func (a *Adapter) checkPush(ctx context.Context, act chat.Action, key string, gm groupMsg) error {
	tasks, err := a.api.GroupMsgTasks(ctx, gm.MsgID)
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Temporary() {
			return &chat.PendingError{For: chat.PendingOwnerConfirm, State: awaiting(gm.Sender, gm.MsgID), CheckAfter: a.cfg.ConfirmCheck}
		}
		return err
	}
	confirmed := false
	for _, t := range tasks {
		if t.UserID == gm.Sender && t.Status == TaskSent {
			confirmed = true
		}
	}
	if !confirmed {
		if a.cfg.Now().Sub(time.UnixMilli(gm.Created)) > a.cfg.ConfirmWithin {
			if err := a.api.CancelGroupMsg(ctx, gm.MsgID); err != nil {
				a.log.Warn("wecom: cancelling an unconfirmed 群发 failed", "msgid", gm.MsgID, "err", err)
			}
			return fmt.Errorf("the group owner %s did not confirm the 群发 %s within %s; it was cancelled: %w", gm.Sender, gm.MsgID, a.cfg.ConfirmWithin, chat.ErrPermanent)
		}
		return &chat.PendingError{For: chat.PendingOwnerConfirm, State: awaiting(gm.Sender, gm.MsgID), CheckAfter: a.cfg.ConfirmCheck}
	}
	results, err := a.api.GroupMsgResults(ctx, gm.MsgID, gm.Sender)
	if err != nil {
		return err
	}
	for _, r := range results {
		if r.ChatID != act.Group {
			continue
		}
		switch r.Status {
		case SendDone:
			a.log.Info("wecom: push sent by the group owner", "chat", act.Group, "msgid", gm.MsgID, "key", act.Key)
			return nil
		case SendQuota:
			return fmt.Errorf("WeCom did not send the 群发 %s: the group has received its quota of 群发 messages already: %w", gm.MsgID, chat.ErrPermanent)
		case SendNotFriend:
			return fmt.Errorf("WeCom did not send the 群发 %s: the sender is not connected to the group (status 2): %w", gm.MsgID, chat.ErrPermanent)
		}
	}
	// Confirmed, but WeCom reports no delivery to this group (yet).
	if a.cfg.Now().Sub(time.UnixMilli(gm.Created)) > a.cfg.ConfirmWithin {
		return fmt.Errorf("the group owner %s confirmed the 群发 %s but WeCom reports it not sent to this group: %w", gm.Sender, gm.MsgID, chat.ErrPermanent)
	}
	return &chat.PendingError{For: chat.PendingPlatformReport, State: fmt.Sprintf("confirmed by the group owner %s (群发 %s); waiting for WeCom to report it sent to this group", gm.Sender, gm.MsgID), CheckAfter: a.cfg.ConfirmCheck}
}

// ownerOf returns a customer group's owner, from its snapshot or WeCom.
func (a *Adapter) ownerOf(ctx context.Context, chatID string) (string, error) {
	a.mu.Lock()
	owner, ok := a.known[chatID]
	a.mu.Unlock()
	if ok && owner != "" {
		return owner, nil
	}
	s, err := a.loadSnapshot(ctx, chatID)
	if err != nil {
		return "", err
	}
	if s != nil && s.Owner != "" {
		return s.Owner, nil
	}
	gc, err := a.api.GetGroupChat(ctx, chatID)
	if err != nil {
		return "", err
	}
	return gc.Owner, nil
}

// NotifyStaff sends an application message to members (their WeCom
// userids): duty reminders and alerts for the assistant on duty.
func (a *Adapter) NotifyStaff(ctx context.Context, users []string, text string) error {
	return a.Do(ctx, chat.Action{Kind: chat.ActSend, Group: AppPrefix + strings.Join(users, "|"), Text: text})
}

// AlertStaffGroup posts text to the staff group through the group robot,
// mentioning the members given (userids).
func (a *Adapter) AlertStaffGroup(ctx context.Context, text string, mention ...string) error {
	if a.robot == "" {
		return errors.New("no group robot is configured (options.robot_webhook)")
	}
	return a.api.SendRobotText(ctx, a.robot, clip(text, robotMaxBytes), mention)
}
