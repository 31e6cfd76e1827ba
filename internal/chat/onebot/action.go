package onebot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"

	"github.com/qunzhu/qunzhu/internal/chat"
)

type pendingCall struct {
	ch   chan *Response
	conn *conn
}

type request struct {
	Action string `json:"action"`
	Params any    `json:"params"`
	Echo   string `json:"echo"`
}

// CallError is a call the implementation answered with status failed.
type CallError struct {
	Action  string
	Retcode int
	Message string
}

func (e *CallError) Error() string {
	s := fmt.Sprintf("%s failed with retcode %d", e.Action, e.Retcode)
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// RateLimitWait is how long a rate-limited action waits before its retry:
// OneBot implementations say "too frequent" but not for how long.
const RateLimitWait = 10 * time.Second

// Call makes one OneBot API call and returns its data. Each call carries a
// unique echo and waits for the answer with the same echo, at most
// Config.CallTimeout. Errors: ErrNotConnected (retryable) when no
// implementation is connected; *CallError wrapped in chat.ErrPermanent for
// bad requests (retcode 1400, 1404; 1401/1403 and missing rights too);
// *chat.RetryAfterError for rate limits; others are retryable.
func (a *Adapter) Call(ctx context.Context, action string, params any) (json.RawMessage, error) {
	a.mu.Lock()
	c := a.api
	if c == nil {
		a.mu.Unlock()
		return nil, ErrNotConnected
	}
	a.seq++
	echo := a.prefix + "-" + strconv.FormatUint(a.seq, 10)
	ch := make(chan *Response, 1)
	a.pending[echo] = pendingCall{ch: ch, conn: c}
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.pending, echo)
		a.mu.Unlock()
	}()

	b, err := json.Marshal(request{Action: action, Params: params, Echo: echo})
	if err != nil {
		return nil, fmt.Errorf("%s: encode params: %w", action, errors.Join(err, chat.ErrPermanent))
	}
	tctx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout)
	defer cancel()
	if err := c.ws.Write(tctx, websocket.MessageText, b); err != nil {
		return nil, fmt.Errorf("%s: send: %w", action, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s: %w", action, errConnLost)
		}
		return classify(action, r)
	case <-tctx.Done():
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s: no answer within %s (the action may still have happened)", action, a.cfg.CallTimeout)
	}
}

// deliver hands an answer to the call waiting for its echo.
func (a *Adapter) deliver(r *Response) {
	echo := rawString(r.Echo)
	a.mu.Lock()
	p, ok := a.pending[echo]
	if ok {
		delete(a.pending, echo)
	}
	a.mu.Unlock()
	if !ok {
		a.log.Debug("onebot: answer to no waiting call", "echo", echo, "retcode", r.Retcode)
		return
	}
	p.ch <- r
}

