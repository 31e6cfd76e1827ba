package config

import (
	"strings"
	"testing"
	"time"
)

func TestReplicaSettings(t *testing.T) {
	cfg, err := Load(write(t, "[server]\nreplica_id = \"web-a\"\nreplica_url = \"http://10.0.0.5:8080\"\nconnection_lease = \"5s\"\n"), nil)
	if err != nil || cfg.Server.ReplicaID != "web-a" || cfg.Server.ReplicaURL != "http://10.0.0.5:8080" || time.Duration(cfg.Server.ConnectionLease) != 5*time.Second {
		t.Fatalf("load: %+v %v", cfg.Server, err)
	}
	_, err = Load(write(t, "[server]\nreplica_id = \"web a\"\nreplica_url = \"10.0.0.5:8080\"\nconnection_lease = \"100ms\"\n"), nil)
	for _, want := range []string{"server.replica_id:", "server.replica_url: want an absolute http(s) URL", "server.connection_lease: want 1s to 10m"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("bad replica settings: %v, want %q", err, want)
		}
	}
}

// TestValidateConnection: one connection is checked as in the file, with
// field names relative to it (the console shows them by its form).
func TestValidateConnection(t *testing.T) {
	errs := ValidateConnection(Connection{Name: "qq", Platform: "onebot", Options: map[string]string{"mode": "reverse", "access_token": "short"}})
	if len(errs) != 1 || errs[0].Field != "options.access_token" {
		t.Fatalf("a short reverse token: %v", errs)
	}
	if errs := ValidateConnection(Connection{Name: "tg", Platform: "telegram", Options: map[string]string{"bot_token": "123:abc", "mode": "polling"}}); len(errs) != 0 {
		t.Fatalf("a polling bot: %v", errs)
	}
	if errs := ValidateConnection(Connection{Name: "x", Platform: "irc"}); len(errs) != 1 || errs[0].Field != "platform" {
		t.Fatalf("an unknown platform: %v", errs)
	}
}
