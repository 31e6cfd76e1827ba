package console

import (
	"net/http"

	"github.com/qunzhu/qunzhu/internal/community"
)

// The organisation tree (company → region/store → groups): every node in
// order with its groups and their state, within the user's scope.

type treeNode struct {
	community.Node
	Depth  int
	Groups []groupRow
	Total  int // groups in this node and below
}

type treeData struct {
	Nodes    []treeNode
	Unplaced []groupRow
	Figures  *weekFigures
}

func (s *Server) treePage(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	figs, err := s.figures(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rows, _, nodes, err := s.groupRows(r, u, groupFilter{Sort: "name", Dir: "asc", Page: 1}, figs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	byNode := map[int64][]groupRow{}
	d := treeData{Figures: figs}
	for _, g := range rows {
		if g.NodeID == 0 {
			d.Unplaced = append(d.Unplaced, g)
			continue
		}
		byNode[g.NodeID] = append(byNode[g.NodeID], g)
	}
	ordered, depth := tree(nodes)
	parent := map[int64]int64{}
	for _, n := range nodes {
		parent[n.ID] = n.ParentID
	}
	total := map[int64]int{}
	for id, gs := range byNode {
		for n, hops := id, 0; n != 0 && hops < 64; n, hops = parent[n], hops+1 {
			total[n] += len(gs)
		}
	}
	for _, n := range ordered {
		if u.Scoped() && total[n.ID] == 0 {
			continue // a scoped user sees only the branches with their groups
		}
		d.Nodes = append(d.Nodes, treeNode{Node: n, Depth: depth[n.ID], Groups: byNode[n.ID], Total: total[n.ID]})
	}
	s.render(w, http.StatusOK, "tree", s.page(r, u, T(l, "tree"), d))
}
