package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// loadBatch is a batch as bench/httpingest and the shared load generator
// send it: encoding/json's output of 1000 message events.
func loadBatch(n int) []byte {
	texts := []string{"大家好，今天的课件在哪里下载", "收到，谢谢老师", "明天几点上课？", "物业什么时候来修电梯", "加我微信abc1688领资料"}
	evs := make([]map[string]any, 0, n)
	for k := 0; k < n; k++ {
		evs = append(evs, map[string]any{"id": fmt.Sprintf("run-%d", k), "type": "message", "group": fmt.Sprintf("g%d", k%200),
			"time": time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC).Format(time.RFC3339), "sender": map[string]any{"id": fmt.Sprintf("u%d", k%5000), "name": fmt.Sprintf("用户%d", k%5000)},
			"message": map[string]any{"id": fmt.Sprintf("run-m%d", k), "kind": "text", "text": texts[k%len(texts)]}})
	}
	b, _ := json.Marshal(evs)
	return b
}

func BenchmarkDecodeEvents(b *testing.B) {
	for _, n := range []int{1, 1000} {
		body := loadBatch(n)
		if n == 1 {
			body = bytes.TrimSuffix(bytes.TrimPrefix(body, []byte("[")), []byte("]"))
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			o := DecodeOptions{Connection: "c", Now: func() time.Time { return fixed }}
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := DecodeEvents(bytes.NewReader(body), o); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}
