package console

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The partner programme (合伙人): each level with its cap and tier bands,
// which a manager renames, caps and re-bands; per entity (tree node) its
// seats by number with the tier and the holder, the waitlist by name, a
// form to admit a person found by name, and a release button (the first
// waiting moves up and is told in a chat of theirs); the joiners of
// partner-only groups waiting for approval. The programme spans the
// organisation: managers only (access.ManagePartners).

// PartnerSource is what the partner pages read and write.
type PartnerSource interface {
	PartnerBoard(ctx context.Context, orgID int64) (community.PartnerBoard, error)
	PartnerWaitlist(ctx context.Context, orgID, levelID, entityID int64) ([]community.Waiting, error)
	PartnerNotices(ctx context.Context, orgID int64, limit int) ([]community.PartnerNotice, error)
	AdmitPartner(ctx context.Context, orgID, levelID, entityID, personID int64, actor string) (community.Admission, error)
	UpdatePartnerLevel(ctx context.Context, orgID, levelID int64, p community.LevelPatch, actor string) (community.PartnerLevel, []community.PartnerNotice, error)
	SetPartnerTiers(ctx context.Context, orgID, levelID int64, bands []community.TierBand, actor string) error
	ReleasePartnerSeat(ctx context.Context, orgID, seatID int64, actor string) (community.SeatRelease, error)
	EligibilityCases(ctx context.Context, orgID int64, status string) ([]community.EligibilityCase, error)
	DecideEligibility(ctx context.Context, orgID, caseID int64, approve bool, actor string) error
	FindPeople(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error)
}

func (s *Server) partnersRoutes(mux *http.ServeMux) {
	page := func(h http.HandlerFunc) http.HandlerFunc { return s.auth(s.managerOnly(s.needs("partners", h))) }
	write := func(h http.HandlerFunc) http.HandlerFunc {
		return s.auth(s.needs("partners", s.may(access.ManagePartners, h)))
	}
	mux.HandleFunc("GET /partners", page(s.partners))
	mux.HandleFunc("GET /partners/{level}/{entity}", page(s.partnerSeats))
	mux.HandleFunc("POST /partners/levels/{id}", write(s.editLevel))
	mux.HandleFunc("POST /partners/levels/{id}/tiers", write(s.editTiers))
	mux.HandleFunc("POST /partners/admit", write(s.admitPartner))
	mux.HandleFunc("POST /partners/seats/{id}/release", write(s.releaseSeat))
	mux.HandleFunc("POST /partners/eligibility/{id}", write(s.decideEligibility))
}

type partnerSeatRow struct {
	community.BoardSeat
	Tier string
}

type entityRow struct {
	ID      int64
	Name    string
	Seats   []partnerSeatRow
	Waiting int
	ByTier  []int // open seats per band, in the level's band order
}

type levelRow struct {
	community.PartnerLevel
	Bands     []community.TierBand
	Columns   []string // the bands' names in the page's language, for the table's headings
	TiersText string   // the bands as the tiers form shows them
	Entities  []entityRow
}

type noticeRow struct {
	community.PartnerNotice
	Entity string
}

type partnersData struct {
	Levels  []levelRow
	Nodes   []nodeOption
	Cases   []community.EligibilityCase
	Notices []noticeRow
	CSV     string
}

