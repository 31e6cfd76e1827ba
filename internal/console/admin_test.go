package console_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

var secretRE = regexp.MustCompile(`<code class="detail" id="secret">([^<]+)</code>`)

// secretOf is the secret a page shows once.
func secretOf(t *testing.T, page string) string {
	t.Helper()
	m := secretRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no secret on the page:\n%s", page)
	}
	return m[1]
}

// TestAccountsPage: a manager creates accounts with a role and a part of
// the tree picked by name, sees the password once, resets it (ending the
// account's sessions), disables and enables it; bad input is said in the
// reader's language.
func TestAccountsPage(t *testing.T) {
	w := newWorld(t)
	w.srv.Accounts = w.db
	ctx := context.Background()
	c := w.user()
	page := w.page(c, "/accounts")
	for _, want := range []string{`<b class="name ud">admin</b> <small>（你）</small>`, "整个组织", "阳新县 / 阳新一店", w.cohort.Name, `value="node:` + itoa(w.shop.ID) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the accounts page lacks %q", want)
		}
	}
	if strings.Contains(page, w.foreign.Name) || strings.Contains(page, "/accounts/1/disable") {
		t.Error("another organisation's group is offered, or the manager may disable herself")
	}
	create := func(form url.Values) (int, string) {
		t.Helper()
		code, body := w.post(c, "/accounts", "/accounts", form, true)
		return code, body
	}
	for _, tc := range []struct {
		form url.Values
		code int
		says string
	}{
		{url.Values{"username": {"a"}, "role": {"secretary"}, "scope": {"node:" + itoa(w.shop.ID)}}, 400, "2 到 32 个字"},
		{url.Values{"username": {"two words"}, "role": {"secretary"}, "scope": {"node:" + itoa(w.shop.ID)}}, 400, "2 到 32 个字"},
		{url.Values{"username": {"boss"}, "role": {"owner"}, "scope": {""}}, 400, "请选择管理者"},
		{url.Values{"username": {"boss"}, "role": {"manager"}, "scope": {"group:" + itoa(w.cohort.ID)}}, 400, "管理者看到整个组织"},
		{url.Values{"username": {"xiaoli"}, "role": {"secretary"}, "scope": {""}}, 400, "需要一个范围"},
		{url.Values{"username": {"xiaoli"}, "role": {"secretary"}, "scope": {"node:99999"}}, 400, "请从列表里选择"},
		{url.Values{"username": {"xiaoli"}, "role": {"secretary"}, "scope": {"group:" + itoa(w.foreign.ID)}}, 400, "请从列表里选择"},
		{url.Values{"username": {"xiaoli"}, "role": {"secretary"}, "scope": {"tree:1"}}, 400, "请从列表里选择"},
		{url.Values{"username": {"admin"}, "role": {"manager"}, "scope": {""}}, 409, "已经有人用了"},
	} {
		code, body := create(tc.form)
		if code != tc.code || !strings.Contains(body, tc.says) || !strings.Contains(body, `id="form-error"`) {
			t.Errorf("create %v: %d, want %d saying %q", tc.form, code, tc.code, tc.says)
		}
		if tc.form.Get("username") == "xiaoli" && !strings.Contains(body, `value="xiaoli"`) {
			t.Errorf("the form lost what was typed: %v", tc.form)
		}
	}
	code, body := create(url.Values{"username": {"小李"}, "role": {"secretary"}, "scope": {"node:" + itoa(w.region.ID)}})
	if code != 200 || !strings.Contains(body, "账号已创建") || !strings.Contains(body, "小李") {
		t.Fatalf("create a secretary: %d\n%s", code, body)
	}
	password := secretOf(t, body)
	sec, err := w.db.UserByName(ctx, "小李")
	if err != nil || sec.Role != access.Secretary || sec.ScopeNodeID != w.region.ID {
		t.Fatalf("the secretary: %+v %v", sec, err)
	}
	xiaoli := loginAs(t, w.url, "小李", password)
	if list := w.page(c, "/accounts"); strings.Contains(list, password) || !strings.Contains(list, `节点 · <span class="ud">阳新县`) || strings.Contains(rowOf(list, sec.ID), "从未") {
		t.Error("the list shows the password, or not the scope or the sign-in")
	}

	// Reset: asked first, then a new password shown once; the old one and
	// the account's sessions stop working.
	if code, body := w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/password", url.Values{}, true); code != 200 || !strings.Contains(body, "给 小李 设置一个新密码") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("reset without confirming: %d\n%s", code, body)
	}
	code, body = w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/password", url.Values{"confirm": {"yes"}}, true)
	if code != 200 || !strings.Contains(body, "密码已重置") {
		t.Fatalf("reset: %d\n%s", code, body)
	}
	fresh := secretOf(t, body)
	if code, _ := get(t, xiaoli, w.url+"/"); code != 200 || !strings.Contains(w.pageAs(xiaoli, "/"), `action="/login"`) {
		t.Error("the secretary's session survived the reset")
	}
	if code, _ := login2(t, w.url, "小李", password); code != 401 {
		t.Errorf("the old password after a reset: %d", code)
	}
	xiaoli = loginAs(t, w.url, "小李", fresh)

	// Disable (asked first) and enable.
	if code, body := w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/disable", url.Values{}, true); code != 200 || !strings.Contains(body, "停用 小李") {
		t.Fatalf("disable without confirming: %d", code)
	}
	code, body = w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/disable", url.Values{"confirm": {"yes"}}, true)
	if code != 200 || !strings.Contains(body, "账号已停用") || strings.Contains(body, "%!") || !strings.Contains(rowOf(body, sec.ID), "已停用") {
		t.Fatalf("disable: %d\n%s", code, body)
	}
	if !strings.Contains(w.pageAs(xiaoli, "/"), `action="/login"`) {
		t.Error("the disabled account's session survived")
	}
	if code, _ := login2(t, w.url, "小李", fresh); code != 403 {
		t.Errorf("a disabled account's login: %d, want 403", code)
	}
	if _, body := w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/disable", url.Values{"confirm": {"yes"}}, true); !strings.Contains(body, "已经是这个状态") {
		t.Error("disabling twice says nothing")
	}
	if _, body := w.post(c, "/accounts", "/accounts/"+itoa(sec.ID)+"/enable", url.Values{}, true); !strings.Contains(body, "账号已启用") || strings.Contains(body, "%!") {
		t.Error("enable")
	}
	loginAs(t, w.url, "小李", fresh)
	// Herself: refused.
	admin, _ := w.db.UserByName(ctx, "admin")
	if _, body := w.post(c, "/accounts", "/accounts/"+itoa(admin.ID)+"/disable", url.Values{"confirm": {"yes"}}, true); !strings.Contains(body, "不能停用你自己的账号") {
		t.Error("a manager disabled herself")
	}
	if u, _ := w.db.UserByName(ctx, "admin"); u.Disabled {
		t.Fatal("the manager is disabled")
	}
	for _, path := range []string{"/accounts/99999/password", "/accounts/x/disable", "/accounts/99999/enable"} {
		if code, _ := w.post(c, "/accounts", path, url.Values{"confirm": {"yes"}}, true); code != 404 {
			t.Errorf("POST %s: %d, want 404", path, code)
		}
	}
	if code, _ := w.post(c, "/accounts", "/accounts", url.Values{"username": {"nocsrf"}, "role": {"manager"}}, false); code != 403 {
		t.Errorf("create without the form token: %d", code)
	}
	if en := w.page(c, "/accounts?lang=en"); !strings.Contains(en, "Console accounts") || !strings.Contains(en, "The whole organisation") || !strings.Contains(en, "Reset password") {
		t.Error("the English accounts page")
	}
	assertAudit(t, w, "user.create", "user.password", "user.disable", "user.enable")
}

