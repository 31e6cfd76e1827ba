package importer_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/telegram"
	"github.com/qunzhu/qunzhu/internal/importer"
)

type noCursors struct{}

func (noCursors) LoadCursor(context.Context, string, string) (string, error) { return "", nil }
func (noCursors) SaveCursor(context.Context, string, string, string) error   { return nil }

// essence is what makes an event the same event for qunzhu.
func essence(e chat.Event) string {
	s := fmt.Sprintf("%s %s %s %s %d sender=%s source=%s reason=%s", e.Connection, e.ID, e.Group, e.Type, e.Time.Unix(), e.Sender.ID, e.Source, e.Reason)
	if m := e.Message; m != nil {
		s += fmt.Sprintf(" msg=%s/%s/%q/%s/%s/%v", m.ID, m.Kind, m.Text, m.URL, m.ReplyTo, m.Mentions)
	}
	for _, u := range []struct {
		n string
		u *chat.User
	}{{"inviter", e.Inviter}, {"actor", e.Actor}} {
		if u.u != nil {
			s += " " + u.n + "=" + u.u.ID
		}
	}
	if e.Type == chat.EventGroupRenamed {
		s += " name=" + e.GroupName
	}
	return s
}

// TestTelegramIDsMatchTheLiveAdapter feeds the same messages to the
// Telegram adapter (as Bot API updates, members from service messages) and
// to the importer (as a Telegram Desktop export): the events are the same,
// ids included, so an import overlapping live traffic stores each once.
func TestTelegramIDsMatchTheLiveAdapter(t *testing.T) {
	a, err := telegram.New(telegram.Config{Name: "tg", Token: "123456789:" + strings.Repeat("A", 35), Cursors: noCursors{},
		APIURL: "http://127.0.0.1:9", MemberEvents: telegram.MembersFromService})
	if err != nil {
		t.Fatal(err)
	}
	const (
		group = `{"id":-1001234567890,"title":"测试群","type":"supergroup"}`
		lin   = `{"id":1001,"is_bot":false,"first_name":"林晓"}`
		chen  = `{"id":1002,"is_bot":false,"first_name":"陈默"}`
		date  = 1709254800
	)
	msg := func(id int, from, rest string) string {
		return fmt.Sprintf(`{"message_id":%d,"date":%d,"chat":%s,"from":%s,%s}`, id, date, group, from, rest)
	}
	updates := []string{
		msg(3, lin, `"text":"你好"`),
		msg(4, lin, `"photo":[{"file_id":"x","file_unique_id":"y","width":1,"height":1}],"caption":"合影","reply_to_message":`+msg(3, lin, `"text":"你好"`)),
		msg(5, lin, `"text":"看 https://e.org/a","entities":[{"type":"url","offset":2,"length":15}]`),
		msg(6, lin, `"new_chat_members":[`+chen+`],"new_chat_member":`+chen+`,"new_chat_participant":`+chen),
		msg(7, chen, `"text":"谢谢"`),
		msg(8, lin, `"left_chat_member":`+chen+`,"left_chat_participant":`+chen),
		msg(9, lin, `"new_chat_title":"新名字"`),
		msg(10, chen, `"sticker":{"file_id":"s","file_unique_id":"t","type":"regular","width":1,"height":1,"is_animated":false,"is_video":false,"emoji":"👍"}`),
	}
	var live []string
	for i, u := range updates {
		up, err := a.DecodeUpdate([]byte(fmt.Sprintf(`{"update_id":%d,"message":%s}`, i+1, u)))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range up.Events {
			live = append(live, essence(e))
		}
	}

	when := fmt.Sprintf(`"date":"2024-03-01T09:00:00","date_unixtime":"%d"`, date)
	export := `{"name":"测试群","type":"private_supergroup","id":1234567890,"messages":[` + strings.Join([]string{
		`{"id":3,"type":"message",` + when + `,"from":"林晓","from_id":"user1001","text":"你好"}`,
		`{"id":4,"type":"message",` + when + `,"from":"林晓","from_id":"user1001","photo":"photos/1.jpg","reply_to_message_id":3,"text":"合影"}`,
		`{"id":5,"type":"message",` + when + `,"from":"林晓","from_id":"user1001","text":["看 ",{"type":"link","text":"https://e.org/a"}]}`,
		`{"id":6,"type":"service",` + when + `,"actor":"林晓","actor_id":"user1001","action":"invite_members","members":["陈默"],"text":""}`,
		`{"id":7,"type":"message",` + when + `,"from":"陈默","from_id":"user1002","text":"谢谢"}`,
		`{"id":8,"type":"service",` + when + `,"actor":"林晓","actor_id":"user1001","action":"remove_members","members":["陈默"],"text":""}`,
		`{"id":9,"type":"service",` + when + `,"actor":"林晓","actor_id":"user1001","action":"edit_group_title","title":"新名字","text":""}`,
		`{"id":10,"type":"message",` + when + `,"from":"陈默","from_id":"user1002","file":"stickers/s.webp","media_type":"sticker","sticker_emoji":"👍","text":""}`,
	}, ",") + `]}`
	var imported []string
	_, err = importer.Import(context.Background(), func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(export)), nil },
		importer.Options{Connection: "tg"}, func(_ context.Context, b importer.Batch) error {
			for _, e := range b.Events {
				imported = append(imported, essence(e))
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(imported, "\n") != strings.Join(live, "\n") {
		t.Fatalf("imported:\n\t%s\nlive:\n\t%s", strings.Join(imported, "\n\t"), strings.Join(live, "\n\t"))
	}
	if len(live) != 8 {
		t.Fatalf("%d live events", len(live))
	}
}
