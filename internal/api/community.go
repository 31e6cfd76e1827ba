package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Admin is the write side the organisation API needs. internal/store
// implements it.
type Admin interface {
	Nodes(ctx context.Context, orgID int64) ([]community.Node, error)
	AddNode(ctx context.Context, n *community.Node, actor string) error
	UpdateNode(ctx context.Context, orgID, id int64, name *string, parentID *int64, actor string) (community.Node, error)
	UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error)
	community.Partners
	community.Growth
	BanEverywhere(ctx context.Context, orgID, personID int64, reason, actor string) (int, error)
	ReportCases(ctx context.Context, orgID int64, status string) ([]community.ReportCase, error)
	DecideReport(ctx context.Context, orgID, caseID int64, uphold bool, action chat.ActionKind, note, actor string) error
	FileAppeal(ctx context.Context, orgID, personID int64, text string) (int64, error)
	DecideAppeal(ctx context.Context, orgID, appealID int64, accept bool, note, actor string) error
	LiftBan(ctx context.Context, orgID, personID int64, actor string) (int, error)
	OpenEvent(ctx context.Context, r community.EventRequest) (community.SignupList, error)
	Event(ctx context.Context, orgID, id int64) (community.SignupList, error)
	Events(ctx context.Context, orgID, groupID int64) ([]community.SignupList, error)
	EventChange(ctx context.Context, orgID, id int64, op string, personID int64, actor string) (community.SignupList, error)
	CancelEvent(ctx context.Context, orgID, id int64, reason, actor string) (community.SignupList, error)
	SetPartnerTiers(ctx context.Context, orgID, levelID int64, bands []community.TierBand, actor string) error
	SetEligibility(ctx context.Context, orgID, groupID, levelID int64, handling string, grace time.Duration, actor string) error
	ClearEligibility(ctx context.Context, orgID, groupID int64, actor string) error
	Eligibility(ctx context.Context, orgID, groupID int64) (*community.Eligibility, error)
	EligibilityCases(ctx context.Context, orgID int64, status string) ([]community.EligibilityCase, error)
	DecideEligibility(ctx context.Context, orgID, caseID int64, approve bool, actor string) error
	CampaignGrowth(ctx context.Context, orgID, campaignID int64) (community.CampaignGrowth, error)
	AdmitPartner(ctx context.Context, orgID, levelID, entityID, personID int64, actor string) (community.Admission, error)
	UpdatePartnerLevel(ctx context.Context, orgID, levelID int64, p community.LevelPatch, actor string) (community.PartnerLevel, []community.PartnerNotice, error)
	ReleasePartnerSeat(ctx context.Context, orgID, seatID int64, actor string) (community.SeatRelease, error)
	PartnerWaitlist(ctx context.Context, orgID, levelID, entityID int64) ([]community.Waiting, error)
	CreateCampaignBy(ctx context.Context, c *community.Campaign, actor string) error
	ArchiveCampaignBy(ctx context.Context, orgID, id int64, actor string) error
	CreateInviteCodeBy(ctx context.Context, c *community.InviteCode, actor string) error
	Campaigns(ctx context.Context, orgID int64) ([]community.CampaignSummary, error)
	MergePeople(ctx context.Context, orgID, from, into int64, actor string) error
	SetGroupRole(ctx context.Context, c community.RoleChange) (community.RoleChanged, error)
	FindPeople(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error)
	SetInviteURL(ctx context.Context, orgID, groupID int64, url, actor string) error
	JoinLink(ctx context.Context, code string) (community.JoinTarget, error)
	RegenerateInviteCode(ctx context.Context, orgID, id int64, actor string) (community.InviteCode, error)
	Appeals(ctx context.Context, orgID int64, status string) ([]community.Appeal, error)
}

