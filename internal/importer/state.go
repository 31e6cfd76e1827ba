package importer

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// IdentityKind says how an imported member was identified.
type IdentityKind string

const (
	// ByPlatformID: the platform's own user id (a Telegram user id, a
	// wxid, a QQ number) — the same person live events name.
	ByPlatformID IdentityKind = "platform"
	// ByName: the export gives only a display name. The identity is the
	// name within one group ("name:…"); it may be the same person as a
	// platform identity or as a name in another group, which only the
	// operator can tell: propose merges, do not force them.
	ByName IdentityKind = "name"
	// ByEmail: the export gives an e-mail address instead of a QQ number
	// ("email:…"); stable across groups but not the platform's id.
	ByEmail IdentityKind = "email"
)

const (
	namePrefix  = "name:"
	emailPrefix = "email:"
)

// KindOf tells how the user id of an imported event was made.
func KindOf(userID string) IdentityKind {
	switch {
	case strings.HasPrefix(userID, namePrefix):
		return ByName
	case strings.HasPrefix(userID, emailPrefix):
		return ByEmail
	}
	return ByPlatformID
}

// Identity is a member identity the export gives no platform id for.
type Identity struct {
	Group string       `json:"group"` // external group id (name identities are per group)
	ID    string       `json:"id"`    // the chat.User.ID events carry
	Name  string       `json:"name"`  // the name as written
	Kind  IdentityKind `json:"kind"`
}

// GroupSummary describes one group (or chat) of an export.
type GroupSummary struct {
	// Key is how the export names the group: Telegram's chat id in Bot
	// API form, the WeChat chatroom id, or the group's name. It is the
	// key of Options.Groups.
	Key string `json:"key"`
	// ID is the external group id the events carry: the mapped one, the
	// export's own, or one derived from the key ("import:…"). Empty when
	// the export names no group and none was given.
	ID      string `json:"id"`
	Derived bool   `json:"derived,omitempty"` // ID was derived from the name
	Name    string `json:"name,omitempty"`
	Kind    string `json:"kind,omitempty"`    // the export's word for it: private_supergroup, 我的群聊…
	Skipped string `json:"skipped,omitempty"` // why it is not imported; "" when it is

	Events   int       `json:"events"`
	Messages int       `json:"messages"`
	Members  int       `json:"members"` // distinct senders and members
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
}

// Summary describes what a pass read.
type Summary struct {
	Format Format         `json:"format"`
	Groups []GroupSummary `json:"groups"`
	Events int            `json:"events"`
	ByType map[string]int `json:"by_type"`
	// Skipped counts records that gave no event, by reason ("service
	// message pin_message", "system notice", "before Since"…).
	Skipped map[string]int `json:"skipped"`
	// Identities are the name and e-mail identities used (at most
	// MaxIdentities; IdentitiesTotal counts all).
	Identities      []Identity `json:"identities"`
	IdentitiesTotal int        `json:"identities_total"`
	First           time.Time  `json:"first,omitzero"`
	Last            time.Time  `json:"last,omitzero"`
	Bytes           int64      `json:"bytes"`
	// Truncated counts texts cut to MaxTextBytes.
	Truncated int `json:"truncated,omitempty"`
	// Directory maps the names the file writes with to the platform ids
	// it gives them; pass it to a second pass (Import does).
	Directory *Directory `json:"-"`
}

// MaxIdentities caps Summary.Identities.
const MaxIdentities = 10000

// MaxTextBytes caps a message's text, as the webhook does; longer texts
// are cut at a character boundary and counted in Summary.Truncated.
const MaxTextBytes = 64 << 10

// Directory maps names to platform ids, learned from records that give
// both. A name two ids wrote with is ambiguous and resolves to nothing.
type Directory struct {
	m map[dirKey]string // id; "" when ambiguous
}

type dirKey struct{ scope, name string }

// Len is the number of names known.
func (d *Directory) Len() int {
	if d == nil {
		return 0
	}
	return len(d.m)
}

func (d *Directory) learn(scope, name, id string) {
	if name == "" || id == "" {
		return
	}
	k := dirKey{scope, name}
	if old, ok := d.m[k]; ok && old != id {
		d.m[k] = ""
		return
	}
	d.m[k] = id
}

func (d *Directory) lookup(scope, name string) (id string, known bool) {
	if d == nil {
		return "", false
	}
	id, known = d.m[dirKey{scope, name}]
	return id, known
}

type groupState struct {
	sum     GroupSummary
	ords    map[uint64]uint32 // hash ids: how many identical records came before
	members map[string]struct{}
}

