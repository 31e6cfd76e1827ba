// Command httpingest measures qunzhu's ingest over HTTP, the real binary,
// against the bare floor measured in the same run: the project's shared
// tools ingestfloor (a server that decodes the same event JSON and inserts
// each request's messages into SQLite, one transaction per request) and
// loadgen (which posts N message events in batches from C clients, 2% of
// them ads). It builds qunzhu, the floor and loadgen, and for each
// repetition starts both on fresh databases, warms each up with the same
// load, and runs loadgen against each with the same parameters, in slices
// taken in turn (-slices; see interleaved): batches of 1000 from 4
// clients, then single events from 64 clients (how Telegram and WeCom
// deliver webhooks). It prints each figure, the
// ratio, the medians and the load average, and checks from qunzhu's
// /metrics that every acknowledged event was stored once.
//
//	cd bench && go run ./httpingest -tools ../../shared/tools            # from a worktree
//	cd bench && go run ./httpingest -reps 1 -profile /tmp/prof            # CPU profiles of qunzhu
//	cd bench && go run ./httpingest -postgres URL -replicas 2             # qunzhu on PostgreSQL only
//	cd bench && go run ./httpingest -mix spread                           # the realistic mix (below)
//
// loadgen sends message k from member k%5000 into group k%200 with text
// k%10: each member says the same thing in the same group every 5,000th
// message, so at any real rate half the messages are floods (three
// identical messages within 30 s), muted and deleted — the moderation
// path's worst case, whatever its 2% of ads. -mix spread posts the same
// JSON from this program instead: member k·7919 mod 200,000 into group
// member mod 1,000, texts varied, every 50th an ad (2% offending): a
// member speaks once every 200,000 messages, under the flood limit (8 in
// 30 s) up to ~53,000 messages/s (with 50,000 members, as before
// 2026-12-06 23:30, qunzhu moderated floods above ~13,000/s). Warm with
// -warm 200000 so that the timed part meets no member for the first
// time. Both servers get the same load.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const token = "bench-token-0123456789abcdef"

var (
	prebuilt, mix string
	tracing       bool
	nSlices       int
)

type load struct {
	name           string
	n, batch, cons int
	// offset is where the spread mix's sequence of events starts (a
	// slice of a load continues its sequence: see interleaved).
	offset int
}

func main() {
	tools := flag.String("tools", "", "the shared tools directory holding ingestfloor and loadgen (default: ../shared/tools or ../../shared/tools from the repository)")
	reps := flag.Int("reps", 3, "repetitions; medians are reported")
	nBatch := flag.Int("batched", 200_000, "events posted in batches of 1000 from 4 clients")
	nSingle := flag.Int("single", 30_000, "events posted one per request from 64 clients")
	warm := flag.Int("warm", 20_000, "events posted (in batches) to each server before the timed runs")
	profile := flag.String("profile", "", "write a CPU profile of qunzhu during each timed run into this directory")
	pg := flag.String("postgres", "", "measure qunzhu on this PostgreSQL database (emptied first) instead of the floor comparison")
	replicas := flag.Int("replicas", 1, "with -postgres: qunzhu replicas, each holding its own connection; loadgen is split evenly across them")
	work := flag.String("dir", "", "working directory (default: a new temporary one)")
	flag.StringVar(&mix, "mix", "loadgen", "the load: loadgen (the shared tool's; half of it floods) or spread (2% offending; see the package comment)")
	flag.BoolVar(&tracing, "trace", false, "with -profile: also a 2 s execution trace of qunzhu after each profile (go tool trace)")
	flag.StringVar(&prebuilt, "qunzhu", "", "a qunzhu binary to measure instead of building the repository's (an older commit's, for a before/after)")
	flag.IntVar(&nSlices, "slices", 4, "run each load in this many slices, the floor's and qunzhu's in turn (1: the floor's whole run, then qunzhu's; so with -profile or -postgres)")
	flag.Parse()
	if err := run(*tools, *reps, []load{{name: "batched", n: *nBatch, batch: 1000, cons: 4}, {name: "single", n: *nSingle, batch: 1, cons: 64}}, *warm, *profile, *pg, *replicas, *work); err != nil {
		fmt.Fprintln(os.Stderr, "httpingest:", err)
		os.Exit(1)
	}
}

