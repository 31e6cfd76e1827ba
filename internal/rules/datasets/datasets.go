// Package datasets reads the labelled messages the rules model is trained
// and judged on — the project's own corpora and public data sets — each
// with its source, label and split (rules.Split).
//
// The public data sets are not part of the repository; cmd genmodel and
// the held-out test read them from a directory laid out as
//
//	cold/{train,dev,test}.csv              COLD (Apache-2.0)
//	sensitive-lexicon/Vocabulary/*.txt     Sensitive-lexicon (MIT)
//	sms-spam/SMSSpamCollection             SMS Spam Collection v.1 (CC BY 4.0)
//	davidson/labeled_data.csv              Davidson et al. 2017 (MIT)
//	janitr/sample.jsonl                    Janitr (MIT)
//
// docs/rules-eval.md says where each comes from, at which version, and
// under which licence.
package datasets

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/rules"
)

// Example is one labelled message.
type Example struct {
	Source string // "project/own", "cold", "sms", "davidson", "janitr", "lexicon/ad"…
	Label  string // "clean" or a built-in category
	Text   string
	Split  string // rules.SplitTrain, SplitDev or SplitTest
	// Term marks a word-list entry rather than a message (the lexicon):
	// training data of a weak kind, never measured.
	Term bool
	// Detail is a finer label where the source has one: COLD's test
	// split says whether an offensive comment attacks a person or a group
	// and whether a safe one argues against bias.
	Detail string
}

// Project returns the embedded corpora of the project.
func Project() ([]Example, error) {
	var out []Example
	for _, name := range rules.CorpusNames() {
		s, err := rules.Corpus(name)
		if err != nil {
			return nil, err
		}
		for _, x := range s {
			out = append(out, Example{Source: "project/" + name, Label: x.Label, Text: x.Text, Split: rules.Split(x.Text)})
		}
	}
	return out, nil
}

// COLD reads COLD's train, dev and test files (label 1 offensive: abuse;
// 0 safe: clean), keeping COLD's own split.
func COLD(dir string) ([]Example, error) {
	var out []Example
	for _, split := range []string{rules.SplitTrain, rules.SplitDev, rules.SplitTest} {
		rows, err := readCSV(filepath.Join(dir, split+".csv"))
		if err != nil {
			return nil, err
		}
		if len(rows) == 0 {
			return nil, fmt.Errorf("cold/%s.csv: empty", split)
		}
		head := rows[0]
		li, ti, fi := index(head, "label"), index(head, "TEXT"), index(head, "fine-grained-label")
		if li < 0 || ti < 0 {
			return nil, fmt.Errorf("cold/%s.csv: no label or TEXT column", split)
		}
		for i, r := range rows[1:] {
			label := "clean"
			switch r[li] {
			case "1":
				label = "abuse"
			case "0":
			default:
				return nil, fmt.Errorf("cold/%s.csv:%d: label %q", split, i+2, r[li])
			}
			x := Example{Source: "cold", Label: label, Text: r[ti], Split: split}
			if fi >= 0 {
				x.Detail = coldDetail[r[fi]]
			}
			out = append(out, x)
		}
	}
	return out, nil
}

var coldDetail = map[string]string{"0": "safe", "1": "attacks a person", "2": "attacks a group", "3": "safe, against bias"}

// lexiconThemes are the Sensitive-lexicon lists used, and the category each
// stands for. The others (a large unthemed list, URLs, corruption,
// livelihood, weapons and terror) match no category of the rules closely
// enough.
var lexiconThemes = map[string]string{
	"广告类型.txt": "ad",
	"色情类型.txt": "porn",
	"色情词库.txt": "porn",
	"政治类型.txt": "politics",
	"反动词库.txt": "politics",
}

// Lexicon reads the themed word lists as terms of their category: entries
// of two to twelve characters, at least two of them Chinese, each once.
func Lexicon(dir string) ([]Example, error) {
	var out []Example
	seen := map[string]bool{}
	var n rules.Normalizer
	for _, file := range slices.Sorted(maps.Keys(lexiconThemes)) {
		cat := lexiconThemes[file]
		f, err := os.Open(filepath.Join(dir, "Vocabulary", file))
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			term := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
			norm := n.Normalize(term)
			han := 0
			for _, r := range norm {
				if r >= 0x4E00 && r <= 0x9FFF {
					han++
				}
			}
			if han < 2 || len(norm) > 12 || seen[string(norm)] {
				continue
			}
			seen[string(norm)] = true
			out = append(out, Example{Source: "lexicon/" + cat, Label: cat, Text: term, Split: rules.Split(term), Term: true})
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	return out, nil
}

// SMS reads the SMS Spam Collection: "ham" or "spam", a tab, the message.
// Spam — prizes, premium numbers, loans, dating lines — is ad.
func SMS(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Example
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		label, text, ok := strings.Cut(sc.Text(), "\t")
		switch {
		case !ok && strings.TrimSpace(sc.Text()) == "":
			continue
		case line == 1 && label == "Label":
			continue // a header some copies add
		case label == "ham":
			label = "clean"
		case label == "spam":
			label = "ad"
		default:
			return nil, fmt.Errorf("%s:%d: want ham or spam, a tab, the message", path, line)
		}
		out = append(out, Example{Source: "sms", Label: label, Text: text, Split: rules.Split(text)})
	}
	return out, sc.Err()
}

var (
	tweetNoise  = regexp.MustCompile(`(?i)(^|\s)(rt\s+)?@\w+:?|https?://\S+|&#\d+;|&\w+;`)
	tweetSpaces = regexp.MustCompile(`\s+`)
)

