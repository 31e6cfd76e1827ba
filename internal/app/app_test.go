package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
)

func runMain(t *testing.T, dir string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	wd, _ := os.Getwd()
	if dir != "" {
		os.Chdir(dir)
		defer os.Chdir(wd)
	}
	code := Main(context.Background(), Env{Args: args, Stdout: &out, Stderr: &errb, Environ: []string{"HOME=/nonexistent"}})
	return code, out.String(), errb.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "no command given"},
		{[]string{"srve"}, `unknown command "srve" (did you mean "serve"?)`},
		{[]string{"serve", "--migrat"}, `unknown flag -migrat (did you mean "--migrate"?)`},
		{[]string{"demo", "--port", "1"}, "unknown flag -port"},
		{[]string{"config"}, "want a subcommand: init or dump"},
		{[]string{"config", "dupm"}, `(did you mean "dump"?)`},
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		code, _, stderr := runMain(t, "", tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "Usage:") {
			t.Errorf("qunzhu %v: exit %d\n%s\nwant exit 2 with %q and the usage", tt.args, code, stderr, tt.want)
		}
	}
}

func TestVersionAndHelp(t *testing.T) {
	if code, out, _ := runMain(t, "", "version"); code != 0 || !strings.HasPrefix(out, "qunzhu ") {
		t.Fatalf("version: %d %q", code, out)
	}
	if code, out, _ := runMain(t, "", "help"); code != 0 || !strings.Contains(out, "qunzhu demo") {
		t.Fatalf("help: %d %q", code, out)
	}
}

func TestConfigInitAndDump(t *testing.T) {
	dir := t.TempDir()
	if code, out, errs := runMain(t, dir, "config", "init"); code != 0 || !strings.Contains(out, "wrote qunzhu.toml") {
		t.Fatalf("config init: %d %s %s", code, out, errs)
	}
	if code, _, errs := runMain(t, dir, "config", "init"); code != 1 || !strings.Contains(errs, "--force") {
		t.Fatalf("second config init: %d %s", code, errs)
	}
	if code, _, _ := runMain(t, dir, "config", "init", "--force"); code != 0 {
		t.Fatal("config init --force failed")
	}
	code, out, errs := runMain(t, dir, "config", "dump")
	if code != 0 || !strings.Contains(out, `addr = "127.0.0.1:8080"`) {
		t.Fatalf("config dump: %d\n%s\n%s", code, out, errs)
	}
	os.WriteFile(filepath.Join(dir, "bad.toml"), []byte("[log]\nlevel = \"loud\"\n"), 0o600)
	if code, _, errs := runMain(t, dir, "config", "dump", "--config", "bad.toml"); code != 1 || !strings.Contains(errs, "log.level") {
		t.Fatalf("bad config: %d %s", code, errs)
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte("[data]\ndir = \"d\"\n"), 0o600)
	code, out, errs := runMain(t, dir, "migrate")
	if code != 0 || !strings.Contains(out, "applied") {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	if code, out, _ := runMain(t, dir, "migrate"); code != 0 || !strings.Contains(out, "applied 0 migration(s)") {
		t.Fatalf("second migrate: %d %s", code, out)
	}
}

func TestSuggest(t *testing.T) {
	if s := suggest("xyzzy", []string{"serve", "demo"}); !strings.Contains(s, "qunzhu help") {
		t.Errorf("far word got %q", s)
	}
	if distance("serve", "srve") != 1 || distance("", "ab") != 2 {
		t.Error("distance is wrong")
	}
}

func TestUserAdd(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte("[data]\ndir = \"d\"\n"), 0o600)
	if code, out, errs := runMain(t, dir, "migrate"); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errs)
	}
	if code, _, errs := runMain(t, dir, "user", "add", "sec", "--role", "secretary", "--group", "1"); code != 1 || !strings.Contains(errs, "no organisation yet") {
		t.Fatalf("before any organisation: %d %s", code, errs)
	}
	cfg, err := loadConfig(filepath.Join(dir, "qunzhu.toml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Data.Dir = filepath.Join(dir, "d")
	db, err := openStore(context.Background(), cfg, newLogger(&bytes.Buffer{}, "error", "text"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bootstrap(context.Background(), db, cfg.Data.Dir, community.Org{Name: "测试", Slug: "test"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"user", "add", "boss2", "--role", "manager"}, 0, "created boss2 (manager); password"},
		{[]string{"user", "add", "--role", "secretary", "sec"}, 1, "needs a scope"},
		{[]string{"user", "add", "sec", "--role", "secretary", "--node", "99"}, 1, "node 99 not found"},
		{[]string{"user", "add", "sec", "--role", "wizard", "--group", "1"}, 1, "want manager, secretary, assistant or viewer"},
		{[]string{"user", "add", "boss2", "--role", "manager"}, 1, "boss2"},
		{[]string{"user"}, 2, "want a subcommand"},
		{[]string{"user", "add"}, 2, "give a user name and --role"},
		{[]string{"token", "add", "审核岗", "--scope", "ops:reviewer"}, 0, "token 审核岗 (ops:reviewer): qz_"},
		{[]string{"token", "add", "x", "--scope", "ops:boss"}, 2, "token role \"boss\""},
		{[]string{"token", "add", "x"}, 2, "give a token name and --scope"},
		{[]string{"token", "add", "看板", "--scope", "read"}, 0, "token 看板 (read): qz_"},
		{[]string{"token", "add", "看板", "--scope", "read"}, 0, "token 看板 (read): qz_"},
		{[]string{"token", "list"}, 0, "审核岗"},
		{[]string{"token", "revoke", "看板"}, 1, "2 active tokens are named \"看板\": give the id"},
		{[]string{"token", "revoke", "审核岗"}, 0, "revoked token 审核岗"},
		{[]string{"token", "revoke", "审核岗"}, 1, "no active token named \"审核岗\""},
		{[]string{"token", "revoke"}, 2, "give the token's name or id"},
		{[]string{"token", "rovoke", "x"}, 2, "did you mean \"revoke\""},
		{[]string{"user", "passwd", "boss2"}, 0, "new password for boss2"},
		{[]string{"user", "passwd", "nobody"}, 1, "user \"nobody\" not found"},
		{[]string{"user", "disable", "boss2"}, 0, "disabled boss2"},
		{[]string{"user", "disable", "boss2"}, 1, "disabled already"},
		{[]string{"user", "list"}, 0, "boss2"},
		{[]string{"user", "enable", "boss2"}, 0, "enabled boss2"},
		{[]string{"user", "disable"}, 2, "give a user name"},
		{[]string{"user", "disabel", "x"}, 2, "did you mean \"disable\""},
	} {
		code, out, errs := runMain(t, dir, tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.want) {
			t.Errorf("%v: %d %q %q, want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
	// The list says who is disabled and which token is revoked.
	runMain(t, dir, "user", "disable", "boss2")
	if _, out, _ := runMain(t, dir, "user", "list"); !regexp.MustCompile(`boss2\s+manager\s+organisation\s+disabled\s+never`).MatchString(out) {
		t.Errorf("user list:\n%s", out)
	}
	if _, out, _ := runMain(t, dir, "token", "list"); !regexp.MustCompile(`审核岗\s+ops:reviewer\s+revoked`).MatchString(out) || strings.Contains(out, "qz_") {
		t.Errorf("token list:\n%s", out)
	}
}
