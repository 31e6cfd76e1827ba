//go:build unix

package store_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// BenchmarkReplayMessages: `qunzhu rules replay` and the rules editor's
// replay over a million stored messages (docs/benchmarks.md): an
// organisation of 100 groups and 20,000 members with 1,000,000 messages
// over 30 days on SQLite, one in fifty of them an ad and one in a hundred
// a long pasted text, generated once (-scale.cache keeps it between
// runs). "stream" reads the messages as the replay does — the count, the
// memberships, identities and actions, then every message in time order
// across the groups; "replay" judges each with the rules as well.
func BenchmarkReplayMessages(b *testing.B) {
	s := storetest.Scale{Groups: 100, Members: 20_000, Messages: 1_000_000, Days: 30,
		Now: time.Date(2026, 6, 30, 15, 0, 0, 0, storetest.ScaleLoc), Loc: storetest.ScaleLoc, Seed: 19}
	start := time.Now()
	db, g := storetest.ScaleDB(b, store.SQLite, s, func() time.Time { return s.Now })
	ctx := context.Background()
	// Some of what the rules are for, among the generator's chat.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE messages SET text = '加 薇 信 abc1688 领资料，日赚300' WHERE id % 50 = 7`); err != nil {
		b.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `UPDATE messages SET text = '今天学到的三点：第一，选品要看数据，不要凭感觉；第二，定价要留出推广的空间；第三，详情页的前三屏决定转化率。老师讲的案例里，那家卖茶叶的店把主图换成了茶园实拍，点击率翻了一倍。大家回去都试一试，下周课上交流。' WHERE id % 100 = 3`); err != nil {
		b.Fatal(err)
	}
	var groups []int64
	rows, err := db.SQL().QueryContext(ctx, "SELECT id FROM chat_groups WHERE org_id = ?", g.OrgID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		groups = append(groups, id)
	}
	rows.Close()
	b.Logf("%d groups, %d messages ready in %v", len(groups), g.Messages, time.Since(start).Round(time.Second))
	since, until := s.Now.AddDate(0, 0, -s.Days-1), s.Now
	run := func(b *testing.B, judge bool) {
		e := rules.NewEngine(nil, nil)
		rs := rules.Default()
		msgs := 0
		cpu0 := cpuTime()
		for b.Loop() {
			total, seq, err := db.ReplayMessages(ctx, g.OrgID, groups, since, until)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			if judge {
				r, err := rules.Replay(ctx, rules.ReplayOptions{Rules: rs, Engine: e}, seq)
				if err != nil {
					b.Fatal(err)
				}
				n = r.Messages
			} else {
				for _, err := range seq {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			if n != total || n < s.Messages*9/10 {
				b.Fatalf("%d of %d messages", n, total)
			}
			msgs += n
		}
		// The machine may be shared: the process's CPU time says what the
		// work costs, the wall clock what it took.
		b.ReportMetric(float64(msgs)/b.Elapsed().Seconds(), "msgs/s")
		b.ReportMetric(float64(msgs)/(cpuTime()-cpu0).Seconds(), "msgs/cpu-s")
	}
	b.Run("stream", func(b *testing.B) { run(b, false) })
	b.Run("replay", func(b *testing.B) { run(b, true) })
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
