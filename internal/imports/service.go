package imports

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/analytics"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/importer"
	"github.com/qunzhu/qunzhu/internal/pipeline"
)

// Store is what imports need of the database. *store.DB implements it.
type Store interface {
	CreateImportJob(ctx context.Context, j *Job) error
	// SaveImportJob writes a job's progress, plan, result and status.
	SaveImportJob(ctx context.Context, j *Job) error
	// ClaimImportJob moves a job to status to (queued or running) for
	// holder when it may be started: it is uploaded, failed, queued by
	// holder, or queued or running with a heartbeat older than stale.
	// Another state is a Conflict.
	ClaimImportJob(ctx context.Context, orgID, id int64, to Status, holder string, now, stale time.Time) (Job, error)
	// TouchImportJobs beats the heartbeat of holder's queued and running
	// jobs.
	TouchImportJobs(ctx context.Context, holder string, now time.Time) error
	ImportJob(ctx context.Context, orgID, id int64) (Job, error)
	ImportJobs(ctx context.Context, orgID int64, limit int) ([]Job, error)
	DeleteImportJob(ctx context.Context, orgID, id int64) error
	// StaleUploads lists jobs that keep an upload and have not moved
	// since before.
	StaleUploads(ctx context.Context, before time.Time) ([]Job, error)
	// GroupByExternalID finds a group of the organisation by its
	// connection and platform id.
	GroupByExternalID(ctx context.Context, orgID int64, connection, externalID string) (community.Group, bool, error)
	// BackdateGroup moves a group's creation back to at, when at is
	// earlier: the rollups count a group's days from its creation.
	BackdateGroup(ctx context.Context, groupID int64, at time.Time) error
	UpdateGroup(ctx context.Context, orgID, id int64, p community.GroupPatch, actor string) (community.Group, error)
	// RollupFrom recomputes the rollups of the groups from day from to
	// today, raising no alerts about days before yesterday.
	RollupFrom(ctx context.Context, orgID int64, groups []int64, from analytics.Day, now time.Time, loc *time.Location) (int, error)

	MergeProposals(ctx context.Context, orgID int64, limit int) ([]community.MergeProposal, error)
	AcceptMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error
	DismissMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error
}

// Ingester stores history: pipeline.Ingester.
type Ingester interface {
	IngestHistory(ctx context.Context, events []chat.Event) (pipeline.Result, error)
}

// Service runs imports.
type Service struct {
	Store  Store
	Ingest Ingester
	// Dir keeps uploaded files until their import is done.
	Dir string
	// Location is the server's time zone: the days of the rollups, and
	// the default zone of exports that write times without one.
	Location *time.Location
	// Connections lists the configured connections an upload may name,
	// as they are now: the server's change while it runs (connections
	// added or removed from the console); Fixed gives a list that does
	// not. Nil: none.
	Connections func() []Connection
	// Holder names this process in the jobs it runs.
	Holder string
	// MaxUpload caps an uploaded file (bytes); 0: no cap.
	MaxUpload int64
	Logger    *slog.Logger
	Now       func() time.Time
	// Forget, when set, drops the ingester's cached lookups (after a
	// merge of people).
	Forget func()

	once  sync.Once
	queue chan queued
}

// queued is a job handed to Serve.
type queued struct{ org, id int64 }

func (s *Service) init() {
	s.once.Do(func() {
		if s.Logger == nil {
			s.Logger = slog.New(slog.DiscardHandler)
		}
		if s.Now == nil {
			s.Now = time.Now
		}
		if s.Location == nil {
			s.Location = time.UTC
		}
		if s.Holder == "" {
			host, _ := os.Hostname()
			s.Holder = fmt.Sprintf("%s-%d", host, os.Getpid())
		}
		s.queue = make(chan queued, 64)
	})
}

// Upload describes a file handed to Upload.
type Upload struct {
	FileName   string
	Connection string
	Format     importer.Format // "": detect
	Zone       string          // "": the server's
}

// Options are the importer's options for a job.
func (s *Service) options(j *Job) (importer.Options, error) {
	loc, err := s.zone(j.Plan.Zone)
	if err != nil {
		return importer.Options{}, err
	}
	return importer.Options{Format: j.Format, Connection: j.Connection, Platform: j.Plan.Platform, Location: loc,
		Group: j.Plan.Group, GroupName: j.Plan.GroupName, Groups: j.Plan.Groups, Since: j.Plan.Since, Until: j.Plan.Until, Size: j.Size}, nil
}

