package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat/matrix"
	"github.com/qunzhu/qunzhu/internal/chat/telegram"
	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/connections"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// connAdmin is the console's ConnectionAdmin: it checks a connection's
// settings as the file's are checked, verifies them with the platform
// (getMe, whoami, an access token), stores them, and has this replica
// take the change at once (the others within seconds).
type connAdmin struct {
	s *service
	// http makes the verification calls; a client with a timeout when nil.
	http *http.Client
}

var _ console.ConnectionAdmin = (*connAdmin)(nil)

func invalid(field, reason, detail string) error {
	return &errkind.Error{Kind: errkind.Invalid, Message: field + ": " + reason, Err: &console.ConnectionError{Field: field, Reason: reason, Detail: detail}}
}

// secret returns a random token of 32 characters of A-Z a-z 0-9 _ - (a
// Telegram webhook secret's alphabet).
func secret() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (a *connAdmin) client() *http.Client {
	if a.http != nil {
		return a.http
	}
	return &http.Client{Timeout: 20 * time.Second}
}

// fileNames are the connections of qunzhu.toml (and the demo's own).
func (a *connAdmin) fileNames() map[string]bool {
	out := map[string]bool{}
	for _, c := range a.s.conns.file {
		out[c.Name] = true
	}
	for _, ad := range a.s.conns.fixed {
		out[ad.Name()] = true
	}
	return out
}

// CreateConnection implements console.ConnectionAdmin.
func (a *connAdmin) CreateConnection(ctx context.Context, in console.ConnectionInput) (console.ConnectionCreated, error) {
	if !slices.Contains(connections.Platforms, in.Platform) {
		return console.ConnectionCreated{}, invalid("platform", "conn_err_platform", in.Platform)
	}
	switch {
	case in.Name == "":
		return console.ConnectionCreated{}, invalid("name", "conn_err_required", "")
	case connections.CheckName(in.Name) != nil:
		return console.ConnectionCreated{}, invalid("name", "conn_err_name", "")
	case a.fileNames()[in.Name]:
		return console.ConnectionCreated{}, invalid("name", "conn_err_name_file", "")
	}
	if _, err := a.s.db.ConnectionDef(ctx, in.Name); err == nil {
		return console.ConnectionCreated{}, invalid("name", "conn_err_name_taken", "")
	} else if !errkind.Is(err, errkind.NotFound) {
		return console.ConnectionCreated{}, err
	}
	d := connections.Def{Name: in.Name, Platform: in.Platform, OrgID: in.OrgID, Enabled: true, CreatedBy: in.Actor, Options: map[string]string{}}
	revealed, err := a.settle(ctx, &d, in.Fields, true)
	if err != nil {
		return console.ConnectionCreated{}, err
	}
	if err := a.s.db.CreateConnectionDef(ctx, &d); err != nil {
		if errkind.Is(err, errkind.Conflict) {
			return console.ConnectionCreated{}, invalid("name", "conn_err_name_taken", "")
		}
		return console.ConnectionCreated{}, err
	}
	a.audit(ctx, in.OrgID, in.Actor, "connection.create", d.Name, map[string]any{"platform": d.Platform})
	a.apply(ctx)
	return console.ConnectionCreated{Name: d.Name, Secrets: revealed}, nil
}

// stored returns a console connection; a file's is refused.
func (a *connAdmin) stored(ctx context.Context, name string) (connections.Def, error) {
	if a.fileNames()[name] {
		return connections.Def{}, errkind.Errorf(errkind.Forbidden, "connection %q is defined in qunzhu.toml: change it there", name)
	}
	return a.s.db.ConnectionDef(ctx, name)
}

// UpdateConnection implements console.ConnectionAdmin.
func (a *connAdmin) UpdateConnection(ctx context.Context, name string, in console.ConnectionInput) error {
	d, err := a.stored(ctx, name)
	if err != nil {
		return err
	}
	if _, err := a.settle(ctx, &d, in.Fields, false); err != nil {
		return err
	}
	if err := a.s.db.UpdateConnectionDef(ctx, d); err != nil {
		return err
	}
	a.audit(ctx, d.OrgID, in.Actor, "connection.edit", name, map[string]any{"platform": d.Platform})
	a.apply(ctx)
	return nil
}