func (s *Server) adminRoutes(mux *http.ServeMux) {
	if s.Admin == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/nodes", s.tokenAuth(s.json(s.listNodes)))
	mux.HandleFunc("POST /api/v1/nodes", s.tokenAuth(s.may(access.EditTree, s.json(s.createNode))))
	mux.HandleFunc("PATCH /api/v1/nodes/{id}", s.tokenAuth(s.may(access.EditTree, s.json(s.patchNode))))
	mux.HandleFunc("PATCH /api/v1/groups/{id}", s.tokenAuth(s.may(access.EditGroup, s.json(s.patchGroup))))
	mux.HandleFunc("GET /api/v1/partner-levels", s.tokenAuth(s.json(s.listLevels)))
	mux.HandleFunc("POST /api/v1/partner-levels", s.tokenAuth(s.may(access.ManagePartners, s.json(s.createLevel))))
	mux.HandleFunc("POST /api/v1/partner-levels/{id}/admissions", s.tokenAuth(s.may(access.ManagePartners, s.json(s.admit))))
	mux.HandleFunc("GET /api/v1/partner-levels/{id}/seats", s.tokenAuth(s.json(s.listSeats)))
	mux.HandleFunc("PUT /api/v1/partner-levels/{id}/tiers", s.tokenAuth(s.may(access.ManagePartners, s.json(s.setTiers))))
	mux.HandleFunc("PATCH /api/v1/partner-levels/{id}", s.tokenAuth(s.may(access.ManagePartners, s.json(s.patchLevel))))
	mux.HandleFunc("GET /api/v1/partner-levels/{id}/waitlist", s.tokenAuth(s.json(s.listWaitlist)))
	mux.HandleFunc("POST /api/v1/partner-seats/{id}/release", s.tokenAuth(s.may(access.ManagePartners, s.json(s.releaseSeat))))
	mux.HandleFunc("GET /api/v1/campaigns", s.tokenAuth(s.json(s.listCampaigns)))
	mux.HandleFunc("POST /api/v1/campaigns", s.tokenAuth(s.may(access.ManageGrowth, s.json(s.createCampaign))))
	mux.HandleFunc("POST /api/v1/campaigns/{id}/archive", s.tokenAuth(s.may(access.ManageGrowth, s.json(s.archiveCampaign))))
	mux.HandleFunc("GET /api/v1/campaigns/{id}/growth", s.tokenAuth(s.json(s.campaignGrowth)))
	mux.HandleFunc("POST /api/v1/people/{id}/merge", s.tokenAuth(s.may(access.MergePeople, s.json(s.mergePeople))))
	mux.HandleFunc("PUT /api/v1/groups/{id}/invite-link", s.tokenAuth(s.may(access.EditGroup, s.json(s.setInviteLink))))
	mux.HandleFunc("GET /join/{code}", s.joinLink) // public: printed on posters
	mux.HandleFunc("PUT /api/v1/groups/{id}/members/{person}/role", s.tokenAuth(s.may(access.SetStaffRole, s.json(s.setMemberRole))))
	mux.HandleFunc("GET /api/v1/people", s.tokenAuth(s.json(s.findPeople)))
	mux.HandleFunc("POST /api/v1/invite-codes", s.tokenAuth(s.may(access.ManageGrowth, s.json(s.createCode))))
	mux.HandleFunc("POST /api/v1/invite-codes/{id}/regenerate", s.tokenAuth(s.may(access.ManageGrowth, s.json(s.regenerateCode))))
	mux.HandleFunc("GET /api/v1/people/{id}/referrals", s.tokenAuth(s.json(s.referrals)))
	mux.HandleFunc("GET /api/v1/leaderboards/inviters", s.tokenAuth(s.json(s.topInviters)))
	mux.HandleFunc("POST /api/v1/people/{id}/ban", s.tokenAuth(s.may(access.BanOrgWide, s.json(s.ban))))
	mux.HandleFunc("GET /api/v1/reports", s.tokenAuth(s.json(s.listReports)))
	mux.HandleFunc("POST /api/v1/reports/{id}/decision", s.tokenAuth(s.may(access.Moderate, s.json(s.decideReport))))
	mux.HandleFunc("POST /api/v1/appeals", s.tokenAuth(s.may(access.Moderate, s.json(s.fileAppeal))))
	mux.HandleFunc("GET /api/v1/appeals", s.tokenAuth(s.json(s.listAppeals)))
	mux.HandleFunc("POST /api/v1/appeals/{id}/decision", s.tokenAuth(s.may(access.BanOrgWide, s.json(s.decideAppeal))))
	mux.HandleFunc("DELETE /api/v1/people/{id}/ban", s.tokenAuth(s.may(access.BanOrgWide, s.json(s.unban))))
	mux.HandleFunc("GET /api/v1/groups/{id}/events", s.tokenAuth(s.json(s.listEvents)))
	mux.HandleFunc("GET /api/v1/groups/{id}/eligibility", s.tokenAuth(s.json(s.getEligibility)))
	mux.HandleFunc("PUT /api/v1/groups/{id}/eligibility", s.tokenAuth(s.may(access.ManagePartners, s.json(s.putEligibility))))
	mux.HandleFunc("DELETE /api/v1/groups/{id}/eligibility", s.tokenAuth(s.may(access.ManagePartners, s.json(s.deleteEligibility))))
	mux.HandleFunc("GET /api/v1/eligibility-cases", s.tokenAuth(s.json(s.listEligibilityCases)))
	mux.HandleFunc("POST /api/v1/eligibility-cases/{id}/decision", s.tokenAuth(s.may(access.ManagePartners, s.json(s.decideEligibility))))
	mux.HandleFunc("POST /api/v1/groups/{id}/events", s.tokenAuth(s.may(access.RunEvents, s.json(s.openEvent))))
	mux.HandleFunc("GET /api/v1/events/{id}", s.tokenAuth(s.json(s.getEvent)))
	for _, op := range []string{"close", "cancel", "checkin", "undo-checkin"} {
		mux.HandleFunc("POST /api/v1/events/{id}/"+op, s.tokenAuth(s.may(access.RunEvents, s.json(s.changeEvent(op)))))
	}
	mux.HandleFunc("POST /api/v1/events/{id}/cancel-event", s.tokenAuth(s.may(access.RunEvents, s.json(s.cancelEvent))))
}