// classify turns an answer into data or an error of the right kind.
func classify(action string, r *Response) (json.RawMessage, error) {
	if r.Status != "failed" && (r.Retcode == 0 || r.Retcode == 1) {
		return r.Data, nil
	}
	msg := joinNonEmpty(": ", r.Msg, firstNonEmpty(r.Wording, r.Message))
	ce := &CallError{Action: action, Retcode: r.Retcode, Message: msg}
	lower := strings.ToLower(msg)
	switch {
	case containsAny(lower, "频率", "频繁", "rate limit", "ratelimit", "rate_limit", "too many", "too frequent"):
		return nil, &chat.RetryAfterError{After: RateLimitWait, Err: ce}
	case r.Retcode == 1400 || r.Retcode == 1401 || r.Retcode == 1403 || r.Retcode == 1404:
		return nil, fmt.Errorf("%w: %w", ce, chat.ErrPermanent)
	case containsAny(lower, "权限", "不是管理员", "permission", "not admin", "不存在", "not found", "not exist"):
		return nil, fmt.Errorf("%w: %w", ce, chat.ErrPermanent)
	}
	return nil, ce
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Mute bounds: QQ mutes for at least a minute and at most 30 days.
const (
	minMute = time.Minute
	maxMute = 30 * 24 * time.Hour
)

// Do performs one action (chat.Adapter):
//
//	send       send_group_msg (a reply segment when MessageID is set, an at segment for Mention and each of Mentions; text is never read as CQ codes)
//	delete     delete_msg
//	mute       set_group_ban, duration in seconds until the action's Until (0 or over 30 days: 30 days; under a minute: a minute)
//	unmute     set_group_ban with duration 0
//	kick       set_group_kick
//	ban        set_group_kick with reject_add_request
//	set_notice _send_group_notice (go-cqhttp extension, NapCat and Lagrange have it)
//	unban      not possible in OneBot v11: a permanent error
func (a *Adapter) Do(ctx context.Context, act chat.Action) error {
	if err := a.do(ctx, act); err != nil {
		return fmt.Errorf("onebot %s: %s in group %s: %w", a.cfg.Name, act.Kind, act.Group, err)
	}
	return nil
}

func (a *Adapter) do(ctx context.Context, act chat.Action) error {
	if !act.Kind.Valid() {
		return fmt.Errorf("unknown action kind %q: %w", act.Kind, chat.ErrPermanent)
	}
	if act.Kind == chat.ActUnban {
		return fmt.Errorf("onebot v11 has no call to lift a ban; remove the account from the group's blocked list in QQ: %w", chat.ErrPermanent)
	}
	if !a.caps[act.Kind] {
		return fmt.Errorf("disabled for this connection by options.capabilities: %w", chat.ErrPermanent)
	}
	group, err := parseID("group", act.Group)
	if err != nil {
		return err
	}
	user := func() (int64, error) { return parseID("user", act.User) }
	switch act.Kind {
	case chat.ActSend:
		if strings.TrimSpace(act.Text) == "" {
			return fmt.Errorf("empty text: %w", chat.ErrPermanent)
		}
		msg := []Segment{}
		if act.MessageID != "" {
			msg = append(msg, Segment{Type: "reply", Data: map[string]string{"id": act.MessageID}})
		}
		text := act.Text
		if m := act.Mention; m != nil && isDecimal(m.ID) {
			// QQ shows the member's group card and notifies them.
			msg = append(msg, Segment{Type: "at", Data: map[string]string{"qq": m.ID}})
			if text = act.SplitMention(); text != "" {
				text = " " + text
			}
		}
		switch {
		case act.Mention == nil && len(act.Mentions) > 0:
			msg = append(msg, mentionSegments(act)...)
		case text != "":
			msg = append(msg, Segment{Type: "text", Data: map[string]string{"text": text}})
		}
		_, err := a.Call(ctx, "send_group_msg", map[string]any{"group_id": group, "message": msg})
		return err
	case chat.ActDelete:
		mid, err := parseMessageID(act.MessageID)
		if err != nil {
			return err
		}
		_, err = a.Call(ctx, "delete_msg", map[string]any{"message_id": mid})
		return err
	case chat.ActMute, chat.ActUnmute:
		uid, err := user()
		if err != nil {
			return err
		}
		var secs int64
		if act.Kind == chat.ActMute {
			d, ok := act.MuteLeft(a.cfg.Now())
			if !ok {
				a.log.Info("onebot: a mute not made: it would have ended already", "group", group, "user", uid, "until", act.Until)
				return nil
			}
			switch {
			case d <= 0 || d > maxMute:
				d = maxMute
			case d < minMute:
				d = minMute
			}
			secs = int64((d + time.Second - 1) / time.Second)
		}
		_, err = a.Call(ctx, "set_group_ban", map[string]any{"group_id": group, "user_id": uid, "duration": secs})
		return err
	case chat.ActKick, chat.ActBan:
		uid, err := user()
		if err != nil {
			return err
		}
		_, err = a.Call(ctx, "set_group_kick", map[string]any{"group_id": group, "user_id": uid, "reject_add_request": act.Kind == chat.ActBan})
		return err
	case chat.ActSetRole:
		uid, err := user()
		if err != nil {
			return err
		}
		_, err = a.Call(ctx, "set_group_admin", map[string]any{"group_id": group, "user_id": uid, "enable": act.Text == "admin"})
		return err
	case chat.ActSetNotice:
		if strings.TrimSpace(act.Text) == "" {
			return fmt.Errorf("empty notice: %w", chat.ErrPermanent)
		}
		_, err := a.Call(ctx, "_send_group_notice", map[string]any{"group_id": group, "content": act.Text})
		var ce *CallError
		if errors.As(err, &ce) && ce.Retcode == 1404 {
			return fmt.Errorf("the implementation has no _send_group_notice (a go-cqhttp extension): %w", err)
		}
		return err
	}
	return fmt.Errorf("action %q not supported: %w", act.Kind, chat.ErrPermanent)
}

func parseID(what, s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s id %q: want a positive decimal number: %w", what, s, chat.ErrPermanent)
	}
	return n, nil
}

