package wecom

import (
	"strings"
	"testing"
	"time"
)

func TestFromOptions(t *testing.T) {
	opts := map[string]string{"corp_id": "ww1", "agent_id": "1000002", "secret": "s", "callback_token": sampleToken, "encoding_aes_key": sampleAESKey,
		"robot_webhook": "key-1", "sync_every": "2h", "confirm_within": "12h", "msgaudit_secret": "audit", "msgaudit_keys": "3=/etc/k.pem"}
	cfg, err := FromOptions("qw", opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AgentID != 1000002 || cfg.SyncEvery != 2*time.Hour || cfg.ConfirmWithin != 12*time.Hour || cfg.ArchiveConfig == nil || cfg.ArchiveConfig.Keys[3] != "/etc/k.pem" {
		t.Fatalf("%+v", cfg)
	}
	for name, tt := range map[string]struct {
		k, v, want string
	}{
		"misspelt":     {"corpid", "ww1", "unknown options corpid"},
		"agent id":     {"agent_id", "app", "AgentId"},
		"duration":     {"confirm_check", "-1s", "positive duration"},
		"keys":         {"msgaudit_keys", "three", "version=path"},
		"secret alone": {"msgaudit_keys", "", "msgaudit_secret: required with msgaudit_keys"},
	} {
		o := map[string]string{}
		for k, v := range opts {
			o[k] = v
		}
		if tt.v == "" {
			delete(o, "msgaudit_secret")
			o["msgaudit_keys"] = "3=/k.pem"
		} else {
			o[tt.k] = tt.v
		}
		if _, err := FromOptions("qw", o, nil); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A robot key becomes the webhook URL on the API server.
	a, err := New(Config{Name: "qw", CorpID: "ww1", AgentID: 1, Secret: "s", CallbackToken: sampleToken, EncodingAESKey: sampleAESKey, Cursors: nopCursors{}, RobotWebhook: "key-1"})
	if err != nil || a.robot != DefaultAPIURL+"/cgi-bin/webhook/send?key=key-1" {
		t.Fatalf("robot %q %v", a.robot, err)
	}
	if _, err := New(Config{Name: "qw", CorpID: "ww1", AgentID: 1, Secret: "s", CallbackToken: sampleToken, EncodingAESKey: sampleAESKey, Cursors: nopCursors{}, RobotWebhook: "https://x/send"}); err == nil {
		t.Fatal("a webhook URL without its key was accepted")
	}
}