// may wraps a write that needs permission p (internal/access): the
// token's scope must allow it — an admin token may do everything, a read
// token nothing, an ops token what its roles do (access.Token.May). A
// token's scope is its organisation, and every object is looked up in it.
// After a write the ingester's caches are dropped (OnChange).
func (s *Server) may(p access.Permission, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := tokenOf(r).Check(p); err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		h(w, r)
		if s.OnChange != nil {
			s.OnChange()
		}
	}
}

// tokenOf is the request's API token (tokenAuth put it there).
func tokenOf(r *http.Request) access.Token {
	t, _ := r.Context().Value(tokenKey{}).(access.Token)
	return t
}

func actorOf(r *http.Request) string {
	return "api:" + tokenOf(r).Name
}

// decodeOptional decodes a JSON body strictly into v, leaving v as it is
// when there is no body.
func (s *Server) decodeOptional(w http.ResponseWriter, r *http.Request, v any) error {
	return s.decode(w, r, v, true)
}

// decodeBody decodes a JSON body strictly into v.
func (s *Server) decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	return s.decode(w, r, v, false)
}

func (s *Server) decode(w http.ResponseWriter, r *http.Request, v any, optional bool) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if optional && errors.Is(err, io.EOF) {
			return nil
		}
		return errkind.Errorf(errkind.Invalid, "body: %v", err)
	}
	if dec.More() {
		return errkind.New(errkind.Invalid, "body: one JSON object expected")
	}
	return nil
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errkind.Errorf(errkind.Invalid, "id %q: want a positive whole number", r.PathValue("id"))
	}
	return id, nil
}

