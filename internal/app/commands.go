package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/store"
)

func cmdServe(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("serve")
	cfgPath := fs.String("config", "", "configuration file (default: $QUNZHU_CONFIG, else ./qunzhu.toml if present)")
	migrate := fs.Bool("migrate", false, "apply pending database migrations before starting")
	addr := fs.String("addr", "", "listen address, overriding server.addr")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("serve: unexpected argument %q", fs.Arg(0))
	}
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Server.Addr = *addr
	}
	log := newLogger(env.Stderr, cfg.Log.Level, cfg.Log.Format)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		if !errors.Is(err, store.ErrSchemaOutOfDate) || !*migrate {
			return err
		}
		if _, err := db.Migrate(ctx); err != nil {
			return err
		}
	}
	cr, err := bootstrap(ctx, db, cfg.Data.Dir, community.Org{Name: "我的组织 My organisation", Slug: "default"})
	if err != nil {
		return err
	}
	s, err := newService(ctx, env, cfg, db, log, nil)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	announce(env, ln, cr)
	return s.run(ctx, ln)
}

// announce prints where the service listens and where the first
// credentials are: the files' paths, never the secrets, which would end
// up in journald or docker logs at every start.
func announce(env Env, ln net.Listener, cr Credentials) {
	url := "http://" + ln.Addr().String()
	fmt.Fprintf(env.Stdout, "qunzhu is listening on %s\n", url)
	fmt.Fprintf(env.Stdout, "  console 控制台: %s/  login 登录: %s (first password 初始密码: %s)\n", url, cr.Username, cr.PasswordPath)
	fmt.Fprintf(env.Stdout, "  API token (organisation admin): %s\n", cr.TokenPath)
}

func cmdMigrate(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("migrate")
	cfgPath := fs.String("config", "", "configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("migrate: unexpected argument %q", fs.Arg(0))
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
	if cur, latest, err := db.SchemaStatus(ctx); err != nil {
		return err
	} else if cur > latest {
		// A database restored from a newer qunzhu: this binary would not
		// understand it.
		return fmt.Errorf("the database's schema is at version %d, newer than this binary knows (%d): upgrade qunzhu", cur, latest)
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	cur, _, err := db.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "applied %d migration(s); schema is at version %d (%s)\n", n, cur, db.Dialect())
	return nil
}

func cmdConfig(env Env, args []string) error {
	if len(args) == 0 {
		return usagef("config: want a subcommand: init or dump")
	}
	switch args[0] {
	case "init":
		fs := newFlagSet("config init")
		force := fs.Bool("force", false, "overwrite an existing file")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		path := "qunzhu.toml"
		switch fs.NArg() {
		case 0:
		case 1:
			path = fs.Arg(0)
		default:
			return usagef("config init: want at most one file name")
		}
		if path == "-" {
			return config.WriteDefault(env.Stdout)
		}
		flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
		if *force {
			flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		}
		f, err := os.OpenFile(path, flags, 0o600)
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("config init: %s exists (use --force to overwrite)", path)
		}
		if err != nil {
			return fmt.Errorf("config init: %w", err)
		}
		if err := config.WriteDefault(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return fmt.Errorf("config init: %w", err)
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", path)
		return nil
	case "dump":
		fs := newFlagSet("config dump")
		cfgPath := fs.String("config", "", "configuration file")
		if err := parseFlags(fs, args[1:]); err != nil {
			return err
		}
		cfg, err := loadConfig(*cfgPath, env.Environ)
		if err != nil {
			return err
		}
		return cfg.Dump(env.Stdout)
	}
	return usagef("config: unknown subcommand %q%s", args[0], suggest(args[0], []string{"init", "dump"}))
}
