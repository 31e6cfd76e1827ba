package console

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The script library (剧本库): scripts by status; writing and editing one
// with the lint shown on 预览/检查; submitting it; reviewing it — approve
// or reject with a reason, never one's own (unless the organisation allows
// self-approval), and over the lint only with the right and a reason; and
// the publisher's moves. Each button is offered to whom its permission
// allows (access.WriteScript, ReviewScript, OverrideLint, PlanPush).

func (s *Server) scriptsRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /scripts", s.auth(s.needs("scripts", s.scripts)))
	mux.HandleFunc("GET /scripts/new", s.auth(s.needs("scripts", s.may(access.WriteScript, s.newScript))))
	mux.HandleFunc("POST /scripts/new", s.auth(s.needs("scripts", s.may(access.WriteScript, s.createScript))))
	mux.HandleFunc("GET /scripts/{id}", s.auth(s.needs("scripts", s.script)))
	mux.HandleFunc("POST /scripts/{id}/edit", s.auth(s.needs("scripts", s.may(access.WriteScript, s.editScript))))
	mux.HandleFunc("POST /scripts/{id}/move", s.auth(s.needs("scripts", s.moveScript)))
	mux.HandleFunc("POST /scripts/settings", s.auth(s.needs("scripts", s.may(access.ContentSettings, s.scriptSettings))))
}

// scriptStatuses are the library's tabs, in workflow order.
var scriptStatuses = []content.Status{content.Draft, content.Submitted, content.InReview, content.Approved, content.Scheduled, content.Published, content.Rejected}

// scriptMove is a workflow button: from a status to another, in a role,
// for whom a permission allows.
type scriptMove struct {
	From, To content.Status
	Role     content.Role
	Perm     access.Permission
	Key      string // the button's label
}

// scriptMoves are the moves the console offers. Scheduling happens by
// planning a push.
var scriptMoves = []scriptMove{
	{content.Draft, content.Submitted, content.Contributor, access.WriteScript, "move_submit"},
	{content.Submitted, content.Draft, content.Contributor, access.WriteScript, "move_withdraw"},
	{content.Rejected, content.Draft, content.Contributor, access.WriteScript, "move_rework"},
	{content.Submitted, content.InReview, content.Reviewer, access.ReviewScript, "move_review"},
	{content.Submitted, content.Approved, content.Reviewer, access.ReviewScript, "move_approve"},
	{content.Submitted, content.Rejected, content.Reviewer, access.ReviewScript, "move_reject"},
	{content.InReview, content.Approved, content.Reviewer, access.ReviewScript, "move_approve"},
	{content.InReview, content.Rejected, content.Reviewer, access.ReviewScript, "move_reject"},
	{content.Approved, content.Draft, content.Editor, access.ReviewScript, "move_to_draft"},
	{content.Scheduled, content.Published, content.Publisher, access.PlanPush, "move_publish"},
	{content.Scheduled, content.Approved, content.Publisher, access.PlanPush, "move_unschedule"},
}

const maxRejectReason = 500

type scriptTab struct {
	Status content.Status
	N      int
}

type scriptsData struct {
	Status   content.Status // the open tab; "" for all
	Tabs     []scriptTab
	All      int
	Scripts  []scriptRow
	MayWrite bool
	Settings *content.ContentSettings // the content settings, for who may change them
}

type scriptRow struct {
	content.Script
	Author template.HTML // the author's name
}

