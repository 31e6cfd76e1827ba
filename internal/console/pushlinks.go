package console

import (
	"context"
	"time"

	"github.com/qunzhu/qunzhu/internal/content"
)

// The clicks of pushed links on the push calendar (docs/metrics.md,
// "Click-tracked links"): each sent push's row carries its short links'
// clicks and visitors (content.PushResponse), and a card sums them up by
// group over the same 7 days — the user's groups only.

// groupLinks reads the link clicks of the pushes sent from from to to, by
// group, of the groups in the scope.
func (s *Server) groupLinks(ctx context.Context, orgID int64, sc scope, from, to time.Time) ([]content.GroupLinks, error) {
	all, err := s.Content.GroupLinkClicks(ctx, orgID, from, to)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, g := range all {
		if sc.has(g.GroupID) {
			out = append(out, g)
		}
	}
	return out, nil
}