func (s *Service) zone(name string) (*time.Location, error) {
	if name == "" {
		return s.Location, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errkind.Errorf(errkind.Invalid, "time zone %q: want an IANA zone like Asia/Shanghai", name)
	}
	return loc, nil
}

// connection returns the configured connection named name.
func (s *Service) connection(name string) (Connection, error) {
	var names []string
	for _, c := range s.ConnectionList() {
		if c.Name == name {
			return c, nil
		}
		names = append(names, c.Name)
	}
	if len(names) == 0 {
		return Connection{}, errkind.New(errkind.Invalid, "no platform connection is configured: add one to import its history into")
	}
	return Connection{}, errkind.Errorf(errkind.Invalid, "connection %q is not configured (configured: %s)", name, strings.Join(names, ", "))
}

// platforms are the platforms whose live traffic each format's groups
// arrive on: an export goes into a connection of one of them, so that its
// members' ids are the ids that connection's members have. The simulator
// (the demo) takes any.
var platforms = map[importer.Format][]string{
	importer.FormatTelegram:   {"telegram"},
	importer.FormatMatrix:     {"matrix"},
	importer.FormatQQText:     {"onebot", "webhook"},
	importer.FormatQQJSON:     {"onebot", "webhook"},
	importer.FormatWeChatCSV:  {"webhook", "wecom"},
	importer.FormatWeChatText: {"webhook", "wecom"},
}

// WrongPlatform is the refusal of an export for a connection of another
// platform (kind Invalid).
type WrongPlatform struct {
	Format     importer.Format
	Connection Connection
	Want       []string // the platforms the export's groups live on
}

func (e *WrongPlatform) Error() string {
	return fmt.Sprintf("a %s export goes into a connection of %s, and %s is %s: its members' ids would not be that connection's",
		e.Format, strings.Join(e.Want, " or "), e.Connection.Name, e.Connection.Platform)
}

// fits refuses an export for a connection of another platform.
func fits(f importer.Format, c Connection) error {
	if f == "" || c.Platform == "sim" || slices.Contains(platforms[f], c.Platform) {
		return nil
	}
	e := &WrongPlatform{Format: f, Connection: c, Want: platforms[f]}
	return &errkind.Error{Kind: errkind.Invalid, Message: e.Error(), Err: e}
}

// Fits refuses an export of format f for the named connection: unknown,
// or of a platform the export's groups do not live on.
func (s *Service) Fits(f importer.Format, connection string) error {
	c, err := s.connection(connection)
	if err != nil {
		return err
	}
	return fits(f, c)
}

// Upload keeps an uploaded export, validates it whole and records it as
// an uploaded job with what it holds, ready for the operator to choose
// where its groups go. A malformed file is refused (kind Invalid, naming
// the line or JSON path) and not kept.
func (s *Service) Upload(ctx context.Context, orgID int64, by string, u Upload, r io.Reader) (Job, error) {
	s.init()
	c, err := s.connection(u.Connection)
	if err != nil {
		return Job{}, err
	}
	if u.Format != "" && !u.Format.Valid() {
		return Job{}, errkind.Errorf(errkind.Invalid, "format %q: unknown", u.Format)
	}
	if _, err := s.zone(u.Zone); err != nil {
		return Job{}, err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return Job{}, fmt.Errorf("create the import directory: %w", err)
	}
	f, err := os.CreateTemp(s.Dir, "upload-*.export")
	if err != nil {
		return Job{}, fmt.Errorf("keep the upload: %w", err)
	}
	path := f.Name()
	keep := false
	defer func() {
		if !keep {
			os.Remove(path)
		}
	}()
	src := r
	if s.MaxUpload > 0 {
		src = io.LimitReader(r, s.MaxUpload+1)
	}
	n, err := io.Copy(f, src)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return Job{}, fmt.Errorf("keep the upload: %w", err)
	case s.MaxUpload > 0 && n > s.MaxUpload:
		return Job{}, errkind.Errorf(errkind.Invalid, "the file is larger than %d MB", s.MaxUpload>>20)
	case n == 0:
		return Job{}, importer.ErrEmpty
	}
	export, err := s.export(path)
	if err != nil {
		return Job{}, err
	}
	j := Job{OrgID: orgID, CreatedBy: by, Connection: c.Name, Format: u.Format, FileName: filepath.Base(u.FileName), Upload: path, Size: export.Size,
		Plan: Plan{Platform: c.Platform, Zone: u.Zone}, Status: Uploaded}
	opt, err := s.options(&j)
	if err != nil {
		return Job{}, err
	}
	rf, err := export.Open()
	if err != nil {
		return Job{}, fmt.Errorf("read the upload: %w", err)
	}
	sum, err := importer.Validate(ctx, rf, opt)
	rf.Close()
	if err != nil {
		return Job{}, err
	}
	if err := fits(sum.Format, c); err != nil {
		return Job{}, err
	}
	j.Format, j.Summary = sum.Format, trim(sum)
	j.CreatedAt, j.HeartbeatAt = s.Now(), s.Now()
	if err := s.Store.CreateImportJob(ctx, &j); err != nil {
		return Job{}, err
	}
	keep = true
	return j, nil
}

