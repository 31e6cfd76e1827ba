package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/imports"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/store"
)

// cmdImport imports chat exports (docs/import.md): `qunzhu import
// [--group ID | --connection NAME] [--name NAME] [--format F] [--tz ZONE]
// [--since T] [--until T] [--validate] FILE…`. Every file is validated
// before any is imported: one malformed file imports nothing.
func cmdImport(ctx context.Context, env Env, args []string) error {
	fs := newFlagSet("import")
	cfgPath := fs.String("config", "", "configuration file")
	groupID := fs.Int64("group", 0, "import into this group (its id in the console): an export of one group")
	conn := fs.String("connection", "", "import into the groups of this connection the export names (new ones are created)")
	name := fs.String("name", "", "with --connection: the name of the new group for an export that names none (WeChat text and CSV)")
	format := fs.String("format", "", "the export's format: "+formatNames()+" (default: detected)")
	tz := fs.String("tz", "", "time zone of times the export writes without one (default: [server] timezone)")
	since := fs.String("since", "", "import only events at or after this time (2024-01-02, 2024-01-02 15:04 or RFC 3339)")
	until := fs.String("until", "", "import only events before this time")
	validate := fs.Bool("validate", false, "only read the files and say what they hold; store nothing")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("import: name the export file(s) to import")
	}
	if *groupID != 0 && *conn != "" {
		return usagef("import: give --group or --connection, not both")
	}
	if !*validate && *groupID == 0 && *conn == "" {
		return usagef("import: give --group ID (a group qunzhu knows) or --connection NAME (the export's groups, created when new)")
	}
	if *name != "" && *groupID != 0 {
		return usagef("import: --name names a new group: use it with --connection, not --group")
	}
	if *format != "" && !importer.Format(*format).Valid() {
		return usagef("import: --format %q: want %s", *format, formatNames())
	}
	cfg, err := loadConfig(*cfgPath, env.Environ)
	if err != nil {
		return err
	}
	loc := cfg.Location()
	if *tz != "" {
		if loc, err = time.LoadLocation(*tz); err != nil {
			return usagef("import: --tz %q: want an IANA time zone like Asia/Shanghai", *tz)
		}
	}
	plan := imports.Plan{Zone: loc.String(), GroupName: strings.TrimSpace(*name)}
	for _, f := range []struct {
		flag, value string
		into        *time.Time
	}{{"since", *since, &plan.Since}, {"until", *until, &plan.Until}} {
		if f.value == "" {
			continue
		}
		if *f.into, err = parseTime(f.value, loc); err != nil {
			return usagef("import: --%s %q: want 2024-01-02, 2024-01-02 15:04 or an RFC 3339 time", f.flag, f.value)
		}
	}
	if !plan.Since.IsZero() && !plan.Until.IsZero() && !plan.Since.Before(plan.Until) {
		return usagef("import: --since must be before --until")
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil {
			return fmt.Errorf("import %s: %w", f, errors.Unwrap(err))
		} else if !st.Mode().IsRegular() {
			return fmt.Errorf("import %s: not a file", f)
		}
	}
	bar := newProgressBar(env.Stderr)
	if *validate {
		return validateFiles(ctx, env, files, importer.Options{Connection: cmpOr(*conn, "validate"), Format: importer.Format(*format), Location: loc,
			GroupName: plan.GroupName, Since: plan.Since, Until: plan.Until}, bar)
	}

	log := newLogger(env.Stderr, "warn", cfg.Log.Format)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.CheckSchema(ctx); err != nil {
		return err
	}
	cr, err := bootstrap(ctx, db, cfg.Data.Dir, community.Org{Name: "我的组织 My organisation", Slug: "default"})
	if err != nil {
		return err
	}
	org := cr.Org.ID
	conns, err := importConnections(ctx, db, org, cfg)
	if err != nil {
		return err
	}
	if *groupID != 0 {
		g, err := db.Group(ctx, org, *groupID)
		if err != nil {
			return fmt.Errorf("import: --group %d: %w", *groupID, err)
		}
		*conn, plan.Group = g.Connection, g.ExternalID
	}
	// Validate every file before anything is stored (without the group
	// to import into, which the importer refuses for an export of several
	// groups before planFits can say so in the command's words).
	opt := importer.Options{Connection: *conn, Format: importer.Format(*format), Location: loc, GroupName: plan.GroupName, Since: plan.Since, Until: plan.Until}
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: db, Logger: log, BatchSize: cfg.Pipeline.BatchSize,
		OrgFor: func(string) int64 { return org }, Location: loc})
	svc := &imports.Service{Store: db, Ingest: in, Location: cfg.Location(), Connections: imports.Fixed(conns...), Holder: "cli:" + instanceID(), Logger: log}
	sums := make([]importer.Summary, len(files))
	for i, f := range files {
		if sums[i], err = validateFile(ctx, f, opt, bar); err != nil {
			return fmt.Errorf("import %s: %w", f, err)
		}
		if err := planFits(sums[i], plan); err != nil {
			return fmt.Errorf("import %s: %w", f, err)
		}
		if err := svc.Fits(sums[i].Format, *conn); err != nil {
			return fmt.Errorf("import %s: %w", f, err)
		}
	}

	inCtx, stopIngest := context.WithCancel(context.WithoutCancel(ctx))
	ingestDone := make(chan struct{})
	go func() { in.Run(inCtx); close(ingestDone) }()
	defer func() { stopIngest(); <-ingestDone }()
	by := "cli"
	if u := os.Getenv("USER"); u != "" {
		by = "cli:" + u
	}
	for i, f := range files {
		began := time.Now()
		job, err := svc.ImportFile(ctx, org, by, f, imports.Upload{Connection: *conn, Format: sums[i].Format, Zone: plan.Zone}, plan, &sums[i], func(j imports.Job) {
			switch j.Phase {
			case "import":
				bar.show(j.Phase, filepath.Base(f), j.Bytes, j.Size, j.Events, j.Accepted, true)
			case "rollup":
				bar.show("import", filepath.Base(f), j.Size, j.Size, j.Events, j.Accepted, true)
				bar.note("rollup", "recomputing the statistics of the imported days…")
			}
		})
		bar.done()
		if err != nil {
			if job.ID != 0 {
				return fmt.Errorf("import %s: %w (import %d; run the command again to finish it: nothing is stored twice)", f, err, job.ID)
			}
			return fmt.Errorf("import %s: %w", f, err)
		}
		printJob(env.Stdout, f, job, time.Since(began), loc)
	}
	if props, err := db.MergeProposals(ctx, org, 1000); err == nil && len(props) > 0 {
		fmt.Fprintf(env.Stdout, "%d member(s) imported by name may be people qunzhu knows: review the merge proposals in the console (导入 → 合并建议).\n", len(props))
	}
	return nil
}

