package console

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The member bot's page (/memberbot): a rules file's FAQ answers and welcome,
// edited through forms instead of the file's text. What the forms set is
// written as the file's [faq], [[faq.entry]] and [welcome] sections
// (rules.WithBot), the rest of the file kept; a save applies at once, as
// the rules editor's does, and is audited. The page also shows what is in
// force in a chosen group: the answers it inherits and its welcome.

// BotAsks counts the questions the member bot recognised; the store
// implements it (read through Store, as Auditor is).
type BotAsks interface {
	// TopAsks ranks a group's FAQ entries by how often they were asked
	// since a day (YYYY-MM-DD, inclusive).
	TopAsks(ctx context.Context, groupID int64, since string, limit int) ([]memberbot.AskCount, error)
}

// BotPoints reads members' check-in points; the store implements it.
type BotPoints interface {
	// PersonPoints returns a member's points in each group they checked
	// in, with this month's since monthStart (YYYY-MM-DD).
	PersonPoints(ctx context.Context, personID int64, monthStart string) ([]memberbot.Points, error)
}

// botAskDays is how far back the page counts questions.
const botAskDays = 30

func (s *Server) botRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /memberbot", s.auth(s.botPage))
	mux.HandleFunc("POST /memberbot/faq", s.auth(s.may(access.EditRules, s.botSaveEntry)))
	mux.HandleFunc("POST /memberbot/faq/remove", s.auth(s.may(access.EditRules, s.botRemoveEntry)))
	mux.HandleFunc("POST /memberbot/welcome", s.auth(s.may(access.EditRules, s.botSaveWelcome)))
	mux.HandleFunc("POST /memberbot/checkin", s.auth(s.may(access.EditRules, s.botSaveCheckin)))
	mux.HandleFunc("POST /memberbot/raid", s.auth(s.may(access.EditRules, s.botSaveRaid)))
	s.gateRoutes(mux) // gate.go
}

// botEntryForm is an FAQ entry as its form shows it.
type botEntryForm struct {
	Orig  string // the name it had ("" for a new entry)
	Name  string
	Keys  string // one a line, or separated by commas or 、
	Reply string
	Link  string
	Title string
	Image string
}

// botWelcomeForm is the welcome and the FAQ's cooldown as their form
// shows them.
type botWelcomeForm struct {
	State    string // inherit, on, off
	Text     string
	Window   string // seconds
	Lang     string
	Cooldown string // minutes
}

// botRaidForm is the anti-raid lockdown as its form shows it.
type botRaidForm struct {
	State    string // inherit, on, off
	Joins    string
	Within   string // seconds
	Lockdown string // minutes
	Action   string // remove or hold
}

// botCheckinForm is the daily check-in as its form shows it.
type botCheckinForm struct {
	State       string // inherit, on, off
	Words       string // separated by commas or 、
	Points      string
	StreakBonus string
	Monthly     bool
}

// botInForce is what the chosen group has: its answers and its welcome.
type botInForce struct {
	Entries  []rules.FAQEntry
	Asked    []memberbot.AskCount // the most asked in the last botAskDays days
	Cooldown string
	Welcome  string        // the welcome two newcomers would get; "" for none
	Checkin  template.HTML // how members check in; "" when they do not
	Raid     string        // when the group locks down; "" when it does not
	Gate     string        // how newcomers are held; "" when they are not
}

type botData struct {
	Editable bool
	CanSave  bool
	rulesScope
	Entries []rules.FAQEntry // the scope's own
	Entry   botEntryForm
	Editing bool // Entry is an existing entry
	Welcome botWelcomeForm
	Checkin botCheckinForm
	Raid    botRaidForm
	botGate        // the join gate (gate.go)
	Error   string // the form's problem, in the page's language
	Form    string // which form the error is about: faq or welcome
	InForce *botInForce
	Keys    func(rules.FAQEntry) string
	CSRF    string // the forms'
	Lang    Lang
}

// botState is a form's choice of inherit, on or off.
type botState struct {
	Lang                        Lang
	Form, State, Label, On, Off string
}

// State is a form's state choice, for the bot-state template.
func (d *botData) State(form, state, label, on, off string) botState {
	return botState{d.Lang, form, state, label, on, off}
}

