package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/store"
)

// nameAndFlags parses "NAME --flag …" or "--flag … NAME" for an add
// command: the name may come before or after the flags.
func nameAndFlags(fs *flag.FlagSet, cmd string, args []string) (string, error) {
	var name string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	if err := parseFlags(fs, args); err != nil {
		return "", err
	}
	switch {
	case name == "" && fs.NArg() == 1:
		name = fs.Arg(0)
	case fs.NArg() > 0:
		return "", usagef("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	return name, nil
}

// orgDB is the configured store with the installation's organisation
// (the first; qunzhu runs one per installation) and the server's time
// zone.
type orgDB struct {
	*store.DB
	org int64
	loc *time.Location
}

// openOrg opens the configured store and checks its schema.
func openOrg(ctx context.Context, env Env, cfgPath, cmd string) (orgDB, error) {
	cfg, db, org, err := openConfigured(ctx, env.Environ, env.Stderr, cfgPath, cmd)
	if err != nil {
		return orgDB{}, err
	}
	return orgDB{DB: db, org: org, loc: cfg.Location()}, nil
}

// openConfigured opens the configured store, checks its schema and
// returns it with the configuration and the organisation. A SQLite
// database that does not exist yet is not created.
func openConfigured(ctx context.Context, environ []string, stderr io.Writer, cfgPath, cmd string) (*config.Config, *store.DB, int64, error) {
	cfg, err := loadConfig(cfgPath, environ)
	if err != nil {
		return nil, nil, 0, err
	}
	if driver, dsn := cfg.DatabaseDSN(); driver == "sqlite" && !strings.Contains(dsn, ":memory:") {
		path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, nil, 0, fmt.Errorf("%s: no database at %s: run qunzhu serve once first (or give the --config of the one that runs)", cmd, dsn)
		}
	}
	db, err := openStore(ctx, cfg, newLogger(stderr, cfg.Log.Level, cfg.Log.Format))
	if err != nil {
		return nil, nil, 0, err
	}
	if err := db.CheckSchema(ctx); err != nil {
		db.Close()
		return nil, nil, 0, err
	}
	orgs, err := db.Orgs(ctx)
	if err == nil && len(orgs) == 0 {
		err = fmt.Errorf("%s: no organisation yet: run qunzhu serve once first", cmd)
	}
	if err != nil {
		db.Close()
		return nil, nil, 0, err
	}
	return cfg, db, orgs[0].ID, nil
}

// when is a time for a list, in the server's time zone: "never" for none.
func (db orgDB) when(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.In(db.loc).Format("2006-01-02 15:04")
}

// cmdUser manages console accounts: add, list, passwd, disable, enable.
func cmdUser(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "add":
		return userAdd(ctx, env, args[1:])
	case "list":
		return userList(ctx, env, args[1:])
	case "passwd", "disable", "enable":
		return userChange(ctx, env, sub, args[1:])
	}
	return usagef("user: want a subcommand: add, list, passwd, disable or enable%s", suggestSub(sub, "add", "list", "passwd", "disable", "enable"))
}

// suggestSub is a "did you mean" for a mistyped subcommand ("" for none).
func suggestSub(sub string, options ...string) string {
	if sub == "" {
		return ""
	}
	return suggest(sub, options)
}

// userAdd is `qunzhu user add NAME --role ROLE [--node ID | --group ID]`:
// it creates an account with a generated password, printed once.
func userAdd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("user add")
	cfgPath := fs.String("config", "", "configuration file")
	role := fs.String("role", "", "manager (the whole organisation), secretary, assistant or viewer")
	node := fs.Int64("node", 0, "for a scoped role: the tree node whose groups the account sees")
	group := fs.Int64("group", 0, "for a scoped role: the one group the account sees")
	name, err := nameAndFlags(fs, "user add", args)
	if err != nil {
		return err
	}
	if name == "" || *role == "" {
		return usagef("user add: give a user name and --role")
	}
	db, err := openOrg(ctx, env, *cfgPath, "user add")
	if err != nil {
		return err
	}
	defer db.Close()
	pw := console.NewPassword()
	hash, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	u := access.User{OrgID: db.org, Username: name, PasswordHash: hash, Role: access.Role(*role), ScopeNodeID: *node, ScopeGroupID: *group}
	if err := db.CreateUserAs(ctx, &u, cliActor); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "created %s (%s); password 密码: %s\n", name, *role, pw)
	return nil
}

// cliActor names the command line in the audit log.
const cliActor = "cli"

// userList is `qunzhu user list`: the accounts with their role, scope,
// state and last sign-in.
func userList(ctx context.Context, env Env, args []string) error {
	return list(ctx, env, "user list", args, func(db orgDB) ([]string, [][]string, error) {
		users, err := db.Users(ctx, db.org)
		var rows [][]string
		for _, u := range users {
			scope := "organisation"
			switch {
			case u.ScopeNodeID != 0:
				scope = fmt.Sprintf("node %d", u.ScopeNodeID)
			case u.ScopeGroupID != 0:
				scope = fmt.Sprintf("group %d", u.ScopeGroupID)
			}
			state := "enabled"
			if u.Disabled {
				state = "disabled"
			}
			rows = append(rows, []string{u.Username, string(u.Role), scope, state, db.when(u.LastLogin)})
		}
		return []string{"NAME", "ROLE", "SCOPE", "STATE", "LAST LOGIN"}, rows, err
	})
}

