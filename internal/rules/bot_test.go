package rules

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const botExample = `
[faq]
cooldown = "10m"

[[faq.entry]]
name = "课表"
keys = ["课表", "上课时间"]
reply = "本期课表：每周二、四晚 8 点，腾讯会议 123-456-789。"
image = "https://example.com/kb.png"

[[faq.entry]]
name = "报名链接"
keys = ["怎么报名", "报名入口"]
reply = "报名请点："
link = "https://example.com/signup"
title = "第7期报名"

[[faq.entry]]
name = "作业"
reply = "作业交到群公告里的收集表。"

[gate]
mode = "button"
timeout = "5m"

[raid]
joins = 10
within = "60s"
lockdown = "30m"
action = "hold"

[welcome]
text = "欢迎 {members} 加入{group}！{rules}\n群规全文：{link}"
window = "60s"

[checkin]
words = ["打卡", "签到打卡"]
points = 2
streak_bonus = 5
post_points = 1
reset = "monthly"
`

func TestBotSections(t *testing.T) {
	rs, err := ParseRuleSet("g.toml", []byte(botExample))
	if err != nil {
		t.Fatal(err)
	}
	b := rs.Bot
	if len(b.FAQ.Entries) != 3 || b.FAQ.Wait() != 10*time.Minute || b.FAQ.Entries[1].Title != "第7期报名" {
		t.Errorf("faq %+v", b.FAQ)
	}
	if !b.Gate.On() || b.Gate.Mode != GateButton || b.Gate.Wait() != 5*time.Minute {
		t.Errorf("gate %+v", b.Gate)
	}
	if !b.Raid.On() || b.Raid.Joins != 10 || b.Raid.Span() != time.Minute || b.Raid.Period() != 30*time.Minute || !b.Raid.Hold() {
		t.Errorf("raid %+v", b.Raid)
	}
	if !b.Welcome.On() || b.Welcome.Span() != time.Minute || b.Welcome.English() {
		t.Errorf("welcome %+v", b.Welcome)
	}
	if c := b.Checkin; !c.On() || c.PerCheckin() != 2 || c.PostCap() != DefaultPostsPerDay || !c.Monthly() || len(c.Triggers()) != 2 {
		t.Errorf("checkin %+v", c)
	}
	// Sections left out are off; an empty [checkin] is on with the defaults.
	rs, err = ParseRuleSet("g.toml", []byte("[checkin]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !rs.Checkin.On() || rs.Checkin.PerCheckin() != 1 || rs.Checkin.Triggers()[0] != "打卡" || rs.Welcome.On() || rs.Raid.On() || rs.Gate.On() {
		t.Errorf("defaults %+v", rs.Bot)
	}
}

func TestBotErrors(t *testing.T) {
	tests := []struct{ src, line, zh string }{
		{"[gate]\nmode = \"captcha\"\n", "g.toml:2: mode \"captcha\"", "验证方式"},
		{"[gate]\nmode = \"code\"\ntimeout = \"5s\"\n", "g.toml:3: timeout: want 30s", "30 秒到 24 小时"},
		{"[raid]\njoins = 1\n", "g.toml:2: joins: want 2", "2 到 1000"},
		{"[raid]\njoins = 10\naction = \"ban\"\n", "g.toml:3: action \"ban\"", "处理方式"},
		{"[raid]\njoins = 10\nlockdown = \"30d\"\n", "g.toml:3: lockdown: want 1s to 7d", "7 天"},
		{"[welcome]\ntext = \"欢迎 {name}\"\n", "g.toml:2: text: unknown placeholder {name}", "{name}"},
		{"[welcome]\ntext = \"hi\"\nwindow = \"1h\"\n", "g.toml:3: window: want 1s to 10m", "10 分钟"},
		{"[welcome]\nlang = \"fr\"\n", "g.toml:2: lang \"fr\"", "zh 或 en"},
		{"[checkin]\nwords = [\"/打卡\"]\n", "g.toml:2: word \"/打卡\"", "不用加 /"},
		{"[checkin]\npoints = -1\n", "g.toml:2: points: want 0 to 1000", "每次打卡的积分"},
		{"[checkin]\nreset = \"weekly\"\n", "g.toml:2: reset \"weekly\"", "每月"},
		{"[faq]\ncooldown = \"2d\"\n", "g.toml:2: cooldown: want 1s to 24h", "冷却"},
		// The problem of the second entry is on its line, not the first's.
		{"[[faq.entry]]\nname = \"a\"\nreply = \"x\"\n\n[[faq.entry]]\nname = \"b\"\nkeys = [\"，\"]\nreply = \"y\"\n", "g.toml:7: key \"，\"", "太短"},
		{"[[faq.entry]]\nname = \"课表\"\nreply = \"x\"\n[[faq.entry]]\nname = \"課表\"\nreply = \"y\"\n", "g.toml:5: name \"課表\": the same as entry 1", "与第 1 条重复"},
		{"[[faq.entry]]\nreply = \"x\"\n", "g.toml:1: name: required", "名称"},
		{"[[faq.entry]]\nname = \"rules\"\nreply = \"x\"\n", "g.toml:2: name \"rules\" is a chat command", "群命令"},
		{"[[faq.entry]]\nname = \"a b\"\nreply = \"x\"\n", "g.toml:2: name \"a b\": no spaces", "空格"},
		{"[[faq.entry]]\nname = \"a\"\nkeys = [\"课\"]\n", "g.toml:1: a: write a reply", "没有答案"},
		{"[[faq.entry]]\nname = \"a\"\nlink = \"example.com\"\n", "g.toml:3: link \"example.com\"", "不是网址"},
		{"[[faq.entry]]\nname = \"a\"\nreply = \"x\"\ncolour = 1\n", "g.toml:4: unknown setting `faq.entry.colour`", ""},
	}
	for _, tt := range tests {
		_, err := ParseRuleSet("g.toml", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.line) {
			t.Errorf("ParseRuleSet(%q) = %v, want %q", tt.src, err, tt.line)
			continue
		}
		var fe *FileError
		if tt.zh == "" {
			continue
		}
		if !errors.As(err, &fe) || !strings.Contains(fe.Problem.Zh, tt.zh) || fe.Problem.En == "" {
			t.Errorf("ParseRuleSet(%q): problem %+v, want Chinese words with %q", tt.src, fe, tt.zh)
		}
	}
}

func TestBotInheritance(t *testing.T) {
	org, err := ParseRuleSet("default.toml", []byte(botExample))
	if err != nil {
		t.Fatal(err)
	}
	// The node replaces 课表's answer, drops 作业, adds 群规 and turns the
	// raid lockdown off; its [welcome] only changes the window.
	node, err := ParseRuleSet("nodes/4.toml", []byte(`
[[faq.entry]]
name = "課表"
keys = ["课表"]
reply = "阳新分院课表：周三晚 7 点。"

[[faq.entry]]
name = "作业"
off = true

[[faq.entry]]
name = "群主"
keys = ["群主是谁"]
reply = "群主是王老师。"

[raid]
action = "off"

[welcome]
window = "30s"

[gate]
mode = "off"
`))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Merge(org, node)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range rs.FAQ.Entries {
		names = append(names, e.Name)
	}
	if strings.Join(names, ",") != "課表,报名链接,群主" || !strings.Contains(rs.FAQ.Entries[0].Reply, "阳新") {
		t.Errorf("entries %v %+v", names, rs.FAQ.Entries[0])
	}
	if rs.Raid.On() || rs.Gate.On() || !rs.Welcome.On() || rs.Welcome.Span() != 30*time.Second || !strings.Contains(rs.Welcome.Text, "{members}") {
		t.Errorf("merged %+v", rs.Bot)
	}
	if !rs.Checkin.On() || rs.Checkin.PerCheckin() != 2 {
		t.Errorf("checkin not inherited: %+v", rs.Checkin)
	}
	if len(org.FAQ.Entries) != 3 || org.FAQ.Entries[0].Name != "课表" {
		t.Error("Merge changed its input")
	}
	// A group turns the welcome and the check-in off.
	grp, err := ParseRuleSet("groups/9.toml", []byte("[welcome]\noff = true\n[checkin]\noff = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if rs, err = Merge(rs, grp); err != nil || rs.Welcome.On() || rs.Checkin.On() {
		t.Errorf("turned off: %v %+v", err, rs.Bot)
	}
}

func TestFAQAsk(t *testing.T) {
	rs, err := ParseRuleSet("g.toml", []byte(botExample+"\n[[faq.entry]]\nname = \"wifi\"\nkeys = [\"wifi\", \"上课时间表\"]\nreply = \"密码 12345678\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := &rs.FAQ
	tests := []struct {
		text, want string // "" for no answer
	}{
		{"请问课表在哪里", "课表"},
		{"請問課表在哪裡？", "课表"},    // traditional characters
		{"ke biao 发一下", "课表"}, // pinyin with a space
		{"有人有kebiao吗", "课表"},  // pinyin inside Chinese
		{"ke表呢", "课表"},        // mixed
		{"xkebiao", ""},       // not a word boundary
		{"上 课 时 间 是几点", "课表"}, // spaces between the characters
		{"上课时间表发一下", "wifi"},  // the longer key wins
		{"怎么报名啊", "报名链接"},     // the second entry
		{"作业交哪里", ""},         // a note only: no keys
		{"WiFi 密码多少", "wifi"}, // Latin, whole word
		{"mywifi", ""},        // not a whole word
		{"今天天气不错", ""},
	}
	for _, tt := range tests {
		i, _, ok := f.Ask(tt.text)
		got := ""
		if ok {
			got = f.Entries[i].Name
		}
		if got != tt.want {
			t.Errorf("Ask(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
	for name, want := range map[string]string{"课表": "课表", "課表": "课表", "作业": "作业", "报名链接": "报名链接", "WIFI": "wifi", "考试": ""} {
		i, ok := f.Note(name)
		got := ""
		if ok {
			got = f.Entries[i].Name
		}
		if got != want {
			t.Errorf("Note(%q) = %q, want %q", name, got, want)
		}
	}
}

func BenchmarkFAQAsk(b *testing.B) {
	rs, err := ParseRuleSet("g.toml", []byte(botExample))
	if err != nil {
		b.Fatal(err)
	}
	rs.FAQ.Ask("warm up")
	b.ReportAllocs()
	for b.Loop() {
		rs.FAQ.Ask("大家好，请问这周的课表发了吗？我想看一下上课时间")
	}
}

func TestBrief(t *testing.T) {
	academy, _ := Preset("academy")
	owners, _ := Preset("owners")
	for _, tt := range []struct {
		rs         *RuleSet
		lang, want string
	}{
		{academy, "zh", "群规要点：禁止语音、广告、宗教；无关投票、劝捐、骂人、人身攻击、造谣、传谣、色情、赌博、毒品、反动言论直接移出。"},
		{owners, "zh", "群规要点：禁止语音、广告；"},
		{academy, "en", "Rules in short: no voice messages, advertising, religion; vote solicitation"},
	} {
		if got := Brief(tt.rs, tt.lang); !strings.HasPrefix(got, tt.want) {
			t.Errorf("Brief(%s, %s) = %q, want %q…", tt.rs.Name, tt.lang, got, tt.want)
		}
	}
}

// TestWithBot: the console writes the bot's sections in place of a file's
// and keeps the rest; what it writes reads back the same.
func TestWithBot(t *testing.T) {
	file := "# our rules\nname = \"第6期\"\n\n[faq]\ncooldown = \"5m\"\n\n[[faq.entry]]\nname = \"old\"\nreply = \"x\"\n\n[flood]\nmessages = 5\nwindow = \"30s\" # per member\n\n[gate]\nmode = \"code\"\n"
	rs, err := ParseRuleSet("g.toml", []byte(botExample))
	if err != nil {
		t.Fatal(err)
	}
	out := WithBot(file, rs.Bot)
	for _, want := range []string{"# our rules", "name = \"第6期\"", "[flood]", "window = \"30s\" # per member", "[[faq.entry]]\nname = \"课表\"", "text = \"欢迎 {members} 加入{group}！{rules}\\n群规全文：{link}\""} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, `name = "old"`) || strings.Contains(out, `"code"`) {
		t.Errorf("the old sections stay:\n%s", out)
	}
	back, err := BotOf("g.toml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if back.Text() != rs.Bot.Text() {
		t.Errorf("round trip:\n%s\nwant\n%s", back.Text(), rs.Bot.Text())
	}
	// No sections: removed, the rest kept.
	if out := WithBot(file, Bot{}); strings.Contains(out, "faq") || strings.Contains(out, "gate") || !strings.Contains(out, "[flood]") {
		t.Errorf("removed:\n%s", out)
	}
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 90 * time.Second: "1m30s", time.Hour: "1h", 30 * 24 * time.Hour: "30d", 36 * time.Hour: "36h", 10 * time.Second: "10s"} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%s) = %q, want %q", d, got, want)
		}
	}
	if got := tomlString("a\"b\\c\nd\x01"); got != `"a\"b\\c\nd\u0001"` {
		t.Errorf("tomlString: %s", got)
	}
}