// RestartConnection implements console.ConnectionAdmin.
func (a *connAdmin) RestartConnection(ctx context.Context, name, actor string) error {
	d, err := a.stored(ctx, name)
	if err != nil {
		return err
	}
	if err := a.s.db.RestartConnectionDef(ctx, name); err != nil {
		return err
	}
	a.audit(ctx, d.OrgID, actor, "connection.restart", name, nil)
	a.apply(ctx)
	return nil
}

// SetConnectionEnabled implements console.ConnectionAdmin.
func (a *connAdmin) SetConnectionEnabled(ctx context.Context, name string, on bool, actor string) error {
	d, err := a.stored(ctx, name)
	if err != nil {
		return err
	}
	if err := a.s.db.SetConnectionEnabled(ctx, name, on); err != nil {
		return err
	}
	action := "connection.stop"
	if on {
		action = "connection.start"
	}
	a.audit(ctx, d.OrgID, actor, action, name, nil)
	a.apply(ctx)
	return nil
}

// DeleteConnection implements console.ConnectionAdmin.
func (a *connAdmin) DeleteConnection(ctx context.Context, name, actor string) error {
	d, err := a.stored(ctx, name)
	if err != nil {
		return err
	}
	dropped, err := a.s.db.DeleteConnectionDef(ctx, name)
	if err != nil {
		return err
	}
	a.audit(ctx, d.OrgID, actor, "connection.delete", name, map[string]any{"platform": d.Platform, "actions_given_up": dropped})
	a.apply(ctx)
	return nil
}

// RenewConnectionSecret implements console.ConnectionAdmin.
func (a *connAdmin) RenewConnectionSecret(ctx context.Context, name, actor string) (console.ConnectionCreated, error) {
	d, err := a.stored(ctx, name)
	if err != nil {
		return console.ConnectionCreated{}, err
	}
	var rev console.Revealed
	switch d.Platform {
	case "onebot":
		rev = console.Revealed{Key: "access_token", Value: secret()}
		d.Options = maps.Clone(d.Options)
		d.Options["access_token"] = rev.Value
	case "webhook":
		rev = console.Revealed{Key: "token", Value: secret()}
		d.Token = rev.Value
	default:
		return console.ConnectionCreated{}, invalid("token", "conn_err_no_secret", "")
	}
	if err := a.s.db.UpdateConnectionDef(ctx, d); err != nil {
		return console.ConnectionCreated{}, err
	}
	a.audit(ctx, d.OrgID, actor, "connection.token", name, nil)
	a.apply(ctx)
	return console.ConnectionCreated{Name: name, Secrets: []console.Revealed{rev}}, nil
}

// apply has this replica take a change at once.
func (a *connAdmin) apply(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	if _, err := a.s.conns.reload(ctx); err != nil {
		a.s.log.Error("apply a connection change", "err", err)
	}
	a.s.conns.take(ctx)
}

func (a *connAdmin) audit(ctx context.Context, orgID int64, actor, action, subject string, detail map[string]any) {
	raw := "{}"
	if detail != nil {
		b, _ := json.Marshal(detail)
		raw = string(b)
	}
	if err := a.s.db.AppendAudit(ctx, community.AuditEntry{OrgID: orgID, Actor: actor, Action: action, Subject: subject, Detail: raw}); err != nil {
		a.s.log.Error("audit a connection change", "action", action, "err", err)
	}
}