// export finds the export in a file: the file, or the export inside a ZIP
// archive (importer.OpenFile), which may unzip to at most 20 times the
// largest upload.
func (s *Service) export(path string) (importer.File, error) {
	f, err := importer.OpenFile(path)
	if err != nil {
		if errkind.Of(err) == errkind.Invalid {
			return importer.File{}, err
		}
		return importer.File{}, fmt.Errorf("read the upload: %w", err)
	}
	if limit := 20 * s.MaxUpload; f.Entry != "" && s.MaxUpload > 0 && f.Size > limit {
		return importer.File{}, errkind.Errorf(errkind.Invalid, "%s: unzipped, larger than %d MB", f.Entry, limit>>20)
	}
	return f, nil
}

// trim keeps the first identities of a summary, for the job's record.
func trim(sum importer.Summary) importer.Summary {
	if len(sum.Identities) > summaryIdentities {
		sum.Identities = slices.Clone(sum.Identities[:summaryIdentities])
	}
	sum.Directory = nil
	return sum
}

// Job returns a job as of now.
func (s *Service) Job(ctx context.Context, orgID, id int64) (Job, error) {
	s.init()
	j, err := s.Store.ImportJob(ctx, orgID, id)
	j.Status = j.State(s.Now())
	return j, err
}

// Jobs returns the latest jobs, newest first, as of now.
func (s *Service) Jobs(ctx context.Context, orgID int64, limit int) ([]Job, error) {
	s.init()
	js, err := s.Store.ImportJobs(ctx, orgID, limit)
	now := s.Now()
	for i := range js {
		js[i].Status = js[i].State(now)
	}
	return js, err
}

// CheckPlan refuses a plan that does not fit the job's export: group keys
// it does not hold, targets that are not groups of the connection, an
// export that names no group without one chosen, nothing chosen.
func (s *Service) CheckPlan(ctx context.Context, j Job, p Plan) error {
	keys := map[string]bool{}
	unnamed := false
	importable := 0
	for _, g := range j.Summary.Groups {
		if g.Skipped != "" {
			continue
		}
		importable++
		if g.Key == "" && g.ID == "" {
			unnamed = true
			continue
		}
		keys[g.Key] = true
	}
	if importable == 0 {
		return errkind.New(errkind.Invalid, "the export holds no group that can be imported")
	}
	if unnamed {
		if p.Group == "" && strings.TrimSpace(p.GroupName) == "" {
			return errkind.New(errkind.Invalid, "the export does not name its group: choose the group to import into or name a new one")
		}
		if p.Groups != nil {
			return errkind.New(errkind.Invalid, "the export holds one unnamed group: choose one target, not a mapping")
		}
	} else if p.Group != "" && importable > 1 {
		return errkind.Errorf(errkind.Invalid, "the export holds %d groups: map each of them", importable)
	}
	if p.Groups != nil && len(p.Groups) == 0 {
		return errkind.New(errkind.Invalid, "no group chosen: choose at least one group of the export to import")
	}
	targets := map[string]string{}
	for k, to := range p.Groups {
		if !keys[k] {
			return errkind.Errorf(errkind.Invalid, "the export has no group %q", k)
		}
		if to == "" {
			continue
		}
		if other, dup := targets[to]; dup {
			return errkind.Errorf(errkind.Invalid, "groups %q and %q of the export both go into the same group: choose one", other, k)
		}
		targets[to] = k
	}
	for _, to := range append(slices.Sorted(maps.Keys(targets)), p.Group) {
		if to == "" {
			continue
		}
		if _, ok, err := s.Store.GroupByExternalID(ctx, j.OrgID, j.Connection, to); err != nil {
			return err
		} else if !ok {
			return errkind.Errorf(errkind.Invalid, "no group %q on connection %s", to, j.Connection)
		}
	}
	if !p.Since.IsZero() && !p.Until.IsZero() && !p.Since.Before(p.Until) {
		return errkind.New(errkind.Invalid, "since must be before until")
	}
	return nil
}

