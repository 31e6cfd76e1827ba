// Package app wires qunzhu together: it parses the command line, loads the
// configuration, opens the store and runs the pipeline, the platform
// adapters and the HTTP servers. cmd/qunzhu registers the platforms and
// calls Main.
package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/config"
)

// Version is set at build time with -ldflags "-X github.com/qunzhu/qunzhu/internal/app.Version=…".
var Version = "dev"

// Deps are what a platform factory may use to build its adapter.
type Deps struct {
	Logger   *slog.Logger
	Cursors  chat.Cursors
	DataDir  string
	Location *time.Location // the server's time zone ([server] timezone)
	// Book records what a platform says beyond chat events (the store).
	Book PlatformBook
}

// Factory builds the adapter of one configured connection.
type Factory func(c config.Connection, d Deps) (chat.Adapter, error)

// Env is the process's outside world, passed in so tests can run Main.
type Env struct {
	Args    []string // without the program name
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Environ []string
	// Platforms maps a platform name to its adapter factory. cmd/qunzhu
	// registers every platform explicitly.
	Platforms map[string]Factory
	// Check runs `qunzhu check` (the rules engine's CLI).
	Check func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
	// Now is the clock of the commands that read history (rules replay);
	// time.Now when nil.
	Now func() time.Time
}

func (e Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// ExitUsage is the exit code for bad usage.
const ExitUsage = 2

const usage = `qunzhu — run many chat groups from one place (群主)

Usage:
  qunzhu demo [--addr 127.0.0.1:8080] [--data ./demo-data]   run a demo community
  qunzhu serve [--config qunzhu.toml] [--migrate]             run the service
  qunzhu migrate [--config qunzhu.toml]                       bring the database schema up to date
  qunzhu check [--rules FILE | --group ID [--config FILE]] [--kind KIND] [--dict FILE]... [--json] [--count] [MESSAGE…]
                                                              check messages against the rules (--group:
                                                              as the running service does for that group)
  qunzhu rules replay (--group ID | --node ID) [--since 30d] [--rules FILE] [--json]
                                                              what the rules would have done to stored history
  qunzhu user add NAME --role ROLE [--node ID | --group ID]  create a console account (roles: manager;
                                                              secretary, assistant, viewer scoped to a node or group)
  qunzhu user list                                            list the console accounts
  qunzhu user passwd|disable|enable NAME                      set a new password (printed once) or disable or
                                                              enable an account; passwd and disable sign it out
  qunzhu token add NAME --scope SCOPE                         create an API token (admin, read, or
                                                              ops:editor,reviewer,… for the operations centre)
  qunzhu token list                                           list the API tokens (never their secrets)
  qunzhu token revoke NAME|ID                                 revoke an API token
  qunzhu import [--group ID | --connection NAME [--name NAME]] [--format F] [--tz ZONE]
                [--since T] [--until T] [--validate] FILE…  import chat exports (Telegram, WeChat, QQ)
  qunzhu backup [--force] FILE                                a consistent copy of the SQLite database,
                                                              taken while qunzhu serves
  qunzhu restore FILE                                         a backup into an empty data directory
  qunzhu db stats                                             the database's tables: rows and sizes
  qunzhu config init [--force] [FILE]                         write a commented default qunzhu.toml
  qunzhu config dump [--config qunzhu.toml]                   print the effective configuration
  qunzhu version                                              print the version

The configuration file can also be named by QUNZHU_CONFIG; any setting can be
overridden by QUNZHU_<SECTION>_<KEY> environment variables.
`

// usageError is bad usage: printed with the usage text, exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, env Env) int {
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	err := run(ctx, env)
	var ue usageError
	var ec exitCode
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ec):
		return int(ec) // the subcommand reported it already
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "qunzhu: %s\n\n%s", ue.msg, usage)
		return ExitUsage
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(env.Stdout, usage)
		return 0
	default:
		fmt.Fprintf(env.Stderr, "qunzhu: %v\n", err)
		return 1
	}
}

func run(ctx context.Context, env Env) error {
	if len(env.Args) == 0 {
		return usagef("no command given")
	}
	cmd, args := env.Args[0], env.Args[1:]
	switch cmd {
	case "serve":
		return cmdServe(ctx, env, args)
	case "demo":
		return cmdDemo(ctx, env, args)
	case "migrate":
		return cmdMigrate(ctx, env, args)
	case "config":
		return cmdConfig(env, args)
	case "user":
		return cmdUser(ctx, env, args)
	case "token":
		return cmdToken(ctx, env, args)
	case "import":
		return cmdImport(ctx, env, args)
	case "backup":
		return cmdBackup(ctx, env, args)
	case "restore":
		return cmdRestore(ctx, env, args)
	case "db":
		return cmdDB(ctx, env, args)
	case "rules":
		return cmdRules(ctx, env, args)
	case "check":
		if env.Check == nil {
			return errors.New("check: the rules engine is not built into this binary")
		}
		if code := env.Check(args, env.Stdin, env.Stdout, env.Stderr); code != 0 {
			return exitCode(code)
		}
		return nil
	case "version", "--version", "-version":
		fmt.Fprintln(env.Stdout, versionString())
		return nil
	case "help", "-h", "--help", "-help":
		fmt.Fprint(env.Stdout, usage)
		return nil
	}
	return usagef("unknown command %q%s", cmd, suggest(cmd, []string{"serve", "demo", "migrate", "check", "rules", "config", "user", "token", "import", "backup", "restore", "db", "version"}))
}

// exitCode is an error that carries a subcommand's own exit code, already
// reported.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit %d", int(e)) }

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return "qunzhu " + v
}

// suggest returns a "did you mean" hint for a mistyped word.
func suggest(word string, options []string) string {
	best, bestD := "", 3
	for _, o := range options {
		if d := distance(word, o); d < bestD {
			best, bestD = o, d
		}
	}
	if best == "" {
		return " (see qunzhu help)"
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			c := 1
			if ra[i-1] == rb[j-1] {
				c = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+c)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// newFlagSet returns a flag set that reports errors as usage errors with a
// hint, instead of printing and exiting.
func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, "--"+f.Name) })
		sort.Strings(names)
		msg := err.Error()
		if strings.HasPrefix(msg, "flag provided but not defined: ") {
			bad := strings.TrimPrefix(msg, "flag provided but not defined: ")
			return usagef("%s: unknown flag %s%s", fs.Name(), bad, suggest("--"+strings.TrimLeft(bad, "-"), names))
		}
		return usagef("%s: %s (flags: %s)", fs.Name(), msg, strings.Join(names, ", "))
	}
	return nil
}

// configPath picks the configuration file: the --config flag, then
// QUNZHU_CONFIG, then ./qunzhu.toml if it exists, else none (defaults).
func configPath(flagValue string, environ []string) string {
	if flagValue != "" {
		return flagValue
	}
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "QUNZHU_CONFIG="); ok && v != "" {
			return v
		}
	}
	if _, err := os.Stat("qunzhu.toml"); err == nil {
		return "qunzhu.toml"
	}
	return ""
}

func loadConfig(flagValue string, environ []string) (*config.Config, error) {
	cfg, err := config.Load(configPath(flagValue, environ), environ)
	if err != nil {
		return nil, fmt.Errorf("configuration:\n%w", err)
	}
	return cfg, nil
}

func newLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