// botNumber reads a form's whole number from lo to hi; "" is 0 (the
// default).
func botNumber(v string, lo, hi int) (int, bool) {
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= lo && n <= hi
}

// botRefused shows a form again with what is wrong with it (400): the
// key's words, or the problem found loading the scope.
func (s *Server) botRefused(w http.ResponseWriter, r *http.Request, d *botData, form, key string) {
	if key != "" {
		d.Error, d.Form = T(langOf(r), key), form
	}
	s.botRender(w, r, http.StatusBadRequest, d)
}

func (s *Server) botPage(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.URL.Query().Get)
	if !ok {
		return
	}
	if name := r.URL.Query().Get("entry"); name != "" {
		i := slices.IndexFunc(d.Entries, func(e rules.FAQEntry) bool { return e.Name == name })
		if i < 0 {
			s.renderError(w, r, errkind.New(errkind.NotFound, "no such answer"))
			return
		}
		d.Entry, d.Editing = entryForm(d.Entries[i]), true
	}
	s.botRender(w, r, http.StatusOK, d)
}

// botLoad reads the scope's file and what is in force in the chosen group.
func (s *Server) botLoad(w http.ResponseWriter, r *http.Request, get func(string) string) (*botData, bool) {
	u := userOf(r)
	ed := s.editor()
	d := &botData{Editable: ed != nil, CanSave: u.May(access.EditRules), Keys: func(e rules.FAQEntry) string { return strings.Join(e.Keys, "、") }}
	if ed == nil {
		s.botRender(w, r, http.StatusOK, d)
		return nil, false
	}
	rsc, err := s.rulesScopes(r, u, get)
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	d.rulesScope = rsc
	text, err := ed.Source(d.Scope)
	if err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	b, err := rules.BotOf(d.Scope, text)
	if err != nil {
		// The file does not parse: the rules editor is where it is fixed.
		d.Error = err.Error()
	}
	d.Entries = b.FAQ.Entries
	d.Welcome = welcomeForm(b)
	d.Checkin = checkinForm(b.Checkin)
	d.Raid = raidForm(b.Raid)
	d.GateForm = gateForm(b.Gate)
	if err := s.gateLoad(r.Context(), u, d, langOf(r)); err != nil {
		s.renderError(w, r, err)
		return nil, false
	}
	if d.Group.ID != 0 && d.Error == "" {
		in, err := s.botInForce(r.Context(), d.Scope, text, d.Group, langOf(r))
		if err != nil {
			s.renderError(w, r, err)
			return nil, false
		}
		d.InForce = in
	}
	return d, true
}

func (s *Server) botInForce(ctx context.Context, scope, text string, g community.Group, l Lang) (*botInForce, error) {
	ruleSet, _, err := s.editor().ReplayRules(scope, text)
	if err != nil {
		return nil, err
	}
	rs, err := ruleSet(g)
	if err != nil {
		return nil, err
	}
	in := &botInForce{Cooldown: botDuration(rs.FAQ.Wait(), l)}
	if a, ok := s.Store.(BotAsks); ok {
		since := s.Now().In(s.Location).AddDate(0, 0, -botAskDays+1).Format(time.DateOnly)
		if in.Asked, err = a.TopAsks(ctx, g.ID, since, 20); err != nil {
			return nil, err
		}
	}
	for _, e := range rs.FAQ.Entries {
		if !e.Off {
			in.Entries = append(in.Entries, e)
		}
	}
	if rs.Welcome.On() {
		in.Welcome = memberbot.Welcome(rs, memberbot.Lang(g, rs), g.Name, []string{T(l, "bot_sample_a"), T(l, "bot_sample_b")})
	}
	in.Gate = s.gateInForce(rs, g, l)
	if r := rs.Raid; r.On() {
		key := "bot_raid_is_remove"
		if r.Hold() {
			key = "bot_raid_is_hold"
		}
		in.Raid = tf(l, key, r.Joins, botDuration(r.Span(), l), botDuration(r.Period(), l))
	}
	if c := rs.Checkin; c.On() {
		words := append([]string{"/checkin"}, c.Triggers()...)
		in.Checkin = tfu(l, "bot_checkin_is", strings.Join(words, T(l, "list_sep")), c.PerCheckin(), c.StreakBonus)
		if c.Monthly() {
			in.Checkin += esc(T(l, "bot_checkin_monthly"))
		}
	}
	return in, nil
}

