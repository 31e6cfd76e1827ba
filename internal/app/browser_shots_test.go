package app_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/content"
)

// The browser tests take the console's screenshots for docs/console when
// run with -update-screenshots, on a phone-sized screen.

func init() {
	// Other browser tests may declare the flag too: whoever comes first.
	if flag.Lookup("update-screenshots") == nil {
		flag.Bool("update-screenshots", false, "write the browser tests' screenshots into docs/console/img")
	}
}

// updateScreenshots reports whether -update-screenshots is set.
func updateScreenshots() bool {
	f := flag.Lookup("update-screenshots")
	return f != nil && f.Value.String() == "true"
}

// maxShot is how large a screenshot may be.
const maxShot = 150 << 10

// phone makes the tab the screen of a phone.
func (p *page) phone() {
	p.t.Helper()
	p.do("phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
}

// shot saves what the screen shows as docs/console/img/name.png, with the
// element at (when not "") scrolled to the top, when -update-screenshots
// is set.
func (p *page) shot(name, at string) {
	p.t.Helper()
	if !updateScreenshots() {
		return
	}
	if at != "" {
		eval[bool](p, fmt.Sprintf(`(() => { const e = document.querySelector(%q); if (e) e.scrollIntoView(); return !!e })()`, at))
	} else {
		eval[bool](p, `(() => { window.scrollTo(0, 0); return true })()`)
	}
	p.capture(name)
}

// capture saves what the screen shows now as docs/console/img/name.png
// when -update-screenshots is set.
func (p *page) capture(name string) {
	p.t.Helper()
	if !updateScreenshots() {
		return
	}
	img, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(img) > maxShot {
		p.t.Errorf("screenshot %s is %d KB, over %d KB", name, len(img)>>10, maxShot>>10)
	}
	path := filepath.Join("..", "..", "docs", "console", "img", name+".png")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(path, img, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// startDemo starts the demo: its data directory and the admin's password.
func startDemo(t *testing.T) (demo *proc, data, password string) {
	t.Helper()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	demo = start(t, dir, "demo", "--addr", "127.0.0.1:0", "--data", data)
	// The demo prints "login 登录: admin / PASSWORD" and keeps the
	// password in <data>/admin.password.
	password = dataFile(t, dir, "admin.password")
	waitRolledUp(t, filepath.Join(data, "qunzhu.db"))
	return demo, data, password
}

// waitRolledUp waits until the service has brought the daily rollups of
// the demo's history up to today (a few seconds after it starts, a day at
// a time): the health page's alerts, the churn log's formerly active
// members and the leaderboards read them.
func waitRolledUp(t *testing.T, path string) {
	t.Helper()
	loc, err := time.LoadLocation(content.DefaultZone)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(200 * time.Millisecond) {
		var day int64
		err := db.QueryRow("SELECT day FROM rollup_marks").Scan(&day)
		if err == nil && day >= int64(analytics.DayOf(time.Now(), loc)) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo's rollups are not up to today two minutes after it started (day %d, %v)", day, err)
		}
	}
}

// demoOnPhone starts the demo and a phone-sized browser tab for it; it
// skips without Chromium (fails with CI set).
func demoOnPhone(t *testing.T) (demo *proc, data, password string, tab context.Context) {
	t.Helper()
	chrome := chromium(t)
	demo, data, password = startDemo(t)
	tab = newBrowser(t, chrome)
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844)); err != nil {
		t.Fatal(err)
	}
	return demo, data, password, tab
}
