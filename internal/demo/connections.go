package demo

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/connections"
)

// seedConnections adds the connection the demo's console shows next to
// the file's bridge and the simulator: a partner's relay added in the
// console, a bridge that pulls its actions, stored as the console stores
// one (its token is generated, and shown on its page only by its last
// four characters).
func seedConnections(ctx context.Context, db Store, org community.Org) error {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("generate a token: %w", err)
	}
	d := connections.Def{Name: "partner-relay", OrgID: org.ID, Platform: "webhook", Enabled: true,
		Token: base64.RawURLEncoding.EncodeToString(b[:]), CreatedBy: "staff:admin"}
	if err := db.CreateConnectionDef(ctx, &d); err != nil {
		return fmt.Errorf("the partner's relay: %w", err)
	}
	return nil
}
