// Command anknown is the peer's side of the whole-process comparison: what
// `qunzhu check --dict FILE --count` does, written the obvious way with
// github.com/anknown/ahocorasick and no normalisation — read a dictionary
// (one term a line, optionally term<TAB>category), build the automaton,
// read one message a line from standard input, count the messages with a
// term and the occurrences, print the counts and the speed.
//
//	go build -o /tmp/anknown ./anknown
//	/tmp/anknown -dict dict-50k.txt < lines.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	ahocorasick "github.com/anknown/ahocorasick"
)

func main() {
	dict := flag.String("dict", "", "dictionary: one term a line, optionally term<TAB>category")
	flag.Parse()
	start := time.Now()
	f, err := os.Open(*dict)
	if err != nil {
		fmt.Fprintln(os.Stderr, "anknown:", err)
		os.Exit(2)
	}
	var words [][]rune
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		term, _, _ := strings.Cut(sc.Text(), "\t")
		if term = strings.TrimSpace(term); term != "" && !strings.HasPrefix(term, "#") {
			words = append(words, []rune(term))
		}
	}
	f.Close()
	m := new(ahocorasick.Machine)
	if err := m.Build(words); err != nil {
		fmt.Fprintln(os.Stderr, "anknown:", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	total, flagged, hits := 0, 0, 0
	for in.Scan() {
		total++
		if terms := m.MultiPatternSearch([]rune(in.Text()), false); len(terms) > 0 {
			flagged++
			hits += len(terms)
		}
	}
	el := time.Since(start).Seconds()
	fmt.Fprintf(out, "flagged\t%d\nhits\t%d\ntotal\t%d\nmessages/s\t%.0f\n", flagged, hits, total, float64(total)/el)
}
