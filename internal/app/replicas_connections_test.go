package app_test

// Replicas sharing one PostgreSQL database: each platform connection is
// held by one of them through a lease; when the holder dies another takes
// over within the lease time and resumes from the saved offset; a holder
// that stalls and comes back sends nothing more; and a group's events are
// decided on one replica whichever one the platform calls.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/qunzhu/qunzhu/internal/chat/webhook"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// pollAPI is a Bot API that keeps its updates and answers getUpdates from
// the offset asked, as Telegram does, so that a poller that resumes from
// a saved offset and one that starts over can be told apart. It answers
// 409 to a getUpdates made while another is running (Telegram: "terminated
// by other getUpdates request"), and counts every action by what it acts
// on.
type pollAPI struct {
	mu       sync.Mutex
	updates  []string // update i has update_id i+1
	polling  int      // getUpdates running now
	conflict int      // getUpdates refused for another running
	offsets  []int64  // the offset of every getUpdates, in order
	acts     map[string]int
	// stall, when set, is closed when the next action arrives; that
	// action is answered, 500, only after a while, and not counted.
	stall chan struct{}
}

// stalled reports whether this action is the one to stall, and stalls it.
func (f *pollAPI) stalled() bool {
	f.mu.Lock()
	c := f.stall
	f.stall = nil
	f.mu.Unlock()
	if c == nil {
		return false
	}
	close(c)
	time.Sleep(1500 * time.Millisecond)
	return true
}

func newPollAPI() *pollAPI { return &pollAPI{acts: map[string]int{}} }

var msgIDRE = regexp.MustCompile(`"message_id":(\d+)`)
var mentionRE = regexp.MustCompile(`"user":\{"id":(\d+)`)

func (f *pollAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 2 || parts[0] != "bot"+botToken {
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
		return
	}
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", "application/json")
	switch parts[1] {
	case "getMe":
		io.WriteString(w, `{"ok":true,"result":{"id":4242,"is_bot":true,"first_name":"qunzhu","username":"qunzhu_bot"}}`)
	case "getUpdates":
		var p struct {
			Offset int64 `json:"offset"`
		}
		json.Unmarshal(body, &p)
		f.mu.Lock()
		if f.polling > 0 {
			f.conflict++
			f.mu.Unlock()
			w.WriteHeader(http.StatusConflict)
			io.WriteString(w, `{"ok":false,"error_code":409,"description":"Conflict: terminated by other getUpdates request"}`)
			return
		}
		f.polling++
		f.offsets = append(f.offsets, p.Offset)
		f.mu.Unlock()
		var ups []string
		for range 5 { // a short long-poll
			f.mu.Lock()
			for i := max(p.Offset-1, 0); i < int64(len(f.updates)); i++ {
				ups = append(ups, f.updates[i])
			}
			f.mu.Unlock()
			if len(ups) > 0 {
				break
			}
			time.Sleep(40 * time.Millisecond)
		}
		f.mu.Lock()
		f.polling--
		f.mu.Unlock()
		fmt.Fprintf(w, `{"ok":true,"result":[%s]}`, strings.Join(ups, ","))
	case "sendMessage":
		if f.stalled() {
			w.WriteHeader(500)
			io.WriteString(w, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
			return
		}
		f.count("sendMessage", mentionRE, body)
		fmt.Fprintf(w, `{"ok":true,"result":{"message_id":900,"date":%d,"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"}}}`, time.Now().Unix())
	default:
		if f.stalled() {
			w.WriteHeader(500)
			io.WriteString(w, `{"ok":false,"error_code":500,"description":"Internal Server Error"}`)
			return
		}
		f.count(parts[1], msgIDRE, body)
		io.WriteString(w, `{"ok":true,"result":true}`)
	}
}

// count records an action by the message or member it is about.
func (f *pollAPI) count(method string, about *regexp.Regexp, body []byte) {
	key := method
	if m := about.FindSubmatch(body); m != nil {
		key += " " + string(m[1])
	}
	f.mu.Lock()
	f.acts[key]++
	f.mu.Unlock()
}

// ad queues an ad from its own member (a first offence: deleted, and the
// member warned) and returns its message id.
func (f *pollAPI) ad() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.updates) + 1
	f.updates = append(f.updates, fmt.Sprintf(`{"update_id":%d,"message":{"message_id":%d,"from":{"id":%d,"is_bot":false,"first_name":"广告员%d"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":"加 薇 信 abc1688 领 免 费 资 料"}}`,
		n, 5000+n, 70000+n, n, time.Now().Unix()))
	return 5000 + n
}