// NodeJSON is a tree node as the API shows it.
type NodeJSON struct {
	ID       int64  `json:"id"`
	ParentID int64  `json:"parent_id,omitempty"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
}

func nodeJSON(n community.Node) NodeJSON {
	return NodeJSON{ID: n.ID, ParentID: n.ParentID, Name: n.Name, Kind: string(n.Kind)}
}

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ns, err := s.Admin.Nodes(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Nodes []NodeJSON `json:"nodes"`
	}{Nodes: []NodeJSON{}}
	for _, n := range ns {
		out.Nodes = append(out.Nodes, nodeJSON(n))
	}
	return http.StatusOK, out, nil
}

func (s *Server) createNode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		ParentID int64  `json:"parent_id"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	n := community.Node{OrgID: orgOf(r), ParentID: in.ParentID, Name: in.Name, Kind: community.NodeKind(in.Kind)}
	if err := s.Admin.AddNode(r.Context(), &n, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, nodeJSON(n), nil
}

func (s *Server) patchNode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Name     *string `json:"name"`
		ParentID *int64  `json:"parent_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	n, err := s.Admin.UpdateNode(r.Context(), orgOf(r), id, in.Name, in.ParentID, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, nodeJSON(n), nil
}

func (s *Server) patchGroup(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Name      *string    `json:"name"`
		NodeID    *int64     `json:"node_id"`
		Kind      *string    `json:"kind"`
		Capacity  *int       `json:"capacity"`
		Lifecycle *string    `json:"lifecycle"`
		ExpiresAt *time.Time `json:"expires_at"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	p := community.GroupPatch{Name: in.Name, NodeID: in.NodeID, Capacity: in.Capacity}
	if in.Kind != nil {
		k := community.GroupKind(*in.Kind)
		p.Kind = &k
	}
	if in.Lifecycle != nil {
		l := community.Lifecycle(*in.Lifecycle)
		p.Lifecycle = &l
	}
	if in.ExpiresAt != nil {
		p.ExpiresAt = &in.ExpiresAt
	}
	g, err := s.Admin.UpdateGroup(r.Context(), orgOf(r), id, p, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, groupJSON(g), nil
}

// LevelJSON is a partner level as the API shows it.
type LevelJSON struct {
	ID         int64                `json:"id"`
	Slug       string               `json:"slug"`
	Name       string               `json:"name"`
	Rank       int                  `json:"rank"`
	Cap        int                  `json:"cap"`
	ReuseSeats bool                 `json:"reuse_seats"`
	Tiers      []community.TierBand `json:"tiers"`
}

func levelJSON(l community.PartnerLevel) LevelJSON {
	return LevelJSON{l.ID, l.Slug, l.Name, l.Rank, l.Cap, l.ReuseSeats, l.Bands()}
}

func (s *Server) listLevels(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ls, err := s.Admin.PartnerLevels(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Levels []LevelJSON `json:"levels"`
	}{Levels: []LevelJSON{}}
	for _, l := range ls {
		out.Levels = append(out.Levels, levelJSON(l))
	}
	return http.StatusOK, out, nil
}

func (s *Server) createLevel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in LevelJSON
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	l := community.PartnerLevel{OrgID: orgOf(r), Slug: in.Slug, Name: in.Name, Rank: in.Rank, Cap: in.Cap, ReuseSeats: in.ReuseSeats, Tiers: in.Tiers}
	if l.Cap == 0 {
		l.Cap = community.DefaultPartnerCap
	}
	if err := s.Admin.CreatePartnerLevel(r.Context(), &l); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, levelJSON(l), nil
}

// SeatJSON is a seat with its tier.
type SeatJSON struct {
	ID         int64     `json:"id"`
	Number     int       `json:"number"`
	Tier       string    `json:"tier"`
	TierName   string    `json:"tier_name"`
	PersonID   int64     `json:"person_id"`
	EntityID   int64     `json:"entity_id"`
	AdmittedAt time.Time `json:"admitted_at"`
}

func seatJSON(st community.Seat, bands []community.TierBand) SeatJSON {
	tier, _ := community.TierOf(st.Number, bands)
	return SeatJSON{ID: st.ID, Number: st.Number, Tier: tier.Slug, TierName: tier.Name, PersonID: st.PersonID, EntityID: st.EntityID, AdmittedAt: st.AdmittedAt}
}

