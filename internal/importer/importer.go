// Package importer turns chat exports — a Telegram Desktop JSON export,
// Element's JSON export of a Matrix room, a WeChat history exported by the
// desktop tools (MemoTrace/WeChatMsg or PyWxDump CSV, copied text), QQ Chat
// Exporter's JSON (QQ NT) and a QQ message manager text export — into
// qunzhu's own chat.Events, so history flows through the same ingest as live
// traffic.
//
// Event ids are deterministic: the same file with the same options gives the
// same ids, so importing twice stores nothing twice, and where the export
// carries the platform's own message ids (Telegram, Matrix) the ids are the ones the
// live adapter gives, so an import that overlaps live traffic stores each
// message once. docs/import.md describes the formats, identities and ids.
//
// Readers stream: a file is read once per pass with memory that does not
// grow with its size (Telegram, Matrix), or grows only with the distinct messages
// that have no id of their own (the text formats). Import validates the whole
// file first and only then hands batches to the caller, so a malformed file
// stores nothing.
package importer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Format names an export format.
type Format string

const (
	// FormatTelegram is Telegram Desktop's JSON export (result.json): one
	// chat, or a whole account with chats.list.
	FormatTelegram Format = "telegram"
	// FormatWeChatCSV is the CSV of MemoTrace/WeChatMsg (localId, TalkerId,
	// Type, SubType, IsSender, CreateTime, …) or of PyWxDump (MsgSvrID,
	// type_name, is_sender, talker, room_name, msg, CreateTime).
	FormatWeChatCSV Format = "wechat-csv"
	// FormatWeChatText is a plain-text chat log: MemoTrace's TXT export,
	// lines copied from WeChat, any "time name" / "name time" log.
	FormatWeChatText Format = "wechat-text"
	// FormatQQText is the QQ message manager's text export (消息记录).
	FormatQQText Format = "qq-text"
	// FormatQQJSON is the JSON export of QQ Chat Exporter, the exporter of
	// QQ NT (metadata, chatInfo, messages).
	FormatQQJSON Format = "qq-json"
	// FormatMatrix is Element's JSON export of a Matrix room (room_name,
	// exported_by, and "messages": the room's Matrix events).
	FormatMatrix Format = "matrix"
)

// Formats lists the formats, as the console and the command line list them.
var Formats = []Format{FormatTelegram, FormatMatrix, FormatWeChatCSV, FormatQQJSON, FormatQQText, FormatWeChatText}

// Valid reports whether f is a known format.
func (f Format) Valid() bool {
	for _, k := range Formats {
		if k == f {
			return true
		}
	}
	return false
}

// defaultPlatform is the platform live events of a format's groups arrive
// with: Telegram's adapter, OneBot for QQ, the generic webhook for WeChat
// bridges.
func (f Format) defaultPlatform() string {
	switch f {
	case FormatTelegram:
		return "telegram"
	case FormatQQText, FormatQQJSON:
		return "onebot"
	case FormatMatrix:
		return "matrix"
	}
	return "webhook"
}

// Options configure a reader. Connection is required; everything else has a
// default or is optional.
type Options struct {
	// Format is the export's format; empty detects it from the content.
	Format Format
	// Connection is the configured connection the groups belong to (set on
	// every event; with the event id it is the idempotency key).
	Connection string
	// Platform is set on every event; by default the platform live traffic
	// of the format arrives with (telegram, onebot, webhook).
	Platform string
	// Location is the time zone of times written without one (the text
	// formats, WeChat CSV time strings, Telegram exports older than
	// date_unixtime): the operator's zone. A file with such times and no
	// Location is refused rather than read in a guessed zone.
	Location *time.Location

	// Group is the external id of the group to import into, for an export
	// of one group: it replaces the id the export gives (or its lack).
	Group string
	// GroupName names the group when the export does not (WeChat CSV and
	// text hold no group name); it is also the key of such a group.
	GroupName string
	// Groups chooses and maps the groups of an export: keys are
	// GroupSummary.Key values, values the external id to import into (""
	// keeps the export's id or the derived one). When set, groups not
	// listed are skipped.
	Groups map[string]string

	// Self is the account that made the export: the sender of WeChat rows
	// marked IsSender and of "你" in notices. Without it those are a
	// name-based identity ("我").
	Self *chat.User

	// Since and Until, when set, keep only events at or after Since and
	// before Until: Until = the time a live connection started avoids
	// storing twice what a platform without predictable ids delivered live.
	Since, Until time.Time

	// Directory resolves names to platform ids (from a Summary of the same
	// file): a member invited by name is matched to the id they write
	// with. Import sets it from its validation pass.
	Directory *Directory

	// BatchSize is the number of events per batch; 500 when 0.
	BatchSize int
	// Size is the file's size in bytes, for progress; Open takes it from
	// an *os.File when 0.
	Size int64
	// Progress, when set, is told how far the reader got after each batch
	// and at the end.
	Progress func(Progress)
}

