package content

import (
	"sort"
	"time"
)

// How a push is followed up and answered (the seed: pushes are followed by
// an assistant's interaction; what does not get a response is not pushed
// again).

// FollowUpWindow is how soon a staff member must post after a push for it
// to count as followed up.
const FollowUpWindow = 15 * time.Minute

// Post is one message in a pushed group, as response measurement sees it.
type Post struct {
	Person     int64
	At         time.Time
	Staff      bool // staff or bot
	ReplyToBot bool // a reply to a message qunzhu's bot sent (the push, most often)
}

// Response is what one push drew.
type Response struct {
	Posts30, Posts60, Posts1440 int // member posts within 30, 60 and 1440 minutes
	Members60                   int // distinct members posting within 60 minutes
	Replies                     int // member replies to the bot within 1440 minutes
	// FollowUp is how long after the push the first staff message came,
	// when it came within FollowUpWindow; FollowedUp says whether it did,
	// ByDuty whether the assistant on duty sent it.
	FollowUp   time.Duration
	FollowedUp bool
	ByDuty     bool
}

// Measure computes a push's response from the group's posts (any order)
// around its sending time.
func Measure(sent time.Time, duty int64, posts []Post) Response {
	var r Response
	members := map[int64]bool{}
	sort.Slice(posts, func(i, j int) bool { return posts[i].At.Before(posts[j].At) })
	for _, p := range posts {
		d := p.At.Sub(sent)
		if d < 0 || d > 24*time.Hour {
			continue
		}
		if p.Staff {
			if !r.FollowedUp && d <= FollowUpWindow {
				r.FollowedUp, r.FollowUp = true, d
			}
			if d <= FollowUpWindow && p.Person == duty && duty != 0 {
				r.ByDuty = true
			}
			continue
		}
		r.Posts1440++
		if p.ReplyToBot {
			r.Replies++
		}
		if d <= 60*time.Minute {
			r.Posts60++
			members[p.Person] = true
		}
		if d <= 30*time.Minute {
			r.Posts30++
		}
	}
	r.Members60 = len(members)
	return r
}

// Baseline is the average member posts in the hour after the same time of
// day on earlier days without a push: what the hour brings anyway.
func Baseline(at time.Time, days int, pushed func(t time.Time) bool, postsIn func(from, to time.Time) int) (float64, int) {
	n, sum := 0, 0
	for d := 1; d <= days; d++ {
		t := at.AddDate(0, 0, -d)
		if pushed(t) {
			continue
		}
		sum += postsIn(t, t.Add(time.Hour))
		n++
	}
	if n == 0 {
		return 0, 0
	}
	return float64(sum) / float64(n), n
}