// setTiers replaces a level's tier bands: PUT {"tiers":[{"from":1,"to":10,
// "slug":"founding","name":"创始合伙人"},…]}; an empty list restores the
// seed's bands.
func (s *Server) setTiers(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Tiers []community.TierBand `json:"tiers"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if len(in.Tiers) == 0 {
		in.Tiers = nil
	}
	if err := s.Admin.SetPartnerTiers(r.Context(), orgOf(r), id, in.Tiers, actorOf(r)); err != nil {
		return 0, nil, err
	}
	l, err := s.level(r, id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, levelJSON(l), nil
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		EntityID int64 `json:"entity_id"`
		PersonID int64 `json:"person_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.EntityID <= 0 || in.PersonID <= 0 {
		return 0, nil, errkind.New(errkind.Invalid, "entity_id and person_id are required")
	}
	lvl, err := s.level(r, id)
	if err != nil {
		return 0, nil, err
	}
	a, err := s.Admin.AdmitPartner(r.Context(), orgOf(r), id, in.EntityID, in.PersonID, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	if a.Waitlisted {
		return http.StatusAccepted, map[string]any{"waitlisted": true, "position": a.Position}, nil
	}
	return http.StatusCreated, map[string]any{"admitted": true, "seat": seatJSON(a.Seat, lvl.Bands())}, nil
}

// level finds one of the organisation's partner levels.
func (s *Server) level(r *http.Request, id int64) (community.PartnerLevel, error) {
	ls, err := s.Admin.PartnerLevels(r.Context(), orgOf(r))
	if err != nil {
		return community.PartnerLevel{}, err
	}
	for _, l := range ls {
		if l.ID == id {
			return l, nil
		}
	}
	return community.PartnerLevel{}, errkind.Errorf(errkind.NotFound, "partner level %d not found", id)
}

func (s *Server) listSeats(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	lvl, err := s.level(r, id)
	if err != nil {
		return 0, nil, err
	}
	entity, err := intParam(r, "entity_id", 0, 1, 1<<62)
	if err != nil || entity == 0 {
		return 0, nil, errkind.New(errkind.Invalid, "entity_id: required, a node id")
	}
	seats, err := s.Admin.Seats(r.Context(), id, entity)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Seats []SeatJSON `json:"seats"`
	}{Seats: []SeatJSON{}}
	for _, st := range seats {
		out.Seats = append(out.Seats, seatJSON(st, lvl.Bands()))
	}
	return http.StatusOK, out, nil
}

// patchLevel renames a level or changes its cap: PATCH {"name":…,
// "cap":…}. A higher cap seats people waiting; they are listed as moved_up.
func (s *Server) patchLevel(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Name *string `json:"name"`
		Cap  *int    `json:"cap"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Name == nil && in.Cap == nil {
		return 0, nil, errkind.New(errkind.Invalid, "give name, cap or both")
	}
	l, moved, err := s.Admin.UpdatePartnerLevel(r.Context(), orgOf(r), id, community.LevelPatch{Name: in.Name, Cap: in.Cap}, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		LevelJSON
		MovedUp []NoticeJSON `json:"moved_up"`
	}{LevelJSON: levelJSON(l), MovedUp: []NoticeJSON{}}
	for _, n := range moved {
		out.MovedUp = append(out.MovedUp, noticeJSON(n))
	}
	return http.StatusOK, out, nil
}

// NoticeJSON is a move up from a waitlist and where the person was told
// (group_id 0: nowhere, staff must tell them).
type NoticeJSON struct {
	PersonID int64  `json:"person_id"`
	Person   string `json:"person"`
	LevelID  int64  `json:"level_id"`
	EntityID int64  `json:"entity_id"`
	Number   int    `json:"number"`
	Tier     string `json:"tier"`
	GroupID  int64  `json:"group_id"`
	Lang     string `json:"lang,omitempty"`
	Text     string `json:"text,omitempty"`
}

func noticeJSON(n community.PartnerNotice) NoticeJSON {
	return NoticeJSON{n.PersonID, n.Person, n.LevelID, n.EntityID, n.Number, n.Tier, n.GroupID, n.Lang, n.Text}
}

// releaseSeat frees a seat: POST /api/v1/partner-seats/{id}/release. The
// first person waiting moves up and is told (moved_up; null when nobody
// waits).
func (s *Server) releaseSeat(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	rel, err := s.Admin.ReleasePartnerSeat(r.Context(), orgOf(r), id, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := map[string]any{"released": id, "person_id": rel.Released.PersonID, "number": rel.Released.Number, "moved_up": nil}
	if rel.Promoted != nil {
		out["moved_up"] = noticeJSON(*rel.Promoted)
	}
	return http.StatusOK, out, nil
}

// listWaitlist is who waits for a level at an entity, first first:
// GET /api/v1/partner-levels/{id}/waitlist?entity_id=N.
func (s *Server) listWaitlist(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	if _, err := s.level(r, id); err != nil {
		return 0, nil, err
	}
	entity, err := intParam(r, "entity_id", 0, 1, 1<<62)
	if err != nil || entity == 0 {
		return 0, nil, errkind.New(errkind.Invalid, "entity_id: required, a node id")
	}
	list, err := s.Admin.PartnerWaitlist(r.Context(), orgOf(r), id, entity)
	if err != nil {
		return 0, nil, err
	}
	type waiting struct {
		Position int       `json:"position"`
		PersonID int64     `json:"person_id"`
		Person   string    `json:"person"`
		Since    time.Time `json:"since"`
	}
	out := struct {
		Waitlist []waiting `json:"waitlist"`
	}{Waitlist: []waiting{}}
	for _, x := range list {
		out.Waitlist = append(out.Waitlist, waiting{x.Position, x.PersonID, x.Person, x.Since})
	}
	return http.StatusOK, out, nil
}

// CampaignJSON is a campaign as the API shows it.
type CampaignJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	NodeID     int64      `json:"node_id,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ArchivedAt *time.Time `json:"archived_at,omitempty"`
	Codes      int        `json:"codes"`
	Members    int        `json:"members"`
}