// TestTokensPage: a manager creates tokens (the secret shown once, never
// listed), revokes one after confirming, and it stops working at once.
func TestTokensPage(t *testing.T) {
	w := newWorld(t)
	w.srv.Accounts = w.db
	ctx := context.Background()
	c := w.user()
	if page := w.page(c, "/tokens"); !strings.Contains(page, "还没有 API 令牌") {
		t.Error("no tokens yet: not said")
	}
	create := func(form url.Values) (int, string) {
		t.Helper()
		return w.post(c, "/tokens", "/tokens", form, true)
	}
	for _, tc := range []struct {
		form url.Values
		says string
	}{
		{url.Values{"name": {""}, "scope": {"read"}}, "名称要 1 到 64 个字"},
		{url.Values{"name": {"x\x01"}, "scope": {"read"}}, "名称要 1 到 64 个字"},
		{url.Values{"name": {"运营"}, "scope": {"ops"}}, "至少要选一个角色"},
		{url.Values{"name": {"运营"}, "scope": {"ops"}, "roles": {"janitor"}}, "请选择只读、管理或运营中心"},
		{url.Values{"name": {"x"}, "scope": {"root"}}, "请选择只读、管理或运营中心"},
	} {
		if code, body := create(tc.form); code != 400 || !strings.Contains(body, tc.says) {
			t.Errorf("create %v: %d, want 400 saying %q", tc.form, code, tc.says)
		}
	}
	code, body := create(url.Values{"name": {"数据看板"}, "scope": {"read"}})
	if code != 200 || !strings.Contains(body, "令牌已创建") || !strings.Contains(body, "数据看板 · 只读") {
		t.Fatalf("create a read token: %d\n%s", code, body)
	}
	read := secretOf(t, body)
	if _, err := w.db.TokenByPlaintext(ctx, read); err != nil {
		t.Fatalf("the shown secret: %v", err)
	}
	code, body = create(url.Values{"name": {"运营"}, "scope": {"ops"}, "roles": {"editor", "reviewer"}})
	if code != 200 {
		t.Fatalf("create an ops token: %d", code)
	}
	if tok, err := w.db.TokenByPlaintext(ctx, secretOf(t, body)); err != nil || tok.Scope != "ops:editor,reviewer" {
		t.Fatalf("the ops token: %+v %v", tok, err)
	}
	list := w.page(c, "/tokens")
	for _, want := range []string{"数据看板", "只读", "运营中心：编辑、审核", "有效"} {
		if !strings.Contains(list, want) {
			t.Errorf("the token list lacks %q", want)
		}
	}
	if strings.Contains(list, read) || strings.Contains(list, "qz_") {
		t.Fatal("the token list shows a secret")
	}
	tokens, _ := w.db.Tokens(ctx, w.org.ID)
	var id int64
	for _, tk := range tokens {
		if tk.Name == "数据看板" {
			id = tk.ID
		}
	}
	if code, body := w.post(c, "/tokens", "/tokens/"+itoa(id)+"/revoke", url.Values{}, true); code != 200 || !strings.Contains(body, "吊销令牌 数据看板") {
		t.Fatalf("revoke without confirming: %d", code)
	}
	if code, body := w.post(c, "/tokens", "/tokens/"+itoa(id)+"/revoke", url.Values{"confirm": {"yes"}}, true); code != 200 || !strings.Contains(body, "令牌已吊销") || strings.Contains(body, "%!") {
		t.Fatalf("revoke: %d", code)
	}
	if _, err := w.db.TokenByPlaintext(ctx, read); !errkind.Is(err, errkind.Unauthorized) {
		t.Fatalf("a revoked token: %v", err)
	}
	if _, body := w.post(c, "/tokens", "/tokens/"+itoa(id)+"/revoke", url.Values{"confirm": {"yes"}}, true); !strings.Contains(body, "已经吊销过了") {
		t.Error("revoking twice says nothing")
	}
	if code, _ := w.post(c, "/tokens", "/tokens/99999/revoke", url.Values{"confirm": {"yes"}}, true); code != 404 {
		t.Errorf("an unknown token: %d", code)
	}
	assertAudit(t, w, "token.create", "token.revoke")
}

