package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// importWorld is an organisation with two QQ groups under two nodes, a
// manager, a secretary of the first node and a viewer, and a running
// import service.
type importWorld struct {
	srv          *httptest.Server
	db           *store.DB
	mine, theirs community.Group
}

func importSetup(t *testing.T) importWorld {
	t.Helper()
	db := storetest.Open(t, store.SQLite, func() time.Time { return now })
	ctx := context.Background()
	org := community.Org{Name: "学院", Slug: "a"}
	db.CreateOrg(ctx, &org)
	nodeA := community.Node{OrgID: org.ID, Name: "阳新分院", Kind: community.NodeRegion}
	nodeB := community.Node{OrgID: org.ID, Name: "黄梅分院", Kind: community.NodeRegion}
	db.CreateNode(ctx, &nodeA)
	db.CreateNode(ctx, &nodeB)
	w := importWorld{db: db,
		mine:   community.Group{OrgID: org.ID, NodeID: nodeA.ID, Connection: "qq", Platform: "onebot", ExternalID: "111", Name: "阳新徒步群"},
		theirs: community.Group{OrgID: org.ID, NodeID: nodeB.ID, Connection: "qq", Platform: "onebot", ExternalID: "222", Name: "黄梅读书会"}}
	db.CreateGroup(ctx, &w.mine)
	db.CreateGroup(ctx, &w.theirs)
	for _, u := range []access.User{{Username: "admin", Role: access.Manager}, {Username: "sec", Role: access.Secretary, ScopeNodeID: nodeA.ID},
		{Username: "viewer", Role: access.Viewer, ScopeNodeID: nodeA.ID}} {
		hash, _ := console.HashPassword("correct horse")
		u.OrgID, u.PasswordHash = org.ID, hash
		if err := db.CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, OrgFor: func(string) int64 { return org.ID }, Now: func() time.Time { return now }})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 2)
	go func() { in.Run(runCtx); done <- struct{}{} }()
	// 王芳 is known live in the first group by her QQ number.
	if _, err := in.IngestCount(ctx, []chat.Event{{ID: "live", Connection: "qq", Platform: "onebot", Type: chat.EventMessage, Group: "111", Time: now.Add(-time.Hour),
		Sender: chat.User{ID: "30001", Name: "王芳"}, Message: &chat.Message{ID: "live", Kind: chat.KindText, Text: "你好"}}}); err != nil {
		t.Fatal(err)
	}
	svc := &imports.Service{Store: db, Ingest: in, Dir: filepath.Join(t.TempDir(), "imports"), Location: time.UTC, Now: func() time.Time { return now },
		Connections: imports.Fixed(imports.Connection{Name: "qq", Platform: "onebot"}, imports.Connection{Name: "tg", Platform: "telegram"})}
	go func() { svc.Serve(runCtx); done <- struct{}{} }()
	t.Cleanup(func() { cancel(); <-done; <-done })
	s := &console.Server{Store: db, Key: []byte("0123456789abcdef0123456789abcdef"), Now: func() time.Time { return now }, Imports: svc, Location: time.UTC}
	w.srv = httptest.NewServer(s.Handler())
	t.Cleanup(w.srv.Close)
	return w
}

// as logs a client in as user.
func (w importWorld) as(t *testing.T, user string) *http.Client {
	t.Helper()
	c := client(t)
	_, page := get(t, c, w.srv.URL+"/login")
	m := csrfRE.FindStringSubmatch(page)
	resp, err := c.PostForm(w.srv.URL+"/login", url.Values{"csrf": {m[1]}, "username": {user}, "password": {"correct horse"}, "next": {"/"}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("login %s: %v %v", user, resp, err)
	}
	resp.Body.Close()
	return c
}

// csrf reads the form token of a page.
func csrf(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	_, page := get(t, c, u)
	m := csrfRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("%s has no form token", u)
	}
	return m[1]
}

// upload posts a file to /import without following the redirect.
func (w importWorld) upload(t *testing.T, c *http.Client, name string, body []byte, connection string) (int, string, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("csrf", csrf(t, c, w.srv.URL+"/import"))
	mw.WriteField("connection", connection)
	mw.WriteField("format", "")
	mw.WriteField("zone", "Asia/Shanghai")
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(body)
	mw.Close()
	req, _ := http.NewRequest("POST", w.srv.URL+"/import", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(t, c, req)
}

// do sends a request without following a redirect.
func do(t *testing.T, c *http.Client, req *http.Request) (int, string, string) {
	t.Helper()
	nc := *c
	nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := nc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, c, req)
}

