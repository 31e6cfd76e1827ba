package console

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// groupFilter is the groups page's query: its filters and its order.
type groupFilter struct {
	State string // active, dormant, dead, archived; "" for all
	Kind  string // a community.GroupKind; "" for all
	Node  string // a node id (with its subtree), "none" (not placed) or "" for all
	Sort  string // messages, members, last or name
	Dir   string // asc or desc
	Page  int    // of groupsPerPage rows, from 1
}

// groupsPerPage is how many groups a page of /groups lists; the CSV has
// every matching group.
const groupsPerPage = 100

var groupStates = []string{"active", "dormant", "dead", "archived"}

// groupSorts are the sortable columns and their first direction.
var groupSorts = map[string]string{"messages": "desc", "members": "desc", "last": "desc", "name": "asc"}

func parseGroupFilter(r *http.Request) (groupFilter, error) {
	q := r.URL.Query()
	f := groupFilter{State: q.Get("state"), Kind: q.Get("kind"), Node: q.Get("node"), Sort: q.Get("sort"), Dir: q.Get("dir")}
	if f.State != "" && !slices.Contains(groupStates, f.State) {
		return f, errkind.Errorf(errkind.Invalid, "state: want active, dormant, dead or archived, got %q", f.State)
	}
	if f.Kind != "" && !community.GroupKind(f.Kind).Valid() {
		return f, errkind.Errorf(errkind.Invalid, "kind: unknown group kind %q", f.Kind)
	}
	if f.Node != "" && f.Node != "none" {
		if id, err := strconv.ParseInt(f.Node, 10, 64); err != nil || id <= 0 {
			return f, errkind.Errorf(errkind.Invalid, "node: want a node id or none, got %q", f.Node)
		}
	}
	f.Page = 1
	if p := q.Get("page"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return f, errkind.Errorf(errkind.Invalid, "page: want a page number from 1, got %q", p)
		}
		f.Page = n
	}
	if f.Sort == "" {
		f.Sort = "messages"
	}
	first, ok := groupSorts[f.Sort]
	if !ok {
		return f, errkind.Errorf(errkind.Invalid, "sort: want messages, members, last or name, got %q", f.Sort)
	}
	switch f.Dir {
	case "":
		f.Dir = first
	case "asc", "desc":
	default:
		return f, errkind.Errorf(errkind.Invalid, "dir: want asc or desc, got %q", f.Dir)
	}
	return f, nil
}

// query returns the filter as URL parameters, with the order changed (and
// the first page).
func (f groupFilter) query(sort, dir string) url.Values {
	q := url.Values{}
	for k, v := range map[string]string{"state": f.State, "kind": f.Kind, "node": f.Node, "sort": sort, "dir": dir} {
		if v != "" {
			q.Set(k, v)
		}
	}
	return q
}

// pageURL returns the groups page of the filter and order at page n.
func (f groupFilter) pageURL(n int) string {
	q := f.query(f.Sort, f.Dir)
	if n > 1 {
		q.Set("page", strconv.Itoa(n))
	}
	return "/groups?" + q.Encode()
}

// pageLink is a link of the groups page's pager.
type pageLink struct {
	Label   string
	URL     string // empty for the current page and gaps
	Current bool
}

// pager returns the links to the pages of matching groups: the first and
// last, and three either side of the current one.
func (f groupFilter) pager(l Lang, matching int) []pageLink {
	pages := (matching + groupsPerPage - 1) / groupsPerPage
	if pages <= 1 {
		return nil
	}
	var out []pageLink
	if f.Page > 1 {
		out = append(out, pageLink{Label: T(l, "prev_page"), URL: f.pageURL(f.Page - 1)})
	}
	gap := false
	for n := 1; n <= pages; n++ {
		if n != 1 && n != pages && (n < f.Page-3 || n > f.Page+3) {
			if !gap {
				out = append(out, pageLink{Label: "…"})
			}
			gap = true
			continue
		}
		gap = false
		link := pageLink{Label: strconv.Itoa(n), Current: n == f.Page}
		if !link.Current {
			link.URL = f.pageURL(n)
		}
		out = append(out, link)
	}
	if f.Page < pages {
		out = append(out, pageLink{Label: T(l, "next_page"), URL: f.pageURL(f.Page + 1)})
	}
	return out
}

