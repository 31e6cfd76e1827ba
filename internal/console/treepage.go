package console

import (
	"net/http"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
)

// The organisation tree (company → region/store → groups): every node in
// order with its groups and their state, within the user's scope; for an
// account that may edit the tree, the forms that add, rename, move and
// delete nodes (tree.go).

type treeNode struct {
	community.Node
	Depth  int
	Groups []groupRow
	Total  int // groups in this node and below
	Path   string
	// Editable: the account may rename, move and delete the node; AddHere:
	// add a node under it.
	Editable bool
	AddHere  bool
	Parents  []treeOption // where it may move: the nodes in scope not below it
	Targets  []treeOption // where what it holds may go when it is deleted
	Holds    bool         // it has child nodes or groups
}

type treeData struct {
	Nodes    []treeNode
	Unplaced []groupRow
	Figures  *weekFigures
	// The add form: where a node may go (Top: at the top of the tree, for
	// a manager) and the node kinds.
	CanEdit bool
	Top     bool
	Parents []treeOption
	Kinds   []community.NodeKind
	// People links the people search.
	People    bool
	Templates bool
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
	d := treeData{Figures: figs, People: s.configured("structure"), Templates: s.configured("templates")}
	for _, g := range rows {
		if g.NodeID == 0 {
			d.Unplaced = append(d.Unplaced, g)
			continue
		}
		byNode[g.NodeID] = append(byNode[g.NodeID], g)
	}
	ordered, depth := tree(nodes)
	parent := map[int64]int64{}
	children := map[int64]int{}
	for _, n := range nodes {
		parent[n.ID] = n.ParentID
		children[n.ParentID]++
	}
	total := map[int64]int{}
	for id, gs := range byNode {
		for n, hops := id, 0; n != 0 && hops < 64; n, hops = parent[n], hops+1 {
			total[n] += len(gs)
		}
	}
	ns := nodeScopeOf(u, nodes)
	edit := s.configured("structure") && u.May(access.EditTree)
	paths := nodePaths(nodes)
	for _, n := range ordered {
		if u.Scoped() && total[n.ID] == 0 && !ns.has(n.ID) {
			continue // a scoped user sees only the branches with their groups
		}
		tn := treeNode{Node: n, Depth: min(depth[n.ID], 6), Groups: byNode[n.ID], Total: total[n.ID], Path: paths[n.ID]}
		if edit {
			tn.AddHere = ns.has(n.ID)
			tn.Editable = ns.editable(n.ID)
			tn.Holds = children[n.ID] > 0 || len(byNode[n.ID]) > 0
		}
		if tn.Editable {
			below := subtree(nodes, n.ID)
			tn.Targets = nodeOptions(nodes, ns, below)
			skip := map[int64]bool{n.ParentID: true}
			for id := range below {
				skip[id] = true
			}
			tn.Parents = nodeOptions(nodes, ns, skip)
			if ns.all && n.ParentID != 0 {
				tn.Parents = append([]treeOption{{0, T(l, "tree_top")}}, tn.Parents...)
			}
		}
		d.Nodes = append(d.Nodes, tn)
	}
	if edit && (ns.all || ns.root != 0) {
		d.CanEdit, d.Top, d.Kinds = true, ns.all, community.NodeKinds
		d.Parents = nodeOptions(nodes, ns, nil)
	}
	p := s.page(r, u, T(l, "tree"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "tree", p)
}
