package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current mapping")

// cst is the operators' zone in the fixtures (UTC+8).
var cst = time.FixedZone("CST", 8*3600)

// goldenCases are the fixtures, each a hand-made file in a real format,
// with the options an operator would give.
var goldenCases = []struct {
	name, file string
	opt        Options
}{
	{"telegram_supergroup", "telegram/supergroup.json", Options{}},
	{"telegram_account", "telegram/account.json", Options{}},
	{"telegram_old", "telegram/old.json", Options{Location: cst}},
	{"wechat_memotrace_csv", "wechat/memotrace.csv", Options{Group: "12345678@chatroom", GroupName: "周末徒步俱乐部", Location: cst, Self: &chat.User{ID: "wxid_linxiao", Name: "林晓"}}},
	{"wechat_pywxdump_csv", "wechat/pywxdump.csv", Options{Location: cst}},
	{"wechat_memotrace_txt", "wechat/memotrace.txt", Options{GroupName: "周末徒步俱乐部", Location: cst}},
	{"wechat_copied_txt", "wechat/copied.txt", Options{Group: "g-copied", Location: cst}},
	{"qq_all", "qq/all.txt", Options{Location: cst}},
	{"matrix_element", "matrix/element.json", Options{}},
	{"qq_qce_json", "qq/qce.json", Options{}},
}

func fixture(name string) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return os.Open(filepath.Join("testdata", name)) }
}

// importAll imports a fixture as Import does and returns the summary and
// every event.
func importAll(t testing.TB, file string, opt Options) (Summary, []chat.Event) {
	t.Helper()
	if opt.Connection == "" {
		opt.Connection = "imp"
	}
	var evs []chat.Event
	sum, err := Import(context.Background(), fixture(file), opt, func(_ context.Context, b Batch) error {
		evs = append(evs, b.Events...)
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return sum, evs
}

type golden struct {
	Summary Summary      `json:"summary"`
	Events  []chat.Event `json:"events"`
}

// TestGolden imports every fixture and compares the summary and events
// with testdata/golden/<name>.json (go test -update rewrites them).
func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			sum, evs := importAll(t, c.file, c.opt)
			for i := range evs {
				if err := checkEvent(&evs[i]); err != nil {
					t.Errorf("event %d (%s): %v", i, evs[i].ID, err)
				}
			}
			sum.Bytes = 0 // the fixtures' line ends may differ on checkout
			got, err := json.MarshalIndent(golden{sum, evs}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", c.name+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from %s; run go test -update and review the diff", c.name, path)
			}
		})
	}
}

// checkEvent checks what the pipeline's ingest requires of every stored
// event (pipeline.Validate), plus the importer's own promises.
func checkEvent(e *chat.Event) error {
	switch {
	case e.ID == "" || e.Connection == "" || e.Group == "" || e.Time.IsZero():
		return errorf("id, connection, group and time are required: %+v", e)
	case !e.Type.Valid():
		return errorf("unknown type %q", e.Type)
	case !e.Source.Valid():
		return errorf("unknown source %q", e.Source)
	case e.Type == chat.EventMessage && (e.Message == nil || e.Message.ID == "" || !e.Message.Kind.Valid()):
		return errorf("message without id or kind: %+v", e.Message)
	case e.Type != chat.EventMessage && e.Message != nil:
		return errorf("a message on a %s", e.Type)
	case e.Type == chat.EventMessage || e.Type == chat.EventMemberJoined || e.Type == chat.EventMemberLeft:
		if e.Sender.ID == "" {
			return errorf("no sender")
		}
	case e.Type == chat.EventGroupRenamed && e.GroupName == "":
		return errorf("a rename without the name")
	}
	if e.Type == chat.EventMemberLeft && e.Reason == "" {
		return errorf("a leave without a reason")
	}
	if e.Message != nil && len(e.Message.Text) > MaxTextBytes {
		return errorf("text over MaxTextBytes")
	}
	return nil
}