var jobURL = regexp.MustCompile(`^/import/\d+$`)

// TestImportPages walks the console's import as a manager: a malformed
// upload is refused with its place; a good one is previewed; bad mappings
// are refused with a 400 that says why; the import runs to done; the
// member imported by name is proposed, dismissed or merged.
func TestImportPages(t *testing.T) {
	w := importSetup(t)
	c := w.as(t, "admin")
	qq, err := os.ReadFile(filepath.Join("..", "importer", "testdata", "qq", "all.txt"))
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(qq), "2021-03-04 12:02:00", "2021-03-04 25:02:00", 1)
	if code, _, body := w.upload(t, c, "bad.txt", []byte(bad), "qq"); code != 400 || !strings.Contains(body, "文件无法导入") || !strings.Contains(body, "line 12") {
		t.Fatalf("a malformed upload: %d\n%s", code, body)
	}
	// Files that are no export: said in Chinese, with what to do.
	for _, tc := range []struct{ name, content, want string }{
		{"export.zip", "PK\x03\x04\x14\x00\x08\x00export.json", "这个压缩包无法读取"},
		{"messages.html", "<!DOCTYPE html>\n<html><head><title>Exported Data</title>", "这是网页（HTML）格式的导出"},
		{"gbk.txt", "2024-03-01 09:00:00 \xc1\xd6\xcf\xfe\n\xc4\xe3\xba\xc3\n", "文件不是 UTF-8 编码"},
		{"notes.json", `{"title":"读书笔记"}`, "这是 JSON 文件，但不是"},
		{"empty.txt", "", "文件是空的"},
		{"two.zip", zipped(t, "a.txt", "x", "b.txt", "y"), "压缩包里有多个可能是聊天记录的文件"},
		{"photos.zip", zipped(t, "photos/1.jpg", "x"), "压缩包里没有聊天记录文件"},
	} {
		code, _, body := w.upload(t, c, tc.name, []byte(tc.content), "qq")
		if code != 400 || !strings.Contains(body, "文件无法导入") || !strings.Contains(body, tc.want) || strings.Contains(body, "unzip") {
			t.Fatalf("%s: %d\n%s", tc.name, code, body)
		}
	}
	if code, _, body := w.upload(t, c, "all.txt", qq, "tg"); code != 400 || !strings.Contains(body, "QQ 消息记录（文本）只能导入到QQ（OneBot）或通用桥接的平台连接") {
		t.Fatalf("a QQ export for a Telegram connection: %d\n%s", code, body)
	}
	// An export zipped with its folder is read from the archive.
	if code, loc, body := w.upload(t, c, "聊天记录.zip", []byte(zipped(t, "QQ/photos/1.jpg", "x", "QQ/全部消息记录.txt", string(qq))), "qq"); code != 303 || !jobURL.MatchString(loc) {
		t.Fatalf("a zipped export: %d %s\n%s", code, loc, body)
	}
	code, loc, body := w.upload(t, c, "all.txt", qq, "qq")
	if code != 303 || !jobURL.MatchString(loc) {
		t.Fatalf("upload: %d %s\n%s", code, loc, body)
	}
	job := w.srv.URL + loc
	_, page := get(t, c, job)
	for _, want := range []string{"周末徒步俱乐部", "读书会", "新建一个群", "阳新徒步群", "黄梅读书会", "私聊 (消息分组 我的好友)", `name="to:周末徒步俱乐部"`} {
		if !strings.Contains(page, want) {
			t.Fatalf("the preview lacks %q:\n%s", want, page)
		}
	}
	token := csrf(t, c, job)
	for _, tt := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"to:周末徒步俱乐部": {"skip"}, "to:读书会": {"skip"}}, "没有选择任何要导入的群"},
		{url.Values{"to:周末徒步俱乐部": {"99999"}, "to:读书会": {"skip"}}, "没有编号为 99999 的群"},
		{url.Values{"to:周末徒步俱乐部": {itoa(w.mine.ID)}, "to:读书会": {itoa(w.mine.ID)}}, "一个群只能导入一个会话"},
		{url.Values{"to:周末徒步俱乐部": {"new"}, "to:读书会": {"skip"}, "until": {"31/12/2021"}}, "2024-01-31"},
	} {
		tt.form.Set("csrf", token)
		if code, _, body := post(t, c, job+"/start", tt.form); code != 400 || !strings.Contains(body, tt.want) {
			t.Fatalf("plan %v: %d, want 400 with %q\n%s", tt.form, code, tt.want, body)
		}
	}
	form := url.Values{"csrf": {token}, "to:周末徒步俱乐部": {itoa(w.mine.ID)}, "to:读书会": {"new"}, "name:读书会": {"读书会（导入）"}}
	if code, loc, _ := post(t, c, job+"/start", form); code != 303 || w.srv.URL+loc != job {
		t.Fatalf("start: %d %s", code, loc)
	}
	if code, _, _ := post(t, c, job+"/start", form); code != 303 {
		t.Fatalf("start again: %d", code)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		_, page = get(t, c, job)
		if strings.Contains(page, `id="job-status">已完成`) {
			break
		}
		if time.Now().After(deadline) || strings.Contains(page, "js-failed") {
			t.Fatalf("the import did not finish:\n%s", page)
		}
	}
	for _, want := range []string{"阳新徒步群", "读书会（导入）", "新建", `id="count-new">11<`, "合并建议"} {
		if !strings.Contains(page, want) {
			t.Fatalf("the result lacks %q:\n%s", want, page)
		}
	}
	_, merges := get(t, c, w.srv.URL+"/import/merges")
	if !strings.Contains(merges, "王芳") || strings.Count(merges, `action="/import/merges/accept"`) != 1 {
		t.Fatalf("merge proposals:\n%s", merges)
	}
	pick := func(page, field string) string {
		m := regexp.MustCompile(`name="` + field + `" value="([^"]+)"`).FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no %s in\n%s", field, page)
		}
		return m[1]
	}
	proposal := url.Values{"csrf": {csrf(t, c, w.srv.URL+"/import/merges")}, "connection": {pick(merges, "connection")}, "name_id": {pick(merges, "name_id")}, "other_id": {pick(merges, "other_id")}}
	// Accepting asks first; then merges.
	if code, _, body := post(t, c, w.srv.URL+"/import/merges/accept", proposal); code != 200 || !strings.Contains(body, "合并后不能撤销") {
		t.Fatalf("accept without confirmation: %d\n%s", code, body)
	}
	proposal.Set("confirm", "yes")
	if code, loc, _ := post(t, c, w.srv.URL+"/import/merges/accept", proposal); code != 303 || loc != "/import/merges" {
		t.Fatalf("accept: %d %s", code, loc)
	}
	if _, merges := get(t, c, w.srv.URL+"/import/merges"); !strings.Contains(merges, "已合并为同一人") || !strings.Contains(merges, "没有待处理的合并建议") {
		t.Fatalf("after the merge:\n%s", merges)
	}
	if code, _, _ := post(t, c, w.srv.URL+"/import/merges/dismiss", proposal); code != 303 {
		t.Fatalf("a gone proposal: %d", code)
	}
	if _, merges := get(t, c, w.srv.URL+"/import/merges"); !strings.Contains(merges, "这条合并建议已不存在") {
		t.Fatalf("a gone proposal's flash:\n%s", merges)
	}
	var n int
	w.db.SQL().QueryRow("SELECT COUNT(*) FROM messages m JOIN identities i ON i.person_id = m.person_id WHERE i.external_id = '30001'").Scan(&n)
	if n != 2 {
		t.Fatalf("王芳 has %d messages after the merge, want 2", n)
	}
	// An uploaded file can be discarded (after a confirmation).
	_, loc, _ = w.upload(t, c, "all.txt", qq, "qq")
	discard := url.Values{"csrf": {csrf(t, c, w.srv.URL+loc)}}
	if code, _, body := post(t, c, w.srv.URL+loc+"/discard", discard); code != 200 || !strings.Contains(body, "all.txt") {
		t.Fatalf("discard without confirmation: %d", code)
	}
	discard.Set("confirm", "yes")
	if code, to, _ := post(t, c, w.srv.URL+loc+"/discard", discard); code != 303 || to != "/import" {
		t.Fatalf("discard: %d %s", code, to)
	}
	if code, _ := get(t, c, w.srv.URL+loc); code != 404 {
		t.Fatalf("a discarded import: %d, want 404", code)
	}
	if code, _ := get(t, c, w.srv.URL+"/import/abc"); code != 404 {
		t.Fatalf("a bad id: %d, want 404", code)
	}
}

