package console

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// RulesPreview shows what the rules in force for a group say and do.
type RulesPreview interface {
	// Notice renders the group's rules notice in "zh" or "en".
	Notice(ctx context.Context, g community.Group, lang string) (string, error)
	// Test judges a message as the engine would for an ordinary member of
	// long standing in the group.
	Test(ctx context.Context, g community.Group, p RuleProbe) (RuleTest, error)
}

// RuleProbe is a message to test.
type RuleProbe struct {
	Text     string
	At       time.Time // when it is sent (quiet hours)
	Offences int       // the member's earlier offences (the escalation ladder)
}

// Bilingual is a text in Chinese and English.
type Bilingual struct{ Zh, En string }

// In returns the text in a language.
func (b Bilingual) In(l Lang) string {
	if l == En {
		return b.En
	}
	return b.Zh
}

// RuleHit is one dictionary or pattern match, before the group's rules
// decide what it means.
type RuleHit struct {
	Category string
	Label    Bilingual // the category in words
	Term     string    // the dictionary term, or the recogniser's name
	Text     string    // the words as written
}

// RuleTest is the verdict on a test message.
type RuleTest struct {
	Normalized string    // the text as the dictionaries see it
	Hits       []RuleHit // every match, including categories the group allows
	Action     string    // allow, warn, delete, mute, kick or ban
	Duration   time.Duration
	Category   string
	Label      Bilingual // the category in words
	Rule       string    // rule set and rule, e.g. 网商学院群规/categories.ad
	Matched    []string  // the words the verdict rests on, as written
	Reason     Bilingual
	// Actions are what qunzhu asks the platform to do about it (send,
	// delete, mute, kick, ban), before the platform's capabilities are
	// taken into account; Says is the text posted with them.
	Actions []string
	Says    string
}

// RulesFromRegistry previews the rules a registry keeps in force; nil
// (rules disabled) gives nil, and the page says so.
func RulesFromRegistry(reg *rules.Registry) RulesPreview {
	if reg == nil {
		return nil
	}
	return registryPreview{reg}
}

type registryPreview struct{ reg *rules.Registry }

func (p registryPreview) Notice(_ context.Context, g community.Group, lang string) (string, error) {
	return rules.Notice(p.reg.For(g), lang, g.Name), nil
}

func (p registryPreview) Test(ctx context.Context, g community.Group, pr RuleProbe) (RuleTest, error) {
	rs := p.reg.For(g)
	e := p.reg.Engine()
	hits, norm := e.Classify(pr.Text)
	// One message on its own: it is the member's only recent one.
	v := e.Evaluate(rs, rules.Input{Text: pr.Text, Kind: chat.KindText, Role: string(community.RoleMember), At: pr.At, Offences: pr.Offences, Recent: 1, Identical: 1})
	t := RuleTest{Normalized: norm, Action: string(v.Action), Duration: v.Duration, Category: v.Category, Rule: v.Rule, Matched: v.Matched,
		Reason: Bilingual{v.Reason.Zh, v.Reason.En}}
	// What the pipeline's rules hook makes of it: a fresh Decider, so the
	// test leaves no trace in the live one's flood history.
	d := &rules.Decider{Engine: e, RuleSet: func(community.Group) *rules.RuleSet { return rs },
		Offences: func(context.Context, int64, time.Time) (int, error) { return pr.Offences, nil }}
	ev := &chat.Event{ID: "console-test", Type: chat.EventMessage, Group: g.ExternalID, Time: pr.At, Sender: chat.User{ID: "console-test", Name: "群友"},
		Message: &chat.Message{ID: "console-test", Kind: chat.KindText, Text: pr.Text}}
	vs, err := d.Decide(ctx, &pipeline.Input{Event: ev, Group: g, Membership: community.Membership{GroupID: g.ID, Role: community.RoleMember}, Caps: chat.AllActions()})
	if err != nil {
		return t, fmt.Errorf("test message: %w", err)
	}
	for _, pv := range vs {
		t.Actions = append(t.Actions, string(pv.Action))
		if pv.Text != "" {
			t.Says = pv.Text
		}
	}
	if v.Category != "" {
		n := rules.CategoryName(v.Category)
		t.Label = Bilingual{n.Zh, n.En}
	}
	for _, h := range hits {
		n := rules.CategoryName(h.Category)
		t.Hits = append(t.Hits, RuleHit{Category: h.Category, Label: Bilingual{n.Zh, n.En}, Term: h.Term, Text: h.Text})
	}
	return t, nil
}

const maxTestText = 4000

type rulesData struct {
	Configured bool
	Groups     []community.Group
	Group      community.Group
	NoticeZh   string
	NoticeEn   string
	Text       string
	Offences   int
	Choices    []int // the offences the form offers
	Tested     bool
	Test       RuleTest
}

// rulesPage shows a group's rules notice in both languages and, for
// ?text=, the verdict on that message. Testing is a GET: it changes
// nothing, and a test can be linked to and repeated.
func (s *Server) rulesPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	d := rulesData{Configured: s.Rules != nil, Choices: []int{0, 1, 2, 3, 4}}
	all, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var groups []community.Group
	for _, g := range all {
		if sc.has(g.ID) {
			groups = append(groups, g)
		}
	}
	d.Groups = groups
	q := r.URL.Query()
	if d.Configured && len(groups) > 0 {
		d.Group = groups[0]
		if id := q.Get("group"); id != "" {
			gid, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				s.renderError(w, r, errkind.New(errkind.NotFound, "no such group"))
				return
			}
			if d.Group, err = s.Store.Group(ctx, u.OrgID, gid); err != nil {
				s.renderError(w, r, err)
				return
			}
			if !sc.has(d.Group.ID) {
				s.renderError(w, r, errOutOfScope)
				return
			}
		}
		if d.NoticeZh, err = s.Rules.Notice(ctx, d.Group, "zh"); err != nil {
			s.renderError(w, r, err)
			return
		}
		if d.NoticeEn, err = s.Rules.Notice(ctx, d.Group, "en"); err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Text = q.Get("text")
		if o := q.Get("offences"); o != "" {
			if d.Offences, err = strconv.Atoi(o); err != nil || d.Offences < 0 || d.Offences > 10 {
				s.renderError(w, r, errkind.Errorf(errkind.Invalid, "offences: want 0 to 10, got %q", o))
				return
			}
		}
		if utf8.RuneCountInString(d.Text) > maxTestText {
			s.renderError(w, r, errkind.Errorf(errkind.Invalid, "text: at most %d characters", maxTestText))
			return
		}
		if d.Text != "" {
			if d.Test, err = s.Rules.Test(ctx, d.Group, RuleProbe{Text: d.Text, At: s.Now(), Offences: d.Offences}); err != nil {
				s.renderError(w, r, err)
				return
			}
			d.Tested = true
		}
	}
	s.render(w, http.StatusOK, "rules", s.page(r, u, T(l, "rules"), d))
}
