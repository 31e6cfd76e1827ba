package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestOneBotReverseEndToEnd runs the real binary with a OneBot connection
// in reverse mode and plays the OneBot implementation (NapCat, Lagrange…):
// it connects to /connect/{name}, reports a newcomer and a message, and
// answers the send_group_msg call qunzhu makes to welcome the newcomer.
func TestOneBotReverseEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, `
[[connections]]
name = "qq"
platform = "onebot"
[connections.options]
mode = "reverse"
access_token = "onebot-secret-0123456789"
self_id = "10001"
`)
	p := start(t, dir, "serve", "--migrate")
	// Nobody connected yet: not ready, and /readyz says why to an admin
	// token (and nothing more to anyone else).
	if code, body := call(t, "GET", p.url+"/readyz", adminToken(t, dir), ""); code != 503 || !strings.Contains(fmt.Sprint(body), "qq: no OneBot implementation connected") {
		t.Fatalf("readyz before the implementation connects: %d %v", code, body)
	}
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 503 || fmt.Sprint(body) != "map[status:not ready]" {
		t.Fatalf("anonymous readyz before the implementation connects: %d %v", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(p.url, "http") + "/connect/qq"
	for _, tt := range []struct {
		why    string
		header http.Header
		status int
	}{
		{"a wrong access token", http.Header{"Authorization": {"Bearer wrong"}, "X-Self-ID": {"10001"}}, 401},
		{"no access token", http.Header{"X-Self-ID": {"10001"}}, 401},
		// A web page of another site: NapCat and Lagrange send no Origin.
		{"another site's page", http.Header{"Authorization": {"Bearer onebot-secret-0123456789"}, "Origin": {"https://evil.example.com"}}, 403},
	} {
		if _, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: tt.header}); err == nil || resp == nil || resp.StatusCode != tt.status {
			t.Fatalf("%s was not refused with %d: %v %v", tt.why, tt.status, err, resp)
		}
	}
	ws, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{
		"Authorization": {"Bearer onebot-secret-0123456789"}, "X-Self-ID": {"10001"}, "X-Client-Role": {"Universal"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	now := time.Now().Unix()
	frames := []string{
		fmt.Sprintf(`{"time":%d,"self_id":10001,"post_type":"notice","notice_type":"group_increase","sub_type":"invite","group_id":735001206,"operator_id":20002,"user_id":20003}`, now),
		fmt.Sprintf(`{"time":%d,"self_id":10001,"post_type":"message","message_type":"group","sub_type":"normal","message_id":-51,"group_id":735001206,"user_id":20003,"message":"大家好，我是新来的","raw_message":"大家好，我是新来的","font":0,"sender":{"user_id":20003,"nickname":"王五","card":"","role":"member"}}`, now),
	}
	for _, f := range frames {
		if err := ws.Write(ctx, websocket.MessageText, []byte(f)); err != nil {
			t.Fatal(err)
		}
	}
	// qunzhu welcomes the newcomer through the same connection.
	var texts []string
	for len(texts) < 2 {
		_, raw, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for qunzhu's calls: %v (got %q)", err, texts)
		}
		var call struct {
			Action string          `json:"action"`
			Params json.RawMessage `json:"params"`
			Echo   json.RawMessage `json:"echo"`
		}
		if err := json.Unmarshal(raw, &call); err != nil {
			t.Fatalf("frame from qunzhu is not JSON: %s", raw)
		}
		if call.Action != "send_group_msg" {
			t.Fatalf("unexpected call %s", raw)
		}
		if !strings.Contains(string(call.Params), "735001206") {
			t.Fatalf("call to the wrong group: %s", raw)
		}
		texts = append(texts, string(call.Params))
		reply := fmt.Sprintf(`{"status":"ok","retcode":0,"data":{"message_id":%d},"echo":%s}`, 900+len(texts), call.Echo)
		if err := ws.Write(ctx, websocket.MessageText, []byte(reply)); err != nil {
			t.Fatal(err)
		}
	}
	all := strings.Join(texts, "\n")
	if !strings.Contains(all, "欢迎") || !strings.Contains(all, "群规通知") {
		t.Fatalf("welcome and rules notice not sent: %s", all)
	}
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz with the implementation connected: %d %v", code, body)
	}
	admin := adminToken(t, dir)
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, res := call(t, "GET", p.url+"/api/v1/groups", admin, "")
		groups, _ := res["groups"].([]any)
		if code == 200 && len(groups) == 1 {
			g := groups[0].(map[string]any)
			if g["platform"] != "onebot" || g["external_id"] != "735001206" {
				t.Fatalf("group: %v", g)
			}
			_, msgs := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/messages", p.url, g["id"]), admin, "")
			if list, _ := msgs["messages"].([]any); len(list) == 1 && strings.Contains(fmt.Sprint(list[0]), "大家好，我是新来的") {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the message never reached the store: %d %v", code, res)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ws.Close(websocket.StatusNormalClosure, "bye")
	p.stop(t)
}

// TestOneBotReverseNeedsToken: a reverse connection without an access
// token would let anyone who reaches qunzhu connect as the bot; serve
// refuses such a configuration and says what to set.
func TestOneBotReverseNeedsToken(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, `
[[connections]]
name = "qq"
platform = "onebot"
[connections.options]
mode = "reverse"
`)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "serve", "--migrate") // killed if it serves instead
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "connections[1].options.access_token: required in reverse mode") {
		t.Fatalf("serve with a tokenless reverse connection: %v\n%s", err, out)
	}
}
