package imports_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/importer/importertest"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

var (
	ctx = context.Background()
	cst = time.FixedZone("CST", 8*3600)
	// now is after every fixture's history.
	now = time.Date(2024, 6, 1, 12, 0, 0, 0, cst)
)

func fixture(name string) string { return filepath.Join("..", "importer", "testdata", name) }

// env is an organisation with a running ingester and an import service.
type env struct {
	db      *store.DB
	in      *pipeline.Ingester
	svc     *imports.Service
	org     community.Org
	forgets atomic.Int32
}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{db: db, org: community.Org{Name: "徒步俱乐部", Slug: "hiking"}}
	if err := db.CreateOrg(ctx, &e.org); err != nil {
		t.Fatal(err)
	}
	e.in = pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return e.org.ID }, Now: func() time.Time { return now }, Location: cst,
		Welcome: "欢迎 {name}"})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.in.Run(runCtx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	e.svc = &imports.Service{Store: db, Ingest: e.in, Dir: filepath.Join(t.TempDir(), "imports"), Location: cst, Holder: "test",
		Connections: imports.Fixed(imports.Connection{Name: "tg", Platform: "telegram"}, imports.Connection{Name: "qq", Platform: "onebot"}, imports.Connection{Name: "wx", Platform: "webhook"},
			imports.Connection{Name: "mx", Platform: "matrix"}),
		Now: func() time.Time { return now }, Forget: func() { e.forgets.Add(1); e.in.Forget() }}
	return e
}

