package importer

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// byID maps each event's id to its brief, failing on a repeated id.
func byID(t *testing.T, evs []chat.Event) map[string]string {
	t.Helper()
	m := make(map[string]string, len(evs))
	for _, e := range evs {
		if old, ok := m[e.ID]; ok {
			t.Fatalf("id %s twice: %s and %s", e.ID, old, brief(e))
		}
		m[e.ID] = brief(e)
	}
	return m
}

// TestIDs: importing a file twice gives the same ids, every id is unique,
// and options that only filter or batch do not change them.
func TestIDs(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			_, first := importAll(t, c.file, c.opt)
			_, again := importAll(t, c.file, c.opt)
			a, b := byID(t, first), byID(t, again)
			if len(a) == 0 || fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatalf("two imports differ:\n%v\n%v", a, b)
			}
			small := c.opt
			small.BatchSize = 1
			_, batched := importAll(t, c.file, small)
			if fmt.Sprint(byID(t, batched)) != fmt.Sprint(a) {
				t.Errorf("batch size changed the ids")
			}
			// A window keeps some events with the same ids.
			mid := first[len(first)/2].Time
			win := c.opt
			win.Since = mid
			_, later := importAll(t, c.file, win)
			if len(later) == 0 || len(later) >= len(first) && !first[0].Time.Equal(mid) {
				t.Errorf("Since kept %d of %d", len(later), len(first))
			}
			for _, e := range later {
				if a[e.ID] != brief(e) || e.Time.Before(mid) {
					t.Errorf("windowed event %s: %s", e.ID, brief(e))
				}
			}
		})
	}
}

// shuffled returns a copy of s in a fixed random order.
func shuffled[T any](s []T) []T {
	c := slices.Clone(s)
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(c), func(i, j int) { c[i], c[j] = c[j], c[i] })
	return c
}

