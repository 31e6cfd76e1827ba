package wecom

import (
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDecodeNotification(t *testing.T) {
	const chat = "wrx7HUARsKwGRaQBVKPBTcEyzdHA4HrQ"
	tests := []struct {
		file        string
		change, det string
		join, quit  int // -1: absent
		members     []string
		groupChange bool
	}{
		{"create.xml", ChangeCreate, "", -1, -1, nil, true},
		{"add_member.xml", ChangeUpdate, DetailAddMember, 3, -1, []string{"wmJack", "wmRose"}, true},
		{"del_member_comma.xml", ChangeUpdate, DetailDelMember, -1, 1, []string{"wmJack", "wmRose"}, true},
		{"change_name.xml", ChangeUpdate, DetailChangeName, -1, -1, nil, true},
		{"dismiss.xml", ChangeDismiss, "", -1, -1, nil, true},
		{"add_external_contact.xml", "add_external_contact", "", -1, -1, nil, false},
	}
	scene := func(p *int) int {
		if p == nil {
			return -1
		}
		return *p
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			n, err := DecodeNotification(b)
			if err != nil {
				t.Fatal(err)
			}
			if n.ChangeType != tt.change || n.UpdateDetail != tt.det || scene(n.JoinScene) != tt.join || scene(n.QuitScene) != tt.quit ||
				!slices.Equal(n.Changed(), tt.members) || n.GroupChange() != tt.groupChange {
				t.Fatalf("decoded %+v", n)
			}
			if tt.groupChange && (n.ChatID != chat || n.CreateTime == 0) {
				t.Fatalf("chat %q at %d", n.ChatID, n.CreateTime)
			}
		})
	}
	for name, bad := range map[string]string{
		"not XML":            "{}",
		"no message type":    "<xml><ToUserName>x</ToUserName></xml>",
		"group without chat": "<xml><MsgType>event</MsgType><Event>change_external_chat</Event></xml>",
		"two roots":          "<xml><MsgType>event</MsgType></xml><xml></xml>",
		"unclosed":           "<xml><MsgType>event</MsgType>",
	} {
		if _, err := DecodeNotification([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzCallback posts arbitrary plaintexts, correctly encrypted and signed,
// and arbitrary bodies at the callback handler: it never panics, and it
// answers only 200 (acknowledged), 400 (refused), 401 (bad signature) or
// 503 (not running).
func FuzzCallback(f *testing.F) {
	for _, name := range []string{"add_member.xml", "del_member_comma.xml", "create.xml", "dismiss.xml", "add_external_contact.xml"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b), "")
	}
	f.Add("<xml><MsgType>event</MsgType></xml>", "<xml><Encrypt>AAAA</Encrypt></xml>")
	a, err := New(Config{Name: "fz", CorpID: "ww55ca070cb9b7eb22", AgentID: 1, Secret: "s", CallbackToken: sampleToken, EncodingAESKey: sampleAESKey, Cursors: nopCursors{}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, plain, raw string) {
		enc, sig, err := a.crypt.Seal([]byte(plain), "1", "2")
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{"<xml><ToUserName>ww55ca070cb9b7eb22</ToUserName><Encrypt>" + enc + "</Encrypt></xml>", raw} {
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("POST", "/connect/fz?msg_signature="+sig+"&timestamp=1&nonce=2", strings.NewReader(body))
			a.ServeHTTP(rec, req)
			switch rec.Code {
			case http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized, http.StatusServiceUnavailable:
			default:
				t.Fatalf("%d for %q / %q", rec.Code, plain, raw)
			}
		}
	})
}
