package rules

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

const checkUsage = `usage: qunzhu check [--rules FILE] [--dict FILE]... [--json] [--count] [MESSAGE…]

Checks messages against the group rules: the MESSAGE arguments, or one message
per line from standard input. Without --rules the built-in default rule set
(the e-commerce academy's rules) applies. Prints one line per message:
verdict, category, matched words and the message, tab-separated; --json prints
a JSON object per line; --count prints only per-category counts and the speed.
`

// CheckMain runs `qunzhu check`. It exits 0 whether or not violations are
// found, 2 on bad usage or a bad rules or dictionary file.
func CheckMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	rulesFile := fs.String("rules", "", "rules file (TOML)")
	var dicts multiFlag
	fs.Var(&dicts, "dict", "extra dictionary: one term per line, optionally term<TAB>category (repeatable)")
	asJSON := fs.Bool("json", false, "print a JSON object per message")
	count := fs.Bool("count", false, "print only per-category counts and messages per second")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, checkUsage)
			return 0
		}
		fmt.Fprintf(stderr, "qunzhu check: %v\n\n%s", err, checkUsage)
		return 2
	}
	if *asJSON && *count {
		fmt.Fprintf(stderr, "qunzhu check: --json and --count exclude each other\n\n%s", checkUsage)
		return 2
	}
	rs := Default()
	if *rulesFile != "" {
		src, err := os.ReadFile(*rulesFile)
		if err != nil {
			fmt.Fprintf(stderr, "qunzhu check: %v\n", err)
			return 2
		}
		if rs, err = ParseRuleSet(*rulesFile, src); err != nil {
			fmt.Fprintf(stderr, "qunzhu check: %v\n", err)
			return 2
		}
	}
	var extra []Pattern
	for _, d := range dicts {
		f, err := os.Open(d)
		if err != nil {
			fmt.Fprintf(stderr, "qunzhu check: %v\n", err)
			return 2
		}
		ps, err := ParseDictionary(d, f, "custom")
		f.Close()
		if err != nil {
			fmt.Fprintf(stderr, "qunzhu check: %v\n", err)
			return 2
		}
		extra = append(extra, ps...)
	}
	e := NewEngine(extra, rs.Allow.Phrases)
	out := bufio.NewWriterSize(stdout, 64<<10)
	defer out.Flush()
	counts := map[string]int{}
	total := 0
	start := time.Now()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	check := func(text string) {
		total++
		v := e.Evaluate(rs, Input{Text: text, Kind: chat.KindText, Role: "member"})
		if v.Action == Allow {
			v.Category = ""
		}
		if *count {
			counts[v.Category]++
			return
		}
		verdict := string(v.Action)
		if *asJSON {
			matched := v.Matched
			if matched == nil {
				matched = []string{}
			}
			enc.Encode(struct {
				Text     string   `json:"text"`
				Verdict  string   `json:"verdict"`
				Category string   `json:"category"`
				Matched  []string `json:"matched"`
				Rule     string   `json:"rule"`
			}{text, verdict, v.Category, matched, v.Rule})
			return
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", verdict, v.Category, strings.Join(v.Matched, ","), text)
	}
	if fs.NArg() > 0 {
		for _, m := range fs.Args() {
			check(m)
		}
	} else {
		sc := bufio.NewScanner(stdin)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			check(sc.Text())
		}
		if err := sc.Err(); err != nil {
			out.Flush()
			fmt.Fprintf(stderr, "qunzhu check: read input: %v\n", err)
			return 2
		}
	}
	if *count {
		el := time.Since(start).Seconds()
		cats := make([]string, 0, len(counts))
		for c := range counts {
			cats = append(cats, c)
		}
		sort.Strings(cats)
		for _, c := range cats {
			name := c
			if name == "" {
				name = "allow"
			}
			fmt.Fprintf(out, "%s\t%d\n", name, counts[c])
		}
		rate := 0.0
		if el > 0 {
			rate = float64(total) / el
		}
		fmt.Fprintf(out, "total\t%d\nmessages/s\t%.0f\n", total, rate)
	}
	return 0
}
