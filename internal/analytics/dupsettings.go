package analytics

import "github.com/qunzhu/qunzhu/internal/errkind"

// DuplicateSettings are an organisation's choices about members in
// several groups (docs/metrics.md, "One member, several groups"): whether
// joining a second group of a family is refused (FamilyGate), from how
// many groups a member counts as in too many (Overall, 0: not counted),
// and which group a duplicate stays in (Keep).
type DuplicateSettings struct {
	FamilyGate bool
	Overall    int
	Keep       KeepRule
}

// MaxOverall bounds DuplicateSettings.Overall.
const MaxOverall = 100

// DefaultDuplicateSettings are an organisation's until it sets its own:
// no gate, no overall threshold, the group joined first kept.
func DefaultDuplicateSettings() DuplicateSettings {
	return DuplicateSettings{Keep: KeepEarliest}
}

// ValidOverall reports an acceptable threshold: 0 (off) or 2 to
// MaxOverall (in more than one group is what a duplicate is anyway).
func ValidOverall(n int) bool { return n == 0 || n >= 2 && n <= MaxOverall }

// Validate checks the threshold and the rule.
func (s DuplicateSettings) Validate() error {
	if !s.Keep.Valid() {
		return errkind.Errorf(errkind.Invalid, "keep rule %q: want earliest or active", s.Keep)
	}
	if !ValidOverall(s.Overall) {
		return errkind.Errorf(errkind.Invalid, "overall groups: want 0 or 2 to %d, got %d", MaxOverall, s.Overall)
	}
	return nil
}