// Start queues an uploaded (or failed, or interrupted) job with the
// operator's plan; Serve runs it.
func (s *Service) Start(ctx context.Context, orgID, id int64, p Plan) error {
	s.init()
	j, err := s.Job(ctx, orgID, id)
	if err != nil {
		return err
	}
	switch j.Status {
	case Uploaded, Failed, Interrupted:
	default:
		return errkind.Errorf(errkind.Conflict, "import %d is %s", id, j.Status)
	}
	if j.Upload == "" {
		return errkind.Errorf(errkind.Conflict, "import %d has no file any more: upload it again", id)
	}
	if _, err := os.Stat(j.Upload); err != nil {
		return errkind.Errorf(errkind.Conflict, "the file of import %d is not on this server (%v): upload it again", id, err)
	}
	p.Platform, p.Zone = j.Plan.Platform, j.Plan.Zone
	if err := s.CheckPlan(ctx, j, p); err != nil {
		return err
	}
	now := s.Now()
	if j, err = s.Store.ClaimImportJob(ctx, orgID, id, Queued, s.Holder, now, now.Add(-StaleAfter)); err != nil {
		return err
	}
	j.Plan, j.Error = p, ""
	if err := s.Store.SaveImportJob(ctx, &j); err != nil {
		return err
	}
	select {
	case s.queue <- queued{orgID, id}:
		return nil
	default:
		return errkind.New(errkind.Unavailable, "too many imports are waiting: try again when one is done")
	}
}

// Retry queues a failed or interrupted job again with its plan. Its events
// have deterministic ids: what the first run stored is not stored twice.
func (s *Service) Retry(ctx context.Context, orgID, id int64) error {
	j, err := s.Job(ctx, orgID, id)
	if err != nil {
		return err
	}
	if j.Status != Failed && j.Status != Interrupted {
		return errkind.Errorf(errkind.Conflict, "import %d is %s: only a failed or interrupted import runs again", id, j.Status)
	}
	return s.Start(ctx, orgID, id, j.Plan)
}

// Discard drops an uploaded job and its file, or the file of a failed or
// interrupted one (which then cannot run again).
func (s *Service) Discard(ctx context.Context, orgID, id int64) error {
	j, err := s.Job(ctx, orgID, id)
	if err != nil {
		return err
	}
	switch j.Status {
	case Uploaded:
		if err := s.Store.DeleteImportJob(ctx, orgID, id); err != nil {
			return err
		}
	case Failed, Interrupted:
		j.Upload = ""
		if err := s.Store.SaveImportJob(ctx, &j); err != nil {
			return err
		}
	default:
		return errkind.Errorf(errkind.Conflict, "import %d is %s", id, j.Status)
	}
	s.removeUpload(j.Upload)
	return nil
}

// removeUpload deletes an upload kept in Dir (never another file).
func (s *Service) removeUpload(path string) {
	if path == "" || filepath.Dir(path) != filepath.Clean(s.Dir) {
		return
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.Logger.Warn("remove an import's upload", "path", path, "err", err)
	}
}

