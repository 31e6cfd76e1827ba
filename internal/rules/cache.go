package rules

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Compiled dictionaries, cached between runs. Compiling fifty thousand
// operator terms — reading and normalising them, the built-in terms' pinyin
// spellings, laying out the automaton — takes longer than judging a few
// hundred thousand messages, and a command such as `qunzhu check` does it
// on every run. DictCache keeps the result in a file: the automaton, its
// patterns and the normaliser's fold table, under a key that hashes every
// input — the dictionary files' bytes, the other patterns and allow
// phrases, the cache's format and the identity of the binary (its path,
// size and modification time), so that a file written by another build,
// whose folding or matching may differ, is never read.
//
// A cache file is written whole to a temporary file and renamed into
// place, so concurrent runs read either a complete file or none; it
// carries a CRC-32C of its contents, and what it decodes to is checked
// (every index in range, every failure chain ending at the root, no
// pattern reported before it could have ended) before it is used. A file
// that fails any check is ignored: the dictionaries are compiled again
// and the file replaced.

// cacheFormat names the layout and the meaning of a cache file; change it
// with either.
const cacheFormat = "qunzhu dictionary cache 3"

// cacheMagic starts a cache file.
var cacheMagic = []byte("QZDICT03")

// cacheKeep is how many cache files a directory keeps (the most recently
// written): one per set of dictionaries in use.
const cacheKeep = 8

// DictFile is a dictionary file's name (for errors) and contents.
type DictFile struct {
	Name string
	Data []byte
}

// DictCache keeps compiled dictionaries in Dir between runs.
type DictCache struct {
	Dir string
	// Binary identifies the program compiling; "" is the running
	// executable (ExecutableID). A cache is read only by the binary that
	// wrote it.
	Binary string
}

// UserCacheDir is where commands keep compiled dictionaries: qunzhu/dict
// under the user's cache directory ($XDG_CACHE_HOME or ~/.cache on Linux),
// or "" when there is none.
func UserCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "qunzhu", "dict")
}

// ExecutableID identifies the running executable by its path, size and
// modification time: a rebuilt or replaced binary has a new one.
func ExecutableID() (string, error) {
	p, err := os.Executable()
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s\x00%d\x00%d", p, fi.Size(), fi.ModTime().UnixNano()), nil
}

// CacheUse says how DictCache.Engine came by its engine.
type CacheUse struct {
	Hit bool // read from the cache
	// Ignored, when not nil, is why a cache file that was there was not
	// used (the engine was compiled again and the file replaced).
	Ignored error
}

// Engine returns an engine with the built-in dictionary, the dictionary
// files (read with the category "custom" for lines without one), named
// (patterns read already, such as a rules file's dictionaries) and the
// allow phrases: read from the cache when it holds them, compiled and
// stored otherwise. A dictionary that does not parse is an error, as for
// NewEngine's callers; a cache that cannot be read or written is not.
func (c DictCache) Engine(files []DictFile, named []Pattern, allow []string) (*Engine, CacheUse, error) {
	var use CacheUse
	bin := c.Binary
	if bin == "" && c.Dir != "" {
		bin, _ = ExecutableID() // "" when unknown: no cache
	}
	var key [sha256.Size]byte
	var path string
	if bin != "" && c.Dir != "" {
		key = cacheKey(bin, files, named, allow)
		path = filepath.Join(c.Dir, "dict-"+hex.EncodeToString(key[:16])+".bin")
		data, release, err := readCache(path)
		if err == nil {
			comp, ft, err := openCache(data, key)
			if err == nil {
				folds.CompareAndSwap(nil, ft)
				return newEngine(comp), CacheUse{Hit: true}, nil
			}
			release()
			use.Ignored = fmt.Errorf("%s: %w", path, err)
		} else if !errors.Is(err, os.ErrNotExist) {
			use.Ignored = err
		}
	}
	extra := slices.Clone(named)
	for _, f := range files {
		ps, err := ParseDictionary(f.Name, bytes.NewReader(f.Data), "custom")
		if err != nil {
			return nil, use, err
		}
		extra = append(extra, ps...)
	}
	comp := compile(extra, allow)
	if path != "" {
		writeCache(c.Dir, path, sealCache(key, encodeCompiled(comp, foldTable())))
	}
	return newEngine(comp), use, nil
}