// nodeOption is a tree node in the node filter, indented by depth.
type nodeOption struct {
	ID    string
	Label string
}

// sortLink is a sortable column heading.
type sortLink struct {
	URL   string
	Arrow string // ▲ or ▼ on the column the table is sorted by
}

// groupTable is the table of groups the dashboard and the groups page
// share; only the groups page sorts by its headings.
type groupTable struct {
	Lang  Lang
	Rows  []groupRow
	Sorts map[string]sortLink
}

// column is a heading of the group table.
type column struct {
	Key string
	sortLink
}

var groupColumns = []string{"name", "kind", "platform", "node", "members", "messages_7d", "communicators_7d", "last_message", "state"}

// sortKeys maps the sortable headings to their sort parameter.
var sortKeys = map[string]string{"name": "name", "members": "members", "messages_7d": "messages", "last_message": "last"}

// Columns returns the headings, linked when the table is sortable.
func (t groupTable) Columns() []column {
	out := make([]column, len(groupColumns))
	for i, k := range groupColumns {
		out[i] = column{Key: k, sortLink: t.Sorts[sortKeys[k]]}
	}
	return out
}

type groupsData struct {
	Filter   groupFilter
	Rows     []groupRow // the page's
	Matching int        // groups matching the filter
	From, To int        // the page's rows among them, from 1
	Pages    []pageLink
	Figures  *weekFigures
	Total    int // groups before filtering
	States   []string
	Kinds    []community.GroupKind
	Nodes    []nodeOption
	Sorts    map[string]sortLink
	CSV      string
}

// tree orders nodes depth first under their parents and returns each
// node's depth; nodes whose parent is missing count as roots.
func tree(nodes []community.Node) ([]community.Node, map[int64]int) {
	byID := map[int64]bool{}
	for _, n := range nodes {
		byID[n.ID] = true
	}
	children := map[int64][]community.Node{}
	for _, n := range nodes {
		p := n.ParentID
		if !byID[p] {
			p = 0
		}
		children[p] = append(children[p], n)
	}
	var out []community.Node
	depth := map[int64]int{}
	var walk func(parent int64, d int)
	walk = func(parent int64, d int) {
		for _, n := range children[parent] {
			if _, seen := depth[n.ID]; seen {
				continue
			}
			depth[n.ID] = d
			out = append(out, n)
			walk(n.ID, d+1)
		}
	}
	walk(0, 0)
	return out, depth
}

// subtree returns the ids of a node and of every node below it.
func subtree(nodes []community.Node, root int64) map[int64]bool {
	return community.Subtree(nodes, root)
}

