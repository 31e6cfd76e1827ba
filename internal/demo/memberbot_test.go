package demo

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/qunzhu/qunzhu/internal/rules"
)

func TestWriteBotRules(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBotRules(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "default.toml"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.ParseRuleSet("default.toml", b)
	if err != nil {
		t.Fatal(err)
	}
	// The sim's members ask these (internal/chat/sim/corpus).
	for _, q := range []string{"客服话术模板在哪里下载？", "我们村的土蜂蜜想上淘宝，需要办食品经营许可证吗", "请问物业电话是多少？", "装修时间规定是几点到几点？"} {
		if _, _, ok := rs.FAQ.Ask(q); !ok {
			t.Errorf("%q gets no answer", q)
		}
	}
	if !rs.Welcome.On() || !rs.Checkin.On() || !rs.Raid.On() {
		t.Error("no welcome, check-in or lockdown")
	}
	// Run again: what is there is kept.
	if err := os.WriteFile(filepath.Join(dir, "default.toml"), []byte("# changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteBotRules(dir); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "default.toml")); string(b) != "# changed\n" {
		t.Errorf("a second run overwrote the file: %q", b)
	}
}
