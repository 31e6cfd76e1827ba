package console

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
)

// Bring your history (docs/console/import.md): upload a chat export, see
// what it holds, map its groups to groups qunzhu knows or new ones, and
// follow the import; then review the members it could match by name only.
// Managers import into any group and create new ones; a secretary imports
// into the groups of her scope.

// ImportSource runs imports: *imports.Service.
type ImportSource interface {
	Upload(ctx context.Context, orgID int64, by string, u imports.Upload, r io.Reader) (imports.Job, error)
	Job(ctx context.Context, orgID, id int64) (imports.Job, error)
	Jobs(ctx context.Context, orgID int64, limit int) ([]imports.Job, error)
	Start(ctx context.Context, orgID, id int64, p imports.Plan) error
	Retry(ctx context.Context, orgID, id int64) error
	Discard(ctx context.Context, orgID, id int64) error
	ConnectionList() []imports.Connection
	MergeProposals(ctx context.Context, orgID int64, limit int) ([]community.MergeProposal, error)
	AcceptMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error
	DismissMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error
}

var _ ImportSource = (*imports.Service)(nil)

// navNeeds hides navigation entries from accounts whose role may not use
// them.
var navNeeds = map[string]access.Permission{"import": access.ImportData}

const (
	importJobsShown   = 50
	mergeProposalsMax = 500
	// maxUploadDefault caps an upload when the server sets no cap.
	maxUploadDefault = 2 << 30
	// uploadTime is how long an upload may take to arrive.
	uploadTime = 30 * time.Minute
)

func (s *Server) importRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /import", s.auth(s.needs("import", s.may(access.ImportData, s.importPage))))
	mux.HandleFunc("POST /import", s.uploadLimits(s.auth(s.needs("import", s.may(access.ImportData, s.importUpload)))))
	mux.HandleFunc("GET /import/merges", s.auth(s.needs("import", s.may(access.ImportData, s.mergesPage))))
	mux.HandleFunc("POST /import/merges/accept", s.auth(s.needs("import", s.may(access.ImportData, s.decideMerge("accept")))))
	mux.HandleFunc("POST /import/merges/dismiss", s.auth(s.needs("import", s.may(access.ImportData, s.decideMerge("dismiss")))))
	mux.HandleFunc("GET /import/{id}", s.auth(s.needs("import", s.may(access.ImportData, s.importJobPage))))
	mux.HandleFunc("POST /import/{id}/start", s.auth(s.needs("import", s.may(access.ImportData, s.importStart))))
	mux.HandleFunc("POST /import/{id}/retry", s.auth(s.needs("import", s.may(access.ImportData, s.importRetry))))
	mux.HandleFunc("POST /import/{id}/discard", s.auth(s.needs("import", s.may(access.ImportData, s.importDiscard))))
}

// uploadLimits lets an upload take its time — the server's read and write
// timeouts are made for small requests — and refuses one larger than the
// cap before reading it.
func (s *Server) uploadLimits(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		limit := s.MaxUpload
		if limit <= 0 {
			limit = maxUploadDefault
		}
		if r.ContentLength > limit+1<<20 {
			s.renderError(w, r, errkind.Errorf(errkind.Invalid, T(langOf(r), "import_too_large"), limit>>20))
			return
		}
		rc := http.NewResponseController(w)
		rc.SetReadDeadline(time.Now().Add(uploadTime))
		rc.SetWriteDeadline(time.Now().Add(uploadTime + 10*time.Minute)) // and the validation
		r.Body = http.MaxBytesReader(w, r.Body, limit+1<<20)
		h(w, r)
	}
}

// mine reports whether the account may see a job: a manager sees all, a
// scoped account the jobs it started.
func mine(u *access.User, j imports.Job) bool {
	return !u.Scoped() || j.CreatedBy == "staff:"+u.Username
}

type importPageData struct {
	Connections []imports.Connection
	Formats     []importer.Format
	Zone        string
	Jobs        []jobRow
	Proposals   int
	Error       string
	MaxMB       int64
}

