package chat

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Mention is a member named in a send's text: Text[Offset:Offset+Length]
// (bytes) is "@" and their name.
type Mention struct {
	User   User `json:"user"`
	Offset int  `json:"offset"`
	Length int  `json:"length"`
}

// Name is the member's name as the text writes it, without the "@".
func (m Mention) Name(text string) string {
	return strings.TrimPrefix(text[m.Offset:m.Offset+m.Length], "@")
}

// Piece is a part of a send's text: plain text, or a member's mention
// (Mention set, Text their "@name").
type Piece struct {
	Text    string
	Mention *Mention
}

// Spans cuts a send's text into plain pieces and its Mentions, in order,
// for an adapter that renders mentions natively. A mention that is not a
// "@name" at rune boundaries of the text, has no user id, or overlaps
// one before it, stays plain text: a payload from an older queue or a
// pulling bridge's mistake cannot make an adapter cut a rune in two.
func (a Action) Spans() []Piece {
	ms := append([]Mention(nil), a.Mentions...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].Offset < ms[j].Offset })
	var out []Piece
	at := 0
	for i := range ms {
		m := ms[i]
		if m.User.ID == "" || m.Offset < at || m.Length < 2 || m.Length > len(a.Text)-m.Offset ||
			a.Text[m.Offset] != '@' {
			continue
		}
		end := m.Offset + m.Length
		if end < len(a.Text) && !utf8.RuneStart(a.Text[end]) {
			continue
		}
		if m.Offset > at {
			out = append(out, Piece{Text: a.Text[at:m.Offset]})
		}
		out = append(out, Piece{Text: a.Text[m.Offset:end], Mention: &ms[i]})
		at = end
	}
	if at < len(a.Text) {
		out = append(out, Piece{Text: a.Text[at:]})
	}
	return out
}

// Naming writes names joined by sep as "@name"s and returns the text and
// each one's Mention (offsets from the start of what it returns).
func Naming(users []User, sep string) (string, []Mention) {
	var b strings.Builder
	var ms []Mention
	for i, u := range users {
		if i > 0 {
			b.WriteString(sep)
		}
		name := strings.TrimSpace(u.Name)
		if name == "" {
			name = u.ID
		}
		ms = append(ms, Mention{User: u, Offset: b.Len(), Length: 1 + len(name)})
		b.WriteString("@" + name)
	}
	return b.String(), ms
}