// cacheKey hashes everything a compiled engine depends on.
func cacheKey(bin string, files []DictFile, named []Pattern, allow []string) [sha256.Size]byte {
	h := sha256.New()
	var n [8]byte
	str := func(s string) {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	str(cacheFormat)
	str(bin)
	str("files")
	for _, f := range files {
		binary.LittleEndian.PutUint64(n[:], uint64(len(f.Data)))
		h.Write(n[:])
		h.Write(f.Data)
	}
	str("named")
	for _, p := range named {
		str(p.Term)
		str(p.Category)
		str(string(p.Norm))
		str(fmt.Sprint(p.Pinyin, p.Tag))
	}
	str("allow")
	for _, a := range allow {
		str(a)
	}
	var k [sha256.Size]byte
	h.Sum(k[:0])
	return k
}

// writeCache writes a cache file beside its final name and renames it
// into place, then removes the oldest files beyond cacheKeep and
// temporary files left by runs that died. Failing is not an error: the
// next run compiles again.
func writeCache(dir, path string, data []byte) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	f, err := os.CreateTemp(dir, "dict-*.tmp")
	if err != nil {
		return
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr != nil || cerr != nil || os.Rename(f.Name(), path) != nil {
		os.Remove(f.Name())
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type file struct {
		name string
		mod  time.Time
	}
	var kept []file
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, "dict-") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		switch {
		case strings.HasSuffix(name, ".tmp") && time.Since(info.ModTime()) > time.Hour:
			os.Remove(filepath.Join(dir, name))
		case strings.HasSuffix(name, ".bin"):
			kept = append(kept, file{name, info.ModTime()})
		}
	}
	slices.SortFunc(kept, func(a, b file) int { return b.mod.Compare(a.mod) })
	for _, f := range kept[min(cacheKeep, len(kept)):] {
		if filepath.Join(dir, f.name) != path {
			os.Remove(filepath.Join(dir, f.name))
		}
	}
}

// sealCache frames a payload: magic, key, length, CRC-32C of the payload
// (what a torn or damaged file shows; the key is a SHA-256 already), and
// zeros up to cacheHead, so that the payload's blocks keep the alignment
// they have in it (see decodeCompiled).
func sealCache(key [sha256.Size]byte, payload []byte) []byte {
	out := make([]byte, 0, cacheHead+len(payload))
	out = append(out, cacheMagic...)
	out = append(out, key[:]...)
	out = binary.LittleEndian.AppendUint64(out, uint64(len(payload)))
	out = binary.LittleEndian.AppendUint32(out, crc32.Checksum(payload, castagnoli))
	out = append(out, make([]byte, cacheHead-len(out))...)
	return append(out, payload...)
}

// cacheHead is the size of a cache file's frame: magic, key, length and
// checksum (52 bytes), padded to 64.
const cacheHead = 64

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// openCache checks a cache file's frame against the key and decodes it.
func openCache(data []byte, key [sha256.Size]byte) (*compiled, *foldTables, error) {
	if len(data) < cacheHead || !bytes.Equal(data[:len(cacheMagic)], cacheMagic) {
		return nil, nil, errors.New("not a dictionary cache")
	}
	rest := data[len(cacheMagic):]
	if !bytes.Equal(rest[:sha256.Size], key[:]) {
		return nil, nil, errors.New("another key")
	}
	rest = rest[sha256.Size:]
	if n := binary.LittleEndian.Uint64(rest); n != uint64(len(data)-cacheHead) {
		return nil, nil, errors.New("truncated")
	}
	payload := data[cacheHead:]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(rest[8:]) {
		return nil, nil, errors.New("checksum mismatch")
	}
	return decodeCompiled(payload)
}

// The payload, little-endian; every list is a u32 count, then its items,
// and the items of the lists marked * start at a multiple of 8 bytes from
// the payload's start (zeros before them), so that they can be used where
// they lie in the file, without decoding (viewAs):
//
//	u32 the number of dictionary terms (the first patterns)
//	categories: u32 length, bytes
//	patterns: u32 term bytes, u32 normalised runes, u32 category, u32 tag, u32 pinyin
//	u32 term bytes, the terms' bytes
//	* u32 runes, the normalised terms' runes
//	runes of the BMP in code order (code 1 first); runes beyond it
//	* cells: base, check, fail, out
//	* outputs: pattern, next
//	* the indices of the terms spelt on demand
//	* the fold table: bmp + emojiSize runes, 16 bits each

