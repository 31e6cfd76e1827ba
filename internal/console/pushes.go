package console

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/content"
)

// The push calendar: the next 7 days of planned pushes and the last 7 days
// of sent ones across the user's groups, by day and slot, with the
// assistant on duty, why a push was deferred or dropped, and for sent ones
// what it drew; the duty roster's coverage on top.

const calendarDays = 7

// pushRow is one push on the calendar.
type pushRow struct {
	content.PlannedPush
	Day      string // the day it is (or was) planned for
	Weekday  int
	DayStart bool // the first push of its day
	Deferred bool // planned later than asked
	Response *content.PushResponse
}

// dutyRow is one assistant's share of the roster.
type dutyRow struct {
	Person     int64
	Name       string
	Upcoming   int // planned for the next 7 days
	Sent       int // sent in the last 7 days
	FollowedUp int // of those, followed up by them within 15 minutes
}

type pushesData struct {
	Upcoming   []pushRow
	Sent       []pushRow
	Duty       []dutyRow
	Unassigned int // upcoming pushes without an assistant on duty
	Measured   int // sent pushes measured
	FollowedUp int // of those, followed up by staff
	Rate       int // percent
	CSV        string
}

func (s *Server) pushes(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	ctx := r.Context()
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	now := s.Now()
	week := calendarDays * 24 * time.Hour
	list, err := s.Content.OrgPushes(ctx, u.OrgID, now.Add(-week), now.Add(week))
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	resps, err := s.Content.PushResponses(ctx, u.OrgID, now.Add(-week), now)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	byPush := map[int64]*content.PushResponse{}
	var d pushesData
	for i := range resps {
		if sc.has(resps[i].GroupID) {
			byPush[resps[i].PushID] = &resps[i]
			d.Measured++
			if resps[i].FollowedUp {
				d.FollowedUp++
			}
		}
	}
	if d.Measured > 0 {
		d.Rate = d.FollowedUp * 100 / d.Measured
	}
	duty := map[int64]*dutyRow{}
	dutyOf := func(p content.PlannedPush) *dutyRow {
		row := duty[p.DutyPerson]
		if row == nil {
			row = &dutyRow{Person: p.DutyPerson, Name: p.DutyName}
			duty[p.DutyPerson] = row
		}
		return row
	}
	for _, p := range list {
		if !sc.has(p.GroupID) {
			continue
		}
		row := pushRow{PlannedPush: p, Deferred: p.PlannedAt.After(p.WantAt)}
		switch {
		case p.Status == content.PushSent && p.SentAt != nil && !p.SentAt.After(now):
			row.Response = byPush[p.ID]
			row.Day, row.Weekday = s.day(*p.SentAt)
			d.Sent = append(d.Sent, row)
			if p.DutyPerson != 0 {
				dr := dutyOf(p)
				dr.Sent++
				if row.Response != nil && row.Response.ByDuty {
					dr.FollowedUp++
				}
			}
		case p.Status != content.PushSent && !p.PlannedAt.Before(now):
			row.Day, row.Weekday = s.day(p.PlannedAt)
			d.Upcoming = append(d.Upcoming, row)
			if p.Status == content.PushPlanned {
				if p.DutyPerson == 0 {
					d.Unassigned++
				} else {
					dutyOf(p).Upcoming++
				}
			}
		}
	}
	// The sent ones newest first, each list by day.
	sort.SliceStable(d.Sent, func(i, j int) bool { return d.Sent[i].SentAt.After(*d.Sent[j].SentAt) })
	markDays(d.Upcoming)
	markDays(d.Sent)
	for _, row := range duty {
		d.Duty = append(d.Duty, *row)
	}
	sort.Slice(d.Duty, func(i, j int) bool { return d.Duty[i].Person < d.Duty[j].Person })
	if wantsCSV(r) {
		l := langOf(r)
		var out [][]string
		for _, rows := range [][]pushRow{d.Upcoming, d.Sent} {
			for _, p := range rows {
				posts, followed := "", ""
				if p.Response != nil {
					posts = strconv.Itoa(p.Response.Posts60)
					followed = strconv.FormatBool(p.Response.FollowedUp)
				}
				out = append(out, []string{strconv.FormatInt(p.ID, 10), p.Group, p.Title, p.Slot, s.csvTime(&p.PlannedAt), s.csvTime(p.SentAt),
					string(p.Status), p.Reason, p.DutyName, posts, followed})
			}
		}
		s.sendCSV(w, "qunzhu-pushes.csv", headers(l, "id", "group", "title", "slot", "planned", "sent", "status", "reason", "duty", "posts_60m", "followed_up"), out)
		return
	}
	d.CSV = csvURL(r)
	s.render(w, http.StatusOK, "pushes", s.page(r, u, T(langOf(r), "pushes"), d))
}

// markDays marks the first row of each day.
func markDays(rows []pushRow) {
	for i := range rows {
		rows[i].DayStart = i == 0 || rows[i].Day != rows[i-1].Day
	}
}

// day returns the date and the weekday of a time in the console's zone.
func (s *Server) day(t time.Time) (string, int) {
	t = t.In(s.Location)
	return t.Format("2006-01-02"), int(t.Weekday())
}

// pushRowsData is what the calendar's row template gets.
type pushRowsData struct {
	Lang Lang
	Rows []pushRow
	Sent bool
}
