package console_test

import (
	"strings"
	"testing"
)

// TestCalendarAndLeaderboardCSV: the push calendar and the leaderboards
// download as CSV with the same rows as the pages.
func TestCalendarAndLeaderboardCSV(t *testing.T) {
	w := newPages(t)
	c := w.user()
	body := w.page(c, "/pushes")
	want := len(rowsOf(body, "upcoming")) + len(rowsOf(body, "sent"))
	rows := w.csv(c, "/pushes?format=csv")
	if len(rows) != want+1 || !strings.Contains(strings.Join(rows[0], ","), "值班") {
		t.Fatalf("pushes CSV: %d rows for %d pushes, header %v", len(rows), want, rows[0])
	}
	found := false
	for _, r := range rows[1:] {
		if r[1] == w.cohort.Name && r[2] == w.scheduled.Title {
			found = true
		}
	}
	if !found {
		t.Fatalf("pushes CSV lacks the cohort's scheduled push: %v", rows)
	}
	day := w.page(c, "/leaderboards?period=day")
	board := w.csv(c, "/leaderboards?period=day&format=csv")
	if len(board) != len(rowsOf(day, "posters"))+len(rowsOf(day, "inviters"))+len(rowsOf(day, "points"))+1 {
		t.Fatalf("leaderboards CSV: %d rows", len(board))
	}
	if len(board) > 1 && (board[1][1] != "1" || board[1][4] == "") {
		t.Fatalf("the first poster's row: %v", board[1])
	}
}

// TestGroupSchedule: a group's page lists its pushes of the last and next
// week and links to its rules.
func TestGroupSchedule(t *testing.T) {
	w := newPages(t)
	c := w.user()
	body := w.page(c, "/groups/"+itoa(w.cohort.ID))
	if !strings.Contains(body, `id="schedule"`) || !strings.Contains(body, w.scheduled.Title) || !strings.Contains(body, `id="group-rules"`) {
		t.Fatal("the cohort's page lacks its schedule or its rules link")
	}
}
