package app

import (
	"context"
	"log/slog"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
)

// WeCom builds a WeCom connection to WeChat customer groups (options
// corp_id, agent_id, secret, callback_token, encoding_aes_key; api_url,
// robot_webhook, robot_name, sync_every, confirm_check, confirm_within,
// upkeep_every; msgaudit_secret, msgaudit_keys, msgaudit_proxy with -tags
// msgaudit). WeCom posts its callbacks to /connect/{name} on qunzhu's HTTP
// address. Each customer group's owner and admins become its 群主 and
// 店小二 (Deps.Book); the service keeps its join ways and imports its
// daily statistics (upkeep.go).
func WeCom(c config.Connection, d Deps) (chat.Adapter, error) {
	cfg, err := wecom.FromOptions(c.Name, c.Options, d.Logger)
	if err != nil {
		return nil, err
	}
	cfg.Cursors = d.Cursors
	if d.Book != nil {
		cfg.Listener = staffListener{conn: c.Name, book: d.Book, log: d.Logger}
	}
	return wecom.New(cfg)
}

// PlatformBook records what a platform says about its groups beyond chat
// events: their staff and their dismissal. The store implements it.
type PlatformBook interface {
	SyncPlatformStaff(ctx context.Context, connection, externalID string, s community.PlatformStaff) (int, error)
	ArchivePlatformGroup(ctx context.Context, connection, externalID, reason string) (bool, error)
}

// staffListener is a WeCom connection's wecom.Listener over the store.
type staffListener struct {
	conn string
	book PlatformBook
	log  *slog.Logger
}

func (l staffListener) GroupStaff(ctx context.Context, chatID string, s community.PlatformStaff) error {
	n, err := l.book.SyncPlatformStaff(ctx, l.conn, chatID, s)
	if n > 0 {
		l.log.Info("wecom: group roles follow the customer group's owner and admins", "chat", chatID, "owner", s.Owner, "admins", s.Admins, "changed", n)
	}
	return err
}

func (l staffListener) GroupDismissed(ctx context.Context, chatID string) error {
	archived, err := l.book.ArchivePlatformGroup(ctx, l.conn, chatID, "dismissed in WeCom (企业微信中已解散)")
	if archived {
		l.log.Info("wecom: the customer group was dismissed; archived", "chat", chatID)
	}
	return err
}