func (s *Server) listCampaigns(w http.ResponseWriter, r *http.Request) (int, any, error) {
	list, err := s.Admin.Campaigns(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Campaigns []CampaignJSON `json:"campaigns"`
	}{Campaigns: []CampaignJSON{}}
	for _, c := range list {
		out.Campaigns = append(out.Campaigns, CampaignJSON{c.ID, c.Name, c.NodeID, c.CreatedAt, c.ArchivedAt, c.Codes, c.Members})
	}
	return http.StatusOK, out, nil
}

// createCampaign adds a campaign: POST {"name":…, "node_id":…} (node_id:
// the part of the tree it belongs to; none for the whole organisation's).
func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		Name   string `json:"name"`
		NodeID int64  `json:"node_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.NodeID < 0 {
		return 0, nil, errkind.New(errkind.Invalid, "node_id: a node's id, or none for the whole organisation")
	}
	c := community.Campaign{OrgID: orgOf(r), NodeID: in.NodeID, Name: in.Name}
	if err := s.Admin.CreateCampaignBy(r.Context(), &c, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, CampaignJSON{ID: c.ID, Name: c.Name, NodeID: c.NodeID, CreatedAt: c.CreatedAt}, nil
}

func (s *Server) archiveCampaign(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err == nil {
		err = s.Admin.ArchiveCampaignBy(r.Context(), orgOf(r), id, actorOf(r))
	}
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": id, "archived": true}, nil
}

func (s *Server) createCode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		Code       string `json:"code"`
		PersonID   int64  `json:"person_id"`
		CampaignID int64  `json:"campaign_id"`
		GroupID    int64  `json:"group_id"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.PersonID < 0 || in.CampaignID < 0 || in.GroupID < 0 {
		return 0, nil, errkind.New(errkind.Invalid, "person_id, campaign_id and group_id are ids: positive whole numbers")
	}
	c := community.InviteCode{OrgID: orgOf(r), Code: in.Code, PersonID: in.PersonID, CampaignID: in.CampaignID, GroupID: in.GroupID}
	if err := s.Admin.CreateInviteCodeBy(r.Context(), &c, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"id": c.ID, "code": c.Code}, nil
}

func (s *Server) referrals(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	depth, err := intParam(r, "depth", 0, 0, 100)
	if err != nil {
		return 0, nil, err
	}
	tree, err := s.Admin.ReferralTree(r.Context(), orgOf(r), id, int(depth))
	if err != nil {
		return 0, nil, err
	}
	type ref struct {
		PersonID  int64     `json:"person_id"`
		InviterID int64     `json:"inviter_id"`
		Name      string    `json:"name"`
		Depth     int       `json:"depth"`
		JoinedAt  time.Time `json:"joined_at"`
		Qualified bool      `json:"qualified"`
	}
	out := struct {
		Referrals []ref `json:"referrals"`
	}{Referrals: []ref{}}
	for _, t := range tree {
		out.Referrals = append(out.Referrals, ref{t.PersonID, t.InviterID, t.Name, t.Depth, t.JoinedAt, t.Qualified})
	}
	return http.StatusOK, out, nil
}