// state is what one pass shares across formats: options, groups,
// identities and the summary.
type state struct {
	opt        Options
	validating bool
	sum        Summary
	groups     map[string]*groupState
	order      []*groupState
	cur        *groupState
	learned    *Directory
	idents     map[string]struct{}
	pending    []Identity
	// named remembers where each name identity came from (scope \x00
	// name), so a summary can leave out names the file resolved later.
	named  map[string]string
	mapped int // groups opened under Options.Group
}

func newState(opt Options) *state {
	st := &state{opt: opt, groups: map[string]*groupState{}, learned: &Directory{m: map[dirKey]string{}}, idents: map[string]struct{}{}, named: map[string]string{}}
	st.sum = Summary{Format: opt.Format, ByType: map[string]int{}, Skipped: map[string]int{}}
	return st
}

// summary is the pass's summary. Names the file gave an id for only after
// using them (an invitee who wrote later) are left out of the identities
// and not counted twice as members: a pass with this summary's directory
// (Import's second) resolves them.
func (st *state) summary() Summary {
	s := st.sum
	s.Groups = make([]GroupSummary, len(st.order))
	for i, g := range st.order {
		s.Groups[i] = g.sum
		for id := range g.members {
			if to, ok := st.resolved(id); ok {
				if _, also := g.members[to]; also {
					s.Groups[i].Members--
				}
			}
		}
	}
	s.ByType = cloneMap(st.sum.ByType)
	s.Skipped = cloneMap(st.sum.Skipped)
	s.Identities = make([]Identity, 0, len(st.sum.Identities))
	for _, id := range st.sum.Identities {
		if _, ok := st.resolved(id.ID); ok {
			s.IdentitiesTotal--
			continue
		}
		s.Identities = append(s.Identities, id)
	}
	s.Directory = st.learned
	return s
}