func run(tools string, reps int, loads []load, warm int, profile, pg string, replicas int, work string) error {
	root, err := repoRoot()
	if err != nil {
		return err
	}
	if tools == "" {
		for _, c := range []string{"../shared/tools", "../../shared/tools"} {
			if _, err := os.Stat(filepath.Join(root, c, "loadgen")); err == nil {
				tools = filepath.Join(root, c)
				break
			}
		}
		if tools == "" {
			return errors.New("no shared tools found: give -tools")
		}
	}
	if work == "" {
		if work, err = os.MkdirTemp("", "httpingest"); err != nil {
			return err
		}
		defer os.RemoveAll(work)
	}
	bin := filepath.Join(work, "bin")
	qunzhu := prebuilt
	if qunzhu == "" {
		if qunzhu, err = build(root, "./cmd/qunzhu", filepath.Join(bin, "qunzhu")); err != nil {
			return err
		}
	}
	floor, err := build(filepath.Join(tools, "ingestfloor"), ".", filepath.Join(bin, "ingestfloor"))
	if err != nil {
		return err
	}
	loadgen, err := build(filepath.Join(tools, "loadgen"), ".", filepath.Join(bin, "loadgen"))
	if err != nil {
		return err
	}
	fmt.Printf("machine: %d CPU, load average %s at the start\n", cpus(), loadavg())
	if pg != "" {
		return runPostgres(qunzhu, loadgen, pg, replicas, reps, loads, warm, work, profile)
	}
	if profile != "" {
		nSlices = 1 // a profile takes 10 s of one run
	}
	figures := map[string][][2]float64{}
	for rep := 1; rep <= reps; rep++ {
		dir := filepath.Join(work, fmt.Sprintf("rep%d", rep))
		var floorRates, qRates []float64
		if nSlices > 1 {
			if floorRates, qRates, err = interleaved(floor, qunzhu, loadgen, dir, loads, warm, rep); err != nil {
				return err
			}
		} else {
			// The floor first, then qunzhu, each on a fresh database.
			fl, err := startFloor(floor, dir)
			if err != nil {
				return err
			}
			floorRates, _, err = measure(loadgen, []string{fl.url}, loads, warm, fmt.Sprintf("f%d", rep), "", "", fl.cmd.Process.Pid)
			fl.stop()
			if err != nil {
				return err
			}
			qs, err := startQunzhu(qunzhu, filepath.Join(dir, "qunzhu"), "", "r1", []string{"bench"}, 0)
			if err != nil {
				return err
			}
			var sent int
			qRates, sent, err = measure(loadgen, []string{qs.url}, loads, warm, fmt.Sprintf("q%d", rep), profile, qs.debug, qs.cmd.Process.Pid)
			if err == nil {
				err = checkStored(qs.url, sent)
			}
			qs.stop()
			if err != nil {
				return err
			}
		}
		for i, l := range loads {
			figures[l.name] = append(figures[l.name], [2]float64{floorRates[i], qRates[i]})
			fmt.Printf("rep %d  %-8s floor %8.0f msgs/s   qunzhu %8.0f msgs/s   ratio %.2f   CPU a message: floor %.1f µs, qunzhu %.1f µs   (load average %s)\n",
				rep, l.name, floorRates[i], qRates[i], qRates[i]/floorRates[i], cpuPerMsg[fmt.Sprintf("f%d%s", rep, l.name)], cpuPerMsg[fmt.Sprintf("q%d%s", rep, l.name)], loadavg())
		}
	}
	fmt.Printf("\nmedians of %d runs (the ratio is the median of each run's ratio):\n", reps)
	for _, l := range loads {
		var f, q, r []float64
		for _, p := range figures[l.name] {
			f, q, r = append(f, p[0]), append(q, p[1]), append(r, p[1]/p[0])
		}
		fmt.Printf("%-8s (%d events, batch %d, %d clients)  floor %8.0f   qunzhu %8.0f msgs/s   ratio %.2f\n",
			l.name, l.n, l.batch, l.cons, median(f), median(q), median(r))
	}
	fmt.Printf("load average %s at the end\n", loadavg())
	return nil
}

