package api

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Content is the script library and push schedule the API needs.
type Content interface {
	content.Library
	SetScriptCard(ctx context.Context, orgID, scriptID int64, c content.ScriptCard, actor string) error
	ScriptCardOf(ctx context.Context, orgID, scriptID int64) (content.ScriptCard, error)
	PushResponses(ctx context.Context, orgID int64, from, to time.Time) ([]content.PushResponse, error)
	GroupLinkClicks(ctx context.Context, orgID int64, from, to time.Time) ([]content.GroupLinks, error)
	content.Scheduler
	Pushes(ctx context.Context, groupID int64, from, to time.Time) ([]content.Push, error)
	ContentSettings(ctx context.Context, orgID int64) (content.ContentSettings, error)
	SetSelfApproval(ctx context.Context, orgID int64, allow bool, actor string) error
	DutyRosters(ctx context.Context, orgID int64) ([]content.Roster, error)
	SetDutyRoster(ctx context.Context, orgID, groupID int64, people []int64, actor string) error
	// Content operations (content_ops.go).
	Slots(ctx context.Context, orgID, groupID int64) (content.SlotConfig, error)
	SetSlots(ctx context.Context, orgID, groupID int64, set *content.SlotSet, actor string) (content.SlotConfig, error)
	CreateCadence(ctx context.Context, c *content.Cadence) error
	Cadences(ctx context.Context, orgID int64) ([]content.CadenceInfo, error)
	PauseCadence(ctx context.Context, orgID, id int64, pause bool, actor string) (content.Cadence, error)
	StaffGroup(ctx context.Context, orgID int64) (int64, error)
	SetStaffGroup(ctx context.Context, orgID, groupID int64, actor string) error
	DutyBoard(ctx context.Context, orgID, personID int64, from, to time.Time) ([]content.DutyItem, error)
}

func (s *Server) contentRoutes(mux *http.ServeMux) {
	if s.Content == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/scripts", s.tokenAuth(s.json(s.listScripts)))
	mux.HandleFunc("POST /api/v1/scripts", s.tokenAuth(s.opsRole("contributor", "editor")(s.json(s.createScript))))
	mux.HandleFunc("GET /api/v1/scripts/{id}", s.tokenAuth(s.json(s.getScript)))
	mux.HandleFunc("PATCH /api/v1/scripts/{id}", s.tokenAuth(s.opsRole("editor")(s.json(s.editScript))))
	mux.HandleFunc("POST /api/v1/scripts/{id}/transitions", s.tokenAuth(s.opsRole(access.OpsRoles...)(s.json(s.moveScript))))
	mux.HandleFunc("GET /api/v1/scripts/{id}/revisions", s.tokenAuth(s.json(s.scriptRevisions)))
	mux.HandleFunc("GET /api/v1/scripts/{id}/lint", s.tokenAuth(s.json(s.lintScript)))
	mux.HandleFunc("GET /api/v1/scripts/{id}/card", s.tokenAuth(s.json(s.getScriptCard)))
	mux.HandleFunc("PUT /api/v1/scripts/{id}/card", s.tokenAuth(s.opsRole("editor")(s.json(s.setScriptCard))))
	mux.HandleFunc("POST /api/v1/pushes", s.tokenAuth(s.opsRole("publisher")(s.json(s.planPushes))))
	mux.HandleFunc("GET /api/v1/pushes/{id}", s.tokenAuth(s.json(s.getPush)))
	mux.HandleFunc("POST /api/v1/pushes/{id}/cancel", s.tokenAuth(s.opsRole("publisher")(s.json(s.cancelPush))))
	mux.HandleFunc("POST /api/v1/pushes/{id}/move", s.tokenAuth(s.opsRole("publisher")(s.json(s.movePush))))
	mux.HandleFunc("GET /api/v1/groups/{id}/pushes", s.tokenAuth(s.json(s.groupPushes)))
	mux.HandleFunc("GET /api/v1/pushes/responses", s.tokenAuth(s.json(s.pushResponses)))
	s.contentOpsRoutes(mux)
}

