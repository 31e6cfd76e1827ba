package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The rules editor's replay: what an edit, not yet saved, would have done
// to the messages of the last 7 or 30 days of the groups whose rules it
// changes (rules.Replay). A replay runs as a job in the background; the
// editor shows its progress (a small script polls GET /rules/replay/{id};
// without scripts the page has a link to look again) and then its
// results: counts by verdict and category, examples, and how that
// differs from what was done.

// ReplaySource streams the stored messages of some groups, oldest first,
// as the rules replay them (the store's ReplayMessages).
type ReplaySource interface {
	ReplayMessages(ctx context.Context, orgID int64, groupIDs []int64, since, until time.Time) (int, iter.Seq2[rules.Stored, error], error)
}

// replayDays are the periods the editor replays.
var replayDays = []int{7, 30}

const (
	replayKeep     = time.Hour // a job's results are kept this long
	replayMaxJobs  = 50        // and at most this many jobs
	replayParallel = 2         // replays running at once; the others wait
	replayTimeout  = 10 * time.Minute
)

// replayJob is one replay of an edit.
type replayJob struct {
	id      string
	user    int64
	orgID   int64
	scope   string // the scope edited, "node:4"
	text    string // the edit replayed
	group   int64  // the group previewed, to come back to
	days    int
	groups  map[int64]community.Group
	started time.Time
	cancel  context.CancelFunc

	total  atomic.Int64
	judged atomic.Int64
	state  atomic.Value // "waiting", "running", "done", "failed"

	mu     sync.Mutex // guards what follows, set when the job ends
	result *rules.ReplayResult
	err    error
	names  map[int64]string // the examples' senders
}

func (j *replayJob) State() string { s, _ := j.state.Load().(string); return s }

// replayJobs are the server's replays. The zero value is ready to use.
type replayJobs struct {
	mu   sync.Mutex
	jobs map[string]*replayJob
	sem  chan struct{}
}

// add keeps a new job, cancelling the user's earlier ones that have not
// ended and forgetting expired ones.
func (js *replayJobs) add(j *replayJob, now time.Time) {
	js.mu.Lock()
	defer js.mu.Unlock()
	if js.jobs == nil {
		js.jobs, js.sem = map[string]*replayJob{}, make(chan struct{}, replayParallel)
	}
	for id, o := range js.jobs {
		switch {
		case now.Sub(o.started) > replayKeep:
			o.cancel()
			delete(js.jobs, id)
		case o.user == j.user && (o.State() == "waiting" || o.State() == "running"):
			o.cancel() // superseded by the new edit's
		}
	}
	for len(js.jobs) >= replayMaxJobs {
		oldest := ""
		for id, o := range js.jobs {
			if oldest == "" || o.started.Before(js.jobs[oldest].started) {
				oldest = id
			}
		}
		js.jobs[oldest].cancel()
		delete(js.jobs, oldest)
	}
	js.jobs[j.id] = j
}

// get returns the user's job, unless it has expired.
func (js *replayJobs) get(id string, user int64, now time.Time) *replayJob {
	js.mu.Lock()
	defer js.mu.Unlock()
	if j := js.jobs[id]; j != nil && j.user == user && now.Sub(j.started) <= replayKeep {
		return j
	}
	return nil
}

// replayGroups are the groups whose rules a scope's file makes, of those
// the account may see.
func (s *Server) replayGroups(ctx context.Context, u *access.User, sc rules.Scope) ([]community.Group, error) {
	view, err := s.scopeOf(ctx, u)
	if err != nil {
		return nil, err
	}
	all, err := s.Store.Groups(ctx, u.OrgID)
	if err != nil {
		return nil, err
	}
	var under map[int64]bool
	if sc.Kind == "node" {
		nodes, err := s.Store.Nodes(ctx, u.OrgID)
		if err != nil {
			return nil, err
		}
		under = subtree(nodes, sc.ID)
	}
	var out []community.Group
	for _, g := range all {
		in := sc.Kind == "default" || sc.Kind == "group" && g.ID == sc.ID || sc.Kind == "node" && g.NodeID != 0 && under[g.NodeID]
		if in && view.has(g.ID) {
			out = append(out, g)
		}
	}
	return out, nil
}

