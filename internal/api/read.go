package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// GroupJSON is a group as the API shows it.
type GroupJSON struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Platform   string     `json:"platform"`
	Connection string     `json:"connection"`
	ExternalID string     `json:"external_id"`
	Kind       string     `json:"kind"`
	Lifecycle  string     `json:"lifecycle"`
	Capacity   int        `json:"capacity"`
	Members    int        `json:"members"`
	NodeID     int64      `json:"node_id,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

func groupJSON(g community.Group) GroupJSON {
	return GroupJSON{ID: g.ID, Name: g.Name, Platform: g.Platform, Connection: g.Connection, ExternalID: g.ExternalID,
		Kind: string(g.Kind), Lifecycle: string(g.Lifecycle), Capacity: g.Capacity, Members: g.Members, NodeID: g.NodeID,
		ExpiresAt: g.ExpiresAt, CreatedAt: g.CreatedAt}
}

// MemberJSON is a member as the API shows it.
type MemberJSON struct {
	PersonID        int64     `json:"person_id"`
	Name            string    `json:"name"`
	PlatformUserID  string    `json:"platform_user_id"`
	Role            string    `json:"role"`
	Source          string    `json:"source"`
	InviterPersonID int64     `json:"inviter_person_id,omitempty"`
	Code            string    `json:"code,omitempty"`
	JoinedAt        time.Time `json:"joined_at"`
}

// MessageJSON is a message as the API shows it.
type MessageJSON struct {
	ID             int64     `json:"id"`
	ExternalID     string    `json:"external_id"`
	SenderPersonID int64     `json:"sender_person_id"`
	SenderName     string    `json:"sender_name"`
	Kind           string    `json:"kind"`
	Text           string    `json:"text"`
	URL            string    `json:"url,omitempty"`
	ReplyTo        string    `json:"reply_to,omitempty"`
	SentAt         time.Time `json:"sent_at"`
}

func orgOf(r *http.Request) int64 { return r.Context().Value(tokenKey{}).(access.Token).OrgID }

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) (int, any, error) {
	gs, err := s.Store.Groups(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Groups []GroupJSON `json:"groups"`
	}{Groups: make([]GroupJSON, 0, len(gs))}
	for _, g := range gs {
		out.Groups = append(out.Groups, groupJSON(g))
	}
	return http.StatusOK, out, nil
}

// group loads the {id} group of the token's organisation.
func (s *Server) group(r *http.Request) (community.Group, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return community.Group{}, errkind.Errorf(errkind.Invalid, "group id %q: want a positive whole number", r.PathValue("id"))
	}
	return s.Store.Group(r.Context(), orgOf(r), id)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, groupJSON(g), nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	ms, err := s.Store.Members(r.Context(), g.ID)
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Members []MemberJSON `json:"members"`
	}{Members: make([]MemberJSON, 0, len(ms))}
	for _, m := range ms {
		out.Members = append(out.Members, MemberJSON{PersonID: m.PersonID, Name: m.Name, PlatformUserID: m.PlatformUserID, Role: string(m.Role),
			Source: string(m.Source), InviterPersonID: m.InviterID, Code: m.Code, JoinedAt: m.JoinedAt})
	}
	return http.StatusOK, out, nil
}

func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	limit, err := intParam(r, "limit", 100, 1, 500)
	if err != nil {
		return 0, nil, err
	}
	before, err := intParam(r, "before", 0, 0, 1<<62)
	if err != nil {
		return 0, nil, err
	}
	ms, err := s.Store.Messages(r.Context(), g.ID, community.Page{Limit: int(limit), Before: before})
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Messages []MessageJSON `json:"messages"`
		Next     string        `json:"next,omitempty"`
	}{Messages: make([]MessageJSON, 0, len(ms))}
	for _, m := range ms {
		out.Messages = append(out.Messages, MessageJSON{ID: m.ID, ExternalID: m.ExternalID, SenderPersonID: m.PersonID, SenderName: m.SenderName,
			Kind: string(m.Kind), Text: m.Text, URL: m.URL, ReplyTo: m.ReplyTo, SentAt: m.SentAt})
	}
	if len(ms) == int(limit) {
		out.Next = strconv.FormatInt(ms[len(ms)-1].ID, 10)
	}
	return http.StatusOK, out, nil
}