// parseInterspersed parses flags that may come before, between or after
// the file arguments, and returns the files.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var files []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return files, nil
		}
		if args[0] == "--" {
			return append(files, args[1:]...), nil
		}
		files, args = append(files, args[0]), args[1:]
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func formatNames() string {
	var s []string
	for _, f := range importer.Formats {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// parseTime reads a day, a day and a time, or an RFC 3339 time.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

// importConnections lists the connections an import may name: the
// configured ones, and those of groups qunzhu already has (a connection
// since removed from the configuration keeps its groups).
func importConnections(ctx context.Context, db *store.DB, org int64, cfg *config.Config) ([]imports.Connection, error) {
	seen := map[string]bool{}
	var out []imports.Connection
	for _, c := range cfg.Connections {
		if !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, imports.Connection{Name: c.Name, Platform: c.Platform})
		}
	}
	groups, err := db.Groups(ctx, org)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		if !seen[g.Connection] {
			seen[g.Connection] = true
			out = append(out, imports.Connection{Name: g.Connection, Platform: g.Platform})
		}
	}
	return out, nil
}

// planFits refuses a file the command line cannot import as asked: several
// groups into one (--group), or a group the export does not name without
// --name.
func planFits(sum importer.Summary, p imports.Plan) error {
	var importable []string
	unnamed := false
	for _, g := range sum.Groups {
		if g.Skipped != "" {
			continue
		}
		importable = append(importable, cmpOr(g.Name, g.Key))
		unnamed = unnamed || g.ID == ""
	}
	switch {
	case len(importable) == 0:
		return errors.New("the export holds no group that can be imported")
	case p.Group != "" && len(importable) > 1:
		return fmt.Errorf("the export holds %d groups (%s): import it with --connection, each into a group of its own", len(importable), strings.Join(importable, ", "))
	case unnamed && p.Group == "" && p.GroupName == "":
		return errors.New("the export does not name its group: give --group ID (a group qunzhu knows) or --connection with --name NAME (a new group)")
	}
	return nil
}

// validateFiles is `qunzhu import --validate`: each file read whole, its
// summary printed; the exit code says whether all are good.
func validateFiles(ctx context.Context, env Env, files []string, opt importer.Options, bar *progressBar) error {
	bad := 0
	for _, f := range files {
		sum, err := validateFile(ctx, f, opt, bar)
		if err != nil {
			fmt.Fprintf(env.Stderr, "qunzhu: import %s: %v\n", f, err)
			bad++
			continue
		}
		printSummary(env.Stdout, f, sum, opt.Location)
	}
	if bad > 0 {
		return exitCode(1)
	}
	return nil
}

func validateFile(ctx context.Context, path string, opt importer.Options, bar *progressBar) (importer.Summary, error) {
	export, err := importer.OpenFile(path)
	if err != nil {
		return importer.Summary{}, err
	}
	f, err := export.Open()
	if err != nil {
		return importer.Summary{}, err
	}
	defer f.Close()
	opt.Size = export.Size
	opt.Progress = func(p importer.Progress) {
		bar.show("validate", filepath.Base(path), p.Bytes, p.Total, p.Events, 0, false)
	}
	sum, err := importer.Validate(ctx, f, opt)
	bar.done()
	return sum, err
}

