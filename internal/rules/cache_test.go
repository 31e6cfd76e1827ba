package rules

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
)

// cacheDict is a small operator dictionary: all-Chinese terms (spelt in
// pinyin on demand), a mixed one, one with a category of its own.
const cacheDict = "代开发票\n刷单返利\tad\n加v领资料\n内部渠道\tleak\n# a comment\n"

// cacheMessages exercise every part of what is cached: the terms, their
// spellings on demand, the built-in terms and their pinyin, allow phrases,
// cues, the fold table (full width, traditional characters, emoji).
var cacheMessages = []string{
	"需要代开发票的私聊", "daikaifapiao 找我", "刷单返利，日结", "加V领资料", "ｎｅｉｂｕ 内部渠道消息", "加 薇 信 abc1688 领资料",
	"帮我家孩子投一票", "微信支付怎么开通", "大家好👍", "這個課件很好", "", "shabi", "转发给其他家长，紧急通知",
}

func cacheFiles(dict string) []DictFile {
	return []DictFile{{Name: "ops.txt", Data: []byte(dict)}}
}

// verdicts lists the engine's hits for each of cacheMessages.
func verdicts(t *testing.T, e *Engine) []string {
	t.Helper()
	var out []string
	for _, m := range cacheMessages {
		hits, norm := e.Classify(m)
		out = append(out, fmt.Sprintf("%q %q %v", m, norm, hits))
	}
	return out
}