// parseMessageID reads a message id: OneBot's are int32 and often negative.
func parseMessageID(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("message id %q: want a decimal number: %w", s, chat.ErrPermanent)
	}
	return n, nil
}

// GroupMember is one entry of get_group_member_list.
type GroupMember struct {
	UserID       string    `json:"user_id"`
	Nickname     string    `json:"nickname"`
	Card         string    `json:"card"` // group nickname (群名片), may be empty
	Role         string    `json:"role"` // owner, admin, member
	Title        string    `json:"title"`
	Level        string    `json:"level"`
	JoinTime     time.Time `json:"join_time"`
	LastSentTime time.Time `json:"last_sent_time"`
}

// Name is the member's display name: the group card, else the nickname.
func (m GroupMember) Name() string { return firstNonEmpty(m.Card, m.Nickname) }

// GetGroupMemberList lists a group's members (for the integrator's member sync).
func (a *Adapter) GetGroupMemberList(ctx context.Context, group string) ([]GroupMember, error) {
	gid, err := parseID("group", group)
	if err != nil {
		return nil, err
	}
	data, err := a.Call(ctx, "get_group_member_list", map[string]any{"group_id": gid})
	if err != nil {
		return nil, fmt.Errorf("onebot %s: members of %s: %w", a.cfg.Name, group, err)
	}
	var raw []struct {
		UserID       id              `json:"user_id"`
		Nickname     string          `json:"nickname"`
		Card         string          `json:"card"`
		Role         string          `json:"role"`
		Title        string          `json:"title"`
		Level        json.RawMessage `json:"level"`
		JoinTime     int64           `json:"join_time"`
		LastSentTime int64           `json:"last_sent_time"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("onebot %s: members of %s: decode: %w", a.cfg.Name, group, err)
	}
	out := make([]GroupMember, 0, len(raw))
	for _, r := range raw {
		m := GroupMember{UserID: string(r.UserID), Nickname: r.Nickname, Card: r.Card, Role: r.Role, Title: r.Title, Level: rawString(r.Level)}
		if r.JoinTime > 0 {
			m.JoinTime = time.Unix(r.JoinTime, 0).UTC()
		}
		if r.LastSentTime > 0 {
			m.LastSentTime = time.Unix(r.LastSentTime, 0).UTC()
		}
		out = append(out, m)
	}
	return out, nil
}

// GroupInfo is the answer of get_group_info.
type GroupInfo struct {
	GroupID        string `json:"group_id"`
	Name           string `json:"group_name"`
	MemberCount    int    `json:"member_count"`
	MaxMemberCount int    `json:"max_member_count"`
}

// GetGroupInfo returns a group's name and size.
func (a *Adapter) GetGroupInfo(ctx context.Context, group string) (GroupInfo, error) {
	gid, err := parseID("group", group)
	if err != nil {
		return GroupInfo{}, err
	}
	data, err := a.Call(ctx, "get_group_info", map[string]any{"group_id": gid})
	if err != nil {
		return GroupInfo{}, fmt.Errorf("onebot %s: group %s: %w", a.cfg.Name, group, err)
	}
	var raw struct {
		GroupID        id     `json:"group_id"`
		GroupName      string `json:"group_name"`
		MemberCount    int    `json:"member_count"`
		MaxMemberCount int    `json:"max_member_count"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return GroupInfo{}, fmt.Errorf("onebot %s: group %s: decode: %w", a.cfg.Name, group, err)
	}
	return GroupInfo{GroupID: string(raw.GroupID), Name: raw.GroupName, MemberCount: raw.MemberCount, MaxMemberCount: raw.MaxMemberCount}, nil
}
