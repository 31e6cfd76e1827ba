package store_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestDuplicateSettings: an organisation has the defaults until it sets
// its own; a bad rule or threshold is refused and changes nothing; a
// change is audited; the digest settings in the same row stay as they
// were, and setting them keeps the duplicate settings.
func TestDuplicateSettings(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, _ := seedOrg(t, db)
		got, err := db.DuplicateSettings(ctx, org.ID)
		if err != nil || got != analytics.DefaultDuplicateSettings() {
			t.Fatalf("defaults: %+v %v", got, err)
		}
		if err := db.SetDigestSettings(ctx, org.ID, analytics.DigestSettings{Minute: 9 * 60, Send: true}, "staff:admin"); err != nil {
			t.Fatal(err)
		}
		want := analytics.DuplicateSettings{FamilyGate: true, Overall: 5, Keep: analytics.KeepActive}
		if err := db.SetDuplicateSettings(ctx, org.ID, want, "staff:admin"); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []analytics.DuplicateSettings{
			{Keep: "newest"}, {Keep: analytics.KeepEarliest, Overall: 1}, {Keep: analytics.KeepEarliest, Overall: -3}, {Keep: analytics.KeepEarliest, Overall: analytics.MaxOverall + 1},
		} {
			if err := db.SetDuplicateSettings(ctx, org.ID, bad, "staff:admin"); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		if got, err := db.DuplicateSettings(ctx, org.ID); err != nil || got != want {
			t.Fatalf("after setting: %+v %v", got, err)
		}
		if dg, err := db.DigestSettings(ctx, org.ID); err != nil || dg.Minute != 9*60 || !dg.Send {
			t.Fatalf("digest settings: %+v %v", dg, err)
		}
		if err := db.SetDigestSettings(ctx, org.ID, analytics.DigestSettings{Minute: 7 * 60}, "staff:admin"); err != nil {
			t.Fatal(err)
		}
		if got, err := db.DuplicateSettings(ctx, org.ID); err != nil || got != want {
			t.Fatalf("after the digest settings: %+v %v", got, err)
		}
		entries, err := db.AuditLog(ctx, org.ID, community.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range entries {
			if e.Action == "duplicates.settings" {
				n++
				if e.Actor != "staff:admin" || !strings.Contains(e.Detail, `"keep":"active"`) || !strings.Contains(e.Detail, `"family_gate":true`) || !strings.Contains(e.Detail, `"overall":5`) {
					t.Fatalf("audit: %+v", e)
				}
			}
		}
		if n != 1 {
			t.Fatalf("audited %d times, want 1", n)
		}
	})
}