func TestDictCache(t *testing.T) {
	dir := t.TempDir()
	c := DictCache{Dir: dir, Binary: "test binary 1"}
	allow := []string{"代开发票的骗局"}
	want := verdicts(t, NewEngine(parseDict(t, cacheDict), allow))

	e, use, err := c.Engine(cacheFiles(cacheDict), nil, allow)
	if err != nil || use.Hit || use.Ignored != nil {
		t.Fatalf("first run: %+v, %v", use, err)
	}
	if got := verdicts(t, e); !slices.Equal(got, want) {
		t.Fatalf("compiled engine differs from NewEngine:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	files := cacheFilesIn(t, dir)
	if len(files) != 1 {
		t.Fatalf("cache files: %v", files)
	}
	e2, use, err := c.Engine(cacheFiles(cacheDict), nil, allow)
	if err != nil || !use.Hit {
		t.Fatalf("second run: %+v, %v", use, err)
	}
	if got := verdicts(t, e2); !slices.Equal(got, want) {
		t.Fatalf("cached engine differs:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The automaton read is the automaton built.
	a, b := e.cur.Load(), e2.cur.Load()
	if !reflect.DeepEqual(a.m.cells, b.m.cells) || !reflect.DeepEqual(a.m.outs, b.m.outs) || *a.m.codes != *b.m.codes ||
		!reflect.DeepEqual(a.m.pats, b.m.pats) || a.nDict != b.nDict || !slices.Equal(a.later, b.later) {
		t.Fatal("the cached automaton is not the one compiled")
	}

	// Anything else changed: another key, compiled again.
	for name, run := range map[string]func() (*Engine, CacheUse, error){
		"dictionary": func() (*Engine, CacheUse, error) { return c.Engine(cacheFiles(cacheDict+"稳赚不赔\n"), nil, allow) },
		"allow":      func() (*Engine, CacheUse, error) { return c.Engine(cacheFiles(cacheDict), nil, nil) },
		"named": func() (*Engine, CacheUse, error) {
			return c.Engine(cacheFiles(cacheDict), []Pattern{{Term: "私募", Category: "ad", Norm: []rune("私募")}}, allow)
		},
		"binary": func() (*Engine, CacheUse, error) {
			return DictCache{Dir: dir, Binary: "test binary 2"}.Engine(cacheFiles(cacheDict), nil, allow)
		},
	} {
		e, use, err := run()
		if err != nil || use.Hit {
			t.Errorf("%s changed: %+v, %v", name, use, err)
			continue
		}
		if name == "dictionary" {
			if hits, _ := e.Classify("稳赚不赔的项目"); len(hits) == 0 {
				t.Errorf("the changed dictionary's new term is not found")
			}
		}
	}
	if n := len(cacheFilesIn(t, dir)); n != 5 {
		t.Errorf("%d cache files, want 5", n)
	}
}

func parseDict(t *testing.T, dict string) []Pattern {
	t.Helper()
	ps, err := ParseDictionary("ops.txt", strings.NewReader(dict), "custom")
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func cacheFilesIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// A cache file that is damaged in any way is not used: the engine is
// compiled again, the reason reported, and the file replaced.
func TestDictCacheBadFile(t *testing.T) {
	c, want, path := cachedOnce(t)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := cacheHead
	key := [sha256.Size]byte(good[len(cacheMagic):])
	// A payload that passes the checksum but does not hold together: a
	// cell whose failure link points at a deeper state.
	comp, ft, err := decodeCompiled(good[head:])
	if err != nil {
		t.Fatal(err)
	}
	for s := range comp.m.cells {
		if s != 0 && comp.m.cells[s].check >= 0 {
			comp.m.cells[s].fail = int32(s)
			break
		}
	}
	for name, data := range map[string][]byte{
		"empty":          nil,
		"garbage":        []byte("not a cache at all, but long enough to hold a header of the right length......"),
		"truncated":      good[:len(good)-100],
		"flipped byte":   flip(good, len(good)-5000),
		"flipped key":    flip(good, len(cacheMagic)+3),
		"wrong length":   flip(good, len(cacheMagic)+sha256.Size),
		"resealed loop":  sealCache(key, encodeCompiled(comp, ft)),
		"resealed extra": sealCache(key, append(slices.Clone(good[head:]), 0, 0, 0, 0)),
	} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		e, use, err := c.Engine(cacheFiles(cacheDict), nil, nil)
		if err != nil || use.Hit || use.Ignored == nil {
			t.Errorf("%s: %+v, %v", name, use, err)
			continue
		}
		if got := verdicts(t, e); !slices.Equal(got, want) {
			t.Errorf("%s: the engine compiled again differs", name)
		}
		if _, use, _ := c.Engine(cacheFiles(cacheDict), nil, nil); !use.Hit {
			t.Errorf("%s: the file was not replaced: %+v", name, use)
		}
	}
}

// cachedOnce compiles cacheDict into a new cache directory, and returns
// the cache, what the engine finds in cacheMessages and the file's path.
func cachedOnce(t *testing.T) (DictCache, []string, string) {
	t.Helper()
	c := DictCache{Dir: t.TempDir(), Binary: "test binary"}
	if _, _, err := c.Engine(cacheFiles(cacheDict), nil, nil); err != nil {
		t.Fatal(err)
	}
	return c, verdicts(t, NewEngine(parseDict(t, cacheDict), nil)), filepath.Join(c.Dir, cacheFilesIn(t, c.Dir)[0])
}

func flip(b []byte, i int) []byte {
	out := slices.Clone(b)
	out[i] ^= 0x40
	return out
}

// Runs that compile the same dictionaries at once all succeed, agree, and
// leave one complete file and no temporary ones.
func TestDictCacheConcurrent(t *testing.T) {
	// A damaged file is there to start with: some runs read it, some
	// replace it, some read the replacement.
	c, want, path := cachedOnce(t)
	if err := os.WriteFile(path, []byte("QZDICT01 damaged"), 0o600); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([][]string, 8)
	errs := make([]error, len(results))
	for i := range results {
		wg.Go(func() {
			e, _, err := c.Engine(cacheFiles(cacheDict), nil, nil)
			if errs[i] = err; err == nil {
				results[i] = verdicts(t, e)
			}
		})
	}
	wg.Wait()
	for i, r := range results {
		if errs[i] != nil || !slices.Equal(r, want) {
			t.Errorf("run %d: %v", i, errs[i])
		}
	}
	if files := cacheFilesIn(t, c.Dir); len(files) != 1 || !strings.HasSuffix(files[0], ".bin") {
		t.Errorf("files left: %v", files)
	}
	if _, use, _ := c.Engine(cacheFiles(cacheDict), nil, nil); !use.Hit {
		t.Errorf("after the concurrent runs: %+v", use)
	}
}

// A dictionary that does not parse is an error, and nothing is cached.
func TestDictCacheBadDictionary(t *testing.T) {
	c := DictCache{Dir: t.TempDir(), Binary: "test binary"}
	_, _, err := c.Engine(cacheFiles("好\na\n"), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "ops.txt:2") {
		t.Fatalf("err = %v", err)
	}
	if files := cacheFilesIn(t, c.Dir); len(files) != 0 {
		t.Errorf("files: %v", files)
	}
}

// The directory keeps the cacheKeep most recent files.
func TestDictCachePrunes(t *testing.T) {
	c := DictCache{Dir: t.TempDir(), Binary: "test binary"}
	for i := range cacheKeep + 3 {
		if _, _, err := c.Engine(cacheFiles(fmt.Sprintf("第%d号词\n", i)), nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(cacheFilesIn(t, c.Dir)); n != cacheKeep {
		t.Errorf("%d files, want %d", n, cacheKeep)
	}
	// The newest is among them.
	if _, use, _ := c.Engine(cacheFiles(fmt.Sprintf("第%d号词\n", cacheKeep+2)), nil, nil); !use.Hit {
		t.Errorf("the newest file was removed")
	}
}

// The fold table travels with the automaton.
func TestDictCacheFoldTable(t *testing.T) {
	comp := compile(parseDict(t, cacheDict), nil)
	_, ft, err := decodeCompiled(encodeCompiled(comp, foldTable()))
	if err != nil {
		t.Fatal(err)
	}
	if *ft != *foldTable() {
		t.Fatal("the fold table read differs")
	}
}

// FuzzDecodeCompiled: whatever the bytes, decoding returns an error or an
// automaton Match can run over any text without panicking, looping, or
// reporting an occurrence that starts before the text.
func FuzzDecodeCompiled(f *testing.F) {
	small := compile([]Pattern{{Term: "代开发票", Category: "custom", Norm: []rune("代开发票")}, {Term: "ab", Category: "x", Norm: []rune("ab")}}, []string{"好的"})
	// The fuzzer mutates the automaton; the fold table (139 KB) is
	// appended to its bytes as they are.
	full := encodeCompiled(small, foldTable())
	foldLen := 2 * (bmp + emojiSize) // after its count and alignment
	fold := full[len(full)-foldLen:]
	f.Add(full[:len(full)-foldLen])
	f.Add([]byte{})
	f.Add(binary.LittleEndian.AppendUint32(nil, 7))
	texts := [][]rune{[]rune("代开发票ab好的"), []rune("aaaaabbbb"), []rune("发票开代"), {0x10000, 'a', 'b', 0x1F600}}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, _, err := decodeCompiled(append(slices.Clone(data), fold...))
		if err != nil {
			return
		}
		for _, text := range texts {
			c.m.Match(text, func(p *Pattern, end int) bool {
				if end-len(p.Norm) < 0 || end > len(text) {
					t.Fatalf("%q reported at %d", string(p.Norm), end)
				}
				return true
			})
		}
	})
}

// validate accepts a compiled automaton and refuses each way a damaged
// one could loop or read out of range.
func TestValidateAutomaton(t *testing.T) {
	fresh := func() *Matcher {
		return NewMatcher([]Pattern{{Term: "加微信", Norm: []rune("加微信")}, {Term: "微信号", Norm: []rune("微信号")}, {Term: "信", Norm: []rune("信")}})
	}
	if err := fresh().validate(); err != nil {
		t.Fatalf("a fresh automaton: %v", err)
	}
	// Two states, the second a child of the first, and a free cell.
	m := fresh()
	var parent, child, free int32 = -1, -1, -1
	for s, c := range m.cells {
		switch {
		case s == 0:
		case c.check < 0 && free < 0:
			free = int32(s)
		case c.check > 0 && child < 0:
			child, parent = int32(s), c.check
		}
	}
	if parent < 0 || free < 0 {
		t.Fatal("no child state or no free cell")
	}
	for name, damage := range map[string]func(m *Matcher){
		"fails to a free cell": func(m *Matcher) { m.cells[child].fail = free },
		"fails to itself":      func(m *Matcher) { m.cells[child].fail = child },
		"fails down":           func(m *Matcher) { m.cells[parent].fail = child },
		"its own ancestor":     func(m *Matcher) { m.cells[parent].check, m.cells[parent].base = child, parent-m.cells[child].base-1 },
		"a pattern longer than path": func(m *Matcher) {
			for s, c := range m.cells {
				if c.out >= 0 && len(m.pats[m.outs[c.out].pat].Norm) == 3 {
					m.cells[parent].out = m.cells[s].out // a depth of 1 or 2
				}
			}
		},
	} {
		m := fresh()
		damage(m)
		if err := m.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
