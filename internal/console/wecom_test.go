package console_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestPushAwaitingOwner: a push the platform accepted as a 群发 its group
// owner must confirm says so on the push calendar, in words, not as an
// error.
func TestPushAwaitingOwner(t *testing.T) {
	w := newPages(t)
	ctx := context.Background()
	claimed, err := w.db.ClaimActions(ctx, "wx", 20, time.Minute)
	var items []pipeline.OutboxItem
	for _, it := range claimed {
		if strings.HasPrefix(it.Action.Key, "push:") {
			items = append(items, it)
		}
	}
	if err != nil || len(items) != 1 {
		t.Fatalf("the sent push's action: %+v %v", claimed, err)
	}
	before := rowsOf(w.page(w.user(), "/pushes"), "sent")
	lacks(t, "the sent push before the platform answered", before[0], "wecom-pending")
	if err := w.db.PendAction(ctx, items[0].ID, now.Add(time.Minute), chat.PendingError{For: chat.PendingOwnerConfirm, State: "sent to the group owner zhangsan as a 群发"}); err != nil {
		t.Fatal(err)
	}
	sent := rowsOf(w.page(w.user(), "/pushes"), "sent")
	contains(t, "the pending push", sent[0], "投递中", `class="wecom-pending"`, "等待群主在企业微信确认发送", `title="sent to the group owner zhangsan as a 群发"`)
	contains(t, "the pending push in English", rowsOf(w.page(w.user(), "/pushes?lang=en"), "sent")[0], "waiting for the group owner to confirm it in WeCom")
	if err := w.db.CompleteActions(ctx, []int64{items[0].ID}); err != nil {
		t.Fatal(err)
	}
	lacks(t, "the delivered push", rowsOf(w.page(w.user(), "/pushes"), "sent")[0], "wecom-pending", "等待群主")
}