// groupRows lists the organisation's groups with their activity over the
// last 7 days (figs), filtered and sorted.
func (s *Server) groupRows(r *http.Request, u *access.User, f groupFilter, figs *weekFigures) (rows []groupRow, total int, nodes []community.Node, err error) {
	ctx := r.Context()
	now := s.Now()
	orgID := u.OrgID
	all, err := s.groupsOf(ctx, orgID, figs)
	if err != nil {
		return nil, 0, nil, err
	}
	sc, err := s.scopeOf(ctx, u)
	if err != nil {
		return nil, 0, nil, err
	}
	var groups []community.Group
	for _, g := range all {
		if sc.has(g.ID) {
			groups = append(groups, g)
		}
	}
	act := figs.Groups
	nodes, err = s.Store.Nodes(ctx, orgID)
	if err != nil {
		return nil, 0, nil, err
	}
	names := map[int64]string{}
	for _, n := range nodes {
		names[n.ID] = n.Name
	}
	var under map[int64]bool
	if f.Node != "" && f.Node != "none" {
		id, _ := strconv.ParseInt(f.Node, 10, 64)
		under = subtree(nodes, id)
	}
	for _, g := range groups {
		a := act[g.ID]
		row := groupRow{Group: g, GroupActivity: a, State: State(g, a.LastAt, now), Node: names[g.NodeID], LastDay: figs.Rollup}
		switch {
		case f.State != "" && row.State != f.State,
			f.Kind != "" && string(g.Kind) != f.Kind,
			f.Node == "none" && g.NodeID != 0,
			under != nil && !under[g.NodeID]:
			continue
		}
		rows = append(rows, row)
	}
	// Sort positions, not the rows (large structs); ties by name, then id.
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(i, j int) int {
		a, b := &rows[i], &rows[j]
		var c int
		switch f.Sort {
		case "members":
			c = cmp.Compare(a.Members, b.Members)
		case "last":
			c = cmp.Compare(unixOrZero(a.LastAt), unixOrZero(b.LastAt))
		case "name":
			c = strings.Compare(a.Name, b.Name)
		default:
			c = cmp.Compare(a.Messages, b.Messages)
		}
		if f.Dir == "desc" {
			c = -c
		}
		if c == 0 {
			c = strings.Compare(a.Name, b.Name)
		}
		if c == 0 {
			c = cmp.Compare(a.Group.ID, b.Group.ID)
		}
		return c
	})
	sorted := make([]groupRow, len(rows))
	for i, j := range order {
		sorted[i] = rows[j]
	}
	rows = sorted
	return rows, len(groups), nodes, nil
}

func unixOrZero(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return t.UnixMilli()
}

func (s *Server) groups(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	f, err := parseGroupFilter(r)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	figs, err := s.figures(r.Context(), u.OrgID)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	rows, total, nodes, err := s.groupRows(r, u, f, figs)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	if wantsCSV(r) {
		out := make([][]string, 0, len(rows))
		for _, g := range rows {
			last := s.csvTime(g.LastAt)
			if g.LastDay && g.LastAt != nil {
				last = g.LastAt.In(s.Location).Format("2006-01-02")
			}
			out = append(out, []string{strconv.FormatInt(g.ID, 10), g.Name, T(l, "kind_"+string(g.Kind)), g.Platform, g.Node,
				strconv.Itoa(g.Members), strconv.Itoa(g.Capacity), strconv.Itoa(g.Messages), strconv.Itoa(g.Communicators),
				last, T(l, "state_"+g.State)})
		}
		s.sendCSV(w, "qunzhu-groups.csv", headers(l, "id", "name", "kind", "platform", "node", "members", "capacity", "messages_7d", "communicators_7d", "last_message", "state"), out)
		return
	}
	d := groupsData{Filter: f, Matching: len(rows), Figures: figs, Total: total, States: groupStates, Kinds: community.GroupKinds, Sorts: map[string]sortLink{}}
	all := *r
	noPage := *r.URL
	q := noPage.Query()
	q.Del("page")
	noPage.RawQuery = q.Encode()
	all.URL = &noPage
	d.CSV = csvURL(&all)
	if from := (f.Page - 1) * groupsPerPage; from < len(rows) {
		d.Rows = rows[from:min(from+groupsPerPage, len(rows))]
		d.From, d.To = from+1, from+len(d.Rows)
	}
	d.Pages = f.pager(l, len(rows))
	ordered, depth := tree(nodes)
	for _, n := range ordered {
		d.Nodes = append(d.Nodes, nodeOption{ID: strconv.FormatInt(n.ID, 10), Label: strings.Repeat("— ", depth[n.ID]) + n.Name})
	}
	for col, first := range groupSorts {
		link := sortLink{}
		dir := first
		if f.Sort == col {
			link.Arrow = "▲"
			if f.Dir == "desc" {
				link.Arrow = "▼"
			}
			dir = map[string]string{"asc": "desc", "desc": "asc"}[f.Dir]
		}
		link.URL = "/groups?" + f.query(col, dir).Encode()
		d.Sorts[col] = link
	}
	s.render(w, http.StatusOK, "groups", s.page(r, u, T(l, "groups"), d))
}