// settle puts a form's fields into a definition, generates the secrets
// qunzhu makes (returned when new, to be shown once), checks the whole as
// the file's connections are checked, builds its adapter to be sure it
// runs, and verifies it with the platform. A secret left empty keeps the
// stored one.
func (a *connAdmin) settle(ctx context.Context, d *connections.Def, fields map[string]string, creating bool) ([]console.Revealed, error) {
	o := maps.Clone(d.Options)
	if o == nil {
		o = map[string]string{}
	}
	field := func(k string) string { return strings.TrimSpace(fields[k]) }
	keep := func(k string) { // a secret: the new one, else the stored one
		if v := field(k); v != "" {
			o[k] = v
		}
	}
	set := func(k string) { // a plain setting: as posted, removed when empty
		if v := field(k); v != "" {
			o[k] = v
		} else {
			delete(o, k)
		}
	}
	var revealed []console.Revealed
	reveal := func(k, v string) { revealed = append(revealed, console.Revealed{Key: k, Value: v}) }
	switch d.Platform {
	case "telegram":
		keep("bot_token")
		set("api_url")
		mode := field("mode")
		if mode == "" {
			mode = "polling"
		}
		o["mode"] = mode
		delete(o, "webhook_url")
		if mode == "webhook" {
			base := a.s.cfg.Server.BaseURL
			if !strings.HasPrefix(base, "https://") {
				return nil, invalid("mode", "conn_err_https", "")
			}
			o["webhook_url"] = strings.TrimRight(base, "/") + "/connect/" + url.PathEscape(d.Name)
			if o["webhook_secret"] == "" {
				o["webhook_secret"] = secret()
			}
		} else {
			delete(o, "webhook_secret")
		}
	case "onebot":
		o["mode"] = "reverse"
		set("self_id")
		if o["access_token"] == "" {
			o["access_token"] = secret()
			reveal("access_token", o["access_token"])
		}
	case "matrix":
		set("homeserver")
		keep("access_token")
	case "wecom":
		for _, k := range []string{"corp_id", "agent_id", "api_url"} {
			set(k)
		}
		for _, k := range []string{"secret", "callback_token", "encoding_aes_key"} {
			keep(k)
		}
	case "webhook":
		if d.Token == "" {
			d.Token = secret()
			reveal("token", d.Token)
		}
		d.PushURL = field("push_url")
		if d.PushURL == "" {
			d.Secret = ""
		} else if d.Secret == "" {
			d.Secret = secret()
			reveal("secret", d.Secret)
		}
	}
	d.Options = o
	for _, cf := range requiredFields[d.Platform] {
		if d.Options[cf] == "" {
			return nil, invalid(cf, "conn_err_required", "")
		}
	}
	if err := a.verify(ctx, d); err != nil {
		return nil, err
	}
	cfg := configOf(*d)
	if errs := config.ValidateConnection(cfg); len(errs) > 0 {
		return nil, invalid(strings.TrimPrefix(errs[0].Field, "options."), "conn_err_invalid", errs[0].Msg)
	}
	if _, err := a.s.conns.build(cfg); err != nil {
		return nil, invalid("name", "conn_err_invalid", err.Error())
	}
	if !creating {
		revealed = nil
	}
	return revealed, nil
}

// requiredFields are the options a platform's connection cannot go
// without (those qunzhu generates are there by then).
var requiredFields = map[string][]string{
	"telegram": {"bot_token"},
	"matrix":   {"homeserver", "access_token"},
	"wecom":    {"corp_id", "agent_id", "secret", "callback_token", "encoding_aes_key"},
}

// verify asks the platform whether the credentials work, and keeps what
// it says (the bot's name, the Matrix user).
func (a *connAdmin) verify(ctx context.Context, d *connections.Def) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	info := map[string]string{}
	switch d.Platform {
	case "telegram":
		bot, err := telegram.GetMe(ctx, d.Options["api_url"], d.Options["bot_token"], a.client())
		switch {
		case errors.Is(err, telegram.ErrTokenRefused):
			return invalid("bot_token", "conn_err_token_refused", "")
		case err != nil:
			return invalid("bot_token", "conn_err_unreachable", err.Error())
		}
		info[connections.InfoBotUsername], info[connections.InfoBotName], info[connections.InfoBotID] = bot.Username, bot.Name, strconv.FormatInt(bot.ID, 10)
	case "matrix":
		user, err := matrix.Whoami(ctx, d.Options["homeserver"], d.Options["access_token"])
		switch {
		case errors.Is(err, matrix.ErrTokenRefused):
			return invalid("access_token", "conn_err_token_refused", "")
		case err != nil:
			return invalid("homeserver", "conn_err_unreachable", err.Error())
		}
		d.Options["user_id"], info[connections.InfoUserID] = user, user
	case "wecom":
		c, err := wecom.NewClient(wecom.ClientConfig{APIURL: d.Options["api_url"], CorpID: d.Options["corp_id"], Secret: d.Options["secret"], HTTPClient: a.client()})
		if err != nil {
			return invalid("corp_id", "conn_err_invalid", err.Error())
		}
		if _, err := c.Token(ctx); err != nil {
			var ae *wecom.APIError
			if errors.As(err, &ae) {
				field := "secret"
				if ae.Code == 40013 {
					field = "corp_id"
				}
				return invalid(field, "conn_err_token_refused", err.Error())
			}
			return invalid("corp_id", "conn_err_unreachable", err.Error())
		}
	}
	d.Info = info
	return nil
}
