package api

import (
	"context"
	"net/http"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
)

// Tags (docs/console/tags.md): the organisation's tags with their rules,
// so that a cadence or a push plan can name a group tag (tag_id). Tags
// are made and changed in the console.
func (s *Server) tagRoutes(mux *http.ServeMux) {
	if s.Tags == nil {
		return
	}
	mux.HandleFunc("GET /api/v1/tags", s.tokenAuth(s.json(s.listTags)))
}

// TagLister lists the organisation's tags (community.Tagger does).
type TagLister interface {
	Tags(ctx context.Context, orgID int64) ([]community.Tag, error)
}

// TagJSON is a tag as the API shows it.
type TagJSON struct {
	ID        int64         `json:"id"`
	Name      string        `json:"name"`
	Subject   string        `json:"subject"` // group or person
	Rules     []TagRuleJSON `json:"rules"`
	Manual    int           `json:"manual"` // put in by hand
	CreatedBy string        `json:"created_by"`
	CreatedAt time.Time     `json:"created_at"`
}

// TagRuleJSON is one rule of a tag: a field and the value it matches
// (an id for node, template, campaign and level).
type TagRuleJSON struct {
	ID    int64  `json:"id"`
	Field string `json:"field"`
	Value string `json:"value"`
}

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) (int, any, error) {
	tags, err := s.Tags.Tags(r.Context(), orgOf(r))
	if err != nil {
		return 0, nil, err
	}
	out := struct {
		Tags []TagJSON `json:"tags"`
	}{Tags: []TagJSON{}}
	for _, t := range tags {
		j := TagJSON{ID: t.ID, Name: t.Name, Subject: string(t.Subject), Rules: []TagRuleJSON{}, Manual: t.Manual, CreatedBy: t.CreatedBy, CreatedAt: t.CreatedAt}
		for _, rl := range t.Rules {
			j.Rules = append(j.Rules, TagRuleJSON{ID: rl.ID, Field: rl.Field, Value: rl.Value})
		}
		out.Tags = append(out.Tags, j)
	}
	return http.StatusOK, out, nil
}
