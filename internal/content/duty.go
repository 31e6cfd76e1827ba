package content

import (
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Duty reminders: when a push goes out, the assistant on duty (店小二) is
// reminded to follow it up within FollowUpWindow, with a suggested
// interaction prompt for the time of day in the group.

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
	"afternoon": {
		"下午好！刚发的这条，大家手上的事忙完了可以聊聊：你会怎么用？",
		"下午茶时间，说说你的看法：这条里哪一点你最认同？",
		"这个问题你们平时遇到过吗？下午有空的朋友来说说怎么解决的。",
	},
	"evening": {
		"晚上好！今天的内容大家有什么收获？说一条你明天就能用上的。",
		"忙了一天，来聊聊：这个问题你们平时是怎么解决的？",
		"今晚有空的朋友说说你的看法，点赞最多的我明天单独回复。",
	},
}

// Periods are the parts of the day prompts are written for, in order.
var Periods = []string{"morning", "noon", "afternoon", "evening"}

// Period names the part of the day t is in, in loc (the group's zone):
// morning from 05:00, noon from 11:00, afternoon from 14:00, evening from
// 18:00 to 05:00. It goes by the clock, never by the slot's name: a
// morning push deferred to 16:20 is an afternoon's.
func Period(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	switch h := t.In(loc).Hour(); {
	case h >= 5 && h < 11:
		return "morning"
	case h >= 11 && h < 14:
		return "noon"
	case h >= 14 && h < 18:
		return "afternoon"
	}
	return "evening"
}

// Prompt suggests what the assistant on duty might post after a push that
// goes out at t: one of a few prompts for that part of the day in loc,
// chosen by seq (the push id), so that the same push always gets the same
// prompt and a group does not hear the same one every day.
func Prompt(t time.Time, loc *time.Location, seq int64) string {
	ps := prompts[Period(t, loc)]
	if seq < 0 {
		seq = -seq
	}
	return ps[seq%int64(len(ps))]
}

// Roster is who of a group's staff take turns being on duty for its pushes
// (店小二轮流), in order. A group without one rotates over all its
// assistants by person id (Default).
type Roster struct {
	GroupID   int64
	Group     string
	People    []RosterEntry
	Default   bool   // no roster set: the group's assistants take turns
	UpdatedBy string // who set it last ("" for the default)
	UpdatedAt *time.Time
	// Staff are the group's owner, secretaries and assistants now: who
	// may be on it.
	Staff []RosterEntry
}

// RosterEntry is one person on a roster, or of a group's staff.
type RosterEntry struct {
	PersonID int64
	Name     string // their nickname in the group, else their name
	Role     string // their role in the group (community.Role)
}

// MaxRoster is how many people a roster may name.
const MaxRoster = 20

// CheckRoster checks a roster before it is stored: at most MaxRoster
// people, each once, each on the group's staff now (onStaff).
func CheckRoster(people []int64, onStaff func(int64) bool) error {
	if len(people) > MaxRoster {
		return errkind.Errorf(errkind.Invalid, "roster: at most %d people, got %d", MaxRoster, len(people))
	}
	seen := map[int64]bool{}
	for _, p := range people {
		if seen[p] {
			return errkind.Errorf(errkind.Invalid, "roster: person %d is named twice", p)
		}
		seen[p] = true
		if !onStaff(p) {
			return errkind.Errorf(errkind.Invalid, "roster: person %d is not on the group's staff (群主, 秘书长 or 店小二)", p)
		}
	}
	return nil
}
