package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

func TestSyncImportsGroupsOnce(t *testing.T) {
	w := newWorld(t, nil)
	created := w.sink.find(chat.EventGroupCreated, chatA)
	if len(created) != 1 || created[0].GroupName != "NF-阳新2026第1期群" || created[0].Actor == nil || created[0].Actor.ID != ownerA {
		t.Fatalf("group_created: %s", describe(created))
	}
	joins := w.sink.find(chat.EventMemberJoined, chatA)
	if len(joins) != 3 {
		t.Fatalf("joins: %s", describe(joins))
	}
	byUser := map[string]chat.Event{}
	for _, e := range joins {
		byUser[e.Sender.ID] = e
	}
	old1, old2 := byUser["wmOLD1"], byUser["wmOLD2"]
	if old1.Source != chat.SourcePulledIn || old1.Inviter == nil || old1.Inviter.ID != ownerA || !old1.Time.Equal(time.Unix(1700000100, 0)) {
		t.Errorf("invited member: %+v", old1)
	}
	if old2.Source != chat.SourcePromo || old2.Code != "SPRING" || old2.Sender.Name != "李同学" {
		t.Errorf("member by QR code: %+v", old2)
	}
	if robot := w.sink.find(chat.EventGroupCreated, wecom.RobotGroup); len(robot) != 1 || robot[0].GroupName == "" {
		t.Errorf("the robot's group is not reported: %s", describe(robot))
	}
	if got := w.a.Known(); got[chatA] != ownerA {
		t.Errorf("known groups: %v", got)
	}
	// A restart reads every group again and stores nothing new.
	n := len(w.sink.events())
	w.restart(nil)
	if got := len(w.sink.events()); got != n {
		t.Fatalf("a restart added events: %s", describe(w.sink.events()[n:]))
	}
	if err := w.a.Health(time.Now()); err != nil {
		t.Fatalf("health: %v", err)
	}
}

func TestCallbackJoinByQRCode(t *testing.T) {
	w := newWorld(t, nil)
	n, err := w.fake.Join(chatA, wecom.GroupMember{UserID: customer, JoinScene: wecom.JoinByQRCode, State: "CODE42", Name: "新人"})
	if err != nil {
		t.Fatal(err)
	}
	w.post(n)
	// Answered 200 only once stored: the event is there now.
	var got *chat.Event
	for _, e := range w.sink.find(chat.EventMemberJoined, chatA) {
		if e.Sender.ID == customer {
			got = &e
		}
	}
	if got == nil || got.Source != chat.SourcePromo || got.Code != "CODE42" || got.Sender.Name != "新人" || got.Inviter != nil {
		t.Fatalf("join by QR code: %+v", got)
	}
	// WeCom sends it again (our answer was late): handled once.
	calls := len(w.fake.Calls())
	w.post(n)
	if len(w.fake.Calls()) != calls {
		t.Fatal("a repeated callback was handled again")
	}
}

func TestCallbackSceneWhenTheGroupSaysNothing(t *testing.T) {
	// groupchat/get did not give a join scene: the callback's decides.
	w := newWorld(t, nil)
	n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wmA", Name: "甲"})
	w.post(n)
	e := w.sink.find(chat.EventMemberJoined, chatA)
	if last := e[len(e)-1]; last.Sender.ID != "wmA" || last.Source != chat.SourcePulledIn {
		t.Fatalf("callback scene 0: %+v", last)
	}
}

func TestCallbackLeaveRenameOwnerDismiss(t *testing.T) {
	w := newWorld(t, nil)
	n, _ := w.fake.Leave(chatA, "wmOLD1", 1)
	w.post(n)
	n, _ = w.fake.Leave(chatA, "wmOLD2", 0)
	w.post(n)
	left := w.sink.find(chat.EventMemberLeft, chatA)
	if len(left) != 2 || left[0].Sender.ID != "wmOLD1" || left[0].Reason != chat.LeftRemoved || left[1].Reason != chat.LeftVoluntarily {
		t.Fatalf("leaves: %s", describe(left))
	}
	n, _ = w.fake.Rename(chatA, "NF-阳新2026第1期群（满）")
	w.post(n)
	if r := w.sink.find(chat.EventGroupRenamed, chatA); len(r) != 1 || r[0].NewName != "NF-阳新2026第1期群（满）" {
		t.Fatalf("rename: %s", describe(r))
	}
	n, _ = w.fake.ChangeOwner(chatA, "lisi")
	w.post(n)
	if got := w.a.Known()[chatA]; got != "lisi" {
		t.Fatalf("owner after change_owner: %q", got)
	}
	w.post(w.fake.Dismiss(chatA))
	left = w.sink.find(chat.EventMemberLeft, chatA)
	if len(left) != 3 || left[2].Sender.ID != ownerA || left[2].Reason != chat.LeftRemoved {
		t.Fatalf("dismiss: %s", describe(left))
	}
	if _, ok := w.a.Known()[chatA]; ok {
		t.Fatal("a dismissed group is still known")
	}
}

