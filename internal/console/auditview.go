package console

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"strconv"
	"strings"

	"github.com/qunzhu/qunzhu/internal/community"
)

// The audit log records actions as codes ("partner.admit"), subjects as
// references ("person:4025") and details as JSON; its page shows them in
// words: the action translated, the subject and the people, groups, nodes
// and scripts of the detail by name.

// auditRow is an audit entry in words.
type auditRow struct {
	ID      int64
	Entry   community.AuditEntry
	Actor   template.HTML
	Action  template.HTML
	Subject template.HTML
	Detail  []auditField
}

// auditField is one field of an entry's detail.
type auditField struct {
	Key   template.HTML
	Value template.HTML
}

// auditNames are the names an audit page needs, looked up once.
type auditNames struct {
	s      *Server
	ctx    context.Context
	l      Lang
	orgID  int64
	groups map[int64]string
	nodes  map[int64]string
	people map[int64]string
	titles map[string]string // "script:7", "event:1" → its title
}

// auditRows puts entries into words.
func (s *Server) auditRows(ctx context.Context, l Lang, orgID int64, entries []community.AuditEntry) ([]auditRow, error) {
	n := &auditNames{s: s, ctx: ctx, l: l, orgID: orgID, groups: map[int64]string{}, titles: map[string]string{}}
	var actors []string
	var people []int64
	addPerson := func(ref string) {
		if id, ok := strings.CutPrefix(ref, "person:"); ok {
			if v, err := strconv.ParseInt(id, 10, 64); err == nil {
				people = append(people, v)
			}
		}
	}
	details := make([][]rawField, len(entries))
	for i, e := range entries {
		actors = append(actors, e.Actor)
		addPerson(e.Subject)
		details[i] = parseDetail(e.Detail)
		for _, f := range details[i] {
			if f.key == "person" || f.key == "people" {
				for _, v := range f.values() {
					if id, ok := v.(float64); ok {
						people = append(people, int64(id))
					}
				}
			}
		}
	}
	gs, err := s.Store.Groups(ctx, orgID)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		n.groups[g.ID] = g.Name
	}
	if n.nodes, err = s.nodeNames(ctx, orgID); err != nil {
		return nil, err
	}
	if len(people) > 0 && s.People != nil {
		if n.people, err = s.People.PersonNames(ctx, orgID, people); err != nil {
			return nil, err
		}
	}
	who, err := s.actorNames(ctx, l, orgID, actors...)
	if err != nil {
		return nil, err
	}
	out := make([]auditRow, len(entries))
	for i, e := range entries {
		out[i] = auditRow{ID: e.ID, Entry: e, Actor: who[e.Actor], Action: auditAction(l, e.Action), Subject: n.ref(e.Subject)}
		for _, f := range details[i] {
			if v := n.value(f.key, f.raw); v != "" {
				out[i].Detail = append(out[i].Detail, auditField{Key: auditKey(l, f.key), Value: v})
			}
		}
	}
	return out, nil
}

// auditAction is an action in words: its own name, or its area's with the
// verb as written.
func auditAction(l Lang, action string) template.HTML {
	if _, ok := messages["aud_"+action]; ok {
		return esc(T(l, "aud_"+action))
	}
	area, verb, _ := strings.Cut(action, ".")
	if _, ok := messages["aud_area_"+area]; ok {
		return esc(T(l, "aud_area_"+area)+" · ") + template.HTML("<code>"+template.HTMLEscapeString(verb)+"</code>")
	}
	return template.HTML("<code>" + template.HTMLEscapeString(action) + "</code>")
}

// auditKey names a detail's field.
func auditKey(l Lang, key string) template.HTML {
	if key == "" {
		return ""
	}
	if _, ok := messages["audk_"+key]; ok {
		return esc(T(l, "audk_"+key))
	}
	return template.HTML("<code>" + template.HTMLEscapeString(key) + "</code>")
}

// ref is a reference ("group:5", "token:shop") in words: what it is and
// its name, linked to its page where it has one.
func (n *auditNames) ref(ref string) template.HTML {
	if ref == "" {
		return ""
	}
	kind, rest, ok := strings.Cut(ref, ":")
	if _, known := messages["aud_subj_"+kind]; !ok || !known {
		return ud(ref) // not a reference: shown as written
	}
	id, numErr := strconv.ParseInt(rest, 10, 64)
	if numErr != nil {
		// Named, not numbered: a token, an invite code, a rules scope.
		return esc(n.kind(kind)+" ") + ud(rest)
	}
	return n.id(kind, id)
}

// kind names a kind of subject.
func (n *auditNames) kind(kind string) string {
	if _, ok := messages["aud_subj_"+kind]; ok {
		return T(n.l, "aud_subj_"+kind)
	}
	return T(n.l, "aud_subj_other")
}

