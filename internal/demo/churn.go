package demo

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
)

// Who leaves and who takes a second seat, in the simulated history: the
// churn log (docs/console/churn.md) and the duplicates page
// (docs/console/duplicates.md) read what the pipeline made of it.

// planDepartures has, in the last days of the history, a few of the
// chattiest members of three groups leave, and an assistant of the
// migrants' group: formerly active members the churn log marks, and a
// staff member whose groups it hands over.
func planDepartures(s *sim.Sim, now time.Time) {
	for i, p := range []struct {
		group string
		nth   int
		ago   time.Duration
	}{
		{"nf-topic-live", 0, 50 * time.Hour},
		{"nf-yx-migrants", 1, 98 * time.Hour},
		{"nf-all", 2, 26 * time.Hour},
	} {
		if r := s.Regulars(p.group, p.nth+1); len(r) > p.nth {
			s.Depart(p.group, r[p.nth], now.Add(-p.ago).Add(time.Duration(i)*time.Minute))
		}
	}
	if _, _, assistants := s.Staff("nf-yx-migrants"); len(assistants) > 1 {
		s.Depart("nf-yx-migrants", assistants[1], now.Add(-74*time.Hour))
	}
}

// cohorts2026 are this year's cohort groups the academy template asks for
// (academyTemplate): the first opened 40 days ago with the consultation
// group's members who enrolled, the second 12 days ago — and some of the
// first cohort joined the second too, taking a seat in each group of the
// series.
var cohorts2026 = []struct {
	spec sim.GroupSpec
	ago  int // days
}{
	{sim.GroupSpec{ID: "nf-2026-1", Name: "NF-大别山网商学院2026第1期学员群", Kind: "cohort", Style: sim.Academy, Members: 60, Capacity: 200, Liveness: 1.0}, 40},
	{sim.GroupSpec{ID: "nf-2026-2", Name: "NF-大别山网商学院2026第2期学员群", Kind: "cohort", Style: sim.Academy, Members: 36, Capacity: 200, Liveness: 0.9}, 12},
}

// openCohorts opens this year's cohort groups on the simulator, creates
// them at the academy, and imports their history through the pipeline,
// their staff's roles set once they joined.
func openCohorts(ctx context.Context, db Store, in Ingester, s *sim.Sim, org community.Org, academy int64, now time.Time) error {
	also := [][]string{
		ids("nf-enrol-m%d", 10, 70, 5), // enrolled from the consultation group
		ids("nf-2026-1-m%d", 5, 45, 4), // the first cohort, hearing the lessons again
	}
	for i, c := range cohorts2026 {
		at := now.AddDate(0, 0, -c.ago)
		evs := s.Open(c.spec, at, now, also[i])
		g := community.Group{OrgID: org.ID, NodeID: academy, Connection: s.Name(), Platform: "sim", ExternalID: c.spec.ID, Name: c.spec.Name,
			Kind: community.KindCohort, Capacity: c.spec.Capacity, CreatedAt: at}
		if err := db.CreateGroup(ctx, &g); err != nil {
			return fmt.Errorf("demo cohort %s: %w", c.spec.Name, err)
		}
		owner, secretary, assistants := s.Staff(c.spec.ID)
		roles := map[string]community.Role{owner: community.RoleOwner, secretary: community.RoleSecretary}
		for _, a := range assistants {
			roles[a] = community.RoleAssistant
		}
		w := &historyFeed{in: in, w: io.Discard, total: len(evs), last: -1}
		joined := 0 // evs[:joined] holds the staff's joins
		for j, e := range evs {
			if _, ok := roles[e.Sender.ID]; ok && e.Type == chat.EventMemberJoined {
				joined = j + 1
			}
		}
		if err := w.ingest(ctx, evs[:joined]); err != nil {
			return err
		}
		for user, role := range roles {
			if err := db.SetRole(ctx, s.Name(), c.spec.ID, user, role); err != nil {
				return fmt.Errorf("staff of %s: %w", c.spec.ID, err)
			}
		}
		if err := w.ingest(ctx, evs[joined:]); err != nil {
			return err
		}
	}
	return nil
}

// ids are the platform ids of format with n from first to last, every
// step.
func ids(format string, first, last, step int) []string {
	var out []string
	for n := first; n <= last; n += step {
		out = append(out, fmt.Sprintf(format, n))
	}
	return out
}
