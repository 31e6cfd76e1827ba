package app_test

// The rules editor in a phone-sized Chromium against `qunzhu demo`: the
// manager replays the organisation's rules over the last week; a 秘书长
// of one branch edits her branch's rules, replays the edit over 30 days
// before saving it (the progress, then what it would have done), saves
// it, and is refused another branch's group and the organisation's
// default. With -update-screenshots the steps are saved as
// docs/console/img/rules-*.png for docs/console/rules.md.

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func init() {
	// Other areas' browser tests declare it too: the first one wins.
	if flag.Lookup("update-screenshots") == nil {
		flag.Bool("update-screenshots", false, "write the browser tests' screenshots into docs/console/img")
	}
}

// rulesShots reports whether -update-screenshots is set.
func rulesShots() bool {
	f := flag.Lookup("update-screenshots")
	return f != nil && f.Value.String() == "true"
}

// rulesShot saves the phone's screen, with the element sel at its top, as
// docs/console/img/name.png when -update-screenshots is set.
func (p *page) rulesShot(name, sel string) {
	p.t.Helper()
	if !rulesShots() {
		return
	}
	eval[bool](p, fmt.Sprintf(`(() => { const e = %q && document.querySelector(%q); if (e) e.scrollIntoView(); else window.scrollTo(0, 0); return true })()`, sel, sel))
	img, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("screenshot %s: %v", name, err)
	}
	if len(img) > 150<<10 {
		p.t.Errorf("screenshot %s: %d KB, want under 150 KB", name, len(img)>>10)
	}
	if err := os.WriteFile(filepath.Join("..", "..", "docs", "console", "img", name+".png"), img, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// replayEnds waits for the replay on the page to end (the page's script
// loads the page again when it does) and returns its state.
func (p *page) replayEnds() string {
	p.t.Helper()
	for deadline := time.Now().Add(50 * time.Second); time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		// The page may be loading again: an error is a reason to look again.
		state, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`(document.querySelector('#replay') || {dataset: {}}).dataset.state || ""`))
		if err == nil && state != "waiting" && state != "running" && state != "" {
			return state
		}
	}
	p.t.Fatal("the replay did not end within 50s")
	return ""
}

