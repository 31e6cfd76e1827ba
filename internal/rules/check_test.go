package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCheck(t *testing.T, stdin string, args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := CheckMain(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCheckCLI(t *testing.T) {
	code, out, _ := runCheck(t, "微信支付怎么开通\n加 薇 信 abc1688 领资料\n帮我家孩子投一票\n")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	if !strings.HasPrefix(lines[0], "allow\t\t\t") || !strings.HasPrefix(lines[1], "warn\tad\t") || !strings.HasPrefix(lines[2], "kick\tvote\t") {
		t.Fatalf("output:\n%s", out)
	}
	code, out, _ = runCheck(t, "", "--json", "线上棋牌，稳赚不赔", "大家好")
	var obj map[string]any
	first := strings.Split(out, "\n")[0]
	if code != 0 || json.Unmarshal([]byte(first), &obj) != nil || obj["verdict"] != "ban" || obj["category"] != "gambling" || obj["text"] != "线上棋牌，稳赚不赔" {
		t.Fatalf("json: %d %s", code, out)
	}
	if m, _ := obj["matched"].([]any); len(m) == 0 {
		t.Fatalf("json without matched words: %s", out)
	}
	code, out, _ = runCheck(t, "水滴筹\n你好\n你好\n", "--count")
	if code != 0 || !strings.Contains(out, "donation\t1") || !strings.Contains(out, "allow\t2") || !strings.Contains(out, "messages/s") {
		t.Fatalf("count: %d %s", code, out)
	}
}

func TestCheckCLIFiles(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(dir, "words.txt")
	os.WriteFile(dict, []byte("# our words\n团购接龙\tgroupbuy\n"), 0o644)
	rules := filepath.Join(dir, "rules.toml")
	os.WriteFile(rules, []byte("[categories]\ngroupbuy = \"warn\"\nvote = \"warn\"\n"), 0o644)
	code, out, errs := runCheck(t, "", "--rules", rules, "--dict", dict, "团 购 接 龙 开始了", "帮我投一票")
	if code != 0 || !strings.HasPrefix(out, "warn\tgroupbuy\t") || !strings.Contains(out, "warn\tvote\t") {
		t.Fatalf("custom category: %d %q %s", code, out, errs)
	}
	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[quiet]\nallow = \"23:30-\"\n"), 0o644)
	if code, _, errs := runCheck(t, "", "--rules", bad, "x"); code != 2 || !strings.Contains(errs, "bad.toml:2:") {
		t.Fatalf("bad rules file: %d %s", code, errs)
	}
	badDict := filepath.Join(dir, "bad.txt")
	os.WriteFile(badDict, []byte("好词\tad\n  !!  \tad\n"), 0o644)
	if code, _, errs := runCheck(t, "", "--dict", badDict, "x"); code != 2 || !strings.Contains(errs, "bad.txt:2:") {
		t.Fatalf("bad dictionary: %d %s", code, errs)
	}
	if code, _, errs := runCheck(t, "", "--frobnicate"); code != 2 || !strings.Contains(errs, "usage:") {
		t.Fatalf("bad flag: %d %s", code, errs)
	}
	if code, _, _ := runCheck(t, "", "--json", "--count"); code != 2 {
		t.Fatal("--json with --count accepted")
	}
}