// ExpireUploads removes the uploads of jobs that have not moved since
// before — never started, failed or interrupted — and returns how many.
// Such a job stays listed; it cannot run again.
func (s *Service) ExpireUploads(ctx context.Context, before time.Time) (int, error) {
	s.init()
	js, err := s.Store.StaleUploads(ctx, before)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, j := range js {
		path := j.Upload
		j.Upload = ""
		if j.Status == Uploaded {
			j.Status, j.Error = Failed, "the upload expired before it was imported"
		}
		if j.State(s.Now()) == Interrupted {
			j.Status = Interrupted
		}
		if err := s.Store.SaveImportJob(ctx, &j); err != nil {
			return n, err
		}
		s.removeUpload(path)
		n++
	}
	return n, nil
}

// Serve runs queued jobs, one at a time, until ctx is done. A job it is
// running when ctx ends is recorded as interrupted.
func (s *Service) Serve(ctx context.Context) {
	s.init()
	for {
		select {
		case <-ctx.Done():
			return
		case q := <-s.queue:
			s.runQueued(ctx, q)
		}
	}
}

func (s *Service) runQueued(ctx context.Context, q queued) {
	now := s.Now()
	j, err := s.Store.ClaimImportJob(ctx, q.org, q.id, Running, s.Holder, now, now.Add(-StaleAfter))
	if err != nil {
		s.Logger.Error("start an import", "job", q.id, "err", err)
		return
	}
	s.run(ctx, &j, func() (io.ReadCloser, error) {
		f, err := s.export(j.Upload)
		if err != nil {
			return nil, err
		}
		return f.Open()
	}, nil, nil)
}

// ImportFile imports a file of the local filesystem as a new job (`qunzhu
// import`), reporting progress. validated, when not nil, is the summary of
// a validation of the file with the same options (importer.Validate, to
// refuse a set of files as a whole): the import then reads the file once
// more instead of twice. It returns the job done, or failed with its error.
func (s *Service) ImportFile(ctx context.Context, orgID int64, by, path string, u Upload, p Plan, validated *importer.Summary, progress func(Job)) (Job, error) {
	s.init()
	c, err := s.connection(u.Connection)
	if err != nil {
		return Job{}, err
	}
	if err := fits(u.Format, c); err != nil {
		return Job{}, err
	}
	export, err := importer.OpenFile(path)
	if err != nil {
		return Job{}, fmt.Errorf("import %s: %w", path, err)
	}
	p.Platform = c.Platform
	if p.Zone == "" {
		p.Zone = u.Zone
	}
	now := s.Now()
	j := Job{OrgID: orgID, CreatedBy: by, Connection: c.Name, Format: u.Format, FileName: path, Size: export.Size, Plan: p,
		Status: Running, Holder: s.Holder, CreatedAt: now, StartedAt: &now, HeartbeatAt: now}
	if err := s.Store.CreateImportJob(ctx, &j); err != nil {
		return j, err
	}
	err = s.run(ctx, &j, export.Open, validated, progress)
	return j, err
}

// run imports a claimed job: both passes of the file through the ingest,
// then the groups' creation dates, names and the rollups. Its progress is
// saved about once a second, its heartbeat every Heartbeat.
func (s *Service) run(ctx context.Context, j *Job, open func() (io.ReadCloser, error), validated *importer.Summary, progress func(Job)) error {
	began := s.Now()
	if j.StartedAt == nil {
		j.StartedAt = &began
	}
	j.Status, j.Phase, j.Bytes, j.Events, j.Accepted, j.Duplicates, j.Error = Running, "validate", 0, 0, 0, 0, ""
	j.Result = Result{}
	save := func() {
		c := *j
		if err := s.Store.SaveImportJob(context.WithoutCancel(ctx), &c); err != nil {
			s.Logger.Error("save import progress", "job", j.ID, "err", err)
		}
		if progress != nil {
			progress(c)
		}
	}
	beat, stopBeat := context.WithCancel(ctx)
	beaten := make(chan struct{})
	go func() {
		defer close(beaten)
		t := time.NewTicker(Heartbeat)
		defer t.Stop()
		for {
			select {
			case <-beat.Done():
				return
			case <-t.C:
				if err := s.Store.TouchImportJobs(beat, s.Holder, s.Now()); err != nil && beat.Err() == nil {
					s.Logger.Error("import heartbeat", "err", err)
				}
			}
		}
	}()
	defer func() { stopBeat(); <-beaten }()
	save()

	err := s.importFile(ctx, j, open, validated, save)
	end := s.Now()
	j.FinishedAt = &end
	j.Result.Seconds = end.Sub(began).Seconds()
	j.HeartbeatAt = end
	switch {
	case err == nil:
		j.Status, j.Phase = Done, ""
	case ctx.Err() != nil:
		j.Status, j.Error = Interrupted, "stopped before the end: the import was cancelled or the server shut down"
	default:
		j.Status, j.Error = Failed, errorText(err)
	}
	upload := ""
	if j.Status == Done {
		upload, j.Upload = j.Upload, ""
	}
	save()
	s.removeUpload(upload)
	if err != nil {
		s.Logger.Warn("import ended", "job", j.ID, "status", j.Status, "err", err)
	} else {
		s.Logger.Info("import done", "job", j.ID, "events", j.Events, "new", j.Accepted, "duplicates", j.Duplicates, "days", j.Result.Days)
	}
	return err
}

