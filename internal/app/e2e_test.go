package app_test

// End-to-end tests against the real binary, built once per test run.

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/qunzhu/qunzhu/internal/chat/webhook"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "qunzhu-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "qunzhu")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/qunzhu")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build qunzhu:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running qunzhu.
type proc struct {
	cmd    *exec.Cmd
	url    string
	stderr *logBuffer
	done   chan error

	mu     sync.Mutex
	stdout []string // the lines printed so far
}

// printed is what the process printed on stdout so far.
func (p *proc) printed() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.stdout, "\n")
}

// logBuffer is a process's output, written by os/exec's copying goroutine
// while the test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// start runs qunzhu with args in dir and waits for it to listen.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "QUNZHU_CONFIG=")
	out, _ := cmd.StdoutPipe()
	p := &proc{cmd: cmd, stderr: &logBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			p.mu.Lock()
			p.stdout = append(p.stdout, sc.Text())
			p.mu.Unlock()
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { p.done <- cmd.Wait() }()
	select {
	case p.url = <-found:
	case err := <-p.done:
		t.Fatalf("qunzhu %v exited: %v\n%s", args, err, p.stderr)
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("qunzhu %v did not start\n%s", args, p.stderr)
	}
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("the end of qunzhu %v's log:\n%s", args, tail(p.stderr.String(), 6000))
		}
	})
	return p
}

// tail is the end of s, at most n bytes.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Fatalf("qunzhu exited with %v on SIGTERM\n%s", err, p.stderr)
		}
		p.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatal("qunzhu did not stop on SIGTERM")
	}
}

func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if json.Unmarshal(raw, &out) != nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out
}

const bridgeToken = "bridge-token-0123456789"

