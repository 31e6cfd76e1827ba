package console

import (
	"context"
	"net/http"

	"github.com/qunzhu/qunzhu/internal/access"
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
	Scope string // the node or group the account is limited to
}

type settingsData struct {
	ShortCodes  int // invite codes short enough to guess (codes.go)
	Connections []ConnectionStatus
	Users       []accountRow
	Tokens      []access.TokenInfo
	RulesEdit   bool
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
	s.render(w, http.StatusOK, "settings", s.page(r, u, T(l, "settings"), d))
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
