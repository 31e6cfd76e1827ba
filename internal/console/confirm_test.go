package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
)

func TestConfirmed(t *testing.T) {
	s := &Server{}
	s.init()
	handler := func(w http.ResponseWriter, r *http.Request) {
		if !s.confirmed(w, r, "删除节点「阳新」？", "/tree") {
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}
	post := func(form url.Values) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodPost, "/tree/nodes/7/delete", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r = r.WithContext(context.WithValue(r.Context(), userKey{}, &access.User{Role: access.Manager}))
		w := httptest.NewRecorder()
		handler(w, r)
		return w
	}
	w := post(url.Values{"move_to": {"3"}, "csrf": {"x"}})
	body := w.Body.String()
	if w.Code != http.StatusOK || !strings.Contains(body, "删除节点「阳新」？") {
		t.Fatalf("without confirm: %d, want the question:\n%s", w.Code, body)
	}
	for _, want := range []string{`action="/tree/nodes/7/delete"`, `name="move_to" value="3"`, `name="confirm" value="yes"`, `href="/tree"`} {
		if !strings.Contains(body, want) {
			t.Errorf("confirmation page lacks %s", want)
		}
	}
	if strings.Contains(body, `name="csrf" value="x"`) {
		t.Error("the old CSRF value is posted again")
	}
	if w := post(url.Values{"move_to": {"3"}, "confirm": {"yes"}}); w.Code != http.StatusNoContent {
		t.Errorf("with confirm=yes: %d, want the action done", w.Code)
	}
}
