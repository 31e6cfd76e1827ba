package api

import (
	"context"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Structure is the group-structure side of the API: profiles and
// checklists, templates and their "to create" tasks, capacity routing and
// node deletion (docs/group-structure.md). internal/store implements it.
type Structure interface {
	GroupProfile(ctx context.Context, orgID, groupID int64) (community.Profile, error)
	SetGroupProfile(ctx context.Context, orgID int64, p community.Profile, actor string) (community.Profile, error)
	GroupChecklist(ctx context.Context, orgID, groupID int64) ([]community.CheckItem, error)
	CreateTemplate(ctx context.Context, t *community.Template, actor string) error
	Templates(ctx context.Context, orgID int64) ([]community.Template, error)
	ApplyTemplate(ctx context.Context, orgID, templateID, nodeID int64, vars map[string]string, actor string) ([]community.GroupTask, int, error)
	GroupTasks(ctx context.Context, orgID int64, status community.TaskStatus) ([]community.GroupTask, int, error)
	BindTask(ctx context.Context, orgID, taskID, groupID int64, actor string) (community.GroupTask, error)
	RouteJoiner(ctx context.Context, orgID, groupID int64, actor string) (community.Route, bool, error)
	DeleteNode(ctx context.Context, orgID, id, moveTo int64, actor string) (community.NodeDeletion, error)
}

func (s *Server) structureRoutes(mux *http.ServeMux) {
	if s.Structure == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/groups/{id}/profile", s.tokenAuth(s.json(s.getProfile)))
	mux.HandleFunc("PUT /api/v1/groups/{id}/profile", s.tokenAuth(s.may(access.EditGroup, s.json(s.putProfile))))
	mux.HandleFunc("GET /api/v1/groups/{id}/checklist", s.tokenAuth(s.json(s.checklist)))
	mux.HandleFunc("GET /api/v1/groups/{id}/route", s.tokenAuth(s.json(s.route)))
	mux.HandleFunc("GET /api/v1/templates", s.tokenAuth(s.json(s.listTemplates)))
	mux.HandleFunc("POST /api/v1/templates", s.tokenAuth(s.may(access.ApplyTemplate, s.json(s.createTemplate))))
	mux.HandleFunc("POST /api/v1/templates/{id}/apply", s.tokenAuth(s.may(access.ApplyTemplate, s.json(s.applyTemplate))))
	mux.HandleFunc("GET /api/v1/tasks", s.tokenAuth(s.json(s.listTasks)))
	mux.HandleFunc("POST /api/v1/tasks/{id}/bind", s.tokenAuth(s.may(access.ApplyTemplate, s.json(s.bindTask))))
	mux.HandleFunc("DELETE /api/v1/nodes/{id}", s.tokenAuth(s.may(access.EditTree, s.json(s.deleteNode))))
}

// changed tells the ingester to drop its caches after a read that wrote
// (binding a task places its group and sets its kind).
func (s *Server) changed(yes bool) {
	if yes && s.OnChange != nil {
		s.OnChange()
	}
}

// ProfileJSON is a group's profile as the API shows it.
type ProfileJSON struct {
	GroupID     int64      `json:"group_id"`
	Positioning string     `json:"positioning"`
	Threshold   string     `json:"threshold"`
	Rules       string     `json:"rules"`
	KOLs        []int64    `json:"kols"`
	Goal        string     `json:"goal"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

func profileJSON(p community.Profile) ProfileJSON {
	out := ProfileJSON{GroupID: p.GroupID, Positioning: p.Positioning, Threshold: p.Threshold, Rules: p.Rules, KOLs: p.KOLs, Goal: p.Goal, UpdatedBy: p.UpdatedBy}
	if out.KOLs == nil {
		out.KOLs = []int64{}
	}
	if !p.UpdatedAt.IsZero() {
		out.UpdatedAt = &p.UpdatedAt
	}
	return out
}

func (s *Server) getProfile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	p, err := s.Structure.GroupProfile(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(p), nil
}

func (s *Server) putProfile(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Positioning string  `json:"positioning"`
		Threshold   string  `json:"threshold"`
		Rules       string  `json:"rules"`
		KOLs        []int64 `json:"kols"`
		Goal        string  `json:"goal"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	p, err := s.Structure.SetGroupProfile(r.Context(), orgOf(r), community.Profile{GroupID: id, Positioning: in.Positioning,
		Threshold: in.Threshold, Rules: in.Rules, KOLs: in.KOLs, Goal: in.Goal}, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, profileJSON(p), nil
}

// CheckItemJSON is a checklist line as the API shows it.
type CheckItemJSON struct {
	Key     string `json:"key"`
	LabelZH string `json:"label_zh"`
	LabelEN string `json:"label_en"`
	Section string `json:"section"` // "five" (the five things) or "gap"
	Done    bool   `json:"done"`
	Status  string `json:"status"` // done or missing (five), ok or flagged (gap)
	Detail  string `json:"detail"`
}

func (s *Server) checklist(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	items, err := s.Structure.GroupChecklist(r.Context(), orgOf(r), id)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		GroupID  int64           `json:"group_id"`
		Items    []CheckItemJSON `json:"items"`
		Done     int             `json:"done"` // of the five
		Missing  []string        `json:"missing"`
		Flagged  []string        `json:"flagged"`
		Complete bool            `json:"complete"`
	}{GroupID: id, Items: []CheckItemJSON{}, Missing: []string{}, Flagged: []string{}}
	for _, it := range items {
		section := "gap"
		if it.Five {
			section = "five"
		}
		out.Items = append(out.Items, CheckItemJSON{it.Key, it.LabelZH, it.LabelEN, section, it.Done, it.Status(), it.Detail})
		switch {
		case it.Five && it.Done:
			out.Done++
		case it.Five:
			out.Missing = append(out.Missing, it.Key)
		case !it.Done:
			out.Flagged = append(out.Flagged, it.Key)
		}
	}
	out.Complete = len(out.Missing) == 0 && len(out.Flagged) == 0
	return http.StatusOK, out, nil
}

// TemplateStepJSON is a template step as the API takes and shows it.
type TemplateStepJSON struct {
	Kind    string   `json:"kind"`
	Count   int      `json:"count,omitempty"`
	Topics  []string `json:"topics,omitempty"`
	Pattern string   `json:"pattern"`
}

// TemplateJSON is a template as the API takes and shows it.
type TemplateJSON struct {
	ID        int64              `json:"id,omitempty"`
	Name      string             `json:"name"`
	Variables []string           `json:"variables"`
	Steps     []TemplateStepJSON `json:"steps"`
	CreatedAt *time.Time         `json:"created_at,omitempty"`
}

func templateJSON(t community.Template) TemplateJSON {
	out := TemplateJSON{ID: t.ID, Name: t.Name, Variables: t.Variables, Steps: []TemplateStepJSON{}, CreatedAt: &t.CreatedAt}
	if out.Variables == nil {
		out.Variables = []string{}
	}
	for _, st := range t.Steps {
		out.Steps = append(out.Steps, TemplateStepJSON{string(st.Kind), st.Count, st.Topics, st.Pattern})
	}
	return out
}

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ts, err := s.Structure.Templates(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Templates []TemplateJSON `json:"templates"`
	}{Templates: []TemplateJSON{}}
	for _, t := range ts {
		out.Templates = append(out.Templates, templateJSON(t))
	}
	return http.StatusOK, out, nil
}

