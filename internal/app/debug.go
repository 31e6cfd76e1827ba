package app

import (
	"context"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/metrics"
)

// serveDebug serves Go's profiles on server.debug_addr until ctx is done:
// a listener of its own, so that the profiles never reach the public
// address by a mistake in a proxy's routes.
func (s *service) serveDebug(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Server.DebugAddr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	s.log.Info("profiles served", "addr", "http://"+ln.Addr().String()+"/debug/pprof/")
	go srv.Serve(ln)
	return nil
}

// processMetrics registers the process's own gauges: goroutines, heap and
// resident memory (what a soak test watches for leaks).
func processMetrics(r *metrics.Registry) {
	r.GaugeFunc("go_goroutines", "Goroutines that currently exist.", func() float64 { return float64(runtime.NumGoroutine()) })
	r.GaugeFunc("go_memstats_heap_inuse_bytes", "Heap bytes in use.", func() float64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return float64(m.HeapInuse)
	})
	r.GaugeFunc("process_resident_memory_bytes", "Resident memory of the process (Linux: /proc/self/statm).", func() float64 {
		return float64(residentBytes())
	})
}

// residentBytes reads the resident set size from /proc; 0 elsewhere.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
