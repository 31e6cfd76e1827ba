package rules

import (
	"testing"
	"time"
)

func TestParseCommand(t *testing.T) {
	tests := []struct {
		text, bot string
		ok        bool
		name      string
		d         time.Duration
		reason    string
	}{
		{"/ban", "", true, "ban", 0, ""},
		{"/mute @alice 2h 刷屏", "", true, "mute", 2 * time.Hour, "刷屏"},
		{"/mute 30m", "", true, "mute", 30 * time.Minute, ""},
		{"/KICK 广告", "", true, "kick", 0, "广告"},
		{"/rules@qunzhu_bot", "qunzhu_bot", true, "rules", 0, ""},
		{"/rules@other_bot", "qunzhu_bot", false, "", 0, ""},
		{"／warn 注意言辞", "", true, "warn", 0, "注意言辞"},
		{"举报", "", true, "report", 0, ""},
		{"/unknown", "", false, "", 0, ""},
		{"ban him", "", false, "", 0, ""},
		{"/", "", false, "", 0, ""},
	}
	for _, tt := range tests {
		c, ok := ParseCommand(tt.text, tt.bot)
		if ok != tt.ok || c.Name != tt.name || c.Duration != tt.d || c.Reason != tt.reason {
			t.Errorf("ParseCommand(%q) = %+v %v", tt.text, c, ok)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add("/mute @a 1h x", "bot")
	f.Add("/mute 9999999d", "")
	f.Fuzz(func(t *testing.T, text, bot string) {
		c, ok := ParseCommand(text, bot)
		if ok && (!commands[c.Name] || c.Duration < 0) {
			t.Fatalf("ParseCommand(%q) = %+v", text, c)
		}
	})
}
