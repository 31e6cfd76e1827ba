package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

var update = flag.Bool("update", false, "rewrite golden files")

func write(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "qunzhu.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDefaultRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteDefault(&buf); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(write(t, buf.String()), nil)
	if err != nil {
		t.Fatalf("the written default does not load: %v", err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Fatalf("written default loads as\n%+v\nwant\n%+v", cfg, Default())
	}
	golden := filepath.Join("testdata", "default.golden")
	if *update {
		os.MkdirAll("testdata", 0o755)
		os.WriteFile(golden, buf.Bytes(), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("default configuration changed: review it and run go test ./internal/config -update")
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, body string
		env        []string
		want       []string
	}{
		{"syntax", "[server]\naddr = \n", nil, []string{"qunzhu.toml:2:"}},
		{"unknown key", "[server]\nadress = \"x:1\"\n", nil, []string{"unknown setting(s): server.adress"}},
		{"bad values", "[log]\nlevel = \"loud\"\n[database]\nurl = \"mysql://x\"\nmax_open_conns = 1\n[pipeline]\nbatch_size = 0\n", nil,
			[]string{`log.level: want debug, info, warn or error, got "loud"`, `database.url: unsupported database "mysql"`, "database.max_open_conns: want 0 (the driver's default) or at least 2, got 1", "pipeline.batch_size: want 1 to 100000, got 0"}},
		{"connections", `
[[connections]]
name = "wx"
platform = "webhook"
token = "0123456789abcdef"
push_url = "https://bridge.example.com/x"
[[connections]]
name = "wx"
platform = "wechat"
group_rate = "lots"
[[connections]]
name = "tg"
platform = "telegram"
`, nil, []string{"connections[0].secret: required with push_url", `connections[1].name: duplicate "wx"`, "connections[1].platform: want one of", "connections[1].group_rate:", "connections[2].options.bot_token: required"}},
		{"telegram webhook secret", `
[[connections]]
name = "tg1"
platform = "telegram"
options = { bot_token = "123:x", mode = "webhook", webhook_secret = "x" }
[[connections]]
name = "tg2"
platform = "telegram"
options = { bot_token = "123:x", mode = "webhook" }
[[connections]]
name = "tg3"
platform = "telegram"
options = { bot_token = "123:x", mode = "webhook", webhook_secret = "has spaces in it, long enough" }
`, nil, []string{"connections[0].options.webhook_secret: want 16 to 256 characters of A-Z a-z 0-9 _ - (for example the output of: openssl rand -hex 16), got 1",
			"connections[1].options.webhook_secret: want 16", "connections[2].options.webhook_secret: want 16"}},
		{"onebot reverse without a token", `
[[connections]]
name = "qq"
platform = "onebot"
options = { mode = "reverse" }
[[connections]]
name = "qq2"
platform = "onebot"
options = { mode = "reverse", access_token = "short" }
`, nil, []string{"connections[0].options.access_token: required in reverse mode, at least 16 characters", "connections[1].options.access_token: required in reverse mode"}},
		{"wecom", `
[[connections]]
name = "qw"
platform = "wecom"
options = { corp_id = "ww1", agent_id = "abc", callback_token = "x", encoding_aes_key = "short", sync_every = "often", upkeep_every = "-1m", robot_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", msgaudit_secret = "s" }
`, nil, []string{"connections[0].options.secret: required", `connections[0].options.agent_id: want the self-built app's AgentId (a number), got "abc"`,
			"connections[0].options.callback_token: want the 3 to 32 letters and digits", "connections[0].options.encoding_aes_key: want the 43 letters and digits WeCom shows as EncodingAESKey, got 5",
			"connections[0].options.sync_every: want a positive duration", "connections[0].options.upkeep_every: want a positive duration", "connections[0].options.robot_webhook: want the group robot's webhook URL",
			"connections[0].options.msgaudit_keys: msgaudit_secret and msgaudit_keys go together"}},
		{"env typo", "", []string{"QUNZHU_SERVER_ADRESS=x"}, []string{"unknown environment variable(s): QUNZHU_SERVER_ADRESS"}},
		{"env bad value", "", []string{"QUNZHU_API_MAX_BODY_BYTES=lots"}, []string{"QUNZHU_API_MAX_BODY_BYTES: want a whole number"}},
		{"env bad duration", "", []string{"QUNZHU_DISPATCHER_LEASE=soon"}, []string{"QUNZHU_DISPATCHER_LEASE: want a duration"}},
		{"bad timezone", "[server]\ntimezone = \"China/Beijing\"\n", nil, []string{`server.timezone: want an IANA time zone like Asia/Shanghai or Europe/Berlin, got "China/Beijing"`}},
		{"empty timezone", "", []string{"QUNZHU_SERVER_TIMEZONE="}, []string{`server.timezone: want an IANA time zone`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.body != "" {
				path = write(t, tt.body)
			}
			_, err := Load(path, tt.env)
			if err == nil {
				t.Fatal("Load accepted bad configuration")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error\n%v\nlacks %q", err, w)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml"), nil); err == nil {
		t.Error("a named file that does not exist must be an error")
	}
}

func TestTelegramWebhookSecretAccepted(t *testing.T) {
	path := write(t, `
[[connections]]
name = "tg"
platform = "telegram"
options = { bot_token = "123:x", mode = "webhook", webhook_secret = "0123456789abcdef" }
[[connections]]
name = "tg2"
platform = "telegram"
options = { bot_token = "123:y", mode = "polling" }
`)
	if _, err := Load(path, nil); err != nil {
		t.Fatalf("a 16-character secret, and none in polling mode: %v", err)
	}
}

func TestEnvOverrides(t *testing.T) {
	cfg, err := Load("", []string{"QUNZHU_SERVER_TIMEZONE=Europe/Berlin", "QUNZHU_SERVER_ADDR=0.0.0.0:9000", "QUNZHU_DATABASE_URL=postgres://u:p@db:5432/qz", "QUNZHU_PIPELINE_BATCH_WAIT=5ms", "QUNZHU_CONFIG=ignored.toml", "HOME=/root", "QUNZHU_TEST_POSTGRES=x"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Server.Addr != "0.0.0.0:9000" || time.Duration(cfg.Pipeline.BatchWait) != 5*time.Millisecond {
		t.Fatalf("overrides not applied: %+v", cfg)
	}
	if loc := cfg.Location(); loc.String() != "Europe/Berlin" {
		t.Fatalf("Location() = %v, want Europe/Berlin", loc)
	}
	if loc := Default().Location(); loc.String() != "Asia/Shanghai" {
		t.Fatalf("the default zone is %v, want Asia/Shanghai", loc)
	}
	if d, dsn := cfg.DatabaseDSN(); d != "postgres" || dsn != "postgres://u:p@db:5432/qz" {
		t.Fatalf("DSN = %s %s", d, dsn)
	}
}

func TestDatabaseDSN(t *testing.T) {
	tests := []struct{ url, driver, dsn string }{
		{"", "sqlite", filepath.Join("./data", "qunzhu.db")},
		{"sqlite:///var/lib/qz.db", "sqlite", "/var/lib/qz.db"},
		{"sqlite://rel/qz.db", "sqlite", "rel/qz.db"},
		{"file:x.db", "sqlite", "x.db"},
		{"my.db", "sqlite", "my.db"},
		{"postgresql://h/db", "postgres", "postgresql://h/db"},
	}
	for _, tt := range tests {
		c := Default()
		c.Database.URL = tt.url
		if d, dsn := c.DatabaseDSN(); d != tt.driver || dsn != tt.dsn {
			t.Errorf("%q → %s %s, want %s %s", tt.url, d, dsn, tt.driver, tt.dsn)
		}
	}
}

func TestDumpRedacts(t *testing.T) {
	c := Default()
	c.Database.URL = "postgres://qz:hunter2@db/qz"
	c.Connections = []Connection{{Name: "tg", Platform: "telegram", Token: "0123456789abcdefXYZ", Options: map[string]string{"bot_token": "123:SECRET", "mode": "polling"}},
		{Name: "qw", Platform: "wecom", Options: map[string]string{"corp_id": "ww1", "secret": "APPSECRET", "callback_token": "CBTOKEN", "encoding_aes_key": "AESKEY", "robot_webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=ROBOTKEY", "msgaudit_secret": "AUDITSECRET"}}}
	var buf bytes.Buffer
	if err := c.Dump(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, secret := range []string{"hunter2", "SECRET", "XYZ", "APPSECRET", "CBTOKEN", "AESKEY", "ROBOTKEY", "AUDITSECRET"} {
		if strings.Contains(out, secret) {
			t.Errorf("dump leaks %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "polling") || !strings.Contains(out, "<redacted>") {
		t.Errorf("dump lost non-secret settings:\n%s", out)
	}
	var back Config
	if _, err := toml.Decode(out, &back); err != nil {
		t.Fatalf("dump is not valid TOML: %v", err)
	}
}

func TestParseRateAndLimits(t *testing.T) {
	for s, want := range map[string][2]int64{"20/min": {20, int64(time.Minute)}, "1/s": {1, int64(time.Second)}, "3/10s": {3, int64(10 * time.Second)}, "100/h": {100, int64(time.Hour)}} {
		n, per, err := ParseRate(s)
		if err != nil || int64(n) != want[0] || int64(per) != want[1] {
			t.Errorf("ParseRate(%q) = %d %v %v", s, n, per, err)
		}
	}
	for _, bad := range []string{"", "0/s", "x/min", "5/fortnight", "5"} {
		if _, _, err := ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
	rate, burst, n, per := Connection{Platform: "telegram"}.Limits()
	if rate != 30 || burst != 30 || n != 20 || per != time.Minute {
		t.Errorf("telegram defaults: %v %v %v %v", rate, burst, n, per)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte("[server]\naddr = \"127.0.0.1:1\"\n"))
	f.Add([]byte("[[connections]]\nname=\"x\"\nplatform=\"sim\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := Default()
		if err := c.decode("f.toml", b); err != nil {
			return
		}
		c.Validate() // must not panic
	})
}

func TestWeComConnection(t *testing.T) {
	cfg, err := Load(write(t, `
[[connections]]
name = "qw"
platform = "wecom"
[connections.options]
corp_id = "ww1436e0e65a779aee"
agent_id = "1000002"
secret = "app-secret"
callback_token = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
encoding_aes_key = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
robot_webhook = "robot-key"
confirm_within = "12h"
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := cfg.Connections[0]; c.Platform != "wecom" || c.Options["agent_id"] != "1000002" {
		t.Fatalf("%+v", c)
	}
}

func TestTrustedProxies(t *testing.T) {
	cfg, err := Load(write(t, "[server]\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\", \"fd00::/8\"]\n"), nil)
	if err != nil || !reflect.DeepEqual(cfg.Server.TrustedProxies, []string{"127.0.0.1", "10.0.0.0/8", "fd00::/8"}) {
		t.Fatalf("%v %v", cfg, err)
	}
	cfg, err = Load("", []string{"QUNZHU_SERVER_TRUSTED_PROXIES=192.168.0.0/16, 127.0.0.1"})
	if err != nil || !reflect.DeepEqual(cfg.Server.TrustedProxies, []string{"192.168.0.0/16", "127.0.0.1"}) {
		t.Fatalf("from the environment: %v %v", cfg.Server.TrustedProxies, err)
	}
	_, err = Load(write(t, "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"localhost\"]\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "server.trusted_proxies[1]") {
		t.Fatalf("a bad proxy: %v", err)
	}
}