// interleaved measures the floor and qunzhu side by side: both servers
// run on fresh databases and are warmed alike, then each load runs in
// slices, a slice against each server in turn (which goes first
// alternating), its sequence of events continuing from slice to slice.
// A shared virtual machine's speed drifts over minutes (the floor's own
// figure moved from 59,000 to 105,000 msgs/s between runs minutes apart
// on 2026-12-07): a whole run of one server after the other's gives each
// a different machine, slices give both the same. A rate is a load's
// events over the sum of its slices' times.
func interleaved(floor, qunzhu, loadgen, dir string, loads []load, warm, rep int) (floorRates, qRates []float64, err error) {
	fl, err := startFloor(floor, dir)
	if err != nil {
		return nil, nil, err
	}
	defer fl.stop()
	qs, err := startQunzhu(qunzhu, filepath.Join(dir, "qunzhu"), "", "r1", []string{"bench"}, 0)
	if err != nil {
		return nil, nil, err
	}
	defer qs.stop()
	type side struct {
		who  string
		srv  *server
		secs float64
		cpu  time.Duration
	}
	sides := []*side{{who: "f", srv: fl}, {who: "q", srv: qs}}
	for _, sd := range sides {
		if warm > 0 {
			if _, err := loadgenRun(loadgen, []string{sd.srv.url}, load{name: "warm", n: warm, batch: 1000, cons: 4}, fmt.Sprintf("%s%dw", sd.who, rep)); err != nil {
				return nil, nil, err
			}
		}
	}
	sent := warm
	for _, l := range loads {
		per := l.n / nSlices
		for _, sd := range sides {
			sd.secs, sd.cpu = 0, 0
		}
		tx0 := transactions([]string{qs.url})
		for i := range nSlices {
			order := sides
			if i%2 == 1 {
				order = []*side{sides[1], sides[0]}
			}
			for _, sd := range order {
				pid := sd.srv.cmd.Process.Pid
				cpu0 := cpuTime([]int{pid})
				sl := load{name: l.name, n: per, batch: l.batch, cons: l.cons, offset: i * per}
				rate, err := loadgenRun(loadgen, []string{sd.srv.url}, sl, fmt.Sprintf("%s%d%s%d", sd.who, rep, l.name, i))
				if err != nil {
					return nil, nil, err
				}
				sd.secs += float64(per) / rate
				sd.cpu += cpuTime([]int{pid}) - cpu0
			}
		}
		n := per * nSlices
		sent += n
		if tx := transactions([]string{qs.url}) - tx0; tx > 0 {
			fmt.Printf("q%d %s: %.0f events a transaction\n", rep, l.name, float64(n)/tx)
		}
		for _, sd := range sides {
			cpuPerMsg[fmt.Sprintf("%s%d%s", sd.who, rep, l.name)] = sd.cpu.Seconds() * 1e6 / float64(n)
		}
		floorRates = append(floorRates, float64(n)/sides[0].secs)
		qRates = append(qRates, float64(n)/sides[1].secs)
	}
	return floorRates, qRates, checkStored(qs.url, sent)
}

