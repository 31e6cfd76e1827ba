package content

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestWriters(t *testing.T) {
	sc := Script{Author: "person:7"}
	revs := []Revision{
		{Title: "t", Body: "b", Editor: "person:7", Note: "投稿"},
		{Title: "t", Body: "b", Editor: "person:7", Note: "draft → submitted"},
		{Title: "t", Body: "b", Editor: "user:amy", Note: "submitted → in_review"},
		{Title: "t", Body: "b2", Editor: "user:bob", Note: "edited"},
		{Title: "t", Body: "b2", Editor: "user:cat", Note: "in_review → rejected 重复"},
	}
	if got := Writers(sc, revs); !slices.Equal(got, []string{"person:7", "user:bob"}) {
		t.Fatalf("writers %v", got)
	}
	if err := CheckApprover("user:bob", Writers(sc, revs), false); !errkind.Is(err, errkind.Forbidden) || !errors.Is(err, ErrSelfApproval) {
		t.Fatalf("an editor approving: %v", err)
	}
	if err := CheckApprover("user:amy", Writers(sc, revs), false); err != nil {
		t.Fatalf("a reviewer who changed nothing: %v", err)
	}
	if err := CheckApprover("user:bob", Writers(sc, revs), true); err != nil {
		t.Fatalf("self-approval allowed: %v", err)
	}
}

func TestCheckOverride(t *testing.T) {
	ad := []Finding{{Code: CodeTooShort}, {Code: CodeBannedCategory, Evidence: Evidence{Category: "ad"}}}
	selling := []Finding{{Code: CodeHardSelling}}
	clean := []Finding{{Code: CodeTooShort}, {Code: CodeNearDuplicate}}
	tests := []struct {
		name     string
		findings []Finding
		reason   string
		may      bool
		kind     errkind.Kind
		is       error
	}{
		{"clean", clean, "", false, "", nil},
		{"an ad without the right", ad, "合作方的公益活动", false, errkind.Forbidden, ErrNoOverride},
		{"an ad without a reason", ad, "  ", true, errkind.Invalid, ErrNeedsReason},
		{"an ad with both", ad, "合作方的公益活动，已核实", true, "", nil},
		{"hard selling", selling, "", true, errkind.Invalid, ErrNeedsReason},
		{"a reason too long", selling, strings.Repeat("长", MaxOverrideReason+1), true, errkind.Invalid, nil},
	}
	for _, tt := range tests {
		err := CheckOverride(tt.findings, tt.reason, tt.may)
		if tt.kind == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		if !errkind.Is(err, tt.kind) || (tt.is != nil && !errors.Is(err, tt.is)) {
			t.Errorf("%s: %v, want %s %v", tt.name, err, tt.kind, tt.is)
		}
	}
	if n := NeedsOverride(append(ad, selling...)); len(n) != 2 {
		t.Fatalf("NeedsOverride: %v", n)
	}
}

func TestReviewNotice(t *testing.T) {
	if n := ReviewNotice(community.BotZh, "小王", "选品三问", true, ""); !strings.HasPrefix(n, "@小王 ") || !strings.Contains(n, "《选品三问》已通过") {
		t.Fatalf("approved: %q", n)
	}
	if n := ReviewNotice(community.BotZh, "小王", "选品三问", false, "与上周重复"); !strings.Contains(n, "没有通过：与上周重复") || strings.Contains(n, "accepted") {
		t.Fatalf("rejected: %q", n)
	}
	if n := ReviewNotice(community.BotEn, "Wang", "Three questions", false, "a repeat"); !strings.Contains(n, "not accepted: a repeat") || strings.Contains(n, "没有") {
		t.Fatalf("rejected, in English: %q", n)
	}
}
