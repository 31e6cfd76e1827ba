package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// pointsDays is how far back the demo's check-ins go.
const pointsDays = 40

// PointsStore is what seedPoints needs of the store besides Store: its
// ingest transaction, where the member bot records check-ins and points.
// *store.DB implements it.
type PointsStore interface {
	pipeline.Store
	Members(ctx context.Context, groupID int64) ([]community.Member, error)
}

// seedPoints gives the 6th cohort's members the check-ins of the last
// pointsDays days (some every day, some with gaps), a few substantive
// posts' points and two awards by staff, as the member bot would have
// recorded them under the demo's [checkin]: the leaderboards' points
// board and the members' profiles have something to show. The history
// is ingested as the past, which the bot does not judge.
func seedPoints(ctx context.Context, st Store, org community.Org, now time.Time) error {
	db, ok := st.(PointsStore)
	if !ok {
		return fmt.Errorf("demo points: the store has no ingest transaction")
	}
	rs, err := rules.ParseRuleSet("default.toml", []byte(botRules))
	if err != nil {
		return err
	}
	cfg, err := st.Slots(ctx, org.ID, 0)
	if err != nil {
		return err
	}
	loc := cfg.Location()
	groups, err := st.Groups(ctx, org.ID)
	if err != nil {
		return err
	}
	var cohort community.Group
	for _, g := range groups {
		if g.ExternalID == "nf-yx-6" {
			cohort = g
		}
	}
	ms, err := db.Members(ctx, cohort.ID)
	if err != nil {
		return err
	}
	var members []community.Member
	for _, m := range ms {
		if m.Role == community.RoleMember {
			members = append(members, m)
		}
	}
	members = members[:min(len(members), 12)]
	if len(members) == 0 {
		return fmt.Errorf("demo points: the 6th cohort has no members")
	}
	c := rs.Checkin
	return db.Ingest(ctx, func(tx pipeline.Tx) error {
		for i, m := range members {
			last, streak, had := "", 0, false
			for d := pointsDays; d >= 1; d-- {
				// Member i misses one day in i+2 (the first never does).
				if i > 0 && (d+i)%(i+2) == 0 {
					continue
				}
				at := time.Date(now.In(loc).Year(), now.In(loc).Month(), now.In(loc).Day(), 7, 30+i, 0, 0, loc).AddDate(0, 0, -d)
				streak, _ = memberbot.NextStreak(last, streak, had, at)
				last, had = at.Format(time.DateOnly), true
				if err := tx.AddCheckin(ctx, pipeline.Checkin{GroupID: cohort.ID, PersonID: m.PersonID, Day: last, Streak: streak,
					Points: memberbot.CheckinPoints(c, streak), At: at}); err != nil {
					return err
				}
				if d%(i%3+2) == 0 { // a substantive post that day
					if _, err := tx.AddPoints(ctx, pipeline.PointsEntry{GroupID: cohort.ID, PersonID: m.PersonID, Day: last, Kind: pipeline.PointsPost,
						Points: c.PostPoints, Ref: fmt.Sprintf("demo-post-%d-%d", m.PersonID, d), At: at.Add(3 * time.Hour)}); err != nil {
						return err
					}
				}
			}
		}
		for i, why := range []string{"作业写得认真，分享给大家", "帮新同学解答了三个问题"} {
			if i >= len(members) {
				break
			}
			at := now.Add(-time.Duration(i+1) * 26 * time.Hour)
			if _, err := tx.AddPoints(ctx, pipeline.PointsEntry{GroupID: cohort.ID, PersonID: members[i*3%len(members)].PersonID, Day: at.In(loc).Format(time.DateOnly),
				Kind: pipeline.PointsAward, Points: 10 - 5*i, Ref: fmt.Sprintf("demo-award-%d", i), Actor: demoActor, ActorName: "admin", Reason: why, At: at}); err != nil {
				return err
			}
		}
		return nil
	})
}