func (f *pollAPI) actions(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.acts[key]
}

// pushed is a bridge in push mode: it records every action by its
// idempotency key, and the kinds of those about each member.
type pushed struct {
	mu     sync.Mutex
	keys   map[string]int
	byUser map[string][]string
}

func (p *pushed) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := webhook.Verify([]byte("push-secret"), r.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), 401)
		return
	}
	var a struct {
		Kind string `json:"kind"`
		User string `json:"user"`
	}
	json.Unmarshal(body, &a)
	p.mu.Lock()
	p.keys[r.Header.Get("Idempotency-Key")]++
	if a.User != "" {
		p.byUser[a.User] = append(p.byUser[a.User], a.Kind)
	}
	p.mu.Unlock()
	w.WriteHeader(204)
}

func (p *pushed) twice() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for k, n := range p.keys {
		if n > 1 {
			out = append(out, fmt.Sprintf("%s ×%d", k, n))
		}
	}
	return out
}

// replica is a serve process and its id.
type replica struct {
	id    string
	p     *proc
	admin string // the admin API token (/readyz names what a replica holds to it alone)
}

// fixture is n replicas with the Telegram connection "tg" on a Bot API
// that keeps its updates, the bridge "wx" pushing to a recorder, and the
// database they share.
type fixture struct {
	api  *pollAPI
	push *pushed
	reps []*replica
	db   *sql.DB
}

func newFixture(t *testing.T, n int, lease time.Duration) *fixture {
	t.Helper()
	_, dsn := storetest.DSN(t, store.Postgres)
	f := &fixture{api: newPollAPI(), push: &pushed{keys: map[string]int{}, byUser: map[string][]string{}}}
	apiSrv := httptest.NewServer(f.api)
	t.Cleanup(apiSrv.Close)
	pushSrv := httptest.NewServer(f.push)
	t.Cleanup(pushSrv.Close)
	f.reps, _ = startReplicas(t, n, dsn, apiSrv.URL, pushSrv.URL, lease)
	f.db = openPostgres(t, dsn)
	return f
}

// startReplicas starts n serve processes on one PostgreSQL database, each
// with the Telegram connection "tg" (polling api) and the bridge "wx"
// (pushing to push), leases of the time given.
func startReplicas(t *testing.T, n int, dsn, api, push string, lease time.Duration) ([]*replica, string) {
	t.Helper()
	// The bridge's settings follow writeConfig's "wx", then the Telegram
	// connection.
	return startReplicasWith(t, n, dsn, lease, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 200\nburst = 20\n", push)+
		telegramConnection(api, "mode = \"polling\"\npoll_timeout = \"1s\""))
}

// startReplicasWith starts n serve processes on one PostgreSQL database
// with writeConfig's bridge "wx" followed by more (TOML), replica ids r1…
// and leases of the time given. It returns them and the admin API token.
func startReplicasWith(t *testing.T, n int, dsn string, lease time.Duration, more string) ([]*replica, string) {
	t.Helper()
	var out []*replica
	admin := ""
	for i := range n {
		dir := t.TempDir()
		id := fmt.Sprintf("r%d", i+1)
		writeConfig(t, dir, more+fmt.Sprintf("\n[database]\nurl = %q\n", dsn))
		cfg, _ := os.ReadFile(filepath.Join(dir, "qunzhu.toml"))
		cfg = []byte(strings.Replace(string(cfg), "[server]\n", fmt.Sprintf("[server]\nreplica_id = %q\nconnection_lease = %q\n", id, lease), 1))
		if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		out = append(out, &replica{id: id, p: start(t, dir, "serve", "--migrate")})
		if i == 0 {
			admin = adminToken(t, dir)
		}
	}
	for _, r := range out {
		r.admin = admin
	}
	return out, admin
}

