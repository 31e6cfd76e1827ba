// Command qunzhu runs chat-group operations from one place. See README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the zone database, for [server] timezone on hosts without one

	"github.com/qunzhu/qunzhu/internal/app"
	"github.com/qunzhu/qunzhu/internal/rules"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(app.Main(ctx, app.Env{
		Args:    os.Args[1:],
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Environ: os.Environ(),
		Check:   rules.CheckCommand{Group: app.CheckGroup, Cache: rules.UserCacheDir()}.Main,
		// Every platform is registered here, explicitly.
		Platforms: map[string]app.Factory{
			"webhook":  app.Webhook,
			"sim":      app.Sim,
			"matrix":   app.Matrix,
			"onebot":   app.OneBot,
			"telegram": app.Telegram,
			"wecom":    app.WeCom,
		},
	}))
}
