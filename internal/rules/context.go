package rules

import (
	"slices"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Context. Words alone cannot tell a teacher offering the day's slides to
// the class from a stranger touting "materials", or a member asking the
// group owner to add them on WeChat from a member touting their account:
// who speaks, to whom, and in what kind of group decide. The engine
// learns the speaker and the addressee from the platform (Input.Lecturer,
// Input.ToStaff: the Decider asks for them only when a verdict could turn
// on them) and reads a few general cues in the text: a title of the
// group's staff at the start of a question, the group's own course
// material, a price.

var (
	// Titles of a group's staff, as members address them.
	staffTitles = runesOf("群主", "管理员", "群管", "老师", "班主任", "助教", "秘书长", "店长", "客服", "版主", "admin")
	// The group's own course material.
	courseWords = runesOf("课件", "讲义", "笔记", "作业", "录屏", "回放", "课程资料", "上课的", "这节课", "今天的课", "老师讲的", "ppt", "复盘")
	// A price: what an offer of material for sale carries (besides a sum:
	// priced).
	priceWords = runesOf("收费", "付费", "价格", "优惠", "折扣", "包邮", "团购价", "原价", "定金", "下单")
)

// teaching reports whether classmates share the course's material in a
// kind of group (community.GroupKind.Teaching).
func teaching(kind string) bool { return community.GroupKind(kind).Teaching() }

// inContext removes the ad hits, and the model's guesses of any offer,
// that the context shows are no offence:
//
//   - a lecturer's offer in the groups they teach is not an ad;
//   - a message to the group's staff (a reply or a mention, or a question
//     that starts by addressing them: "群主，能加一下你微信吗？") that
//     carries no id, number or link is not an ad;
//   - in a teaching group, offering the course's own material to
//     classmates ("今天的课件我整理好了，需要的同学私聊我") without an id,
//     number, link or price is not an ad.
func (sc *scratch) inContext(hits []Hit, in *Input) []Hit {
	if len(hits) == 0 {
		return hits
	}
	lift := in.Lecturer && (in.GroupKind == "" || teaching(in.GroupKind))
	if !sc.payload {
		lift = lift || in.ToStaff || askingStaff(sc.n.out, sc.cue) ||
			sc.cue.has(cueCourse) && !sc.cue.has(cuePrice) && !priced(sc.n.out) && teaching(in.GroupKind)
	}
	if !lift {
		return hits
	}
	out := hits[:0]
	for _, h := range hits {
		// The words of an ad, and the model's guesses of any offer, go.
		if h.Category != "ad" && !(h.Term == ModelTerm && slices.Contains(offers, h.Category)) {
			out = append(out, h)
		}
	}
	return out
}

// offers are the categories of something offered or asked for, which a
// message in conversation with staff, or a lecturer's, is presumed not to
// be unless its words say so.
var offers = []string{"ad", "vote", "donation", "porn", "gambling", "drugs"}

// askingStaff reports whether a message is a question that starts by
// addressing the group's staff by title: "群主，能加一下你微信吗？",
// "@老师 这个资料在哪里领".
func askingStaff(norm []rune, c cues) bool {
	if !c.has(cueTitle) || len(norm) == 0 {
		return false
	}
	title := false
	for _, t := range staffTitles {
		for i := 0; i <= 2 && i+len(t) <= len(norm); i++ {
			if hasPrefixAt(norm, i, t) {
				title = true
			}
		}
	}
	if !title {
		return false
	}
	last := norm[len(norm)-1]
	return last == '吗' || last == '呢' || last == '么' || last == '?' || last == '？' ||
		len(norm) >= 2 && (norm[len(norm)-2] == '吗' || norm[len(norm)-2] == '呢')
}

// priced reports whether a normalised text names a sum: a number, in
// digits or Chinese numerals, then 元 or 块 ("19.9元一份" folds to
// "199元一份").
func priced(norm []rune) bool {
	for i := 1; i < len(norm); i++ {
		if norm[i] != '元' && norm[i] != '块' {
			continue
		}
		if _, ok := digitOf(norm[i-1]); ok || norm[i-1] == '十' || norm[i-1] == '百' || norm[i-1] == '千' {
			return true
		}
	}
	return false
}