// errorText is what a job records of an error: the importer's message for
// a bad file, else the error.
func errorText(err error) string {
	if errkind.Of(err) != errkind.Internal {
		return errkind.Message(err)
	}
	return err.Error()
}

// seen is what the events of one group told.
type seen struct {
	existed  bool
	first    time.Time
	last     time.Time
	events   int
	messages int
}

// importFile runs the file through the ingest and settles the groups and
// the rollups; j is its record, save writes it.
func (s *Service) importFile(ctx context.Context, j *Job, open func() (io.ReadCloser, error), validated *importer.Summary, save func()) error {
	opt, err := s.options(j)
	if err != nil {
		return err
	}
	lastSave := s.Now()
	opt.Progress = func(p importer.Progress) {
		switch {
		case p.Phase == "validate":
			j.Events = p.Events // read so far
		case j.Phase == "validate":
			j.Events = 0 // from here: handed to the ingest
		}
		j.Phase, j.Bytes, j.HeartbeatAt = p.Phase, p.Bytes, s.Now()
		if p.Total > 0 {
			j.Size = p.Total
		}
		if p.Phase == "validate" && (p.Done || s.Now().Sub(lastSave) >= time.Second) {
			lastSave = s.Now()
			save()
		}
	}
	groups := map[string]*seen{}
	identities := 0
	w := s.startWriter(ctx)
	emit := func(ctx context.Context, b importer.Batch) error {
		for _, e := range b.Events {
			g := groups[e.Group]
			if g == nil {
				_, ok, err := s.Store.GroupByExternalID(ctx, j.OrgID, j.Connection, e.Group)
				if err != nil {
					return err
				}
				g = &seen{existed: ok, first: e.Time, last: e.Time}
				groups[e.Group] = g
			}
			g.events++
			if e.Type == chat.EventMessage {
				g.messages++
			}
			if e.Time.Before(g.first) {
				g.first = e.Time
			}
			if e.Time.After(g.last) {
				g.last = e.Time
			}
		}
		if err := w.send(b.Events); err != nil {
			return err
		}
		identities += len(b.Identities)
		j.Events += len(b.Events)
		j.Accepted, j.Duplicates = w.counts()
		if s.Now().Sub(lastSave) >= time.Second {
			lastSave = s.Now()
			save()
		}
		return nil
	}
	var sum importer.Summary
	if validated != nil {
		sum, err = importer.ImportValidated(ctx, open, opt, *validated, emit)
	} else {
		sum, err = importer.Import(ctx, open, opt, emit)
	}
	if werr := w.wait(); err == nil {
		err = werr
	}
	j.Accepted, j.Duplicates = w.counts()
	if err != nil {
		return err
	}
	j.Format, j.Summary = sum.Format, trim(sum)
	j.Phase = "rollup"
	j.Result.Identities, j.Result.Skipped, j.Result.ByType = identities, sum.Skipped, sum.ByType
	j.Result.Messages = sum.ByType[string(chat.EventMessage)]
	save()

	// The groups: back to their first imported day, named as chosen.
	keyOf := map[string]string{}
	for _, g := range sum.Groups {
		if g.Skipped == "" && g.ID != "" {
			keyOf[g.ID] = g.Key
		}
	}
	var first time.Time
	var results []GroupResult
	ids := []int64{}
	for ext, sn := range groups {
		g, ok, err := s.Store.GroupByExternalID(ctx, j.OrgID, j.Connection, ext)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("group %s/%s: not found after its import", j.Connection, ext)
		}
		if sn.first.Before(g.CreatedAt) {
			if err := s.Store.BackdateGroup(ctx, g.ID, sn.first); err != nil {
				return err
			}
		}
		key := keyOf[ext]
		if name := strings.TrimSpace(j.Plan.Names[key]); name != "" && !sn.existed && name != g.Name {
			if g, err = s.Store.UpdateGroup(ctx, j.OrgID, g.ID, community.GroupPatch{Name: &name}, "import:"+j.CreatedBy); err != nil {
				return err
			}
		}
		ids = append(ids, g.ID)
		results = append(results, GroupResult{Key: key, ExternalID: ext, GroupID: g.ID, Name: g.Name, Created: !sn.existed,
			Events: sn.events, Messages: sn.messages, First: sn.first, Last: sn.last})
		if first.IsZero() || sn.first.Before(first) {
			first = sn.first
		}
	}
	slices.SortFunc(results, func(a, b GroupResult) int {
		return strings.Compare(a.Name+"\x00"+a.ExternalID, b.Name+"\x00"+b.ExternalID)
	})
	j.Result.Groups = results
	if first.IsZero() {
		return nil // nothing in the chosen window
	}
	// The groups' rollups of every day from the first imported one: a
	// day's health reads the days before it.
	from := analytics.DayOf(first, s.Location)
	days, err := s.Store.RollupFrom(ctx, j.OrgID, ids, from, s.Now(), s.Location)
	if err != nil {
		return fmt.Errorf("recompute the rollups: %w", err)
	}
	j.Result.Days, j.Result.From = days, from.Start(s.Location)
	return nil
}

