package pipeline_test

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var benchTexts = []string{
	"大家好，今天的直播带货课几点开始？", "老师讲得太好了👍", "拼多多的推广计划怎么设置出价？",
	"收到，谢谢老师", "有没有做农村电商的朋友，一起交流一下", "详情页的主图建议用白底吗",
	"今天打卡第12天 ✅", "https://example.com/article/123 这篇文章不错", "物流费用太贵了怎么办",
	"抖音小店的保证金是多少", "我们村的土蜂蜜想上架淘宝", "晚上8点半群里分享选品经验",
}

// benchEvents builds n message events over groups × members, as a busy
// installation sees them.
func benchEvents(n, groups, members int) []chat.Event {
	evs := make([]chat.Event, n)
	base := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC)
	for i := range evs {
		g := i % groups
		u := (i/groups*7919 + i%groups) % members
		evs[i] = chat.Event{ID: fmt.Sprintf("b%d", i), Connection: "sim", Platform: "sim", Type: chat.EventMessage,
			Group: fmt.Sprintf("g%d", g), Time: base.Add(time.Duration(i) * time.Millisecond),
			Sender:  chat.User{ID: fmt.Sprintf("g%d-u%d", g, u), Name: fmt.Sprintf("学员%d", u)},
			Message: &chat.Message{ID: fmt.Sprintf("m%d", i), Kind: chat.KindText, Text: benchTexts[i%len(benchTexts)]}}
	}
	return evs
}

// BenchmarkIngest measures sustained ingest through the whole pipeline
// (validation, dedupe, group/person/membership resolution, the rules hook,
// message rows, one transaction per batch) with 4 concurrent producers.
// It reports msgs/s and the p99 time of a rules-hook decision.
func BenchmarkIngest(b *testing.B) {
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		b.Run(string(d), func(b *testing.B) {
			db := storetest.Open(b, d, nil)
			org := community.Org{Name: "bench", Slug: "bench"}
			if err := db.CreateOrg(context.Background(), &org); err != nil {
				b.Fatal(err)
			}
			var mu sync.Mutex
			var lat []time.Duration
			in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, BatchSize: 2048, BatchWait: 2 * time.Millisecond,
				OrgFor: func(string) int64 { return org.ID }, Decider: &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences},
				// The events are live, so the rules hook runs on each.
				Now: func() time.Time { return time.Date(2026, 11, 25, 8, 5, 0, 0, time.UTC) },
				ObserveDecision: func(d time.Duration) {
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go in.Run(ctx)
			// Warm up with every member once: a running installation
			// knows its members; first sight of a person is a join, rare.
			const groups, members = 200, 100
			warm := benchEvents(groups*members, groups, members)
			for i := range warm {
				warm[i].ID = "w" + warm[i].ID
				warm[i].Time = warm[i].Time.Add(-48 * time.Hour) // members of some standing
			}
			for start := 0; start < len(warm); start += 1000 {
				if err := in.Ingest(ctx, warm[start:min(start+1000, len(warm))]); err != nil {
					b.Fatal(err)
				}
			}
			evs := benchEvents(b.N, groups, members)
			mu.Lock()
			lat = lat[:0]
			mu.Unlock()
			const producers, chunk = 4, 256
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for p := 0; p < producers; p++ {
				wg.Add(1)
				go func(p int) {
					defer wg.Done()
					for s := p * chunk; s < len(evs); s += producers * chunk {
						if err := in.Ingest(ctx, evs[s:min(s+chunk, len(evs))]); err != nil {
							b.Error(err)
							return
						}
					}
				}(p)
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
			mu.Lock()
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-decision-µs")
			}
			mu.Unlock()
		})
	}
}

// loadgenEvents are the events of the shared tools' loadgen (the HTTP
// benchmark's load, bench/httpingest): message k from user k%5000 into
// group k%200, one of ten texts by k, every 50th an ad. Each sender always
// sends the same text into the same group, so at any real rate nearly every
// message is muted as flooding: the moderation path's worst case.
func loadgenEvents(n int, prefix string, at time.Time) []chat.Event {
	texts := []string{"大家好，今天的课件在哪里下载", "收到，谢谢老师", "明天几点上课？", "这个直通车怎么开", "👍👍👍", "物业什么时候来修电梯", "楼上漏水了谁家的", "老师讲得很清楚", "今天的作业交了吗", "晚上八点直播间见"}
	evs := make([]chat.Event, n)
	for k := range evs {
		text := texts[k%len(texts)]
		if k%50 == 7 {
			text = "加我微信abc1688领资料"
		}
		evs[k] = chat.Event{ID: fmt.Sprintf("%s-%d", prefix, k), Connection: "bench", Platform: "webhook", Type: chat.EventMessage,
			Group: fmt.Sprintf("g%d", k%200), Time: at, Sender: chat.User{ID: fmt.Sprintf("u%d", k%5000), Name: fmt.Sprintf("用户%d", k%5000)},
			Message: &chat.Message{ID: fmt.Sprintf("%s-m%d", prefix, k), Kind: chat.KindText, Text: text}}
	}
	return evs
}

