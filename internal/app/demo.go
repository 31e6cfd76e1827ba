package app

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/chat/sim"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/demo"
)

func cmdDemo(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("demo")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address")
	data := fs.String("data", "./demo-data", "data directory (created on first run, reused after)")
	rate := fs.Float64("rate", 2, "simulated events per second at an average hour")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("demo: unexpected argument %q", fs.Arg(0))
	}
	if *rate <= 0 || *rate > 10000 {
		return usagef("demo: --rate wants a number of events per second from 0 to 10000")
	}
	cfg := config.Default()
	cfg.Server.Addr = *addr
	cfg.Data.Dir = *data
	tok, err := tokenFile(filepath.Join(*data, "bridge.token"))
	if err != nil {
		return err
	}
	cfg.Connections = []config.Connection{{Name: "bridge", Platform: "webhook", Token: tok}}
	// A rules directory, so the console can edit the demo's rules.
	cfg.Rules.Dir = filepath.Join(*data, "rules")
	if err := os.MkdirAll(cfg.Rules.Dir, 0o755); err != nil {
		return fmt.Errorf("create the rules directory: %w", err)
	}
	if err := demo.WriteBotRules(cfg.Rules.Dir); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo configuration: %w", err)
	}
	log := newLogger(env.Stderr, "warn", "text")
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	cr, err := bootstrap(ctx, db, cfg.Data.Dir, community.Org{Name: "大别山网商学院（演示 demo）", Slug: "demo"})
	if err != nil {
		return err
	}
	s := sim.New("sim", sim.DemoScenario(), sim.Options{Rate: *rate, Logger: log.With("connection", "sim"), Location: cfg.Location()})
	svc, err := newService(ctx, env, cfg, db, log, []chat.Adapter{s})
	if err != nil {
		return err
	}
	marker := filepath.Join(cfg.Data.Dir, "demo.seeded")
	if _, err := os.Stat(marker); err != nil && !cr.Created {
		return fmt.Errorf("the demo data in %s is incomplete (an earlier first run was interrupted): delete the directory and run again", cfg.Data.Dir)
	}
	if cr.Created {
		fmt.Fprintf(env.Stdout, "creating the demo community in %s …\n", cfg.Data.Dir)
		seedCtx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { svc.in.Run(seedCtx); close(done) }()
		err := demo.Seed(ctx, db, svc.in, s, cr.Org, time.Now(), env.Stdout)
		if err == nil {
			err = demo.SeedImports(ctx, db, svc.imports, cr.Org, time.Now(), cfg.Location(), env.Stdout)
		}
		cancel()
		<-done
		if err != nil {
			return fmt.Errorf("create demo community: %w", err)
		}
		if err := os.WriteFile(marker, []byte(time.Now().Format(time.RFC3339)+"\n"), 0o600); err != nil {
			return fmt.Errorf("mark demo data complete: %w", err)
		}
	}
	ln, err := net.Listen("tcp", cfg.Server.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Server.Addr, err)
	}
	announce(env, ln, cr)
	fmt.Fprintf(env.Stdout, "  bridge token (POST /api/v1/events): %s\n", filepath.Join(cfg.Data.Dir, "bridge.token"))
	fmt.Fprintln(env.Stdout, "simulated members are chatting; press Ctrl-C to stop. 模拟成员正在聊天，按 Ctrl-C 停止。")
	return svc.run(ctx, ln)
}
