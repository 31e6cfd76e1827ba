package console_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/console"
)

// TestAppealsOnModeration: a manager sees the open appeals and accepts one,
// which lifts the member's ban; a scoped user sees none and may not decide.
func TestAppealsOnModeration(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.srv.Appeals = w.db
	var pid int64
	if err := w.db.SQL().QueryRow("SELECT person_id FROM identities WHERE external_id = 'adguy'").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.BanEverywhere(ctx, w.org.ID, pid, "广告", "test"); err != nil {
		t.Fatal(err)
	}
	id, err := w.db.FileAppeal(ctx, w.org.ID, pid, "我以后不发广告了")
	if err != nil {
		t.Fatal(err)
	}
	c := w.user()
	body := w.page(c, "/moderation")
	for _, want := range []string{`id="appeals"`, "申诉 (1)", "我以后不发广告了", "封禁中"} {
		if !strings.Contains(body, want) {
			t.Errorf("moderation page lacks %q", want)
		}
	}
	if en := w.page(c, "/moderation?lang=en"); !strings.Contains(en, "Appeals (1)") || !strings.Contains(en, "Accept (lift the ban)") {
		t.Error("English appeals section")
	}
	body = w.page(c, "/moderation?lang=zh")
	token := csrfRE.FindStringSubmatch(body)[1]
	post := func(c interface {
		PostForm(string, url.Values) (*http.Response, error)
	}, form url.Values) int {
		resp, err := c.PostForm(w.url+"/moderation/appeals/"+itoa(id), form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(c, url.Values{"decision": {"accept"}}); code != 403 {
		t.Fatalf("without a CSRF token: %d", code)
	}
	hash, _ := console.HashPassword("secretary pw")
	if err := w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "sec", PasswordHash: hash, Role: access.Secretary, ScopeGroupID: w.cohort.ID}); err != nil {
		t.Fatal(err)
	}
	sec := loginAs(t, w.url, "sec", "secretary pw")
	if strings.Contains(w.page(sec, "/moderation"), `id="appeals"`) {
		t.Fatal("a scoped user sees the appeals")
	}
	secToken := csrfRE.FindStringSubmatch(w.page(sec, "/moderation"))[1]
	if code := post(sec, url.Values{"csrf": {secToken}, "decision": {"accept"}}); code != 403 {
		t.Fatalf("a scoped user decided an appeal: %d", code)
	}
	resp, err := c.PostForm(w.url+"/moderation/appeals/"+itoa(id), url.Values{"csrf": {token}, "decision": {"accept"}, "note": {"初犯"}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "申诉 #"+itoa(id)+" 已接受") {
		t.Fatalf("accept: %d, no confirmation", resp.StatusCode)
	}
	appeals, _ := w.db.Appeals(ctx, w.org.ID, "")
	if len(appeals) != 1 || appeals[0].Status != "accepted" || appeals[0].Banned || appeals[0].Note != "初犯" {
		t.Fatalf("after accepting: %+v", appeals)
	}
	if after := w.page(c, "/moderation"); strings.Contains(after, `id="appeals"`) {
		t.Fatal("the decided appeal is still listed")
	}
}
