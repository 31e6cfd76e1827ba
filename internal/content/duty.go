package content

import "time"

// Duty reminders: when a push goes out, the assistant on duty (店小二) is
// reminded to follow it up within FollowUpWindow, with a suggested
// interaction prompt for the time of day.

var prompts = map[string][]string{
	"morning": {
		"早上好！看完今天的分享，你最想先试哪一条？",
		"新的一天开始啦，这条里哪个点对你最有用？说说你的情况，我来帮你看看。",
		"早安！这条内容你怎么看？有疑问直接在群里问，我一一解答。",
	},
	"noon": {
		"午休聊两句：刚才的分享里，哪一点你已经在做了？效果怎么样？",
		"中午好！这个方法你试过吗？来分享一下你的经验。",
		"吃饭间隙看一看，有不明白的地方随时@我，下午统一回复。",
	},
	"evening": {
		"晚上好！今天的内容大家有什么收获？说一条你明天就能用上的。",
		"忙了一天，来聊聊：这个问题你们平时是怎么解决的？",
		"今晚有空的朋友说说你的看法，点赞最多的我明天单独回复。",
	},
}

// Period names the part of the day a slot is in — morning, noon or
// evening — by its name when it is one of those, else by the push's time
// of day in loc (before 11:00 morning, before 17:00 noon, else evening).
func Period(slot string, at time.Time, loc *time.Location) string {
	if _, ok := prompts[slot]; ok {
		return slot
	}
	if loc == nil {
		loc = time.UTC
	}
	switch h := at.In(loc).Hour(); {
	case h < 11:
		return "morning"
	case h < 17:
		return "noon"
	}
	return "evening"
}

// Prompt suggests what the assistant on duty might post after a push: one
// of a few prompts for the part of the day, chosen by seq (the push id),
// so that the same push always gets the same prompt and a group does not
// hear the same one every day.
func Prompt(slot string, at time.Time, loc *time.Location, seq int64) string {
	ps := prompts[Period(slot, at, loc)]
	if seq < 0 {
		seq = -seq
	}
	return ps[seq%int64(len(ps))]
}
