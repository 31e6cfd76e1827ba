package store_test

import (
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// TestShortInviteCodes: a code shorter than community.MinCodeLength is no
// longer issued; one issued before keeps working until it is replaced by
// a generated one, which keeps its member, campaign and group.
func TestShortInviteCodes(t *testing.T) {
	storetest.Dialects(t, newClock().Now, func(t *testing.T, db *store.DB) {
		org, g := seedOrg(t, db)
		camp := community.Campaign{OrgID: org.ID, Name: "海报"}
		if err := db.CreateCampaign(ctx, &camp); err != nil {
			t.Fatal(err)
		}
		if err := db.CreateInviteCode(ctx, &community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, GroupID: g.ID, Code: "AB12"}); !errkind.Is(err, errkind.Invalid) {
			t.Fatalf("a new 4-letter code: %v, want invalid", err)
		}
		// A code from before the limit.
		if _, err := db.SQL().ExecContext(ctx, db.Rebind("INSERT INTO invite_codes (org_id, code, campaign_id, group_id, created_at) VALUES (?, 'AB12', ?, ?, 0)"), org.ID, camp.ID, g.ID); err != nil {
			t.Fatal(err)
		}
		long := community.InviteCode{OrgID: org.ID, CampaignID: camp.ID, GroupID: g.ID}
		if err := db.CreateInviteCode(ctx, &long); err != nil || len(long.Code) != community.MinCodeLength || strings.Trim(long.Code, "23456789ABCDEFGHJKMNPQRSTUVWXYZ") != "" {
			t.Fatalf("a generated code %q: %v", long.Code, err)
		}
		if _, err := db.JoinLink(ctx, "ab12"); err != nil {
			t.Fatalf("the old short code stopped working: %v", err)
		}
		short, err := db.ShortInviteCodes(ctx, org.ID)
		if err != nil || len(short) != 1 || short[0].Code != "AB12" || short[0].GroupID != g.ID || short[0].CampaignID != camp.ID || short[0].Campaign != "海报" || short[0].Group != g.Name || short[0].Person != "" {
			t.Fatalf("short codes: %+v %v", short, err)
		}
		fresh, err := db.RegenerateInviteCode(ctx, org.ID, short[0].ID, "staff:admin")
		if err != nil || len(fresh.Code) != community.MinCodeLength || fresh.GroupID != g.ID || fresh.CampaignID != camp.ID {
			t.Fatalf("regenerated: %+v %v", fresh, err)
		}
		if _, err := db.JoinLink(ctx, "AB12"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("the replaced code still works: %v", err)
		}
		if tg, err := db.JoinLink(ctx, fresh.Code); err != nil || tg.Group == nil || tg.Group.ID != g.ID {
			t.Fatalf("the new code: %+v %v", tg, err)
		}
		if short, _ := db.ShortInviteCodes(ctx, org.ID); len(short) != 0 {
			t.Fatalf("short codes after replacing: %+v", short)
		}
		if _, err := db.RegenerateInviteCode(ctx, org.ID, short0(t, db, org.ID), "x"); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("replacing a replaced code: %v", err)
		}
		if _, err := db.RegenerateInviteCode(ctx, org.ID+1, fresh.ID, "x"); !errkind.Is(err, errkind.NotFound) {
			t.Fatalf("another organisation's code: %v", err)
		}
		assertAudit(t, db, org.ID, "invite_code.regenerate")
	})
}

// short0 is the id of the code AB12.
func short0(t *testing.T, db *store.DB, orgID int64) int64 {
	t.Helper()
	var id int64
	if err := db.SQL().QueryRowContext(ctx, db.Rebind("SELECT id FROM invite_codes WHERE org_id = ? AND code = 'AB12'"), orgID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}
