package chat

import "testing"

func TestStripReplyFallback(t *testing.T) {
	for _, tt := range []struct{ body, want string }{
		{"> <@a:x> 原话\n\n回复", "回复"},
		{"> <@a:x> 第一行\n> 第二行\n\n回复\n第二段", "回复\n第二段"},
		{"回复", "回复"},
		{"> 引用一句，没有空行\n接着说", "> 引用一句，没有空行\n接着说"},
		{"> <@a:x> 只有引用", "> <@a:x> 只有引用"},
		{"> <@a:x> 原话\n\n", ""},
		{">no space\n\nx", ">no space\n\nx"},
		{"", ""},
	} {
		if got := StripReplyFallback(tt.body); got != tt.want {
			t.Errorf("StripReplyFallback(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestFirstLink(t *testing.T) {
	for _, tt := range []struct{ text, want string }{
		{"看这个 https://t.cn/abc 不错", "https://t.cn/abc"},
		{"http之类的词 https://a.example/x\n下一行", "https://a.example/x"},
		{"http://a.example 和 https://b.example", "http://a.example"},
		{"https://end.example", "https://end.example"},
		{"没有链接", ""},
	} {
		if got := FirstLink(tt.text); got != tt.want {
			t.Errorf("FirstLink(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
