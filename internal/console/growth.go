package console

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Referral growth (裂变): campaigns with their invite codes, each
// campaign's referral tree, K-factor and cycle time, members' own codes,
// and a poster (a QR code of the code's join link) to post. Managers run
// every campaign; a secretary (access.ManageGrowth) runs the campaigns of
// her part of the tree and gives codes for her groups and their members.

// GrowthSource is what the growth pages read and write.
type GrowthSource interface {
	Campaigns(ctx context.Context, orgID int64) ([]community.CampaignSummary, error)
	Campaign(ctx context.Context, orgID, id int64) (community.Campaign, error)
	CampaignGrowth(ctx context.Context, orgID, campaignID int64) (community.CampaignGrowth, error)
	CampaignTree(ctx context.Context, orgID, campaignID int64) ([]community.Referral, error)
	InviteCodes(ctx context.Context, orgID, campaignID int64, limit int) ([]community.CodeInfo, error)
	InviteCodeInfo(ctx context.Context, orgID, id int64) (community.CodeInfo, error)
	CreateCampaignBy(ctx context.Context, c *community.Campaign, actor string) error
	ArchiveCampaignBy(ctx context.Context, orgID, id int64, actor string) error
	CreateInviteCodeBy(ctx context.Context, c *community.InviteCode, actor string) error
	FindPeople(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error)
	PersonGroups(ctx context.Context, orgID int64, ids []int64) (map[int64][]int64, error)
	// JoinWayOf: the platform's join way behind a code (WeCom's 群活码).
	JoinWayOf(ctx context.Context, code string) (community.JoinWayRecord, bool, error)
}

func (s *Server) growthRoutes(mux *http.ServeMux) {
	page := func(h http.HandlerFunc) http.HandlerFunc { return s.auth(s.needs("growth", h)) }
	write := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(s.needs("growth", s.may(access.ManageGrowth, h)))
	}
	mux.HandleFunc("GET /growth", page(s.growth))
	mux.HandleFunc("GET /growth/campaigns/{id}", page(s.campaign))
	mux.HandleFunc("GET /growth/codes/{id}/poster", page(s.poster))
	mux.HandleFunc("GET /growth/codes/{id}/qr.png", page(s.posterQR))
	mux.HandleFunc("POST /growth/campaigns", write(s.createCampaign))
	mux.HandleFunc("POST /growth/campaigns/{id}/archive", write(s.archiveCampaign))
	mux.HandleFunc("POST /growth/codes", write(s.createCode))
}

// growthScope is what of the growth programme an account may see and run:
// a manager everything; a scoped account the campaigns of nodes in her
// subtree and the codes of her groups and their members.
type growthScope struct {
	all    bool
	nodes  map[int64]bool // the account's subtree
	groups scope
}

func (s *Server) growthScopeOf(ctx context.Context, u *access.User) (growthScope, error) {
	sc, err := s.scopeOf(ctx, u)
	if err != nil || !u.Scoped() {
		return growthScope{all: true, groups: sc}, err
	}
	g := growthScope{groups: sc, nodes: map[int64]bool{}}
	if u.ScopeNodeID != 0 {
		nodes, err := s.Store.Nodes(ctx, u.OrgID)
		if err != nil {
			return g, err
		}
		g.nodes = subtree(nodes, u.ScopeNodeID)
	}
	return g, nil
}

func (g growthScope) campaign(c community.Campaign) bool { return g.all || g.nodes[c.NodeID] }

// code reports whether the account may see a code: of a campaign of
// hers, for a group of hers, or of a member of her groups (inGroups).
func (g growthScope) code(c community.CodeInfo, campaign community.Campaign, inGroups bool) bool {
	return g.all || (c.CampaignID != 0 && g.campaign(campaign)) || (c.GroupID != 0 && g.groups.has(c.GroupID)) || inGroups
}

// members reports, of people, who is in a group of the account's.
func (s *Server) members(ctx context.Context, u *access.User, g growthScope, ids []int64) (map[int64]bool, error) {
	out := map[int64]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	groups, err := s.Growth.PersonGroups(ctx, u.OrgID, ids)
	if err != nil {
		return nil, err
	}
	for p, gs := range groups {
		out[p] = g.all || slices.ContainsFunc(gs, g.groups.has)
	}
	return out, nil
}

