// Command soak holds a running qunzhu at a steady load through HTTP for a
// while, samples its memory and goroutines from /metrics every interval
// into a CSV file, and draws them into an SVG. scripts/soak.sh builds and
// starts qunzhu and runs it; it can also draw an existing CSV again:
//
//	soak -url http://127.0.0.1:8080 -token T -rate 500 -duration 30m -csv soak.csv -svg soak.svg
//	soak -plot soak.csv -svg soak.svg
//
// The load is a chat's: message events one per request (as Telegram and
// WeCom deliver them) from 16 clients, paced to -rate a second, from
// 20,000 members in 200 groups, texts varied, 2% ads; every 100th event a
// member leaves or joins. At the end it checks from /metrics that every
// acknowledged event was stored once.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "qunzhu's base URL")
	token := flag.String("token", "", "a bridge connection's token")
	rate := flag.Float64("rate", 500, "events a second")
	clients := flag.Int("clients", 16, "concurrent clients")
	duration := flag.Duration("duration", 30*time.Minute, "how long to hold the load")
	interval := flag.Duration("interval", 10*time.Second, "sampling interval")
	csvPath := flag.String("csv", "soak.csv", "samples written here")
	svgPath := flag.String("svg", "", "plot written here (SVG)")
	plot := flag.String("plot", "", "only draw this CSV into -svg")
	title := flag.String("title", "qunzhu soak", "the plot's title")
	flag.Parse()
	var err error
	if *plot != "" {
		err = drawFile(*plot, *svgPath, *title)
	} else {
		err = soak(*url, *token, *rate, *clients, *duration, *interval, *csvPath)
		if err == nil && *svgPath != "" {
			err = drawFile(*csvPath, *svgPath, *title)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

var texts = []string{"大家好，今天的课件在哪里下载", "收到，谢谢老师", "明天几点上课？", "这个直通车怎么开", "👍👍👍", "物业什么时候来修电梯",
	"楼上漏水了谁家的", "老师讲得很清楚", "今天的作业交了吗", "晚上八点直播间见", "请问报名截止到哪天", "有没有人一起拼车去上课"}

// event is the k-th event of the soak: a message, or (every 100th) a
// member leaving or coming back.
func event(k int64) map[string]any {
	user := k * 7919 % 20000 // members spread so nobody floods
	group := user % 200
	e := map[string]any{"id": fmt.Sprintf("soak-%d", k), "group": fmt.Sprintf("g%d", group), "time": time.Now().Format(time.RFC3339Nano),
		"sender": map[string]any{"id": fmt.Sprintf("u%d", user), "name": fmt.Sprintf("用户%d", user)}}
	switch {
	case k%200 == 99:
		e["type"] = "member_left"
	case k%200 == 199:
		e["type"] = "member_joined"
	default:
		text := texts[k%int64(len(texts))] + " " + strconv.FormatInt(k/int64(len(texts))%97, 10)
		if k%50 == 7 {
			text = "加我微信abc" + strconv.FormatInt(1000+k%9000, 10) + "领资料"
		}
		e["type"] = "message"
		e["message"] = map[string]any{"id": fmt.Sprintf("m%d", k), "kind": "text", "text": text}
	}
	return e
}

type sample struct {
	at                       time.Duration
	rss, heap, goroutines    float64
	stored, posted, failures float64
}

func soak(url, token string, rate float64, clients int, duration, interval time.Duration, csvPath string) error {
	if url == "" || token == "" {
		return fmt.Errorf("-url and -token are required")
	}
	f, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	w := csv.NewWriter(f)
	w.Write([]string{"seconds", "rss_bytes", "heap_inuse_bytes", "goroutines", "events_stored", "events_acknowledged", "failed_requests"})
	ctx, cancel := context.WithTimeout(context.Background(), duration)
	defer cancel()
	var next, acked, failed atomic.Int64
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	work := make(chan int64, clients)
	go func() {
		defer close(work)
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				select {
				case work <- next.Add(1):
				default: // the server is behind: the load stays what it was asked to be, and the lag shows
				}
			}
		}
	}()
	var wg sync.WaitGroup
	cl := &http.Client{Timeout: 30 * time.Second}
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				body, _ := json.Marshal(event(k))
				for attempt := 0; ; attempt++ {
					req, _ := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("Content-Type", "application/json")
					resp, err := cl.Do(req)
					if err == nil {
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode == 200 {
							acked.Add(1)
							break
						}
					}
					failed.Add(1)
					if attempt == 5 {
						break
					}
					time.Sleep(time.Second) // retried with the same id: stored once
				}
			}
		}()
	}
	start := time.Now()
	take := func() error {
		m, err := readMetrics(url)
		if err != nil {
			return err
		}
		s := sample{time.Since(start), m["process_resident_memory_bytes"], m["go_memstats_heap_inuse_bytes"], m["go_goroutines"],
			m["qunzhu_events_ingested_total"], float64(acked.Load()), float64(failed.Load())}
		w.Write([]string{strconv.FormatFloat(s.at.Seconds(), 'f', 1, 64), fmt.Sprint(s.rss), fmt.Sprint(s.heap), fmt.Sprint(s.goroutines),
			fmt.Sprint(s.stored), fmt.Sprint(s.posted), fmt.Sprint(s.failures)})
		w.Flush()
		return w.Error()
	}
	if err := take(); err != nil {
		return err
	}
	samp := time.NewTicker(interval)
	defer samp.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-samp.C:
			if err := take(); err != nil {
				fmt.Fprintln(os.Stderr, "soak: sample:", err)
			}
		}
	}
	wg.Wait()
	time.Sleep(time.Second)
	if err := take(); err != nil {
		return err
	}
	m, err := readMetrics(url)
	if err != nil {
		return err
	}
	fmt.Printf("soak: %s at %.0f events/s asked: %d acknowledged, %.0f stored, %d failed requests (retried)\n",
		duration, rate, acked.Load(), m["qunzhu_events_ingested_total"], failed.Load())
	if int64(m["qunzhu_events_ingested_total"]) != acked.Load() {
		return fmt.Errorf("%d events acknowledged but %.0f stored", acked.Load(), m["qunzhu_events_ingested_total"])
	}
	return nil
}