// TestIDsIgnoreOrder: a record's id does not depend on where it is in
// the file, so exports of overlapping periods, or sorted differently,
// store each message once. Identical messages (the same sender, second
// and text) stay distinct by their ordinal.
func TestIDsIgnoreOrder(t *testing.T) {
	t.Run("telegram", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("testdata", "telegram", "supergroup.json"))
		if err != nil {
			t.Fatal(err)
		}
		var export map[string]json.RawMessage
		var msgs []json.RawMessage
		if err := json.Unmarshal(b, &export); err != nil || json.Unmarshal(export["messages"], &msgs) != nil {
			t.Fatal(err)
		}
		list, _ := json.Marshal(shuffled(msgs))
		// The chat's name, type and id come before its messages, as
		// Telegram Desktop writes them.
		mixed := fmt.Sprintf(`{"name":%s,"type":%s,"id":%s,"messages":%s}`, export["name"], export["type"], export["id"], list)
		evs, _ := mustImport(t, mixed, Options{})
		_, want := importAll(t, "telegram/supergroup.json", Options{})
		if fmt.Sprint(byID(t, evs)) != fmt.Sprint(byID(t, want)) {
			t.Fatalf("order changed the events:\n%v\n%v", byID(t, evs), byID(t, want))
		}
	})
	t.Run("wechat csv", func(t *testing.T) {
		f, err := os.Open(filepath.Join("testdata", "wechat", "memotrace.csv"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		c := goldenCases[3]
		evs, _ := mustImport(t, csvOf(append([][]string{rows[0]}, shuffled(rows[1:])...)...), c.opt)
		_, want := importAll(t, c.file, c.opt)
		if fmt.Sprint(byID(t, evs)) != fmt.Sprint(byID(t, want)) {
			t.Fatalf("order changed the events")
		}
	})
	var blocks []string
	for i := range 40 {
		at := time.Date(2024, 3, 1, 9, 0, i%7, 0, cst).Format("2006-01-02 15:04:05")
		who := []string{"林晓", "陈默", "王芳"}[i%3]
		blocks = append(blocks, fmt.Sprintf("%s %s\n%s\n", at, who, []string{"1", "[图片]", "好的"}[i%2]))
	}
	// sameInAnyOrder imports the blocks in file order and shuffled.
	sameInAnyOrder := func(t *testing.T, blocks []string, opt Options) {
		a, _ := mustImport(t, strings.Join(blocks, "\n"), opt)
		b, _ := mustImport(t, strings.Join(shuffled(blocks), "\n"), opt)
		if len(a) != len(blocks) || fmt.Sprint(byID(t, a)) != fmt.Sprint(byID(t, b)) {
			t.Fatalf("order changed the events (%d of %d)", len(a), len(blocks))
		}
	}
	t.Run("wechat text", func(t *testing.T) { sameInAnyOrder(t, blocks, Options{Group: "g", Location: cst}) })
	t.Run("qq text", func(t *testing.T) {
		qq := make([]string, len(blocks))
		for i, b := range blocks {
			head, rest, _ := strings.Cut(b, "\n")
			qq[i] = fmt.Sprintf("%s(%d)\n%s", head, 20001+i%3, rest)
		}
		sameInAnyOrder(t, qq, Options{Group: "12345", Location: cst})
	})
	t.Run("an overlapping later export adds only what is new", func(t *testing.T) {
		if countTwins(blocks) != 0 {
			t.Fatal("the blocks must differ for this test")
		}
		opt := Options{Group: "g", Location: cst}
		early, _ := mustImport(t, strings.Join(blocks[:30], "\n"), opt)
		late, _ := mustImport(t, strings.Join(blocks[10:], "\n"), opt)
		all, _ := mustImport(t, strings.Join(blocks, "\n"), opt)
		union := byID(t, early)
		for id, b := range byID(t, late) {
			union[id] = b
		}
		if fmt.Sprint(union) != fmt.Sprint(byID(t, all)) {
			t.Fatalf("union of overlapping imports: %d events, one import of everything: %d", len(union), len(all))
		}
	})
	t.Run("identical messages in one second stay distinct", func(t *testing.T) {
		in := "2024-03-01 09:00:00 林晓\n[图片]\n\n2024-03-01 09:00:00 林晓\n[图片]\n\n2024-03-01 09:00:00 陈默\n[图片]\n"
		opt := Options{Group: "g", Location: cst}
		a, _ := mustImport(t, in, opt)
		b, _ := mustImport(t, in, opt)
		if len(a) != 3 || len(byID(t, a)) != 3 || fmt.Sprint(byID(t, a)) != fmt.Sprint(byID(t, b)) {
			t.Fatalf("%v", briefs(a))
		}
	})
}

// countTwins counts lines that repeat an earlier line exactly.
func countTwins(lines []string) int {
	seen := map[string]bool{}
	n := 0
	for _, l := range lines {
		if seen[l] {
			n++
		}
		seen[l] = true
	}
	return n
}

// TestBatches: batch sizes, identities reported once in the batch that
// first uses them, progress for both passes.
func TestBatches(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "telegram", "supergroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	f.Close()
	var progress []Progress
	var batches []Batch
	sum, err := Import(context.Background(), fixture("telegram/supergroup.json"), Options{Connection: "c", BatchSize: 5, Progress: func(p Progress) { progress = append(progress, p) }},
		func(_ context.Context, b Batch) error { batches = append(batches, b); return nil })
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var idents []Identity
	for i, b := range batches {
		if len(b.Events) > 5+2 || (i < len(batches)-1 && len(b.Events) < 5) {
			t.Errorf("batch %d: %d events", i, len(b.Events))
		}
		n += len(b.Events)
		idents = append(idents, b.Identities...)
	}
	if n != sum.Events || n != 24 {
		t.Fatalf("%d events in batches, summary %d", n, sum.Events)
	}
	if len(idents) != 1 || idents[0].Name != "王芳" || idents[0].Kind != ByName || !slices.Equal(idents, sum.Identities) {
		t.Fatalf("identities %+v, summary %+v", idents, sum.Identities)
	}
	phases := map[string]int{}
	var last Progress
	for _, p := range progress {
		if p.Phase != last.Phase {
			last = Progress{Phase: p.Phase}
		}
		if p.Bytes < last.Bytes || p.Events < last.Events || p.Total != st.Size() {
			t.Errorf("progress went back or lost the total: %+v after %+v", p, last)
		}
		phases[p.Phase]++
		last = p
	}
	if phases["validate"] == 0 || phases["import"] == 0 || !last.Done || last.Bytes != st.Size() || last.Phase != "import" || last.Events != 24 {
		t.Fatalf("progress %+v", progress)
	}
}

// TestKindOf: the integrator tells name and e-mail identities apart from
// platform ids by their prefix.
func TestKindOf(t *testing.T) {
	for id, want := range map[string]IdentityKind{"1001": ByPlatformID, "wxid_a": ByPlatformID, "-1001234": ByPlatformID,
		nameID("g", "林晓"): ByName, "email:a@b.c": ByEmail} {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%q) = %q, want %q", id, got, want)
		}
	}
	if nameID("g", "林晓") == nameID("h", "林晓") || nameID("g", "林晓") == nameID("g", "陈默") || nameID("g", "林晓") != nameID("g", "林晓") {
		t.Fatal("name identities are per group and per name")
	}
}

