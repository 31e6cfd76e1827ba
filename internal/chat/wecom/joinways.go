package wecom

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// EnsureJoinWay implements community.JoinWays with WeCom's customer-group
// join ways (「加入群聊」): a QR code that sends newcomers to the first of
// w.Groups (up to five) with room and, when w.RoomBaseName is set, creates
// the next group (RoomBaseName + RoomBaseID, counting up) when all are
// full. The join way's config id is kept under w.Key; it is created on the
// first call and updated when the groups, naming or state changed (or
// created again when it was deleted in WeCom).
func (a *Adapter) EnsureJoinWay(ctx context.Context, w community.JoinWay) (community.JoinWayState, error) {
	want, err := joinWayOf(w)
	if err != nil {
		return community.JoinWayState{}, err
	}
	key := keyJoinWay + w.Key
	configID, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, key)
	if err != nil {
		return community.JoinWayState{}, err
	}
	changed := false
	if configID != "" {
		have, err := a.api.GetJoinWay(ctx, configID)
		var ae *APIError
		switch {
		case errors.As(err, &ae) && ae.Code == 41044:
			a.log.Warn("wecom: the join way was deleted in WeCom; creating it again", "key", w.Key, "config_id", configID)
			configID = ""
		case err != nil:
			return community.JoinWayState{}, err
		case !sameJoinWay(have, want):
			want.ConfigID = configID
			if err := a.api.UpdateJoinWay(ctx, want); err != nil {
				return community.JoinWayState{}, err
			}
			changed = true
			a.log.Info("wecom: join way updated", "key", w.Key, "config_id", configID, "groups", want.ChatIDList, "room_base_name", want.RoomBaseName, "room_base_id", want.RoomBaseID)
		default:
			return community.JoinWayState{ConfigID: configID, QRCode: have.QRCode, Groups: have.ChatIDList}, nil
		}
	}
	if configID == "" {
		if configID, err = a.api.AddJoinWay(ctx, want); err != nil {
			return community.JoinWayState{}, err
		}
		if err := a.cfg.Cursors.SaveCursor(context.WithoutCancel(ctx), a.cfg.Name, key, configID); err != nil {
			return community.JoinWayState{}, fmt.Errorf("record join way %s: %w", configID, err)
		}
		changed = true
		a.log.Info("wecom: join way created", "key", w.Key, "config_id", configID, "groups", want.ChatIDList)
	}
	have, err := a.api.GetJoinWay(ctx, configID)
	if err != nil {
		return community.JoinWayState{}, err
	}
	return community.JoinWayState{ConfigID: configID, QRCode: have.QRCode, Groups: have.ChatIDList, Changed: changed}, nil
}

// DeleteJoinWay implements community.JoinWays.
func (a *Adapter) DeleteJoinWay(ctx context.Context, key string) error {
	ck := keyJoinWay + key
	configID, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, ck)
	if err != nil || configID == "" {
		return err
	}
	var ae *APIError
	if err := a.api.DeleteJoinWay(ctx, configID); err != nil && !(errors.As(err, &ae) && ae.Code == 41044) {
		return err
	}
	return a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, ck, "")
}

// joinWayOf checks a community.JoinWay against WeCom's limits.
func joinWayOf(w community.JoinWay) (JoinWay, error) {
	bad := func(format string, args ...any) (JoinWay, error) {
		return JoinWay{}, errkind.Errorf(errkind.Invalid, "join way %q: "+format, append([]any{w.Key}, args...)...)
	}
	if w.Key == "" {
		return bad("a key is required")
	}
	if len(w.Groups) == 0 {
		return bad("no group with room to send newcomers to")
	}
	if utf8.RuneCountInString(w.RoomBaseName) > joinWayMaxBaseName {
		return bad("WeCom takes at most %d characters of room base name, got %d", joinWayMaxBaseName, utf8.RuneCountInString(w.RoomBaseName))
	}
	if utf8.RuneCountInString(w.State) > joinWayMaxState {
		return bad("WeCom takes at most %d characters of state, got %d", joinWayMaxState, utf8.RuneCountInString(w.State))
	}
	if w.RoomBaseID < 0 {
		return bad("negative room base id %d", w.RoomBaseID)
	}
	j := JoinWay{Scene: joinWayQRCode, Remark: clipRunes(w.Remark, joinWayMaxRemark), ChatIDList: w.Groups[:min(len(w.Groups), JoinWayMaxGroups)], State: w.State}
	if w.RoomBaseName != "" {
		j.AutoCreateRoom, j.RoomBaseName, j.RoomBaseID = 1, w.RoomBaseName, w.RoomBaseID
	}
	return j, nil
}

func sameJoinWay(have, want JoinWay) bool {
	return have.Scene == want.Scene && have.Remark == want.Remark && have.AutoCreateRoom == want.AutoCreateRoom &&
		have.RoomBaseName == want.RoomBaseName && (want.AutoCreateRoom == 0 || have.RoomBaseID == want.RoomBaseID) &&
		slices.Equal(have.ChatIDList, want.ChatIDList) && have.State == want.State
}

func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