type jobRow struct {
	imports.Job
	Name string // the file name as shown
}

func (s *Server) importPage(w http.ResponseWriter, r *http.Request) {
	s.renderImportPage(w, r, http.StatusOK, "")
}

// renderImportPage shows the upload form and the jobs; msg is a refused
// upload's reason.
func (s *Server) renderImportPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u := userOf(r)
	ctx := r.Context()
	jobs, err := s.Imports.Jobs(ctx, u.OrgID, importJobsShown)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	props, err := s.visibleProposals(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	limit := s.MaxUpload
	if limit <= 0 {
		limit = maxUploadDefault
	}
	d := importPageData{Connections: s.Imports.ConnectionList(), Formats: importer.Formats, Zone: s.Location.String(), Proposals: len(props), Error: msg, MaxMB: limit >> 20}
	for _, j := range jobs {
		if mine(u, j) {
			d.Jobs = append(d.Jobs, jobRow{Job: j, Name: shortName(j.FileName)})
		}
	}
	p := s.page(r, u, T(langOf(r), "import"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, status, "import", p)
}

// shortName is a file's name without its directories.
func shortName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

func (s *Server) importUpload(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	file, hdr, err := r.FormFile("file")
	if err != nil {
		msg := T(l, "import_no_file")
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			msg = fmt.Sprintf(T(l, "import_too_large"), tooBig.Limit>>20)
		}
		s.renderImportPage(w, r, http.StatusBadRequest, msg)
		return
	}
	defer file.Close()
	up := imports.Upload{FileName: hdr.Filename, Connection: r.PostFormValue("connection"), Format: importer.Format(r.PostFormValue("format")), Zone: strings.TrimSpace(r.PostFormValue("zone"))}
	if up.Zone == s.Location.String() {
		up.Zone = ""
	}
	job, err := s.Imports.Upload(r.Context(), u.OrgID, "staff:"+u.Username, up, file)
	if err != nil {
		var wrong *imports.WrongPlatform
		if errors.As(err, &wrong) {
			want := make([]string, len(wrong.Want))
			for i, p := range wrong.Want {
				want[i] = T(l, "platform_"+p)
			}
			s.renderImportPage(w, r, http.StatusBadRequest, fmt.Sprintf(T(l, "import_wrong_platform"), T(l, "fmt_"+string(wrong.Format)),
				strings.Join(want, T(l, "import_or")), wrong.Connection.Name, T(l, "platform_"+wrong.Connection.Platform)))
			return
		}
		var unknown *importer.Unrecognised
		if errors.As(err, &unknown) {
			s.renderImportPage(w, r, http.StatusBadRequest, T(l, "import_refused")+T(l, "import_not_export_"+unknown.What))
			return
		}
		if errkind.Is(err, errkind.Invalid) {
			s.renderImportPage(w, r, http.StatusBadRequest, T(l, "import_refused")+errkind.Message(err))
			return
		}
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import/"+strconv.FormatInt(job.ID, 10), http.StatusSeeOther)
}

// jobOf reads the job of the path, refusing another account's to a
// scoped one.
func (s *Server) jobOf(r *http.Request) (imports.Job, error) {
	u := userOf(r)
	id, err := pathID(r, "import")
	if err != nil {
		return imports.Job{}, err
	}
	j, err := s.Imports.Job(r.Context(), u.OrgID, id)
	if err != nil {
		return j, err
	}
	if !mine(u, j) {
		return j, errkind.New(errkind.Forbidden, T(langOf(r), "import_not_yours"))
	}
	return j, nil
}

// mapRow is one group of an export on the preview: where it may go.
type mapRow struct {
	importer.GroupSummary
	SkippedText string // why it is not imported, in the reader's language
	Field       string // the form field of its target
	Options     []mapOption
	NewName     string // the name a new group gets
	CanNew      bool
	Unnamed     bool   // the export does not name it
	KindText    string // the export's kind of chat, in the reader's language ("" when not worth showing)
}

// chatKinds are the kinds of chat an export names (Telegram's types, the
// WeChat CSV's private chats) in the operator's words.
var chatKinds = map[string]string{
	"private_group": "ck_group", "private_supergroup": "ck_private_supergroup", "public_supergroup": "ck_public_supergroup",
	"personal_chat": "ck_personal", "bot_chat": "ck_bot", "saved_messages": "ck_saved", "private_channel": "ck_channel",
	"public_channel": "ck_channel", "private chat": "ck_personal",
}

// kindText is an export's kind of chat as the preview shows it: translated
// when known, as written when the export wrote it in Chinese (a QQ
// message group's name), and otherwise not shown (no raw codes on screen).
func kindText(l Lang, kind string) string {
	if k, ok := chatKinds[kind]; ok {
		return T(l, k)
	}
	if hanChar.MatchString(kind) {
		return kind
	}
	return ""
}

type mapOption struct {
	Value, Label string
	Selected     bool
}

type jobData struct {
	Job       imports.Job
	Name      string    // the file's name, without directories
	Started   time.Time // zero: not yet
	Finished  time.Time
	Rows      []mapRow
	Groups    []imports.GroupResult // after the import
	Percent   int
	Running   bool
	CanRetry  bool
	Skipped   []skippedRow
	Proposals int
	Error     string
}

type skippedRow struct {
	Reason string
	Count  int
}

func (s *Server) importJobPage(w http.ResponseWriter, r *http.Request) {
	s.renderJob(w, r, http.StatusOK, "")
}

func (s *Server) renderJob(w http.ResponseWriter, r *http.Request, status int, msg string) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	j, err := s.jobOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := jobData{Job: j, Name: shortName(j.FileName), Percent: j.Percent(), Running: j.Status == imports.Queued || j.Status == imports.Running, Error: msg,
		CanRetry: (j.Status == imports.Failed || j.Status == imports.Interrupted) && j.Upload != ""}
	if j.Status == imports.Uploaded {
		if d.Rows, err = s.mapRows(ctx, u, j, r); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	if j.StartedAt != nil {
		d.Started = *j.StartedAt
	}
	if j.FinishedAt != nil {
		d.Finished = *j.FinishedAt
	}
	d.Groups = j.Result.Groups
	skipped := j.Summary.Skipped
	if j.Status == imports.Done {
		skipped = j.Result.Skipped
		props, err := s.visibleProposals(ctx, u)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.Proposals = len(props)
	}
	for k, n := range skipped {
		d.Skipped = append(d.Skipped, skippedRow{skipText(l, k), n})
	}
	slices.SortFunc(d.Skipped, func(a, b skippedRow) int { return strings.Compare(a.Reason, b.Reason) })
	p := s.page(r, u, fmt.Sprintf("%s · %s", T(l, "import"), shortName(j.FileName)), d)
	p.Flash = s.takeFlash(w, r)
	if d.Running {
		p.Refresh = 2
	}
	s.render(w, status, "import_job", p)
}

// mapRows offers, for each group of an uploaded export, where it may go:
// a group of the job's connection in the account's scope, a new group
// (managers), or nowhere. The form's last choice is kept on a refusal.
func (s *Server) mapRows(ctx context.Context, u *access.User, j imports.Job, r *http.Request) ([]mapRow, error) {
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return nil, err
	}
	groups, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	var targets []community.Group
	byExt := map[string]community.Group{}
	for _, g := range groups {
		if g.Connection == j.Connection && sc.has(g.ID) {
			targets = append(targets, g)
			byExt[g.ExternalID] = g
		}
	}
	slices.SortFunc(targets, func(a, b community.Group) int { return strings.Compare(a.Name, b.Name) })
	l := langOf(r)
	var rows []mapRow
	for _, g := range j.Summary.Groups {
		row := mapRow{GroupSummary: g, Field: "to:" + g.Key, NewName: g.Name, Unnamed: g.Key == "" && g.ID == "", KindText: kindText(l, g.Kind)}
		if g.Skipped != "" {
			row.SkippedText = skipText(l, g.Skipped)
			rows = append(rows, row)
			continue
		}
		own, known := byExt[g.ID] // the export's own id names a group qunzhu has
		row.CanNew = !u.Scoped() && !known
		chosen := r.PostFormValue(row.Field)
		if chosen == "" {
			switch {
			case known:
				chosen = strconv.FormatInt(own.ID, 10)
			case row.CanNew:
				chosen = "new"
			default:
				chosen = "skip"
			}
		}
		if v := r.PostFormValue("name:" + g.Key); v != "" {
			row.NewName = v
		}
		if row.CanNew {
			row.Options = append(row.Options, mapOption{"new", T(l, "import_to_new"), chosen == "new"})
		}
		for _, t := range targets {
			v := strconv.FormatInt(t.ID, 10)
			row.Options = append(row.Options, mapOption{v, t.Name, chosen == v})
		}
		if !row.Unnamed {
			row.Options = append(row.Options, mapOption{"skip", T(l, "import_skip"), chosen == "skip"})
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// plan reads the mapping form into a plan, checking each target is a
// group of the job's connection in the account's scope and that only
// managers create groups.
func (s *Server) plan(ctx context.Context, u *access.User, j imports.Job, r *http.Request) (imports.Plan, error) {
	l := langOf(r)
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return imports.Plan{}, err
	}
	var p imports.Plan
	into := map[string]string{} // target group → the export's group going there
	for _, g := range j.Summary.Groups {
		if g.Skipped != "" {
			continue
		}
		unnamed := g.Key == "" && g.ID == ""
		to := r.PostFormValue("to:" + g.Key)
		name := strings.TrimSpace(r.PostFormValue("name:" + g.Key))
		switch to {
		case "skip":
			if unnamed {
				return p, errkind.New(errkind.Invalid, T(l, "import_choose_target"))
			}
			continue
		case "new":
			if u.Scoped() {
				return p, errkind.New(errkind.Forbidden, T(l, "import_no_new"))
			}
			if unnamed {
				if name == "" {
					return p, errkind.New(errkind.Invalid, T(l, "import_need_name"))
				}
				p.GroupName = name
				continue
			}
			if p.Groups == nil {
				p.Groups, p.Names = map[string]string{}, map[string]string{}
			}
			p.Groups[g.Key] = ""
			if name != "" && name != g.Name {
				p.Names[g.Key] = name
			}
		case "":
			return p, errkind.New(errkind.Invalid, T(l, "import_choose_target"))
		default:
			id, err := strconv.ParseInt(to, 10, 64)
			if err != nil || id <= 0 {
				return p, errkind.Errorf(errkind.Invalid, "%s: %q", T(l, "import_choose_target"), to)
			}
			target, err := s.Store.Group(ctx, u.OrgID, id)
			if errkind.Is(err, errkind.NotFound) {
				return p, errkind.Errorf(errkind.Invalid, T(l, "import_no_group"), id)
			}
			if err != nil {
				return p, err
			}
			if !sc.has(target.ID) {
				return p, errOutOfScope
			}
			if target.Connection != j.Connection {
				return p, errkind.Errorf(errkind.Invalid, T(l, "import_other_connection"), target.Name, j.Connection)
			}
			if unnamed {
				p.Group = target.ExternalID
				continue
			}
			if other, dup := into[target.ExternalID]; dup {
				return p, errkind.Errorf(errkind.Invalid, T(l, "import_same_target"), other, g.Name, target.Name)
			}
			into[target.ExternalID] = g.Name
			if p.Groups == nil {
				p.Groups, p.Names = map[string]string{}, map[string]string{}
			}
			p.Groups[g.Key] = target.ExternalID
		}
	}
	if p.Groups == nil && p.Group == "" && p.GroupName == "" {
		return p, errkind.New(errkind.Invalid, T(l, "import_nothing_chosen"))
	}
	for _, f := range []struct {
		field string
		into  *time.Time
	}{{"since", &p.Since}, {"until", &p.Until}} {
		v := strings.TrimSpace(r.PostFormValue(f.field))
		if v == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", v, s.Location)
		if err != nil {
			return p, errkind.Errorf(errkind.Invalid, T(l, "import_bad_day"), v)
		}
		*f.into = t
	}
	if !p.Until.IsZero() {
		p.Until = p.Until.AddDate(0, 0, 1) // until a day: to its end
	}
	return p, nil
}

func (s *Server) importStart(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	j, err := s.jobOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if j.Status != imports.Uploaded {
		s.setFlash(w, flash{Key: "flash_import_state", Error: true})
		http.Redirect(w, r, "/import/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
		return
	}
	p, err := s.plan(ctx, u, j, r)
	if err == nil {
		err = s.Imports.Start(ctx, u.OrgID, j.ID, p)
	}
	switch {
	case err == nil:
		s.setFlash(w, flash{Key: "flash_import_started"})
	case errkind.Is(err, errkind.Invalid):
		s.renderJob(w, r, http.StatusBadRequest, errkind.Message(err))
		return
	case errkind.Is(err, errkind.Conflict):
		s.setFlash(w, flash{Key: "flash_import_state", Error: true})
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

func (s *Server) importRetry(w http.ResponseWriter, r *http.Request) {
	j, err := s.jobOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	switch err := s.Imports.Retry(r.Context(), userOf(r).OrgID, j.ID); {
	case err == nil:
		s.setFlash(w, flash{Key: "flash_import_started"})
	case errkind.Is(err, errkind.Conflict):
		s.setFlash(w, flash{Key: "flash_import_state", Error: true})
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import/"+strconv.FormatInt(j.ID, 10), http.StatusSeeOther)
}

func (s *Server) importDiscard(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	j, err := s.jobOf(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	back := "/import/" + strconv.FormatInt(j.ID, 10)
	if !s.confirmed(w, r, fmt.Sprintf(T(l, "import_discard_q"), shortName(j.FileName)), back) {
		return
	}
	switch err := s.Imports.Discard(r.Context(), userOf(r).OrgID, j.ID); {
	case err == nil:
		s.setFlash(w, flash{Key: "flash_import_discarded"})
	case errkind.Is(err, errkind.Conflict):
		s.setFlash(w, flash{Key: "flash_import_state", Error: true})
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import", http.StatusSeeOther)
}

// skipReasons translate what the importer says it skipped
// (importer.Summary.Skipped, GroupSummary.Skipped): whole reasons, then
// prefixes followed by the export's own word.
var skipReasons = map[string]string{
	"group not imported": "skip_group", "chat not imported": "skip_group", "not chosen": "skip_not_chosen",
	"system notice": "skip_notice", "message without content": "skip_empty", "message without a sender": "skip_no_sender",
	"before Since": "skip_before", "at or after Until": "skip_after", "unsupported message": "skip_unsupported",
	"member without a name (deleted account)": "skip_deleted", "join without the member": "skip_no_member",
	"private chat (not a group)": "skip_private",
	"edit of a message":          "skip_edit", "deleted message": "skip_redacted", "encrypted message (not decrypted when exported)": "skip_encrypted",
	"invitation": "skip_invite", "invitation declined or withdrawn": "skip_invite_declined", "profile change": "skip_profile",
	"room name removed": "skip_name_removed", "recalled message": "skip_recalled",
}

var skipPrefixes = [][2]string{{"service message ", "skip_service"}, {"message type ", "skip_type"}, {"event type ", "skip_event_type"}, {"membership ", "skip_membership"}, {"type ", "skip_type"}, {"personal chat", "skip_private_section"}}

// matrixEvents names the Matrix event types an import of a room skips
// (its settings, reactions, calls) in the operator's words.
var matrixEvents = map[string]string{
	"m.reaction": "mx_reaction", "m.room.redaction": "mx_redaction", "m.room.power_levels": "mx_power_levels",
	"m.room.topic": "mx_topic", "m.room.avatar": "mx_avatar", "m.room.join_rules": "mx_join_rules",
	"m.room.history_visibility": "mx_history_visibility", "m.room.guest_access": "mx_guest_access",
	"m.room.canonical_alias": "mx_alias", "m.room.pinned_events": "mx_pinned", "m.room.encryption": "mx_encryption",
	"m.room.server_acl": "mx_server_acl", "m.poll.start": "mx_poll", "m.call.invite": "mx_call",
}

func skipText(l Lang, reason string) string {
	if k, ok := skipReasons[reason]; ok {
		return T(l, k)
	}
	if typ, ok := strings.CutPrefix(reason, "event type "); ok {
		if k, ok := matrixEvents[typ]; ok {
			return T(l, k)
		}
	}
	if kind, ok := strings.CutSuffix(reason, " (not a group)"); ok {
		return fmt.Sprintf(T(l, "skip_not_group"), kind)
	}
	for _, p := range skipPrefixes {
		if rest, ok := strings.CutPrefix(reason, p[0]); ok {
			return fmt.Sprintf(T(l, p[1]), strings.TrimSpace(rest))
		}
	}
	return reason
}

// visibleProposals are the merge proposals of the account's groups.
func (s *Server) visibleProposals(ctx context.Context, u *access.User) ([]community.MergeProposal, error) {
	props, err := s.Imports.MergeProposals(ctx, u.OrgID, mergeProposalsMax)
	if err != nil {
		return nil, err
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(props, func(p community.MergeProposal) bool { return !sc.has(p.GroupID) }), nil
}

func (s *Server) mergesPage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	props, err := s.visibleProposals(r.Context(), u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(langOf(r), "merge_proposals"), props)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "import_merges", p)
}

// decideMerge accepts (the two become one person) or dismisses a merge
// proposal. The form names the proposal by its identities; it must still
// be proposed and its group in the account's scope.
func (s *Server) decideMerge(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { s.mergeDecision(w, r, decision) }
}

func (s *Server) mergeDecision(w http.ResponseWriter, r *http.Request, decision string) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	want := community.MergeProposal{Connection: r.PostFormValue("connection"), NameID: r.PostFormValue("name_id"), OtherID: r.PostFormValue("other_id")}
	props, err := s.Imports.MergeProposals(ctx, u.OrgID, mergeProposalsMax)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	i := slices.IndexFunc(props, func(p community.MergeProposal) bool {
		return p.Connection == want.Connection && p.NameID == want.NameID && p.OtherID == want.OtherID
	})
	if i < 0 {
		s.setFlash(w, flash{Key: "flash_merge_gone", Error: true})
		http.Redirect(w, r, "/import/merges", http.StatusSeeOther)
		return
	}
	p := props[i]
	if err := s.inScope(ctx, u, p.GroupID); err != nil {
		s.renderError(w, r, err)
		return
	}
	actor := "staff:" + u.Username
	if decision == "accept" {
		if !s.confirmed(w, r, fmt.Sprintf(T(l, "merge_accept_q"), p.PersonName, p.OtherName, p.GroupName), "/import/merges") {
			return
		}
		err = s.Imports.AcceptMerge(ctx, u.OrgID, p, actor)
	} else {
		err = s.Imports.DismissMerge(ctx, u.OrgID, p, actor)
	}
	switch {
	case err == nil && decision == "accept":
		s.setFlash(w, flash{Key: "flash_merged"})
	case err == nil:
		s.setFlash(w, flash{Key: "flash_merge_dismissed"})
	case errkind.Is(err, errkind.Conflict), errkind.Is(err, errkind.NotFound):
		s.setFlash(w, flash{Key: "flash_merge_gone", Error: true})
	default:
		s.renderError(w, r, err)
		return
	}
	http.Redirect(w, r, "/import/merges", http.StatusSeeOther)
}