// TestImportScope: a secretary imports only into the groups of her node —
// no new groups, no other node's group, no other account's import; a
// viewer may not import at all and is not offered it.
func TestImportScope(t *testing.T) {
	w := importSetup(t)
	qq, _ := os.ReadFile(filepath.Join("..", "importer", "testdata", "qq", "all.txt"))
	admin := w.as(t, "admin")
	_, adminJob, _ := w.upload(t, admin, "all.txt", qq, "qq")

	sec := w.as(t, "sec")
	if _, nav := get(t, sec, w.srv.URL+"/"); !strings.Contains(nav, `href="/import"`) {
		t.Fatal("the secretary is not offered the import")
	}
	code, loc, body := w.upload(t, sec, "all.txt", qq, "qq")
	if code != 303 {
		t.Fatalf("the secretary's upload: %d\n%s", code, body)
	}
	job := w.srv.URL + loc
	_, page := get(t, sec, job)
	if strings.Contains(page, "新建一个群") || strings.Contains(page, "黄梅读书会") || !strings.Contains(page, "阳新徒步群") {
		t.Fatalf("the secretary's preview offers what she may not:\n%s", page)
	}
	token := csrf(t, sec, job)
	for _, tt := range []struct {
		form url.Values
		code int
	}{
		{url.Values{"to:周末徒步俱乐部": {"new"}, "to:读书会": {"skip"}}, 403},
		{url.Values{"to:周末徒步俱乐部": {itoa(w.theirs.ID)}, "to:读书会": {"skip"}}, 403},
	} {
		tt.form.Set("csrf", token)
		if code, _, body := post(t, sec, job+"/start", tt.form); code != tt.code {
			t.Fatalf("secretary's plan %v: %d, want %d\n%s", tt.form, code, tt.code, body)
		}
	}
	if code, _ := get(t, sec, w.srv.URL+adminJob); code != 403 {
		t.Fatalf("the manager's import for the secretary: %d, want 403", code)
	}
	if _, list := get(t, sec, w.srv.URL+"/import"); strings.Contains(list, adminJob+`"`) {
		t.Fatal("the secretary sees the manager's import in the list")
	}
	if code, loc, _ := post(t, sec, job+"/start", url.Values{"csrf": {token}, "to:周末徒步俱乐部": {itoa(w.mine.ID)}, "to:读书会": {"skip"}}); code != 303 || w.srv.URL+loc != job {
		t.Fatalf("the secretary's import into her group: %d %s", code, loc)
	}

	viewer := w.as(t, "viewer")
	if _, nav := get(t, viewer, w.srv.URL+"/"); strings.Contains(nav, `href="/import"`) {
		t.Fatal("a viewer is offered the import")
	}
	for _, path := range []string{"/import", "/import/merges", adminJob} {
		if code, body := get(t, viewer, w.srv.URL+path); code != 403 || !strings.Contains(body, "导入聊天记录") {
			t.Fatalf("viewer at %s: %d", path, code)
		}
	}
}

// TestImportTranslations: every status, format, platform and phase the
// import pages show by key has both languages.
func TestImportTranslations(t *testing.T) {
	var keys []string
	for _, s := range imports.Statuses {
		keys = append(keys, "js_"+string(s))
	}
	for _, f := range importer.Formats {
		keys = append(keys, "fmt_"+string(f))
	}
	for _, p := range []string{"sim", "webhook", "telegram", "onebot", "matrix", "wecom"} { // config.Platforms
		keys = append(keys, "platform_"+p)
	}
	for _, p := range []string{"validate", "import", "rollup"} {
		keys = append(keys, "phase_"+p)
	}
	for _, k := range keys {
		if zh, en := console.T(console.Zh, k), console.T(console.En, k); zh == k || en == k {
			t.Errorf("%s lacks a translation", k)
		}
	}
}

// zipped is a ZIP archive of the files (name, content, name, content…).
func zipped(t *testing.T, nameContent ...string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(nameContent); i += 2 {
		w, err := zw.Create(nameContent[i])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(nameContent[i+1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}
