package wecom

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Decrypted archived messages, in the shape WeCom's 会话内容存档
// documentation gives for each message type.
func TestDecodeArchived(t *testing.T) {
	tests := []struct {
		name, plain string
		ok          bool
		kind        chat.MessageKind
		text, url   string
		all         bool
	}{
		{"text", `{"msgid":"CAQQluDa4QUY0On2rYSAgAMgzPrShAE=","action":"send","from":"wmCUST","tolist":["zhangsan"],"roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"text","text":{"content":"加 薇 信 abc1688"}}`,
			true, chat.KindText, "加 薇 信 abc1688", "", false},
		{"mention all", `{"msgid":"m2","action":"send","from":"zhangsan","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"text","text":{"content":"@所有人 今晚八点直播"}}`,
			true, chat.KindText, "@所有人 今晚八点直播", "", true},
		{"image", `{"msgid":"m3","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"image","image":{"md5sum":"50de8e5ae8ffe4f1df7a93841f71993a","filesize":70961,"sdkfileid":"CtYBMzA2OQ=="}}`,
			true, chat.KindImage, "", "", false},
		{"link", `{"msgid":"m4","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"link","link":{"title":"领免费资料","description":"点击领取","link_url":"http://spam.example/x","image_url":"http://spam.example/i.png"}}`,
			true, chat.KindLink, "领免费资料\n点击领取", "http://spam.example/x", false},
		{"mini program", `{"msgid":"m5","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"weapp","weapp":{"title":"拼团","description":"","username":"gh_x@app","displayname":"某商城"}}`,
			true, chat.KindMiniProgram, "拼团 某商城", "", false},
		{"red packet", `{"msgid":"m6","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"redpacket","redpacket":{"type":1,"wish":"恭喜发财","totalcnt":5,"totalamount":500}}`,
			true, chat.KindRedPacket, "恭喜发财", "", false},
		{"mixed", `{"msgid":"m7","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"mixed","mixed":{"item":[{"type":"text","content":"{\"content\":\"看图\"}"},{"type":"image","content":"{\"md5sum\":\"x\"}"},{"type":"text","content":"{\"content\":\"加我\"}"}]}}`,
			true, chat.KindText, "看图\n加我", "", false},
		{"location counts as card", `{"msgid":"m8","action":"send","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"location","location":{"lng":113.1,"lat":23.1,"address":"广州","title":"门店","zoom":15}}`,
			true, chat.KindCard, "门店 广州", "", false},
		{"one-to-one chat", `{"msgid":"m9","action":"send","from":"wmCUST","tolist":["zhangsan"],"roomid":"","msgtime":1547087894783,"msgtype":"text","text":{"content":"你好"}}`,
			false, "", "", "", false},
		{"recall", `{"msgid":"m10","action":"recall","from":"wmCUST","roomid":"wrAAAA","msgtime":1547087894783,"msgtype":"revoke","revoke":{"pre_msgid":"m1"}}`,
			false, "", "", "", false},
		{"switch", `{"msgid":"m11","action":"switch","time":1547087894783,"user":"zhangsan"}`,
			false, "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ok, err := DecodeArchived([]byte(tt.plain), "wx")
			if err != nil || ok != tt.ok {
				t.Fatalf("ok %v err %v", ok, err)
			}
			if !ok {
				return
			}
			if e.Type != chat.EventMessage || e.Group != "wrAAAA" || e.Connection != "wx" || e.Platform != Platform || !strings.HasPrefix(e.ID, "msg:") ||
				e.Sender.ID == "" || !e.Time.Equal(time.UnixMilli(1547087894783)) {
				t.Fatalf("event %+v", e)
			}
			m := e.Message
			if m.Kind != tt.kind || m.Text != tt.text || m.URL != tt.url || m.MentionAll != tt.all || m.ID == "" {
				t.Fatalf("message %+v", m)
			}
		})
	}
	for name, bad := range map[string]string{
		"not JSON":   "{",
		"no sender":  `{"msgid":"x","action":"send","roomid":"wr1","msgtime":1,"msgtype":"text"}`,
		"no time":    `{"msgid":"x","action":"send","from":"a","roomid":"wr1","msgtype":"text"}`,
		"no msgid":   `{"action":"send","from":"a","roomid":"wr1","msgtime":1,"msgtype":"text"}`,
		"wrong type": `{"msgid":1,"action":"send"}`,
	} {
		if _, _, err := DecodeArchived([]byte(bad), "wx"); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzDecodeArchived(f *testing.F) {
	f.Add(`{"msgid":"m","action":"send","from":"a","roomid":"wr","msgtime":1,"msgtype":"mixed","mixed":{"item":[{"type":"text","content":"{\"content\":\"x\"}"}]}}`)
	f.Add(`{"msgid":"m","action":"send","from":"a","roomid":"wr","msgtime":1,"msgtype":"text","text":{"content":"@all"}}`)
	f.Fuzz(func(t *testing.T, plain string) {
		e, ok, err := DecodeArchived([]byte(plain), "wx")
		if ok && (err != nil || e.Message == nil || e.Group == "" || e.Sender.ID == "" || !e.Message.Kind.Valid()) {
			t.Fatalf("%q: %+v %v", plain, e, err)
		}
	})
}

func TestArchiveKeys(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pkcs1 := filepath.Join(dir, "v3.pem")
	os.WriteFile(pkcs1, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600)
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	pkcs8 := filepath.Join(dir, "v4.pem")
	os.WriteFile(pkcs8, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), 0o600)
	bad := filepath.Join(dir, "bad.pem")
	os.WriteFile(bad, []byte("not a key"), 0o600)

	paths, err := ParseArchiveKeys(" 3=" + pkcs1 + ", 4=" + pkcs8)
	if err != nil || len(paths) != 2 {
		t.Fatalf("parse: %v %v", paths, err)
	}
	for _, s := range []string{"", "3", "x=/a", "0=/a", "3="} {
		if _, err := ParseArchiveKeys(s); err == nil {
			t.Errorf("ParseArchiveKeys(%q) accepted", s)
		}
	}
	keys, err := loadKeys(paths)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := loadKeys(map[int]string{5: bad}); err == nil {
		t.Fatal("a bad key file was accepted")
	}
	// The random key of a message, encrypted for version 4's public key.
	enc, _ := rsa.EncryptPKCS1v15(rand.Reader, &key.PublicKey, []byte("random-key-16byt"))
	got, err := openRandomKey(keys, 4, base64.StdEncoding.EncodeToString(enc))
	if err != nil || got != "random-key-16byt" {
		t.Fatalf("openRandomKey: %q %v", got, err)
	}
	if _, err := openRandomKey(keys, 9, base64.StdEncoding.EncodeToString(enc)); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Fatalf("unknown version: %v", err)
	}
	list, err := decodeChatData([]byte(`{"errcode":0,"errmsg":"ok","chatdata":[{"seq":196,"msgid":"CAQQ2fbb4QUY0On2rYSAgAMgip/yzgs=","publickey_ver":3,"encrypt_random_key":"ftJ+uz3n==","encrypt_chat_msg":"898WSfGMnIeytTsea7Rc0WsOocs0bIAerF6de0v2cFwqo9uOxrW9wYe5rCjCHHH5bDrNvLxBE/xOoFfcwOTYX0HQxTJaH0ES9OHDZ61p8gcbfGdJKnq2UU4tAEgGb8H+Q9n8syRXIjaI3KuVCqGIi4QGHFmxWenPFfjF/vRuPd0EpzUNwmqfUxLBWLpGhv+dLnqiEOBW41Zdc0OO0St6E+JeIeHlRZAR+E13Isv9eS09xNbF0qQXWIyNUi+ucLr5VuZnPGXBrSfvwX8f0QebTwpy1tT2zvQiMM2MBugKH6NuMzzuvEsXeD+6+3VRqL"}]}`))
	if err != nil || len(list) != 1 || list[0].Seq != 196 || list[0].PublicKeyVer != 3 {
		t.Fatalf("chat data: %+v %v", list, err)
	}
	var ae *APIError
	if _, err := decodeChatData([]byte(`{"errcode":301053,"errmsg":"msgaudit not open"}`)); !errors.As(err, &ae) || !strings.Contains(err.Error(), "会话内容存档") {
		t.Fatalf("archive not enabled: %v", err)
	}
}