func (s *Server) scripts(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	status := content.Status(r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(scriptStatuses, status) {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "status: unknown script status %q", status))
		return
	}
	all, err := s.Content.Scripts(r.Context(), u.OrgID, "")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := scriptsData{Status: status, All: len(all), MayWrite: u.May(access.WriteScript)}
	counts := map[content.Status]int{}
	var authors []string
	for _, sc := range all {
		counts[sc.Status]++
		if status == "" || sc.Status == status {
			d.Scripts = append(d.Scripts, scriptRow{Script: sc})
			authors = append(authors, sc.Author)
		}
	}
	names, err := s.actorNames(r.Context(), l, u.OrgID, authors...)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for i := range d.Scripts {
		d.Scripts[i].Author = names[d.Scripts[i].Script.Author]
	}
	for _, st := range scriptStatuses {
		d.Tabs = append(d.Tabs, scriptTab{st, counts[st]})
	}
	if u.May(access.ContentSettings) {
		set, err := s.Content.ContentSettings(r.Context(), u.OrgID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Settings = &set
	}
	p := s.page(r, u, T(l, "scripts"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "scripts", p)
}

// finding is a lint finding in the page's language.
type finding struct {
	content.Finding
	Text     template.HTML // in the page's language, the words found marked as user content
	Override bool          // approving needs an override
}

// scriptForm is the text of the write and edit forms.
type scriptForm struct {
	Title, Body, Tags string
	Error             string // what is wrong with it, translated
}

func (f scriptForm) tags() []string {
	var out []string
	for _, t := range regexp.MustCompile(`[,，、\s]+`).Split(f.Tags, -1) {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out
}

func formOf(r *http.Request) scriptForm {
	return scriptForm{Title: strings.TrimSpace(r.PostFormValue("title")), Body: strings.TrimRight(strings.ReplaceAll(r.PostFormValue("body"), "\r\n", "\n"), " \n"),
		Tags: strings.TrimSpace(r.PostFormValue("tags"))}
}

// scriptFormError says in the page's language what CheckScript refused;
// "" for another error.
func scriptFormError(l Lang, err error) string {
	for _, e := range []struct {
		err error
		key string
	}{{content.ErrNoTitle, "err_no_title"}, {content.ErrLongTitle, "err_long_title"}, {content.ErrNoBody, "err_no_body"}, {content.ErrLongBody, "err_long_body"}} {
		if errors.Is(err, e.err) {
			return T(l, e.key)
		}
	}
	return ""
}

// markTerms escapes a finding's text and marks the words it quotes from
// the script as user content.
func markTerms(text string, terms []string) template.HTML {
	escaped := template.HTMLEscapeString(text)
	if len(terms) == 0 {
		return template.HTML(escaped)
	}
	quoted := make([]string, 0, len(terms))
	for _, t := range slices.SortedFunc(slices.Values(terms), func(a, b string) int { return len(b) - len(a) }) {
		if t != "" {
			quoted = append(quoted, regexp.QuoteMeta(template.HTMLEscapeString(t)))
		}
	}
	if len(quoted) == 0 {
		return template.HTML(escaped)
	}
	re := regexp.MustCompile(strings.Join(quoted, "|"))
	return template.HTML(re.ReplaceAllStringFunc(escaped, func(m string) string { return `<span class="ud">` + m + `</span>` }))
}

// lint lints a script's text (id 0: a new one) in the page's language.
func (s *Server) lint(ctx context.Context, l Lang, orgID, id int64, title, body string) ([]finding, error) {
	fs, err := content.LintText(ctx, s.Content, orgID, id, content.LintInput{Title: title, Body: body}, s.Lint)
	if err != nil {
		return nil, err
	}
	flagged := content.NeedsOverride(fs)
	out := make([]finding, 0, len(fs))
	for _, f := range fs {
		text := f.Zh
		if l == En {
			text = f.En
		}
		out = append(out, finding{Finding: f, Text: markTerms(text, f.Evidence.Terms), Override: slices.ContainsFunc(flagged, func(g content.Finding) bool { return g.Code == f.Code && g.Evidence.Category == f.Evidence.Category })})
	}
	return out, nil
}

func (s *Server) newScript(w http.ResponseWriter, r *http.Request) {
	d := scriptData{New: true, Edit: &scriptForm{}, Category: s.Lint != nil}
	s.render(w, http.StatusOK, "script", s.page(r, userOf(r), T(langOf(r), "new_script"), d))
}

// createScript previews the form with its lint findings (action=preview),
// or saves it as a draft (save) or saves and submits it (submit).
func (s *Server) createScript(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	f := formOf(r)
	d := scriptData{New: true, Edit: &f, Category: s.Lint != nil}
	action := r.PostFormValue("action")
	if action != "preview" && action != "save" && action != "submit" {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "action: want preview, save or submit, got %q", action))
		return
	}
	if err := content.CheckScript(f.Title, f.Body); err != nil || action == "preview" {
		status := http.StatusOK
		if err != nil {
			f.Error, status = scriptFormError(l, err), http.StatusBadRequest
		}
		if d.Findings, err = s.lint(r.Context(), l, u.OrgID, 0, f.Title, f.Body); err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Preview = true
		s.render(w, status, "script", s.page(r, u, T(l, "new_script"), d))
		return
	}
	sc := content.Script{OrgID: u.OrgID, Title: f.Title, Body: f.Body, Tags: f.tags(), Author: "user:" + u.Username}
	if err := s.Content.CreateScript(r.Context(), &sc); err != nil {
		s.renderError(w, r, err)
		return
	}
	fl := flash{Key: "flash_script_saved", ID: sc.ID}
	if action == "submit" {
		if _, err := s.Content.MoveScript(r.Context(), u.OrgID, sc.ID, content.Submitted, content.Contributor, "user:"+u.Username, ""); err != nil {
			s.renderError(w, r, err)
			return
		}
		fl.Key = "flash_script_submitted"
	}
	s.setFlash(w, fl)
	http.Redirect(w, r, "/scripts/"+strconv.FormatInt(sc.ID, 10), http.StatusSeeOther)
}

