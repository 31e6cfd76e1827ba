package app_test

// Bringing history in, in a browser on a phone-sized screen, through the
// forms, on the demo: as a manager (upload a QQ export, see what it
// holds, map one group into a group the demo has and the other into a new
// one, follow the job to done, accept a merge proposal), then as a
// secretary of one group, who imports into her group and is refused a new
// group and the manager's import.
//
// go test ./internal/app -run TestBrowserImport -count=1 -update-screenshots
// writes docs/console/img/import-*.png.

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func init() {
	// Another browser test may define the flag first; they share it.
	if flag.Lookup("update-screenshots") == nil {
		flag.Bool("update-screenshots", false, "browser tests write their screenshots into docs/console/img")
	}
}

// importShot saves the phone-sized viewport, scrolled to sel ("" for the
// top), as docs/console/img/import-<name>.png when -update-screenshots is
// set.
func importShot(p *page, name, sel string) {
	p.t.Helper()
	if f := flag.Lookup("update-screenshots"); f == nil || f.Value.String() != "true" {
		return
	}
	if sel != "" {
		eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e) e.scrollIntoView({block: "start"}); return !!e })()`, sel))
	} else {
		eval[bool](p, `(() => { window.scrollTo(0, 0); return true })()`)
	}
	img, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(img) > 150<<10 {
		p.t.Errorf("screenshot %s: %d KB, want under 150 KB", name, len(img)>>10)
	}
	path := filepath.Join("..", "..", "docs", "console", "img", "import-"+name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// importChoose sets the select sel to the option whose label contains
// label and returns its value.
func importChoose(p *page, sel, label string) string {
	p.t.Helper()
	v := eval[string](p, fmt.Sprintf(`(() => { const s = document.querySelector(%q); if (!s) return "";
		const o = [...s.options].find(o => o.textContent.includes(%q)); return o ? o.value : "" })()`, sel, label))
	if v == "" {
		p.t.Fatalf("%s has no option %q: %v", sel, label, p.texts(sel+" option"))
	}
	p.set(sel, v)
	return v
}

// importUpload sends the upload form with a file into a connection and
// waits for the page it leads to.
func importUpload(p *page, file, connection string) {
	p.t.Helper()
	p.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`form.import-form input[type=file]`), []string{file}))
	p.set(`form.import-form select[name=connection]`, connection)
	p.submit(`form.import-form button[type=submit]`)
}

// importWait reloads a job's page until it is done.
func importWait(p *page) {
	p.t.Helper()
	for deadline := time.Now().Add(40 * time.Second); ; time.Sleep(300 * time.Millisecond) {
		status := p.text("#job-status")
		if status == "已完成" {
			return
		}
		if status == "失败" || time.Now().After(deadline) {
			p.t.Fatalf("the import is %q: %s", status, p.text("main"))
		}
		p.open(p.location().Path)
	}
}

func TestBrowserImport(t *testing.T) {
	demo, data, password, tab := demoOnPhone(t)
	dir := filepath.Dir(data)
	export := importFixture("qq/all.txt")
	var managerJob string

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/import", password)
		if h := p.text("main h1"); h != "导入" {
			p.t.Fatalf("import page heading %q", h)
		}
		// The demo imported a cohort's old chat log: a done import, and
		// its members by name proposed for merging.
		if jobs := p.texts("#job-list tbody tr"); len(jobs) == 0 || !strings.Contains(jobs[0], "已完成") {
			p.t.Fatalf("the demo's import is not listed done: %v", jobs)
		}
		if note := p.text("#proposals-note"); !strings.Contains(note, "合并建议") {
			p.t.Fatalf("no merge proposals noted: %q", note)
		}
		importShot(p, "upload", "")

		importUpload(p, export, "sim")
		if !regexp.MustCompile(`^/import/\d+$`).MatchString(p.location().Path) {
			p.t.Fatalf("the upload leads to %s: %s", p.location(), p.text("#upload-error"))
		}
		managerJob = p.location().Path
		if st := p.text("#job-status"); st != "待确认" {
			p.t.Fatalf("an uploaded export is %q", st)
		}
		rows := p.texts("#mapping .map-row")
		if len(rows) != 3 || !strings.Contains(strings.Join(rows, "|"), "私聊") {
			p.t.Fatalf("preview rows: %v", rows)
		}
		importShot(p, "preview", "#preview")
		// 周末徒步俱乐部 into a group the demo has; 读书会 as a new group.
		importChoose(p, `select[name="to:周末徒步俱乐部"]`, "NF-黄州")
		p.set(`select[name="to:读书会"]`, "new")
		p.typeIn(`input[name="name:读书会"]`, "读书会（QQ 导入）")
		p.submit("#start")
		if f := p.text("#flash"); !strings.Contains(f, "已开始") {
			p.t.Fatalf("after starting: flash %q", f)
		}
		importShot(p, "progress", "")
		importWait(p)
		result := p.texts("#result-groups tbody tr")
		if len(result) != 2 || !strings.Contains(strings.Join(result, "|"), "读书会（QQ 导入）") || !strings.Contains(strings.Join(result, "|"), "NF-黄州") {
			p.t.Fatalf("result: %v", result)
		}
		if n := p.text("#count-new"); n != "11" {
			p.t.Fatalf("new events %q, want 11", n)
		}
		importShot(p, "done", "#progress-card")

		// The merge proposals: accept the first (after the confirmation).
		p.open("/import/merges")
		before := len(p.texts("article.merge"))
		if before == 0 {
			p.t.Fatal("no merge proposals")
		}
		importShot(p, "merges", "")
		who := p.text("article.merge b")
		// Accepting the first merges its member imported by name, so every
		// proposal of that member goes: two when the name matched two
		// members of the group (the demo's names repeat now and then).
		ids := eval[[]string](p, `[...document.querySelectorAll("article.merge")].map(a => a.id)`)
		person := strings.Split(ids[0], "-")[1]
		gone := 0
		for _, id := range ids {
			if strings.Split(id, "-")[1] == person {
				gone++
			}
		}
		p.submit("article.merge button.accept")
		if q := p.text(".confirm p"); !strings.Contains(q, who) || !strings.Contains(q, "不能撤销") {
			p.t.Fatalf("the confirmation asks %q", q)
		}
		importShot(p, "merge-confirm", "")
		p.submit(".confirm button[type=submit]")
		if f := p.text("#flash"); f != "已合并为同一人。" {
			p.t.Fatalf("after the merge: flash %q", f)
		}
		if after := len(p.texts("article.merge")); after != before-gone {
			p.t.Fatalf("%d proposals after accepting one of %d (%d of them the same member's)", after, before, gone)
		}
		// Dismissing one keeps it away.
		p.submit("article.merge button.dismiss")
		if f := p.text("#flash"); !strings.Contains(f, "不是同一人") {
			p.t.Fatalf("after a dismissal: flash %q", f)
		}
		if after := len(p.texts("article.merge")); after != before-gone-1 {
			p.t.Fatalf("%d proposals after deciding two of %d (accepting one took %d)", after, before, gone)
		}
	})

	// A Matrix room's history, exported by Element: the preview names the
	// room and says what is left out in the operator's words.
	subtest(t, tab, demo.url, "Matrix", func(p *page) {
		p.openAs("/import", password)
		importUpload(p, importFixture("matrix/element.json"), "sim")
		if !regexp.MustCompile(`^/import/\d+$`).MatchString(p.location().Path) {
			p.t.Fatalf("the upload leads to %s: %s", p.location(), p.text("#upload-error"))
		}
		rows := p.texts("#mapping .map-row")
		if len(rows) != 1 || !strings.Contains(rows[0], "开源读书会·第二期") {
			p.t.Fatalf("preview rows: %v", rows)
		}
		skipped := strings.Join(p.texts("#skipped li"), "|")
		for _, want := range []string{"表情回应", "导出时未解密的加密消息", "对消息的修改", "管理权限设置"} {
			if !strings.Contains(skipped, want) {
				p.t.Fatalf("the skipped records lack %q: %s", want, skipped)
			}
		}
		if main := p.text("main"); strings.Contains(main, "m.room") || strings.Contains(main, "m.reaction") {
			p.t.Fatalf("the preview shows Matrix's event types: %s", main)
		}
		importShot(p, "matrix-preview", "#preview")
		p.set(`select[name="to:!kXbqVdQpTzWmLrHs:matrix.example.org"]`, "new")
		p.submit("#start")
		importWait(p)
		if result := p.texts("#result-groups tbody tr"); len(result) != 1 || !strings.Contains(result[0], "开源读书会·第二期") {
			p.t.Fatalf("result: %v", result)
		}
		if n := p.text("#count-new"); n != "22" {
			p.t.Fatalf("new events %q, want 22", n)
		}
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		p.openAs("/groups", password)
		mine := eval[string](p, fmt.Sprintf(`(() => { const a = [...document.querySelectorAll('table#groups tbody a[href^="/groups/"]')].find(a => a.textContent.includes(%q)); return a ? a.getAttribute('href').slice(8) : "" })()`, "NF-阳新"))
		if mine == "" {
			p.t.Fatal("no NF-阳新 group on the groups page")
		}
		cfg := filepath.Join(dir, "sec.toml")
		os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o600)
		out, err := exec.Command(binary, "user", "add", "importer", "--role", "secretary", "--group", mine, "--config", cfg).CombinedOutput()
		m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
		if err != nil || m == nil {
			p.t.Fatalf("user add: %v\n%s", err, out)
		}
		p.submit(`form[action="/logout"] button`)
		p.open("/")
		p.login("importer", string(m[1]))
		if nav := p.texts("nav.more a"); !containsAll(nav, []string{"导入"}) {
			p.t.Fatalf("the secretary is not offered the import: %v", nav)
		}
		p.open("/import")
		if jobs := p.texts("#job-list tbody tr"); len(jobs) != 0 {
			p.t.Fatalf("the secretary sees others' imports: %v", jobs)
		}
		importUpload(p, export, "sim")
		job := p.location().Path
		options := p.texts(`select[name="to:周末徒步俱乐部"] option`)
		if len(options) != 2 || !strings.Contains(options[0], "NF-阳新") || strings.Contains(strings.Join(options, "|"), "新建") {
			p.t.Fatalf("the secretary's choices: %v", options)
		}
		importShot(p, "secretary-preview", "#preview")
		// A new group, forced into the form, is refused.
		eval[bool](p, `(() => { const s = document.querySelector('select[name="to:读书会"]'); s.add(new Option("new", "new")); s.value = "new"; return true })()`)
		p.submit("#start")
		if h := p.text("main h1"); !strings.Contains(h, "只有管理者可以通过导入新建群") {
			p.t.Fatalf("a secretary's new group: %q", h)
		}
		p.open(managerJob)
		if h := p.text("main h1"); !strings.Contains(h, "别人发起的导入") {
			p.t.Fatalf("the manager's import for the secretary: %q", h)
		}
		p.open(job)
		importChoose(p, `select[name="to:周末徒步俱乐部"]`, "NF-阳新")
		p.set(`select[name="to:读书会"]`, "skip")
		p.submit("#start")
		importWait(p)
		if result := p.texts("#result-groups tbody tr"); len(result) != 1 || !strings.Contains(result[0], "NF-阳新") {
			p.t.Fatalf("the secretary's result: %v", result)
		}
		p.submit(`form[action="/logout"] button`)
	})
}
