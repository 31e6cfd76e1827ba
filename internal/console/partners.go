package console

import (
	"net/http"
	"sort"
	"strconv"

	"github.com/qunzhu/qunzhu/internal/community"
)

// The partner programme (合伙人) at a glance: each level with its cap and
// tier bands, and per entity (tree node) its seats by number with the
// tier and the holder, and how many wait. Managers only: the programme
// spans the organisation.

type partnerSeatRow struct {
	community.BoardSeat
	Tier string
}

type entityRow struct {
	ID      int64
	Name    string
	Seats   []partnerSeatRow
	Waiting int
}

type levelRow struct {
	community.PartnerLevel
	Bands    []community.TierBand
	Entities []entityRow
}

type partnersData struct {
	Levels []levelRow
	CSV    string
}

func (s *Server) partners(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	b, err := s.Community.PartnerBoard(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	nodeName, err := s.nodeNames(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := partnersData{CSV: csvURL(r)}
	for _, lvl := range b.Levels {
		row := levelRow{PartnerLevel: lvl, Bands: lvl.Bands()}
		entities := map[int64]*entityRow{}
		entity := func(id int64) *entityRow {
			e := entities[id]
			if e == nil {
				e = &entityRow{ID: id, Name: nodeName[id]}
				if e.Name == "" {
					e.Name = "#" + strconv.FormatInt(id, 10)
				}
				entities[id] = e
			}
			return e
		}
		for _, seat := range b.Seats {
			if seat.LevelID != lvl.ID {
				continue
			}
			sr := partnerSeatRow{BoardSeat: seat}
			if band, ok := community.TierOf(seat.Number, row.Bands); ok {
				sr.Tier = band.Name
			}
			e := entity(seat.EntityID)
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
		d.Levels = append(d.Levels, row)
	}
	if wantsCSV(r) {
		var rows [][]string
		for _, lvl := range d.Levels {
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
	s.render(w, http.StatusOK, "partners", s.page(r, u, T(l, "partners"), d))
}
