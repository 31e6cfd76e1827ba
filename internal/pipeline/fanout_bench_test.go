package pipeline_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/content"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// BenchmarkFanOut pushes one script to 10,000 groups along the real path —
// planned pushes, handed to the outbox when due, delivered by the
// dispatcher — through a fake platform that records when each send
// arrives, under a connection rate limit. It reports the achieved rate as
// a share of the limit and the limit violations: in no one-second window
// may more than rate sends arrive. (One run per benchmark call: the
// fan-out is the unit; -benchtime=1x.)
func BenchmarkFanOut(b *testing.B) {
	const groups = 10000
	const rate, burst = 1000.0, 1000 // the configuration's default burst: a second's worth
	for range b.N {
		b.StopTimer()
		db := storetest.Open(b, store.SQLite, nil)
		ctx := context.Background()
		org := community.Org{Name: "学院", Slug: "fan"}
		if err := db.CreateOrg(ctx, &org); err != nil {
			b.Fatal(err)
		}
		s := content.Script{OrgID: org.ID, Title: "晚高峰", Body: "今天的复盘：\n一、选品\n二、定价\n大家怎么看？", Author: "staff"}
		if err := db.CreateScript(ctx, &s); err != nil {
			b.Fatal(err)
		}
		for _, to := range []struct {
			st   content.Status
			role content.Role
		}{{content.Submitted, content.Contributor}, {content.InReview, content.Reviewer}, {content.Approved, content.Reviewer}} {
			if _, err := db.MoveScript(ctx, org.ID, s.ID, to.st, to.role, "bench", ""); err != nil {
				b.Fatal(err)
			}
		}
		want := time.Now().Add(-time.Minute)
		for i := range groups {
			g := community.Group{OrgID: org.ID, Connection: "wx", Platform: "fake", ExternalID: fmt.Sprint("g", i), Name: fmt.Sprint("群", i), Kind: community.KindCohort}
			if err := db.CreateGroup(ctx, &g); err != nil {
				b.Fatal(err)
			}
			if _, err := db.PlanPush(ctx, content.PushRequest{OrgID: org.ID, ScriptID: s.ID, GroupID: g.ID, Want: want, Caps: content.DefaultCaps()}); err != nil {
				b.Fatal(err)
			}
		}
		rec := &recorder{}
		d := pipeline.NewDispatcher(pipeline.DispatchConfig{Outbox: db, PollInterval: 5 * time.Millisecond})
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		b.StartTimer()
		start := time.Now()
		go func() { d.Run(runCtx, []pipeline.Route{{Adapter: rec, Rate: rate, Burst: burst}}); close(done) }()
		for { // the scheduler's loop: hand due pushes over until none is left
			n, err := db.SendDuePushes(ctx, 500)
			if err != nil {
				b.Fatal(err)
			}
			d.Wake()
			if n == 0 {
				break
			}
		}
		for len(rec.delivered()) < groups {
			if time.Since(start) > 5*time.Minute {
				b.Fatalf("only %d of %d delivered", len(rec.delivered()), groups)
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.StopTimer()
		cancel()
		<-done
		calls := rec.delivered()
		times := make([]time.Time, len(calls))
		seen := map[string]bool{}
		for i, c := range calls {
			times[i] = c.at
			if seen[c.a.Group] {
				b.Fatalf("group %s got the push twice", c.a.Group)
			}
			seen[c.a.Group] = true
		}
		sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
		// Violations: any one-second window holding more than rate sends.
		violations, j := 0, 0
		for i := range times {
			for times[i].Sub(times[j]) >= time.Second {
				j++
			}
			if i-j+1 > int(rate) {
				violations++
			}
		}
		// Under "at most rate in any second", n sends need at least
		// ceil(n/rate)-1 seconds from the first to the last: the share of
		// the limit achieved is that minimum over the actual span.
		span := times[len(times)-1].Sub(times[0]).Seconds()
		least := math.Ceil(float64(len(times))/rate) - 1
		b.ReportMetric(float64(len(times))/span, "sends/s")
		b.ReportMetric(100*least/span, "%_of_limit")
		b.ReportMetric(float64(violations), "violations")
		b.ReportMetric(time.Since(start).Seconds(), "s_total")
	}
}
