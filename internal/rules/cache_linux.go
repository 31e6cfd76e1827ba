package rules

import (
	"os"
	"syscall"
)

// readCache returns the contents of a cache file mapped into memory rather
// than copied: the automaton, its patterns and the fold table are then used
// where they lie (decodeCompiled), and a run reads from the page cache only
// what its messages touch. MAP_POPULATE maps every page in one call, which
// the checksum would otherwise fault in one at a time. The mapping is never
// undone: the engine built on it lives as long as the process (a command
// such as `qunzhu check`). Cache files are written beside their name and
// renamed into place, never rewritten, so a mapped file does not change.
// release undoes the mapping of a file that is not used.
func readCache(path string) (data []byte, release func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := fi.Size()
	if size <= 0 || size != int64(int(size)) {
		data, err = os.ReadFile(path)
		return data, func() {}, err
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
	if err != nil {
		data, err = os.ReadFile(path)
		return data, func() {}, err
	}
	return b, func() { syscall.Munmap(b) }, nil
}
