package content

import (
	"net/url"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// What the library and the push schedule read and write besides scripts
// and pushes themselves: a script's card, a request to push, the slots in
// force, cadences with their runs, the duty board and pushes' responses.

// ScriptCard is what a script carries besides its text: a link or article
// card and a picture or video, by URL. A push sends the text with the
// card's title and link and the media's link after it; platforms show
// their previews.
type ScriptCard struct {
	LinkURL   string
	LinkTitle string
	Excerpt   string // the article's own words, for the lint (pasted, not the author's)
	MediaURL  string
}

// Empty reports a script without a card.
func (c ScriptCard) Empty() bool { return c == ScriptCard{} }

// Suffix is what a push adds after the script's text.
func (c ScriptCard) Suffix() string {
	var b strings.Builder
	if c.LinkURL != "" {
		b.WriteString("\n🔗 ")
		if c.LinkTitle != "" {
			b.WriteString(c.LinkTitle + " ")
		}
		b.WriteString(c.LinkURL)
	}
	if c.MediaURL != "" {
		b.WriteString("\n🖼 " + c.MediaURL)
	}
	return b.String()
}

// Normalize trims the card's URLs and title and checks them: http(s)
// URLs, and a link for a title or an excerpt.
func (c *ScriptCard) Normalize() error {
	c.LinkURL, c.LinkTitle, c.MediaURL = strings.TrimSpace(c.LinkURL), strings.TrimSpace(c.LinkTitle), strings.TrimSpace(c.MediaURL)
	if err := checkURL("link_url", c.LinkURL); err != nil {
		return err
	}
	if err := checkURL("media_url", c.MediaURL); err != nil {
		return err
	}
	if c.LinkURL == "" && (c.LinkTitle != "" || c.Excerpt != "") {
		return errkind.New(errkind.Invalid, "link_url: a card's title or excerpt needs its link")
	}
	return nil
}

func checkURL(field, raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errkind.Errorf(errkind.Invalid, "%s: want an http(s) URL, got %q", field, raw)
	}
	return nil
}

// PushRequest asks for one script to go to one group. The group's own
// rules give the quiet hours and the caps, its slots the peaks a deferred
// push goes to and the zone its days are counted in.
type PushRequest struct {
	OrgID, ScriptID, GroupID int64
	Slot                     string
	Want                     time.Time
	Caps                     Caps             // replaces the group's caps when set
	Window                   community.Window // narrows the group's quiet hours when set
	Horizon                  time.Duration    // how far a push may be deferred; DefaultHorizon when 0
	DutyPerson               int64
	Actor                    string
}

// PlannedPush is a push with its script's title, its group's name and the
// name of the assistant on duty.
type PlannedPush struct {
	Push
	Title    string
	Group    string
	DutyName string
}

// SlotConfig is the push slots in force for an organisation or a group,
// and where they come from: "default" (nothing configured), "org" or
// "group" (the group's own override).
type SlotConfig struct {
	SlotSet
	Source string
}

// CadenceLookahead is how far ahead occurrences are planned, so that they
// show in the groups' schedules (and their deferrals with them) a day
// before they go out.
const CadenceLookahead = 24 * time.Hour

// CadenceGrace is how late an occurrence may still be planned (after the
// scheduler was down): later ones are skipped, not sent late.
const CadenceGrace = time.Hour

// CadenceInfo is a cadence with what it has done so far.
type CadenceInfo struct {
	Cadence
	Runs     int // occurrences planned (a member-day run is one member)
	Deferred int // of which pushes were deferred by the caps or quiet hours
	Dropped  int // of which pushes did not fit at all
	LastRun  *time.Time
}

// DutyItem is a push on an assistant's duty board: coming up, or sent,
// with the prompt suggested and whether it was followed up.
type DutyItem struct {
	PushID     int64
	ScriptID   int64
	Title      string
	GroupID    int64
	Group      string
	Slot       string
	PlannedAt  time.Time
	SentAt     *time.Time
	Status     PushStatus
	DutyPerson int64
	DutyName   string
	Prompt     string
	// Reminded says a reminder was recorded when the push was sent;
	// StaffGroup is where it was posted (0: nowhere).
	Reminded   bool
	StaffGroup int64
	// For sent pushes: the response so far (see PushResponse).
	Response *Response
}

// PushResponse is one sent push and what it drew.
type PushResponse struct {
	PushID     int64
	ScriptID   int64
	Title      string
	GroupID    int64
	Group      string
	Slot       string
	SentAt     time.Time
	DutyPerson int64
	DutyName   string
	Response
	// Baseline is the average member posts in the same hour on up to 7
	// earlier days without a push; Uplift is Posts60 minus it.
	Baseline     float64
	BaselineDays int
	Uplift       float64
	// The clicks of the push's short links (none when links are not
	// shortened).
	LinkFigures
}

// LinkFigures are the clicks of short links (docs/metrics.md,
// "Click-tracked links"): how many links, how often they were opened,
// and by how many visitors — each counted once a day, whichever of the
// links they opened.
type LinkFigures struct {
	Links    int
	Clicks   int
	Visitors int
}

// GroupLinks are the clicks of the short links of a group's pushes.
type GroupLinks struct {
	GroupID int64
	Group   string
	Pushes  int // pushes with links
	LinkFigures
}

// BaselineDays is how many earlier days a push's hour is compared with.
const BaselineDays = 7
