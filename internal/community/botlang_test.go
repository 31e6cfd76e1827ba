package community

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// botWords are the Latin words a Chinese bot message may hold: commands
// members type and units.
var botWords = map[string]bool{"signup": true, "open": true, "KB": true}

var (
	latinWord = regexp.MustCompile(`[A-Za-z]+`)
	hanChar   = regexp.MustCompile(`\p{Han}`)
)

// mixedLanguage says what in a bot message is not in lang: Latin words in
// a Chinese one (but for botWords), Chinese characters in an English one.
// The names and titles of the message are given, to be left out.
func mixedLanguage(lang, text string, userData ...string) []string {
	for _, d := range userData {
		text = strings.ReplaceAll(text, d, " ")
	}
	if lang == BotEn {
		return hanChar.FindAllString(text, -1)
	}
	var out []string
	for _, w := range latinWord.FindAllString(text, -1) {
		if !botWords[w] {
			out = append(out, w)
		}
	}
	return out
}

// Every message the bot posts from this package is in one language: the
// group's.
func TestBotMessagesOneLanguage(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)
	for _, lang := range []string{BotZh, BotEn} {
		// User data in the other language than the message's, so that a
		// check that lets the message's own language through cannot pass
		// by accident.
		title, place, a, b, reason := "线下实操课", "阳新县电商产业园", "张三", "李四", "暴雨预警"
		if lang == BotZh {
			title, place, a, b, reason = "Live class", "Yangxin park", "Zhang", "Li", "storm warning"
		}
		l := SignupList{Title: title, Capacity: 3, EventAt: &at, Place: place, Entries: []SignupEntry{
			{N: 1, Name: a, Status: SignupIn, CheckedIn: true}, {N: 2, Name: b, Status: SignupWaitlist}}}
		user := []string{title, place, a, b, reason}
		for name, text := range map[string]string{
			"sign-up list":        SignupText(lang, l, loc),
			"empty list":          SignupText(lang, SignupList{Title: title}, loc),
			"closed list":         SignupText(lang, SignupList{Title: title, Closed: true}, loc),
			"cancellation":        CancelText(lang, l, reason, loc),
			"purge notice":        PurgeNoticeText(lang, []string{a, b}, 7),
			"purge withdrawn":     PurgeWithdrawnText(lang),
			"temporary group end": ExpiryNotice(lang, "2026-12-31 18:00"),
			"promotion":           PromotionText(lang, a, TierName("单店合伙人 store partner", lang), TierName("创始合伙人 founding partner", lang), 3),
		} {
			if bad := mixedLanguage(lang, text, user...); len(bad) > 0 {
				t.Errorf("%s, %s: %q in\n%s", lang, name, bad, text)
			}
		}
	}
}

func TestDurationText(t *testing.T) {
	for _, tt := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{BotZh, 72 * time.Hour, "3 天"}, {BotEn, 72 * time.Hour, "3 days"},
		{BotZh, time.Hour, "1 小时"}, {BotEn, time.Hour, "1 hour"}, {BotEn, 90 * time.Minute, "90 minutes"}, {BotZh, 30 * time.Second, "1 分钟"},
	} {
		if got := DurationText(tt.lang, tt.d); got != tt.want {
			t.Errorf("DurationText(%s, %v) = %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
}