// partnerBoard reads the programme into rows per level and entity.
func (s *Server) partnerBoard(ctx context.Context, orgID int64, l Lang) ([]levelRow, map[int64]string, error) {
	b, err := s.Partners.PartnerBoard(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	nodeName, err := s.nodeNames(ctx, orgID)
	if err != nil {
		return nil, nil, err
	}
	var out []levelRow
	for _, lvl := range b.Levels {
		row := levelRow{PartnerLevel: lvl, Bands: lvl.Bands(), TiersText: community.FormatTierLines(lvl.Bands())}
		for _, b := range row.Bands {
			row.Columns = append(row.Columns, community.TierName(b.Name, string(l)))
		}
		entities := map[int64]*entityRow{}
		entity := func(id int64) *entityRow {
			e := entities[id]
			if e == nil {
				e = &entityRow{ID: id, Name: nodeName[id], ByTier: make([]int, len(row.Bands))}
				entities[id] = e
			}
			return e
		}
		for _, seat := range b.Seats {
			if seat.LevelID != lvl.ID {
				continue
			}
			sr := partnerSeatRow{BoardSeat: seat}
			e := entity(seat.EntityID)
			for i, band := range row.Bands {
				if seat.Number >= band.From && seat.Number <= band.To {
					sr.Tier = band.Name
					e.ByTier[i]++
				}
			}
			e.Seats = append(e.Seats, sr)
		}
		for k, n := range b.Waiting {
			if k[0] == lvl.ID {
				entity(k[1]).Waiting = n
			}
		}
		for _, e := range entities {
			row.Entities = append(row.Entities, *e)
		}
		sort.Slice(row.Entities, func(i, j int) bool { return row.Entities[i].ID < row.Entities[j].ID })
		out = append(out, row)
	}
	return out, nodeName, nil
}

// nodeOptions lists the organisation's nodes in tree order, for a select;
// only those in keep when it is not nil.
func (s *Server) nodeOptions(ctx context.Context, orgID int64, keep map[int64]bool) ([]nodeOption, error) {
	nodes, err := s.Store.Nodes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	ordered, depth := tree(nodes)
	var out []nodeOption
	for _, n := range ordered {
		if keep != nil && !keep[n.ID] {
			continue
		}
		out = append(out, nodeOption{ID: strconv.FormatInt(n.ID, 10), Label: strings.Repeat("— ", depth[n.ID]) + n.Name})
	}
	return out, nil
}

func (s *Server) partners(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	levels, nodeName, err := s.partnerBoard(ctx, u.OrgID, langOf(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		var rows [][]string
		for _, lvl := range levels {
			for _, e := range lvl.Entities {
				for _, seat := range e.Seats {
					rows = append(rows, []string{lvl.Name, e.Name, strconv.Itoa(seat.Number), seat.Tier, seat.Person, strconv.FormatInt(seat.PersonID, 10),
						s.csvTime(&seat.AdmittedAt), strconv.Itoa(e.Waiting)})
				}
			}
		}
		s.sendCSV(w, "qunzhu-partners.csv", headers(l, "level", "entity", "seat_number", "tier", "member", "person_id", "admitted", "waitlist"), rows)
		return
	}
	d := partnersData{Levels: levels, CSV: csvURL(r)}
	if d.Nodes, err = s.nodeOptions(ctx, u.OrgID, nil); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Cases, err = s.Partners.EligibilityCases(ctx, u.OrgID, "pending"); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Notices, err = s.noticeRows(ctx, u.OrgID, nodeName); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, T(l, "partners"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "partners", p)
}

// noticeRows are the latest moves up from a waitlist.
func (s *Server) noticeRows(ctx context.Context, orgID int64, nodeName map[int64]string) ([]noticeRow, error) {
	ns, err := s.Partners.PartnerNotices(ctx, orgID, 30)
	if err != nil {
		return nil, err
	}
	out := make([]noticeRow, len(ns))
	for i, n := range ns {
		out[i] = noticeRow{PartnerNotice: n, Entity: nodeName[n.EntityID]}
	}
	return out, nil
}

type seatsData struct {
	Level   levelRow
	Entity  entityRow
	Waiting []community.Waiting
	Full    bool
}

// partnerSeats is one level at one entity: the seats, the waitlist by
// name, the admit form.
func (s *Server) partnerSeats(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	levelID, err1 := strconv.ParseInt(r.PathValue("level"), 10, 64)
	entityID, err2 := strconv.ParseInt(r.PathValue("entity"), 10, 64)
	if err1 != nil || err2 != nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such seats"))
		return
	}
	levels, nodeName, err := s.partnerBoard(ctx, u.OrgID, langOf(r))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	name, ok := nodeName[entityID]
	var d seatsData
	for _, lvl := range levels {
		if lvl.ID == levelID {
			d.Level = lvl
			d.Entity = entityRow{ID: entityID, Name: name, ByTier: make([]int, len(lvl.Bands))}
			for _, e := range lvl.Entities {
				if e.ID == entityID {
					d.Entity = e
				}
			}
		}
	}
	if !ok || d.Level.ID == 0 {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such seats"))
		return
	}
	d.Full = len(d.Entity.Seats) >= d.Level.Cap
	if d.Waiting, err = s.Partners.PartnerWaitlist(ctx, u.OrgID, levelID, entityID); err != nil {
		s.renderError(w, r, err)
		return
	}
	p := s.page(r, u, d.Level.Name+" · "+name, d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "partner_seats", p)
}

// refuse answers a refused form with a page that says why in the
// reader's language; kind gives the status (400, 404, 409).
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, kind errkind.Kind, key string, args ...any) {
	msg := tf(langOf(r), key, args...)
	s.render(w, statusOf(kind), "error", s.page(r, userOf(r), msg, msg))
}