func (s *Server) botRender(w http.ResponseWriter, r *http.Request, status int, d *botData) {
	u, l := userOf(r), langOf(r)
	p := s.page(r, u, T(l, "memberbot"), d)
	d.CSRF, d.Lang = p.CSRF, l
	if status == http.StatusOK {
		p.Flash = s.takeFlash(w, r)
	}
	s.render(w, status, "memberbot", p)
}

// botDuration says a cooldown in minutes, or seconds when it is not
// whole minutes.
func botDuration(d time.Duration, l Lang) string {
	if d%time.Minute == 0 {
		return tf(l, "bot_minutes", int(d/time.Minute))
	}
	return tf(l, "bot_seconds", int(d/time.Second))
}

func entryForm(e rules.FAQEntry) botEntryForm {
	return botEntryForm{Orig: e.Name, Name: e.Name, Keys: strings.Join(e.Keys, "\n"), Reply: e.Reply, Link: e.Link, Title: e.Title, Image: e.Image}
}

func welcomeForm(b rules.Bot) botWelcomeForm {
	f := botWelcomeForm{State: "inherit", Text: b.Welcome.Text, Lang: b.Welcome.Lang}
	switch {
	case b.Welcome.Off:
		f.State = "off"
	case b.Welcome.Set:
		f.State = "on"
	}
	if b.Welcome.Window != 0 {
		f.Window = strconv.Itoa(int(time.Duration(b.Welcome.Window) / time.Second))
	}
	if b.FAQ.Cooldown != 0 {
		f.Cooldown = strconv.Itoa(int(time.Duration(b.FAQ.Cooldown) / time.Minute))
	}
	return f
}

func raidForm(r rules.Raid) botRaidForm {
	f := botRaidForm{State: "inherit", Action: r.Action}
	switch {
	case r.Action == rules.RaidOff:
		f.State, f.Action = "off", ""
	case r.Set:
		f.State = "on"
	}
	if r.Joins != 0 {
		f.Joins = strconv.Itoa(r.Joins)
	}
	if r.Within != 0 {
		f.Within = strconv.Itoa(int(time.Duration(r.Within) / time.Second))
	}
	if r.Lockdown != 0 {
		f.Lockdown = strconv.Itoa(int(time.Duration(r.Lockdown) / time.Minute))
	}
	return f
}

func checkinForm(c rules.Checkin) botCheckinForm {
	f := botCheckinForm{State: "inherit", Words: strings.Join(c.Words, "、"), Monthly: c.Reset == "monthly"}
	switch {
	case c.Off:
		f.State = "off"
	case c.Set:
		f.State = "on"
	}
	if c.Points != 0 {
		f.Points = strconv.Itoa(c.Points)
	}
	if c.StreakBonus != 0 {
		f.StreakBonus = strconv.Itoa(c.StreakBonus)
	}
	return f
}

// splitKeys reads the keys a form gives: one a line, or separated by
// commas (either width) or 、.
func splitKeys(s string) []string {
	var out []string
	for _, k := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' || r == '，' || r == '、' }) {
		if k = strings.TrimSpace(k); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// botSaveEntry adds an FAQ entry to the scope's file, or replaces the one
// named orig.
func (s *Server) botSaveEntry(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	f := botEntryForm{Orig: r.PostFormValue("orig"), Name: strings.TrimSpace(r.PostFormValue("name")), Keys: r.PostFormValue("keys"),
		Reply: strings.TrimSpace(r.PostFormValue("reply")), Link: strings.TrimSpace(r.PostFormValue("link")),
		Title: strings.TrimSpace(r.PostFormValue("title")), Image: strings.TrimSpace(r.PostFormValue("image"))}
	d.Entry, d.Editing = f, f.Orig != ""
	if d.Error != "" {
		s.botRender(w, r, http.StatusBadRequest, d)
		return
	}
	e := rules.FAQEntry{Name: f.Name, Keys: splitKeys(f.Keys), Reply: f.Reply, Link: f.Link, Title: f.Title, Image: f.Image}
	entries := slices.Clone(d.Entries)
	if f.Orig != "" {
		i := slices.IndexFunc(entries, func(e rules.FAQEntry) bool { return e.Name == f.Orig })
		if i < 0 {
			s.renderError(w, r, errkind.New(errkind.NotFound, "no such answer"))
			return
		}
		entries[i] = e
	} else {
		if len(entries) >= rules.MaxFAQEntries {
			d.Error, d.Form = tf(langOf(r), "bot_too_many", rules.MaxFAQEntries), "faq"
			s.botRender(w, r, http.StatusBadRequest, d)
			return
		}
		entries = append(entries, e)
	}
	s.botSave(w, r, d, "faq", func(b *rules.Bot) { b.FAQ.Entries = entries }, "flash_bot_entry_saved")
}

// botRemoveEntry takes an FAQ entry out of the scope's file, once
// confirmed.
func (s *Server) botRemoveEntry(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	name := r.PostFormValue("name")
	i := slices.IndexFunc(d.Entries, func(e rules.FAQEntry) bool { return e.Name == name })
	if i < 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such answer"))
		return
	}
	if !s.confirmed(w, r, tf(langOf(r), "bot_remove_q", name), botURL(d.Scope, d.Group.ID)) {
		return
	}
	entries := slices.Delete(slices.Clone(d.Entries), i, i+1)
	s.botSave(w, r, d, "faq", func(b *rules.Bot) { b.FAQ.Entries = entries }, "flash_bot_entry_removed")
}