func TestBrowserRules(t *testing.T) {
	chrome := chromium(t)
	demo, data, password := startDemo(t)
	dir := filepath.Dir(data)
	if rulesShots() {
		if err := os.MkdirAll(filepath.Join("..", "..", "docs", "console", "img"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	tab := newBrowser(t, chrome)
	var branch, otherGroup string // the secretary's node; a group outside it

	subtest(t, tab, demo.url, "ManagerReplays", func(p *page) {
		p.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		p.openAs("/rules/edit?scope=default", password)
		if h := p.text("main h1"); h != "编辑群规" {
			p.t.Fatalf("editor heading %q", h)
		}
		scopes := eval[[]string](p, `[...document.querySelectorAll('select[name=scope] option')].map(o => o.value + "=" + o.textContent.trim())`)
		for _, s := range scopes {
			if strings.HasSuffix(s, "=节点 · 阳新分院") {
				branch = strings.TrimSuffix(strings.TrimPrefix(s, "node:"), "=节点 · 阳新分院")
			}
		}
		otherGroup = eval[string](p, `([...document.querySelectorAll('select[name=group] option')].find(o => o.textContent.includes('业主')) || {}).value || ""`)
		if branch == "" || otherGroup == "" {
			p.t.Fatalf("scopes %v; an owners' group %q", scopes, otherGroup)
		}
		// The rules in force, replayed over the week: the same as was done,
		// mostly.
		p.submit("#rules-replay-7")
		if got := p.location().Query(); got.Get("replay") == "" || got.Get("scope") != "default" {
			p.t.Fatalf("replay lands on %s", p.location())
		}
		if state := p.replayEnds(); state != "done" {
			p.t.Fatalf("the manager's replay ended %q: %s", state, p.text("#replay"))
		}
		if total := p.text("#replay-total"); !regexp.MustCompile(`^共 \d+ 条消息$`).MatchString(total) || total == "共 0 条消息" {
			p.t.Fatalf("replay total %q", total)
		}
		if same := p.text("#replay-same"); !strings.HasPrefix(same, "与实际处理相同：") {
			p.t.Fatalf("the difference from what was done: %q", same)
		}
		p.t.Logf("a week of the organisation: %s; %s", p.text("#replay-total"), p.text("#replay-same"))
	})

	subtest(t, tab, demo.url, "SecretaryEditsReplaysSaves", func(p *page) {
		if branch == "" {
			p.t.Skip("no branch found")
		}
		// A secretary of 阳新分院, created with the CLI beside the demo.
		cfg := filepath.Join(dir, "sec.toml")
		if err := os.WriteFile(cfg, []byte(fmt.Sprintf("[data]\ndir = %q\n", data)), 0o600); err != nil {
			p.t.Fatal(err)
		}
		out, err := exec.Command(binary, "user", "add", "yangxin", "--role", "secretary", "--node", branch, "--config", cfg).CombinedOutput()
		m := regexp.MustCompile(`password 密码: (\S+)`).FindSubmatch(out)
		if err != nil || m == nil {
			p.t.Fatalf("user add: %v\n%s", err, out)
		}
		p.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile, chromedp.EmulateTouch))
		p.open("/")
		if p.location().Path != "/login" {
			p.submit(`form[action="/logout"] button`)
			p.open("/")
		}
		p.login("yangxin", string(m[1]))
		p.open("/rules/edit")
		scopes := p.texts("select[name=scope] option")
		if len(scopes) == 0 || scopes[0] != "节点 · 阳新分院" || slices.ContainsFunc(scopes, func(s string) bool { return strings.Contains(s, "整个组织") || strings.Contains(s, "黄梅") }) {
			p.t.Fatalf("the secretary's scopes: %v", scopes)
		}
		// Her edit: ads removed at once in her branch.
		p.typeIn("#rules-text", "[categories]\nad = \"kick\"\n")
		p.rulesShot("rules-edit", "")
		p.submit("#rules-replay-30")
		if p.location().Query().Get("replay") == "" {
			p.t.Fatalf("replay lands on %s", p.location())
		}
		// The page comes back at once, with the replay's progress (unless
		// it has ended already).
		p.rulesShot("rules-replay-progress", "#replay")
		if state := p.replayEnds(); state != "done" {
			p.t.Fatalf("the secretary's replay ended %q: %s", state, p.text("#replay"))
		}
		if got := eval[string](p, `document.querySelector('#rules-text').value`); got != "[categories]\nad = \"kick\"\n" {
			p.t.Fatalf("the edit is not kept in the box while replaying: %q", got)
		}
		verdicts := p.texts("#replay-verdicts tbody tr td:first-child")
		cats := p.texts("#replay-categories tbody tr td:first-child")
		if !slices.Contains(verdicts, "移出") || !slices.Contains(cats, "广告") {
			p.t.Fatalf("verdicts %v, categories %v: want removals for ads", verdicts, cats)
		}
		members := p.texts("#replay-examples .member")
		han := regexp.MustCompile(`\p{Han}`)
		if len(members) == 0 || slices.ContainsFunc(members, func(s string) bool { return !han.MatchString(s) }) {
			p.t.Fatalf("the examples' members %v: want their names", members)
		}
		groups := p.texts("#replay-examples .meta")
		if slices.ContainsFunc(groups, func(s string) bool { return strings.Contains(s, "黄梅") || strings.Contains(s, "业主") }) {
			p.t.Fatalf("a group outside her branch among the examples: %v", groups)
		}
		if diff := p.texts("#replay-changed li"); len(diff) != 4 {
			p.t.Fatalf("the difference from what was done: %v", diff)
		}
		p.t.Logf("her branch over 30 days: %s; verdicts %v; changes %v", p.text("#replay-total"), verdicts, p.texts("#replay-changed li"))
		p.rulesShot("rules-replay-result", "#replay")
		p.rulesShot("rules-replay-diff", "#replay-changed")
		p.submit("#rules-save")
		if f := p.text("#flash"); !strings.Contains(f, "群规已保存并生效") {
			p.t.Fatalf("after saving: flash %q", f)
		}
		p.rulesShot("rules-saved", "")
		// Outside her branch: another group's rules, the whole organisation's.
		p.open("/rules/edit?scope=group:" + otherGroup + "&group=" + otherGroup)
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("another branch's group for the secretary: %q", h)
		}
		p.rulesShot("rules-refused", "")
		p.open("/rules/edit?scope=default")
		if h := p.text("main h1"); !strings.Contains(h, "不在你负责的范围内") {
			p.t.Fatalf("the organisation's rules for the secretary: %q", h)
		}
		p.open("/")
		p.submit(`form[action="/logout"] button`)
	})

	subtest(t, tab, demo.url, "SavedRulesInForce", func(p *page) {
		if branch == "" {
			p.t.Skip("no branch found")
		}
		// The manager sees her saved file, and the rules of a group in her
		// branch say ads remove the member.
		p.openAs("/rules/edit?scope=node:"+branch, password)
		if got := eval[string](p, `document.querySelector('#rules-text').value`); got != "[categories]\nad = \"kick\"\n" {
			p.t.Fatalf("the branch's file: %q", got)
		}
		p.open("/rules")
		mine := eval[string](p, `([...document.querySelectorAll('select[name=group] option')].find(o => o.textContent.includes('阳新')) || {}).value || ""`)
		if mine == "" {
			p.t.Fatalf("no group of 阳新 among %v", p.texts("select[name=group] option"))
		}
		p.open("/rules?group=" + mine)
		if n := p.text("#notice-zh"); !regexp.MustCompile(`直接移出群聊：广告`).MatchString(n) {
			p.t.Fatalf("the notice of a group in the branch does not remove advertisers at once:\n%s", n)
		}
		p.open("/rules?group=" + otherGroup)
		if n := p.text("#notice-zh"); strings.Contains(n, "直接移出群聊：广告") {
			p.t.Fatalf("a group outside the branch got its rules:\n%s", n)
		}
	})
}