func TestChangesWhileDownAreFoundOnStart(t *testing.T) {
	w := newWorld(t, nil)
	w.stop()
	w.stop = nil
	// While qunzhu is down: a member leaves and comes back, another
	// joins, a new group is created.
	w.fake.Leave(chatA, "wmOLD1", 0)
	w.fake.Join(chatA, wecom.GroupMember{UserID: "wmOLD1", JoinTime: 1800000000, JoinScene: wecom.JoinByLink, Invitor: invitor("wmOLD2")})
	w.fake.CreateGroup(wecomtest.Group{ChatID: chatB, Name: "NF-阳新2026第2期群", Owner: ownerA, Members: []wecom.GroupMember{{UserID: ownerA, Type: wecom.MemberStaff, JoinTime: 1800000000}}})
	w.start(nil)
	var stints []string
	for _, e := range w.sink.events() {
		if e.Sender.ID == "wmOLD1" {
			stints = append(stints, string(e.Type)+":"+e.ID)
		}
	}
	want := []string{"member_joined:joined:wrAAAA:wmOLD1:1700000100", "member_left:left:wrAAAA:wmOLD1:1700000100", "member_joined:joined:wrAAAA:wmOLD1:1800000000"}
	if !slices.Equal(stints, want) {
		t.Fatalf("stints of wmOLD1: %v", stints)
	}
	if len(w.sink.find(chat.EventGroupCreated, chatB)) != 1 {
		t.Fatal("the group created while down was not found")
	}
	// Dismissed while down: found missing from the list, then gone.
	w.stop()
	w.stop = nil
	w.fake.Dismiss(chatB)
	w.start(nil)
	if len(w.sink.find(chat.EventMemberLeft, chatB)) != 1 {
		t.Fatalf("the group dismissed while down still has members: %s", describe(w.sink.events()))
	}
}

