package app

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// TestContextHooks: the live rules learn who teaches and who is addressed
// — a lecturer's contact id in a topic group is no ad, a member's is; a
// reply to the group's owner (remembered, or found in the store for a
// message the service never judged) or a mention of her is no offer; the
// same reply to a member is.
func TestContextHooks(t *testing.T) {
	s := newRulesSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := s.node(t, 0, "湖北农夫电商", community.NodeCompany)
	topic := s.group(t, root.ID, "t1", "直播带货课题群", community.KindTopic)
	s.group(t, root.ID, "l1", "讲师群", community.KindLecturer)
	svc := s.service(t, ctx)
	now := time.Now()
	n := 0
	send := func(group, user, text, reply string, mentions ...string) string {
		t.Helper()
		n++
		id := fmt.Sprint("m", n)
		e := chat.Event{ID: "e" + id, Connection: "test", Platform: "webhook", Type: chat.EventMessage, Group: group, Time: now,
			Sender: chat.User{ID: user, Name: user}, Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text, ReplyTo: reply, Mentions: mentions}}
		if _, err := svc.in.IngestCount(ctx, []chat.Event{e}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	// Who is who: the owner of the topic group, a lecturer (in the
	// lecturers' group), two members.
	send("l1", "teacher", "大家好", "")
	first := send("t1", "owner", "明天上课带好笔记本", "")
	send("t1", "teacher", "我是本期讲师", "")
	said := send("t1", "member", "老师讲得真好", "")
	send("t1", "other", "收到", "")
	if err := s.db.SetRole(ctx, "test", "t1", "owner", community.RoleOwner); err != nil {
		t.Fatal(err)
	}
	// History the service never judged: an older message of the owner's.
	err := s.db.Ingest(ctx, func(tx pipeline.Tx) error {
		p, err := tx.ResolvePerson(ctx, s.org.ID, "test", "webhook", chat.User{ID: "owner"})
		if err != nil {
			return err
		}
		return tx.InsertMessages(ctx, []community.Message{{GroupID: topic.ID, PersonID: p, ExternalID: "old", Kind: chat.KindText, Text: "课件已上传", SentAt: now.Add(-48 * time.Hour)}})
	})
	if err != nil {
		t.Fatal(err)
	}
	acted := map[string]bool{}
	check := func() {
		acts, err := s.db.ModerationActions(ctx, s.org.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		clear(acted)
		for _, a := range acts {
			if a.Category != "quiet" {
				acted[a.MessageID] = true
			}
		}
	}
	cases := []struct {
		name string
		id   string
		want bool
	}{
		{"a lecturer's contact id", send("t1", "teacher", "课后有问题加我微信 teacher2026", ""), false},
		{"a member's contact id", send("t1", "member", "课后有问题加我微信 member2026", ""), true},
		{"a reply to the owner, remembered", send("t1", "other", "好的，我私聊您", first), false},
		{"a reply to the owner, from the store", send("t1", "other", "需要资料的私聊我", "old"), false},
		{"a mention of the owner", send("t1", "other", "需要资料的私聊我", "", "owner"), false},
		{"a reply to a member", send("t1", "other", "需要资料的私聊我", said), true},
	}
	check()
	for _, c := range cases {
		if acted[c.id] != c.want {
			t.Errorf("%s: acted on %v, want %v", c.name, acted[c.id], c.want)
		}
	}
}

// fakeContext counts what the hooks ask the store.
type fakeContext struct{ asked [][]string }

func (f *fakeContext) Teaches(context.Context, community.Group, int64) (bool, error) {
	return false, nil
}
func (f *fakeContext) AddressesStaff(_ context.Context, _ community.Group, replyTo string, _ time.Time, users []string) (bool, error) {
	f.asked = append(f.asked, append([]string{replyTo}, users...))
	return false, nil
}

// TestAddresseesMemory: a reply to a recent message is asked about by its
// sender, one to an older one by the message; the memory keeps the last
// messages of each group.
func TestAddresseesMemory(t *testing.T) {
	f := &fakeContext{}
	a := newAddressees(f)
	g := community.Group{ID: 7}
	for i := range recentSenders + 10 {
		a.remember(7, fmt.Sprint("m", i), fmt.Sprint("u", i))
	}
	in := func(reply string, mentions ...string) *pipeline.Input {
		return &pipeline.Input{Group: g, Event: &chat.Event{Type: chat.EventMessage, Message: &chat.Message{ReplyTo: reply, Mentions: mentions}}}
	}
	a.toStaff(context.Background(), in(fmt.Sprint("m", recentSenders+9)))
	a.toStaff(context.Background(), in("m3"))
	a.toStaff(context.Background(), in("", "u1", "u2"))
	a.toStaff(context.Background(), in(""))
	want := [][]string{{"", fmt.Sprint("u", recentSenders+9)}, {"m3"}, {"", "u1", "u2"}}
	if len(f.asked) != len(want) {
		t.Fatalf("asked %v, want %v", f.asked, want)
	}
	for i := range want {
		if !slices.Equal(f.asked[i], want[i]) {
			t.Errorf("asked %v, want %v", f.asked[i], want[i])
		}
	}
	if _, ok := a.sender(8, "m1"); ok {
		t.Error("another group's message")
	}
}
