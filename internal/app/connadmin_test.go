package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

const goodBot = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"

// newAdminService is a service (not running) with a file connection
// "wx", and its console's connection admin.
func newAdminService(t *testing.T, baseURL string) (*service, *connAdmin, int64) {
	t.Helper()
	ctx := context.Background()
	db := storetest.Open(t, store.SQLite, nil)
	org := community.Org{Name: "学院", Slug: "a"}
	if err := db.CreateOrg(ctx, &org); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Data.Dir = t.TempDir()
	cfg.Server.BaseURL = baseURL
	cfg.Rules.Enabled = false
	cfg.Connections = []config.Connection{{Name: "wx", Platform: "webhook", Token: "file-bridge-token-0123"}}
	env := Env{Platforms: map[string]Factory{"webhook": Webhook, "telegram": Telegram, "onebot": OneBot, "matrix": Matrix, "wecom": WeCom}}
	s, err := newService(ctx, env, cfg, db, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, &connAdmin{s: s}, org.ID
}

// botAPI answers getMe for goodBot and refuses every other token.
func botAPI(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot"+goodBot+"/getMe" {
			w.WriteHeader(401)
			io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
			return
		}
		io.WriteString(w, `{"ok":true,"result":{"id":4242,"is_bot":true,"first_name":"qunzhu","username":"qunzhu_bot"}}`)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// refusal returns the form field and reason of a refused form.
func refusal(t *testing.T, err error) (string, string) {
	t.Helper()
	var ce *console.ConnectionError
	if !errkind.Is(err, errkind.Invalid) || !errors.As(err, &ce) {
		t.Fatalf("want a refused form, got %v", err)
	}
	return ce.Field, ce.Reason
}

func status(s *service, name string) (console.ConnectionStatus, bool) {
	for _, c := range s.conns.statuses() {
		if c.Name == name {
			return c, true
		}
	}
	return console.ConnectionStatus{}, false
}

func TestConnAdminTelegram(t *testing.T) {
	ctx := context.Background()
	api := botAPI(t)
	s, a, org := newAdminService(t, "")
	in := func(name, token, mode string) console.ConnectionInput {
		return console.ConnectionInput{OrgID: org, Actor: "staff:admin", Platform: "telegram", Name: name, Fields: map[string]string{"bot_token": token, "mode": mode, "api_url": api}}
	}
	for _, tt := range []struct {
		in           console.ConnectionInput
		field, cause string
	}{
		{in("tg", "987654321:AAEabcdefghijklmnopqrstuvwxyz012345", "polling"), "bot_token", "conn_err_token_refused"},
		{in("tg", "", "polling"), "bot_token", "conn_err_required"},
		{in("wx", goodBot, "polling"), "name", "conn_err_name_file"},
		{in("Tg Bot", goodBot, "polling"), "name", "conn_err_name"},
		{in("", goodBot, "polling"), "name", "conn_err_required"},
		{in("tg", goodBot, "webhook"), "mode", "conn_err_https"}, // no https base_url
	} {
		_, err := a.CreateConnection(ctx, tt.in)
		if f, r := refusal(t, err); f != tt.field || r != tt.cause {
			t.Errorf("%s %q: refused for %s %s, want %s %s", tt.in.Name, tt.in.Fields["bot_token"], f, r, tt.field, tt.cause)
		}
	}
	if defs, _ := s.db.ConnectionDefs(ctx); len(defs) != 0 {
		t.Fatalf("refused forms stored %v", defs)
	}
	created, err := a.CreateConnection(ctx, in("tg", " "+goodBot+" ", "polling"))
	if err != nil || created.Name != "tg" || len(created.Secrets) != 0 {
		t.Fatalf("create: %+v %v", created, err)
	}
	st, ok := status(s, "tg")
	if !ok || st.Source != "console" || !st.Enabled || st.Info["bot_username"] != "qunzhu_bot" || st.Settings["bot_token"] != "••••2345" || !strings.HasPrefix(st.AddLink, "https://t.me/qunzhu_bot?startgroup=") {
		t.Fatalf("status: %+v", st)
	}
	if !slices.Contains(s.conns.wanted(), "tg") || s.conns.caps("tg").Can("delete") != true {
		t.Fatalf("tg is not ready to run here: wanted %v", s.conns.wanted())
	}
	if _, err := a.CreateConnection(ctx, in("tg", goodBot, "polling")); err == nil {
		t.Fatal("a second tg")
	} else if f, r := refusal(t, err); f != "name" || r != "conn_err_name_taken" {
		t.Fatalf("a second tg: %s %s", f, r)
	}
	// An edit that leaves the token empty keeps it, and moves the
	// connection to its next version (every replica rebuilds it).
	if err := a.UpdateConnection(ctx, "tg", in("tg", "", "polling")); err != nil {
		t.Fatal(err)
	}
	d, _ := s.db.ConnectionDef(ctx, "tg")
	if d.Options["bot_token"] != goodBot || d.Version != 2 {
		t.Fatalf("after the edit: %+v", d)
	}
	if err := a.UpdateConnection(ctx, "wx", in("wx", goodBot, "polling")); !errkind.Is(err, errkind.Forbidden) {
		t.Fatalf("edit the file's connection: %v", err)
	}
	if err := a.SetConnectionEnabled(ctx, "tg", false, "staff:admin"); err != nil {
		t.Fatal(err)
	}
	if st, _ := status(s, "tg"); st.Enabled || st.State != console.ConnStopped || slices.Contains(s.conns.wanted(), "tg") {
		t.Fatalf("stopped: %+v, wanted %v", st, s.conns.wanted())
	}
	if err := a.DeleteConnection(ctx, "tg", "staff:admin"); err != nil {
		t.Fatal(err)
	}
	if _, ok := status(s, "tg"); ok {
		t.Fatal("tg is still listed after the delete")
	}
	log, _ := s.db.AuditLog(ctx, org, community.Page{})
	var actions []string
	for _, e := range log {
		actions = append(actions, e.Action+" "+e.Subject)
		if strings.Contains(e.Detail, goodBot) {
			t.Fatalf("the audit log holds the token: %+v", e)
		}
	}
	if want := []string{"connection.delete tg", "connection.stop tg", "connection.edit tg", "connection.create tg"}; !slices.Equal(actions, want) {
		t.Fatalf("audit: %v, want %v", actions, want)
	}

	// With an https base_url, webhook mode registers /connect/{name}
	// with a generated secret.
	s2, a2, org2 := newAdminService(t, "https://qz.example.com/")
	if _, err := a2.CreateConnection(ctx, console.ConnectionInput{OrgID: org2, Platform: "telegram", Name: "tgw", Fields: map[string]string{"bot_token": goodBot, "mode": "webhook", "api_url": api}}); err != nil {
		t.Fatal(err)
	}
	d, _ = s2.db.ConnectionDef(ctx, "tgw")
	if d.Options["webhook_url"] != "https://qz.example.com/connect/tgw" || len(d.Options["webhook_secret"]) < 16 {
		t.Fatalf("webhook mode: %v", d.Options)
	}
}

func TestConnAdminOneBotBridgeMatrixWeCom(t *testing.T) {
	ctx := context.Background()
	s, a, org := newAdminService(t, "")
	// OneBot: a token is generated and shown once; a new one replaces it.
	created, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "onebot", Name: "qq", Fields: map[string]string{"self_id": "10001"}})
	if err != nil || len(created.Secrets) != 1 || created.Secrets[0].Key != "access_token" || len(created.Secrets[0].Value) < 16 {
		t.Fatalf("onebot: %+v %v", created, err)
	}
	tok := created.Secrets[0].Value
	d, _ := s.db.ConnectionDef(ctx, "qq")
	if d.Options["access_token"] != tok || d.Options["mode"] != "reverse" || d.Options["self_id"] != "10001" {
		t.Fatalf("onebot stored: %v", d.Options)
	}
	if st, _ := status(s, "qq"); st.Settings["access_token"] != "••••"+tok[len(tok)-4:] {
		t.Fatalf("onebot shown: %v", st.Settings)
	}
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "onebot", Name: "qq2", Fields: map[string]string{"self_id": "qq"}}); err == nil {
		t.Fatal("a self_id that is not a number was accepted")
	}
	renewed, err := a.RenewConnectionSecret(ctx, "qq", "staff:admin")
	if err != nil || renewed.Secrets[0].Value == tok {
		t.Fatalf("renew: %+v %v", renewed, err)
	}
	// A bridge: its token (and, pushing, its signing secret) are shown
	// once; it authenticates at once.
	created, err = a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "webhook", Name: "bridge2", Fields: map[string]string{"push_url": "https://bridge.example.com/push"}})
	if err != nil || len(created.Secrets) != 2 || created.Secrets[0].Key != "token" || created.Secrets[1].Key != "secret" {
		t.Fatalf("bridge: %+v %v", created, err)
	}
	if name := s.conns.byToken(created.Secrets[0].Value); name != "bridge2" {
		t.Fatalf("the new bridge's token names %q", name)
	}
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "webhook", Name: "bridge3", Fields: map[string]string{"push_url": "ftp://x"}}); err == nil {
		t.Fatal("an ftp push URL was accepted")
	} else if f, r := refusal(t, err); f != "push_url" || r != "conn_err_invalid" {
		t.Fatalf("bad push_url: %s %s", f, r)
	}
	// Matrix: whoami names the bot's user.
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer syt_good" {
			w.WriteHeader(401)
			io.WriteString(w, `{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token"}`)
			return
		}
		io.WriteString(w, `{"user_id":"@qunzhu:example.org"}`)
	}))
	defer hs.Close()
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "matrix", Name: "mx", Fields: map[string]string{"homeserver": hs.URL, "access_token": "syt_bad"}}); err == nil {
		t.Fatal("a refused Matrix token was accepted")
	} else if f, r := refusal(t, err); f != "access_token" || r != "conn_err_token_refused" {
		t.Fatalf("refused matrix token: %s %s", f, r)
	}
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "matrix", Name: "mx", Fields: map[string]string{"homeserver": hs.URL, "access_token": "syt_good"}}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.db.ConnectionDef(ctx, "mx"); d.Options["user_id"] != "@qunzhu:example.org" {
		t.Fatalf("matrix stored: %v", d.Options)
	}
	// WeCom: an access token proves the corp id and secret.
	wc := wecomtest.New("ww0123456789", "app-secret")
	defer wc.Close()
	fields := map[string]string{"corp_id": "ww0123456789", "agent_id": "1000002", "secret": "wrong-secret", "callback_token": "cbToken123",
		"encoding_aes_key": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG", "api_url": wc.URL}
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "wecom", Name: "qw", Fields: fields}); err == nil {
		t.Fatal("a wrong WeCom secret was accepted")
	} else if f, r := refusal(t, err); f != "secret" || r != "conn_err_token_refused" {
		t.Fatalf("wrong wecom secret: %s %s", f, r)
	}
	fields["secret"] = "app-secret"
	fields["encoding_aes_key"] = "short"
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "wecom", Name: "qw", Fields: fields}); err == nil {
		t.Fatal("a short EncodingAESKey was accepted")
	} else if f, _ := refusal(t, err); f != "encoding_aes_key" {
		t.Fatalf("short key refused for %s", f)
	}
	fields["encoding_aes_key"] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"
	if _, err := a.CreateConnection(ctx, console.ConnectionInput{OrgID: org, Platform: "wecom", Name: "qw", Fields: fields}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.conns.wanted(), []string{"bridge2", "mx", "qq", "qw", "wx"}) {
		t.Fatalf("wanted: %v", s.conns.wanted())
	}
}
