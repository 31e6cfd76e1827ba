package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// What the member, content and community pages read. The store
// implements all three; a page whose source is not set is not offered.

// ProfileSource reads members' profiles.
type ProfileSource interface {
	PersonProfile(ctx context.Context, orgID, personID int64) (community.PersonProfile, error)
	PersonModeration(ctx context.Context, orgID, personID int64, limit int) ([]community.ModerationAction, error)
	PersonGroups(ctx context.Context, orgID int64, ids []int64) (map[int64][]int64, error)
	ReferralTree(ctx context.Context, orgID, root int64, maxDepth int) ([]community.Referral, error)
}

// ContentSource is the script library, the push schedule and the duty
// roster: what the content pages read and write.
type ContentSource interface {
	content.LintSource
	content.Scheduler
	Script(ctx context.Context, orgID, id int64) (content.Script, error)
	Revisions(ctx context.Context, orgID, id int64) ([]content.Revision, error)
	CreateScript(ctx context.Context, s *content.Script) error
	EditScript(ctx context.Context, orgID, id int64, title, body string, tags []string, editor string) (content.Script, error)
	MoveScript(ctx context.Context, orgID, id int64, to content.Status, role content.Role, actor, reason string) (content.Script, error)
	OrgPushes(ctx context.Context, orgID int64, from, to time.Time) ([]content.PlannedPush, error)
	PushResponses(ctx context.Context, orgID int64, from, to time.Time) ([]content.PushResponse, error)
	GroupLinkClicks(ctx context.Context, orgID int64, from, to time.Time) ([]content.GroupLinks, error)
	ContentSettings(ctx context.Context, orgID int64) (content.ContentSettings, error)
	SetSelfApproval(ctx context.Context, orgID int64, allow bool, actor string) error
	DutyBoard(ctx context.Context, orgID, personID int64, from, to time.Time) ([]content.DutyItem, error)
	DutyRosters(ctx context.Context, orgID int64) ([]content.Roster, error)
	SetDutyRoster(ctx context.Context, orgID, groupID int64, people []int64, actor string) error
}

// CommunitySource reads the partner programme, events and leaderboards.
type CommunitySource interface {
	PartnerBoard(ctx context.Context, orgID int64) (community.PartnerBoard, error)
	EventSummaries(ctx context.Context, orgID int64, since time.Time) ([]community.EventSummary, error)
	Event(ctx context.Context, orgID, id int64) (community.SignupList, error)
	TopPosters(ctx context.Context, orgID, groupID int64, from, to analytics.Day, substantive bool, limit int) ([]analytics.PosterRank, error)
	TopInviters(ctx context.Context, orgID int64, since time.Time, limit int) ([]community.InviterRank, error)
	// PersonGroups scopes the inviters' leaderboard.
	PersonGroups(ctx context.Context, orgID int64, ids []int64) (map[int64][]int64, error)
}

// configured reports whether the page of a navigation entry has its
// source.
func (s *Server) configured(key string) bool {
	switch key {
	case "scripts", "pushes", "duty":
		return s.Content != nil
	case "cadences":
		return s.Content != nil && s.Cadences != nil
	case "events", "leaderboards":
		return s.Community != nil
	case "partners":
		return s.Partners != nil
	case "growth":
		return s.Growth != nil
	case "settings", "accounts":
		return s.Accounts != nil
	case "import":
		return s.Imports != nil
	case "short_codes":
		return s.ShortCodes != nil
	case "health":
		return s.Health != nil
	case "questions":
		return s.Questions != nil
	case "digest":
		return s.Digests != nil
	case "duplicates":
		return s.Duplicates != nil
	case "churn":
		return s.Churn != nil
	case "tags":
		return s.Tags != nil
	case "structure", "templates":
		return s.Tree != nil
	case "connections":
		return s.ConnAdmin != nil
	case "memberbot":
		return s.editor() != nil
	}
	return true
}

// needs wraps a page that reads a source: without it the page is not
// found.
func (s *Server) needs(key string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.configured(key) {
			s.renderError(w, r, errkind.New(errkind.NotFound, "not configured"))
			return
		}
		h(w, r)
	}
}

// pathID reads the {id} of a path; a bad one is not found.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errkind.Errorf(errkind.NotFound, "no such %s", what)
	}
	return id, nil
}

// classify gives a membership its activity status and tier as the group
// page shows them (analytics.Classify); staff are "staff".
func (s *Server) classify(m community.Membership, a *analytics.MemberActivity, now time.Time) (status, tier string) {
	if m.Role.Staff() {
		return "staff", ""
	}
	h := analytics.Member{JoinedAt: m.JoinedAt}
	if a != nil {
		h.LastMessage = a.Last
		seen := map[analytics.Day]bool{}
		for _, t := range a.Days {
			if d := analytics.DayOf(t, s.Location); !seen[d] {
				seen[d] = true
				h.ActiveDays = append(h.ActiveDays, d)
			}
		}
	}
	st, tr := analytics.Classify(h, now, s.Location)
	return string(st), string(tr)
}
