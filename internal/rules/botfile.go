package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Writing the bot's sections into a rules file, for the console's forms:
// the form's settings become [faq], [[faq.entry]], [gate], [raid],
// [welcome] and [checkin] in place of the file's, the rest of the file
// as it was.

// Text is the TOML of the sections b sets, in the order the documentation
// shows them; "" when it sets none.
func (b Bot) Text() string {
	var s strings.Builder
	kv := func(k, v string) { fmt.Fprintf(&s, "%s = %s\n", k, v) }
	str := func(k, v string) {
		if v != "" {
			kv(k, tomlString(v))
		}
	}
	dur := func(k string, d Duration) {
		if d != 0 {
			kv(k, tomlString(FormatDuration(time.Duration(d))))
		}
	}
	num := func(k string, n int) {
		if n != 0 {
			kv(k, strconv.Itoa(n))
		}
	}
	flag := func(k string, on bool) {
		if on {
			kv(k, "true")
		}
	}
	list := func(k string, vs []string) {
		if vs == nil {
			return
		}
		q := make([]string, len(vs))
		for i, v := range vs {
			q[i] = tomlString(v)
		}
		kv(k, "["+strings.Join(q, ", ")+"]")
	}
	section := func(name string) {
		if s.Len() > 0 {
			s.WriteByte('\n')
		}
		s.WriteString(name + "\n")
	}
	if b.FAQ.Cooldown != 0 {
		section("[faq]")
		dur("cooldown", b.FAQ.Cooldown)
	}
	for _, e := range b.FAQ.Entries {
		section("[[faq.entry]]")
		str("name", e.Name)
		list("keys", e.Keys)
		str("reply", e.Reply)
		str("link", e.Link)
		str("title", e.Title)
		str("image", e.Image)
		flag("off", e.Off)
	}
	if g := b.Gate; g.Mode != "" || g.Timeout != 0 {
		section("[gate]")
		str("mode", g.Mode)
		dur("timeout", g.Timeout)
	}
	if r := b.Raid; r.Set {
		section("[raid]")
		num("joins", r.Joins)
		dur("within", r.Within)
		dur("lockdown", r.Lockdown)
		str("action", r.Action)
	}
	if w := b.Welcome; w.Set {
		section("[welcome]")
		str("text", w.Text)
		dur("window", w.Window)
		str("lang", w.Lang)
		flag("off", w.Off)
	}
	if c := b.Checkin; c.Set {
		section("[checkin]")
		list("words", c.Words)
		num("points", c.Points)
		num("streak_bonus", c.StreakBonus)
		num("post_points", c.PostPoints)
		num("posts_per_day", c.PostsPerDay)
		str("reset", c.Reset)
		flag("off", c.Off)
	}
	return s.String()
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// FormatDuration writes a duration as rules files do: whole days as "30d",
// else Go's form without the zero units ("5m", "1h30m", "90s").
func FormatDuration(d time.Duration) string {
	if d > 0 && d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// headerRE reads a table header: [name] or [[name]], with an optional
// comment after it.
var headerRE = regexp.MustCompile(`^\[\[?\s*([A-Za-z0-9_."-]+)\s*\]\]?\s*(#.*)?$`)

// botTable reports whether a table is one of the bot's sections.
func botTable(name string) bool {
	name = strings.ReplaceAll(name, `"`, "")
	first, _, _ := strings.Cut(name, ".")
	switch first {
	case "faq", "gate", "raid", "welcome", "checkin":
		return true
	}
	return false
}

// WithBot returns a rules file's text with its bot sections replaced by
// b's (removed when b sets none). Comments inside the replaced sections
// go with them; everything else stays as written.
func WithBot(text string, b Bot) string {
	var kept []string
	in := false
	for _, l := range strings.Split(text, "\n") {
		if m := headerRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			in = botTable(m[1])
		}
		if !in {
			kept = append(kept, l)
		}
	}
	out := strings.TrimRight(strings.Join(kept, "\n"), "\n \t")
	if bt := b.Text(); bt != "" {
		if out != "" {
			out += "\n\n"
		}
		out += bt
	} else if out != "" {
		out += "\n"
	}
	return out
}

// BotOf returns the bot's sections a rules file's text sets (not what
// its groups inherit). A text that does not parse is an error with
// file:line.
func BotOf(name, text string) (Bot, error) {
	if strings.TrimSpace(text) == "" {
		return Bot{}, nil
	}
	rs, err := ParseRuleSet(name, []byte(text))
	if err != nil {
		return Bot{}, err
	}
	return rs.Bot, nil
}