func cloneMap(m map[string]int) map[string]int {
	c := make(map[string]int, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func (st *state) skip(reason string) { st.sum.Skipped[reason]++ }

// derivedID is the external id of a group the export gives no id for.
func derivedID(f Format, key string) string {
	h := sha256.Sum256([]byte(string(f) + "\x00" + key))
	return "import:" + string(f) + ":" + hex.EncodeToString(h[:8])
}

// openGroup makes key the current group. exportID is the id the export
// gives ("" for none); skipReason, when set, skips the group's records.
// It returns the group, whose sum.Skipped says whether to map its records.
func (st *state) openGroup(key, name, kind, exportID, skipReason string) (*groupState, error) {
	if key == "" && exportID == "" {
		key = st.opt.GroupName
		if name == "" {
			name = st.opt.GroupName
		}
	}
	if g, ok := st.groups[key]; ok {
		st.cur = g
		return g, nil
	}
	g := &groupState{sum: GroupSummary{Key: key, Name: name, Kind: kind, Skipped: skipReason}, ords: map[uint64]uint32{}, members: map[string]struct{}{}}
	id := exportID
	if g.sum.Skipped == "" {
		switch {
		case st.opt.Groups != nil:
			to, ok := st.opt.Groups[key]
			if !ok {
				g.sum.Skipped = "not chosen"
			} else if to != "" {
				id = to
			}
		case st.opt.Group != "":
			if st.mapped > 0 {
				return nil, invalid("the export holds more than one group: choose and map them with Options.Groups (keys: the groups' keys in the summary) instead of Options.Group")
			}
			st.mapped++
			id = st.opt.Group
		}
	}
	if id == "" && g.sum.Skipped == "" {
		if key == "" {
			if !st.validating {
				return nil, invalid("the export does not name its group: set the group to import into (Options.Group) or a name for a new one (Options.GroupName)")
			}
		} else {
			id, g.sum.Derived = derivedID(st.opt.Format, key), true
		}
	}
	g.sum.ID = id
	if g.sum.Name == "" && exportID == "" {
		g.sum.Name = key
	}
	st.groups[key] = g
	st.order = append(st.order, g)
	st.cur = g
	return g, nil
}

// base is an event of the current group.
func (st *state) base(t chat.EventType, at time.Time) chat.Event {
	g := st.cur
	return chat.Event{Connection: st.opt.Connection, Platform: st.opt.Platform, Type: t, Group: g.sum.ID, GroupName: g.sum.Name, Time: at}
}

// sourceID is an event id from the export's own ids: group:parts….
func (st *state) sourceID(parts ...string) string {
	return st.cur.sum.ID + ":" + strings.Join(parts, ":")
}

// hashID is the id of a record without an id of its own: a hash of what
// identifies it (time, sender as written, content), with its ordinal among
// identical records of the group, so two equal messages in one second
// stay two and the order of different records does not matter.
func (st *state) hashID(key string) string {
	h := sha256.Sum256([]byte(key))
	k := binary.BigEndian.Uint64(h[:8])
	g := st.cur
	n := g.ords[k]
	g.ords[k] = n + 1
	id := sha256.Sum256(append(h[:], strconv.FormatUint(uint64(n), 10)...))
	return g.sum.ID + ":imp:" + hex.EncodeToString(id[:12])
}

// recordKey joins what identifies a record for hashID.
func recordKey(parts ...string) string { return strings.Join(parts, "\x00") }

func unixKey(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// platformUser is a user the export gives a platform id for; scope is
// where the name is learned ("" for the whole file, a group key for names
// that are per group).
func (st *state) platformUser(scope, id, name string) chat.User {
	st.learned.learn(scope, name, id)
	return chat.User{ID: id, Name: name}
}

// byName resolves a name the export gives without an id: through the
// directory (given, then learned), else a name identity in the group.
func (st *state) byName(scope, name string) chat.User {
	if id, known := st.opt.Directory.lookup(scope, name); known {
		if id != "" {
			return chat.User{ID: id, Name: name}
		}
	} else if id, known := st.learned.lookup(scope, name); known && id != "" {
		return chat.User{ID: id, Name: name}
	}
	u := st.nameUser(name)
	st.named[u.ID] = scope + "\x00" + name
	return u
}

// resolved returns the platform id a name identity turned out to have:
// the name was written with an id later in the file.
func (st *state) resolved(id string) (string, bool) {
	k, ok := st.named[id]
	if !ok {
		return "", false
	}
	scope, name, _ := strings.Cut(k, "\x00")
	if _, known := st.opt.Directory.lookup(scope, name); known {
		return "", false // the given directory already had its say
	}
	to, known := st.learned.lookup(scope, name)
	return to, known && to != ""
}

// nameUser is the name identity of name in the current group.
func (st *state) nameUser(name string) chat.User {
	scope := st.cur.sum.ID
	if scope == "" {
		scope = "key:" + st.cur.sum.Key
	}
	h := sha256.Sum256([]byte(scope + "\x00" + name))
	return chat.User{ID: namePrefix + hex.EncodeToString(h[:8]), Name: name}
}

func emailUser(addr, name string) chat.User {
	return chat.User{ID: emailPrefix + strings.ToLower(addr), Name: name}
}

// self is the account that made the export.
func (st *state) self(name string) chat.User {
	if st.opt.Self != nil && st.opt.Self.ID != "" {
		u := *st.opt.Self
		if u.Name == "" {
			u.Name = name
		}
		return u
	}
	if name == "" {
		name = "我"
	}
	return st.nameUser(name)
}

// text caps a text at MaxTextBytes.
func (st *state) text(s string) string {
	if len(s) <= MaxTextBytes {
		return s
	}
	st.sum.Truncated++
	cut := MaxTextBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// keep applies the time window and counts an event in the summary.
func (st *state) keep(e *chat.Event) bool {
	switch {
	case !st.opt.Since.IsZero() && e.Time.Before(st.opt.Since):
		st.skip("before Since")
		return false
	case !st.opt.Until.IsZero() && !e.Time.Before(st.opt.Until):
		st.skip("at or after Until")
		return false
	}
	g := st.cur // parsers produce the events of the group they are in
	st.sum.Events++
	st.sum.ByType[string(e.Type)]++
	if st.sum.First.IsZero() || e.Time.Before(st.sum.First) {
		st.sum.First = e.Time
	}
	if e.Time.After(st.sum.Last) {
		st.sum.Last = e.Time
	}
	if g != nil {
		s := &g.sum
		s.Events++
		if e.Type == chat.EventMessage {
			s.Messages++
		}
		if s.First.IsZero() || e.Time.Before(s.First) {
			s.First = e.Time
		}
		if e.Time.After(s.Last) {
			s.Last = e.Time
		}
	}
	for _, u := range []*chat.User{&e.Sender, e.Inviter, e.Actor} {
		if u == nil || u.ID == "" {
			continue
		}
		if g != nil && u == &e.Sender {
			if _, ok := g.members[u.ID]; !ok {
				g.members[u.ID] = struct{}{}
				g.sum.Members++
			}
		}
		k := KindOf(u.ID)
		if k == ByPlatformID {
			continue
		}
		if _, ok := st.idents[u.ID]; ok {
			continue
		}
		st.idents[u.ID] = struct{}{}
		id := Identity{Group: e.Group, ID: u.ID, Name: u.Name, Kind: k}
		st.pending = append(st.pending, id)
		st.sum.IdentitiesTotal++
		if len(st.sum.Identities) < MaxIdentities {
			st.sum.Identities = append(st.sum.Identities, id)
		}
	}
	return true
}

func (st *state) takeIdentities() []Identity {
	p := st.pending
	st.pending = nil
	return p
}

// needLocation refuses a time without a zone when no Location is set.
func (st *state) needLocation(where string, line int) error {
	if st.opt.Location != nil {
		return nil
	}
	return fileError(where, line, "the time has no time zone: set the operator's time zone (Options.Location)")
}