// runPostgres measures qunzhu alone on PostgreSQL with 1..replicas
// replicas: each replica holds a connection of its own (its file names
// only that one), and loadgen's events are split evenly across them, run
// at the same time.
func runPostgres(qunzhu, loadgen, pg string, replicas, reps int, loads []load, warm int, work, profile string) error {
	for rep := 1; rep <= reps; rep++ {
		for n := 1; n <= replicas; n++ {
			if err := resetPostgres(qunzhu, pg, filepath.Join(work, "reset")); err != nil {
				return err
			}
			var srvs []*server
			var urls []string
			for i := 0; i < n; i++ {
				s, err := startQunzhu(qunzhu, filepath.Join(work, fmt.Sprintf("pg%d-%d-%d", rep, n, i)), pg, fmt.Sprintf("r%d", i+1), []string{fmt.Sprintf("bench%d", i+1)}, i)
				if err != nil {
					return err
				}
				srvs = append(srvs, s)
				urls = append(urls, s.url)
			}
			var pids []int
			for _, s := range srvs {
				pids = append(pids, s.cmd.Process.Pid)
			}
			// With -profile, the first replica's CPU is profiled.
			rates, _, err := measure(loadgen, urls, loads, warm, fmt.Sprintf("p%d-%d", rep, n), profile, srvs[0].debug, pids...)
			for _, s := range srvs {
				s.stop()
			}
			if err != nil {
				return err
			}
			for i, l := range loads {
				fmt.Printf("rep %d  postgres, %d replica(s)  %-8s %8.0f msgs/s   qunzhu's CPU a message %.1f µs   (load average %s)\n", rep, n, l.name, rates[i], cpuPerMsg[fmt.Sprintf("p%d-%d%s", rep, n, l.name)], loadavg())
			}
		}
	}
	return nil
}

// measure warms the servers up, then runs each load, split evenly across
// urls at the same time; it returns each load's messages per second and
// how many events were acknowledged.
func measure(loadgen string, urls []string, loads []load, warm int, prefix, profile, debug string, pids ...int) ([]float64, int, error) {
	sent := 0
	if warm > 0 {
		if _, err := loadgenRun(loadgen, urls, load{name: "warm", n: warm, batch: 1000, cons: 4}, prefix+"w"); err != nil {
			return nil, 0, err
		}
		sent += warm
	}
	var out []float64
	for _, l := range loads {
		var prof chan error
		if profile != "" && debug != "" {
			prof = make(chan error, 1)
			go func(name string) {
				time.Sleep(time.Second)
				err := fetch("http://"+debug+"/debug/pprof/profile?seconds=10", filepath.Join(profile, prefix+"-"+name+".pprof"))
				if err == nil && tracing {
					// An execution trace after the profile: whether the
					// writer waits for work, and for what.
					err = fetch("http://"+debug+"/debug/pprof/trace?seconds=2", filepath.Join(profile, prefix+"-"+name+".trace"))
				}
				prof <- err
			}(l.name)
		}
		cpu0, tx0 := cpuTime(pids), transactions(urls)
		rate, err := loadgenRun(loadgen, urls, l, prefix+l.name)
		if err != nil {
			return nil, 0, err
		}
		if len(pids) > 0 {
			cpuPerMsg[prefix+l.name] = (cpuTime(pids) - cpu0).Seconds() * 1e6 / float64(l.n)
		}
		if tx := transactions(urls) - tx0; tx > 0 {
			fmt.Printf("%s %s: %.0f events a transaction\n", prefix, l.name, float64(l.n)/tx)
		}
		if prof != nil {
			if err := <-prof; err != nil {
				return nil, 0, fmt.Errorf("profile: %w", err)
			}
		}
		sent += l.n
		out = append(out, rate)
	}
	return out, sent, nil
}

var rateRE = regexp.MustCompile(`^(\d+) events in ([0-9.]+)s: [0-9]+ msgs/s, (\d+) failed batches`)

