package console

import (
	"context"
	"html/template"
	"net/http"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// The settings page (managers): the platform connections and their state,
// the console accounts with their part of the tree, the API tokens (never
// their secrets), and where rules are edited.

// AccountSource lists and changes console accounts and API tokens (the
// accounts and tokens pages, admin.go).
type AccountSource interface {
	Users(ctx context.Context, orgID int64) ([]access.User, error)
	Tokens(ctx context.Context, orgID int64) ([]access.TokenInfo, error)
	User(ctx context.Context, orgID, id int64) (access.User, error)
	CreateUserAs(ctx context.Context, u *access.User, actor string) error
	SetPassword(ctx context.Context, orgID, userID int64, hash, actor string) error
	SetUserDisabled(ctx context.Context, orgID, userID int64, disabled bool, actor string) error
	CreateTokenAs(ctx context.Context, orgID int64, name, scope, actor string) (access.Token, string, error)
	RevokeToken(ctx context.Context, orgID, id int64, actor string) error
}

type accountRow struct {
	access.User
	Scope template.HTML // the node or group the account is limited to
}

type settingsData struct {
	ShortCodes  int // invite codes short enough to guess (codes.go)
	Connections []ConnectionStatus
	Users       []accountRow
	Tokens      []access.TokenInfo
	RulesEdit   bool
	BotLang     string // the organisation's default bot language; "" when the store cannot tell
}

// OrgBotLanguage reads and sets the language an organisation's new groups'
// bot writes in. internal/store implements it.
type OrgBotLanguage interface {
	OrgBotLang(ctx context.Context, orgID int64) (string, error)
	SetOrgBotLang(ctx context.Context, orgID int64, lang, actor string) error
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	l := langOf(r)
	ctx := r.Context()
	d := settingsData{RulesEdit: s.editor() != nil}
	if s.Connections != nil {
		d.Connections = s.Connections()
	}
	if s.ShortCodes != nil {
		short, err := s.ShortCodes.ShortInviteCodes(ctx, u.OrgID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		d.ShortCodes = len(short)
	}
	if s.Accounts != nil {
		users, err := s.Accounts.Users(ctx, u.OrgID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		_, _, names, err := s.scopeNames(ctx, l, u.OrgID)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		for _, a := range users {
			d.Users = append(d.Users, accountRow{User: a, Scope: names[scopeValue(a)]})
		}
		if d.Tokens, err = s.Accounts.Tokens(ctx, u.OrgID); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	if bl, ok := s.Store.(OrgBotLanguage); ok {
		var err error
		if d.BotLang, err = bl.OrgBotLang(ctx, u.OrgID); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	p := s.page(r, u, T(l, "settings"), d)
	p.Flash = s.takeFlash(w, r)
	s.render(w, http.StatusOK, "settings", p)
}

// saveOrgBotLang sets the organisation's default bot language, which its
// new groups start with.
func (s *Server) saveOrgBotLang(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	bl, ok := s.Store.(OrgBotLanguage)
	if !ok {
		s.renderError(w, r, errkind.New(errkind.NotFound, "no bot language setting here"))
		return
	}
	lang := r.PostFormValue("lang")
	if !community.ValidBotLang(lang) {
		s.setFlash(w, flash{Key: "flash_bot_lang_bad"})
		http.Redirect(w, r, "/settings#bot-lang", http.StatusSeeOther)
		return
	}
	if err := bl.SetOrgBotLang(r.Context(), u.OrgID, lang, actor(u)); err != nil {
		s.renderError(w, r, err)
		return
	}
	s.setFlash(w, flash{Key: "flash_bot_lang_saved"})
	http.Redirect(w, r, "/settings#bot-lang", http.StatusSeeOther)
}

// nodeNames names the organisation's tree nodes by id.
func (s *Server) nodeNames(ctx context.Context, orgID int64) (map[int64]string, error) {
	nodes, err := s.Store.Nodes(ctx, orgID)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(nodes))
	for _, n := range nodes {
		names[n.ID] = n.Name
	}
	return names, nil
}