func encodeCompiled(c *compiled, ft *foldTables) []byte {
	m := c.m
	var b []byte
	u32 := func(v uint32) { b = binary.LittleEndian.AppendUint32(b, v) }
	// count writes a count and the zeros that align the items after it.
	count := func(n int) {
		u32(uint32(n))
		for len(b)%8 != 0 {
			b = append(b, 0)
		}
	}
	runes := func(rs []rune) {
		u32(uint32(len(rs)))
		for _, r := range rs {
			u32(uint32(r))
		}
	}
	u32(uint32(c.nDict))
	var cats []string
	catIndex := map[string]uint32{}
	for _, p := range m.pats {
		if _, ok := catIndex[p.Category]; !ok {
			catIndex[p.Category] = uint32(len(cats))
			cats = append(cats, p.Category)
		}
	}
	u32(uint32(len(cats)))
	for _, s := range cats {
		u32(uint32(len(s)))
		b = append(b, s...)
	}
	var terms []byte
	var norms []rune
	u32(uint32(len(m.pats)))
	for _, p := range m.pats {
		pinyin := uint32(0)
		if p.Pinyin {
			pinyin = 1
		}
		u32(uint32(len(p.Term)))
		u32(uint32(len(p.Norm)))
		u32(catIndex[p.Category])
		u32(p.Tag)
		u32(pinyin)
		terms = append(terms, p.Term...)
		norms = append(norms, p.Norm...)
	}
	u32(uint32(len(terms)))
	b = append(b, terms...)
	count(len(norms))
	for _, r := range norms {
		u32(uint32(r))
	}
	dense := make([]rune, m.hcode-1)
	for r, code := range m.codes {
		if code != 0 {
			dense[code-1] = rune(r)
		}
	}
	runes(dense)
	runes(m.high)
	count(len(m.cells))
	for _, x := range m.cells {
		u32(uint32(x.base))
		u32(uint32(x.check))
		u32(uint32(x.fail))
		u32(uint32(x.out))
	}
	count(len(m.outs))
	for _, o := range m.outs {
		u32(uint32(o.pat))
		u32(uint32(o.next))
	}
	count(len(c.later))
	for _, i := range c.later {
		u32(uint32(i))
	}
	count(len(ft.bmp) + len(ft.emoji))
	for _, t := range [][]uint16{ft.bmp[:], ft.emoji[:]} {
		for _, f := range t {
			b = binary.LittleEndian.AppendUint16(b, f)
		}
	}
	return b
}

// littleEndian: the machine stores numbers as the cache file does, so its
// blocks can be used as they are.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// viewAs returns b as a slice of T (of size bytes each) without copying,
// when the machine is little-endian and b is aligned for T; nil when not
// (or when b is empty), and the caller decodes b instead. The slice shares
// b's memory: b must never change.
func viewAs[T any](b []byte, size int) []T {
	if !littleEndian || len(b) < size || uintptr(unsafe.Pointer(&b[0]))%unsafe.Alignof(*new(T)) != 0 {
		return nil
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size)
}

// decoder reads the payload; the first error sticks, and every count is
// checked against the bytes left before anything is allocated for it.
type decoder struct {
	b    []byte
	size int // of the whole payload
	err  error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
}

func (d *decoder) u32() uint32 {
	if len(d.b) < 4 {
		d.fail("truncated")
		return 0
	}
	v := binary.LittleEndian.Uint32(d.b)
	d.b = d.b[4:]
	return v
}

// count reads a count of items of size bytes each.
func (d *decoder) count(size int) int {
	n := d.u32()
	if uint64(n)*uint64(size) > uint64(len(d.b)) {
		d.fail("count beyond the end")
		return 0
	}
	return int(n)
}