// startReplay starts replaying an edit over the last days and returns the
// job's id. The edit has been checked (previewed) already.
func (s *Server) startReplay(ctx context.Context, u *access.User, ed RulesEditor, scope, text string, group int64, days int) (string, error) {
	if s.Replay == nil {
		return "", errkind.New(errkind.NotFound, "replay is not available: the console has no message store")
	}
	if !slices.Contains(replayDays, days) {
		return "", errkind.Errorf(errkind.Invalid, "days %d: want 7 or 30", days)
	}
	sc, err := rules.ParseScope(scope)
	if err != nil {
		return "", err
	}
	rulesFor, engine, err := ed.ReplayRules(scope, text)
	if err != nil {
		return "", err
	}
	groups, err := s.replayGroups(ctx, u, sc)
	if err != nil {
		return "", err
	}
	var b [12]byte
	rand.Read(b[:])
	now := s.Now()
	jctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replayTimeout)
	j := &replayJob{id: hex.EncodeToString(b[:]), user: u.ID, orgID: u.OrgID, scope: scope, text: text, group: group, days: days,
		groups: map[int64]community.Group{}, started: now, cancel: cancel}
	for _, g := range groups {
		j.groups[g.ID] = g
	}
	j.state.Store("waiting")
	s.replays.add(j, now)
	go s.runReplay(jctx, j, rulesFor, engine, now)
	return j.id, nil
}

// runReplay runs a job to its end.
func (s *Server) runReplay(ctx context.Context, j *replayJob, rulesFor func(community.Group) (*rules.RuleSet, error), engine *rules.Engine, now time.Time) {
	defer j.cancel()
	finish := func(r *rules.ReplayResult, names map[int64]string, err error) {
		j.mu.Lock()
		j.result, j.names, j.err = r, names, err
		j.mu.Unlock()
		if err != nil {
			s.Logger.Error("rules replay", "scope", j.scope, "err", err)
			j.state.Store("failed")
			return
		}
		j.state.Store("done")
	}
	select {
	case s.replays.sem <- struct{}{}:
		defer func() { <-s.replays.sem }()
	case <-ctx.Done():
		finish(nil, nil, ctx.Err())
		return
	}
	j.state.Store("running")
	total, msgs, err := s.Replay.ReplayMessages(ctx, j.orgID, slices.Collect(maps.Keys(j.groups)), now.AddDate(0, 0, -j.days), now)
	if err != nil {
		finish(nil, nil, err)
		return
	}
	j.total.Store(int64(total))
	r, err := rules.Replay(ctx, rules.ReplayOptions{
		RulesFor: func(id int64) (*rules.RuleSet, error) { return rulesFor(j.groups[id]) },
		Engine:   engine, Examples: 3, ProgressEvery: 2000,
		Progress: func(n int) { j.judged.Store(int64(n)) },
	}, msgs)
	if err != nil {
		finish(nil, nil, err)
		return
	}
	var ids []int64
	for _, xs := range r.Examples {
		for _, x := range xs {
			ids = append(ids, x.PersonID)
		}
	}
	for _, xs := range r.ChangeExamples {
		for _, x := range xs {
			ids = append(ids, x.PersonID)
		}
	}
	names := map[int64]string{}
	if s.People != nil && len(ids) > 0 {
		if names, err = s.People.PersonNames(ctx, j.orgID, ids); err != nil {
			finish(nil, nil, err)
			return
		}
	}
	finish(r, names, nil)
}

// replayProgress answers the editor's script: the job's state and counts.
func (s *Server) replayProgress(w http.ResponseWriter, r *http.Request) {
	j := s.replays.get(r.PathValue("id"), userOf(r).ID, s.Now())
	if j == nil {
		s.renderError(w, r, errkind.New(errkind.NotFound, T(langOf(r), "replay_gone")))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{"state": j.State(), "judged": j.judged.Load(), "total": j.total.Load()})
}

// rulesReplayRoutes registers the replay's progress, for the rules editor.
func (s *Server) rulesReplayRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /rules/replay/{id}", s.auth(s.may(access.EditRules, s.replayProgress)))
}

// replayView is a job as the editor shows it, in the reader's language.
type replayView struct {
	Lang          Lang
	ID            string
	State         string
	Days          int
	Groups        int
	Judged, Total int64
	Percent       int64
	Error         string

	Messages   int
	Verdicts   []replayCount
	Categories []replayCategory
	Actions    []string // the columns of Categories: warn … ban
	Model      int
	Same       int
	Changed    []replayCount // added, dropped, harsher, milder
	Changes    []replayChange
	Examples   []replayExamples
}

type replayCount struct {
	Key   string
	Label string
	N     int
	Share string // of the messages, "2.5%"
}

type replayCategory struct {
	Label  string
	Counts []int // by Actions
	Total  int
}

type replayChange struct {
	From, To string // what was done, what would be
	N        int
	Examples replayExampleList
}

