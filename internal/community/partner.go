package community

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// PartnerLevel is a level of the partner programme (合伙人资格): store,
// city or company partner by default. Each entity (a tree node: a store, a
// city branch, the company) has at most Cap seats per level.
type PartnerLevel struct {
	ID         int64
	OrgID      int64
	Slug       string // "store", "city", "company" or an operator's own
	Name       string
	Rank       int // higher is more senior
	Cap        int // seats per entity (the seed: 199)
	ReuseSeats bool
	// Tiers are the level's bands of seat numbers; nil means the seed's
	// (see Bands).
	Tiers     []TierBand
	CreatedAt time.Time
}

// Bands returns the level's tier bands: its own, or the seed's with the
// last band running to the cap.
func (l PartnerLevel) Bands() []TierBand {
	if len(l.Tiers) > 0 {
		return l.Tiers
	}
	bands := DefaultTiers()
	if last := &bands[len(bands)-1]; l.Cap > last.To {
		last.To = l.Cap
	}
	return bands
}

// DefaultPartnerCap is the seed's seats per level per entity (同一层次同一主体仅有199人).
const DefaultPartnerCap = 199

// DefaultPartnerLevels are the seed's three levels.
func DefaultPartnerLevels() []PartnerLevel {
	return []PartnerLevel{
		{Slug: "store", Name: "单店合伙人 store partner", Rank: 1, Cap: DefaultPartnerCap},
		{Slug: "city", Name: "城市合伙人 city partner", Rank: 2, Cap: DefaultPartnerCap},
		{Slug: "company", Name: "公司合伙人 company partner", Rank: 3, Cap: DefaultPartnerCap},
	}
}

// TierBand names a range of seat numbers.
type TierBand struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	Slug string `json:"slug"`
	Name string `json:"name"`
}

// DefaultTiers are the seed's bands: founding partners 1–10, initiating
// partners 11–50, partners 51–199.
func DefaultTiers() []TierBand {
	return []TierBand{
		{1, 10, "founding", "创始合伙人 founding partner"},
		{11, 50, "initiating", "发起合伙人 initiating partner"},
		{51, 199, "partner", "合伙人 partner"},
	}
}

// ValidateTiers checks bands are ordered, contiguous from 1 and cover cap,
// each with a slug and a name.
func ValidateTiers(bands []TierBand, cap int) error {
	if len(bands) == 0 {
		return fmt.Errorf("no tiers: give at least one band")
	}
	next := 1
	seen := map[string]bool{}
	for i, b := range bands {
		if b.Slug == "" || b.Name == "" {
			return fmt.Errorf("tier %d: slug and name are required", i+1)
		}
		if seen[b.Slug] {
			return fmt.Errorf("tier %d: slug %q used twice", i+1, b.Slug)
		}
		seen[b.Slug] = true
		if b.From != next || b.To < b.From {
			return fmt.Errorf("tier %d (%s): want a range starting at %d, got %d–%d", i+1, b.Slug, next, b.From, b.To)
		}
		next = b.To + 1
	}
	if next-1 < cap {
		return fmt.Errorf("tiers end at seat %d but the level has %d seats", next-1, cap)
	}
	return nil
}

// TierOf returns the band of a seat number, or false beyond the bands.
func TierOf(seat int, bands []TierBand) (TierBand, bool) {
	for _, b := range bands {
		if seat >= b.From && seat <= b.To {
			return b, true
		}
	}
	return TierBand{}, false
}

// Seat is one partner's seat.
type Seat struct {
	ID         int64
	LevelID    int64
	EntityID   int64 // the tree node the seat belongs to
	Number     int   // by order of admission, from 1
	PersonID   int64
	AdmittedAt time.Time
	ReleasedAt *time.Time
}

// Admission is the outcome of asking for a seat.
type Admission struct {
	Seat       Seat
	Admitted   bool
	Waitlisted bool
	Position   int // on the waitlist, from 1
}

// Partners runs the partner programme. internal/store implements it.
type Partners interface {
	CreatePartnerLevel(ctx context.Context, l *PartnerLevel) error
	PartnerLevels(ctx context.Context, orgID int64) ([]PartnerLevel, error)
	// Admit gives the person the next seat of the level at the entity, or
	// puts them on the waitlist when the level is full there. Two
	// simultaneous admissions for the last seat: exactly one wins.
	Admit(ctx context.Context, levelID, entityID, personID int64) (Admission, error)
	ReleaseSeat(ctx context.Context, seatID int64) error
	Seats(ctx context.Context, levelID, entityID int64) ([]Seat, error)
	// SetPartnerCap changes a level's cap; a cap below the most seats taken
	// at any entity is refused.
	SetPartnerCap(ctx context.Context, levelID int64, cap int) error
}

// BoardSeat is an open partner seat with its holder's name.
type BoardSeat struct {
	Seat
	Person string
}

// PartnerBoard is the organisation's partner programme at a glance.
type PartnerBoard struct {
	Seats   []BoardSeat      // open seats by level, entity and number
	Waiting map[[2]int64]int // people waiting, by (level, entity)
	Levels  []PartnerLevel
}

// MaxLevelName is the longest name a partner level may have, in
// characters.
const MaxLevelName = 60

// LevelPatch renames a level or changes its cap; nil fields are kept.
type LevelPatch struct {
	Name *string
	Cap  *int
}

