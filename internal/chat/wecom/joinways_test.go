package wecom_test

import (
	"context"
	"slices"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

func joinWay(key string, groups ...string) community.JoinWay {
	return community.JoinWay{Key: key, Remark: "阳新2026 招生", Groups: groups, State: "YX2026"}
}

// TestJoinWayRollsOver plays capacity routing through a WeCom join way:
// the family's groups with room go in, a full group is taken out, and
// when every group is full WeCom itself creates the next one, named by the
// family's pattern, which qunzhu learns of by its callback.
func TestJoinWayRollsOver(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	w.fake.AddGroup(wecomtest.Group{ChatID: chatB, Name: "NF-阳新2026-2", Owner: ownerA})
	p, err := community.ParsePattern("NF-{county}{year}-{n}")
	if err != nil {
		t.Fatal(err)
	}
	base, ok := community.RoomBase(p, map[string]string{"county": "阳新", "year": "2026"}, "")
	if !ok {
		t.Fatal("the pattern should be followable")
	}
	jw := joinWay("family:7", chatA, chatB)
	jw.RoomBaseName, jw.RoomBaseID = base, 3
	st, err := w.a.EnsureJoinWay(ctx, jw)
	if err != nil || !st.Changed || st.QRCode == "" || !slices.Equal(st.Groups, []string{chatA, chatB}) {
		t.Fatalf("create: %+v %v", st, err)
	}
	have := w.fake.JoinWays()[st.ConfigID]
	if have.AutoCreateRoom != 1 || have.RoomBaseName != "NF-阳新2026-" || have.RoomBaseID != 3 || have.State != "YX2026" || have.Scene != 2 {
		t.Fatalf("join way in WeCom: %+v", have)
	}
	// Nothing changed: nothing is sent.
	if again, err := w.a.EnsureJoinWay(ctx, jw); err != nil || again.Changed || again.ConfigID != st.ConfigID {
		t.Fatalf("unchanged: %+v %v", again, err)
	}
	// Group A is full: the join way points at B only.
	jw.Groups = []string{chatB}
	if st2, err := w.a.EnsureJoinWay(ctx, jw); err != nil || !st2.Changed || !slices.Equal(w.fake.JoinWays()[st.ConfigID].ChatIDList, []string{chatB}) {
		t.Fatalf("after A filled: %+v %v", st2, err)
	}
	// B fills up too (WeCom's QR limit); the next newcomer makes WeCom
	// create group 3 and its callbacks reach qunzhu.
	for i := range wecomtest.QRCapacity {
		w.fake.Join(chatB, wecom.GroupMember{UserID: "wmFILL" + string(rune('A'+i%26)) + string(rune('A'+i/26))})
	}
	chatID, notes, err := w.fake.Scan(st.ConfigID, wecom.GroupMember{UserID: customer, Name: "扫码新人"})
	if err != nil || chatID == chatB {
		t.Fatalf("scan: %s %v", chatID, err)
	}
	for _, n := range notes {
		w.post(n)
	}
	created := w.sink.find(chat.EventGroupCreated, chatID)
	if len(created) != 1 || created[0].GroupName != community.FamilyName(p, map[string]string{"county": "阳新", "year": "2026"}, "", 3) {
		t.Fatalf("the new group: %s", describe(created))
	}
	var joined *chat.Event
	for _, e := range w.sink.find(chat.EventMemberJoined, chatID) {
		if e.Sender.ID == customer {
			joined = &e
		}
	}
	if joined == nil || joined.Source != chat.SourcePromo || joined.Code != "YX2026" {
		t.Fatalf("the newcomer in the new group: %+v", joined)
	}
	// Deleted in WeCom behind qunzhu's back: created again.
	if err := w.a.DeleteJoinWay(ctx, "family:7"); err != nil {
		t.Fatal(err)
	}
	if len(w.fake.JoinWays()) != 0 {
		t.Fatal("not deleted")
	}
	if _, err := w.a.EnsureJoinWay(ctx, community.JoinWay{Key: "family:7"}); errkind.Of(err) != errkind.Invalid {
		t.Fatalf("a join way without groups: %v", err)
	}
}
