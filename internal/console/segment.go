package console

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The segment view (/tags/segment): the members of a people tag, in the
// groups of a group tag if one is chosen, of an activity status if one
// is chosen — of the reader's groups only — with a CSV download of the
// whole list.

// segmentRow is a member of a segment as listed.
type segmentRow struct {
	community.SegmentMember
	ByHand bool // put in the people tag by hand (a tag's page)
}

type segmentData struct {
	People, Groups []community.Tag // the tags to choose from
	Statuses       []string
	PersonTag      int64
	GroupTag       int64
	Status         string
	Rows           []segmentRow
	All            int
	CSV            string
}

// segmentListed bounds the members the page lists; the CSV has them all.
const segmentListed = 500

// segmentRows lists at most limit members, each marked when held by hand.
func (s *Server) segmentRows(members []community.SegmentMember, held []community.Tagged, limit int) []segmentRow {
	hand := map[int64]bool{}
	for _, v := range held {
		hand[v.ID] = v.ByHand
	}
	out := make([]segmentRow, 0, min(len(members), limit))
	for _, m := range members[:min(len(members), limit)] {
		out = append(out, segmentRow{SegmentMember: m, ByHand: hand[m.PersonID]})
	}
	return out
}

// segmentTag reads a tag choice of the form: 0 for none; a tag of the
// organisation of the subject, else a 400 in the reader's language.
func segmentTag(r *http.Request, key string, tags []community.Tag, subject community.TagSubject) (int64, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || !slices.ContainsFunc(tags, func(t community.Tag) bool { return t.ID == id && t.Subject == subject }) {
		return 0, errkind.New(errkind.Invalid, T(langOf(r), "seg_err_"+key))
	}
	return id, nil
}

func (s *Server) segmentPage(w http.ResponseWriter, r *http.Request) {
	u, l, ctx := userOf(r), langOf(r), r.Context()
	tags, err := s.Tags.Tags(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := segmentData{Statuses: community.PersonStatuses}
	for _, t := range tags {
		if t.Subject == community.TagPeople {
			d.People = append(d.People, t)
		} else {
			d.Groups = append(d.Groups, t)
		}
	}
	if d.PersonTag, err = segmentTag(r, "people", tags, community.TagPeople); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.GroupTag, err = segmentTag(r, "groups", tags, community.TagGroups); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Status = r.URL.Query().Get("status"); d.Status != "" && !slices.Contains(community.PersonStatuses, d.Status) {
		s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "seg_err_status")))
		return
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	seg := community.Segment{PersonTag: d.PersonTag, GroupTag: d.GroupTag, Status: d.Status}
	members, err := s.Tags.SegmentMembers(ctx, u.OrgID, seg, sc.within(), s.Now(), s.Location)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		rows := make([][]string, 0, len(members))
		for _, m := range members {
			joined := m.JoinedAt
			rows = append(rows, []string{strconv.FormatInt(m.PersonID, 10), m.Name, strings.Join(m.UserIDs, " "), strings.Join(m.Groups, "、"),
				strings.Join(m.Tags, "、"), T(l, "st_"+m.Status), s.csvTime(&joined), dayOf(s, m), strconv.Itoa(m.Messages30)})
		}
		s.sendCSV(w, "segment.csv", headers(l, "seg_col_id", "seg_col_name", "seg_col_user", "seg_col_groups", "seg_col_tags", "seg_col_status", "seg_col_joined", "seg_col_last", "seg_col_msgs"), rows)
		return
	}
	d.All, d.CSV = len(members), csvURL(r)
	d.Rows = s.segmentRows(members, nil, segmentListed)
	p := s.page(r, u, T(l, "segment"), d)
	s.render(w, http.StatusOK, "segment", p)
}

// dayOf writes a member's last day with a message, "" for none.
func dayOf(s *Server, m community.SegmentMember) string {
	if m.LastMessage == nil {
		return ""
	}
	return m.LastMessage.In(s.Location).Format("2006-01-02")
}