func (s *Server) topInviters(w http.ResponseWriter, r *http.Request) (int, any, error) {
	days, err := intParam(r, "days", 30, 1, 3650)
	if err != nil {
		return 0, nil, err
	}
	limit, err := intParam(r, "limit", 20, 1, 500)
	if err != nil {
		return 0, nil, err
	}
	since := time.Now().Add(-time.Duration(days) * 24 * time.Hour)
	if s.Now != nil {
		since = s.Now().Add(-time.Duration(days) * 24 * time.Hour)
	}
	top, err := s.Admin.TopInviters(r.Context(), orgOf(r), since, int(limit))
	if err != nil {
		return 0, nil, err
	}
	type rank struct {
		Rank      int    `json:"rank"`
		PersonID  int64  `json:"person_id"`
		Name      string `json:"name"`
		Invited   int    `json:"invited"`
		Qualified int    `json:"qualified"`
	}
	out := struct {
		Inviters []rank `json:"inviters"`
	}{Inviters: []rank{}}
	for i, t := range top {
		out.Inviters = append(out.Inviters, rank{i + 1, t.PersonID, t.Name, t.Invited, t.Qualified})
	}
	return http.StatusOK, out, nil
}

// ban bans a person from every group of the organisation.
func (s *Server) ban(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	n, err := s.Admin.BanEverywhere(r.Context(), orgOf(r), id, in.Reason, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"banned": true, "groups": n}, nil
}

// unban lifts an organisation ban everywhere.
func (s *Server) unban(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	n, err := s.Admin.LiftBan(r.Context(), orgOf(r), id, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"banned": false, "groups": n}, nil
}

// listReports is the review queue: reported messages of a status (open by
// default), oldest first.
func (s *Server) listReports(w http.ResponseWriter, r *http.Request) (int, any, error) {
	status := r.URL.Query().Get("status")
	if status == "" {
		status = "open"
	}
	if status != "open" && status != "upheld" && status != "dismissed" {
		return 0, nil, errkind.Errorf(errkind.Invalid, "status: want open, upheld or dismissed, got %q", status)
	}
	cases, err := s.Admin.ReportCases(r.Context(), orgOf(r), status)
	if err != nil {
		return 0, nil, err
	}
	type item struct {
		ID        int64     `json:"id"`
		GroupID   int64     `json:"group_id"`
		MessageID string    `json:"message_id"`
		PersonID  int64     `json:"person_id"`
		Text      string    `json:"text"`
		Reports   int       `json:"reports"`
		Hidden    bool      `json:"hidden"`
		Status    string    `json:"status"`
		CreatedAt time.Time `json:"created_at"`
	}
	out := struct {
		Reports []item `json:"reports"`
	}{Reports: []item{}}
	for _, c := range cases {
		out.Reports = append(out.Reports, item{c.ID, c.GroupID, c.MessageID, c.PersonID, c.Text, c.Reports, c.Hidden, c.Status, c.CreatedAt})
	}
	return http.StatusOK, out, nil
}

func (s *Server) decideReport(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Uphold bool   `json:"uphold"`
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if in.Uphold {
		if err := tokenOf(r).Check(access.DecisionPermission(in.Action)); err != nil {
			return 0, nil, err
		}
	}
	if err := s.Admin.DecideReport(r.Context(), orgOf(r), id, in.Uphold, chat.ActionKind(in.Action), in.Note, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": id, "upheld": in.Uphold}, nil
}

func (s *Server) fileAppeal(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var in struct {
		PersonID int64  `json:"person_id"`
		Text     string `json:"text"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	id, err := s.Admin.FileAppeal(r.Context(), orgOf(r), in.PersonID, in.Text)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"id": id}, nil
}

func (s *Server) decideAppeal(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		Accept bool   `json:"accept"`
		Note   string `json:"note"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.Admin.DecideAppeal(r.Context(), orgOf(r), id, in.Accept, in.Note, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": id, "accepted": in.Accept}, nil
}
