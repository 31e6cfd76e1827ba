package app

import (
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/config"
)

// WeCom builds a WeCom connection to WeChat customer groups (options
// corp_id, agent_id, secret, callback_token, encoding_aes_key; api_url,
// robot_webhook, robot_name, sync_every, confirm_check, confirm_within;
// msgaudit_secret, msgaudit_keys, msgaudit_proxy with -tags msgaudit).
// WeCom posts its callbacks to /connect/{name} on qunzhu's HTTP address.
func WeCom(c config.Connection, d Deps) (chat.Adapter, error) {
	cfg, err := wecom.FromOptions(c.Name, c.Options, d.Logger)
	if err != nil {
		return nil, err
	}
	cfg.Cursors = d.Cursors
	return wecom.New(cfg)
}