// loadgenRun runs loadgen against each url with an even share of the
// events, all at once, and returns the events per second of the whole.
func loadgenRun(loadgen string, urls []string, l load, prefix string) (float64, error) {
	var wg sync.WaitGroup
	errs := make([]error, len(urls))
	var mu sync.Mutex
	longest := 0.0
	for i, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cons := max(1, l.cons/len(urls))
			var out []byte
			var err error
			if mix == "spread" {
				out, err = spread(u, token+strconv.Itoa(i), l.n/len(urls), l.batch, cons, l.offset, fmt.Sprintf("%s-%d", prefix, i))
			} else {
				cmd := exec.Command(loadgen, u, token+strconv.Itoa(i), strconv.Itoa(l.n/len(urls)), strconv.Itoa(l.batch), strconv.Itoa(cons), fmt.Sprintf("%s-%d", prefix, i))
				out, err = cmd.CombinedOutput()
			}
			if err != nil {
				errs[i] = fmt.Errorf("loadgen: %v: %s", err, out)
				return
			}
			m := rateRE.FindStringSubmatch(strings.TrimSpace(string(out)))
			if m == nil {
				errs[i] = fmt.Errorf("loadgen said %q", out)
				return
			}
			if m[3] != "0" {
				errs[i] = fmt.Errorf("loadgen against %s: %s failed batches", u, m[3])
				return
			}
			secs, _ := strconv.ParseFloat(m[2], 64)
			mu.Lock()
			longest = max(longest, secs)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	return float64(l.n/len(urls)*len(urls)) / longest, nil
}

type server struct {
	url, debug string
	cmd        *exec.Cmd
}

func (s *server) stop() {
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

func startFloor(bin, dir string) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, addr, filepath.Join(dir, "floor.db"))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{url: "http://" + addr, cmd: cmd}
	return s, waitReady(s.url + "/healthz")
}