// id names a numbered thing of a kind.
func (n *auditNames) id(kind string, id int64) template.HTML {
	link := func(href, name string) template.HTML {
		return template.HTML(`<a class="ud" href="` + href + strconv.FormatInt(id, 10) + `">` + template.HTMLEscapeString(name) + `</a>`)
	}
	numbered := esc(n.kind(kind) + " #" + strconv.FormatInt(id, 10))
	switch kind {
	case "person":
		if name := n.people[id]; name != "" {
			return link("/people/", name)
		}
	case "group":
		if name := n.groups[id]; name != "" {
			return link("/groups/", name)
		}
	case "node":
		if name := n.nodes[id]; name != "" {
			return esc(n.kind(kind)+" ") + ud(name)
		}
	case "script":
		if title := n.title(kind, id); title != "" {
			return esc(n.kind(kind)+" ") + link("/scripts/", title)
		}
	case "event":
		if title := n.title(kind, id); title != "" {
			return esc(n.kind(kind)+" ") + link("/events/", title)
		}
	}
	return numbered
}

// title is a script's or an event's title, "" when it cannot be read.
func (n *auditNames) title(kind string, id int64) string {
	key := kind + ":" + strconv.FormatInt(id, 10)
	if t, ok := n.titles[key]; ok {
		return t
	}
	var t string
	switch {
	case kind == "script" && n.s.Content != nil:
		if sc, err := n.s.Content.Script(n.ctx, n.orgID, id); err == nil {
			t = sc.Title
		}
	case kind == "event" && n.s.Community != nil:
		if ev, err := n.s.Community.Event(n.ctx, n.orgID, id); err == nil {
			t = ev.Title
		}
	}
	n.titles[key] = t
	return t
}

// idKeys are the detail fields that number a thing of a kind.
var idKeys = map[string]string{"group": "group", "person": "person", "people": "person", "script": "script", "node": "node", "event": "event", "also_in": "group"}

// value is a detail's value in words.
func (n *auditNames) value(key string, raw json.RawMessage) template.HTML {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return ud(string(raw))
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			b, _ := json.Marshal(e)
			parts = append(parts, string(n.value(key, b)))
		}
		return template.HTML(strings.Join(parts, template.HTMLEscapeString(T(n.l, "list_sep"))))
	case map[string]any:
		return template.HTML(`<code class="ud">` + template.HTMLEscapeString(string(raw)) + `</code>`)
	case bool:
		if x {
			return esc(T(n.l, "yes"))
		}
		return esc(T(n.l, "no"))
	case float64:
		if kind, ok := idKeys[key]; ok && x == float64(int64(x)) {
			if x == 0 {
				return esc(T(n.l, "aud_zero"))
			}
			return n.id(kind, int64(x))
		}
		return esc(strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		if x == "" {
			return ""
		}
		if _, ok := idKeys[key]; ok || key == "user" {
			// A platform's own id (a moderation decision's group, user or
			// event), as the platform writes it.
			return template.HTML(`<code class="ud">` + template.HTMLEscapeString(x) + `</code>`)
		}
		switch key {
		case "rule":
			return ruleText(n.l, x)
		case "category":
			return esc(categoryText(n.l, x))
		case "reason":
			if r := reasonText(n.l, x); r != x {
				return esc(r)
			}
		case "scope":
			return esc(tokenScope(n.l, x))
		case "lang":
			if _, ok := messages["bot_lang_"+x]; ok {
				return esc(T(n.l, "bot_lang_"+x))
			}
		case "decision", "actions":
			if _, ok := messages["act_"+x]; ok {
				return esc(T(n.l, "act_"+x))
			}
		}
		for _, prefix := range []string{"ss_", "role_", "urole_", "ps_", "signup_", "handling_"} {
			if _, ok := messages[prefix+x]; ok && (key == "from" || key == "to" || key == "status" || key == "handling") {
				return esc(T(n.l, prefix+x))
			}
		}
		return ud(x)
	case nil:
		return ""
	}
	return ud(string(raw))
}

// rawField is a field of a detail as stored, in its order.
type rawField struct {
	key string
	raw json.RawMessage
}

// values are a field's values: its elements when it is a list.
func (f rawField) values() []any {
	var v any
	if json.Unmarshal(f.raw, &v) != nil {
		return nil
	}
	if list, ok := v.([]any); ok {
		return list
	}
	return []any{v}
}

// parseDetail reads a detail's fields in their order; a detail that is not
// a JSON object is one field without a name.
func parseDetail(detail string) []rawField {
	detail = strings.TrimSpace(detail)
	if detail == "" || detail == "{}" {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(detail))
	var fields []rawField
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return []rawField{{key: "", raw: quoted(detail)}}
	}
	for dec.More() {
		t, err := dec.Token()
		key, ok := t.(string)
		if err != nil || !ok {
			return []rawField{{key: "", raw: quoted(detail)}}
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return []rawField{{key: "", raw: quoted(detail)}}
		}
		fields = append(fields, rawField{key, raw})
	}
	return fields
}

// quoted is a text as a JSON string.
func quoted(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	return bytes.TrimSpace(b.Bytes())
}