// fakeArchive serves archived messages from memory.
type fakeArchive struct{ msgs []ArchivedMessage }

func (f *fakeArchive) Fetch(_ context.Context, seq uint64, limit int) ([]ArchivedMessage, error) {
	var out []ArchivedMessage
	for _, m := range f.msgs {
		if m.Seq > seq && len(out) < limit {
			out = append(out, m)
		}
	}
	return out, nil
}

func (f *fakeArchive) Close() error { return nil }

type memCursors map[string]string

func (m memCursors) LoadCursor(_ context.Context, c, k string) (string, error) {
	return m[c+"/"+k], nil
}
func (m memCursors) SaveCursor(_ context.Context, c, k, v string) error {
	m[c+"/"+k] = v
	return nil
}

type memSink struct{ evs []chat.Event }

func (s *memSink) Ingest(_ context.Context, evs []chat.Event) error {
	s.evs = append(s.evs, evs...)
	return nil
}

func TestReadArchive(t *testing.T) {
	msg := func(seq uint64, room, text string) ArchivedMessage {
		id := "m" + string(rune('0'+seq))
		return ArchivedMessage{Seq: seq, MsgID: id, Plain: []byte(`{"msgid":"` + id + `","action":"send","from":"wmC","roomid":"` + room + `","msgtime":1700000000000,"msgtype":"text","text":{"content":"` + text + `"}}`)}
	}
	arch := &fakeArchive{msgs: []ArchivedMessage{
		msg(1, "wrAAAA", "大家好"),
		msg(2, "wrINTERNAL", "内部群的消息"), // not a customer group
		{Seq: 3, MsgID: "bad", Plain: []byte("{")},
		msg(4, "", "私聊"),
		msg(5, "wrAAAA", "加 薇 信"),
	}}
	cur := memCursors{}
	a, err := New(Config{Name: "wx", CorpID: sampleCorpID, AgentID: 1, Secret: "s", CallbackToken: sampleToken, EncodingAESKey: sampleAESKey, Cursors: cur, Archive: arch})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Limitations()) != 2 {
		t.Fatalf("with the archive, no content limitation: %q", a.Limitations())
	}
	a.known["wrAAAA"] = "zhangsan"
	s := &memSink{}
	if err := a.readArchive(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if len(s.evs) != 2 || s.evs[0].Message.Text != "大家好" || s.evs[1].Message.Text != "加 薇 信" {
		t.Fatalf("events: %+v", s.evs)
	}
	if cur["wx/"+keyArchive] != "5" {
		t.Fatalf("archive position %q", cur["wx/"+keyArchive])
	}
	// Nothing new: nothing stored again.
	if err := a.readArchive(context.Background(), s); err != nil || len(s.evs) != 2 {
		t.Fatalf("second read: %d events, %v", len(s.evs), err)
	}
}

func TestArchiveWithoutTheSDK(t *testing.T) {
	if ArchiveBuilt {
		t.Skip("built with -tags msgaudit")
	}
	_, err := New(Config{Name: "wx", CorpID: sampleCorpID, AgentID: 1, Secret: "s", CallbackToken: sampleToken, EncodingAESKey: sampleAESKey,
		Cursors: memCursors{}, ArchiveConfig: &ArchiveConfig{Secret: "x", Keys: map[int]string{1: "/k.pem"}}})
	if !errors.Is(err, ErrNoArchiveSDK) && (err == nil || !strings.Contains(err.Error(), "-tags msgaudit")) {
		t.Fatalf("archive without the SDK: %v", err)
	}
}
