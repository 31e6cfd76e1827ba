// Package connections is the life of qunzhu's platform connections: where
// each is defined (a [[connections]] block of qunzhu.toml, or the console,
// which keeps it in the database), which of its settings are secrets and
// how they are shown once stored, and the lease by which exactly one
// replica holds a connection at a time (lease.go).
//
// The platforms themselves live in internal/chat/<platform>; internal/app
// builds adapters from these definitions, runs the ones this replica
// holds and serves the console's connection forms.
package connections

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Source says where a connection is defined.
type Source string

const (
	// FromFile is a [[connections]] block of qunzhu.toml: the console shows
	// it and may not change it.
	FromFile Source = "file"
	// FromConsole is a connection added in the console and kept in the
	// database.
	FromConsole Source = "console"
)

// Def is one platform connection's definition: the settings of a
// [[connections]] block, where it comes from, and for a console
// connection its bookkeeping.
type Def struct {
	Name     string
	Platform string
	Source   Source
	// Enabled: the connection runs (on the replica that holds it). A
	// disabled console connection keeps its settings and runs nowhere.
	Enabled bool
	// The settings of a [[connections]] block. Token authenticates a
	// bridge; PushURL and Secret push its actions; Options are the
	// platform's own.
	Token   string
	PushURL string
	Secret  string
	Options map[string]string
	// Info is what verifying the connection learnt (InfoBotUsername…).
	Info map[string]string
	// Version grows with each change or restart of a console connection:
	// every replica rebuilds the connection when it sees a new one.
	Version   int64
	OrgID     int64
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// What verifying a connection learns, in Def.Info.
const (
	InfoBotUsername = "bot_username" // Telegram: the bot's @username, without the @
	InfoBotName     = "bot_name"     // Telegram: the bot's display name
	InfoBotID       = "bot_id"       // Telegram: the bot's user id
	InfoUserID      = "user_id"      // Matrix: whoami's user id
)

// Platforms are the platforms a connection can be added for in the
// console, in the order the console offers them. (The simulator is for
// the demo; it is configured in the file only.)
var Platforms = []string{"telegram", "onebot", "matrix", "wecom", "webhook"}

// secretKeys are the settings that are secrets: the top-level token and
// secret of a bridge, and the platforms' own.
var secretKeys = map[string]bool{
	"token": true, "secret": true, "bot_token": true, "webhook_secret": true, "access_token": true,
	"callback_token": true, "encoding_aes_key": true, "msgaudit_secret": true,
}

// IsSecret reports whether a setting (a top-level key or an option) is a
// secret, which the console shows only as Mask does.
func IsSecret(key string) bool { return secretKeys[key] }

// Mask shows a stored secret as its last four characters behind dots, or
// only dots when it is too short for four to say little about it; "" for
// none.
func Mask(secret string) string {
	n := utf8.RuneCountInString(secret)
	switch {
	case n == 0:
		return ""
	case n < 12:
		return "••••"
	}
	r := []rune(secret)
	return "••••" + string(r[n-4:])
}

// Masked returns the definition's settings as the console may show them:
// every setting by its key (token, push_url, secret and the options),
// secrets masked.
func (d Def) Masked() map[string]string {
	out := map[string]string{}
	put := func(k, v string) {
		if v == "" {
			return
		}
		if IsSecret(k) {
			v = Mask(v)
		}
		out[k] = v
	}
	put("token", d.Token)
	put("push_url", d.PushURL)
	put("secret", d.Secret)
	for k, v := range d.Options {
		put(k, v)
	}
	return out
}

// Clone returns a copy that shares no maps with d.
func (d Def) Clone() Def {
	d.Options = maps.Clone(d.Options)
	d.Info = maps.Clone(d.Info)
	return d
}

// nameRE is what a connection name may be: the same rule as the file's
// (it appears in /connect/{name} and in every event's key).
var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// CheckName returns why name cannot name a connection, or nil.
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("want 1 to 32 of a-z 0-9 _ - starting with a letter or digit, got %q", name)
	}
	return nil
}

// ReplicaID is a replica's default id: the host name and the process id.
func ReplicaID(host string, pid int) string { return host + "-" + strconv.Itoa(pid) }

// SplitReplicaID reads a default replica id back into its host and
// process id; ok is false for an id configured otherwise.
func SplitReplicaID(id string) (host string, pid int, ok bool) {
	i := strings.LastIndexByte(id, '-')
	if i <= 0 {
		return "", 0, false
	}
	pid, err := strconv.Atoi(id[i+1:])
	if err != nil || pid <= 0 {
		return "", 0, false
	}
	return id[:i], pid, true
}

// Sorted returns the definitions by name.
func Sorted(defs []Def) []Def {
	out := slices.Clone(defs)
	slices.SortFunc(out, func(a, b Def) int { return strings.Compare(a.Name, b.Name) })
	return out
}