// TestAdministrationIsForManagers: a scoped secretary is refused the
// accounts and tokens pages and every form on them, and is not offered
// them.
func TestAdministrationIsForManagers(t *testing.T) {
	w := newWorld(t)
	w.srv.Accounts = w.db
	sec := w.scoped("region-sec", access.Secretary, w.region.ID, 0)
	if dash := w.page(sec, "/"); strings.Contains(dash, `href="/accounts"`) {
		t.Error("a secretary is offered the accounts page")
	}
	for _, path := range []string{"/accounts", "/tokens"} {
		if code, body := get(t, sec, w.url+path); code != 403 || !strings.Contains(body, "秘书长") {
			t.Errorf("a secretary's GET %s: %d", path, code)
		}
	}
	for _, path := range []string{"/accounts", "/accounts/1/password", "/accounts/1/disable", "/accounts/1/enable", "/tokens", "/tokens/1/revoke"} {
		if code, _ := w.post(sec, "/", path, url.Values{"confirm": {"yes"}, "username": {"evil"}, "role": {"manager"}, "name": {"x"}, "scope": {"admin"}}, true); code != 403 {
			t.Errorf("a secretary's POST %s: %d, want 403", path, code)
		}
	}
	if _, err := w.db.UserByName(context.Background(), "evil"); !errkind.Is(err, errkind.NotFound) {
		t.Fatal("a secretary created a manager")
	}
	if tokens, _ := w.db.Tokens(context.Background(), w.org.ID); len(tokens) != 0 {
		t.Fatal("a secretary created a token")
	}
}

// rowOf is the entry of account id in the list.
func rowOf(page string, id int64) string {
	_, row, _ := strings.Cut(page, `id="account-`+itoa(id)+`"`)
	row, _, _ = strings.Cut(row, "</article>")
	return row
}

// pageAs GETs a path with c and returns the body whatever the status.
func (w *world) pageAs(c *http.Client, path string) string {
	w.t.Helper()
	_, body := get(w.t, c, w.url+path)
	return body
}

// login2 signs user in with a fresh client and returns the status.
func login2(t *testing.T, base, user, password string) (int, string) {
	t.Helper()
	c := client(t)
	_, page := get(t, c, base+"/login")
	resp, err := c.PostForm(base+"/login", url.Values{"csrf": {csrfRE.FindStringSubmatch(page)[1]}, "username": {user}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode, ""
}

func assertAudit(t *testing.T, w *world, actions ...string) {
	t.Helper()
	page := w.page(w.user(), "/audit")
	for _, a := range actions {
		if !strings.Contains(page, a) {
			t.Errorf("the audit log lacks %s", a)
		}
	}
}