// ScriptJSON is a script as the API shows it.
type ScriptJSON struct {
	ID           int64     `json:"id"`
	Title        string    `json:"title"`
	Body         string    `json:"body"`
	Tags         []string  `json:"tags"`
	Author       string    `json:"author"`
	Status       string    `json:"status"`
	RejectReason string    `json:"reject_reason,omitempty"`
	LintOverride string    `json:"lint_override,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func scriptJSON(sc content.Script) ScriptJSON {
	tags := sc.Tags
	if tags == nil {
		tags = []string{}
	}
	return ScriptJSON{sc.ID, sc.Title, sc.Body, tags, sc.Author, string(sc.Status), sc.RejectReason, sc.LintOverride, sc.CreatedAt, sc.UpdatedAt}
}

func (s *Server) listScripts(w http.ResponseWriter, r *http.Request) (int, any, error) {
	list, err := s.Content.Scripts(r.Context(), orgOf(r), content.Status(r.URL.Query().Get("status")))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Scripts []ScriptJSON `json:"scripts"`
	}{Scripts: []ScriptJSON{}}
	for _, sc := range list {
		out.Scripts = append(out.Scripts, scriptJSON(sc))
	}
	return http.StatusOK, out, nil
}

type scriptIn struct {
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Tags   []string `json:"tags"`
	Author string   `json:"author"`
}

func (s *Server) createScript(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in scriptIn
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Author == "" {
		in.Author = actorOf(r)
	}
	// The token that puts a script in the library is one of its writers
	// whoever it names as the author: it may not approve it.
	sc := content.Script{OrgID: orgOf(r), Title: in.Title, Body: in.Body, Tags: in.Tags, Author: in.Author, CreatedBy: actorOf(r)}
	if err := s.Content.CreateScript(r.Context(), &sc); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, scriptJSON(sc), nil
}

func (s *Server) getScript(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sc, err := s.Content.Script(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scriptJSON(sc), nil
}

// lintScript shows the reviewer what the lint finds in a script: too
// short, pasted without comment, banned categories (through the rules
// engine when configured), hard selling, and (near-)duplicates of scripts
// already scheduled or published. Lint flags; the reviewer decides.
func (s *Server) lintScript(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sc, err := s.Content.Script(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	findings, err := content.LintScript(r.Context(), s.Content, sc, s.LintMatcher)
	if err != nil {
		return 0, nil, err
	}
	if findings == nil {
		findings = []content.Finding{}
	}
	return http.StatusOK, map[string]any{"script": sc.ID, "findings": findings}, nil
}

func (s *Server) editScript(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in scriptIn
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	sc, err := s.Content.EditScript(r.Context(), orgOf(r), id, in.Title, in.Body, in.Tags, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scriptJSON(sc), nil
}

func (s *Server) moveScript(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		To     string `json:"to"`
		Role   string `json:"role"`
		Reason string `json:"reason"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	switch content.Role(in.Role) {
	case content.Contributor, content.Editor, content.Reviewer, content.Publisher:
	default:
		return 0, nil, errkind.Errorf(errkind.Invalid, "role: want contributor, editor, reviewer or publisher, got %q", in.Role)
	}
	if !tokenCan(r, in.Role) {
		return 0, nil, errkind.Errorf(errkind.Forbidden, "this token may not act as %s", in.Role)
	}
	if content.Status(in.To) == content.Approved {
		// Approving what the lint flags as an ad or a banned category
		// needs an admin token and the reason, recorded as the override.
		cur, err := s.Content.Script(r.Context(), orgOf(r), id)
		if err != nil {
			return 0, nil, err
		}
		findings, err := content.LintScript(r.Context(), s.Content, cur, s.LintMatcher)
		if err != nil {
			return 0, nil, err
		}
		if err := content.CheckOverride(findings, in.Reason, tokenIsAdmin(r)); err != nil {
			return 0, nil, err
		}
	}
	sc, err := s.Content.MoveScript(r.Context(), orgOf(r), id, content.Status(in.To), content.Role(in.Role), actorOf(r), in.Reason)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, scriptJSON(sc), nil
}

