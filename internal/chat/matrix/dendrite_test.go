package matrix_test

// An end-to-end test against a real Dendrite homeserver on 127.0.0.1. It
// runs when the Dendrite binaries are on PATH or in $(go env GOPATH)/bin
// (.ci/run installs them); under CI it must run, not skip.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"maunium.net/go/mautrix"
	"maunium.net/go/mautrix/event"
	"maunium.net/go/mautrix/id"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/matrix"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

func findBin(t *testing.T, name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if gp, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(gp)), "bin", name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s not found: .ci/run must install Dendrite (go install github.com/matrix-org/dendrite/cmd/...@v0.13.8)", name)
	}
	t.Skipf("%s not found: install Dendrite to run this test", name)
	return ""
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

type homeserver struct {
	url, dir, config, createAccount string
}

// startDendrite runs a throw-away homeserver with federation off.
func startDendrite(t *testing.T) *homeserver {
	t.Helper()
	bin := findBin(t, "dendrite")
	hs := &homeserver{dir: t.TempDir(), createAccount: findBin(t, "create-account")}
	run := func(name string, args ...string) []byte {
		cmd := exec.Command(findBin(t, name), args...)
		cmd.Dir = hs.dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
		return out
	}
	run("generate-keys", "-private-key", "matrix_key.pem")
	cfg := run("generate-config", "-ci", "-dir", hs.dir, "-server", "localhost")
	cfg = []byte(strings.NewReplacer("disable_federation: false", "disable_federation: true", "registration_disabled: false", "registration_disabled: true").Replace(string(cfg)))
	hs.config = filepath.Join(hs.dir, "dendrite.yaml")
	if err := os.WriteFile(hs.config, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	hs.url = "http://" + addr
	cmd := exec.Command(bin, "-config", hs.config, "-http-bind-address", addr)
	cmd.Dir = hs.dir
	logf, _ := os.Create(filepath.Join(hs.dir, "dendrite.log"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(hs.dir, "dendrite.log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			t.Logf("dendrite log tail:\n%s", b)
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(hs.url + "/_matrix/client/versions")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("dendrite did not start")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return hs
}

var tokenRE = regexp.MustCompile(`AccessToken: ([^)\s]+)`)

// account creates a user and returns a client logged in as them.
func (hs *homeserver) account(t *testing.T, name string, admin bool) *mautrix.Client {
	t.Helper()
	args := []string{"-config", hs.config, "-url", hs.url, "-username", name, "-password", name + "-password-123"}
	if admin {
		args = append(args, "-admin")
	}
	cmd := exec.Command(hs.createAccount, args...)
	cmd.Dir = hs.dir // the configuration names its key file relative to it
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("create-account %s: %v\n%s", name, err, out)
	}
	m := tokenRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no access token in:\n%s", out)
	}
	cli, err := mautrix.NewClient(hs.url, id.NewUserID(name, "localhost"), string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	return cli
}

// ruleSet is the owners' preset (quiet hours, nickname format) with ads
// removing the sender at once.
func ruleSet(t *testing.T) func(community.Group) *rules.RuleSet {
	owners, err := rules.Preset("owners")
	if err != nil {
		t.Fatal(err)
	}
	strict, err := rules.ParseRuleSet("strict.toml", []byte("[categories]\nad = \"kick\"\n[quiet]\nallow = \"00:00-23:59\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := rules.Merge(owners, strict)
	if err != nil {
		t.Fatal(err)
	}
	return func(community.Group) *rules.RuleSet { return rs }
}

func within(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDendriteEndToEnd(t *testing.T) {
	hs := startDendrite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bot := hs.account(t, "qunzhu", true)
	alice := hs.account(t, "alice", false)
	spammer := hs.account(t, "spammer", false)
	newbie := hs.account(t, "newbie", false)

	// qunzhu: a store, the pipeline and the Matrix adapter.
	db := storetest.Open(t, store.SQLite, nil)
	org := community.Org{Name: "万景", Slug: "wj"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	ad, err := matrix.New(matrix.Config{Name: "mx", Homeserver: hs.url, UserID: string(bot.UserID), AccessToken: bot.AccessToken, Cursors: db, SyncTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	decider := &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: ruleSet(t), Offences: db.CountOffences, NoticeOnJoin: true}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Decider: decider, OrgFor: func(string) int64 { return org.ID },
		Caps: func(string) chat.Capabilities { return ad.Capabilities() }})
	disp := pipeline.NewDispatcher(pipeline.DispatchConfig{Outbox: db, PollInterval: 50 * time.Millisecond, BackoffBase: 100 * time.Millisecond})
	go in.Run(ctx)
	go disp.Run(ctx, []pipeline.Route{{Adapter: ad}})
	go ad.Run(ctx, in)

	// Alice's room, with the bot as a moderator.
	room, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Name: "万景城业主交流群", Preset: "public_chat",
		Invite:             []id.UserID{bot.UserID},
		PowerLevelOverride: &event.PowerLevelsEventContent{Users: map[id.UserID]int{alice.UserID: 100, bot.UserID: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	within(t, 15*time.Second, "the bot accepts the invitation", func() bool {
		m, err := alice.JoinedMembers(ctx, room.RoomID)
		_, ok := m.Joined[bot.UserID]
		return err == nil && ok
	})

	// A newcomer receives the rules notice, rendered from the rules, and,
	// since "newbie" is not a building-unit-room name, a reminder.
	if _, err := newbie.JoinRoomByID(ctx, room.RoomID); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "the newcomer receives the rules notice", func() bool {
		return roomHas(ctx, alice, room.RoomID, func(e *event.Event) bool {
			return e.Sender == bot.UserID && strings.Contains(e.Content.AsMessage().Body, "【群规通知】") && strings.Contains(e.Content.AsMessage().Body, "5-1-3305 吕凯")
		})
	})
	within(t, 10*time.Second, "the newcomer is reminded of the nickname format", func() bool {
		return roomHas(ctx, alice, room.RoomID, func(e *event.Event) bool {
			return e.Sender == bot.UserID && strings.Contains(e.Content.AsMessage().Body, "请按群规修改群昵称")
		})
	})

	// Staff roles sync to the room: an assistant becomes a moderator, and
	// back.
	for _, on := range []bool{true, false} {
		role := map[bool]string{true: "admin", false: "member"}[on]
		if err := ad.Do(ctx, chat.Action{Key: "role-" + role, Connection: "mx", Kind: chat.ActSetRole, Group: string(room.RoomID), User: string(newbie.UserID), Text: role}); err != nil {
			t.Fatalf("set role %s: %v", role, err)
		}
		var pl event.PowerLevelsEventContent
		if err := alice.StateEvent(ctx, room.RoomID, event.StatePowerLevels, "", &pl); err != nil {
			t.Fatal(err)
		}
		if got := pl.GetUserLevel(newbie.UserID); (got >= 50) != on {
			t.Fatalf("after set role %s the newcomer's power level is %d", role, got)
		}
	}

	// An evaded ad: redacted and its sender kicked within 5 s.
	if _, err := spammer.JoinRoomByID(ctx, room.RoomID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	sent, err := spammer.SendText(ctx, room.RoomID, "加 薇 信 abc1688 领取运营资料")
	if err != nil {
		t.Fatal(err)
	}
	posted := time.Now()
	within(t, 5*time.Second, "the ad is redacted and the spammer kicked", func() bool {
		m, err := alice.JoinedMembers(ctx, room.RoomID)
		if err != nil {
			return false
		}
		if _, still := m.Joined[spammer.UserID]; still {
			return false
		}
		e, err := alice.GetEvent(ctx, room.RoomID, sent.EventID)
		if err != nil {
			return false
		}
		return e.Unsigned.RedactedBecause != nil || len(e.Content.VeryRaw) <= 2
	})
	t.Logf("ad handled %v after it was posted", time.Since(posted).Round(time.Millisecond))
	// The notice speaks to the spammer: a pill, and m.mentions so their
	// client notifies them.
	pill := func(user id.UserID, replyTo id.EventID) func(*event.Event) bool {
		return func(e *event.Event) bool {
			c := e.Content.AsMessage()
			return e.Sender == bot.UserID && c.Mentions != nil && slices.Contains(c.Mentions.UserIDs, user) && c.Format == event.FormatHTML &&
				strings.HasPrefix(c.FormattedBody, `<a href="https://matrix.to/#/`+string(user)+`">`) && !strings.HasPrefix(c.Body, "@") &&
				(replyTo == "" || c.RelatesTo != nil && c.RelatesTo.GetReplyTo() == replyTo)
		}
	}
	within(t, 5*time.Second, "the notice mentions the spammer", func() bool { return roomHas(ctx, alice, room.RoomID, pill(spammer.UserID, "")) })
	// A warning answering a message: a reply, and a pill.
	hello, err := newbie.SendText(ctx, room.RoomID, "大家好")
	if err != nil {
		t.Fatal(err)
	}
	warn := chat.Action{Key: "warn-newbie", Connection: "mx", Kind: chat.ActSend, Group: string(room.RoomID), MessageID: string(hello.EventID),
		Text: "@newbie 请勿刷屏", Mention: &chat.User{ID: string(newbie.UserID), Name: "newbie"}}
	if err := ad.Do(ctx, warn); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "the warning mentions the newcomer, as a reply", func() bool {
		return roomHas(ctx, alice, room.RoomID, pill(newbie.UserID, hello.EventID))
	})

	// Everything is in the store: the spammer's stint ended as removed.
	var reason string
	db.SQL().QueryRow(`SELECT m.left_reason FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = ?`, string(spammer.UserID)).Scan(&reason)
	within(t, 5*time.Second, "the kick is recorded", func() bool {
		db.SQL().QueryRow(`SELECT m.left_reason FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = ?`, string(spammer.UserID)).Scan(&reason)
		return reason == "removed"
	})
	// An admin's /ban applies across the organisation's rooms.
	troll := hs.account(t, "troll", false)
	room2, err := alice.CreateRoom(ctx, &mautrix.ReqCreateRoom{Name: "万景城业主二群", Preset: "public_chat", Invite: []id.UserID{bot.UserID},
		PowerLevelOverride: &event.PowerLevelsEventContent{Users: map[id.UserID]int{alice.UserID: 100, bot.UserID: 100}}})
	if err != nil {
		t.Fatal(err)
	}
	within(t, 15*time.Second, "the bot joins the second room", func() bool {
		m, err := alice.JoinedMembers(ctx, room2.RoomID)
		_, ok := m.Joined[bot.UserID]
		return err == nil && ok
	})
	for _, r := range []id.RoomID{room.RoomID, room2.RoomID} {
		if _, err := troll.JoinRoomByID(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := alice.SendText(ctx, room.RoomID, "大家好，我是群主"); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "qunzhu knows the troll in both rooms and alice", func() bool {
		var n int
		db.SQL().QueryRow(`SELECT COUNT(*) FROM memberships m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = ? AND m.left_at IS NULL`, string(troll.UserID)).Scan(&n)
		err := db.SetRole(ctx, "mx", string(room.RoomID), string(alice.UserID), community.RoleOwner)
		return n == 2 && err == nil
	})
	in.Forget() // roles changed outside the pipeline
	ban := &event.MessageEventContent{MsgType: event.MsgText, Body: "/ban 恶意骚扰", Mentions: &event.Mentions{UserIDs: []id.UserID{troll.UserID}}}
	if _, err := alice.SendMessageEvent(ctx, room.RoomID, event.EventMessage, ban); err != nil {
		t.Fatal(err)
	}
	within(t, 10*time.Second, "the troll is banned from both rooms", func() bool {
		for _, r := range []id.RoomID{room.RoomID, room2.RoomID} {
			var m event.MemberEventContent
			if err := alice.StateEvent(ctx, r, event.StateMember, string(troll.UserID), &m); err != nil || m.Membership != event.MembershipBan {
				return false
			}
		}
		return true
	})

	// The room's history exported as Element exports it — the events as
	// the homeserver serves them to a client — imports with the ids the
	// live adapter gave: every message of it came live already, and the
	// import stores none of them again.
	importHistory(ctx, t, alice, room.RoomID, in, db, bot.UserID)

	// The sync position survives: a new adapter resumes where the old one stopped.
	if pos, _ := db.LoadCursor(ctx, "mx", "next_batch"); pos == "" {
		t.Fatal("no sync position saved")
	}
}

// importHistory exports a room's timeline as Element's "Export chat" (JSON)
// writes it, imports it, and checks that the import adds no message.
func importHistory(ctx context.Context, t *testing.T, cli *mautrix.Client, room id.RoomID, in *pipeline.Ingester, db *store.DB, bot id.UserID) {
	t.Helper()
	resp, err := cli.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	timeline := slices.Clone(resp.Chunk)
	slices.Reverse(timeline) // oldest first, as Element writes them
	export, err := json.Marshal(map[string]any{"room_name": "万景城业主交流群", "room_creator": "alice", "topic": "", "export_date": "2026/12/7",
		"exported_by": "alice", "messages": timeline})
	if err != nil {
		t.Fatal(err)
	}
	if f, err := importer.Detect(export); err != nil || f != importer.FormatMatrix {
		t.Fatalf("the export is detected as %q, %v", f, err)
	}
	var evs []chat.Event
	sum, err := importer.Import(ctx, func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(export)), nil },
		importer.Options{Connection: "mx"}, func(_ context.Context, b importer.Batch) error {
			evs = append(evs, b.Events...)
			return nil
		})
	if err != nil {
		t.Fatalf("import of the room's export: %v", err)
	}
	count := func(q string, args ...any) int {
		var n int
		if err := db.SQL().QueryRow(q, args...).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	messages := 0
	for _, e := range evs {
		if e.Type != chat.EventMessage || e.Sender.ID == string(bot) {
			continue
		}
		messages++
		if count(`SELECT COUNT(*) FROM events WHERE connection = 'mx' AND external_id = ?`, e.ID) != 1 {
			t.Errorf("the exported message %s (%q) has an id the live adapter did not give", e.ID, e.Message.Text)
		}
	}
	if messages < 3 || sum.ByType["member_joined"] < 3 {
		t.Fatalf("the export of %d events gave %d members' messages: %+v", len(timeline), messages, sum)
	}
	stored, queued := count(`SELECT COUNT(*) FROM messages`), count(`SELECT COUNT(*) FROM outbox`)
	if _, err := in.IngestHistory(ctx, evs); err != nil {
		t.Fatal(err)
	}
	if n := count(`SELECT COUNT(*) FROM messages`); n != stored {
		t.Errorf("the import stored %d messages again", n-stored)
	}
	if n := count(`SELECT COUNT(*) FROM outbox`); n != queued {
		t.Errorf("the import queued %d actions", n-queued)
	}
	t.Logf("export of %d events: %d imported, %d members' messages, all received live; skipped %v", len(timeline), len(evs), messages, sum.Skipped)
}

func roomHas(ctx context.Context, cli *mautrix.Client, room id.RoomID, match func(*event.Event) bool) bool {
	resp, err := cli.Messages(ctx, room, "", "", mautrix.DirectionBackward, nil, 50)
	if err != nil {
		return false
	}
	for _, e := range resp.Chunk {
		if e.Type == event.EventMessage {
			e.Content.ParseRaw(e.Type)
			if match(e) {
				return true
			}
		}
	}
	return false
}