// Progress reports how far a pass got.
type Progress struct {
	Phase  string // "validate" or "import" (Import), "read" (Open)
	Bytes  int64  // bytes read so far
	Total  int64  // the file's size; 0 when unknown
	Events int    // events produced so far
	Done   bool   // the pass is over
}

// Batch is a run of events in file order.
type Batch struct {
	Events []chat.Event
	// Identities lists the name-based identities first used in this
	// batch's events (members the export does not give a platform id):
	// the caller records them as such, so merges can be proposed.
	Identities []Identity
}

// Reader yields the events of one export in batches.
type Reader interface {
	// Next returns the next batch, or io.EOF after the last one. A
	// problem in the file is an error of kind Invalid (an *Error in its
	// chain) naming the line or JSON path.
	Next(ctx context.Context) (Batch, error)
	// Format is the format being read.
	Format() Format
	// Summary describes what has been read so far; after io.EOF, the file.
	Summary() Summary
}

// Error is a problem in the file.
type Error struct {
	Where   string // "line 42", "messages[1532].date", "chats.list[3]"
	Line    int    // the line, for line-based formats (1-based); 0 otherwise
	Problem string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Problem
	}
	return e.Where + ": " + e.Problem
}

// fileError returns an error of kind Invalid carrying an *Error.
func fileError(where string, line int, format string, args ...any) error {
	e := &Error{Where: where, Line: line, Problem: fmt.Sprintf(format, args...)}
	return &errkind.Error{Kind: errkind.Invalid, Message: e.Error(), Err: e}
}

// lineError is fileError for a line-based format.
func lineError(line int, format string, args ...any) error {
	return fileError(fmt.Sprintf("line %d", line), line, format, args...)
}

func invalid(format string, args ...any) error {
	return errkind.Errorf(errkind.Invalid, format, args...)
}

// headSize is how much of a file Open looks at to detect its format.
const headSize = 64 << 10

// Open returns a reader of the export r. It detects the format from the
// content unless opt.Format is set. Nothing is read beyond the first bytes
// until Next is called.
func Open(r io.Reader, opt Options) (Reader, error) {
	rd, err := openReader(r, opt, "read")
	if err != nil {
		return nil, err
	}
	return rd, nil
}

// openReader is Open for a phase: "validate" reads without needing the group's id.
func openReader(r io.Reader, opt Options, phase string) (*reader, error) {
	if opt.Connection == "" {
		return nil, invalid("connection: required")
	}
	if opt.Format != "" && !opt.Format.Valid() {
		return nil, invalid("format: unknown %q (want %s)", opt.Format, formatList())
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 500
	}
	if opt.Size == 0 {
		if f, ok := r.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				opt.Size = st.Size()
			}
		}
	}
	cr := &countingReader{r: r}
	br := bufio.NewReaderSize(cr, headSize)
	if opt.Format == "" {
		head, err := br.Peek(headSize)
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("read export: %w", err)
		}
		f, err := Detect(head)
		if err != nil {
			return nil, err
		}
		opt.Format = f
	}
	if opt.Platform == "" {
		opt.Platform = opt.Format.defaultPlatform()
	}
	st := newState(opt)
	st.validating = phase == "validate"
	var p parser
	switch opt.Format {
	case FormatTelegram:
		p = newTelegram(st, br)
	case FormatWeChatCSV:
		p = newWeChatCSV(st, br)
	case FormatWeChatText:
		p = newWeChatText(st, br)
	case FormatQQText:
		p = newQQText(st, br)
	case FormatMatrix:
		p = newMatrix(st, br)
	case FormatQQJSON:
		p = newQQJSON(st, br)
	}
	return &reader{st: st, p: p, counter: cr, phase: phase}, nil
}