func TestCallbackRefusals(t *testing.T) {
	w := newWorld(t, nil)
	url := w.cb.URL
	get := func(q string) (int, string) {
		resp, err := http.Get(url + "?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		buf := make([]byte, 512)
		n, _ := resp.Body.Read(buf)
		b.Write(buf[:n])
		return resp.StatusCode, b.String()
	}
	if code, body, err := w.cb.VerifyURL("echo-7788"); err != nil || code != 200 || body != "echo-7788" {
		t.Fatalf("URL check: %d %q %v", code, body, err)
	}
	if code, _ := get("msg_signature=0000&timestamp=1&nonce=2&echostr=AAAA"); code != 401 {
		t.Fatalf("URL check with a bad signature: %d", code)
	}
	if code, _ := get("timestamp=1"); code != 400 {
		t.Fatalf("URL check without parameters: %d", code)
	}
	n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wmX"})
	ts, nonce := "1700000000", "99"
	enc, sig, _ := w.cb.Crypter.Seal([]byte(n), ts, nonce)
	body := "<xml><ToUserName><![CDATA[" + corpID + "]]></ToUserName><Encrypt><![CDATA[" + enc + "]]></Encrypt></xml>"
	other, _ := wecom.NewCrypter(cbToken, aesKey, "wwOTHER")
	encOther, sigOther, _ := other.Seal([]byte(n), ts, nonce)
	for _, tt := range []struct {
		name           string
		sig, nonce, by string
		want           int
	}{
		{"bad signature", strings.Repeat("0", 40), nonce, body, 401},
		{"signature for another nonce", sig, "100", body, 401},
		{"no signature", "", nonce, body, 400},
		{"not XML", sig, nonce, "{]", 400},
		{"no ciphertext", sig, nonce, "<xml><ToUserName>x</ToUserName></xml>", 400},
		{"another corp's envelope", sig, nonce, strings.Replace(body, corpID, "wwOTHER", 1), 400},
		{"encrypted for another corp", sigOther, nonce, strings.Replace(body, enc, encOther, 1), 400},
	} {
		code, resp, err := w.cb.PostRaw(tt.sig, ts, tt.nonce, tt.by)
		if err != nil || code != tt.want {
			t.Errorf("%s: %d %q %v, want %d", tt.name, code, resp, err, tt.want)
		}
	}
	if len(w.sink.find(chat.EventMemberJoined, chatA)) != 3 {
		t.Fatal("a refused callback was stored")
	}
	w.logMu.Lock()
	refused := strings.Count(w.logs.String(), "wecom: callback")
	w.logMu.Unlock()
	if refused < 9 {
		t.Fatalf("refusals are not all logged (%d lines)", refused)
	}
	// The genuine one goes through.
	if code, resp, err := w.cb.PostRaw(sig, ts, nonce, body); err != nil || code != 200 {
		t.Fatalf("genuine callback: %d %q %v", code, resp, err)
	}
	// An event that is not about a customer group is acknowledged.
	if code, _, _ := w.cb.Post(wecomtest.Notification("<xml><ToUserName>" + corpID + "</ToUserName><MsgType>event</MsgType><Event>enter_agent</Event></xml>")); code != 200 {
		t.Fatalf("other event: %d", code)
	}
}

func TestCallbackWhileStoppedOrFailing(t *testing.T) {
	w := newWorld(t, nil)
	n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wmY"})
	w.sink.mu.Lock()
	w.sink.fail = errors.New("database is locked")
	w.sink.mu.Unlock()
	if code, _, _ := w.cb.Post(n); code != 500 {
		t.Fatalf("storing failed: %d, want 500 (WeCom sends it again)", code)
	}
	w.sink.mu.Lock()
	w.sink.fail = nil
	w.sink.mu.Unlock()
	w.post(n) // the retry is not mistaken for a duplicate
	w.stop()
	w.stop = nil
	h := httptest.NewServer(w.a)
	defer h.Close()
	w.cb.URL = h.URL
	if code, _, _ := w.cb.Post(n); code != 200 {
		// Seen before: answered at once, even while stopped.
		t.Fatalf("a handled event while stopped: %d", code)
	}
	n2, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wmZ"})
	if code, _, _ := w.cb.Post(n2); code != 503 {
		t.Fatalf("a new event while stopped: %d, want 503", code)
	}
}

func TestUnsupportedActionsAreRefused(t *testing.T) {
	w := newWorld(t, nil)
	caps := w.a.Capabilities()
	for k, ok := range caps {
		if ok {
			t.Errorf("capability %s declared", k)
		}
	}
	if lim := w.a.Limitations(); len(lim) != 3 || !strings.Contains(lim[2], "会话内容存档") {
		t.Errorf("limitations: %q", lim)
	}
	for _, k := range chat.ActionKinds {
		if k == chat.ActSend {
			continue
		}
		err := w.a.Do(context.Background(), chat.Action{Key: "k", Kind: k, Group: chatA, User: customer, MessageID: "m1"})
		if !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "WeCom") {
			t.Errorf("%s: %v", k, err)
		}
	}
	// A send that is not a scheduled push: WeCom cannot post it.
	err := w.a.Do(context.Background(), chat.Action{Key: "wx:e1:welcome", Kind: chat.ActSend, Group: chatA, Text: "欢迎"})
	if !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "by hand") {
		t.Fatalf("welcome: %v", err)
	}
	if len(w.fake.Msgs()) != 0 {
		t.Fatal("a 群发 was created for a welcome")
	}
}