func readMetrics(url string) (map[string]float64, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			v, err := strconv.ParseFloat(f[1], 64)
			if err == nil {
				out[f[0]] = v
			}
		}
	}
	return out, sc.Err()
}

// drawFile draws the CSV's memory (MB, left axis) and goroutines (right
// axis) over time.
func drawFile(csvPath, svgPath, title string) error {
	f, err := os.Open(csvPath)
	if err != nil {
		return err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return err
	}
	var ss []sample
	for _, r := range recs[1:] {
		v := make([]float64, len(r))
		for i := range r {
			v[i], _ = strconv.ParseFloat(r[i], 64)
		}
		ss = append(ss, sample{at: time.Duration(v[0] * float64(time.Second)), rss: v[1], heap: v[2], goroutines: v[3], stored: v[4], posted: v[5], failures: v[6]})
	}
	if len(ss) < 2 {
		return fmt.Errorf("%s: fewer than two samples", csvPath)
	}
	return os.WriteFile(svgPath, []byte(draw(ss, title)), 0o644)
}

func draw(ss []sample, title string) string {
	const W, H, L, R, T, B = 900.0, 420.0, 70.0, 70.0, 50.0, 50.0
	pw, ph := W-L-R, H-T-B
	tmax := ss[len(ss)-1].at.Seconds()
	var mmax, gmax float64
	for _, s := range ss {
		mmax = max(mmax, s.rss/1e6)
		gmax = max(gmax, s.goroutines)
	}
	mmax = nice(mmax * 1.1)
	gmax = nice(gmax * 1.2)
	x := func(t float64) float64 { return L + pw*t/tmax }
	ym := func(v float64) float64 { return T + ph*(1-v/mmax) }
	yg := func(v float64) float64 { return T + ph*(1-v/gmax) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="12">`+"\n", W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="15" text-anchor="middle">%s</text>`+"\n", W/2, escape(title))
	for i := 0; i <= 5; i++ {
		y := T + ph*float64(i)/5
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/>`+"\n", L, y, W-R, y)
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end" fill="#1f5fbf">%.0f</text>`+"\n", L-6, y+4, mmax*(1-float64(i)/5))
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" fill="#c0392b">%.0f</text>`+"\n", W-R+6, y+4, gmax*(1-float64(i)/5))
	}
	step := nice(tmax / 60 / 6)
	for m := 0.0; m*60 <= tmax; m += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle">%g</text>`+"\n", x(m*60), H-B+18, m)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">minutes</text>`+"\n", L+pw/2, H-12)
	fmt.Fprintf(&b, `<text x="16" y="%.0f" fill="#1f5fbf" transform="rotate(-90 16 %.0f)" text-anchor="middle">MB</text>`+"\n", T+ph/2, T+ph/2)
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" fill="#c0392b" transform="rotate(90 %.0f %.0f)" text-anchor="middle">goroutines</text>`+"\n", W-16, T+ph/2, W-16, T+ph/2)
	line := func(color string, dash string, y func(sample) float64) {
		var pts []string
		for _, s := range ss {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(s.at.Seconds()), y(s)))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="%s" points="%s"/>`+"\n", color, dash, strings.Join(pts, " "))
	}
	line("#1f5fbf", "", func(s sample) float64 { return ym(s.rss / 1e6) })
	line("#1f5fbf", "4 3", func(s sample) float64 { return ym(s.heap / 1e6) })
	line("#c0392b", "", func(s sample) float64 { return yg(s.goroutines) })
	fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", L, T, pw, ph)
	last := ss[len(ss)-1]
	legend := []struct{ color, dash, text string }{{"#1f5fbf", "", "resident memory (MB)"}, {"#1f5fbf", "4 3", "heap in use (MB)"}, {"#c0392b", "", "goroutines"}}
	for i, l := range legend {
		y := T + 16 + float64(i)*16
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="%s" stroke-width="2" stroke-dasharray="%s"/><text x="%.0f" y="%.0f">%s</text>`+"\n",
			L+10, y-4, L+34, y-4, l.color, l.dash, L+40, y, l.text)
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="end">%.0f events stored, %.0f acknowledged, %.0f failed requests</text>`+"\n",
		W-R-8, T+16, last.stored, last.posted, last.failures)
	b.WriteString("</svg>\n")
	return b.String()
}

// nice rounds v up to 1, 2 or 5 times a power of ten.
func nice(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func escape(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
