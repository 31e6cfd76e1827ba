package console

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
)

// TestTranslations: every key a template or handler names has both
// languages, and so has every key built from a known value.
func TestTranslations(t *testing.T) {
	keys := map[string]bool{}
	literal := regexp.MustCompile(`\bt[f]? (?:\$l|\.Lang|\$\.Lang) "(\w+)"|\btf\(l, "(\w+)"|\bT\([^,()]+(?:\(r\))?, "(\w+)"\)|headers\(l((?:, "\w+")+)\)|Key: "(flash_\w+)"`)
	files, _ := fs.Glob(templateFS, "templates/*.html")
	var sources []string
	for _, f := range files {
		b, _ := templateFS.ReadFile(f)
		sources = append(sources, string(b))
	}
	// Every handler of the package (not its tests).
	gofiles, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := readSource(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, b)
	}
	for _, src := range sources {
		for _, m := range literal.FindAllStringSubmatch(src, -1) {
			for _, k := range []string{m[1], m[2], m[3], m[5]} {
				if k != "" {
					keys[k] = true
				}
			}
			for _, k := range strings.Split(m[4], ",") {
				if k = strings.Trim(strings.TrimSpace(k), `"`); k != "" {
					keys[k] = true
				}
			}
		}
	}
	if len(keys) < 60 {
		t.Fatalf("found only %d keys: the pattern no longer matches the sources", len(keys))
	}
	for _, s := range append(groupStates, "active") {
		keys["state_"+s] = true
	}
	for _, k := range community.GroupKinds {
		keys["kind_"+string(k)] = true
	}
	for _, a := range chat.ActionKinds {
		keys["act_"+string(a)] = true
	}
	for _, a := range []string{"allow", "warn", "delete", "mute", "kick", "ban"} { // rules.Action
		keys["act_"+a] = true
	}
	for _, c := range []string{"added", "dropped", "harsher", "milder"} { // the replay's changes
		keys["replay_"+c] = true
	}
	for _, a := range reviewActions {
		keys["review_"+a] = true
	}
	for _, n := range nav {
		keys[n.Key] = true
	}
	for _, st := range scriptStatuses {
		keys["ss_"+string(st)] = true
	}
	for _, m := range scriptMoves {
		keys[m.Key] = true
	}
	for _, st := range []string{"planned", "sent", "dropped"} { // content.PushStatus
		keys["ps_"+st] = true
	}
	for _, st := range []string{"in", "waitlist", "cancelled"} { // pipeline.Signup*
		keys["signup_"+st] = true
	}
	for _, sev := range []string{"info", "warn", "block"} { // content.Severity
		keys["sev_"+sev] = true
	}
	for d := range 7 {
		keys[fmt.Sprintf("wd_%d", d)] = true
	}
	for p := range periods {
		keys["period_"+p] = true
	}
	for _, r := range access.OpsRoles {
		keys["ops_"+r] = true
	}
	for _, sc := range []string{access.ScopeAdmin, access.ScopeRead, "ops"} {
		keys["tscope_"+sc+"_choice"] = true
	}
	for k := range keys {
		m, ok := messages[k]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("key %q lacks a translation", k)
		}
	}
}

func readSource(name string) (string, error) {
	b, err := os.ReadFile(name)
	return string(b), err
}

// Every permission has a name in both languages, so a refusal never shows
// an internal code.
func TestPermissionNames(t *testing.T) {
	for _, p := range access.Permissions {
		for _, lang := range []Lang{Zh, En} {
			if got := T(lang, "perm."+string(p)); got == "perm."+string(p) || got == "" {
				t.Errorf("%s: no %s name", p, lang)
			}
		}
	}
}

// An error's message shows in the reader's language: the half of a
// bilingual message, or a sentence of the reader's with the message as
// written.
func TestErrorIn(t *testing.T) {
	for _, tt := range []struct {
		msg, zh, en string
	}{
		{"只有整个组织的管理者可以打开这个页面。Only a manager of the whole organisation may open this page.", "只有整个组织的管理者可以打开这个页面。", "Only a manager of the whole organisation may open this page."},
		{"这个群没有待执行的清理公告：先发公告。No purge notice is pending in this group: post one first.", "这个群没有待执行的清理公告：先发公告。", "No purge notice is pending in this group: post one first."},
		{"before: want an entry id, got \"x\"", "请求有误，原文：<code>before: want an entry id, got &#34;x&#34;</code>", "before: want an entry id, got &#34;x&#34;"},
		{"请先登录", "请先登录", "The request was refused, as reported: <code>请先登录</code>"},
		{"已有进行中的接龙，请先 /signup close。A list is open already.", "已有进行中的接龙，请先 /signup close。", "A list is open already."},
	} {
		for _, c := range []struct {
			l    Lang
			want string
		}{{Zh, tt.zh}, {En, tt.en}} {
			if _, got := errorIn(c.l, tt.msg); string(got) != c.want {
				t.Errorf("errorIn(%s, %q) = %q, want %q", c.l, tt.msg, got, c.want)
			}
		}
	}
}
