package app_test

// The cadences (定时推送) in the browser, on the demo, on a phone-sized
// screen: the manager reads the demo's cadences in words, creates one
// aimed at a group tag from the form and pauses it; a 秘书长 of the 阳新
// branch sees only the cadences that reach nothing but her groups and is
// refused one aimed at a group kind across the organisation. With
// -update-screenshots it writes the screenshots of docs/console/cadences.md.

import (
	"slices"
	"strings"
	"testing"
)

func TestBrowserCadences(t *testing.T) {
	demo, data, password, tab := demoOnPhone(t)
	var branch string // the 阳新 branch's node id

	subtest(t, tab, demo.url, "Manager", func(p *page) {
		p.openAs("/pushes", password)
		p.submit("#cadences-link")
		if h := p.text("main h1"); h != "定时推送" {
			p.t.Fatalf("heading %q", h)
		}
		when := p.texts("#cadences .cad-when")
		for _, want := range []string{"每周一 20:30（晚高峰）", "入群第 1 天 07:30（早高峰）", "建群第 3 天 12:00（午高峰）", "每天 12:00（午高峰）"} {
			if !slices.Contains(when, want) {
				p.t.Errorf("the demo's cadences say %q, not %q", when, want)
			}
		}
		if got := strings.Join(p.texts("#cadences .cad-targets"), " | "); !strings.Contains(got, "电商课程") || !strings.Contains(got, "本周重点群") || !strings.Contains(got, "学员群") {
			p.t.Errorf("the targets: %q", got)
		}
		p.shot("cadences", "")

		branch = p.optionContaining("#cadence-form select[name=node]", "阳新分院")
		p.set("#cadence-form select[name=script]", p.optionContaining("#cadence-form select[name=script]", "午间小课"))
		p.typeIn("#cadence-form input[name=name]", "新班第七天")
		p.set("#cadence-form select[name=cadence]", "group_day")
		p.typeIn("#cadence-form input[name=day]", "7")
		p.set("#cadence-form select[name=slot]", "evening")
		p.set("#cadence-form select[name=tag]", p.optionContaining("#cadence-form select[name=tag]", "阳新分院"))
		p.scrollTo("#new-cadence")
		p.capture("cadences-new")
		p.submit("#cadence-submit")
		p.wantFlash("create", "定时推送已创建")
		id := p.location().Fragment
		row := "#" + id
		if id == "" || p.text(row+" .cad-when") != "建群第 7 天 20:30（晚高峰）" || !strings.Contains(p.text(row+" .cad-targets"), "阳新分院") {
			p.t.Fatalf("the new cadence (%q): %q to %q", id, p.text(row+" .cad-when"), p.text(row+" .cad-targets"))
		}
		p.submit(row + " form.cad-toggle button")
		p.wantFlash("pause", "定时推送已暂停")
		if st := p.text(row + " .badge"); st != "已暂停" {
			p.t.Fatalf("the paused cadence shows %q", st)
		}
	})

	subtest(t, tab, demo.url, "Secretary", func(p *page) {
		if branch == "" {
			p.t.Skip("the manager's part failed")
		}
		p.signInAsNewUser(data, "dingshi", "secretary", "--node", branch)
		p.open("/cadences")
		notes := strings.Join(p.texts("#cadences td:first-child small"), " | ")
		if !strings.Contains(notes, "新人次日跟进") || !strings.Contains(notes, "新班第七天") || strings.Contains(notes, "每周一晚间复盘") || strings.Contains(notes, "重点群午间小课") {
			p.t.Fatalf("the secretary's cadences: %q", notes)
		}
		p.set("#cadence-form select[name=script]", p.optionContaining("#cadence-form select[name=script]", "午间小课"))
		p.set("#cadence-form select[name=kind]", "cohort")
		p.submit("#cadence-submit")
		if msg := p.text("main"); !strings.Contains(msg, "不在你负责范围内") {
			p.t.Fatalf("a kind across the organisation: %q", msg)
		}
	})
}
