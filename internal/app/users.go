package app

import (
	"context"
	"fmt"

	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/store"
)

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
	// Flags may come before or after the name.
	rest := args[1:]
	var name string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("user add: unexpected argument %q", fs.Arg(0))
	}
	if name == "" || *role == "" {
		return usagef("user add: give a user name and --role")
	}
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr, cfg.Log.Level, cfg.Log.Format)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	orgs, err := db.Orgs(ctx)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return fmt.Errorf("user add: no organisation yet: run qunzhu serve once first")
	}
	pw := randomPassword()
	hash, err := console.HashPassword(pw)
	if err != nil {
		return err
	}
	u := store.User{OrgID: orgs[0].ID, Username: name, PasswordHash: hash, Role: *role, ScopeNodeID: *node, ScopeGroupID: *group}
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
	rest := args[1:]
	var name string
	if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	if err := parseFlags(fs, rest); err != nil {
		return err
	}
	if name == "" && fs.NArg() == 1 {
		name = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return usagef("token add: unexpected argument %q", fs.Arg(0))
	}
	if name == "" || *scope == "" {
		return usagef("token add: give a token name and --scope")
	}
	if err := store.ValidScope(*scope); err != nil {
		return usagef("token add: %v", err)
	}
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, newLogger(env.Stderr, cfg.Log.Level, cfg.Log.Format))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	orgs, err := db.Orgs(ctx)
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return fmt.Errorf("token add: no organisation yet: run qunzhu serve once first")
	}
	tok, err := db.CreateToken(ctx, orgs[0].ID, name, *scope)
	if err != nil {
		return fmt.Errorf("token add: %w", err)
	}
	fmt.Fprintf(env.Stdout, "token %s (%s): %s\n", name, *scope, tok)
	return nil
}