func (e *env) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.SQL().QueryRow(e.db.Rebind(q), args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// rows reads a query's rows as text, one line a row.
func (e *env) rows(t *testing.T, q string) []string {
	t.Helper()
	rows, err := e.db.SQL().Query(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for i, v := range vals {
			if i > 0 {
				b.WriteByte('|')
			}
			switch v := v.(type) {
			case []byte:
				b.Write(v)
			case float64:
				fmt.Fprintf(&b, "%.6f", v)
			default:
				fmt.Fprint(&b, v)
			}
		}
		out = append(out, b.String())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// rollups is every rolled-up figure, by the groups' and members' platform
// ids (not qunzhu's row ids).
func (e *env) rollups(t *testing.T) []string {
	t.Helper()
	groups := e.rows(t, `SELECT g.external_id, gd.day, gd.messages, gd.member_messages, gd.communicators, gd.questions, gd.answered,
		gd.joins, gd.leaves, gd.members, gd.health, gd.state FROM group_days gd JOIN chat_groups g ON g.id = gd.group_id ORDER BY g.external_id, gd.day`)
	members := e.rows(t, `SELECT g.external_id, i.external_id, md.day, md.messages, md.substantive FROM member_days md
		JOIN chat_groups g ON g.id = md.group_id JOIN identities i ON i.person_id = md.person_id ORDER BY g.external_id, i.external_id, md.day`)
	if len(groups) == 0 || len(members) == 0 {
		t.Fatalf("no rollups: %d group days, %d member days", len(groups), len(members))
	}
	return append(groups, members...)
}

// events reads the events an import of a file stores.
func events(t *testing.T, path string, opt importer.Options) []chat.Event {
	t.Helper()
	var out []chat.Event
	_, err := importer.Import(ctx, func() (io.ReadCloser, error) { return os.Open(path) }, opt, func(_ context.Context, b importer.Batch) error {
		out = append(out, b.Events...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestImportMatchesLiveIngest: the rollups of an imported export — daily
// figures, health and states, members' days — are those of the same
// messages received live.
func TestImportMatchesLiveIngest(t *testing.T) {
	for _, tc := range []struct {
		file, conn string
		plan       imports.Plan
	}{
		{"telegram/supergroup.json", "tg", imports.Plan{}},
		{"qq/all.txt", "qq", imports.Plan{}},
		{"wechat/memotrace.txt", "wx", imports.Plan{GroupName: "徒步群"}},
		{"matrix/element.json", "mx", imports.Plan{}},
		{"qq/qce.json", "qq", imports.Plan{}},
	} {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
				imp := newEnv(t, db)
				job, err := imp.svc.ImportFile(ctx, imp.org.ID, "cli", fixture(tc.file), imports.Upload{Connection: tc.conn}, tc.plan, nil, nil)
				if err != nil || job.Status != imports.Done {
					t.Fatalf("import: %+v, %v", job, err)
				}
				if job.Result.Days == 0 || len(job.Result.Groups) == 0 || job.Accepted == 0 || job.Accepted != job.Events {
					t.Fatalf("job %+v", job)
				}
				live := newEnv(t, storetest.Open(t, db.Dialect(), nil))
				platform := ""
				for _, x := range imp.svc.ConnectionList() {
					if x.Name == tc.conn {
						platform = x.Platform
					}
				}
				evs := events(t, fixture(tc.file), importer.Options{Connection: tc.conn, Platform: platform, Location: cst, GroupName: tc.plan.GroupName})
				for i := 0; i < len(evs); i += 7 { // live traffic comes in small batches
					if _, err := live.in.IngestCount(ctx, evs[i:min(i+7, len(evs))]); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := live.db.Rollup(ctx, live.org.ID, now, cst, 5000); err != nil {
					t.Fatal(err)
				}
				got, want := imp.rollups(t), live.rollups(t)
				if !slices.Equal(got, want) {
					t.Fatalf("rollups of the import (%d rows) differ from live (%d rows):\n%s\nlive:\n%s", len(got), len(want), strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				t.Logf("%d rollup rows equal, %d days recomputed", len(got), job.Result.Days)
			})
		})
	}
}

// TestImportTwiceAndOverLive: a second import of a file stores nothing;
// an import that overlaps what came live stores the rest, each message
// once, and acts on nothing (no welcome, however the welcome is set).
func TestImportTwiceAndOverLive(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		file := fixture("telegram/supergroup.json")
		first, err := e.svc.ImportFile(ctx, e.org.ID, "cli", file, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		tables := []string{"messages", "memberships", "people", "identities", "chat_groups", "events"}
		before := map[string]int{}
		for _, tb := range tables {
			before[tb] = e.count(t, "SELECT COUNT(*) FROM "+tb)
		}
		second, err := e.svc.ImportFile(ctx, e.org.ID, "cli", file, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
		if err != nil || second.Accepted != 0 || second.Duplicates != first.Accepted || second.Status != imports.Done {
			t.Fatalf("second import: %+v, %v (first accepted %d)", second, err, first.Accepted)
		}
		for _, tb := range tables {
			if n := e.count(t, "SELECT COUNT(*) FROM "+tb); n != before[tb] {
				t.Errorf("%s: %d rows after the second import, %d after the first", tb, n, before[tb])
			}
		}
		if n := e.count(t, "SELECT COUNT(*) FROM outbox"); n != 0 {
			t.Errorf("the import queued %d actions", n)
		}

		// Over live traffic: half the events came live, in order.
		live := newEnv(t, storetest.Open(t, db.Dialect(), nil))
		evs := events(t, file, importer.Options{Connection: "tg", Platform: "telegram", Location: cst})
		half := len(evs) / 2
		if _, err := live.in.IngestCount(ctx, evs[:half]); err != nil {
			t.Fatal(err)
		}
		job, err := live.svc.ImportFile(ctx, live.org.ID, "cli", file, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
		if err != nil || job.Accepted != len(evs)-half || job.Duplicates != half {
			t.Fatalf("over live: %+v, %v; want %d new and %d stored before", job, err, len(evs)-half, half)
		}
		msgs := 0
		for _, ev := range evs {
			if ev.Type == chat.EventMessage {
				msgs++
			}
		}
		if n, d := live.count(t, "SELECT COUNT(*) FROM messages"), live.count(t, "SELECT COUNT(DISTINCT external_id) FROM messages"); n != msgs || d != msgs {
			t.Fatalf("over live: %d messages (%d distinct), want %d", n, d, msgs)
		}
		if got, want := live.rollups(t), e.rollups(t); !slices.Equal(got, want) {
			t.Fatalf("rollups over live differ from an import alone:\n%s\nalone:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// cancelling is an ingester that cancels the import after n batches.
type cancelling struct {
	imports.Ingester
	n      int
	cancel context.CancelFunc
}

func (c *cancelling) IngestHistory(ctx context.Context, evs []chat.Event) (pipeline.Result, error) {
	res, err := c.Ingester.IngestHistory(ctx, evs)
	if c.n--; c.n == 0 {
		c.cancel()
	}
	return res, err
}

// TestInterruptedImportRunsAgain: an import stopped midway is recorded as
// interrupted with what it stored; running it again stores the rest and
// ends as a whole import does.
func TestInterruptedImportRunsAgain(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		path, _ := importertest.TelegramFile(t, t.TempDir(), 3000)
		stop, cancel := context.WithCancel(ctx)
		svc := &imports.Service{Store: db, Ingest: &cancelling{Ingester: e.in, n: 2, cancel: cancel}, Dir: e.svc.Dir, Location: cst,
			Connections: e.svc.Connections, Now: e.svc.Now}
		job, err := svc.ImportFile(stop, e.org.ID, "cli", path, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
		if err == nil || job.Status != imports.Interrupted || job.Accepted != 1000 {
			t.Fatalf("interrupted import: %+v, %v", job, err)
		}
		saved, err := e.svc.Job(ctx, e.org.ID, job.ID)
		if err != nil || saved.Status != imports.Interrupted || saved.Accepted != 1000 || saved.Error == "" {
			t.Fatalf("the interrupted job as recorded: %+v, %v", saved, err)
		}
		stored := e.count(t, "SELECT COUNT(*) FROM messages")
		again, err := e.svc.ImportFile(ctx, e.org.ID, "cli", path, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
		if err != nil || again.Duplicates != 1000 || again.Accepted != again.Events-1000 {
			t.Fatalf("run again: %+v, %v", again, err)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM messages"); n != 2997 || stored >= n {
			t.Fatalf("%d messages after running again (%d before), want 2997", n, stored)
		}
	})
}

// TestMalformedImportStoresNothing: a malformed upload is refused with its
// place and not kept; a malformed file run from the command line fails
// its job and stores nothing.
func TestMalformedImportStoresNothing(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	e := newEnv(t, db)
	good, err := os.ReadFile(fixture("telegram/supergroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	// Break the last message's date: the file is read whole before
	// anything is stored.
	i := strings.LastIndex(string(good), `"date_unixtime": "`)
	bad := string(good[:i]) + `"date_unixtime": "yesterday` + string(good[i+len(`"date_unixtime": "1709254800`):])
	_, err = e.svc.Upload(ctx, e.org.ID, "staff:admin", imports.Upload{FileName: "result.json", Connection: "tg"}, strings.NewReader(bad))
	if !errkind.Is(err, errkind.Invalid) || !strings.Contains(err.Error(), "messages[") || !strings.Contains(err.Error(), "date_unixtime") {
		t.Fatalf("a malformed upload: %v", err)
	}
	if left, _ := os.ReadDir(e.svc.Dir); len(left) != 0 {
		t.Fatalf("the refused upload is kept: %v", left)
	}
	path := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(path, []byte(bad), 0o600)
	job, err := e.svc.ImportFile(ctx, e.org.ID, "cli", path, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
	if !errkind.Is(err, errkind.Invalid) || job.Status != imports.Failed || !strings.Contains(job.Error, "date_unixtime") {
		t.Fatalf("a malformed file: %+v, %v", job, err)
	}
	for _, tb := range []string{"messages", "events", "chat_groups", "people", "memberships"} {
		if n := e.count(t, "SELECT COUNT(*) FROM "+tb); n != 0 {
			t.Errorf("%d rows in %s after a malformed file", n, tb)
		}
	}
	if _, err := e.svc.Upload(ctx, e.org.ID, "staff:admin", imports.Upload{FileName: "x.json", Connection: "nope"}, strings.NewReader(string(good))); !errkind.Is(err, errkind.Invalid) {
		t.Fatalf("an unknown connection: %v", err)
	}
	if _, err := e.svc.Upload(ctx, e.org.ID, "staff:admin", imports.Upload{FileName: "x.json", Connection: "tg"}, strings.NewReader("")); !errkind.Is(err, errkind.Invalid) {
		t.Fatalf("an empty file: %v", err)
	}
}

// TestUploadPlanServe: the console's path — an upload is validated and
// kept; the plan maps one group into a group qunzhu knows and names a new
// one; Serve runs the job; the file is removed when it is done, and a
// member imported by name who is a known member is proposed for merging.
func TestUploadPlanServe(t *testing.T) {
	storetest.Dialects(t, nil, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db)
		known := community.Group{OrgID: e.org.ID, Connection: "qq", Platform: "onebot", ExternalID: "123456", Name: "周末徒步（QQ 群）", CreatedAt: now.Add(-24 * time.Hour)}
		if err := db.CreateGroup(ctx, &known); err != nil {
			t.Fatal(err)
		}
		// 王芳 is known live by her QQ number; the export writes her by e-mail.
		if _, err := e.in.IngestCount(ctx, []chat.Event{{ID: "live-1", Connection: "qq", Platform: "onebot", Type: chat.EventMessage, Group: "123456", Time: now.Add(-time.Hour),
			Sender: chat.User{ID: "30001", Name: "王芳"}, Message: &chat.Message{ID: "live-1", Kind: chat.KindText, Text: "我是王芳"}}}); err != nil {
			t.Fatal(err)
		}
		f, _ := os.Open(fixture("qq/all.txt"))
		defer f.Close()
		job, err := e.svc.Upload(ctx, e.org.ID, "staff:admin", imports.Upload{FileName: "all.txt", Connection: "qq"}, f)
		if err != nil {
			t.Fatal(err)
		}
		if job.Status != imports.Uploaded || job.Format != importer.FormatQQText || len(job.Summary.Groups) != 3 {
			t.Fatalf("uploaded: %+v", job)
		}
		var hiking, reading string
		for _, g := range job.Summary.Groups {
			switch g.Name {
			case "周末徒步俱乐部":
				hiking = g.Key
			case "读书会":
				reading = g.Key
			}
		}
		// Bad plans are refused and change nothing.
		for _, p := range []imports.Plan{
			{Groups: map[string]string{}},
			{Groups: map[string]string{"no such key": ""}},
			{Groups: map[string]string{hiking: "999999"}},
			{Groups: map[string]string{hiking: "123456", reading: "123456"}},
			{Group: "123456"},
		} {
			if err := e.svc.Start(ctx, e.org.ID, job.ID, p); !errkind.Is(err, errkind.Invalid) {
				t.Fatalf("plan %+v: %v", p, err)
			}
		}
		plan := imports.Plan{Groups: map[string]string{hiking: "123456", reading: ""}, Names: map[string]string{reading: "读书会（导入）"}}
		if err := e.svc.Start(ctx, e.org.ID, job.ID, plan); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Start(ctx, e.org.ID, job.ID, plan); !errkind.Is(err, errkind.Conflict) {
			t.Fatalf("starting twice: %v", err)
		}
		serve, stop := context.WithCancel(ctx)
		defer stop()
		go e.svc.Serve(serve)
		deadline := time.Now().Add(3 * time.Minute) // a guard against a hang, not a speed target: the rollup of the fixture's five years takes ~15 s under -race
		for job.Status != imports.Done {
			if time.Now().After(deadline) || job.Status == imports.Failed {
				t.Fatalf("the job did not finish: %+v", job)
			}
			time.Sleep(20 * time.Millisecond)
			if job, err = e.svc.Job(ctx, e.org.ID, job.ID); err != nil {
				t.Fatal(err)
			}
		}
		if job.Upload != "" {
			t.Fatalf("the upload is kept after the import: %s", job.Upload)
		}
		// The job is saved done before its file is removed: wait for the
		// removal rather than read the directory in between.
		for left, _ := os.ReadDir(e.svc.Dir); len(left) != 0; left, _ = os.ReadDir(e.svc.Dir) {
			if time.Now().After(deadline) {
				t.Fatalf("files left: %v", left)
			}
			time.Sleep(10 * time.Millisecond)
		}
		names := map[string]imports.GroupResult{}
		for _, g := range job.Result.Groups {
			names[g.Name] = g
		}
		if g := names["周末徒步（QQ 群）"]; g.GroupID != known.ID || g.Created || g.Messages != 6 {
			t.Fatalf("the known group: %+v (%v)", g, job.Result.Groups)
		}
		if g := names["读书会（导入）"]; !g.Created || g.Messages != 1 {
			t.Fatalf("the new group: %+v (%v)", g, job.Result.Groups)
		}
		got, _ := db.Group(ctx, e.org.ID, known.ID)
		if want := time.Date(2021, 3, 4, 12, 1, 22, 0, cst); !got.CreatedAt.Equal(want) {
			t.Fatalf("the known group was created %v, want its first imported message %v", got.CreatedAt, want)
		}
		props, err := e.svc.MergeProposals(ctx, e.org.ID, 10)
		if err != nil || len(props) != 1 || props[0].OtherID != "30001" || props[0].PersonName != "王芳" || props[0].Messages != 1 {
			t.Fatalf("proposals: %+v, %v", props, err)
		}
		if err := e.svc.AcceptMerge(ctx, e.org.ID, props[0], "staff:admin"); err != nil {
			t.Fatal(err)
		}
		if e.forgets.Load() == 0 {
			t.Fatal("the ingester's caches were not dropped after a merge")
		}
		if n := e.count(t, "SELECT COUNT(*) FROM messages m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = '30001'"); n != 2 {
			t.Fatalf("王芳 has %d messages after the merge, want 2", n)
		}
		if n := e.count(t, "SELECT COUNT(*) FROM outbox"); n != 0 {
			t.Fatalf("the import queued %d actions", n)
		}
	})
}

// TestImportZipped: an export zipped with its attachments imports as the
// export alone does, from the command line's path and from an upload.
func TestImportZipped(t *testing.T) {
	db := storetest.Open(t, store.SQLite, nil)
	e := newEnv(t, db)
	tg, err := os.ReadFile(fixture("telegram/supergroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, content := range map[string][]byte{"ChatExport_2024-05-04/result.json": tg, "ChatExport_2024-05-04/photos/1.jpg": []byte("jpg")} {
		w, _ := zw.Create(name)
		w.Write(content)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "ChatExport.zip")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	job, err := e.svc.ImportFile(ctx, e.org.ID, "cli", path, imports.Upload{Connection: "tg"}, imports.Plan{}, nil, nil)
	if err != nil || job.Status != imports.Done || job.Accepted == 0 || job.Size != int64(len(tg)) {
		t.Fatalf("zipped import: %+v, %v", job, err)
	}
	up, err := e.svc.Upload(ctx, e.org.ID, "staff:admin", imports.Upload{Connection: "tg", FileName: "ChatExport.zip"}, bytes.NewReader(b.Bytes()))
	if err != nil || up.Format != importer.FormatTelegram || up.Summary.Events != job.Events {
		t.Fatalf("zipped upload: %+v, %v (the import read %d events)", up, err, job.Events)
	}
}
