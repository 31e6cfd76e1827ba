package console

import (
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
)

// A member's profile: who they are, their groups and how active they are
// in each, whom they brought in, the moderation against them and their
// partner seats. A scoped user sees only the person's part in their own
// groups, and only people who have been in one of them.

// stintRow is one membership on the profile with its activity.
type stintRow struct {
	community.PersonStint
	Status     string
	Tier       string
	Last       *time.Time
	ActiveDays int // distinct days with a message in the last 30
	// Roles are the role forms of an open stint (roles.go); Syncs: its
	// platform makes staff admins.
	Roles *roleControl
	Syncs bool
}

// referralRow is one person the member brought in, directly (depth 1) or
// through others.
type referralRow struct {
	community.Referral
	Inviter string
}

type seatRow struct {
	community.PersonSeat
	Tier string
}

type personData struct {
	Profile    community.PersonProfile
	Stints     []stintRow
	Referrals  []referralRow
	Direct     int
	Deeper     int
	Qualified  int
	Moderation []logRow
	Seats      []seatRow
	Points     []pointsRow // check-in points, in the groups the reader sees
	Tags       *tagPicker  // the tags card (tags.go); nil without tags
	PointsLog  []pointsLogRow
	Award      *awardForm // nil: the reader may not award points here (points.go)
}

// pointsRow is a member's check-in points in a group.
type pointsRow struct {
	memberbot.Points
	Group string
}

const personModerationRows = 200

func (s *Server) person(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	if s.Profiles == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, "not configured"))
		return
	}
	id, err := pathID(r, "person")
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	prof, err := s.Profiles.PersonProfile(ctx, u.OrgID, id)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	d := personData{Profile: prof}
	now := s.Now()
	for _, st := range prof.Stints {
		if !sc.has(st.GroupID) {
			continue
		}
		row := stintRow{PersonStint: st}
		if st.LeftAt == nil {
			act, err := s.Store.GroupMemberActivity(ctx, st.GroupID, now.Add(-90*24*time.Hour))
			if err != nil {
				s.renderError(w, r, err)
				return
			}
			a := act[id]
			row.Status, row.Tier = s.classify(st.Membership, a, now)
			if a != nil {
				row.Last = a.Last
				row.ActiveDays = activeDays(a.Days, now.Add(-30*24*time.Hour), s.Location)
			}
		}
		d.Stints = append(d.Stints, row)
	}
	if len(d.Stints) == 0 && !sc.all {
		s.renderError(w, r, errkind.New(errkind.Forbidden, "this member is not in a group of your part of the organisation"))
		return
	}
	if d.Referrals, err = s.referrals(r, u, sc, id, prof.Person.Name); err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, ref := range d.Referrals {
		if ref.Depth == 1 {
			d.Direct++
		} else {
			d.Deeper++
		}
		if ref.Qualified {
			d.Qualified++
		}
	}
	acts, err := s.Profiles.PersonModeration(ctx, u.OrgID, id, personModerationRows)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	n, err := s.namer(ctx, u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, a := range acts {
		// Organisation-wide actions (group 0) are a manager's to see.
		if sc.has(a.GroupID) && (a.GroupID != 0 || sc.all) {
			d.Moderation = append(d.Moderation, logRow{ModerationAction: a, Group: n.group(a.GroupID), Member: prof.Person.Name})
		}
	}
	if bp, ok := s.Store.(BotPoints); ok {
		month := now.In(s.Location).Format("2006-01") + "-01"
		pts, err := bp.PersonPoints(ctx, id, month)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		yesterday := now.In(s.Location).AddDate(0, 0, -1).Format(time.DateOnly)
		for _, p := range pts {
			if p.Last < yesterday {
				p.Streak = 0 // broken since
			}
			if sc.has(p.GroupID) {
				d.Points = append(d.Points, pointsRow{Points: p, Group: n.group(p.GroupID)})
			}
		}
	}
	if err := s.personPoints(ctx, u, sc, id, n, &d); err != nil {
		s.renderError(w, r, err)
		return
	}
	for _, seat := range prof.Seats {
		row := seatRow{PersonSeat: seat}
		if b, ok := community.TierOf(seat.Number, seat.Level.Bands()); ok {
			row.Tier = b.Name
		}
		d.Seats = append(d.Seats, row)
	}
	p := s.page(r, u, prof.Person.Name, nil)
	if err := s.personRoles(ctx, r, p, id, d.Stints); err != nil {
		s.renderError(w, r, err)
		return
	}
	if d.Tags, err = s.tagPickerOf(ctx, u, p, community.TagPeople, id); err != nil {
		s.renderError(w, r, err)
		return
	}
	p.Data, p.Flash = d, s.takeFlash(w, r)
	s.render(w, http.StatusOK, "person", p)
}

// referrals returns the person's referral tree, for a scoped user only the
// people who have been in one of their groups.
func (s *Server) referrals(r *http.Request, u *access.User, sc scope, id int64, name string) ([]referralRow, error) {
	tree, err := s.Profiles.ReferralTree(r.Context(), u.OrgID, id, 0)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{id: name}
	for _, ref := range tree {
		names[ref.PersonID] = ref.Name
	}
	var groups map[int64][]int64
	if !sc.all && len(tree) > 0 {
		ids := make([]int64, len(tree))
		for i, ref := range tree {
			ids[i] = ref.PersonID
		}
		if groups, err = s.Profiles.PersonGroups(r.Context(), u.OrgID, ids); err != nil {
			return nil, err
		}
	}
	var out []referralRow
	for _, ref := range tree {
		if !sc.all && !inScope(sc, groups[ref.PersonID]) {
			continue
		}
		out = append(out, referralRow{Referral: ref, Inviter: names[ref.InviterID]})
	}
	return out, nil
}

// inScope reports whether one of the groups is in the scope.
func inScope(sc scope, groups []int64) bool {
	for _, g := range groups {
		if sc.has(g) {
			return true
		}
	}
	return false
}

// activeDays counts the distinct days with a message since a time.
func activeDays(times []time.Time, since time.Time, loc *time.Location) int {
	seen := map[string]bool{}
	for _, t := range times {
		if !t.Before(since) {
			seen[t.In(loc).Format("2006-01-02")] = true
		}
	}
	return len(seen)
}
