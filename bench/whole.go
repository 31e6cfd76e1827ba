package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// whole times whole processes: `qunzhu check --dict D --count` against the
// peer program in ./anknown, which does the same with
// github.com/anknown/ahocorasick and no normalisation, over the same lines
// and dictionary — start-up, reading the dictionary, building, reading and
// judging every line included. Each runs on one core (GOMAXPROCS=1, and
// pinned to CPU 0 with taskset when it is installed), in turn, runs times
// after a warm-up each; the medians and the median of the pairwise ratios
// are printed. qunzhu runs twice over: as a user runs it, with the
// dictionaries compiled by the warm-up and read from its cache (kept in
// DIR/cache), and with --no-cache, compiling them on every run.
func whole(dir string, msgs []string, runs int) error {
	if err := writeFiles(dir, msgs); err != nil {
		return err
	}
	bin := func(name, pkg, wd string) (string, error) {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, pkg)
		cmd.Dir, cmd.Stdout, cmd.Stderr = wd, os.Stderr, os.Stderr
		return out, cmd.Run()
	}
	qunzhu, err := bin("qunzhu", "./cmd/qunzhu", "..")
	if err != nil {
		return err
	}
	anknown, err := bin("anknown", "./anknown", ".")
	if err != nil {
		return err
	}
	pin := []string{}
	if p, err := exec.LookPath("taskset"); err == nil {
		pin = []string{p, "-c", "0"}
	}
	lines := filepath.Join(dir, "lines.txt")
	fmt.Printf("whole processes over %d lines, GOMAXPROCS=1, %s, median of %d runs each, in turn\n\n", len(msgs),
		map[bool]string{true: "pinned to CPU 0 (taskset)", false: "not pinned (no taskset)"}[len(pin) > 0], runs)
	fmt.Printf("%-15s %-22s %8s %8s %8s %10s %10s\n", "dictionary", "program", "cpu s", "wall s", "flagged", "cpu ratio", "wall ratio")
	// qunzhu keeps its compiled dictionaries in DIR/cache (the warm-up
	// run writes them); --no-cache compiles them on every run, as before
	// there was a cache.
	cache := "XDG_CACHE_HOME=" + filepath.Join(dir, "cache")
	for _, d := range []struct{ name, file string }{{"operators' 50k", "dict-50k-ops.txt"}, {"matchers' 50k", "dict-50k.txt"}} {
		dict := filepath.Join(dir, d.file)
		b := append(slices.Clone(pin), anknown, "-dict", dict)
		for _, v := range []struct {
			name string
			flag []string
		}{{"qunzhu (cached)", nil}, {"qunzhu --no-cache", []string{"--no-cache"}}} {
			a := append(append(slices.Clone(pin), qunzhu, "check", "--dict", dict, "--count"), v.flag...)
			var ac, aw, bc, bw, rc, rw []float64
			var aout, bout string
			for i := -1; i < runs; i++ {
				c1, w1, o1, err := timed(a, lines, cache)
				if err != nil {
					return err
				}
				c2, w2, o2, err := timed(b, lines)
				if err != nil {
					return err
				}
				if i < 0 {
					continue // the warm-up
				}
				ac, aw, bc, bw = append(ac, c1), append(aw, w1), append(bc, c2), append(bw, w2)
				rc, rw = append(rc, c2/c1), append(rw, w2/w1)
				aout, bout = o1, o2
			}
			qc, kc := counts(aout), counts(bout)
			fmt.Printf("%-15s %-22s %8.3f %8.3f %8d %9.2fx %9.2fx\n", d.name, v.name, median(ac), median(aw), qc["total"]-qc["allow"], median(rc), median(rw))
			fmt.Printf("%-15s %-22s %8.3f %8.3f %8d\n", "", "anknown", median(bc), median(bw), kc["flagged"])
			d.name = ""
		}
	}
	fmt.Println("\nratio: anknown's time over qunzhu's, pair by pair (above 1: qunzhu is faster); anknown runs in turn with each.")
	fmt.Println("qunzhu judges every line with the full engine (normalisation, the terms and their pinyin, the recognisers, the model); anknown only matches raw text.")
	return nil
}

// timed runs a command with stdin from a file and GOMAXPROCS=1, and
// returns its CPU seconds (user and system), wall seconds and output.
func timed(args []string, stdin string, env ...string) (float64, float64, string, error) {
	in, err := os.Open(stdin)
	if err != nil {
		return 0, 0, "", err
	}
	defer in.Close()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stderr = in, os.Stderr
	cmd.Env = append(append(os.Environ(), "GOMAXPROCS=1"), env...)
	var out strings.Builder
	cmd.Stdout = &out
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, "", fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	wall := time.Since(start).Seconds()
	cpu := (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	return cpu, wall, out.String(), nil
}

// counts reads the counts a program prints, one "name<TAB>n" a line.
func counts(out string) map[string]int {
	m := map[string]int{}
	for _, l := range strings.Split(out, "\n") {
		k, v, _ := strings.Cut(l, "\t")
		var x int
		fmt.Sscan(v, &x)
		m[k] = x
	}
	return m
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