type replayExamples struct {
	Action, Category string
	Examples         replayExampleList
}

// replayExampleList is a few examples, in a language.
type replayExampleList struct {
	Lang     Lang
	Examples []replayExample
}

type replayExample struct {
	At      string
	Group   string
	Member  string
	Text    string
	Matched string
	Done    string // what was done about it
}

// view renders the job for a reader.
func (j *replayJob) view(l Lang, loc *time.Location) *replayView {
	v := &replayView{Lang: l, ID: j.id, State: j.State(), Days: j.days, Groups: len(j.groups), Judged: j.judged.Load(), Total: j.total.Load()}
	if v.Total > 0 {
		v.Percent = min(100, v.Judged*100/v.Total)
	}
	j.mu.Lock()
	r, err, names := j.result, j.err, j.names
	j.mu.Unlock()
	if err != nil {
		v.Error = T(l, "replay_failed")
		if errors.Is(err, context.DeadlineExceeded) {
			v.Error = T(l, "replay_timeout")
		}
		return v
	}
	if r == nil {
		return v
	}
	v.Messages, v.Model, v.Same, v.Judged, v.Percent = r.Messages, r.Model, r.Same, int64(r.Messages), 100
	share := func(n int) string {
		if r.Messages == 0 {
			return "0%"
		}
		return fmt.Sprintf("%.1f%%", float64(n)*100/float64(r.Messages))
	}
	actions := []rules.Action{rules.Allow, rules.Warn, rules.Delete, rules.Mute, rules.Kick, rules.Ban}
	for _, a := range actions {
		if n := r.Verdicts[a]; n > 0 || a == rules.Allow {
			v.Verdicts = append(v.Verdicts, replayCount{string(a), T(l, "act_"+string(a)), n, share(n)})
		}
	}
	for _, a := range actions[1:] {
		v.Actions = append(v.Actions, T(l, "act_"+string(a)))
	}
	cats := slices.Collect(maps.Keys(r.Categories))
	total := func(c string) int {
		n := 0
		for _, k := range r.Categories[c] {
			n += k
		}
		return n
	}
	sort.Slice(cats, func(a, b int) bool {
		if ta, tb := total(cats[a]), total(cats[b]); ta != tb {
			return ta > tb
		}
		return cats[a] < cats[b]
	})
	for _, c := range cats {
		rc := replayCategory{Label: category(l, c), Total: total(c)}
		for _, a := range actions[1:] {
			rc.Counts = append(rc.Counts, r.Categories[c][a])
		}
		v.Categories = append(v.Categories, rc)
	}
	for _, c := range []struct {
		key string
		n   int
	}{{"added", r.Added}, {"dropped", r.Dropped}, {"harsher", r.Harsher}, {"milder", r.Milder}} {
		v.Changed = append(v.Changed, replayCount{c.key, T(l, "replay_"+c.key), c.n, share(c.n)})
	}
	example := func(x rules.ReplayExample) replayExample {
		name := names[x.PersonID]
		if name == "" {
			name = T(l, "replay_someone")
		}
		text := x.Text
		if strings.TrimSpace(text) == "" || x.Kind != chat.KindText && x.Kind != "" {
			text = strings.TrimSpace("［" + T(l, "mk_"+string(x.Kind)) + "］" + text)
		}
		return replayExample{At: x.At.In(loc).Format("01-02 15:04"), Group: j.groups[x.GroupID].Name, Member: name, Text: text,
			Matched: strings.Join(x.Verdict.Matched, "、"), Done: T(l, "act_"+string(x.Done))}
	}
	for _, k := range r.ChangeKeys() {
		from, to, _ := strings.Cut(k, " → ")
		c := replayChange{From: T(l, "act_"+from), To: T(l, "act_"+to), N: r.Changes[k], Examples: replayExampleList{Lang: l}}
		for _, x := range r.ChangeExamples[k] {
			c.Examples.Examples = append(c.Examples.Examples, example(x))
		}
		v.Changes = append(v.Changes, c)
	}
	for _, k := range r.ExampleKeys() {
		a, c, _ := strings.Cut(k, " ")
		xs := replayExamples{Action: T(l, "act_"+a), Category: category(l, c), Examples: replayExampleList{Lang: l}}
		for _, x := range r.Examples[k] {
			xs.Examples.Examples = append(xs.Examples.Examples, example(x))
		}
		v.Examples = append(v.Examples, xs)
	}
	return v
}

// category names a rules category in the reader's language.
func category(l Lang, c string) string {
	n := rules.CategoryName(c)
	return Bilingual{n.Zh, n.En}.In(l)
}