func writeConfig(t *testing.T, dir, extra string) {
	t.Helper()
	cfg := fmt.Sprintf(`[server]
addr = "127.0.0.1:0"
[data]
dir = "data"
[pipeline]
welcome = "欢迎 {name}！"
[dispatcher]
backoff_base = "50ms"
poll_interval = "20ms"
# Short leases so that actions claimed by a killed process are claimed
# again quickly after the restart (30s by default).
lease = "2s"
[[connections]]
name = "wx"
platform = "webhook"
token = %q
%s
`, bridgeToken, extra)
	if err := os.WriteFile(filepath.Join(dir, "qunzhu.toml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestServeEndToEnd(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "")
	// An out-of-date schema is refused without --migrate.
	cmd := exec.Command(binary, "serve")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "qunzhu migrate") {
		t.Fatalf("serve on an empty database: %v\n%s", err, out)
	}
	p := start(t, dir, "serve", "--migrate")
	if code, _ := call(t, "GET", p.url+"/healthz", "", ""); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	if code, body := call(t, "GET", p.url+"/readyz", "", ""); code != 200 {
		t.Fatalf("readyz %d %v", code, body)
	}
	sample := `{"id":"e1","platform":"webhook","type":"message","group":"g-ext-id","time":"2026-11-25T08:00:00+08:00",
	  "sender":{"id":"u1","name":"张三"},"message":{"id":"m1","kind":"text","text":"大家好"}}`
	join := fmt.Sprintf(`[{"id":"e2","type":"member_joined","group":"g-ext-id","time":%q,"sender":{"id":"u2","name":"李四"}}]`, time.Now().Format(time.RFC3339))
	for i, body := range []string{sample, sample, join} {
		code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, body)
		if code != 200 {
			t.Fatalf("post %d: %d %v", i, code, res)
		}
		if i == 1 && res["duplicates"] != 1.0 {
			t.Fatalf("redelivery not recognised: %v", res)
		}
	}
	if code, res := call(t, "POST", p.url+"/api/v1/events", bridgeToken, `{"id":"x","type":"poke","group":"g"}`); code != 400 || !strings.Contains(fmt.Sprint(res), "unknown event type") {
		t.Fatalf("bad event: %d %v", code, res)
	}
	tok, err := os.ReadFile(filepath.Join(dir, "data", "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(tok))
	code, res := call(t, "GET", p.url+"/api/v1/groups", admin, "")
	groups, _ := res["groups"].([]any)
	if code != 200 || len(groups) != 1 || groups[0].(map[string]any)["members"] != 2.0 {
		t.Fatalf("groups: %d %v", code, res)
	}
	id := groups[0].(map[string]any)["id"]
	if code, res := call(t, "GET", fmt.Sprintf("%s/api/v1/groups/%v/messages", p.url, id), admin, ""); code != 200 || len(res["messages"].([]any)) != 1 {
		t.Fatalf("messages: %d %v", code, res)
	}
	code, res = call(t, "GET", p.url+"/api/v1/actions", bridgeToken, "")
	acts, _ := res["actions"].([]any)
	// The configured welcome and the rules notice rendered from the rules.
	if code != 200 || len(acts) != 2 || acts[0].(map[string]any)["text"] != "欢迎 李四！" || !strings.Contains(acts[1].(map[string]any)["text"].(string), "【群规通知】") {
		t.Fatalf("pulled actions: %d %v", code, res)
	}
	cur := acts[0].(map[string]any)["cursor"].(string)
	if code, res := call(t, "POST", p.url+"/api/v1/actions/ack", bridgeToken, `{"cursors":["`+cur+`"]}`); code != 200 || res["acked"] != 1.0 {
		t.Fatalf("ack: %d %v", code, res)
	}
	resp, err := http.Get(p.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"qunzhu_events_ingested_total 2", "qunzhu_events_duplicate_total 1", `qunzhu_outbox_actions{status="done"} 1`, `qunzhu_outbox_actions{status="pending"} 1`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("metrics lack %q:\n%s", want, metrics)
		}
	}
	if code, _ := call(t, "GET", p.url+"/", "", ""); code != 200 {
		t.Fatalf("console: %d", code)
	}
	p.stop(t)
}

// receiver is a bridge that records pushed actions by idempotency key.
type receiver struct {
	mu   sync.Mutex
	keys map[string]int
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if err := webhook.Verify([]byte("push-secret"), req.Header.Get(webhook.SignatureHeader), body, time.Now(), time.Minute); err != nil {
		http.Error(w, err.Error(), 401)
		return
	}
	r.mu.Lock()
	r.keys[req.Header.Get("Idempotency-Key")]++
	r.mu.Unlock()
	w.WriteHeader(204)
}

// TestCrashRecovery kills qunzhu with SIGKILL while a bridge streams events
// into it, restarts it, and checks that every acknowledged event is stored
// exactly once and every committed action is delivered.
func TestCrashRecovery(t *testing.T) {
	dir := t.TempDir()
	rec := &receiver{keys: map[string]int{}}
	bridge := httptest.NewServer(rec)
	defer bridge.Close()
	writeConfig(t, dir, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 300\nburst = 10", bridge.URL))
	p := start(t, dir, "serve", "--migrate")

	// Stream joins (each causes a welcome action) from 4 bridges at once
	// until the process dies.
	var mu sync.Mutex
	acked := map[string]bool{}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ctx.Err() == nil; i++ {
				id := fmt.Sprintf("w%d-%d", w, i)
				body := fmt.Sprintf(`[{"id":%q,"type":"member_joined","group":"g%d","time":%q,"sender":{"id":"u-%s"}}]`, id, i%7, time.Now().Format(time.RFC3339Nano), id)
				req, _ := http.NewRequestWithContext(ctx, "POST", p.url+"/api/v1/events", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+bridgeToken)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the process is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}(w)
	}
	// Let it run, then kill it mid-stream.
	began := time.Now()
	deadline := began.Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 400 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.done <- nil
	cancel()
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d events acknowledged before the kill", len(acked))
	}

	rec.mu.Lock()
	before := len(rec.keys)
	rec.mu.Unlock()
	t.Logf("%d acknowledged in %v before the kill; %d actions delivered by then", len(acked), time.Since(began), before)
	// Restart: pending actions are delivered.
	p2 := start(t, dir, "serve")
	waitUntil := time.Now().Add(30 * time.Second)
	for time.Now().Before(waitUntil) {
		resp, err := http.Get(p2.url + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.Contains(string(body), `qunzhu_outbox_actions{status="pending"}`) {
				break // nothing left to deliver
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p2.stop(t)

	db, err := sql.Open("sqlite", filepath.Join(dir, "data", "qunzhu.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkIngested(t, db, acked, rec, 0)
}