func (d *decoder) bytes(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) runes() []rune {
	b := d.bytes(4 * d.count(4))
	out := make([]rune, len(b)/4)
	for i := range out {
		out[i] = rune(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out
}

// aligned reads a list of items of size bytes each, as one block that
// starts at a multiple of 8 bytes from the payload's start (the zeros
// before it are checked).
func (d *decoder) aligned(size int) []byte {
	n := d.u32()
	for d.err == nil && (d.size-len(d.b))%8 != 0 {
		if b := d.bytes(1); len(b) == 1 && b[0] != 0 {
			d.fail("alignment: not zero")
		}
	}
	if uint64(n)*uint64(size) > uint64(len(d.b)) {
		d.fail("count beyond the end")
		return nil
	}
	return d.bytes(size * int(n))
}

// words reads an aligned list of items of k 32-bit words each.
func (d *decoder) words(k int) []byte { return d.aligned(4 * k) }

func word(b []byte, i int) int32 { return int32(binary.LittleEndian.Uint32(b[4*i:])) }

// int32s returns a block of 32-bit words as a slice: viewed, or decoded.
func int32s(b []byte) []int32 {
	if v := viewAs[int32](b, 4); v != nil {
		return v
	}
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = word(b, i)
	}
	return out
}

// decodeCompiled decodes a payload. What it returns uses the payload's
// memory where it can (viewAs; the terms' text): payload must never change
// afterwards.
func decodeCompiled(payload []byte) (*compiled, *foldTables, error) {
	d := &decoder{b: payload, size: len(payload)}
	nDict := int(d.u32())
	cats := make([]string, d.count(4))
	for i := range cats {
		cats[i] = string(d.bytes(d.count(1)))
	}
	heads := d.bytes(20 * d.count(20)) // term bytes, runes, category, tag, pinyin
	tb := d.bytes(d.count(1))
	terms := ""
	if len(tb) > 0 {
		terms = unsafe.String(&tb[0], len(tb))
	}
	norms := int32s(d.words(1))
	dense, high := d.runes(), d.runes()
	cb := d.words(4)
	cells := viewAs[cell](cb, 16)
	if cells == nil {
		cells = make([]cell, len(cb)/16)
		for i := range cells {
			b := cb[16*i : 16*i+16]
			cells[i] = cell{word(b, 0), word(b, 1), word(b, 2), word(b, 3)}
		}
	}
	ob := d.words(2)
	outs := viewAs[output](ob, 8)
	if outs == nil {
		outs = make([]output, len(ob)/8)
		for i := range outs {
			outs[i] = output{word(ob, 2*i), word(ob, 2*i+1)}
		}
	}
	later := int32s(d.words(1))
	fb := d.aligned(2)
	var ft *foldTables
	switch {
	case d.err != nil:
	case len(fb) != int(unsafe.Sizeof(foldTables{})):
		d.fail("fold table: wrong size")
	default:
		if v := viewAs[foldTables](fb, len(fb)); v != nil {
			ft = &v[0]
		} else {
			ft = &foldTables{}
			for i := range ft.bmp {
				ft.bmp[i] = binary.LittleEndian.Uint16(fb[2*i:])
			}
			for i := range ft.emoji {
				ft.emoji[i] = binary.LittleEndian.Uint16(fb[2*(len(ft.bmp)+i):])
			}
		}
		for _, fs := range [][]uint16{ft.bmp[:], ft.emoji[:]} {
			if i := slices.IndexFunc(fs, func(f uint16) bool { return f >= 0xD800 && f <= 0xDFFF }); i >= 0 {
				d.fail(fmt.Sprintf("fold table: rune %d", fs[i]))
			}
		}
	}
	if d.err != nil {
		return nil, nil, d.err
	}
	if len(d.b) != 0 {
		return nil, nil, errors.New("bytes after the end")
	}
	// The patterns.
	pats := make([]Pattern, len(heads)/20)
	t, r := 0, 0
	for i := range pats {
		h := heads[20*i : 20*i+20]
		term, norm, cat := binary.LittleEndian.Uint32(h), binary.LittleEndian.Uint32(h[4:]), binary.LittleEndian.Uint32(h[8:])
		tag, pinyin := binary.LittleEndian.Uint32(h[12:]), binary.LittleEndian.Uint32(h[16:])
		if int(cat) >= len(cats) || tag > dictTag || pinyin > 1 || norm == 0 ||
			uint64(t)+uint64(term) > uint64(len(terms)) || uint64(r)+uint64(norm) > uint64(len(norms)) {
			return nil, nil, fmt.Errorf("pattern %d: out of range", i)
		}
		p := &pats[i]
		p.Term, p.Category, p.Norm, p.Tag, p.Pinyin = terms[t:t+int(term)], cats[cat], norms[r:r+int(norm):r+int(norm)], tag, pinyin == 1
		t, r = t+int(term), r+int(norm)
	}
	if t != len(terms) || r != len(norms) {
		return nil, nil, errors.New("pattern text left over")
	}
	if nDict > len(pats) {
		return nil, nil, errors.New("more dictionary terms than patterns")
	}
	for i, j := range later {
		if j < 0 || int(j) >= nDict || i > 0 && j <= later[i-1] {
			return nil, nil, errors.New("terms spelt on demand out of range")
		}
	}
	// The automaton.
	m := &Matcher{pats: pats, codes: new([denseCodes]uint16), high: high, hcode: int32(len(dense) + 1),
		size: int32(len(dense) + len(high)), cells: cells, outs: outs}
	if len(dense) >= denseCodes {
		return nil, nil, errors.New("alphabet too large")
	}
	for i, r := range dense {
		if r < 0 || r >= denseCodes || m.codes[r] != 0 {
			return nil, nil, fmt.Errorf("alphabet: rune %d", r)
		}
		m.codes[r] = uint16(i + 1)
	}
	for i, r := range high {
		if r < denseCodes || r > utf8.MaxRune || i > 0 && r <= high[i-1] {
			return nil, nil, fmt.Errorf("alphabet: rune %d", r)
		}
	}
	if err := m.validate(); err != nil {
		return nil, nil, err
	}
	m.rootTable()
	return withSpelt(m, nDict, later), ft, nil
}

// validate checks what Match relies on in an automaton it did not build:
// every probe base+code lands in the array, every state's parent and
// failure target are states nearer the root (so failure chains end at the
// root), output lists are acyclic and hold patterns, and no state reports
// a pattern longer than the path to it (so an occurrence never starts
// before the text does).
func (m *Matcher) validate() error {
	n := int64(len(m.cells))
	if n == 0 || m.cells[0].check != -1 {
		return errors.New("automaton: no root")
	}
	for i, c := range m.cells {
		if c.base < 0 || int64(c.base)+int64(m.size) >= n || c.check < -1 || int64(c.check) >= n ||
			c.fail < 0 || int64(c.fail) >= n || c.out < -1 || int(c.out) >= len(m.outs) {
			return fmt.Errorf("automaton: cell %d out of range", i)
		}
	}
	longest := make([]int, len(m.outs)) // of the patterns of each output list
	for i, o := range m.outs {
		if o.pat < 0 || int(o.pat) >= len(m.pats) || o.next < -1 || o.next >= int32(i) {
			return fmt.Errorf("automaton: output %d out of range", i)
		}
		longest[i] = len(m.pats[o.pat].Norm)
		if o.next >= 0 {
			longest[i] = max(longest[i], longest[o.next])
		}
	}
	// Depths, from the parents (checks); -1 unknown, -2 on the path being
	// followed.
	depth := make([]int32, n)
	for i := range depth {
		depth[i] = -1
	}
	depth[0] = 0
	var path []int32
	for s := range m.cells {
		if m.cells[s].check < 0 || depth[s] >= 0 {
			continue
		}
		path = path[:0]
		u := int32(s)
		for depth[u] == -1 {
			p := m.cells[u].check
			if p < 0 {
				return fmt.Errorf("automaton: cell %d has no parent", u)
			}
			if c := u - m.cells[p].base; c < 1 || c > m.size {
				return fmt.Errorf("automaton: cell %d is no child of %d", u, p)
			}
			depth[u] = -2
			path = append(path, u)
			u = p
		}
		if depth[u] == -2 {
			return fmt.Errorf("automaton: cell %d is its own ancestor", u)
		}
		for i := len(path) - 1; i >= 0; i-- {
			depth[path[i]] = depth[m.cells[path[i]].check] + 1
		}
	}
	for s, c := range m.cells {
		if s != 0 && c.check < 0 {
			continue // a free cell: no transition leads to it
		}
		if s != 0 && (c.fail != 0 && m.cells[c.fail].check < 0 || depth[c.fail] >= depth[s]) {
			return fmt.Errorf("automaton: state %d fails to %d", s, c.fail)
		}
		if c.out >= 0 && longest[c.out] > int(depth[s]) {
			return fmt.Errorf("automaton: state %d reports a pattern longer than its path", s)
		}
	}
	return nil
}