// revisionRow is one line of a script's history, in words.
type revisionRow struct {
	content.Revision
	Editor template.HTML // who, by name
	What   template.HTML // what happened, translated
}

type scriptData struct {
	New       bool // a script being written: Edit is its form
	Script    content.Script
	Author    template.HTML
	Revisions []revisionRow
	Findings  []finding
	Category  bool // the banned-category check ran
	Moves     []scriptMove
	Reject    bool // a rejection is among the moves (it needs a reason)
	// Approval: refused to the account as a writer (SelfBlock), or over
	// the lint without the right (OverrideBlock); with the right, the
	// approve form asks for the reason (Override).
	SelfBlock     bool
	OverrideBlock bool
	Override      bool
	Edit          *scriptForm // the edit form, for who may edit it now
	Preview       bool        // the findings are of the form's text
	Plan          bool        // the account may plan it: a link to the calendar
}

func (s *Server) script(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "script")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	s.showScript(w, r, id, nil)
}

// showScript renders a script's page; form, when set, is an edit being
// previewed: the page shows it and its findings.
func (s *Server) showScript(w http.ResponseWriter, r *http.Request, id int64, form *scriptForm) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	sc, err := s.Content.Script(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	revs, err := s.Content.Revisions(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	set, err := s.Content.ContentSettings(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := scriptData{Script: sc, Category: s.Lint != nil, Edit: form, Preview: form != nil}
	actors := []string{sc.Author}
	for _, v := range revs {
		actors = append(actors, v.Editor)
	}
	names, err := s.actorNames(ctx, l, u.OrgID, actors...)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Author = names[sc.Author]
	for _, v := range revs {
		d.Revisions = append(d.Revisions, revisionRow{Revision: v, Editor: names[v.Editor], What: revisionNote(l, v.Note)})
	}
	title, body := sc.Title, sc.Body
	if form != nil {
		title, body = form.Title, form.Body
	}
	if d.Findings, err = s.lint(ctx, l, u.OrgID, sc.ID, title, body); err != nil {
		s.renderError(w, r, err)
		return
	}
	flagged := slices.ContainsFunc(d.Findings, func(f finding) bool { return f.Override })
	writer := slices.Contains(content.Writers(sc, revs), "user:"+u.Username)
	for _, m := range scriptMoves {
		if m.From != sc.Status || !u.May(m.Perm) {
			continue
		}
		if m.To == content.Approved {
			switch {
			case writer && !set.SelfApproval:
				d.SelfBlock = true
				continue
			case flagged && !u.May(access.OverrideLint):
				d.OverrideBlock = true
				continue
			}
			d.Override = flagged
		}
		d.Moves = append(d.Moves, m)
		d.Reject = d.Reject || m.To == content.Rejected
	}
	if d.Edit == nil && sc.Status.Editable() && u.May(access.WriteScript) {
		d.Edit = &scriptForm{Title: sc.Title, Body: sc.Body, Tags: strings.Join(sc.Tags, ", ")}
	}
	d.Plan = sc.Status.Pushable() && u.May(access.PlanPush)
	p := s.page(r, u, sc.Title, d)
	p.Flash = s.takeFlash(w, r)
	status := http.StatusOK
	if form != nil && form.Error != "" {
		status = http.StatusBadRequest
	}
	s.render(w, status, "script", p)
}

// editScript previews an edit with its lint findings (action=preview) or
// saves it (save). An approved script edited goes back to a draft.
func (s *Server) editScript(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	id, err := pathID(r, "script")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	f := formOf(r)
	action := r.PostFormValue("action")
	if action != "preview" && action != "save" {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "action: want preview or save, got %q", action))
		return
	}
	if err := content.CheckScript(f.Title, f.Body); err != nil || action == "preview" {
		if err != nil {
			f.Error = scriptFormError(l, err)
		}
		s.showScript(w, r, id, &f)
		return
	}
	sc, err := s.Content.EditScript(r.Context(), u.OrgID, id, f.Title, f.Body, f.tags(), "user:"+u.Username)
	fl := flash{Key: "flash_script_edited", ID: id}
	switch {
	case errors.Is(err, content.ErrNotEditable):
		fl = flash{Key: "flash_script_not_editable", ID: id, Error: true}
	case err != nil:
		s.renderError(w, r, err)
		return
	case sc.Status == content.Draft && r.PostFormValue("was") == string(content.Approved):
		fl.Key = "flash_script_back_to_draft"
	}
	s.setFlash(w, fl)
	http.Redirect(w, r, "/scripts/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// moveScript moves a script through the workflow for whom the move's
// permission allows; the form names the status it moves from, so a stale
// page does not move a script that has moved on. An approval of what the
// lint flags needs access.OverrideLint and the reason; one by a writer of
// the script is refused unless self-approval is allowed.
func (s *Server) moveScript(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "script")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	from, to := content.Status(r.PostFormValue("from")), content.Status(r.PostFormValue("to"))
	i := slices.IndexFunc(scriptMoves, func(m scriptMove) bool { return m.From == from && m.To == to })
	if i < 0 {
		s.renderError(w, r, errkind.Errorf(errkind.Invalid, "move: the console cannot move a script from %q to %q", from, to))
		return
	}
	m := scriptMoves[i]
	if err := s.permit(r, m.Perm); err != nil {
		s.renderError(w, r, err)
		return
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	back := "/scripts/" + strconv.FormatInt(id, 10)
	f := flash{Key: "flash_script_moved", ID: id}
	cur, err := s.Content.Script(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	switch {
	case cur.Status != m.From:
		f = flash{Key: "flash_script_stale", ID: id, Error: true}
	case m.To == content.Rejected && reason == "":
		f = flash{Key: "flash_need_reason", ID: id, Error: true}
	case utf8.RuneCountInString(reason) > maxRejectReason:
		f = flash{Key: "flash_reason_long", ID: id, Error: true}
	case m.To == content.Approved:
		fs, err := content.LintScript(ctx, s.Content, cur, s.Lint)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if err := content.CheckOverride(fs, reason, u.May(access.OverrideLint)); err != nil {
			f = flash{Key: "flash_need_override", ID: id, Error: true}
			if errors.Is(err, content.ErrNoOverride) {
				f.Key = "flash_no_override"
			}
			break
		}
		if content.NeedsOverride(fs) == nil {
			reason = "" // nothing to override: no reason is kept
		}
		f = s.doMove(ctx, u, m, id, reason)
	default:
		f = s.doMove(ctx, u, m, id, reason)
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// doMove moves the script and says how it went.
func (s *Server) doMove(ctx context.Context, u *access.User, m scriptMove, id int64, reason string) flash {
	_, err := s.Content.MoveScript(ctx, u.OrgID, id, m.To, m.Role, "user:"+u.Username, reason)
	switch {
	case err == nil:
		key := "flash_script_moved"
		switch m.To {
		case content.Approved:
			key = "flash_script_approved"
		case content.Rejected:
			key = "flash_script_rejected"
		case content.Submitted:
			key = "flash_script_submitted"
		}
		return flash{Key: key, ID: id}
	case errors.Is(err, content.ErrSelfApproval):
		return flash{Key: "flash_self_approval", ID: id, Error: true}
	case errkind.Of(err) == errkind.Internal:
		s.Logger.Error("move script", "script", id, "err", err)
		return flash{Key: "flash_failed_script", ID: id, Error: true}
	}
	return flash{Key: "flash_script_stale", ID: id, Error: true}
}

// scriptSettings sets the separation of duties: a manager lets a team of
// one approve its own scripts, or stops it.
func (s *Server) scriptSettings(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	var allow bool
	switch r.PostFormValue("self_approval") {
	case "on":
		allow = true
	case "off":
	default:
		s.renderError(w, r, errkind.New(errkind.Invalid, T(langOf(r), "err_self_approval")))
		return
	}
	if err := s.Content.SetSelfApproval(r.Context(), u.OrgID, allow, "user:"+u.Username); err != nil {
		s.renderError(w, r, err)
		return
	}
	key := "flash_self_approval_off"
	if allow {
		key = "flash_self_approval_on"
	}
	s.setFlash(w, flash{Key: key})
	http.Redirect(w, r, "/scripts", http.StatusSeeOther)
}

// actorNames names who did something, as the audit log and the history
// record them: a console account by its name, a member by their name, a
// token, a cadence or the scheduler in words; names are user content.
func (s *Server) actorNames(ctx context.Context, l Lang, orgID int64, actors ...string) (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	var people []int64
	for _, a := range actors {
		if id, ok := strings.CutPrefix(a, "person:"); ok {
			if n, err := strconv.ParseInt(id, 10, 64); err == nil {
				people = append(people, n)
			}
		}
	}
	var names map[int64]string
	if len(people) > 0 && s.People != nil {
		var err error
		if names, err = s.People.PersonNames(ctx, orgID, people); err != nil {
			return nil, err
		}
	}
	for _, a := range actors {
		kind, rest, _ := strings.Cut(a, ":")
		switch kind {
		case "user":
			out[a] = ud(rest)
		case "person":
			n, _ := strconv.ParseInt(rest, 10, 64)
			if name := names[n]; name != "" {
				out[a] = ud(name) + esc(T(l, "via_chat"))
			} else {
				out[a] = esc(T(l, "a_member") + T(l, "via_chat"))
			}
		case "api":
			out[a] = esc(T(l, "api_token")+" ") + ud(rest)
		case "cadence":
			out[a] = esc(T(l, "a_cadence"))
		case "scheduler":
			out[a] = esc(T(l, "the_scheduler"))
		default:
			out[a] = actorText(l, a)
		}
	}
	return out, nil
}

// revisionNote says what a history line records, in the page's language:
// created, 投稿 in a group, edited, or a move with its reason.
var moveNote = regexp.MustCompile(`^(\w+) → (\w+)(?: (.*))?$`)

func revisionNote(l Lang, note string) template.HTML {
	switch {
	case note == "created":
		return esc(T(l, "rev_created"))
	case note == "edited":
		return esc(T(l, "rev_edited"))
	case strings.HasPrefix(note, "edited: approved → draft"):
		return esc(T(l, "rev_edited_back"))
	case strings.HasPrefix(note, "投稿 by "):
		return esc(T(l, "rev_submitted_chat"))
	}
	if m := moveNote.FindStringSubmatch(note); m != nil && slices.Contains(scriptStatuses, content.Status(m[1])) && slices.Contains(scriptStatuses, content.Status(m[2])) {
		out := esc(T(l, "ss_"+m[1]) + " → " + T(l, "ss_"+m[2]))
		if r := strings.TrimSpace(strings.TrimSuffix(m[3], "投稿")); r != "" {
			out += esc(T(l, "colon")) + ud(r)
		}
		return out
	}
	return ud(note)
}