func (s *Server) scriptRevisions(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	revs, err := s.Content.Revisions(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	type rev struct {
		Title     string    `json:"title"`
		Body      string    `json:"body"`
		Status    string    `json:"status"`
		Editor    string    `json:"editor"`
		Note      string    `json:"note"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := struct {
		Revisions []rev `json:"revisions"`
	}{Revisions: []rev{}}
	for _, v := range revs {
		out.Revisions = append(out.Revisions, rev{v.Title, v.Body, string(v.Status), v.Editor, v.Note, v.CreatedAt})
	}
	return http.StatusOK, out, nil
}

// PushJSON is a planned push as the API shows it.
type PushJSON struct {
	ID        int64     `json:"id"`
	ScriptID  int64     `json:"script_id"`
	GroupID   int64     `json:"group_id"`
	Slot      string    `json:"slot,omitempty"`
	WantAt    time.Time `json:"want_at"`
	PlannedAt time.Time `json:"planned_at"`
	Status    string    `json:"status"`
	Deferred  bool      `json:"deferred"`
	Reason    string    `json:"reason,omitempty"`
	// DutyPerson is the assistant on duty to follow the push up (0: the
	// group has no assistant).
	DutyPerson int64 `json:"duty_person,omitempty"`
	// The receipt once sent: pending, done or dead (with the error).
	Delivery      string     `json:"delivery,omitempty"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	DeliveryError string     `json:"delivery_error,omitempty"`
	// While pending: what the platform waits for, when it accepted the
	// push but has not sent it (owner_confirm: a WeCom 群发 its group
	// owner must confirm; platform_report: confirmed, not reported sent
	// yet), and its words.
	PendingFor    string `json:"pending_for,omitempty"`
	PendingReason string `json:"pending_reason,omitempty"`
}

func pushJSON(p content.Push) PushJSON {
	return PushJSON{p.ID, p.ScriptID, p.GroupID, p.Slot, p.WantAt, p.PlannedAt, string(p.Status), !p.PlannedAt.Equal(p.WantAt), p.Reason, p.DutyPerson,
		p.Delivery, p.DeliveredAt, p.DeliveryError, p.PendingFor, p.PendingReason}
}

// planPushes plans one script into many groups: the groups listed, or
// every active group of a kind and/or under a tree node (the node or any
// below it), at a named peak on a date or at a time. Each group's peaks
// are its own slots (or its organisation's, or the defaults: morning
// 07:30, noon 12:00, evening 20:30 in the server's zone), the date and the
// caps' days in its zone; its quiet hours and caps are its own rules'
// (quiet narrows the quiet hours for these pushes).
func (s *Server) planPushes(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		ScriptID int64   `json:"script_id"`
		GroupIDs []int64 `json:"group_ids"`
		Kind     string  `json:"kind"`
		NodeID   int64   `json:"node_id"`
		TagID    int64   `json:"tag_id"` // a group tag: its groups, with those listed
		Date     string  `json:"date"`   // 2026-11-26, with slot
		Slot     string  `json:"slot"`   // morning, noon, evening
		At       string  `json:"at"`     // or an exact RFC 3339 time
		Quiet    string  `json:"quiet"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	when, err := whenOf(in.Date, in.Slot, in.At)
	if err != nil {
		return 0, nil, err
	}
	win := community.Window{}
	if in.Quiet != "" {
		w, err := community.ParseWindow(in.Quiet)
		if err != nil {
			return 0, nil, errkind.Errorf(errkind.Invalid, "quiet: %v", err)
		}
		win = w
	}
	ps, err := content.PlanPushes(r.Context(), s.Content, content.PlanRequest{OrgID: orgOf(r), ScriptID: in.ScriptID,
		Select: content.Selector{GroupIDs: in.GroupIDs, Kind: in.Kind, NodeID: in.NodeID, TagID: in.TagID}, When: when, Window: win, Actor: actorOf(r)})
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Pushes []PushJSON `json:"pushes"`
	}{Pushes: []PushJSON{}}
	for _, p := range ps {
		out.Pushes = append(out.Pushes, pushJSON(p))
	}
	return http.StatusCreated, out, nil
}

// whenOf reads when a push is wanted: a date and a peak, or an RFC 3339
// time.
func whenOf(date, slot, at string) (content.When, error) {
	w := content.When{Date: date, Slot: slot}
	if at != "" {
		t, err := time.Parse(time.RFC3339, at)
		if err != nil {
			return w, errkind.Errorf(errkind.Invalid, "at: not RFC 3339: %q", at)
		}
		w = content.When{At: t}
	}
	return w, w.Check()
}

func (s *Server) getPush(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.Content.Push(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pushJSON(p.Push), nil
}

// cancelPush cancels a planned push: POST /api/v1/pushes/{id}/cancel.
func (s *Server) cancelPush(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := content.CancelPush(r.Context(), s.Content, orgOf(r), id, nil, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pushJSON(p), nil
}

// movePush moves a planned push to a peak on a date or to a time:
// POST /api/v1/pushes/{id}/move {"date","slot"} or {"at"}; it is fitted
// into its group's day again (deferred with the reasons when it must be),
// and refused (409) when nothing fits.
func (s *Server) movePush(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Date string `json:"date"`
		Slot string `json:"slot"`
		At   string `json:"at"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	when, err := whenOf(in.Date, in.Slot, in.At)
	if err != nil {
		return 0, nil, err
	}
	p, err := content.MovePush(r.Context(), s.Content, orgOf(r), id, when, nil, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, pushJSON(p), nil
}

func (s *Server) groupPushes(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	now := time.Now()
	ps, err := s.Content.Pushes(r.Context(), g.ID, now.Add(-7*24*time.Hour), now.Add(30*24*time.Hour))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Pushes []PushJSON `json:"pushes"`
	}{Pushes: []PushJSON{}}
	for _, p := range ps {
		out.Pushes = append(out.Pushes, pushJSON(p))
	}
	return http.StatusOK, out, nil
}

// pushResponses measures the pushes sent in the last ?days= days (7 by
// default): each push's response, the scripts ranked by response, and the
// duty roster's coverage (pushes followed up by staff within 15 minutes);
// each push's short links' clicks and visitors, and the same by group.
func (s *Server) pushResponses(w http.ResponseWriter, r *http.Request) (int, any, error) {
	days, err := intParam(r, "days", 7, 1, 90)
	if err != nil {
		return 0, nil, err
	}
	now := s.now()
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	list, err := s.Content.PushResponses(r.Context(), orgOf(r), from, now)
	if err != nil {
		return 0, nil, err
	}
	links, err := s.Content.GroupLinkClicks(r.Context(), orgOf(r), from, now)
	if err != nil {
		return 0, nil, err
	}
	type push struct {
		ID           int64     `json:"id"`
		ScriptID     int64     `json:"script_id"`
		Title        string    `json:"title"`
		GroupID      int64     `json:"group_id"`
		Group        string    `json:"group"`
		Slot         string    `json:"slot,omitempty"`
		SentAt       time.Time `json:"sent_at"`
		DutyPerson   int64     `json:"duty_person,omitempty"`
		Duty         string    `json:"duty,omitempty"`
		Posts30      int       `json:"posts_30m"`
		Posts60      int       `json:"posts_60m"`
		Posts1440    int       `json:"posts_24h"`
		Members60    int       `json:"members_60m"`
		Replies      int       `json:"replies"`
		FollowedUp   bool      `json:"followed_up"`
		FollowUpSecs int       `json:"follow_up_seconds,omitempty"`
		ByDuty       bool      `json:"by_duty"`
		Baseline     float64   `json:"baseline_60m"`
		BaselineDays int       `json:"baseline_days"`
		Uplift       float64   `json:"uplift_60m"`
		Links        int       `json:"links"`
		Clicks       int       `json:"clicks"`
		Visitors     int       `json:"visitors"`
	}
	type groupLinks struct {
		GroupID  int64  `json:"group_id"`
		Group    string `json:"group"`
		Pushes   int    `json:"pushes"`
		Links    int    `json:"links"`
		Clicks   int    `json:"clicks"`
		Visitors int    `json:"visitors"`
	}
	type scriptRank struct {
		ScriptID  int64   `json:"script_id"`
		Title     string  `json:"title"`
		Pushes    int     `json:"pushes"`
		AvgPosts  float64 `json:"avg_posts_60m"`
		AvgUplift float64 `json:"avg_uplift_60m"`
	}
	type duty struct {
		Person     int64  `json:"person_id"`
		Name       string `json:"name"`
		Pushes     int    `json:"pushes"`
		FollowedUp int    `json:"followed_up"`
	}
	out := struct {
		Pushes   []push       `json:"pushes"`
		Links    []groupLinks `json:"links"`
		Scripts  []scriptRank `json:"scripts"`
		Duty     []duty       `json:"duty"`
		Coverage struct {
			Pushes     int     `json:"pushes"`
			FollowedUp int     `json:"followed_up"`
			Rate       float64 `json:"rate"`
		} `json:"coverage"`
	}{Pushes: []push{}, Links: []groupLinks{}, Scripts: []scriptRank{}, Duty: []duty{}}
	for _, g := range links {
		out.Links = append(out.Links, groupLinks{g.GroupID, g.Group, g.Pushes, g.Links, g.Clicks, g.Visitors})
	}
	scripts := map[int64]*scriptRank{}
	duties := map[int64]*duty{}
	for _, p := range list {
		out.Pushes = append(out.Pushes, push{p.PushID, p.ScriptID, p.Title, p.GroupID, p.Group, p.Slot, p.SentAt, p.DutyPerson, p.DutyName,
			p.Posts30, p.Posts60, p.Posts1440, p.Members60, p.Replies, p.FollowedUp, int(p.FollowUp / time.Second), p.ByDuty, p.Baseline, p.BaselineDays, p.Uplift,
			p.Links, p.Clicks, p.Visitors})
		sr := scripts[p.ScriptID]
		if sr == nil {
			sr = &scriptRank{ScriptID: p.ScriptID, Title: p.Title}
			scripts[p.ScriptID] = sr
		}
		sr.Pushes++
		sr.AvgPosts += float64(p.Posts60)
		sr.AvgUplift += p.Uplift
		out.Coverage.Pushes++
		if p.FollowedUp {
			out.Coverage.FollowedUp++
		}
		if p.DutyPerson != 0 {
			d := duties[p.DutyPerson]
			if d == nil {
				d = &duty{Person: p.DutyPerson, Name: p.DutyName}
				duties[p.DutyPerson] = d
			}
			d.Pushes++
			if p.ByDuty {
				d.FollowedUp++
			}
		}
	}
	if out.Coverage.Pushes > 0 {
		out.Coverage.Rate = float64(out.Coverage.FollowedUp) / float64(out.Coverage.Pushes)
	}
	for _, sr := range scripts {
		sr.AvgPosts /= float64(sr.Pushes)
		sr.AvgUplift /= float64(sr.Pushes)
		out.Scripts = append(out.Scripts, *sr)
	}
	sort.Slice(out.Scripts, func(i, j int) bool {
		if out.Scripts[i].AvgUplift != out.Scripts[j].AvgUplift {
			return out.Scripts[i].AvgUplift > out.Scripts[j].AvgUplift
		}
		return out.Scripts[i].ScriptID < out.Scripts[j].ScriptID
	})
	for _, d := range duties {
		out.Duty = append(out.Duty, *d)
	}
	sort.Slice(out.Duty, func(i, j int) bool { return out.Duty[i].Person < out.Duty[j].Person })
	return http.StatusOK, out, nil
}
