package memberbot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// memCheckins keeps check-ins in memory, as the store does, and the
// other points (points_test.go).
type memCheckins struct {
	rows    []pipeline.Checkin
	entries []pipeline.PointsEntry
}

func (m *memCheckins) LastCheckin(_ context.Context, g, p int64) (string, int, bool, error) {
	for i := len(m.rows) - 1; i >= 0; i-- {
		if r := m.rows[i]; r.GroupID == g && r.PersonID == p {
			return r.Day, r.Streak, true, nil
		}
	}
	return "", 0, false, nil
}

func (m *memCheckins) AddCheckin(_ context.Context, c pipeline.Checkin) error {
	m.rows = append(m.rows, c)
	return nil
}

func (m *memCheckins) PointsSince(_ context.Context, g, p int64, since string) (int, error) {
	n := 0
	for _, r := range m.rows {
		if r.GroupID == g && r.PersonID == p && r.Day >= since {
			n += r.Points
		}
	}
	for _, r := range m.entries {
		if r.GroupID == g && r.PersonID == p && r.Day >= since {
			n += r.Points
		}
	}
	return n, nil
}

func TestNextStreak(t *testing.T) {
	day := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		last   string
		n      int
		ok     bool
		streak int
		again  bool
	}{
		{"", 0, false, 1, false},
		{"2026-02-28", 6, true, 7, false}, // the day before, across a month's end
		{"2026-02-27", 6, true, 1, false}, // a day missed
		{"2026-03-01", 3, true, 3, true},  // again today
	} {
		streak, again := NextStreak(tt.last, tt.n, tt.ok, day)
		if streak != tt.streak || again != tt.again {
			t.Errorf("after %q (%d): %d %v, want %d %v", tt.last, tt.n, streak, again, tt.streak, tt.again)
		}
	}
}

// TestCheckinStreak: a member checks in every evening for 30 days on a
// fake clock (at 23:30 in the server's zone, so UTC days would differ),
// twice on one day, misses a day, and starts again.
func TestCheckinStreak(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	rs, err := rules.ParseRuleSet("g.toml", []byte("[checkin]\nwords = [\"打卡\", \"签到打卡\"]\npoints = 2\nstreak_bonus = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	store := &memCheckins{}
	bot := &Bot{RuleSet: func(community.Group) *rules.RuleSet { return rs }, Location: cst}
	say := func(at time.Time, text string) string {
		t.Helper()
		e := &chat.Event{ID: "e", Connection: "tg", Group: "-100", Type: chat.EventMessage, Time: at, Sender: chat.User{ID: "u1", Name: "小王"},
			Message: &chat.Message{ID: "m", Kind: chat.KindText, Text: text}}
		vs, err := bot.Decide(context.Background(), &pipeline.Input{Event: e, Group: community.Group{ID: 7}, PersonID: 1, Caps: chat.AllActions(), Checkins: store})
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 1 {
			return ""
		}
		return vs[0].Text
	}
	start := time.Date(2026, 3, 1, 23, 30, 0, 0, cst)
	var last string
	for i := range 30 {
		words := []string{"打卡", "/checkin", "签到打卡", "/checkin@qunzhu_bot"}
		last = say(start.AddDate(0, 0, i), words[i%len(words)])
	}
	// 30 days × 2, and the bonus on days 7, 14, 21, 28.
	if want := "小王 打卡成功！已连续 30 天，积分 +2（共 80 分）。"; last != want {
		t.Errorf("day 30: %q, want %q", last, want)
	}
	if got := say(start.AddDate(0, 0, 29).Add(10*time.Minute), "打卡"); got != "小王 今天已经打过卡了：已连续 30 天，积分共 80 分。" {
		t.Errorf("again the same day: %q", got)
	}
	if got := say(start.AddDate(0, 0, 31), "打卡"); !strings.Contains(got, "已连续 1 天") {
		t.Errorf("after a missed day: %q", got)
	}
	if got := say(start.AddDate(0, 0, 32), "打卡了"); got != "" {
		t.Errorf("not a check-in word: %q", got)
	}
	if len(store.rows) != 31 {
		t.Errorf("%d check-ins recorded, want 31", len(store.rows))
	}
	// Monthly: the points of this month only (April's first, 2, and this).
	rs2, _ := rules.ParseRuleSet("g.toml", []byte("[checkin]\nreset = \"monthly\"\n[welcome]\ntext = \"hi\"\nlang = \"en\"\n"))
	rs = rs2
	if got := say(start.AddDate(0, 1, 3), "/checkin"); got != "小王 checked in: 1 day in a row, +1 points (3 this month)." {
		t.Errorf("monthly, in English: %q", got)
	}
	// Off: no check-in.
	rs, _ = rules.ParseRuleSet("g.toml", []byte("[faq]\n"))
	if got := say(start.AddDate(0, 1, 4), "打卡"); got != "" {
		t.Errorf("without [checkin]: %q", got)
	}
}
