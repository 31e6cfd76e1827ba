package app_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
	"github.com/qunzhu/qunzhu/internal/content"
)

const (
	wecomCorp   = "wwe2e0000000001"
	wecomSecret = "e2e-app-secret"
	wecomToken  = "e2eCallbackToken"
	wecomAESKey = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
)

// TestWeComEndToEnd runs the real binary against a fake WeCom server with
// signed, encrypted callbacks: the customer groups are read on start; a
// customer who joins by the group's QR code is recorded as a promotion;
// when the groups behind a join way are full WeCom creates the next one,
// which qunzhu learns of; a scheduled push becomes a 群发 task for the
// group's owner and its receipt stays pending until the owner confirms.
func TestWeComEndToEnd(t *testing.T) {
	fake := wecomtest.New(wecomCorp, wecomSecret)
	defer fake.Close()
	fake.AddGroup(wecomtest.Group{ChatID: "wrCOHORT1", Name: "NF-阳新2026-1", Owner: "zhangsan", Admins: []string{"lisi"}, Created: time.Now().Add(-48 * time.Hour).Unix(),
		Members: []wecom.GroupMember{
			{UserID: "zhangsan", Type: wecom.MemberStaff, JoinTime: time.Now().Add(-48 * time.Hour).Unix(), Name: "张三"},
			{UserID: "lisi", Type: wecom.MemberStaff, JoinTime: time.Now().Add(-48 * time.Hour).Unix(), Name: "李四"},
			{UserID: "wmOLD", Type: wecom.MemberCustomer, JoinTime: time.Now().Add(-24 * time.Hour).Unix(), JoinScene: wecom.JoinInvited, Invitor: &wecom.UserRef{UserID: "zhangsan"}, Name: "老王"},
		}})
	// Yesterday's statistics of the owner's groups (in the server's time
	// zone, content.DefaultZone): without message content, the only
	// message figures.
	loc, err := time.LoadLocation(content.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	y, m, d := time.Now().In(loc).Date()
	yesterday := time.Date(y, m, d-1, 0, 0, 0, 0, loc)
	fake.SetStats("zhangsan", yesterday, wecom.GroupStats{ChatTotal: 1, ChatHasMsg: 1, NewMemberCnt: 1, MemberTotal: 3, MemberHasMsg: 2, MsgTotal: 17})
	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf(`
[[connections]]
name = "qw"
platform = "wecom"
[connections.options]
corp_id = %q
agent_id = "1000002"
secret = %q
callback_token = %q
encoding_aes_key = %q
api_url = %q
robot_webhook = %q
confirm_check = "200ms"
upkeep_every = "200ms"
`, wecomCorp, wecomSecret, wecomToken, wecomAESKey, fake.URL, fake.RobotURL()))
	p := start(t, dir, "serve", "--migrate")
	tok, err := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(tok))
	cb, err := wecomtest.NewCallbacks(p.url+"/connect/qw", wecomToken, wecomAESKey, wecomCorp)
	if err != nil {
		t.Fatal(err)
	}
	wait := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s\n%s", what, p.stderr)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// WeCom checks the callback URL; a forged check is refused.
	if code, body, err := cb.VerifyURL("5927328840119384"); err != nil || code != 200 || body != "5927328840119384" {
		t.Fatalf("URL check: %d %q %v", code, body, err)
	}
	resp, err := http.Get(p.url + "/connect/qw?msg_signature=0123&timestamp=1&nonce=1&echostr=AAAA")
	if err != nil || resp.StatusCode != 401 {
		t.Fatalf("forged URL check: %v %v", resp, err)
	}
	resp.Body.Close()

	// The customer group is read on start.
	groupID := func(ext string) (id float64) {
		_, res := call(t, "GET", p.url+"/api/v1/groups", admin, "")
		groups, _ := res["groups"].([]any)
		for _, g := range groups {
			if m := g.(map[string]any); m["external_id"] == ext && m["platform"] == "wecom" {
				id, _ = m["id"].(float64)
			}
		}
		return id
	}
	wait("the customer group", func() bool { return groupID("wrCOHORT1") != 0 })
	cohort := groupID("wrCOHORT1")
	if groupID(wecom.RobotGroup) == 0 {
		t.Fatal("the robot's staff group is not reported")
	}
	member := func(group float64, user string) map[string]any {
		_, res := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/members", p.url, group), admin, "")
		list, _ := res["members"].([]any)
		for _, m := range list {
			if mm := m.(map[string]any); mm["platform_user_id"] == user {
				return mm
			}
		}
		return nil
	}
	wait("the members", func() bool { return member(cohort, "wmOLD") != nil })
	if m := member(cohort, "wmOLD"); m["source"] != "pulled_in" {
		t.Fatalf("invited member: %v", m)
	}
	// The customer group's owner is its 群主, its admin a 店小二.
	wait("the group's roles", func() bool {
		return member(cohort, "zhangsan")["role"] == "owner" && member(cohort, "lisi")["role"] == "assistant"
	})
	// The statistics are imported and the day rolled up from them.
	wait("yesterday's figures from the statistics", func() bool {
		_, res := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/health?days=2", p.url, cohort), admin, "")
		days, _ := res["days"].([]any)
		for _, d := range days {
			if d := d.(map[string]any); d["date"] == yesterday.Format(time.DateOnly) {
				return d["source"] == "stats" && d["messages"] == 17.0 && d["communicators"] == 2.0
			}
		}
		return false
	})

	// A customer scans the group's QR code; WeCom posts the event.
	n, err := fake.Join("wrCOHORT1", wecom.GroupMember{UserID: "wmQR", JoinScene: wecom.JoinByQRCode, Name: "扫码新人"})
	if err != nil {
		t.Fatal(err)
	}
	if code, body, err := cb.Post(n); err != nil || code != 200 {
		t.Fatalf("callback: %d %q %v", code, body, err)
	}
	if m := member(cohort, "wmQR"); m == nil || m["source"] != "promotion" {
		t.Fatalf("member who joined by QR code: %v", m)
	}
	// A forged event is refused and logged.
	if code, _, _ := cb.PostRaw(strings.Repeat("0", 40), "1", "2", "<xml><Encrypt>AAAA</Encrypt></xml>"); code != 401 {
		t.Fatalf("forged event: %d", code)
	}

	// The group is the first of a family named NF-阳新2026-{n}; a poster's
	// invite code for it becomes a join way (群活码) that WeCom keeps:
	// the family's groups with room, and its next name for the group WeCom
	// creates when they are full. /join/{code} leads to its QR code.
	_, out := call(t, "POST", p.url+"/api/v1/templates", admin, `{"name":"开班","variables":["county","year"],"steps":[{"kind":"cohort","pattern":"NF-{county}{year}-{n}"}]}`)
	tpl := out["id"]
	_, out = call(t, "POST", p.url+"/api/v1/nodes", admin, `{"name":"阳新","kind":"region"}`)
	if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/templates/%v/apply", p.url, tpl), admin, fmt.Sprintf(`{"node_id":%v,"variables":{"county":"阳新","year":"2026"}}`, out["id"])); code != 201 {
		t.Fatalf("apply the template: %d %v", code, out)
	}
	_, out = call(t, "POST", p.url+"/api/v1/campaigns", admin, `{"name":"春季海报"}`)
	_, out = call(t, "POST", p.url+"/api/v1/invite-codes", admin, fmt.Sprintf(`{"code":"YX2026AUTUMN","campaign_id":%v,"group_id":%v}`, out["id"], cohort))
	if out["code"] != "YX2026AUTUMN" {
		t.Fatalf("invite code: %v", out)
	}
	joinWay := func() (string, wecom.JoinWay) {
		for id, w := range fake.JoinWays() {
			if w.State == "YX2026AUTUMN" {
				return id, w
			}
		}
		return "", wecom.JoinWay{}
	}
	wait("the join way", func() bool { id, _ := joinWay(); return id != "" })
	cfg, w := joinWay()
	if w.AutoCreateRoom != 1 || w.RoomBaseName != "NF-阳新2026-" || w.RoomBaseID != 2 || !slices.Equal(w.ChatIDList, []string{"wrCOHORT1"}) {
		t.Fatalf("the join way: %+v", w)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	wait("the join link to lead to the QR code", func() bool {
		resp, err := noRedirect.Get(p.url + "/join/YX2026AUTUMN")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusFound && resp.Header.Get("Location") == w.QRCode
	})

	// The group fills; when a newcomer scans the code WeCom creates the
	// family's next group; qunzhu learns of it and of the newcomer, binds it
	// to the family, and the join way points at it alone from then on.
	for i := 0; len(mustGroup(t, fake, "wrCOHORT1").Members) < wecomtest.QRCapacity; i++ {
		n, err := fake.Join("wrCOHORT1", wecom.GroupMember{UserID: fmt.Sprintf("wmFILL%03d", i)})
		if err != nil {
			t.Fatal(err)
		}
		if code, body, err := cb.Post(n); err != nil || code != 200 {
			t.Fatalf("callback: %d %q %v", code, body, err)
		}
	}
	newChat, notes, err := fake.Scan(cfg, wecom.GroupMember{UserID: "wmNEXT", Name: "下一位"})
	if err != nil || newChat == "wrCOHORT1" {
		t.Fatalf("scan: %s %v", newChat, err)
	}
	for _, n := range notes {
		if code, body, err := cb.Post(n); err != nil || code != 200 {
			t.Fatalf("callback: %d %q %v", code, body, err)
		}
	}
	next := groupID(newChat)
	if next == 0 {
		t.Fatal("the group WeCom created is not known")
	}
	_, g := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v", p.url, next), admin, "")
	if fmt.Sprint(g) == "" || !strings.Contains(fmt.Sprint(g), "NF-阳新2026-2") {
		t.Fatalf("the new group: %v", g)
	}
	if m := member(next, "wmNEXT"); m == nil || m["source"] != "promotion" || m["code"] != "YX2026AUTUMN" {
		t.Fatalf("the newcomer in the new group: %v", m)
	}
	wait("the join way to point at the new group", func() bool {
		_, w := joinWay()
		return slices.Equal(w.ChatIDList, []string{newChat}) && w.RoomBaseID == 3
	})
	if _, g := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v", p.url, next), admin, ""); g["kind"] != "cohort" {
		t.Fatalf("the new group is not the family's: %v", g)
	}

	// The staff group is the group robot's: duty reminders go there, and
	// to the assistant on duty (the group's admin) as an application
	// message.
	if code, out := call(t, "PUT", p.url+"/api/v1/settings/staff-group", admin, fmt.Sprintf(`{"group_id":%v}`, groupID(wecom.RobotGroup))); code != 200 {
		t.Fatalf("staff group: %d %v", code, out)
	}

	// A push: a 群发 task for the owner; pending until they confirm.
	_, out = call(t, "POST", p.url+"/api/v1/scripts", admin, `{"title":"晚高峰","body":"今天的复盘：大家怎么看？"}`)
	script := int(out["id"].(float64))
	// One admin token writes and approves: a team of one.
	if code, out := call(t, "PUT", p.url+"/api/v1/settings/content", admin, `{"self_approval":true}`); code != 200 {
		t.Fatalf("allow self-approval: %d %v", code, out)
	}
	for _, step := range [][2]string{{"submitted", "contributor"}, {"in_review", "reviewer"}, {"approved", "reviewer"}} {
		if code, out := call(t, "POST", fmt.Sprintf("%s/api/v1/scripts/%d/transitions", p.url, script), admin, fmt.Sprintf(`{"to":%q,"role":%q}`, step[0], step[1])); code != 200 {
			t.Fatalf("%v: %d %v", step, code, out)
		}
	}
	if code, out := call(t, "POST", p.url+"/api/v1/pushes", admin, fmt.Sprintf(`{"script_id":%d,"group_ids":[%v],"at":%q}`, script, cohort, time.Now().Add(-time.Minute).Format(time.RFC3339))); code != 201 {
		t.Fatalf("plan the push: %d %v", code, out)
	}
	receipt := func() map[string]any {
		_, res := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/pushes", p.url, cohort), admin, "")
		list, _ := res["pushes"].([]any)
		if len(list) != 1 {
			return nil
		}
		return list[0].(map[string]any)
	}
	wait("the 群发 task", func() bool { return len(fake.Msgs()) == 1 })
	msg := fake.Msgs()[0]
	if msg.Sender != "zhangsan" || len(msg.ChatIDs) != 1 || msg.ChatIDs[0] != "wrCOHORT1" || !strings.Contains(msg.Text, "今天的复盘") {
		t.Fatalf("群发: %+v", msg)
	}
	wait("the pending receipt", func() bool {
		r := receipt()
		return r != nil && r["delivery"] == "pending" && r["pending_for"] == "owner_confirm" && strings.Contains(fmt.Sprint(r["pending_reason"]), "confirm") && r["delivery_error"] == nil
	})
	time.Sleep(time.Second) // several checks later: still pending, one task
	if r := receipt(); r["delivery"] != "pending" || len(fake.Msgs()) != 1 {
		t.Fatalf("before confirmation: %v, %d tasks", r, len(fake.Msgs()))
	}
	wait("the duty reminders", func() bool {
		app, robot := fake.AppMessages(), fake.RobotMessages()
		return len(app) == 1 && app[0].ToUser == "lisi" && strings.Contains(app[0].Text, "值班提醒") &&
			len(robot) == 1 && strings.Contains(robot[0].Text, "@李四") && strings.Contains(robot[0].Text, "值班提醒")
	})
	fake.Confirm(msg.ID)
	wait("the done receipt", func() bool {
		r := receipt()
		return r != nil && r["delivery"] == "done" && r["delivery_error"] == nil && r["pending_for"] == nil
	})
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz: %d %v", code, body)
	}
	p.stop(t)
}

func mustGroup(t *testing.T, f *wecomtest.Server, chat string) wecomtest.Group {
	t.Helper()
	g, ok := f.Group(chat)
	if !ok {
		t.Fatalf("no group %s", chat)
	}
	return g
}
