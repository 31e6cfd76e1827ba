package content

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Separation of duties (审核分离): by default whoever wrote a script's text
// cannot also approve it, and a script the lint marks as advertising or a
// banned category is approved only by someone allowed to override the
// lint, with a reason that is recorded. A one-person team can allow the
// first (ContentSettings.SelfApproval); the second always holds.

// ContentSettings are an organisation's content settings.
type ContentSettings struct {
	StaffGroup int64 // where duty reminders are posted (0: nowhere)
	// SelfApproval lets the writer of a script approve it: for a team of
	// one. Off by default.
	SelfApproval bool
}

// The refusals of an approval, for errors.Is: callers show their own
// words for them.
var (
	ErrSelfApproval = errors.New("the writer of a script cannot also approve it")
	ErrNeedsReason  = errors.New("the lint flags this script: approving it needs a reason")
	ErrNoOverride   = errors.New("the lint flags this script: approving it needs the right to override the lint")
)

// MaxOverrideReason is how long an override reason may be, in characters.
const MaxOverrideReason = 500

// Writers returns who wrote a script's text: the author and everyone whose
// revision changed its title or body.
func Writers(sc Script, revs []Revision) []string {
	out := []string{sc.Author}
	var title, body string
	for i, r := range revs {
		if (i == 0 || r.Title != title || r.Body != body) && !slices.Contains(out, r.Editor) {
			out = append(out, r.Editor)
		}
		title, body = r.Title, r.Body
	}
	return out
}

// CheckApprover refuses an approval by one of the script's writers unless
// the organisation allows self-approval.
func CheckApprover(approver string, writers []string, allowSelf bool) error {
	if !allowSelf && slices.Contains(writers, approver) {
		return errkind.Errorf(errkind.Forbidden, "%w: ask another reviewer (a team of one can allow self-approval in the content settings)", ErrSelfApproval)
	}
	return nil
}

// NeedsOverride returns the findings an approval has to override: a
// banned category (advertising included) or hard selling.
func NeedsOverride(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Code == CodeBannedCategory || f.Code == CodeHardSelling {
			out = append(out, f)
		}
	}
	return out
}

// CheckOverride refuses to approve a script with findings that need
// overriding unless the approver may override the lint and gives a reason
// (at most MaxOverrideReason characters).
func CheckOverride(findings []Finding, reason string, mayOverride bool) error {
	flagged := NeedsOverride(findings)
	if len(flagged) == 0 {
		return nil
	}
	codes := make([]string, len(flagged))
	for i, f := range flagged {
		codes[i] = string(f.Code)
		if f.Evidence.Category != "" {
			codes[i] += ":" + f.Evidence.Category
		}
	}
	switch {
	case !mayOverride:
		return errkind.Errorf(errkind.Forbidden, "%w (%s)", ErrNoOverride, strings.Join(codes, ", "))
	case strings.TrimSpace(reason) == "":
		return errkind.Errorf(errkind.Invalid, "%w (%s)", ErrNeedsReason, strings.Join(codes, ", "))
	case utf8.RuneCountInString(reason) > MaxOverrideReason:
		return errkind.Errorf(errkind.Invalid, "reason: at most %d characters", MaxOverrideReason)
	}
	return nil
}

// ReviewNotice is what the bot says, in the group's bot language (lang),
// in the group a member's 投稿 came from when a reviewer decides it:
// thanks when approved, the reason when not.
func ReviewNotice(lang, name, title string, approved bool, reason string) string {
	switch {
	case lang == community.BotEn && approved:
		return fmt.Sprintf("@%s Your submission “%s” was approved and will be pushed. Thank you!", name, title)
	case lang == community.BotEn:
		return fmt.Sprintf("@%s Your submission “%s” was not accepted: %s. You are welcome to revise it and submit again.", name, title, reason)
	case approved:
		return fmt.Sprintf("@%s 你的投稿《%s》已通过审核，会在合适的时间推送。谢谢分享！", name, title)
	}
	return fmt.Sprintf("@%s 你的投稿《%s》这次没有通过：%s。欢迎修改后再投稿。", name, title, reason)
}
