package importer

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxLineBytes caps a line of a text or CSV export.
const MaxLineBytes = 1 << 20

// decodeText returns br as UTF-8 text: a UTF-8 byte order mark is dropped
// and UTF-16 with a byte order mark (what Windows Notepad saves as
// "Unicode") is converted. Other encodings are left for the line checks to
// refuse.
func decodeText(br *bufio.Reader) io.Reader {
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		br.Discard(3)
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}):
		br.Discard(2)
		return &utf16Reader{r: br}
	case bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		br.Discard(2)
		return &utf16Reader{r: br, big: true}
	}
	return br
}

// decodeHead is decodeText for the first bytes of a file (Detect).
func decodeHead(head []byte) []byte {
	switch {
	case bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}):
		return head[3:]
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		out, _ := io.ReadAll(decodeText(bufio.NewReader(bytes.NewReader(head))))
		return out
	}
	return head
}

// utf16Reader converts UTF-16 to UTF-8. An unpaired surrogate becomes
// U+FFFD; an odd trailing byte is dropped.
type utf16Reader struct {
	r   *bufio.Reader
	big bool
	out []byte
	err error
}

func (u *utf16Reader) unit() (uint16, error) {
	a, err := u.r.ReadByte()
	if err != nil {
		return 0, err
	}
	b, err := u.r.ReadByte()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return 0, io.EOF
		}
		return 0, err
	}
	if u.big {
		return uint16(a)<<8 | uint16(b), nil
	}
	return uint16(b)<<8 | uint16(a), nil
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for len(u.out) < len(p) && u.err == nil {
		c, err := u.unit()
		if err != nil {
			u.err = err
			break
		}
		r := rune(c)
		if utf16.IsSurrogate(r) {
			c2, err := u.unit()
			if err != nil {
				u.err = err
				r = utf8.RuneError
			} else if r2 := utf16.DecodeRune(r, rune(c2)); r2 != utf8.RuneError {
				r = r2
			} else {
				// Not a pair: keep the second unit for itself.
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				r = rune(c2)
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			}
		}
		u.out = utf8.AppendRune(u.out, r)
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	if n == 0 && u.err != nil {
		return 0, u.err
	}
	return n, nil
}

// lineReader reads lines (without their end: \n or \r\n) and counts them.
type lineReader struct {
	r      *bufio.Reader
	n      int // number of the line last returned
	buf    []byte
	unread bool
	last   string
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10)}
}

// next returns the next line, or io.EOF. A line that is not UTF-8 or is
// longer than MaxLineBytes is an error naming it.
func (l *lineReader) next() (string, error) {
	if l.unread {
		l.unread = false
		l.n++
		return l.last, nil
	}
	l.buf = l.buf[:0]
	for {
		chunk, err := l.r.ReadSlice('\n')
		l.buf = append(l.buf, chunk...)
		if len(l.buf) > MaxLineBytes+2 {
			return "", lineError(l.n+1, "longer than %d bytes: not a chat export", MaxLineBytes)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		if len(l.buf) == 0 && err != nil {
			return "", io.EOF
		}
		break
	}
	l.n++
	b := bytes.TrimSuffix(l.buf, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	if l.n == 1 {
		b = bytes.TrimPrefix(b, []byte{0xEF, 0xBB, 0xBF})
	}
	if !utf8.Valid(b) {
		return "", lineError(l.n, "not UTF-8 text: save the export as UTF-8 (GBK and other encodings are not read)")
	}
	l.last = string(b)
	return l.last, nil
}

// body reads the content lines of a message: up to the line stop accepts
// (left for the next read) or the end. Trailing blank lines are dropped.
func (l *lineReader) body(stop func(line string) (bool, error)) ([]string, error) {
	var out []string
	for {
		line, err := l.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if end, err := stop(line); err != nil {
			return nil, err
		} else if end {
			l.back()
			break
		}
		out = append(out, line)
	}
	for len(out) > 0 && strings.TrimSpace(out[len(out)-1]) == "" {
		out = out[:len(out)-1]
	}
	return out, nil
}

// back makes next return the line it returned last once more.
func (l *lineReader) back() {
	l.unread = true
	l.n--
}
