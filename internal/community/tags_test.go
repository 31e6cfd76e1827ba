package community

import (
	"strings"
	"testing"
)

func TestTagChecks(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"高意向", true}, {"  2026 春季营 ", true}, {"", false}, {"   ", false}, {strings.Repeat("长", 31), false}, {"a,b", false}, {"甲，乙", false}, {"x\ny", false}} {
		if _, err := CheckTagName(tc.name); (err == nil) != tc.ok {
			t.Errorf("CheckTagName(%q): %v", tc.name, err)
		}
	}
	if n, _ := CheckTagName("  2026 春季营 "); n != "2026 春季营" {
		t.Errorf("trimmed %q", n)
	}
	for _, tc := range []struct {
		s  TagSubject
		r  TagRule
		ok bool
	}{
		{TagGroups, TagRule{Field: RuleKind, Value: "cohort"}, true},
		{TagGroups, TagRule{Field: RuleKind, Value: "party"}, false},
		{TagGroups, TagRule{Field: RuleNode, Value: "12"}, true},
		{TagGroups, TagRule{Field: RuleNode, Value: "-1"}, false},
		{TagGroups, TagRule{Field: RuleTemplate, Value: "x"}, false},
		{TagGroups, TagRule{Field: RuleSource, Value: "event"}, false},
		{TagPeople, TagRule{Field: RuleSource, Value: "referral"}, true},
		{TagPeople, TagRule{Field: RuleSource, Value: "magic"}, false},
		{TagPeople, TagRule{Field: RuleStatus, Value: "zombie"}, true},
		{TagPeople, TagRule{Field: RuleStatus, Value: "dead"}, false},
		{TagPeople, TagRule{Field: RuleLevel, Value: "3"}, true},
		{TagPeople, TagRule{Field: RuleKind, Value: "cohort"}, false},
		{TagPeople, TagRule{Field: "", Value: ""}, false},
	} {
		if err := tc.r.Check(tc.s); (err == nil) != tc.ok {
			t.Errorf("%s %+v: %v", tc.s, tc.r, err)
		}
	}
	if (Segment{Status: "active"}).Check() != nil || (Segment{Status: "sleepy"}).Check() == nil {
		t.Error("Segment.Check")
	}
	if (TagRule{Value: "42"}).ID64() != 42 || TagSubject("x").Valid() {
		t.Error("ID64, Valid")
	}
}
