package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// BenchmarkTrackQuestions: the question tracker catching up with 20,000
// new messages over 200 groups, each with an assistant on duty, a quarter
// of the messages questions — the tracker reads every stored message once,
// so this is what it adds to each message a busy ingest stores.
func BenchmarkTrackQuestions(b *testing.B) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, cst)
	db, org := benchOrg(b, now)
	const groups, members, perRound = 200, 20, 20_000
	type seat struct{ group, person int64 }
	var seats []seat
	for g := range groups {
		grp := benchGroup(b, db, org, g, now)
		for m := range members + 1 {
			p := community.Person{OrgID: org.ID, Name: fmt.Sprintf("成员%d-%d", g, m)}
			if err := db.CreatePerson(ctx, &p); err != nil {
				b.Fatal(err)
			}
			role := community.RoleMember
			if m == 0 {
				role = community.RoleAssistant
			}
			if err := db.AddMembership(ctx, &community.Membership{GroupID: grp.ID, PersonID: p.ID, Role: role, JoinedAt: now.AddDate(0, -1, 0)}); err != nil {
				b.Fatal(err)
			}
			seats = append(seats, seat{grp.ID, p.ID})
		}
	}
	texts := []string{"请问明天几点上课？", "好的，收到", "今天的作业在哪里交", "谢谢老师"}
	seq := 0
	round := func() {
		msgs := make([]community.Message, perRound)
		for i := range msgs {
			s := seats[(seq*7919)%len(seats)]
			seq++
			msgs[i] = community.Message{GroupID: s.group, PersonID: s.person, ExternalID: fmt.Sprintf("m%d", seq), Kind: chat.KindText,
				Text: texts[seq%len(texts)], SentAt: now.Add(-time.Hour + time.Duration(i)*time.Millisecond*100)}
		}
		if err := db.Ingest(ctx, func(tx pipeline.Tx) error { return tx.InsertMessages(ctx, msgs) }); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		b.StopTimer()
		round()
		b.StartTimer()
		read := 0
		for {
			run, err := db.TrackQuestions(ctx, org.ID, now, cst)
			if err != nil {
				b.Fatal(err)
			}
			read += run.Read
			if run.Read < store.QuestionBatch {
				break
			}
		}
		if read != perRound {
			b.Fatalf("read %d messages, want %d", read, perRound)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*perRound), "µs/msg")
}

// benchOrg opens a SQLite store at the clock's now with one organisation.
func benchOrg(b *testing.B, now time.Time) (*store.DB, community.Org) {
	b.Helper()
	db := storetest.Open(b, store.SQLite, func() time.Time { return now })
	org := community.Org{Name: "学院", Slug: "academy"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		b.Fatal(err)
	}
	return db, org
}

// benchGroup creates the organisation's cohort group number g on
// connection wx, a month old.
func benchGroup(b *testing.B, db *store.DB, org community.Org, g int, now time.Time) community.Group {
	b.Helper()
	grp := community.Group{OrgID: org.ID, Connection: "wx", Platform: "webhook", ExternalID: fmt.Sprintf("g%d", g), Name: fmt.Sprintf("第%d期", g),
		Kind: community.KindCohort, CreatedAt: now.AddDate(0, -1, 0)}
	if err := db.CreateGroup(ctx, &grp); err != nil {
		b.Fatal(err)
	}
	return grp
}