// list runs a listing command (its one flag is --config) and prints the
// table that rows reads.
func list(ctx context.Context, env Env, cmd string, args []string, rows func(db orgDB) ([]string, [][]string, error)) error {
	fs := newFlagSet(cmd)
	cfgPath := fs.String("config", "", "configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", cmd, fs.Arg(0))
	}
	db, err := openOrg(ctx, env, *cfgPath, cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	header, body, err := rows(db)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	for _, r := range append([][]string{header}, body...) {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// userChange is `qunzhu user passwd|disable|enable NAME`. A new password
// is generated and printed once; passwd and disable end the account's
// sessions at once.
func userChange(ctx context.Context, env Env, sub string, args []string) error {
	cmd := "user " + sub
	fs := newFlagSet(cmd)
	cfgPath := fs.String("config", "", "configuration file")
	name, err := nameAndFlags(fs, cmd, args)
	if err != nil {
		return err
	}
	if name == "" {
		return usagef("%s: give a user name", cmd)
	}
	db, err := openOrg(ctx, env, *cfgPath, cmd)
	if err != nil {
		return err
	}
	defer db.Close()
	u, err := db.UserByName(ctx, name)
	if err == nil && u.OrgID != db.org {
		err = errkind.Errorf(errkind.NotFound, "user %q not found", name)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	switch sub {
	case "passwd":
		pw := console.NewPassword()
		hash, err := console.HashPassword(pw)
		if err != nil {
			return err
		}
		if err := db.SetPassword(ctx, db.org, u.ID, hash, cliActor); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		fmt.Fprintf(env.Stdout, "new password for %s 新密码: %s (signed out everywhere 已在所有设备登出)\n", name, pw)
	case "disable", "enable":
		if err := db.SetUserDisabled(ctx, db.org, u.ID, sub == "disable", cliActor); err != nil {
			return fmt.Errorf("%s: %w", cmd, err)
		}
		fmt.Fprintf(env.Stdout, "%sd %s\n", sub, name)
	}
	return nil
}

// cmdToken manages API tokens: add, list, revoke.
func cmdToken(ctx context.Context, env Env, args []string) error {
	sub := ""
	if len(args) > 0 {
		sub = args[0]
	}
	switch sub {
	case "add":
		return tokenAdd(ctx, env, args[1:])
	case "list":
		return tokenList(ctx, env, args[1:])
	case "revoke":
		return tokenRevoke(ctx, env, args[1:])
	}
	return usagef("token: want a subcommand: add, list or revoke%s", suggestSub(sub, "add", "list", "revoke"))
}

// tokenAdd is `qunzhu token add NAME --scope SCOPE`: it creates a token
// and prints it once. Scopes: admin, read, or ops:ROLES for the
// operations centre (ops:editor,reviewer).
func tokenAdd(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("token add")
	cfgPath := fs.String("config", "", "configuration file")
	scope := fs.String("scope", "", "admin, read, or ops:ROLE,… (contributor, editor, reviewer, publisher)")
	name, err := nameAndFlags(fs, "token add", args)
	if err != nil {
		return err
	}
	if name == "" || *scope == "" {
		return usagef("token add: give a token name and --scope")
	}
	if err := access.ValidScope(*scope); err != nil {
		return usagef("token add: %v", err)
	}
	db, err := openOrg(ctx, env, *cfgPath, "token add")
	if err != nil {
		return err
	}
	defer db.Close()
	_, tok, err := db.CreateTokenAs(ctx, db.org, name, *scope, cliActor)
	if err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "token %s (%s): %s\n", name, *scope, tok)
	return nil
}

// tokenList is `qunzhu token list`: the tokens (never their secrets).
func tokenList(ctx context.Context, env Env, args []string) error {
	return list(ctx, env, "token list", args, func(db orgDB) ([]string, [][]string, error) {
		tokens, err := db.Tokens(ctx, db.org)
		var rows [][]string
		for _, t := range tokens {
			state := "active"
			if t.Revoked {
				state = "revoked"
			}
			rows = append(rows, []string{strconv.FormatInt(t.ID, 10), t.Name, t.Scope, state, db.when(&t.CreatedAt), db.when(t.LastUsed)})
		}
		return []string{"ID", "NAME", "SCOPE", "STATE", "CREATED", "LAST USED"}, rows, err
	})
}

// tokenRevoke is `qunzhu token revoke NAME|ID`: the token authenticates
// nothing from now on. A name that several active tokens share is refused:
// revoke by id (token list shows them).
func tokenRevoke(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("token revoke")
	cfgPath := fs.String("config", "", "configuration file")
	which, err := nameAndFlags(fs, "token revoke", args)
	if err != nil {
		return err
	}
	if which == "" {
		return usagef("token revoke: give the token's name or id (qunzhu token list)")
	}
	db, err := openOrg(ctx, env, *cfgPath, "token revoke")
	if err != nil {
		return err
	}
	defer db.Close()
	tokens, err := db.Tokens(ctx, db.org)
	if err != nil {
		return err
	}
	var match []access.TokenInfo
	for _, t := range tokens {
		if !t.Revoked && (t.Name == which || strconv.FormatInt(t.ID, 10) == which) {
			match = append(match, t)
		}
	}
	switch len(match) {
	case 0:
		return fmt.Errorf("token revoke: no active token named %q (qunzhu token list)", which)
	case 1:
	default:
		return fmt.Errorf("token revoke: %d active tokens are named %q: give the id (qunzhu token list)", len(match), which)
	}
	if err := db.RevokeToken(ctx, db.org, match[0].ID, cliActor); err != nil {
		return fmt.Errorf("token revoke: %w", err)
	}
	fmt.Fprintf(env.Stdout, "revoked token %s (%d)\n", match[0].Name, match[0].ID)
	return nil
}
