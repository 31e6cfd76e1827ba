package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/console"
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

// openOrg opens the configured store, checks its schema and returns it
// with the organisation (the first; qunzhu runs one per installation).
func openOrg(ctx context.Context, env Env, cfgPath, cmd string) (*store.DB, int64, error) {
	_, db, org, err := openConfigured(ctx, env.Environ, env.Stderr, cfgPath, cmd)
	return db, org, err
}

// openConfigured is openOrg that returns the configuration too. A
// SQLite database that does not exist yet is not created.
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

// cmdUser manages console accounts: `qunzhu user add NAME --role ROLE
// [--node ID | --group ID]` creates one with a generated password, printed
// once.
func cmdUser(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("user: want a subcommand: add")
	}
	fs := newFlagSet("user add")
	cfgPath := fs.String("config", "", "configuration file")
	role := fs.String("role", "", "manager (the whole organisation), secretary, assistant or viewer")
	node := fs.Int64("node", 0, "for a scoped role: the tree node whose groups the account sees")
	group := fs.Int64("group", 0, "for a scoped role: the one group the account sees")
	name, err := nameAndFlags(fs, "user add", args[1:])
	if err != nil {
		return err
	}
	if name == "" || *role == "" {
		return usagef("user add: give a user name and --role")
	}
	db, org, err := openOrg(ctx, env, *cfgPath, "user add")
	if err != nil {
		return err
	}
	defer db.Close()
	pw := randomPassword()
	hash, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	u := access.User{OrgID: org, Username: name, PasswordHash: hash, Role: access.Role(*role), ScopeNodeID: *node, ScopeGroupID: *group}
	if err := db.CreateUser(ctx, &u); err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "created %s (%s); password 密码: %s\n", name, *role, pw)
	return nil
}

// cmdToken manages API tokens: `qunzhu token add NAME --scope SCOPE`
// creates one and prints it once. Scopes: admin, read, or ops:ROLES for
// the operations centre (ops:editor,reviewer).
func cmdToken(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		return usagef("token: want a subcommand: add")
	}
	fs := newFlagSet("token add")
	cfgPath := fs.String("config", "", "configuration file")
	scope := fs.String("scope", "", "admin, read, or ops:ROLE,… (contributor, editor, reviewer, publisher)")
	name, err := nameAndFlags(fs, "token add", args[1:])
	if err != nil {
		return err
	}
	if name == "" || *scope == "" {
		return usagef("token add: give a token name and --scope")
	}
	if err := access.ValidScope(*scope); err != nil {
		return usagef("token add: %v", err)
	}
	db, org, err := openOrg(ctx, env, *cfgPath, "token add")
	if err != nil {
		return err
	}
	defer db.Close()
	tok, err := db.CreateToken(ctx, org, name, *scope)
	if err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "token %s (%s): %s\n", name, *scope, tok)
	return nil
}