func TestPushAsGroupMessage(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	w := newWorld(t, func(c *wecom.Config) { c.Now = clock; c.ConfirmWithin = 24 * time.Hour })
	ctx := context.Background()
	push := chat.Action{Key: "push:7", Connection: "wx", Kind: chat.ActSend, Group: chatA, Text: "今天的复盘：大家怎么看？", Reason: "push"}
	var pe *chat.PendingError
	if err := w.a.Do(ctx, push); !errors.As(err, &pe) || !strings.Contains(pe.State, ownerA) || !strings.Contains(pe.State, "confirm") || pe.For != chat.PendingOwnerConfirm || pe.CheckAfter != time.Minute {
		t.Fatalf("first delivery: %v", err)
	}
	msgs := w.fake.Msgs()
	if len(msgs) != 1 || msgs[0].Sender != ownerA || !slices.Equal(msgs[0].ChatIDs, []string{chatA}) || msgs[0].Text != push.Text {
		t.Fatalf("群发: %+v", msgs)
	}
	// Asked again before the owner confirmed: still pending, no second task.
	if err := w.a.Do(ctx, push); !errors.As(err, &pe) {
		t.Fatalf("before confirmation: %v", err)
	}
	if len(w.fake.Msgs()) != 1 {
		t.Fatal("a second 群发 was created")
	}
	w.fake.Confirm(msgs[0].ID)
	if err := w.a.Do(ctx, push); err != nil {
		t.Fatalf("after confirmation: %v", err)
	}
	// Quota used up: a permanent failure naming it.
	push2 := push
	push2.Key = "push:8"
	w.a.Do(ctx, push2)
	id := w.fake.Msgs()[1].ID
	w.fake.QuotaUsed(id, chatA)
	w.fake.Confirm(id)
	if err := w.a.Do(ctx, push2); !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("quota: %v", err)
	}
	// Not confirmed within a day: cancelled, and the push failed.
	push3 := push
	push3.Key = "push:9"
	w.a.Do(ctx, push3)
	now = now.Add(25 * time.Hour)
	if err := w.a.Do(ctx, push3); !errors.Is(err, chat.ErrPermanent) || !strings.Contains(err.Error(), "did not confirm") {
		t.Fatalf("unconfirmed: %v", err)
	}
	if m := w.fake.Msgs()[2]; !m.Cancelled {
		t.Fatal("the unconfirmed 群发 was not cancelled")
	}
}

func TestStaffMessages(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	if err := w.a.Do(ctx, chat.Action{Key: "duty:1", Kind: chat.ActSend, Group: wecom.RobotGroup, Text: "@王五 值班提醒"}); err != nil {
		t.Fatal(err)
	}
	if err := w.a.Do(ctx, chat.Action{Key: "duty-app:1", Kind: chat.ActSend, Group: wecom.AppPrefix + "wangwu|zhaoliu", Text: "值班提醒：推送已发出"}); err != nil {
		t.Fatal(err)
	}
	if err := w.a.NotifyStaff(ctx, []string{"wangwu"}, strings.Repeat("长", 1000)); err != nil {
		t.Fatal(err)
	}
	if err := w.a.AlertStaffGroup(ctx, "群 NF-1 安静了两天", "wangwu"); err != nil {
		t.Fatal(err)
	}
	robot, app := w.fake.RobotMessages(), w.fake.AppMessages()
	if len(robot) != 2 || robot[0].Text != "@王五 值班提醒" || !slices.Equal(robot[1].Mention, []string{"wangwu"}) {
		t.Fatalf("robot: %+v", robot)
	}
	if len(app) != 2 || app[0].ToUser != "wangwu|zhaoliu" || app[0].AgentID != agentID || len(app[1].Text) > 2048 || !strings.HasSuffix(app[1].Text, "…") {
		t.Fatalf("application messages: %+v", app)
	}
}