type campaignRow struct {
	community.CampaignSummary
	Node string
}

// growthPage is the data of growth.html: the list of campaigns or one
// campaign, with the codes either shows.
type growthPage struct {
	List      *growthData
	Campaign  *campaignData
	Codes     []community.CodeInfo
	CanManage bool // the account may start campaigns and give codes
}

type growthData struct {
	Campaigns []campaignRow
	Nodes     []nodeOption      // where a campaign may be placed
	Groups    []community.Group // what a code may be for
	OrgWide   bool              // the account may make organisation-wide campaigns
}

func (s *Server) growth(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	g, err := s.growthScopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	list, err := s.Growth.Campaigns(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	names, err := s.nodeNames(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := growthData{OrgWide: g.all}
	pg := growthPage{List: &d, CanManage: u.May(access.ManageGrowth)}
	for _, c := range list {
		if g.campaign(c.Campaign) {
			d.Campaigns = append(d.Campaigns, campaignRow{CampaignSummary: c, Node: names[c.NodeID]})
		}
	}
	codes, err := s.Growth.InviteCodes(ctx, u.OrgID, 0, 200)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var holders []int64
	for _, c := range codes {
		holders = append(holders, c.PersonID)
	}
	in, err := s.members(ctx, u, g, holders)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, c := range codes {
		if g.code(c, community.Campaign{}, in[c.PersonID]) {
			pg.Codes = append(pg.Codes, c)
		}
	}
	keep := g.nodes // a manager may place a campaign anywhere
	if g.all {
		keep = nil
	}
	if d.Nodes, err = s.nodeOptions(ctx, u.OrgID, keep); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Groups, err = s.groupsIn(ctx, u.OrgID, g.groups); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(langOf(r), "growth"), pg)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "growth", p)
}