func (s *Server) createTemplate(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in TemplateJSON
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.ID != 0 || in.CreatedAt != nil {
		return 0, nil, errkind.New(errkind.Invalid, "id and created_at are given by the server")
	}
	t := community.Template{OrgID: orgOf(r), Name: in.Name, Variables: in.Variables}
	for _, st := range in.Steps {
		t.Steps = append(t.Steps, community.TemplateStep{Kind: community.GroupKind(st.Kind), Count: st.Count, Topics: st.Topics, Pattern: st.Pattern})
	}
	if err := s.Structure.CreateTemplate(r.Context(), &t, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, templateJSON(t), nil
}

// TaskJSON is a "to create" task as the API shows it.
type TaskJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Kind       string     `json:"kind"`
	NodeID     int64      `json:"node_id,omitempty"`
	TemplateID int64      `json:"template_id"`
	Step       int        `json:"step"`
	Topic      string     `json:"topic,omitempty"`
	FamilyID   int64      `json:"family_id"`
	N          int        `json:"n"`
	Origin     string     `json:"origin"`
	Status     string     `json:"status"`
	GroupID    int64      `json:"group_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

func taskJSON(t community.GroupTask) TaskJSON {
	return TaskJSON{ID: t.ID, Name: t.Name, Kind: string(t.Kind), NodeID: t.NodeID, TemplateID: t.TemplateID, Step: t.Step, Topic: t.Topic,
		FamilyID: t.FamilyID, N: t.N, Origin: t.Origin, Status: string(t.Status), GroupID: t.GroupID, CreatedAt: t.CreatedAt, DoneAt: t.DoneAt}
}

func tasksJSON(ts []community.GroupTask) []TaskJSON {
	out := make([]TaskJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, taskJSON(t))
	}
	return out
}

func (s *Server) applyTemplate(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Variables map[string]string `json:"variables"`
		NodeID    int64             `json:"node_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	ts, created, err := s.Structure.ApplyTemplate(r.Context(), orgOf(r), id, in.NodeID, in.Variables, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	status := http.StatusOK
	if created > 0 {
		status = http.StatusCreated
	}
	return status, map[string]any{"created": created, "existing": len(ts) - created, "tasks": tasksJSON(ts)}, nil
}

func (s *Server) listTasks(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ts, bound, err := s.Structure.GroupTasks(r.Context(), orgOf(r), community.TaskStatus(r.URL.Query().Get("status")))
	if err != nil {
		return 0, nil, err
	}
	s.changed(bound > 0)
	return http.StatusOK, map[string]any{"bound": bound, "tasks": tasksJSON(ts)}, nil
}

func (s *Server) bindTask(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		GroupID int64 `json:"group_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	t, err := s.Structure.BindTask(r.Context(), orgOf(r), id, in.GroupID, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, taskJSON(t), nil
}

// RouteJSON answers GET /api/v1/groups/{id}/route.
type RouteJSON struct {
	From   GroupJSON  `json:"from"`
	Target string     `json:"target"` // this, family or create
	Group  *GroupJSON `json:"group,omitempty"`
	Task   *TaskJSON  `json:"task,omitempty"`
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	rt, changed, err := s.Structure.RouteJoiner(r.Context(), orgOf(r), id, actorOf(r))
	s.changed(changed && err == nil)
	if err != nil {
		return 0, nil, err
	}
	out := RouteJSON{From: groupJSON(rt.From), Target: rt.Target}
	if rt.Group != nil {
		g := groupJSON(*rt.Group)
		out.Group = &g
	}
	if rt.Task != nil {
		t := taskJSON(*rt.Task)
		out.Task = &t
	}
	return http.StatusOK, out, nil
}

func (s *Server) deleteNode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	moveTo, err := intParam(r, "move_to", 0, 1, 1<<62)
	if err != nil {
		return 0, nil, err
	}
	d, err := s.Structure.DeleteNode(r.Context(), orgOf(r), id, moveTo, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"deleted": d.NodeID, "moved_to": d.MovedTo, "children": d.Children, "groups": d.Groups, "users": d.Users, "tasks": d.Tasks}, nil
}