// botSaveWelcome sets the scope's welcome and the FAQ's cooldown.
func (s *Server) botSaveWelcome(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	l := langOf(r)
	f := botWelcomeForm{State: r.PostFormValue("state"), Text: strings.TrimSpace(r.PostFormValue("text")), Window: strings.TrimSpace(r.PostFormValue("window")),
		Lang: r.PostFormValue("lang"), Cooldown: strings.TrimSpace(r.PostFormValue("cooldown"))}
	d.Welcome = f
	bad := func(key string) {
		d.Error, d.Form = T(l, key), "welcome"
		s.botRender(w, r, http.StatusBadRequest, d)
	}
	if d.Error != "" {
		s.botRender(w, r, http.StatusBadRequest, d)
		return
	}
	number := func(v string, unit time.Duration) (rules.Duration, bool) {
		if v == "" {
			return 0, true
		}
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			return 0, false
		}
		return rules.Duration(time.Duration(n) * unit), true
	}
	window, ok := number(f.Window, time.Second)
	if !ok {
		bad("bot_bad_window")
		return
	}
	cooldown, ok := number(f.Cooldown, time.Minute)
	if !ok {
		bad("bot_bad_cooldown")
		return
	}
	var wel rules.Welcome
	switch f.State {
	case "inherit":
	case "off":
		wel = rules.Welcome{Set: true, Off: true}
	case "on":
		if f.Text == "" {
			bad("bot_need_text")
			return
		}
		wel = rules.Welcome{Set: true, Text: f.Text, Window: window, Lang: f.Lang}
	default:
		bad("bot_bad_state")
		return
	}
	s.botSave(w, r, d, "welcome", func(b *rules.Bot) { b.Welcome, b.FAQ.Cooldown = wel, cooldown }, "flash_bot_welcome_saved")
}

// botSaveCheckin sets the scope's daily check-in.
func (s *Server) botSaveCheckin(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	f := botCheckinForm{State: r.PostFormValue("state"), Words: r.PostFormValue("words"), Points: strings.TrimSpace(r.PostFormValue("points")),
		StreakBonus: strings.TrimSpace(r.PostFormValue("streak_bonus")), Monthly: r.PostFormValue("monthly") == "on"}
	d.Checkin = f
	bad := func(key string) { s.botRefused(w, r, d, "checkin", key) }
	if d.Error != "" {
		bad("")
		return
	}
	points, ok1 := botNumber(f.Points, 0, math.MaxInt)
	bonus, ok2 := botNumber(f.StreakBonus, 0, math.MaxInt)
	if !ok1 || !ok2 {
		bad("bot_bad_points")
		return
	}
	var c rules.Checkin
	switch f.State {
	case "inherit":
	case "off":
		c = rules.Checkin{Set: true, Off: true}
	case "on":
		c = rules.Checkin{Set: true, Words: splitKeys(f.Words), Points: points, StreakBonus: bonus}
		if f.Monthly {
			c.Reset = "monthly"
		}
	default:
		bad("bot_bad_state")
		return
	}
	s.botSave(w, r, d, "checkin", func(b *rules.Bot) {
		// What the form does not show is kept.
		if c.Set && !c.Off {
			c.PostPoints, c.PostsPerDay = b.Checkin.PostPoints, b.Checkin.PostsPerDay
		}
		b.Checkin = c
	}, "flash_bot_checkin_saved")
}