// Validate reads the whole export and returns what it holds, or the first
// problem: an error of kind Invalid naming the line or JSON path. Nothing
// is stored; call it before importing so a malformed file is refused whole.
func Validate(ctx context.Context, r io.Reader, opt Options) (Summary, error) {
	rd, err := openReader(r, opt, "validate")
	if err != nil {
		return Summary{}, err
	}
	for {
		if _, err := rd.Next(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return rd.Summary(), nil
			}
			return rd.Summary(), err
		}
	}
}

// Import validates the export, then reads it again and hands each batch to
// emit, in file order: a malformed file emits nothing. open is called once
// per pass. The first pass's name directory resolves people a service
// message names (an invitee) to the id they write with, even when they
// write only later in the file. It returns the summary of what it emitted
// (or, when validation fails, of the validation pass); progress is reported
// for both passes ("validate", then "import").
//
// emit is typically the pipeline's ingest: batches are idempotent, so an
// import interrupted by an error or a crash can simply be run again.
func Import(ctx context.Context, open func() (io.ReadCloser, error), opt Options, emit func(context.Context, Batch) error) (Summary, error) {
	first, err := open()
	if err != nil {
		return Summary{}, fmt.Errorf("open export: %w", err)
	}
	sum, err := Validate(ctx, first, opt)
	first.Close()
	if err != nil {
		return sum, err
	}
	return ImportValidated(ctx, open, opt, sum, emit)
}

// ImportValidated is Import's second pass alone, for a file the caller
// has validated with the same options (Validate; the group to import
// into, Options.Group, may be left out there): it reads the file once
// more, resolving names with the validation's directory, and hands each
// batch to emit.
func ImportValidated(ctx context.Context, open func() (io.ReadCloser, error), opt Options, sum Summary, emit func(context.Context, Batch) error) (Summary, error) {
	for _, g := range sum.Groups {
		if g.Skipped == "" && g.ID == "" && opt.Group == "" && opt.GroupName == "" {
			return sum, invalid("the export does not name its group: set the group to import into (Options.Group) or a name for a new one (Options.GroupName)")
		}
	}
	second, err := open()
	if err != nil {
		return sum, fmt.Errorf("open export: %w", err)
	}
	defer second.Close()
	iopt := opt
	iopt.Format = sum.Format
	if iopt.Directory == nil {
		iopt.Directory = sum.Directory
	}
	rd, err := openReader(second, iopt, "import")
	if err != nil {
		return sum, err
	}
	for {
		b, err := rd.Next(ctx)
		if errors.Is(err, io.EOF) {
			return rd.Summary(), nil
		}
		if err != nil {
			// The file changed between the passes, or reading failed.
			return sum, err
		}
		if err := emit(ctx, b); err != nil {
			return sum, err
		}
	}
}

func formatList() string {
	s := ""
	for i, f := range Formats {
		if i > 0 {
			s += ", "
		}
		s += string(f)
	}
	return s
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// parser is one format's reading of a file: read returns the events of the
// next record (possibly none) or io.EOF.
type parser interface {
	read() ([]chat.Event, error)
}

// reader batches a parser's events.
type reader struct {
	st      *state
	p       parser
	counter *countingReader
	phase   string
	done    bool
	err     error
	events  int
}

func (r *reader) Format() Format { return r.st.opt.Format }

func (r *reader) Summary() Summary { return r.st.summary() }

func (r *reader) Next(ctx context.Context) (Batch, error) {
	if r.err != nil {
		return Batch{}, r.err
	}
	if r.done {
		return Batch{}, io.EOF
	}
	var b Batch
	for len(b.Events) < r.st.opt.BatchSize {
		if err := ctx.Err(); err != nil {
			return Batch{}, err
		}
		evs, err := r.p.read()
		if errors.Is(err, io.EOF) {
			r.done = true
			break
		}
		if err != nil {
			r.err = err
			return Batch{}, err
		}
		for _, e := range evs {
			if r.st.keep(&e) {
				b.Events = append(b.Events, e)
			}
		}
	}
	b.Identities = r.st.takeIdentities()
	r.events += len(b.Events)
	r.st.sum.Bytes = r.counter.n
	if r.st.opt.Progress != nil {
		r.st.opt.Progress(Progress{Phase: r.phase, Bytes: r.counter.n, Total: r.st.opt.Size, Events: r.events, Done: r.done})
	}
	if r.done && len(b.Events) == 0 && len(b.Identities) == 0 {
		return Batch{}, io.EOF
	}
	return b, nil
}