func TestAPIErrorsSayWhatToFix(t *testing.T) {
	w := newWorld(t, nil)
	ctx := context.Background()
	do := func() error {
		return w.a.Do(ctx, chat.Action{Key: "push:1", Kind: chat.ActSend, Group: chatB, Text: "x"})
	}
	for _, tt := range []struct {
		code     int
		kind     errkind.Kind
		says     string
		retry    bool
		unhealth bool
	}{
		{60020, errkind.Forbidden, "企业可信IP", false, true},
		{48002, errkind.Forbidden, "可调用接口的应用", false, true},
		{40001, errkind.Unauthorized, "options.secret", false, true},
		{45009, errkind.RateLimited, "rate limit", true, false},
		{-1, errkind.Unavailable, "busy", true, false},
		{90502, errkind.Conflict, "离职继承", false, false},
	} {
		w.fake.ExpireTokens()
		path := "externalcontact/groupchat/get"
		if tt.code == 40001 {
			path = "gettoken"
		}
		w.fake.Fail(path, tt.code)
		err := do()
		if err == nil || !strings.Contains(err.Error(), tt.says) || errkind.Of(err) != tt.kind || errors.Is(err, chat.ErrPermanent) == tt.retry {
			t.Errorf("errcode %d: %v (kind %s, permanent %v)", tt.code, err, errkind.Of(err), errors.Is(err, chat.ErrPermanent))
		}
		var ra *chat.RetryAfterError
		if (tt.code == 45009) != errors.As(err, &ra) {
			t.Errorf("errcode %d: retry-after %v", tt.code, err)
		}
		if h := w.a.Health(time.Now()); (h != nil) != tt.unhealth {
			t.Errorf("errcode %d: health %v", tt.code, h)
		}
		// The same API answering again clears it (a callback reads chatA).
		n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: fmt.Sprintf("wm%d", tt.code)})
		w.post(n)
		if h := w.a.Health(time.Now()); h != nil {
			t.Errorf("errcode %d: still unhealthy after a good call: %v", tt.code, h)
		}
	}
	// A missing permission for 群发 is not cleared by other APIs working.
	w.fake.Fail("externalcontact/add_msg_template", 48002)
	if err := w.a.Do(ctx, chat.Action{Key: "push:2", Kind: chat.ActSend, Group: chatA, Text: "x"}); !errors.Is(err, chat.ErrPermanent) {
		t.Fatalf("群发 without permission: %v", err)
	}
	n, _ := w.fake.Join(chatA, wecom.GroupMember{UserID: "wmLATER"})
	w.post(n)
	if h := w.a.Health(time.Now()); h == nil || !strings.Contains(h.Error(), "add_msg_template") {
		t.Fatalf("health after a 群发 was refused: %v", h)
	}
}

func TestDailyStats(t *testing.T) {
	w := newWorld(t, nil)
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, loc)
	w.fake.SetStats(ownerA, day.AddDate(0, 0, -1), wecom.GroupStats{MemberTotal: 100})
	w.fake.SetStats(ownerA, day, wecom.GroupStats{NewMemberCnt: 8, MemberTotal: 105, MemberHasMsg: 31, MsgTotal: 402, ChatHasMsg: 1})
	got, err := w.a.DailyStats(context.Background(), day)
	if err != nil || len(got) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	d := got[0]
	if d.Owner != ownerA || d.Day != analytics.DayOf(day, loc) || !slices.Equal(d.Groups, []string{chatA}) || d.NewMembers != 8 || d.Leavers != 3 || d.Messages != 402 || d.ActiveMembers != 31 || d.Members != 105 {
		t.Fatalf("day: %+v", d)
	}
}

func TestOneGroupFailingDoesNotFailTheConnection(t *testing.T) {
	w := newWorld(t, nil)
	w.stop()
	w.stop = nil
	w.fake.Fail("externalcontact/groupchat/get", -1)
	w.start(nil) // waits for the sync
	s := w.a.Status()
	if !strings.Contains(s.SyncError, "1 of 1 customer groups could not be read") || !strings.Contains(s.SyncError, "busy") {
		t.Fatalf("sync error: %q", s.SyncError)
	}
	if err := w.a.Health(time.Now()); err != nil {
		t.Fatalf("health with one group failing: %v", err)
	}
	// Listing fails: the connection is not ready until it can.
	w.stop()
	w.stop = nil
	w.fake.Fail("externalcontact/groupchat/list", 60020)
	w2 := &world{t: t, fake: w.fake, cur: newCursors(), sink: newSink(), logs: w.logs, logMu: w.logMu}
	cfg := wecom.Config{Name: "wx", CorpID: corpID, AgentID: agentID, Secret: secret, CallbackToken: cbToken, EncodingAESKey: aesKey, APIURL: w.fake.URL, Cursors: w2.cur}
	a, err := wecom.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx, w2.sink) }()
	defer func() { cancel(); <-done }()
	w2.a = a
	w2.waitFor("the failed listing", func() bool { return a.Status().SyncError != "" })
	if err := a.Health(time.Now()); err == nil || !strings.Contains(err.Error(), "企业可信IP") {
		t.Fatalf("health when the groups cannot be listed: %v", err)
	}
}
