// Package demo builds the demo community: the organisation tree and groups
// of an e-commerce academy (after the seed's 大别山网商学院) and a
// residential owners' group (万景城), with 60 days of simulated history.
package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// HistoryDays is how much simulated history the demo starts with.
const HistoryDays = 60

// Ingester stores events.
type Ingester interface {
	IngestCount(ctx context.Context, events []chat.Event) (pipeline.Result, error)
}

// Store is what Seed writes: the tree, partner levels, groups, staff
// roles and the content (ContentStore). *store.DB implements it.
type Store interface {
	CreateNode(ctx context.Context, n *community.Node) error
	CreatePartnerLevel(ctx context.Context, l *community.PartnerLevel) error
	CreateGroup(ctx context.Context, g *community.Group) error
	SetRole(ctx context.Context, connection, groupExt, userExt string, role community.Role) error
	AccessStore
	TreeStore
	PartnersStore
	ContentStore
	QuestionsStore
	TagsStore
	CadencesStore
	CreateConnectionDef(ctx context.Context, d *connections.Def) error
}

// Seed creates the tree, groups and partner levels of org, imports the
// simulator's history through the pipeline (reporting progress to w) and
// sets the staff roles.
func Seed(ctx context.Context, db Store, in Ingester, s *sim.Sim, org community.Org, now time.Time, w io.Writer) error {
	company := community.Node{OrgID: org.ID, Name: "湖北农夫电商股份有限公司", Kind: community.NodeCompany}
	if err := db.CreateNode(ctx, &company); err != nil {
		return err
	}
	academy := community.Node{OrgID: org.ID, ParentID: company.ID, Name: "大别山网商学院", Kind: community.NodeTeam}
	if err := db.CreateNode(ctx, &academy); err != nil {
		return err
	}
	community_ := community.Node{OrgID: org.ID, ParentID: company.ID, Name: "万景城社区", Kind: community.NodeCommunity}
	if err := db.CreateNode(ctx, &community_); err != nil {
		return err
	}
	branches := map[string]int64{}
	for _, b := range []string{"阳新", "黄梅", "黄州"} {
		n := community.Node{OrgID: org.ID, ParentID: academy.ID, Name: b + "分院", Kind: community.NodeRegion}
		if err := db.CreateNode(ctx, &n); err != nil {
			return err
		}
		branches[b] = n.ID
	}
	shop := community.Node{OrgID: org.ID, ParentID: branches["阳新"], Name: "阳新县城店", Kind: community.NodeStore}
	if err := db.CreateNode(ctx, &shop); err != nil {
		return err
	}
	for _, l := range community.DefaultPartnerLevels() {
		l.OrgID = org.ID
		if err := db.CreatePartnerLevel(ctx, &l); err != nil {
			return err
		}
	}
	from := now.Add(-HistoryDays * 24 * time.Hour)
	for _, g := range s.Groups() {
		node := academy.ID
		if id, ok := branches[g.Branch]; ok {
			node = id
		}
		if g.Style == sim.Owners {
			node = community_.ID
		}
		grp := community.Group{OrgID: org.ID, NodeID: node, Connection: s.Name(), Platform: "sim", ExternalID: g.ID, Name: g.Name,
			Kind: community.GroupKind(g.Kind), Capacity: g.Capacity, CreatedAt: from.Add(-91 * 24 * time.Hour)}
		if err := db.CreateGroup(ctx, &grp); err != nil {
			return err
		}
	}
	planDepartures(s, now)
	evs := s.History(from, now)
	fmt.Fprintf(w, "importing %d days of simulated history (%d events)…\n", HistoryDays, len(evs))
	// Staff roles are set as soon as the staff have joined, before anything
	// they say is judged: the rules exempt staff, and a 秘书长 moderated by
	// her own group's rules is not what the demo should show.
	type staffRole struct {
		group, user string
		role        community.Role
	}
	var staff []staffRole
	isStaff := map[[2]string]bool{}
	for _, g := range s.Groups() {
		owner, secretary, assistants := s.Staff(g.ID)
		staff = append(staff, staffRole{g.ID, owner, community.RoleOwner}, staffRole{g.ID, secretary, community.RoleSecretary})
		for _, a := range assistants {
			staff = append(staff, staffRole{g.ID, a, community.RoleAssistant})
		}
	}
	for _, st := range staff {
		isStaff[[2]string{st.group, st.user}] = true
	}
	joined := 0 // evs[:joined] holds every staff member's join
	for i, e := range evs {
		if isStaff[[2]string{e.Group, e.Sender.ID}] && e.Type == chat.EventMemberJoined {
			joined = i + 1
		}
	}
	imp := &historyFeed{in: in, w: w, total: len(evs), last: -1}
	if err := imp.ingest(ctx, evs[:joined]); err != nil {
		return err
	}
	for _, st := range staff {
		if err := db.SetRole(ctx, s.Name(), st.group, st.user, st.role); err != nil {
			return fmt.Errorf("staff of %s: %w", st.group, err)
		}
	}
	if err := imp.ingest(ctx, evs[joined:]); err != nil {
		return err
	}
	if err := openCohorts(ctx, db, in, s, org, academy.ID, now); err != nil {
		return err
	}
	if err := seedEvents(ctx, db, in, s, org, now); err != nil {
		return err
	}
	if err := seedTree(ctx, db, in, org, now); err != nil {
		return err
	}
	if err := seedPartners(ctx, db, in, s.Name(), org, now); err != nil {
		return err
	}
	if err := seedContent(ctx, db, in, s, org, now); err != nil {
		return err
	}
	if err := seedConnections(ctx, db, org); err != nil {
		return err
	}
	if err := seedQuestions(ctx, db, org, now); err != nil {
		return err
	}
	if err := seedTags(ctx, db, org); err != nil {
		return err
	}
	if err := seedCadences(ctx, db, org); err != nil {
		return err
	}
	if err := seedPoints(ctx, db, org, now); err != nil {
		return err
	}
	return seedAccess(ctx, db, org.ID)
}

// historyFeed ingests history in chunks and reports its progress.
type historyFeed struct {
	in          Ingester
	w           io.Writer
	done, total int
	last        int
}

func (im *historyFeed) ingest(ctx context.Context, evs []chat.Event) error {
	const chunk = 2000
	for i := 0; i < len(evs); i += chunk {
		part := evs[i:min(i+chunk, len(evs))]
		if _, err := im.in.IngestCount(ctx, part); err != nil {
			return fmt.Errorf("import history: %w", err)
		}
		im.done += len(part)
		if pct := im.done * 100 / max(im.total, 1); pct/10 != im.last/10 {
			im.last = pct
			fmt.Fprintf(im.w, "  %3d%%\n", min(pct, 100))
		}
	}
	return nil
}