// startQunzhu starts `qunzhu serve` on a fresh data directory (and on
// PostgreSQL when dsn is set) with bridge connections of the given names.
func startQunzhu(bin, dir, dsn, replica string, conns []string, index int) (*server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	debug, err := freeAddr()
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[server]\naddr = %q\ndebug_addr = %q\nreplica_id = %q\n\n[data]\ndir = %q\n\n[log]\nlevel = \"warn\"\n\n", addr, debug, replica, filepath.Join(dir, "data"))
	if dsn != "" {
		fmt.Fprintf(&b, "[database]\nurl = %q\n\n", dsn)
	}
	for _, c := range conns {
		fmt.Fprintf(&b, "[[connections]]\nname = %q\nplatform = \"webhook\"\ntoken = %q\n\n", c, token+strconv.Itoa(index))
	}
	cfg := filepath.Join(dir, "qunzhu.toml")
	if err := os.WriteFile(cfg, []byte(b.String()), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "--config", cfg, "--migrate")
	logf, err := os.Create(filepath.Join(dir, "serve.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{url: "http://" + addr, debug: debug, cmd: cmd}
	if err := waitReady(s.url + "/readyz"); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// resetPostgres empties the database's public schema.
func resetPostgres(bin, dsn, dir string) error {
	cmd := exec.Command("psql", dsn, "-q", "-c", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("reset %s: %v: %s", dsn, err, out)
	}
	return nil
}

// checkStored reads qunzhu's /metrics: every acknowledged event stored,
// none twice, no batch failed.
// metrics reads a server's /metrics: the value of each plain series.
func metrics(url string) (map[string]float64, error) {
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	got := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && !strings.HasPrefix(f[0], "#") {
			v, _ := strconv.ParseFloat(f[1], 64)
			got[f[0]] = v
		}
	}
	return got, sc.Err()
}

// transactions is how many ingest transactions the servers committed so
// far (0 for the floor, which has no /metrics).
func transactions(urls []string) float64 {
	n := 0.0
	for _, u := range urls {
		if m, err := metrics(u); err == nil {
			n += m["qunzhu_ingest_batches_total"]
		}
	}
	return n
}

func checkStored(url string, sent int) error {
	got, err := metrics(url)
	if err != nil {
		return err
	}
	if int(got["qunzhu_events_ingested_total"]) != sent || int(got["qunzhu_messages_stored_total"]) != sent || got["qunzhu_ingest_failures_total"] != 0 {
		return fmt.Errorf("qunzhu stored %v events and %v messages of %d sent, %v failed batches", got["qunzhu_events_ingested_total"], got["qunzhu_messages_stored_total"], sent, got["qunzhu_ingest_failures_total"])
	}
	fmt.Printf("qunzhu: %d events stored once each; %v actions queued; %v transactions\n", sent, got["qunzhu_actions_queued_total"], got["qunzhu_ingest_batches_total"])
	return nil
}

func build(dir, pkg, out string) (string, error) {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, os.Stderr, os.Stderr
	return out, cmd.Run()
}

func repoRoot() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/qunzhu/qunzhu").Output()
	if err != nil {
		return "", fmt.Errorf("find the repository: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitReady(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		resp, err := http.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within a minute", url)
}

func fetch(url, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(f, resp.Body)
	return err
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// cpuPerMsg is each measured load's CPU time of the server process (user
// and system) a message, in µs, by measure's prefix and the load's name:
// on a machine shared with other work it varies less than the rates do.
var cpuPerMsg = map[string]float64{}

// cpuTime is the CPU time (user and system) the processes used so far,
// from /proc; 0 where there is none.
func cpuTime(pids []int) time.Duration {
	var ticks int64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// The fields after the command's name, which is in parentheses:
		// utime and stime are the 14th and 15th of the whole line.
		_, rest, ok := strings.Cut(string(b), ") ")
		f := strings.Fields(rest)
		if !ok || len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpus() int {
	n := 0
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "processor") {
			n++
		}
	}
	return n
}

var spreadTexts = []string{"大家好，今天的课件在哪里下载", "收到，谢谢老师", "明天几点上课？", "这个直通车怎么开", "👍👍👍", "物业什么时候来修电梯",
	"楼上漏水了谁家的", "老师讲得很清楚", "今天的作业交了吗", "晚上八点直播间见", "请问报名截止到哪天", "有没有人一起拼车去上课"}

// spread is loadgen with the realistic mix (see the package comment): n
// events in batches from cons clients, the mix's events offset to
// offset+n-1; it answers as loadgen prints.
func spread(url, tok string, n, batch, cons, offset int, prefix string) ([]byte, error) {
	var next, bad atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range cons {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := &http.Client{Timeout: 60 * time.Second}
			for {
				b := int(next.Add(1) - 1)
				if b*batch >= n {
					return
				}
				evs := make([]map[string]any, 0, batch)
				for i := 0; i < batch && b*batch+i < n; i++ {
					k := b*batch + i
					user := (offset + k) * 7919 % 200000
					text := spreadTexts[(offset+k)%len(spreadTexts)] + " " + strconv.Itoa((offset+k)%97)
					if (offset+k)%50 == 7 {
						text = "加我微信abc1688领资料"
					}
					evs = append(evs, map[string]any{"id": fmt.Sprintf("%s-%d", prefix, k), "type": "message", "group": fmt.Sprintf("g%d", user%1000),
						"time": time.Now().Format(time.RFC3339), "sender": map[string]any{"id": fmt.Sprintf("u%d", user), "name": fmt.Sprintf("用户%d", user)},
						"message": map[string]any{"id": fmt.Sprintf("%s-m%d", prefix, k), "kind": "text", "text": text}})
				}
				body, _ := json.Marshal(evs)
				req, _ := http.NewRequest("POST", url+"/api/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := cl.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	return []byte(fmt.Sprintf("%d events in %.2fs: %.0f msgs/s, %d failed batches\n", n, el, float64(n)/el, bad.Load())), nil
}