// Davidson reads Davidson et al.'s tweets (class 0 hate speech and 1
// offensive language: abuse; 2 neither: clean), without retweet marks,
// user names, links and HTML entities.
func Davidson(path string) ([]Example, error) {
	rows, err := readCSV(path)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s: empty", path)
	}
	ci, ti := index(rows[0], "class"), index(rows[0], "tweet")
	if ci < 0 || ti < 0 {
		return nil, fmt.Errorf("%s: no class or tweet column", path)
	}
	var out []Example
	for i, r := range rows[1:] {
		label := ""
		switch r[ci] {
		case "0", "1":
			label = "abuse"
		case "2":
			label = "clean"
		default:
			return nil, fmt.Errorf("%s:%d: class %q", path, i+2, r[ci])
		}
		text := strings.TrimSpace(tweetSpaces.ReplaceAllString(tweetNoise.ReplaceAllString(r[ti], " "), " "))
		text = strings.TrimLeft(text, "!:\" ")
		if text == "" {
			continue
		}
		out = append(out, Example{Source: "davidson", Label: label, Text: text, Split: rules.Split(text)})
	}
	return out, nil
}

// janitrBad are Janitr's labels of unwanted messages (all ad here);
// ai_generated_reply alone is neither clean nor a category of the rules.
var janitrBad = []string{"scam", "phishing", "spam", "affiliate", "recovery_scam", "promo"}

// Janitr reads Janitr's posts: scams, phishing, spam and promotion are ad;
// clean posts and topical ones (crypto talk, news, programming) are clean.
func Janitr(path string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Example
	dec := json.NewDecoder(f)
	for line := 1; ; line++ {
		var rec struct {
			Text   string   `json:"text"`
			Labels []string `json:"labels"`
		}
		if err := dec.Decode(&rec); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: record %d: %w", path, line, err)
		}
		label := ""
		for _, l := range rec.Labels {
			switch {
			case slices.Contains(janitrBad, l):
				label = "ad"
			case label == "" && (l == "clean" || strings.HasPrefix(l, "topic_") || l == "crypto"):
				label = "clean"
			}
		}
		if label == "" || strings.TrimSpace(rec.Text) == "" {
			continue
		}
		out = append(out, Example{Source: "janitr", Label: label, Text: rec.Text, Split: rules.Split(rec.Text)})
	}
	return out, nil
}

// Files lists the data files under dir that Load reads, relative to dir.
func Files(dir string) ([]string, error) {
	var out []string
	for _, r := range readers {
		p := filepath.Join(dir, r.path)
		info, err := os.Stat(p)
		if err != nil {
			continue
		}
		if !info.IsDir() {
			out = append(out, r.path)
			continue
		}
		var names []string
		switch r.name {
		case "cold":
			names = []string{"train.csv", "dev.csv", "test.csv"}
		case "lexicon":
			for _, f := range slices.Sorted(maps.Keys(lexiconThemes)) {
				names = append(names, filepath.Join("Vocabulary", f))
			}
		}
		for _, n := range names {
			out = append(out, filepath.Join(r.path, n))
		}
	}
	return out, nil
}

// ProjectHash is the SHA-256 of the project's corpora, file after file.
func ProjectHash() [32]byte {
	h := sha256.New()
	for _, name := range rules.CorpusNames() {
		s, _ := rules.Corpus(name)
		for _, x := range s {
			fmt.Fprintf(h, "%s\t%s\n", x.Label, x.Text)
		}
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// readers are the public data sets: a name, where under the directory,
// and how to read it.
var readers = []struct {
	name, path string
	read       func(string) ([]Example, error)
}{
	{"cold", "cold", COLD},
	{"lexicon", "sensitive-lexicon", Lexicon},
	{"sms", "sms-spam/SMSSpamCollection", SMS},
	{"davidson", "davidson/labeled_data.csv", Davidson},
	{"janitr", "janitr/sample.jsonl", Janitr},
}

// Load reads the project's corpora and every public data set found under
// dir (see the package comment); required names the data sets that must
// be there. Messages that normalise to the same text are kept once, the
// first seen.
func Load(dir string, required ...string) ([]Example, error) {
	out, err := Project()
	if err != nil {
		return nil, err
	}
	for _, r := range readers {
		p := filepath.Join(dir, r.path)
		if _, err := os.Stat(p); errors.Is(err, fs.ErrNotExist) || dir == "" {
			if slices.Contains(required, r.name) {
				return nil, fmt.Errorf("data set %s: %s not found", r.name, p)
			}
			continue
		}
		xs, err := r.read(p)
		if err != nil {
			return nil, fmt.Errorf("data set %s: %w", r.name, err)
		}
		out = append(out, xs...)
	}
	return Dedupe(out), nil
}

// Dedupe keeps the first example of each normalised text (and of each
// term, for the lexicon).
func Dedupe(xs []Example) []Example {
	var n rules.Normalizer
	seen := map[string]bool{}
	out := xs[:0]
	for _, x := range xs {
		k := string(n.Normalize(x.Text)) + "\x00" + strconv.FormatBool(x.Term)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, x)
	}
	return out
}

func readCSV(path string) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(rows) > 0 && len(rows[0]) > 0 {
		rows[0][0] = strings.TrimPrefix(rows[0][0], "\ufeff")
	}
	return rows, nil
}

func index(head []string, name string) int {
	for i, h := range head {
		if strings.TrimSpace(h) == name {
			return i
		}
	}
	return -1
}
