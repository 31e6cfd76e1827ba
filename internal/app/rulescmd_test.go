package app

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/config"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// rulesSite is a configured installation: a configuration file naming its
// data and rules directories, a migrated store with an organisation.
type rulesSite struct {
	cfgPath, rulesDir string
	cfg               *config.Config
	db                *store.DB
	org               community.Org
}

func newRulesSite(t *testing.T) *rulesSite {
	t.Helper()
	dir := t.TempDir()
	s := &rulesSite{cfgPath: filepath.Join(dir, "qunzhu.toml"), rulesDir: filepath.Join(dir, "rules")}
	if err := os.MkdirAll(s.rulesDir, 0o755); err != nil {
		t.Fatal(err)
	}
	body := fmt.Sprintf("[data]\ndir = %q\n\n[rules]\ndir = %q\n\n[log]\nlevel = \"error\"\n", filepath.Join(dir, "data"), s.rulesDir)
	if err := os.WriteFile(s.cfgPath, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.cfg, err = loadConfig(s.cfgPath, nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if s.db, err = openStore(ctx, s.cfg, newLogger(&bytes.Buffer{}, "error", "text")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.db.Close() })
	if _, err := s.db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cr, err := bootstrap(ctx, s.db, s.cfg.Data.Dir, community.Org{Name: "大别山网商学院", Slug: "academy"})
	if err != nil {
		t.Fatal(err)
	}
	s.org = cr.Org
	return s
}

func (s *rulesSite) node(t *testing.T, parent int64, name string, kind community.NodeKind) community.Node {
	t.Helper()
	n := community.Node{OrgID: s.org.ID, ParentID: parent, Name: name, Kind: kind}
	if err := s.db.CreateNode(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func (s *rulesSite) group(t *testing.T, node int64, ext, name string, kind community.GroupKind) community.Group {
	t.Helper()
	g := community.Group{OrgID: s.org.ID, NodeID: node, Connection: "test", Platform: "webhook", ExternalID: ext, Name: name, Kind: kind}
	if err := s.db.CreateGroup(context.Background(), &g); err != nil {
		t.Fatal(err)
	}
	return g
}

// service runs the service's pipeline on the site until ctx is done (and
// waits for it at the end of the test).
func (s *rulesSite) service(t *testing.T, ctx context.Context) *service {
	t.Helper()
	svc, err := newService(ctx, Env{}, s.cfg, s.db, newLogger(&bytes.Buffer{}, "error", "text"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { svc.in.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

// TestCheckGroupAsTheService: `qunzhu check --group` judges as the running
// service judged, for a group whose rules come from a preset its node's
// file names (owners, though the group is a cohort) and an edit saved as
// the console saves it.
func TestCheckGroupAsTheService(t *testing.T) {
	s := newRulesSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := s.node(t, 0, "湖北农夫电商", community.NodeCompany)
	estate := s.node(t, root.ID, "万景城社区", community.NodeCommunity)
	g := s.group(t, estate.ID, "g1", "万景城业主学习群", community.KindCohort)
	if err := os.MkdirAll(filepath.Join(s.rulesDir, "nodes"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.rulesDir, "nodes", strconv.FormatInt(estate.ID, 10)+".toml"), []byte("preset = \"owners\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The console's save: through a registry, as the console's is.
	console, err := rules.NewRegistry(ctx, s.rulesDir, s.cfg.Location(), rules.NewEngine(nil, nil), s.db.NodeParents, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := console.Save(ctx, rules.Scope{Kind: "group", ID: g.ID}, "[categories]\nad = \"kick\"\nreligion = \"delete\"\n"); err != nil {
		t.Fatal(err)
	}

	svc := s.service(t, ctx)
	texts := []string{
		"加 薇 信 abc1688 领资料",   // an ad: kick, the console's edit
		"主内平安，愿主赐福",           // religion: allowed by the owners' preset, deleted by the edit
		"线上棋牌，稳赚不赔",           // gambling: the preset's ban
		"大家好，今天天气不错",          // nothing
		"群主，能加一下你微信吗？我想报名下一期", // to the staff: nothing
		"帮我家孩子投一票，3号，谢谢大家",    // a vote plea
	}
	var evs []chat.Event
	now := time.Now()
	for i, text := range texts {
		id := fmt.Sprint("m", i)
		evs = append(evs, chat.Event{ID: "e" + id, Connection: "test", Platform: "webhook", Type: chat.EventMessage, Group: "g1", Time: now,
			Sender: chat.User{ID: fmt.Sprint("u", i), Name: fmt.Sprint("业主", i)}, Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text}})
	}
	if _, err := svc.in.IngestCount(ctx, evs); err != nil {
		t.Fatal(err)
	}
	acts, err := s.db.ModerationActions(ctx, s.org.ID, 100)
	if err != nil {
		t.Fatal(err)
	}
	did := map[string]community.ModerationAction{}
	for _, a := range acts {
		if a.Category != "quiet" { // check has no times: quiet hours are the service's alone
			did[a.MessageID] = a
		}
	}

	var out, errb bytes.Buffer
	check := rules.CheckCommand{Group: func(ctx context.Context, path string, id int64) (rules.GroupRules, error) {
		return checkGroup(ctx, path, nil, id)
	}}
	args := append([]string{"--group", strconv.FormatInt(g.ID, 10), "--config", s.cfgPath, "--json"}, texts...)
	if code := check.Main(args, nil, &out, &errb); code != 0 {
		t.Fatalf("check --group: %d\n%s", code, errb.String())
	}
	layers := fmt.Sprintf("preset owners + %s + %s", filepath.Join("nodes", strconv.FormatInt(estate.ID, 10)+".toml"), filepath.Join("groups", strconv.FormatInt(g.ID, 10)+".toml"))
	if !strings.Contains(errb.String(), layers) {
		t.Errorf("check names the layers %q, want %q", errb.String(), layers)
	}
	dec := json.NewDecoder(&out)
	for i, text := range texts {
		var v struct{ Text, Verdict, Category, Rule string }
		if err := dec.Decode(&v); err != nil || v.Text != text {
			t.Fatalf("check's line %d: %+v %v", i, v, err)
		}
		a, acted := did[fmt.Sprint("m", i)]
		if v.Verdict == "allow" {
			if acted {
				t.Errorf("%q: check allows it, the service did %s (%s)", text, a.Action, a.Rule)
			}
			continue
		}
		want := rules.Verdict{Action: rules.Action(v.Verdict), Category: v.Category, Model: strings.Contains(v.Rule, "/model.")}.PlatformAction()
		if !acted || a.Rule != v.Rule || a.Category != v.Category || a.Action != want {
			t.Errorf("%q: check says %s %s (%s), the service did %+v", text, v.Verdict, v.Category, v.Rule, a)
		}
		t.Logf("%q: %s %s by %s, as the service did", text, v.Verdict, v.Category, v.Rule)
	}
	// The chain made a difference: the owners' rules, with the edit.
	if a := did["m0"]; a.Action != chat.ActKick || !strings.HasPrefix(a.Rule, "业主群群规/") {
		t.Errorf("the ad: %+v, want a kick by the owners' rules as edited", a)
	}
	if a := did["m1"]; a.Action != chat.ActDelete {
		t.Errorf("religion: %+v, want deleted as edited", a)
	}
	if _, ok := did["m4"]; ok {
		t.Error("a question to the owner was acted on")
	}

	// Bad use: an unknown group, no database, --rules with --group.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--group", "999", "--config", s.cfgPath, "x"}, "group 999 not found"},
		{[]string{"--group", "1", "--config", filepath.Join(t.TempDir(), "none.toml"), "x"}, "read configuration"},
		{[]string{"--group", "1", "--rules", "x.toml", "x"}, "--group and --rules exclude each other"},
	} {
		errb.Reset()
		if code := check.Main(tc.args, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("check %v: %d %q, want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	empty := filepath.Join(t.TempDir(), "q.toml")
	os.WriteFile(empty, []byte(fmt.Sprintf("[data]\ndir = %q\n", filepath.Join(t.TempDir(), "nothing"))), 0o600)
	errb.Reset()
	if code := check.Main([]string{"--group", "1", "--config", empty, "x"}, nil, &out, &errb); code != 2 || !strings.Contains(errb.String(), "no database at") {
		t.Errorf("check without a database: %d %q", code, errb.String())
	}
}

// replayFixture is an academy with two branches' groups and a week of
// messages at fixed times, some of which the rules acted on.
func replayFixture(t *testing.T) (*rulesSite, map[string]int64, time.Time) {
	t.Helper()
	s := newRulesSite(t)
	ctx := context.Background()
	loc := s.cfg.Location()
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, loc)
	root := s.node(t, 0, "湖北农夫电商", community.NodeCompany)
	yangxin := s.node(t, root.ID, "阳新分院", community.NodeRegion)
	shop := s.node(t, yangxin.ID, "阳新一店", community.NodeStore)
	huangmei := s.node(t, root.ID, "黄梅分院", community.NodeRegion)
	cohort := s.group(t, shop.ID, "c6", "阳新第6期学员群", community.KindCohort)
	enrol := s.group(t, yangxin.ID, "e1", "阳新报名咨询群", community.KindEnrolment)
	other := s.group(t, huangmei.ID, "h1", "黄梅学员群", community.KindCohort)
	lect := s.group(t, root.ID, "l1", "讲师群", community.KindLecturer)
	ids := map[string]int64{"root": root.ID, "yangxin": yangxin.ID, "cohort": cohort.ID, "enrol": enrol.ID, "other": other.ID}
	at := func(d time.Duration) time.Time { return now.Add(-d) }
	err := s.db.Ingest(ctx, func(tx pipeline.Tx) error {
		people := map[string]int64{}
		for _, p := range []struct{ user, name string }{{"teacher", "李老师"}, {"wang", "王小明"}, {"seller", "卖货郎"}, {"zhao", "赵姐"}, {"xiaoer", "店小二阿芳"}, {"gone", "已退群的人"}} {
			id, err := tx.ResolvePerson(ctx, s.org.ID, "test", "webhook", chat.User{ID: p.user, Name: p.name})
			if err != nil {
				return err
			}
			people[p.user] = id
		}
		member := func(g community.Group, user string, role community.Role) error {
			return tx.AddMembership(ctx, &community.Membership{GroupID: g.ID, PersonID: people[user], Role: role, JoinedAt: at(60 * 24 * time.Hour)})
		}
		for _, m := range []struct {
			g    community.Group
			user string
			role community.Role
		}{{lect, "teacher", community.RoleMember}, {cohort, "teacher", community.RoleMember}, {cohort, "wang", community.RoleMember},
			{cohort, "seller", community.RoleMember}, {cohort, "xiaoer", community.RoleAssistant}, {enrol, "zhao", community.RoleMember},
			{enrol, "seller", community.RoleMember}, {other, "zhao", community.RoleMember}} {
			if err := member(m.g, m.user, m.role); err != nil {
				return err
			}
		}
		msg := func(g community.Group, user, id, text, reply string, ago time.Duration) community.Message {
			return community.Message{GroupID: g.ID, PersonID: people[user], ExternalID: id, Kind: chat.KindText, Text: text, ReplyTo: reply, SentAt: at(ago)}
		}
		h := time.Hour
		msgs := []community.Message{
			msg(cohort, "wang", "m1", "老师讲得太好了，收获很大", "", 6*24*h),
			msg(cohort, "teacher", "m2", "今天的课件我整理好了，需要的同学私聊我", "", 5*24*h),
			msg(cohort, "seller", "m3", "加 薇 信 abc1688 领资料", "", 4*24*h),
			msg(cohort, "seller", "m4", "加 薇 信 abc1688 领资料，名额有限", "", 3*24*h),
			msg(cohort, "xiaoer", "m5", "加我微信 afang2026，课后答疑", "", 3*24*h-h),
			msg(cohort, "wang", "m6", "好的，我私聊您", "m5", 3*24*h-2*h),
			msg(cohort, "gone", "m7", "线上棋牌，稳赚不赔", "", 2*24*h),
			{GroupID: cohort.ID, PersonID: people["wang"], ExternalID: "m11", Kind: chat.KindVoice, SentAt: at(36 * h)}, // a voice message
			msg(enrol, "zhao", "m8", "请问下一期什么时候报名？", "", 2*24*h),
			msg(enrol, "seller", "m9", "帮我家孩子投一票，3号，谢谢大家", "", 24*h),
			msg(other, "zhao", "m10", "加 薇 信 abc1688 领资料", "", 24*h),
			msg(cohort, "wang", "m0", "上个月的消息", "", 40*24*h), // before the period
		}
		if err := tx.InsertMessages(ctx, msgs); err != nil {
			return err
		}
		for _, a := range []community.ModerationAction{
			{GroupID: cohort.ID, PersonID: people["seller"], MessageID: "m3", Action: chat.ActDelete, Rule: "网商学院群规/categories.ad", Category: "ad", CreatedAt: at(4 * 24 * h)},
			{GroupID: cohort.ID, PersonID: people["teacher"], MessageID: "m2", Action: chat.ActDelete, Rule: "网商学院群规/categories.ad", Category: "ad", CreatedAt: at(5 * 24 * h)},
			{GroupID: cohort.ID, PersonID: people["gone"], MessageID: "m7", Action: chat.ActKick, Rule: "report", Category: "report", CreatedAt: at(2*24*h - h)},
		} {
			a.OrgID, a.Actor = s.org.ID, "rules"
			if err := tx.RecordModeration(ctx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, ids, now
}

// runReplay runs `qunzhu rules replay` at the fixture's time.
func runReplay(t *testing.T, now time.Time, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Env{Args: append([]string{"rules", "replay"}, args...), Stdout: &out, Stderr: &errb,
		Environ: []string{"HOME=/nonexistent"}, Now: func() time.Time { return now }})
	return code, out.String(), errb.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to rewrite it):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// TestRulesReplay: `qunzhu rules replay` over a fixture with known
// outcomes — the ladder, a lecturer's material, a 店小二 made staff after
// her messages, a reply to staff, a removal on a report — as text and as
// JSON (golden files), with an unsaved rules file, and its refusals.
func TestRulesReplay(t *testing.T) {
	s, ids, now := replayFixture(t)
	id := func(k string) string { return strconv.FormatInt(ids[k], 10) }
	code, out, errs := runReplay(t, now, "--group", id("cohort"), "--since", "7d", "--config", s.cfgPath)
	if code != 0 {
		t.Fatalf("replay: %d\n%s", code, errs)
	}
	golden(t, "replay-group.golden", out)
	if !strings.Contains(errs, "8 messages to judge") || !strings.Contains(errs, "100%") || !strings.Contains(errs, "a second") {
		t.Errorf("progress on standard error: %q", errs)
	}
	// The node: the cohort (under the shop) and the enrolment group, not
	// the other branch's.
	code, out, errs = runReplay(t, now, "--node", id("yangxin"), "--config", s.cfgPath, "--json")
	if code != 0 {
		t.Fatalf("replay --node: %d\n%s", code, errs)
	}
	golden(t, "replay-node.json", out)
	var j struct {
		Messages int
		Groups   []struct{ Name string }
	}
	if err := json.Unmarshal([]byte(out), &j); err != nil || j.Messages != 10 || len(j.Groups) != 2 {
		t.Errorf("--json: %d messages of %d groups, %v", j.Messages, len(j.Groups), err)
	}
	// An unsaved file in place of the group's: ads removed at once.
	draft := filepath.Join(t.TempDir(), "draft.toml")
	os.WriteFile(draft, []byte("[categories]\nad = \"kick\"\n"), 0o644)
	code, out, errs = runReplay(t, now, "--group", id("cohort"), "--rules", draft, "--config", s.cfgPath)
	if code != 0 {
		t.Fatalf("replay --rules: %d\n%s", code, errs)
	}
	golden(t, "replay-rules.golden", strings.ReplaceAll(out, draft, "draft.toml"))
	if _, err := os.Stat(filepath.Join(s.rulesDir, "groups")); err == nil {
		t.Error("replaying a file saved it")
	}
	// A file of the rules directory stands for itself.
	nodeFile := filepath.Join(s.rulesDir, "nodes", id("yangxin")+".toml")
	os.MkdirAll(filepath.Dir(nodeFile), 0o755)
	os.WriteFile(nodeFile+".draft", nil, 0o644)
	if sc := scopeOfFile(nodeFile, s.rulesDir); sc != (rules.Scope{Kind: "node", ID: ids["yangxin"]}) {
		t.Errorf("scope of %s: %+v", nodeFile, sc)
	}
	if sc := scopeOfFile(nodeFile+".draft", s.rulesDir); sc != (rules.Scope{}) {
		t.Errorf("scope of a draft beside: %+v", sc)
	}

	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("[categories]\nad = \"shoot\"\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "give --group ID or --node ID"},
		{[]string{"--group", "1", "--node", "1"}, 2, "give --group ID or --node ID"},
		{[]string{"--group", "-3"}, 2, "want an id"},
		{[]string{"--group", "1", "--since", "forever"}, 2, `--since "forever"`},
		{[]string{"--group", "1", "--since", "9999999d"}, 2, "--since"},
		{[]string{"--group", "1", "--examples", "0"}, 2, "--examples 0"},
		{[]string{"--group", "1", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"--group", "999", "--config", s.cfgPath}, 1, "group 999 not found"},
		{[]string{"--node", "999", "--config", s.cfgPath}, 1, "node 999 not found"},
		{[]string{"--group", id("cohort"), "--rules", bad, "--config", s.cfgPath}, 1, "bad.toml:2:"},
		{[]string{"--group", id("cohort"), "--rules", bad + ".none", "--config", s.cfgPath}, 1, "no such file"},
	} {
		code, out, errs := runReplay(t, now, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("rules replay %v: %d %q %q, want %d and %q", tc.args, code, out, errs, tc.code, tc.want)
		}
	}
	var out2, errb bytes.Buffer
	if code := Main(context.Background(), Env{Args: []string{"rules", "replya"}, Stdout: &out2, Stderr: &errb}); code != 2 || !strings.Contains(errb.String(), `did you mean "replay"`) {
		t.Errorf("rules replya: %d %q", code, errb.String())
	}
}