// BenchmarkIngestLoadgen runs loadgen's events (see loadgenEvents) through
// the whole pipeline in process, batches of 1000 from 4 producers, after
// a warm-up of the same load: the HTTP benchmark without HTTP.
func BenchmarkIngestLoadgen(b *testing.B) {
	in := ingestBatches(b, 512, loadgenEvents, 20000)
	b.ReportMetric(float64(in.Stats().Actions.Load())/float64(b.N+20000), "actions/msg")
}

// ingestBatches posts warm events of load, then b.N (timed), to a real
// Ingester on SQLite in batches of 1000 from 4 producers, as bench/httpingest
// posts them over HTTP, and reports messages per second.
func ingestBatches(b *testing.B, batchSize int, load func(n int, prefix string, at time.Time) []chat.Event, warm int) *pipeline.Ingester {
	db := storetest.Open(b, store.SQLite, nil)
	org := community.Org{Name: "bench", Slug: "bench"}
	if err := db.CreateOrg(context.Background(), &org); err != nil {
		b.Fatal(err)
	}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, BatchSize: batchSize, BatchWait: 2 * time.Millisecond,
		OrgFor: func(string) int64 { return org.ID }, Decider: &rules.Decider{Engine: rules.NewEngine(nil, nil), RuleSet: rules.ForGroup(), Offences: db.CountOffences}})
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	go in.Run(ctx)
	post := func(evs []chat.Event) {
		const producers, batch = 4, 1000
		var wg sync.WaitGroup
		for p := 0; p < producers; p++ {
			wg.Add(1)
			go func(p int) {
				defer wg.Done()
				for s := p * batch; s < len(evs); s += producers * batch {
					if err := in.Ingest(ctx, evs[s:min(s+batch, len(evs))]); err != nil {
						b.Error(err)
						return
					}
				}
			}(p)
		}
		wg.Wait()
	}
	post(load(warm, "w", time.Now()))
	evs := load(b.N, "t", time.Now())
	b.ResetTimer()
	start := time.Now()
	post(evs)
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "msgs/s")
	return in
}

// spreadEvents are the events of bench/httpingest's realistic mix (-mix
// spread): member k·7919 mod 50,000 into group member mod 500, texts
// varied, every 50th an ad — 2% offending, nobody flooding.
func spreadEvents(n int, prefix string, at time.Time) []chat.Event {
	texts := []string{"大家好，今天的课件在哪里下载", "收到，谢谢老师", "明天几点上课？", "这个直通车怎么开", "👍👍👍", "物业什么时候来修电梯",
		"楼上漏水了谁家的", "老师讲得很清楚", "今天的作业交了吗", "晚上八点直播间见", "请问报名截止到哪天", "有没有人一起拼车去上课"}
	evs := make([]chat.Event, n)
	for k := range evs {
		user := k * 7919 % 50000
		text := texts[k%len(texts)] + " " + strconv.Itoa(k%97)
		if k%50 == 7 {
			text = "加我微信abc1688领资料"
		}
		evs[k] = chat.Event{ID: fmt.Sprintf("%s-%d", prefix, k), Connection: "bench", Platform: "webhook", Type: chat.EventMessage,
			Group: fmt.Sprintf("g%d", user%500), Time: at, Sender: chat.User{ID: fmt.Sprintf("u%d", user), Name: fmt.Sprintf("用户%d", user)},
			Message: &chat.Message{ID: fmt.Sprintf("%s-m%d", prefix, k), Kind: chat.KindText, Text: text}}
	}
	return evs
}

var benchBatchSize = flag.Int("ingest.batch", 4096, "the Ingester's BatchSize in BenchmarkIngestSpread (the real binary's default: [pipeline] batch_size)")

// BenchmarkIngestSpread runs bench/httpingest's realistic mix (see
// spreadEvents) through the whole pipeline in process, batches of 1000
// from 4 producers after a warm-up of 50,000 (every member seen once): the
// HTTP benchmark's batched figure without HTTP.
func BenchmarkIngestSpread(b *testing.B) {
	in := ingestBatches(b, *benchBatchSize, spreadEvents, 50000)
	b.ReportMetric(float64(in.Stats().Batches.Load()), "transactions-incl-warmup")
}