// groupsIn lists the organisation's active groups in the scope, by name.
func (s *Server) groupsIn(ctx context.Context, orgID int64, sc scope) ([]community.Group, error) {
	all, err := s.Store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	var out []community.Group
	for _, g := range all {
		if sc.has(g.ID) && g.Lifecycle != community.Archived {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b community.Group) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

type campaignData struct {
	community.Campaign
	Node   string
	Growth community.CampaignGrowth
	Cycle  string // the median cycle time in days or hours; "" without invitations
	Tree   []treeLine
	People int // in the tree
	Groups []community.Group
}

// treeLine is a person of a referral tree as the page writes it: a list
// item that opens a list of the people they brought in (Kids), or closes,
// and then closes Closes lists of the people above it.
type treeLine struct {
	*community.ReferralNode
	Kids   bool
	Closes int
}

// flatten writes a referral forest as nested list items, depth first.
func flatten(ns []*community.ReferralNode, out []treeLine) []treeLine {
	for _, n := range ns {
		out = append(out, treeLine{ReferralNode: n, Kids: len(n.Children) > 0})
		if len(n.Children) > 0 {
			out = flatten(n.Children, out)
			out[len(out)-1].Closes++
		}
	}
	return out
}

// campaign is a campaign's page: its figures, codes and referral tree.
func (s *Server) campaign(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	l := langOf(r)
	id, err := pathID(r, "campaign")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c, g, err := s.scopedCampaign(ctx, u, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := campaignData{Campaign: c}
	pg := growthPage{Campaign: &d, CanManage: u.May(access.ManageGrowth)}
	names, err := s.nodeNames(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Node = names[c.NodeID]
	if d.Growth, err = s.Growth.CampaignGrowth(ctx, u.OrgID, id); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Growth.Invitations > 0 {
		d.Cycle = cycleText(l, d.Growth.CycleMedian)
	}
	if pg.Codes, err = s.Growth.InviteCodes(ctx, u.OrgID, id, 500); err != nil {
		s.renderError(w, r, err)
		return
	}
	refs, err := s.Growth.CampaignTree(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d.Tree, d.People = flatten(community.ReferralForest(refs), nil), len(refs)
	if d.Groups, err = s.groupsIn(ctx, u.OrgID, g.groups); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, c.Name, pg)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "growth", p)
}

// cycleText says a duration in days (from two days on) or hours.
func cycleText(l Lang, d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf(T(l, "n_days"), d.Hours()/24)
	}
	return fmt.Sprintf(T(l, "n_hours"), d.Hours())
}

// scopedCampaign reads a campaign the account may see: another's is
// refused as out of scope.
func (s *Server) scopedCampaign(ctx context.Context, u *access.User, id int64) (community.Campaign, growthScope, error) {
	g, err := s.growthScopeOf(ctx, u)
	if err != nil {
		return community.Campaign{}, g, err
	}
	c, err := s.Growth.Campaign(ctx, u.OrgID, id)
	if err != nil {
		return c, g, err
	}
	if !g.campaign(c) {
		return c, g, errOutOfScope
	}
	return c, g, nil
}

// createCampaign starts a campaign of the organisation (managers) or of a
// node of the account's subtree.
func (s *Server) createCampaign(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	g, err := s.growthScopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	node := formID(r, "node")
	if strings.TrimSpace(r.PostFormValue("node")) != "" && node == 0 {
		s.refuse(w, r, errkind.Invalid, "err_campaign_node")
		return
	}
	if !g.all && !g.nodes[node] {
		s.renderError(w, r, errOutOfScope)
		return
	}
	c := community.Campaign{OrgID: u.OrgID, NodeID: node, Name: r.PostFormValue("name")}
	err = s.Growth.CreateCampaignBy(ctx, &c, actorOf(u))
	switch {
	case errkind.Is(err, errkind.Invalid):
		s.refuse(w, r, errkind.Invalid, "err_campaign_name", community.MaxCampaignName)
		return
	case errkind.Is(err, errkind.Conflict):
		s.refuse(w, r, errkind.Conflict, "err_campaign_taken")
		return
	case errkind.Is(err, errkind.NotFound):
		s.refuse(w, r, errkind.NotFound, "err_campaign_node")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_campaign_created"})
	http.Redirect(w, r, "/growth/campaigns/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

// archiveCampaign ends a campaign after the operator confirms: its codes
// stop working.
func (s *Server) archiveCampaign(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "campaign")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c, _, err := s.scopedCampaign(ctx, u, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	back := "/growth/campaigns/" + strconv.FormatInt(id, 10)
	if c.ArchivedAt != nil {
		s.refuse(w, r, errkind.Conflict, "err_campaign_archived")
		return
	}
	if !s.confirmed(w, r, tf(langOf(r), "confirm_archive_campaign", c.Name), back) {
		return
	}
	if err := s.Growth.ArchiveCampaignBy(ctx, u.OrgID, id, actorOf(u)); err != nil {
		if errkind.Is(err, errkind.NotFound) {
			s.refuse(w, r, errkind.Conflict, "err_campaign_archived")
			return
		}
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_campaign_archived"})
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// createCode gives an invite code: of a campaign, of a member (found by
// name, or by id from the choice page), or both; for a group or any
// (a scoped account's personal codes need one of her groups).
func (s *Server) createCode(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	g, err := s.growthScopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	c := community.InviteCode{OrgID: u.OrgID, CampaignID: formID(r, "campaign"), GroupID: formID(r, "group"), PersonID: formID(r, "person")}
	back := "/growth"
	if c.CampaignID != 0 {
		if _, _, err := s.scopedCampaign(ctx, u, c.CampaignID); err != nil {
			s.renderError(w, r, err)
			return
		}
		back = "/growth/campaigns/" + strconv.FormatInt(c.CampaignID, 10)
	}
	if c.GroupID != 0 && !g.groups.has(c.GroupID) {
		s.renderError(w, r, errOutOfScope)
		return
	}
	if name := strings.TrimSpace(r.PostFormValue("name")); c.PersonID == 0 && name != "" {
		keep := func(ids []int64) (map[int64]bool, error) { return s.members(ctx, u, g, ids) }
		id, matches, err := pickPerson(ctx, s.Growth.FindPeople, u.OrgID, name, keep)
		switch {
		case errkind.Is(err, errkind.NotFound):
			s.refuse(w, r, errkind.NotFound, "err_no_person", name)
			return
		case err != nil:
			s.renderError(w, r, err)
			return
		case id == 0:
			s.render(w, http.StatusOK, "growth_choose", s.page(r, u, T(langOf(r), "choose_person"), chooseCodeData{Campaign: c.CampaignID, Group: c.GroupID, Query: name, Matches: matches}))
			return
		}
		c.PersonID = id
	}
	if c.PersonID == 0 && c.CampaignID == 0 {
		s.refuse(w, r, errkind.Invalid, "err_code_whose")
		return
	}
	if c.PersonID != 0 {
		in, err := s.members(ctx, u, g, []int64{c.PersonID})
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if !in[c.PersonID] {
			s.renderError(w, r, errOutOfScope)
			return
		}
		if c.CampaignID == 0 && c.GroupID == 0 && !g.all {
			s.refuse(w, r, errkind.Invalid, "err_code_group")
			return
		}
	}
	err = s.Growth.CreateInviteCodeBy(ctx, &c, actorOf(u))
	switch {
	case errkind.Is(err, errkind.NotFound):
		s.refuse(w, r, errkind.NotFound, "err_code_unknown")
		return
	case errkind.Is(err, errkind.Invalid):
		s.refuse(w, r, errkind.Invalid, "err_campaign_archived")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_code_created", ID: c.ID})
	http.Redirect(w, r, back+"#code-"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

type chooseCodeData struct {
	Campaign, Group int64
	Query           string
	Matches         []community.PersonMatch
}

type posterData struct {
	community.CodeInfo
	Title string // the campaign's name, else the group's
	URL   string // the join link the QR code holds
	// JoinWay is the platform's join way behind the link, when it keeps
	// one (WeCom): the link leads to its QR code.
	JoinWay *community.JoinWayRecord
}

// scopedCode reads a code the account may see.
func (s *Server) scopedCode(r *http.Request) (community.CodeInfo, error) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "invite code")
	if err != nil {
		return community.CodeInfo{}, err
	}
	c, err := s.Growth.InviteCodeInfo(ctx, u.OrgID, id)
	if err != nil {
		return c, err
	}
	g, err := s.growthScopeOf(ctx, u)
	if err != nil || g.all {
		return c, err
	}
	var camp community.Campaign
	if c.CampaignID != 0 {
		if camp, err = s.Growth.Campaign(ctx, u.OrgID, c.CampaignID); err != nil {
			return c, err
		}
	}
	in, err := s.members(ctx, u, g, []int64{c.PersonID})
	if err != nil {
		return c, err
	}
	if !g.code(c, camp, c.PersonID != 0 && in[c.PersonID]) {
		return c, errOutOfScope
	}
	return c, nil
}

// joinURL is a code's public join link (/join/CODE) on the console's
// address.
func (s *Server) joinURL(r *http.Request, code string) string {
	base := strings.TrimRight(s.BaseURL, "/")
	if base == "" {
		scheme := "http"
		if r.TLS != nil || s.Secure {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return base + "/join/" + code
}

// poster is a code's poster: the QR code of its join link with the
// campaign's or group's name and a line to scan it, to post or print.
func (s *Server) poster(w http.ResponseWriter, r *http.Request) {
	c, err := s.scopedCode(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := posterData{CodeInfo: c, Title: c.Campaign}
	if d.Title == "" {
		d.Title = c.Group
	}
	if c.GroupID != 0 {
		d.URL = s.joinURL(r, c.Code)
		jw, ok, err := s.Growth.JoinWayOf(r.Context(), c.Code)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if ok {
			d.JoinWay = &jw
		}
	}
	s.render(w, http.StatusOK, "poster", s.page(r, userOf(r), T(langOf(r), "poster"), d))
}

// posterQR is the QR code of a code's join link, a PNG.
func (s *Server) posterQR(w http.ResponseWriter, r *http.Request) {
	c, err := s.scopedCode(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if c.GroupID == 0 {
		s.refuse(w, r, errkind.NotFound, "poster_needs_group")
		return
	}
	var b bytes.Buffer
	if err := writeQR(&b, s.joinURL(r, c.Code)); err != nil {
		s.renderError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=300")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", "qunzhu-"+c.Code+".png"))
	w.Write(b.Bytes())
}