// statusOf is the HTTP status of a refusal.
func statusOf(k errkind.Kind) int {
	switch k {
	case errkind.NotFound:
		return http.StatusNotFound
	case errkind.Conflict:
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

// formID reads a positive id from a form field; 0 when it is not one.
func formID(r *http.Request, field string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(r.PostFormValue(field)), 10, 64)
	if err != nil || id <= 0 {
		return 0
	}
	return id
}

func actorOf(u *access.User) string { return "staff:" + u.Username }

// editLevel renames a level and sets its cap.
func (s *Server) editLevel(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	id, err := pathID(r, "partner level")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	name := r.PostFormValue("name")
	capN, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("cap")))
	if err != nil {
		s.refuse(w, r, errkind.Invalid, "err_cap_number")
		return
	}
	_, moved, err := s.Partners.UpdatePartnerLevel(r.Context(), u.OrgID, id, community.LevelPatch{Name: &name, Cap: &capN}, actorOf(u))
	switch {
	case errkind.Is(err, errkind.Invalid):
		s.refuse(w, r, errkind.Invalid, "err_level_invalid", community.MaxLevelName, community.MaxPartnerCap)
		return
	case errkind.Is(err, errkind.Conflict):
		s.refuse(w, r, errkind.Conflict, "err_cap_below")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	f := flash{Key: "flash_level_saved"}
	if len(moved) > 0 {
		f = flash{Key: "flash_level_saved_moved", ID: int64(len(moved))}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, "/partners#level-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

// editTiers replaces a level's bands from the tiers form ("1-10 创始合伙人"
// a line), or restores the seed's with reset=1.
func (s *Server) editTiers(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	id, err := pathID(r, "partner level")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	levels, err := s.Partners.PartnerBoard(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var lvl *community.PartnerLevel
	for i := range levels.Levels {
		if levels.Levels[i].ID == id {
			lvl = &levels.Levels[i]
		}
	}
	if lvl == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no such partner level"))
		return
	}
	var bands []community.TierBand
	if r.PostFormValue("reset") == "" {
		if bands, err = community.ParseTierLines(r.PostFormValue("tiers")); err != nil {
			s.refuse(w, r, errkind.Invalid, "err_tiers_lines")
			return
		}
		// The bands keep their slugs by position (the API shows them);
		// new ones are tier4, tier5, …
		old := lvl.Bands()
		for i := range bands {
			bands[i].Slug = "tier" + strconv.Itoa(i+1)
			if i < len(old) {
				bands[i].Slug = old[i].Slug
			}
		}
		if err := community.ValidateTiers(bands, lvl.Cap); err != nil {
			s.refuse(w, r, errkind.Invalid, "err_tiers_cover", lvl.Cap)
			return
		}
	}
	if err := s.Partners.SetPartnerTiers(ctx, u.OrgID, id, bands, actorOf(u)); err != nil {
		if errkind.Is(err, errkind.Invalid) {
			s.refuse(w, r, errkind.Invalid, "err_tiers_cover", lvl.Cap)
			return
		}
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_tiers_saved"})
	http.Redirect(w, r, "/partners#level-"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

type choosePersonData struct {
	Level, Entity int64
	LevelName     string
	EntityName    string
	Query         string
	Matches       []community.PersonMatch
}

// admitPartner admits a person to a level at an entity: by id (person),
// or by name — one person of exactly that name is admitted, several or a
// partial match are offered to choose from.
func (s *Server) admitPartner(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	levelID, entityID := formID(r, "level"), formID(r, "entity")
	if levelID == 0 || entityID == 0 {
		s.refuse(w, r, errkind.Invalid, "err_admit_where")
		return
	}
	personID := formID(r, "person")
	if personID == 0 {
		query := strings.TrimSpace(r.PostFormValue("name"))
		if query == "" {
			s.refuse(w, r, errkind.Invalid, "err_admit_name")
			return
		}
		id, matches, err := pickPerson(ctx, s.Partners.FindPeople, u.OrgID, query, nil)
		switch {
		case errkind.Is(err, errkind.NotFound):
			s.refuse(w, r, errkind.NotFound, "err_no_person", query)
			return
		case err != nil:
			s.renderError(w, r, err)
			return
		case id == 0:
			levels, nodeName, err := s.partnerBoard(ctx, u.OrgID, langOf(r))
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			d := choosePersonData{Level: levelID, Entity: entityID, EntityName: nodeName[entityID], Query: query, Matches: matches}
			for _, l := range levels {
				if l.ID == levelID {
					d.LevelName = l.Name
				}
			}
			s.render(w, http.StatusOK, "partner_choose", s.page(r, u, T(langOf(r), "choose_person"), d))
			return
		}
		personID = id
	}
	a, err := s.Partners.AdmitPartner(ctx, u.OrgID, levelID, entityID, personID, actorOf(u))
	switch {
	case errkind.Is(err, errkind.NotFound):
		s.refuse(w, r, errkind.NotFound, "err_admit_unknown")
		return
	case errkind.Is(err, errkind.Invalid):
		s.refuse(w, r, errkind.Invalid, "err_admit_where")
		return
	case errkind.Is(err, errkind.Conflict):
		s.refuse(w, r, errkind.Conflict, "err_admit_twice")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	if a.Waitlisted {
		s.setFlash(w, flash{Key: "flash_waitlisted", ID: int64(a.Position)})
	} else {
		s.setFlash(w, flash{Key: "flash_admitted", ID: int64(a.Seat.Number)})
	}
	http.Redirect(w, r, "/partners/"+strconv.FormatInt(levelID, 10)+"/"+strconv.FormatInt(entityID, 10), http.StatusSeeOther)
}

// pickPerson resolves a typed name to a person: the one person of exactly
// that name when nobody else's name contains it, else the people to choose
// from (id 0); nobody is not found. keep, when set, leaves out the people
// the account may not act on.
func pickPerson(ctx context.Context, find func(ctx context.Context, orgID int64, text string, groups []int64, limit int) ([]community.PersonMatch, error),
	orgID int64, name string, keep func([]int64) (map[int64]bool, error)) (int64, []community.PersonMatch, error) {
	if strings.TrimSpace(name) == "" {
		return 0, nil, errkind.New(errkind.Invalid, "name: type a name (or part of one) to look for")
	}
	matches, err := find(ctx, orgID, name, nil, 20)
	if err != nil {
		return 0, nil, err
	}
	if keep != nil && len(matches) > 0 {
		ids := make([]int64, len(matches))
		for i, m := range matches {
			ids[i] = m.ID
		}
		in, err := keep(ids)
		if err != nil {
			return 0, nil, err
		}
		matches = slices.DeleteFunc(matches, func(m community.PersonMatch) bool { return !in[m.ID] })
	}
	switch {
	case len(matches) == 0:
		return 0, nil, errkind.New(errkind.NotFound, "nobody of that name")
	case len(matches) == 1 && strings.EqualFold(matches[0].Name, name):
		return matches[0].ID, matches, nil
	}
	return 0, matches, nil
}

// releaseSeat frees a seat after the operator confirms; the first
// waiting moves up, and the flash says whether a chat told them.
func (s *Server) releaseSeat(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	l := langOf(r)
	id, err := pathID(r, "seat")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	b, err := s.Partners.PartnerBoard(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var seat *community.BoardSeat
	for i := range b.Seats {
		if b.Seats[i].ID == id {
			seat = &b.Seats[i]
		}
	}
	if seat == nil {
		s.refuse(w, r, errkind.NotFound, "err_no_seat")
		return
	}
	back := "/partners/" + strconv.FormatInt(seat.LevelID, 10) + "/" + strconv.FormatInt(seat.EntityID, 10)
	if !s.confirmed(w, r, tf(l, "confirm_release", seat.Person, seat.Number), back) {
		return
	}
	rel, err := s.Partners.ReleasePartnerSeat(ctx, u.OrgID, id, actorOf(u))
	switch {
	case errkind.Is(err, errkind.NotFound):
		s.refuse(w, r, errkind.NotFound, "err_no_seat")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	f := flash{Key: "flash_released", ID: int64(rel.Released.Number)}
	switch n := rel.Promoted; {
	case n != nil && n.Told():
		f = flash{Key: "flash_released_told", ID: int64(n.Number)}
	case n != nil:
		f = flash{Key: "flash_released_untold", ID: int64(n.Number), Error: true}
	}
	s.setFlash(w, f)
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// decideEligibility approves a joiner of a partner-only group or refuses
// them (they are removed from the group: confirmed first).
func (s *Server) decideEligibility(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	l := langOf(r)
	id, err := pathID(r, "eligibility case")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	cases, err := s.Partners.EligibilityCases(ctx, u.OrgID, "")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	var c *community.EligibilityCase
	for i := range cases {
		if cases[i].ID == id {
			c = &cases[i]
		}
	}
	if c == nil {
		s.refuse(w, r, errkind.NotFound, "err_no_case")
		return
	}
	if err := s.inScope(ctx, u, c.GroupID); err != nil {
		s.renderError(w, r, err)
		return
	}
	var approve bool
	switch r.PostFormValue("decision") {
	case "approve":
		approve = true
	case "refuse":
		if !s.confirmed(w, r, tf(l, "confirm_refuse_joiner", c.Person, c.Group), "/partners#cases") {
			return
		}
	default:
		s.refuse(w, r, errkind.Invalid, "err_decision")
		return
	}
	err = s.Partners.DecideEligibility(ctx, u.OrgID, id, approve, actorOf(u))
	switch {
	case errkind.Is(err, errkind.Conflict):
		s.refuse(w, r, errkind.Conflict, "err_case_decided")
		return
	case err != nil:
		s.renderError(w, r, err)
		return
	}
	key := "flash_joiner_refused"
	if approve {
		key = "flash_joiner_approved"
	}
	s.setFlash(w, flash{Key: key, ID: id})
	http.Redirect(w, r, "/partners#cases", http.StatusSeeOther)
}

// tf formats a translated string.
func tf(l Lang, key string, args ...any) string {
	if len(args) == 0 {
		return T(l, key)
	}
	return fmt.Sprintf(T(l, key), args...)
}