// holder reads who holds a connection's live lease in the database.
func holder(t *testing.T, db *sql.DB, conn string) string {
	t.Helper()
	var h string
	err := db.QueryRow("SELECT holder FROM connection_leases WHERE connection = $1 AND lease_until > $2", conn, time.Now().UnixMilli()).Scan(&h)
	if err == sql.ErrNoRows {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// holds is what a replica's /readyz says it holds (nil when not ready).
func (r *replica) holds(t *testing.T) []string {
	t.Helper()
	code, body := call(t, "GET", r.p.url+"/readyz", r.admin, "")
	if code != 200 {
		return nil
	}
	out := []string{}
	for _, h := range body["holds"].([]any) {
		out = append(out, h.(string))
	}
	if body["replica"] != r.id {
		t.Fatalf("readyz of %s names %v", r.id, body["replica"])
	}
	return out
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func openPostgres(t *testing.T, dsn string) *sql.DB {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestThreeReplicasConnectionTakeover: three replicas, one holder per
// connection. The holder is killed (SIGKILL) between two waves of ads;
// another replica takes the connection over within the lease time,
// resumes polling from the offset the dead one saved, and handles the
// ads that came meanwhile. Every ad is deleted once and every member
// warned once; a bridge's events posted to any replica are decided on
// the holder (three identical messages sent to three replicas are a
// flood), and each of its actions is pushed once.
func TestThreeReplicasConnectionTakeover(t *testing.T) {
	const lease = 3 * time.Second
	f := newFixture(t, 3, lease)
	api, push, reps, db := f.api, f.push, f.reps, f.db

	var tg *replica
	waitFor(t, "one replica to hold tg and say so", 20*time.Second, func() bool {
		h := holder(t, db, "tg")
		for _, r := range reps {
			if r.id == h && slices.Contains(r.holds(t), "tg") {
				tg = r
				return true
			}
		}
		return false
	})
	for _, r := range reps {
		if r != tg && slices.Contains(r.holds(t), "tg") {
			t.Fatalf("%s and %s both say they hold tg", tg.id, r.id)
		}
	}
	t.Logf("%s holds tg", tg.id)

	// A flood through the bridge: three identical messages, one to each
	// replica. Decided on one replica, the third is a flood.
	for i, r := range reps {
		ev := fmt.Sprintf(`{"id":"flood-%d","type":"message","group":"g-flood","time":%q,"sender":{"id":"flooder","name":"刷屏者"},"message":{"id":"fm%d","kind":"text","text":"快来看看这个好东西"}}`,
			i, time.Now().Format(time.RFC3339), i)
		if code, out := call(t, "POST", r.p.url+"/api/v1/events", bridgeToken, ev); code != 200 || out["accepted"] != 1.0 {
			t.Fatalf("post to %s: %d %v", r.id, code, out)
		}
	}
	waitFor(t, "the flooder muted", 20*time.Second, func() bool {
		push.mu.Lock()
		defer push.mu.Unlock()
		return slices.Contains(push.byUser["flooder"], "mute")
	})

	// The first wave, with the holder alive.
	var ads []int
	for range 4 {
		ads = append(ads, api.ad())
	}
	waitFor(t, "the first wave deleted", 20*time.Second, func() bool {
		for _, id := range ads {
			if api.actions(fmt.Sprint("deleteMessage ", id)) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // deliveries recorded, the offset saved
	api.mu.Lock()
	polls := len(api.offsets)
	api.mu.Unlock()

	// Kill the holder; the second wave comes while nobody polls.
	tg.p.cmd.Process.Signal(syscall.SIGKILL)
	<-tg.p.done
	tg.p.done <- nil
	killed := time.Now()
	for range 4 {
		ads = append(ads, api.ad())
	}
	var next *replica
	waitFor(t, "another replica to take tg over", 4*lease, func() bool {
		h := holder(t, db, "tg")
		for _, r := range reps {
			if r != tg && r.id == h {
				next = r
				return true
			}
		}
		return false
	})
	took := time.Since(killed)
	t.Logf("%s took tg over %v after %s was killed (lease %v)", next.id, took.Round(10*time.Millisecond), tg.id, lease)
	// The lease runs out at most a lease time after the last renewal,
	// and the others try every third of it.
	if took > lease+lease/3+2*time.Second {
		t.Errorf("the takeover took %v, more than the lease time %v and a round", took, lease)
	}
	waitFor(t, "the second wave deleted", 20*time.Second, func() bool {
		for _, id := range ads {
			if api.actions(fmt.Sprint("deleteMessage ", id)) == 0 {
				return false
			}
		}
		return true
	})
	if !slices.Contains(next.holds(t), "tg") {
		t.Fatalf("%s's /readyz does not say it holds tg", next.id)
	}
	// More bridge events, to the survivors, one of which may not hold wx.
	var alive []*replica
	for _, r := range reps {
		if r != tg {
			alive = append(alive, r)
		}
	}
	for i := range 3 {
		ev := fmt.Sprintf(`{"id":"join-%d","type":"member_joined","group":"g-join","time":%q,"sender":{"id":"newbie-%d","name":"新人%d"}}`, i, time.Now().Format(time.RFC3339), i, i)
		if code, out := call(t, "POST", alive[i%2].p.url+"/api/v1/events", bridgeToken, ev); code != 200 {
			t.Fatalf("post a join: %d %v", code, out)
		}
	}
	waitFor(t, "the three newcomers welcomed", 20*time.Second, func() bool {
		push.mu.Lock()
		defer push.mu.Unlock()
		for i := range 3 {
			if !slices.ContainsFunc(slices.Collect(maps.Keys(push.keys)), func(k string) bool { return strings.Contains(k, fmt.Sprintf(":join-%d:", i)) }) {
				return false
			}
		}
		return true
	})
	time.Sleep(2 * time.Second) // anything sent twice would be by now

	// The new holder resumed from the saved offset: its first poll asked
	// for the first update of the second wave, not for the start.
	api.mu.Lock()
	after := slices.Clone(api.offsets[polls:])
	conflicts := api.conflict
	api.mu.Unlock()
	firstNew := int64(ads[4] - 5000) // the offset saved after the first wave
	if len(after) == 0 || slices.ContainsFunc(after, func(off int64) bool { return off < firstNew }) {
		t.Fatalf("polls after the kill asked offsets %v, want each from %d on (the saved offset)", after, firstNew)
	}
	for _, id := range ads {
		if n := api.actions(fmt.Sprint("deleteMessage ", id)); n != 1 {
			t.Errorf("ad %d deleted %d times", id, n)
		}
		if n := api.actions(fmt.Sprint("sendMessage ", 70000+id-5000)); n != 1 {
			t.Errorf("the author of ad %d warned %d times", id, n)
		}
	}
	if conflicts > 0 {
		t.Errorf("%d getUpdates ran while another did: two replicas polled at once", conflicts)
	}
	if twice := push.twice(); len(twice) > 0 {
		t.Errorf("bridge actions pushed more than once: %v", twice)
	}
	for _, r := range alive {
		r.p.stop(t)
	}
}

// TestTwoReplicasStalledHolderSendsNothing: the holder stops (SIGSTOP)
// in the middle of a batch of actions — the platform has not answered
// the first — for longer than its lease. The other replica takes over and
// sends the whole batch. When the stalled one resumes it finds its lease
// gone and sends none of the rest: every ad is deleted once and every
// member warned once; it stops saying it holds the connection. A holder
// stopped gracefully gives its connections up at once.
func TestTwoReplicasStalledHolderSendsNothing(t *testing.T) {
	const lease = 3 * time.Second
	f := newFixture(t, 2, lease)
	api, reps, db := f.api, f.reps, f.db
	var first, second *replica
	waitFor(t, "a holder", 20*time.Second, func() bool {
		switch holder(t, db, "tg") {
		case "r1":
			first, second = reps[0], reps[1]
		case "r2":
			first, second = reps[1], reps[0]
		}
		return first != nil
	})
	ads := []int{api.ad()}
	waitFor(t, "the first ad deleted", 20*time.Second, func() bool { return api.actions(fmt.Sprint("deleteMessage ", ads[0])) == 1 })
	time.Sleep(500 * time.Millisecond)

	// Three ads: six actions claimed in one batch; the holder stalls
	// while the platform keeps it waiting on the first.
	stall := make(chan struct{})
	api.mu.Lock()
	api.stall = stall
	api.mu.Unlock()
	burst := []int{api.ad(), api.ad(), api.ad()}
	ads = append(ads, burst...)
	select {
	case <-stall:
	case <-time.After(20 * time.Second):
		t.Fatal("the burst's actions never came")
	}
	first.p.cmd.Process.Signal(syscall.SIGSTOP)
	waitFor(t, "the other replica to take over", 4*lease, func() bool { return holder(t, db, "tg") == second.id })
	waitFor(t, "the burst handled by the new holder", 20*time.Second, func() bool {
		for _, id := range burst {
			if api.actions(fmt.Sprint("deleteMessage ", id)) == 0 || api.actions(fmt.Sprint("sendMessage ", 70000+id-5000)) == 0 {
				return false
			}
		}
		return true
	})
	first.p.cmd.Process.Signal(syscall.SIGCONT)
	late := api.ad()
	ads = append(ads, late)
	waitFor(t, "the ad after the stall deleted", 20*time.Second, func() bool { return api.actions(fmt.Sprint("deleteMessage ", late)) == 1 })
	waitFor(t, "the stalled replica to let tg go", 10*time.Second, func() bool {
		h := first.holds(t)
		return h != nil && !slices.Contains(h, "tg")
	})
	time.Sleep(3 * time.Second) // the stalled replica has had time to send what it had claimed
	for _, id := range ads {
		if n := api.actions(fmt.Sprint("deleteMessage ", id)); n != 1 {
			t.Errorf("ad %d deleted %d times", id, n)
		}
		if n := api.actions(fmt.Sprint("sendMessage ", 70000+id-5000)); n != 1 {
			t.Errorf("the author of ad %d warned %d times", id, n)
		}
	}
	if holder(t, db, "tg") != second.id {
		t.Fatalf("tg went back to %s", holder(t, db, "tg"))
	}

	// A graceful stop gives the connections up: the other replica takes
	// them in its next round, not a lease time later.
	stopped := time.Now()
	second.p.stop(t)
	waitFor(t, "the stalled replica to take tg back", 2*lease, func() bool { return holder(t, db, "tg") == first.id })
	if took := time.Since(stopped); took > lease {
		t.Errorf("after a graceful stop the takeover took %v (lease %v)", took, lease)
	}
	final := api.ad()
	waitFor(t, "an ad after the handover deleted", 20*time.Second, func() bool { return api.actions(fmt.Sprint("deleteMessage ", final)) == 1 })
	first.p.stop(t)
}

// TestTwoReplicasForwardPlatformRequests: a platform that calls qunzhu
// reaches whichever replica the load balancer picks. A OneBot
// implementation's reverse WebSocket and a Telegram webhook sent to the
// replica that does not hold their connection are relayed to the one that
// does, which checks them (a wrong secret is refused) and acts: the ads
// are deleted through the connections they came on.
func TestTwoReplicasForwardPlatformRequests(t *testing.T) {
	_, dsn := storetest.DSN(t, store.Postgres)
	api := newPollAPI()
	apiSrv := httptest.NewServer(api)
	defer apiSrv.Close()
	const secret = "hook-secret-0123456789"
	reps, _ := startReplicasWith(t, 2, dsn, 3*time.Second, fmt.Sprintf(`
[[connections]]
name = "qq"
platform = "onebot"
[connections.options]
mode = "reverse"
access_token = "onebot-secret-0123456789"

[[connections]]
name = "tgw"
platform = "telegram"
[connections.options]
bot_token = %q
api_url = %q
mode = "webhook"
webhook_secret = %q
`, botToken, apiSrv.URL, secret))
	db := openPostgres(t, dsn)
	// Each connection's request goes to the replica that does not hold it.
	other := func(conn string) *replica {
		var r *replica
		waitFor(t, conn+" held", 20*time.Second, func() bool {
			switch holder(t, db, conn) {
			case "r1":
				r = reps[1]
			case "r2":
				r = reps[0]
			}
			return r != nil
		})
		return r
	}

	// OneBot, through the replica that does not hold qq.
	n := other("qq")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	wsURL := "ws" + strings.TrimPrefix(n.p.url, "http") + "/connect/qq"
	if _, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer wrong"}}}); err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("a wrong token relayed: %v %v", err, resp)
	}
	var ws *websocket.Conn
	waitFor(t, "the relayed WebSocket", 20*time.Second, func() bool {
		c, _, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer onebot-secret-0123456789"}, "X-Self-ID": {"10001"}}})
		ws = c
		return err == nil
	})
	defer ws.CloseNow()
	ad := fmt.Sprintf(`{"time":%d,"self_id":10001,"post_type":"message","message_type":"group","sub_type":"normal","message_id":-71,"group_id":735001208,"user_id":20006,"message":"加 薇 信 abc1688 领 免 费 资 料","raw_message":"加 薇 信 abc1688 领 免 费 资 料","font":0,"sender":{"user_id":20006,"nickname":"卖货郎","card":"","role":"member"}}`, time.Now().Unix())
	if err := ws.Write(ctx, websocket.MessageText, []byte(ad)); err != nil {
		t.Fatal(err)
	}
	for deleted := false; !deleted; {
		_, frame, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("waiting for the relayed delete_msg: %v", err)
		}
		var c struct {
			Action string          `json:"action"`
			Params json.RawMessage `json:"params"`
			Echo   json.RawMessage `json:"echo"`
		}
		json.Unmarshal(frame, &c)
		deleted = c.Action == "delete_msg" && strings.Contains(string(c.Params), "-71")
		ws.Write(ctx, websocket.MessageText, []byte(fmt.Sprintf(`{"status":"ok","retcode":0,"data":{"message_id":1},"echo":%s}`, c.Echo)))
	}
	ws.Close(websocket.StatusNormalClosure, "bye")

	// A Telegram webhook, through the replica that does not hold tgw.
	n = other("tgw")
	update := fmt.Sprintf(`{"update_id":9001,"message":{"message_id":601,"from":{"id":881,"is_bot":false,"first_name":"赵"},"chat":{"id":-1001234567890,"type":"supergroup","title":"NF-测试群"},"date":%d,"text":"加 薇 信 abc1688 领 免 费 资 料"}}`, time.Now().Unix())
	post := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, n.p.url+"/connect/tgw", strings.NewReader(update))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("wrong-secret-0123456789"); code != 401 {
		t.Fatalf("a webhook with a wrong secret: %d", code)
	}
	waitFor(t, "the webhook accepted", 20*time.Second, func() bool { return post(secret) == 200 })
	waitFor(t, "the webhook's ad deleted", 20*time.Second, func() bool { return api.actions("deleteMessage 601") == 1 })
	for _, r := range reps {
		r.p.stop(t)
	}
}