func printSummary(w io.Writer, path string, sum importer.Summary, loc *time.Location) {
	fmt.Fprintf(w, "%s (%s): %s events, %s messages\n", path, sum.Format, thousands(int64(sum.Events)), thousands(int64(sum.ByType["message"])))
	for _, g := range sum.Groups {
		if g.Skipped != "" {
			fmt.Fprintf(w, "  %s — not imported: %s\n", cmpOr(g.Name, g.Key), g.Skipped)
			continue
		}
		fmt.Fprintf(w, "  %s  key %q  %s messages, %d members, %s – %s\n", cmpOr(g.Name, "(unnamed)"), g.Key, thousands(int64(g.Messages)), g.Members,
			day(g.First, loc), day(g.Last, loc))
	}
	if sum.IdentitiesTotal > 0 {
		fmt.Fprintf(w, "  %d member(s) without a platform id (imported by name)\n", sum.IdentitiesTotal)
	}
	printSkipped(w, sum.Skipped)
}

func printJob(w io.Writer, path string, j imports.Job, took time.Duration, loc *time.Location) {
	rate := float64(j.Events) / max(took.Seconds(), 0.001)
	fmt.Fprintf(w, "%s (%s): %s events in %s (%s events/s), import %d\n", path, j.Format, thousands(int64(j.Events)), took.Round(time.Millisecond), thousands(int64(rate)), j.ID)
	for _, g := range j.Result.Groups {
		state := "known"
		if g.Created {
			state = "new"
		}
		fmt.Fprintf(w, "  %s → group %d (%s, %s)  %s messages, %s – %s\n", g.Name, g.GroupID, g.ExternalID, state, thousands(int64(g.Messages)), day(g.First, loc), day(g.Last, loc))
	}
	fmt.Fprintf(w, "  stored %s new, %s already there", thousands(int64(j.Accepted)), thousands(int64(j.Duplicates)))
	if j.Result.Identities > 0 {
		fmt.Fprintf(w, "; %d member(s) by name", j.Result.Identities)
	}
	fmt.Fprintln(w)
	if j.Result.Days > 0 {
		fmt.Fprintf(w, "  statistics recomputed: %d days from %s\n", j.Result.Days, day(j.Result.From, loc))
	}
	printSkipped(w, j.Result.Skipped)
}

func printSkipped(w io.Writer, skipped map[string]int) {
	if len(skipped) == 0 {
		return
	}
	keys := make([]string, 0, len(skipped))
	for k := range skipped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %s", thousands(int64(skipped[k])), k)
	}
	fmt.Fprintf(w, "  skipped: %s\n", strings.Join(parts, ", "))
}

func day(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format("2006-01-02")
}

// thousands writes n with thousands separators.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// progressBar shows a pass's progress on stderr: redrawn in place on a
// terminal, a line at every quarter otherwise.
type progressBar struct {
	w       io.Writer
	tty     bool
	phase   string
	last    time.Time
	quarter int
	drawn   bool
}

func newProgressBar(w io.Writer) *progressBar {
	return &progressBar{w: w, quarter: -1, tty: isTerminal(w)}
}

// isTerminal reports whether w is a terminal, where progress redraws
// itself in place.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (b *progressBar) show(phase, file string, bytes, total int64, events, accepted int, counted bool) {
	if phase != b.phase {
		b.done()
		b.phase = phase
	}
	pct := 0
	if total > 0 {
		pct = int(min(100, bytes*100/total))
	}
	line := fmt.Sprintf("%-8s %s  %3d%%  %s events", phase, file, pct, thousands(int64(events)))
	if counted {
		line += fmt.Sprintf(" (%s new)", thousands(int64(accepted)))
	}
	if b.tty {
		if time.Since(b.last) < 100*time.Millisecond && pct < 100 {
			return
		}
		b.last = time.Now()
		const width = 24
		fill := pct * width / 100
		fmt.Fprintf(b.w, "\r%-8s [%s%s] %s\033[K", phase, strings.Repeat("#", fill), strings.Repeat("-", width-fill), strings.TrimPrefix(line, fmt.Sprintf("%-8s ", phase)))
		b.drawn = true
		return
	}
	if q := pct / 25; q != b.quarter {
		b.quarter = q
		fmt.Fprintln(b.w, line)
	}
}

// note shows a phase without a measure of progress, once.
func (b *progressBar) note(phase, text string) {
	if phase == b.phase {
		return
	}
	b.done()
	b.phase = phase
	fmt.Fprintf(b.w, "%-8s %s", phase, text)
	if b.tty {
		b.drawn = true
	} else {
		fmt.Fprintln(b.w)
	}
}

// done ends a pass's line.
func (b *progressBar) done() {
	if b.tty && b.drawn {
		fmt.Fprintln(b.w)
	}
	b.drawn, b.quarter, b.phase = false, -1, ""
}