// writer hands batches to the ingest in order, one or two behind the
// reading, so that reading the file and storing it use a core each.
type writer struct {
	in   chan []chat.Event
	done chan struct{}

	mu                   sync.Mutex
	err                  error
	accepted, duplicates int
}

func (s *Service) startWriter(ctx context.Context) *writer {
	w := &writer{in: make(chan []chat.Event, 2), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for evs := range w.in {
			if w.failed() != nil {
				continue // drain: the reader stops at the next send
			}
			if err := ctx.Err(); err != nil {
				w.mu.Lock()
				w.err = err
				w.mu.Unlock()
				continue
			}
			res, err := s.Ingest.IngestHistory(ctx, evs)
			w.mu.Lock()
			if err != nil {
				w.err = err
			}
			w.accepted += res.Accepted
			w.duplicates += res.Duplicates
			w.mu.Unlock()
		}
	}()
	return w
}

func (w *writer) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// send queues a batch; it returns the error of an earlier batch, if any.
func (w *writer) send(evs []chat.Event) error {
	if err := w.failed(); err != nil {
		return err
	}
	w.in <- evs
	return nil
}

func (w *writer) counts() (accepted, duplicates int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accepted, w.duplicates
}

// wait lets the queued batches be stored and returns the first error.
func (w *writer) wait() error {
	close(w.in)
	<-w.done
	return w.failed()
}

// MergeProposals lists members imported by name who may be people known
// by a platform id.
func (s *Service) MergeProposals(ctx context.Context, orgID int64, limit int) ([]community.MergeProposal, error) {
	return s.Store.MergeProposals(ctx, orgID, limit)
}

// AcceptMerge merges the person imported by name into the person of the
// platform identity (store.MergePeople), and drops the ingester's cached
// lookups of them.
func (s *Service) AcceptMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error {
	if err := s.Store.AcceptMerge(ctx, orgID, p, actor); err != nil {
		return err
	}
	if s.Forget != nil {
		s.Forget()
	}
	return nil
}

// DismissMerge records that the two are not one person.
func (s *Service) DismissMerge(ctx context.Context, orgID int64, p community.MergeProposal, actor string) error {
	return s.Store.DismissMerge(ctx, orgID, p, actor)
}

// ConnectionList returns the connections an upload may name.
func (s *Service) ConnectionList() []Connection {
	if s.Connections == nil {
		return nil
	}
	return s.Connections()
}

// Fixed is a Service's Connections that are always cs.
func Fixed(cs ...Connection) func() []Connection {
	return func() []Connection { return slices.Clone(cs) }
}