// Validate trims the name and checks both fields.
func (p *LevelPatch) Validate() error {
	if p.Name != nil {
		n := strings.TrimSpace(*p.Name)
		p.Name = &n
		if n == "" {
			return errkind.New(errkind.Invalid, "name: a level needs a name")
		}
		if utf8.RuneCountInString(n) > MaxLevelName {
			return errkind.Errorf(errkind.Invalid, "name: at most %d characters", MaxLevelName)
		}
	}
	if p.Cap != nil && (*p.Cap < 1 || *p.Cap > MaxPartnerCap) {
		return errkind.Errorf(errkind.Invalid, "cap: want 1 to %d seats, got %d", MaxPartnerCap, *p.Cap)
	}
	return nil
}

// MaxPartnerCap bounds a level's seats per entity (the seed's is 199).
const MaxPartnerCap = 100000

// Waiting is one person on a level's waitlist at an entity.
type Waiting struct {
	Position int // from 1
	PersonID int64
	Person   string
	Since    time.Time
}

// SeatRelease is the outcome of releasing a seat: the seat released and,
// when someone was waiting, the seat they moved up into and how they were
// told.
type SeatRelease struct {
	Released Seat
	Person   string // who held the released seat
	Promoted *PartnerNotice
}

// PartnerNotice records a move up from the waitlist and where the person
// was told: in a group they are in (GroupID, in the group's language) or,
// when no chat reaches them (GroupID 0), nowhere: staff must tell them.
type PartnerNotice struct {
	ID        int64
	OrgID     int64
	LevelID   int64
	Level     string
	EntityID  int64
	Number    int // the seat number
	Tier      string
	PersonID  int64
	Person    string
	GroupID   int64
	Group     string
	Lang      string // "zh" or "en": the language the notice was written in
	Text      string
	Actor     string
	CreatedAt time.Time
}

// Told reports whether the notice reached the person in a chat.
func (n PartnerNotice) Told() bool { return n.GroupID != 0 }

// PromotionText is the chat message that tells a person they moved up
// from the waitlist into a seat, in lang ("zh" or "en"); it starts with
// "@"+name so that adapters can mention them.
func PromotionText(lang, name, level, tier string, seat int) string {
	if lang == "en" {
		t := fmt.Sprintf("@%s a seat has opened: you have moved up from the waitlist and are now %s no. %d", name, level, seat)
		if tier != "" {
			t += " (" + tier + ")"
		}
		return t + ". Congratulations!"
	}
	t := fmt.Sprintf("@%s 恭喜！有席位空出，您已从候补转为%s第 %d 号席位", name, level, seat)
	if tier != "" {
		t += "（" + tier + "）"
	}
	return t + "。"
}

// TierName is the part of a bilingual name ("创始合伙人 founding partner")
// in lang: the words before the first Latin letter in Chinese, the rest
// in English; a name in one language is returned as it is.
func TierName(name, lang string) string {
	i := strings.IndexFunc(name, func(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) })
	if i <= 0 || !strings.ContainsFunc(name[:i], func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
		return name
	}
	if lang == "en" {
		return strings.TrimSpace(name[i:])
	}
	return strings.TrimSpace(name[:i])
}

// ParseTierLines reads tier bands written one per line as "FROM-TO NAME"
// ("1-10 创始合伙人"; the dash may be –, —, ~, ～ or 至), the way an
// operator types them in the console; blank lines are skipped. The bands
// get no slugs: the caller names them. Whether they are contiguous and
// cover the cap is ValidateTiers' to say.
func ParseTierLines(text string) ([]TierBand, error) {
	var out []TierBand
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(out) == maxTierLines {
			return nil, errkind.Errorf(errkind.Invalid, "tiers: at most %d bands", maxTierLines)
		}
		m := tierLine.FindStringSubmatch(line)
		if m == nil {
			return nil, errkind.Errorf(errkind.Invalid, "tiers, line %d: want FROM-TO NAME, like 1-10 创始合伙人; got %q", i+1, line)
		}
		from, err1 := strconv.Atoi(m[1])
		to, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil || from > MaxPartnerCap || to > MaxPartnerCap {
			return nil, errkind.Errorf(errkind.Invalid, "tiers, line %d: seat numbers go up to %d", i+1, MaxPartnerCap)
		}
		name := strings.TrimSpace(m[3])
		if utf8.RuneCountInString(name) > MaxLevelName {
			return nil, errkind.Errorf(errkind.Invalid, "tiers, line %d: a name of at most %d characters", i+1, MaxLevelName)
		}
		out = append(out, TierBand{From: from, To: to, Name: name})
	}
	if len(out) == 0 {
		return nil, errkind.New(errkind.Invalid, "tiers: write at least one band, like 1-10 创始合伙人")
	}
	return out, nil
}

const maxTierLines = 20

var tierLine = regexp.MustCompile(`^(\d{1,7})\s*(?:-|–|—|~|～|至)\s*(\d{1,7})\s+(\S.*)$`)

// FormatTierLines writes bands the way ParseTierLines reads them.
func FormatTierLines(bands []TierBand) string {
	var b strings.Builder
	for _, t := range bands {
		fmt.Fprintf(&b, "%d-%d %s\n", t.From, t.To, t.Name)
	}
	return b.String()
}
