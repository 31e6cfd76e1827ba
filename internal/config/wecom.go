package config

import (
	"net/url"
	"strconv"
	"strings"
	"time"
)

// wecomTokenRE: WeCom's admin takes a callback token of 3 to 32 letters
// and digits.
func wecomToken(s string) bool {
	if len(s) < 3 || len(s) > 32 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// validateWeCom checks the options of a WeCom connection (a self-built
// app's credentials and callback settings, see docs/platforms-wecom.md).
// Field names are relative to options.
func validateWeCom(o map[string]string) []FieldError {
	var errs []FieldError
	add := func(k, msg string) { errs = append(errs, FieldError{k, msg}) }
	if o["corp_id"] == "" {
		add("corp_id", "required: the corp id (企业ID) from the WeCom admin, 我的企业 → 企业信息")
	}
	if s := o["agent_id"]; s == "" {
		add("agent_id", "required: the self-built app's AgentId")
	} else if n, err := strconv.ParseInt(s, 10, 64); err != nil || n <= 0 {
		add("agent_id", "want the self-built app's AgentId (a number), got "+strconv.Quote(s))
	}
	if o["secret"] == "" {
		add("secret", "required: the self-built app's Secret")
	}
	if t := o["callback_token"]; t == "" {
		add("callback_token", "required: the Token of the app's 接收消息 (API receive) settings")
	} else if !wecomToken(t) {
		add("callback_token", "want the 3 to 32 letters and digits WeCom shows as Token")
	}
	switch k := o["encoding_aes_key"]; {
	case k == "":
		add("encoding_aes_key", "required: the EncodingAESKey of the app's 接收消息 settings")
	case len(k) != 43 || strings.Trim(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != "":
		add("encoding_aes_key", "want the 43 letters and digits WeCom shows as EncodingAESKey, got "+strconv.Itoa(len(k))+" characters")
	}
	if s := o["api_url"]; s != "" {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			add("api_url", "want an absolute http(s) URL, got "+strconv.Quote(s))
		}
	}
	if s := o["robot_webhook"]; s != "" && strings.Contains(s, "/") {
		if u, err := url.Parse(s); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Query().Get("key") == "" {
			add("robot_webhook", "want the group robot's webhook URL (https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…) or its key")
		}
	}
	for _, k := range []string{"sync_every", "confirm_check", "confirm_within", "upkeep_every", "archive_every"} {
		if s := o[k]; s != "" {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				add(k, "want a positive duration like 6h or 90s, got "+strconv.Quote(s))
			}
		}
	}
	if (o["msgaudit_secret"] == "") != (o["msgaudit_keys"] == "") {
		add("msgaudit_keys", "msgaudit_secret and msgaudit_keys go together (the 会话内容存档 Secret and the private keys, 3=/path/key.pem)")
	}
	return errs
}
