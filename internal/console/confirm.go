package console

import (
	"net/http"
	"net/url"
	"sort"
)

// A destructive form (delete, cancel, release, revoke, remove, disable)
// posts as usual; the handler asks confirmed first. Without confirm=yes in
// the form, confirmed renders a page that names what is about to happen
// and posts the same form again with confirm=yes — so the step works on a
// phone without JavaScript, and the handler stays the one place the action
// is done. A form that already carries confirm=yes (a page that asked in
// its own way) goes straight through.

// confirmField is the form field that says the operator confirmed.
const confirmField = "confirm"

// confirmView is the confirmation page's data.
type confirmView struct {
	Question string      // what is about to happen, in the reader's language
	Action   string      // the URL the form posts to
	Fields   [][2]string // the form's own fields, posted again
	Back     string      // where 取消 leads
	Danger   bool        // shown in the warning colour
}

// confirmed reports whether the request carries the operator's
// confirmation. When it does not, it renders the confirmation page asking
// question (already translated) and returns false; back is where cancel
// leads (the referring page when empty).
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, question, back string) bool {
	if r.PostFormValue(confirmField) == "yes" {
		return true
	}
	if back == "" {
		back = localReferer(r)
	}
	v := confirmView{Question: question, Action: r.URL.RequestURI(), Back: back, Danger: true}
	keys := make([]string, 0, len(r.PostForm))
	for k := range r.PostForm {
		if k != "csrf" && k != confirmField {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, val := range r.PostForm[k] {
			v.Fields = append(v.Fields, [2]string{k, val})
		}
	}
	s.render(w, http.StatusOK, "confirm", s.page(r, userOf(r), T(langOf(r), "confirm_title"), v))
	return false
}

// localReferer is the path (and query) of the referring page when it is
// on this site, else the dashboard. The path stays as it was escaped, so a
// referrer /%2F%2Fevil does not become //evil.
func localReferer(r *http.Request) string {
	u, err := url.Parse(r.Referer())
	if err != nil || u.Host != r.Host || (u.Scheme != "http" && u.Scheme != "https") {
		return "/"
	}
	back := u.EscapedPath()
	if u.RawQuery != "" {
		back += "?" + u.RawQuery
	}
	if local, ok := localURL(back); ok {
		return local
	}
	return "/"
}
