package console_test

import (
	"context"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// fakeRules is a RulesPreview that records what it was asked.
type fakeRules struct {
	groups []string
	probes []console.RuleProbe
}

func (f *fakeRules) Notice(_ context.Context, g community.Group, lang string) (string, error) {
	f.groups = append(f.groups, g.Name)
	return "NOTICE-" + lang + " for " + g.Name + " <script>alert(1)</script>", nil
}

func (f *fakeRules) Test(_ context.Context, g community.Group, p console.RuleProbe) (console.RuleTest, error) {
	f.probes = append(f.probes, p)
	return console.RuleTest{Normalized: "normalised<b>", Action: "kick", Category: "vote", Label: console.Bilingual{Zh: "无关投票", En: "vote solicitation"},
		Rule: "set/categories.vote", Matched: []string{"投一票"}, Reason: console.Bilingual{Zh: "理由", En: "the reason"},
		Hits: []console.RuleHit{{Category: "vote", Label: console.Bilingual{Zh: "无关投票", En: "vote solicitation"}, Term: "投票", Text: "投一票"}}}, nil
}

func TestRulesPage(t *testing.T) {
	w := newWorld(t)
	w.anonymous("GET", "/rules")
	c := w.user()
	// Not configured.
	for _, lang := range [][2]string{{"en", "The rules engine is not configured"}, {"zh", "群规引擎未启用"}} {
		if body := w.page(c, "/rules?lang="+lang[0]); !strings.Contains(body, lang[1]) || strings.Contains(body, "notice-zh") {
			t.Errorf("rules page without rules (%s) lacks %q", lang[0], lang[1])
		}
	}
	if console.RulesFromRegistry(nil) != nil {
		t.Fatal("RulesFromRegistry(nil) is not nil: the page would call a nil registry")
	}

	// A fake: what the page asks and shows, escaped.
	fake := &fakeRules{}
	w.srv.Rules = fake
	code, raw := get(t, c, w.url+"/rules?group="+itoa(w.owners.ID)+"&text="+url.QueryEscape("帮我家孩子投一票")+"&offences=2")
	if code != 200 || strings.Contains(raw, "<script>alert") || strings.Contains(raw, "normalised<b>") {
		t.Fatalf("rules page: %d, or unescaped text\n%s", code, raw)
	}
	body := html.UnescapeString(raw)
	for _, want := range []string{"NOTICE-zh for " + w.owners.Name, "NOTICE-en for " + w.owners.Name, `<option class="ud" value="` + itoa(w.owners.ID) + `" selected>`,
		`id="verdict-action">移出`, `data-category="vote">无关投票`, `data-rule="set/categories.vote"`, `<mark class="ud">投一票</mark>`, "理由", "normalised<b>", ">帮我家孩子投一票</textarea>"} {
		if !strings.Contains(body, want) {
			t.Errorf("rules page lacks %q", want)
		}
	}
	if len(fake.probes) != 1 || fake.probes[0] != (console.RuleProbe{Text: "帮我家孩子投一票", At: now.Add(time.Minute), Offences: 2}) {
		t.Fatalf("probes: %+v", fake.probes)
	}
	if en := w.page(c, "/rules?lang=en&text=x"); !strings.Contains(en, `data-category="vote">vote solicitation`) || !strings.Contains(en, "the reason") || !strings.Contains(en, "Test a message") {
		t.Error("English rules page lacks the English labels")
	}
	w.page(c, "/rules?lang=zh")
	if code, _ := get(t, c, w.url+"/rules?group="+itoa(w.foreign.ID)); code != 404 {
		t.Errorf("another organisation's group: %d, want 404", code)
	}
	if code, _ := get(t, c, w.url+"/rules?offences=-1&text=x"); code != 400 {
		t.Errorf("negative offences: %d, want 400", code)
	}

	// The real engine through the registry: the notice is the registry's,
	// the verdict the engine's.
	w.srv.Rules = console.RulesFromRegistry(w.reg)
	body = w.page(c, "/rules?group="+itoa(w.cohort.ID))
	for _, lang := range []string{"zh", "en"} {
		if n := rules.Notice(w.reg.For(w.cohort), lang, w.cohort.Name); !strings.Contains(body, n) {
			t.Errorf("page lacks the %s notice:\n%s", lang, n)
		}
	}
	if owners := w.page(c, "/rules?group="+itoa(w.owners.ID)); !strings.Contains(owners, rules.Notice(w.reg.For(w.owners), "zh", w.owners.Name)) {
		t.Error("owners' group does not show the owners' rules")
	}
	// The advert the fixture sent through the pipeline: the page says what
	// the pipeline did about it.
	ad := "加 薇 信 abc1688"
	acts, err := w.db.ModerationActions(context.Background(), w.org.ID, 1)
	if err != nil || len(acts) != 1 || acts[0].Category != "ad" {
		t.Fatalf("the fixture's advert: %+v %v", acts, err)
	}
	_, norm := w.reg.Engine().Classify(ad)
	first := w.page(c, "/rules?group="+itoa(w.cohort.ID)+"&text="+url.QueryEscape(ad))
	for _, want := range []string{`id="verdict-action">提醒`, `id="verdict-actions">` + console.T(console.Zh, "act_"+string(acts[0].Action)) + "<", `data-category="ad">广告`, `data-rule="网商学院群规/categories.ad"`, `<span class="ud">网商学院群规</span> · 广告`,
		`<code id="verdict-normalized" class="ud">` + norm + "</code>", `<mark class="ud">加 薇 信 abc1688</mark>`, `id="verdict-says" class="ud">@群友 违反群规（广告）`} {
		if !strings.Contains(first, want) {
			t.Errorf("ad, first offence: page lacks %q", want)
		}
	}
	if second := w.page(c, "/rules?group="+itoa(w.cohort.ID)+"&offences=1&text="+url.QueryEscape(ad)); !strings.Contains(second, `id="verdict-action">禁言</span> 1 小时`) || !strings.Contains(second, `id="verdict-actions">禁言<`) {
		t.Error("ad, second offence: not muted for an hour")
	}
	if vote := w.page(c, "/rules?group="+itoa(w.cohort.ID)+"&text="+url.QueryEscape("帮我家孩子投一票")); !strings.Contains(vote, `id="verdict-actions">移出<`) {
		t.Error("vote solicitation: member not removed")
	}
	if clean := w.page(c, "/rules?group="+itoa(w.cohort.ID)+"&text="+url.QueryEscape("老师讲得好")); !strings.Contains(clean, `id="verdict-action">放行`) || !strings.Contains(clean, `id="verdict-actions">不处理<`) || strings.Contains(clean, "verdict-rule") {
		t.Error("a clean message was not allowed")
	}
}