// botSaveRaid sets the scope's anti-raid lockdown.
func (s *Server) botSaveRaid(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	f := botRaidForm{State: r.PostFormValue("state"), Joins: strings.TrimSpace(r.PostFormValue("joins")), Within: strings.TrimSpace(r.PostFormValue("within")),
		Lockdown: strings.TrimSpace(r.PostFormValue("lockdown")), Action: r.PostFormValue("action")}
	d.Raid = f
	bad := func(key string) { s.botRefused(w, r, d, "raid", key) }
	if d.Error != "" {
		bad("")
		return
	}
	var raid rules.Raid
	switch f.State {
	case "inherit":
	case "off":
		raid = rules.Raid{Set: true, Action: rules.RaidOff}
	case "on":
		joins, ok := botNumber(f.Joins, 2, 1000)
		if !ok || joins == 0 {
			bad("bot_bad_raid_joins")
			return
		}
		within, ok := botNumber(f.Within, 1, 3600)
		if !ok {
			bad("bot_bad_raid_within")
			return
		}
		lockdown, ok := botNumber(f.Lockdown, 1, 7*24*60)
		if !ok {
			bad("bot_bad_raid_lockdown")
			return
		}
		switch f.Action {
		case rules.RaidRemove, rules.RaidHold:
		default:
			bad("bot_bad_raid_action")
			return
		}
		raid = rules.Raid{Set: true, Joins: joins, Within: rules.Duration(time.Duration(within) * time.Second),
			Lockdown: rules.Duration(time.Duration(lockdown) * time.Minute), Action: f.Action}
	default:
		bad("bot_bad_state")
		return
	}
	s.botSave(w, r, d, "raid", func(b *rules.Bot) { b.Raid = raid }, "flash_bot_raid_saved")
}

// botSave writes the scope's file with change made to its bot sections:
// a problem is shown on the form (400) in the page's language, a save
// redirects to the page with a flash.
func (s *Server) botSave(w http.ResponseWriter, r *http.Request, d *botData, form string, change func(*rules.Bot), done string) {
	ctx, u, l := r.Context(), userOf(r), langOf(r)
	ed := s.editor()
	text, err := ed.Source(d.Scope)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	b, err := rules.BotOf(d.Scope, text)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	change(&b)
	next := rules.WithBot(text, b)
	if utf8.RuneCountInString(next) > maxRulesText {
		d.Error, d.Form = tf(l, "bot_too_long", maxRulesText), form
		s.botRender(w, r, http.StatusBadRequest, d)
		return
	}
	_, err = rules.BotOf(d.Scope, next)
	if err == nil {
		err = ed.Save(ctx, d.Scope, next)
	}
	if err != nil {
		d.Error, d.Form = botProblem(err, l), form
		s.botRender(w, r, http.StatusBadRequest, d)
		return
	}
	if a, ok := s.Store.(Auditor); ok {
		if err := a.AppendAudit(ctx, community.AuditEntry{OrgID: u.OrgID, Actor: "staff:" + u.Username, Action: "bot." + form, Subject: d.Scope,
			Detail: community.Detail("entries", len(b.FAQ.Entries))}); err != nil {
			s.Logger.Error("audit a member bot edit", "err", err)
		}
	}
	s.setFlash(w, flash{Key: done})
	http.Redirect(w, r, botURL(d.Scope, d.Group.ID), http.StatusSeeOther)
}

// botProblem is what is wrong with a save, in the page's language: the
// setting's problem where the rules say it in both.
func botProblem(err error, l Lang) string {
	var p *rules.Problem
	if errors.As(err, &p) {
		if l == En {
			return p.En
		}
		return p.Zh
	}
	return err.Error()
}

func botURL(scope string, group int64) string {
	v := url.Values{"scope": {scope}}
	if group != 0 {
		v.Set("group", fmt.Sprint(group))
	}
	return "/memberbot?" + v.Encode()
}
