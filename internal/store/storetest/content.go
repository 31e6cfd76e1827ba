package storetest

import (
	"context"
	"testing"

	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/store"
)

// ApprovedScript adds a script to the organisation's library and moves it
// through review to approved, ready to push.
func ApprovedScript(t testing.TB, db *store.DB, orgID int64, title, body string) content.Script {
	t.Helper()
	ctx := context.Background()
	sc := content.Script{OrgID: orgID, Title: title, Body: body, Author: "user:editor"}
	if err := db.CreateScript(ctx, &sc); err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct {
		to   content.Status
		role content.Role
	}{{content.Submitted, content.Contributor}, {content.InReview, content.Reviewer}, {content.Approved, content.Reviewer}} {
		var err error
		if sc, err = db.MoveScript(ctx, orgID, sc.ID, st.to, st.role, "user:"+string(st.role), ""); err != nil {
			t.Fatal(err)
		}
	}
	return sc
}