// TestDetect: the format from the first bytes.
func TestDetect(t *testing.T) {
	tests := []struct {
		name, head string
		want       Format
	}{
		{"single chat", `{"name":"x","type":"private_group","id":1,"messages":[]}`, FormatTelegram},
		{"account", "{\n \"about\": \"x\",\n \"personal_information\": {}", FormatTelegram},
		{"MemoTrace CSV", "\ufefflocalId,TalkerId,Type,SubType,IsSender,CreateTime,Status,StrContent,StrTime,Remark,NickName,Sender\r\n1,2", FormatWeChatCSV},
		{"PyWxDump CSV", "id,MsgSvrID,type_name,is_sender,talker,room_name,msg,src,CreateTime\n", FormatWeChatCSV},
		{"QQ banner", "\ufeff" + qqBanner + "\n", FormatQQText},
		{"QQ lines", "2021-03-04 12:01:22 林晓(10001001)\n你好\n", FormatQQText},
		{"QQ e-mail lines", "2021-03-04 12:01:22 林晓<a@b.c>\n你好\n", FormatQQText},
		{"MemoTrace TXT", "2024-03-01 09:15:02 张三\n你好\n", FormatWeChatText},
		{"WeChat copy", "张三 2024/3/1 9:15\n你好\n", FormatWeChatText},
		{"UTF-16 text", utf16le("2024-03-01 09:15:02 张三\r\n你好\r\n"), FormatWeChatText},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect([]byte(tc.head))
			if err != nil || got != tc.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	t.Run("the fixtures", func(t *testing.T) {
		for _, c := range goldenCases {
			b, err := os.ReadFile(filepath.Join("testdata", c.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := Detect(b)
			want := map[string]Format{".json": FormatTelegram, ".csv": FormatWeChatCSV}[filepath.Ext(c.file)]
			if want == "" {
				want = FormatWeChatText
				if strings.HasPrefix(c.file, "qq/") {
					want = FormatQQText
				}
			}
			if strings.HasPrefix(c.file, "matrix/") {
				want = FormatMatrix
			}
			if c.file == "qq/qce.json" {
				want = FormatQQJSON
			}
			if err != nil || f != want {
				t.Errorf("%s: %q, %v", c.file, f, err)
			}
		}
	})
	t.Run("an explicit format wins", func(t *testing.T) {
		// A QQ-like line read as a WeChat log: the "(…)" stays in the name.
		evs, _ := mustImport(t, "2021-03-04 12:01:22 林晓(10001001)\n你好\n", Options{Format: FormatWeChatText, Group: "g", Location: cst})
		if len(evs) != 1 || evs[0].Sender.Name != "林晓(10001001)" {
			t.Fatalf("%v", briefs(evs))
		}
	})
	t.Run("a long head cut mid-line and mid-character", func(t *testing.T) {
		var b strings.Builder
		for b.Len() < headSize+100 {
			b.WriteString("2024-03-01 09:15:02 张三\n你好你好你好\n\n")
		}
		if f, err := Detect([]byte(b.String())[:headSize]); err != nil || f != FormatWeChatText {
			t.Fatalf("%q %v", f, err)
		}
	})
}
