package app_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSustainedBatchedIngest holds the real binary under a continuous
// batched ingest for a minute — four bridges posting batches of 500
// messages back to back, some of them questions and answers (the questions
// tracker runs meanwhile) and 2% ads (moderation, the outbox and its
// delivery run meanwhile) — and checks what a bridge and an operator
// depend on: no batch refused, the webhook connection's lease kept by its
// one holder throughout, and every acknowledged event stored once.
//
// Under such a load the questions tracker once held SQLite's write lock
// for seconds at a time: batches were refused after the busy timeout and
// the connection was dropped ("lease not renewed in time").
func TestSustainedBatchedIngest(t *testing.T) {
	hold := time.Minute
	if testing.Short() {
		hold = 15 * time.Second
	}
	dir := t.TempDir()
	rec := &receiver{keys: map[string]int{}}
	bridge := httptest.NewServer(rec)
	defer bridge.Close()
	writeConfig(t, dir, fmt.Sprintf("push_url = %q\nsecret = \"push-secret\"\nrate = 2000\nburst = 200", bridge.URL))
	p := start(t, dir, "serve", "--migrate")

	// A realistic spread: 200,000 members in 1,000 groups, each speaking
	// once in 200,000 messages (under the flood limits at any rate this
	// machine reaches), texts varied, every 50th message an ad.
	texts := []string{"大家早上好", "今天的作业写完了吗", "请问明天几点上课？", "明早九点，别迟到", "收到，谢谢老师",
		"这个链接怎么打开？", "我也打不开", "周末有人一起去图书馆吗", "好的", "晚安", "老师辛苦了", "有没有人知道发票怎么开？", "在后台商品里添加"}
	ctx, cancel := context.WithTimeout(context.Background(), hold)
	defer cancel()
	var (
		mu      sync.Mutex
		acked   = map[string]bool{}
		refused []string
		wg      sync.WaitGroup
		batches int
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: 30 * time.Second}
			for b := 0; ctx.Err() == nil; b++ {
				var sb strings.Builder
				ids := make([]string, 0, 500)
				sb.WriteByte('[')
				for i := range 500 {
					k := (b*4+w)*500 + i // one sequence across the bridges
					id := fmt.Sprintf("w%d-%d", w, b*500+i)
					ids = append(ids, id)
					member := k * 7919 % 200000
					text := texts[(k/7+member)%len(texts)]
					if k%50 == 0 {
						text = "加我微信 vx123456 低价代购，扫码进群领红包"
					}
					if i > 0 {
						sb.WriteByte(',')
					}
					fmt.Fprintf(&sb, `{"id":%q,"type":"message","group":"g%d","time":%q,"sender":{"id":"u%d","name":"成员%d"},"message":{"id":"m-%s","kind":"text","text":%q}}`,
						id, member%1000, time.Now().Format(time.RFC3339Nano), member, member, id, text)
				}
				sb.WriteByte(']')
				req, _ := http.NewRequest("POST", p.url+"/api/v1/events", strings.NewReader(sb.String()))
				req.Header.Set("Authorization", "Bearer "+bridgeToken)
				resp, err := cl.Do(req)
				if err != nil {
					mu.Lock()
					refused = append(refused, err.Error())
					mu.Unlock()
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				batches++
				if resp.StatusCode == 200 {
					for _, id := range ids {
						acked[id] = true
					}
				} else {
					refused = append(refused, fmt.Sprintf("%d %s", resp.StatusCode, body))
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d batches in %v, %d events acknowledged (%.0f/s)", batches, hold, len(acked), float64(len(acked))/hold.Seconds())
	if len(refused) > 0 {
		t.Errorf("%d of %d batches refused; first: %s", len(refused), batches, refused[0])
	}
	if len(acked) == 0 {
		t.Fatal("no batch acknowledged")
	}

	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "qunzhu.db")+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// The lease was taken once and held: its fence is still the first.
	var holder string
	var fence int64
	if err := db.QueryRow("SELECT holder, fence FROM connection_leases WHERE connection = 'wx'").Scan(&holder, &fence); err != nil {
		t.Fatal(err)
	}
	if fence != 1 {
		t.Errorf("the webhook connection's lease was taken %d times (fence %d): it was dropped under the load", fence, fence)
	}
	log := p.stderr.String()
	for _, bad := range []string{"lease not renewed", "lease lost", "database busy", "database is locked"} {
		for _, line := range strings.Split(log, "\n") {
			if strings.Contains(line, bad) && testing.Verbose() {
				t.Log(line)
			}
		}
		if strings.Contains(log, bad) {
			t.Errorf("the log says %q", bad)
		}
	}
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "long write") {
			t.Logf("a write turn held over a second: %s", line)
		}
	}
	var pending, done int
	db.QueryRow("SELECT COUNT(*) FILTER (WHERE status = 'pending'), COUNT(*) FILTER (WHERE status = 'done') FROM outbox").Scan(&pending, &done)
	t.Logf("outbox at the end of the load: %d pending, %d done", pending, done)
	// The actions the load caused (the ads' deletions, warnings, mutes)
	// are all delivered once the load stops.
	waitFor(t, "the outbox delivered", 2*time.Minute, func() bool {
		var n int
		return db.QueryRow("SELECT COUNT(*) FROM outbox WHERE status <> 'done'").Scan(&n) == nil && n == 0
	})
	// Every acknowledged event stored once.
	stored := storedEvents(t, db)
	missing := 0
	for id := range acked {
		if stored[id] != 1 {
			missing++
		}
	}
	for id, n := range stored {
		if n > 1 {
			t.Errorf("event %s stored %d times", id, n)
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged events not stored once", missing)
	}
	p.stop(t)
}