// TestCheckSavedFile: a file the console saved holds only what it changes;
// checked on its own it still has its preset, the organisation's
// default.toml and the dictionaries it names — it does not allow
// everything.
func TestCheckSavedFile(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "groups"), 0o755)
	os.WriteFile(filepath.Join(dir, "default.toml"), []byte("dictionaries = [\"words.txt\"]\n[categories]\ngroupbuy = \"warn\"\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "words.txt"), []byte("团购接龙\tgroupbuy\n"), 0o644)
	saved := filepath.Join(dir, "groups", "17.toml")
	os.WriteFile(saved, []byte("[quiet]\nallow = \"07:00-22:00\"\n"), 0o644)
	code, out, errs := runCheck(t, "", "--rules", saved, "加 薇 信 abc1688 领资料", "团购接龙开始了", "周日来教会做礼拜")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 3 || !strings.HasPrefix(lines[0], "warn\tad\t") || !strings.HasPrefix(lines[1], "warn\tgroupbuy\t") || !strings.HasPrefix(lines[2], "delete\treligion\t") {
		t.Fatalf("saved group file: %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "preset academy + ") || !strings.Contains(errs, "default.toml + ") {
		t.Errorf("the layers are not named: %s", errs)
	}
	// A file that names its preset.
	os.WriteFile(saved, []byte("preset = \"owners\"\n"), 0o644)
	if _, out, errs := runCheck(t, "", "--rules", saved, "周日来教会做礼拜"); !strings.HasPrefix(out, "allow\t") {
		t.Errorf("owners' preset named: %s %s", out, errs)
	}
	os.WriteFile(saved, []byte("preset = \"villa\"\n"), 0o644)
	if code, _, errs := runCheck(t, "", "--rules", saved, "x"); code != 2 || !strings.Contains(errs, "17.toml:1: preset `villa`") {
		t.Errorf("unknown preset: %d %s", code, errs)
	}
}

// TestCheckGroup: --group asks the application for the group's rules and
// engine, and checks with them and the group's kind.
func TestCheckGroup(t *testing.T) {
	if code, _, errs := runCheck(t, "", "--group", "3", "x"); code != 2 || !strings.Contains(errs, "not available") {
		t.Fatalf("--group without the application: %d %s", code, errs)
	}
	owners, _ := Preset("owners")
	cmd := CheckCommand{Group: func(_ context.Context, config string, id int64) (GroupRules, error) {
		if config != "q.toml" || id != 3 {
			t.Errorf("asked for %q %d", config, id)
		}
		return GroupRules{Rules: owners, Layers: []Layer{{"preset owners", owners}}, Engine: NewEngine(nil, nil), Kind: "cohort"}, nil
	}}
	var out, errb bytes.Buffer
	code := cmd.Main([]string{"--group", "3", "--config", "q.toml", "周日来教会做礼拜", "今天的课件我整理好了，需要的同学私聊我"}, strings.NewReader(""), &out, &errb)
	if code != 0 || out.String() != "allow\t\t\t周日来教会做礼拜\nallow\t\t\t今天的课件我整理好了，需要的同学私聊我\n" {
		t.Errorf("--group: %d %q %s", code, out.String(), errb.String())
	}
	if code, _, _ := runCheck(t, "", "--config", "q.toml", "x"); code != 2 {
		t.Error("--config without --group accepted")
	}
}

// With a cache directory, check compiles the dictionaries once and reads
// them after; what it prints is the same either way.
func TestCheckCache(t *testing.T) {
	dir := t.TempDir()
	dict := filepath.Join(t.TempDir(), "ops.txt")
	if err := os.WriteFile(dict, []byte(cacheDict), 0o600); err != nil {
		t.Fatal(err)
	}
	input := strings.Join(cacheMessages, "\n") + "\n"
	run := func(args ...string) (string, string) {
		var out, errb bytes.Buffer
		if code := (CheckCommand{Cache: dir}).Main(append([]string{"--dict", dict}, args...), strings.NewReader(input), &out, &errb); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errb.String())
		}
		return out.String(), errb.String()
	}
	want, _ := run("--no-cache")
	if files := cacheFilesIn(t, dir); len(files) != 0 {
		t.Fatalf("--no-cache wrote %v", files)
	}
	cold, _ := run()
	files := cacheFilesIn(t, dir)
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	warm, _ := run()
	if cold != want || warm != want {
		t.Fatalf("without the cache:\n%s\ncompiling:\n%s\nfrom the cache:\n%s", want, cold, warm)
	}
	if err := os.WriteFile(filepath.Join(dir, files[0]), []byte("damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	again, stderr := run()
	if again != want || !strings.Contains(stderr, "dictionary cache not used") {
		t.Fatalf("after damage: stderr %q, output:\n%s", stderr, again)
	}
}
