package console_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/console"
	"github.com/qunzhu/qunzhu/internal/pipeline"
	"github.com/qunzhu/qunzhu/internal/rules"
	"github.com/qunzhu/qunzhu/internal/store"
	"github.com/qunzhu/qunzhu/internal/store/storetest"
)

// world is an organisation with a tree, groups in every state, members,
// messages moderated by the rules engine and reports awaiting review,
// built through the store and the ingest pipeline.
type world struct {
	t       *testing.T
	db      *store.DB
	srv     *console.Server
	url     string
	org     community.Org
	region  community.Node // 阳新县
	shop    community.Node // 阳新一店, under the region
	cohort  community.Group
	enrol   community.Group
	owners  community.Group
	temp    community.Group
	foreign community.Group
	rumour  int64 // report case: three reports, hidden
	single  int64 // report case: one report
	reg     *rules.Registry
	// advance moves the clock of the store, the ingester and the console.
	advance func(time.Duration)
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t}
	var mu sync.Mutex
	clock := now
	tick := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	w.advance = func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	w.db = storetest.Open(t, store.SQLite, tick)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	w.org = community.Org{Name: "学院", Slug: "a"}
	must(w.db.CreateOrg(ctx, &w.org))
	other := community.Org{Name: "别家", Slug: "b"}
	must(w.db.CreateOrg(ctx, &other))
	w.region = community.Node{OrgID: w.org.ID, Name: "阳新县", Kind: community.NodeRegion}
	must(w.db.CreateNode(ctx, &w.region))
	w.shop = community.Node{OrgID: w.org.ID, ParentID: w.region.ID, Name: "阳新一店", Kind: community.NodeStore}
	must(w.db.CreateNode(ctx, &w.shop))
	daye := community.Node{OrgID: w.org.ID, Name: "大冶市", Kind: community.NodeRegion}
	must(w.db.CreateNode(ctx, &daye))
	mk := func(g *community.Group) {
		g.Connection, g.Platform = "wx", "wecom"
		must(w.db.CreateGroup(ctx, g))
	}
	w.cohort = community.Group{OrgID: w.org.ID, NodeID: w.shop.ID, ExternalID: "g1", Name: "阳新第6期学员群", Kind: community.KindCohort}
	mk(&w.cohort)
	w.enrol = community.Group{OrgID: w.org.ID, NodeID: w.region.ID, ExternalID: "g2", Name: "阳新报名咨询群", Kind: community.KindEnrolment}
	mk(&w.enrol)
	w.owners = community.Group{OrgID: w.org.ID, NodeID: daye.ID, ExternalID: "g3", Name: "大冶锦绣花园业主群", Kind: community.KindOwners}
	mk(&w.owners)
	w.temp = community.Group{OrgID: w.org.ID, ExternalID: "g4", Name: "双十一临时群", Kind: community.KindTemporary, Lifecycle: community.Archived}
	mk(&w.temp)
	w.foreign = community.Group{OrgID: other.ID, ExternalID: "x1", Name: "别家的群", Kind: community.KindCohort}
	mk(&w.foreign)

	var err error
	w.reg, err = rules.NewRegistry(ctx, "", nil, rules.NewEngine(nil, nil), nil, nil)
	must(err)
	in := pipeline.NewIngester(pipeline.IngestConfig{Store: w.db, OrgFor: func(string) int64 { return w.org.ID }, Now: tick,
		Decider: &rules.Decider{Engine: w.reg.Engine(), RuleSet: w.reg.For, Offences: w.db.CountOffences}})
	go in.Run(ctx)
	seq := 0
	send := func(group, user, name, text, reply string, at time.Time) string {
		t.Helper()
		seq++
		id := fmt.Sprint("m", seq)
		e := chat.Event{ID: fmt.Sprint("e", seq), Connection: "wx", Platform: "wecom", Type: chat.EventMessage, Group: group, Time: at,
			Sender: chat.User{ID: user, Name: name}, Message: &chat.Message{ID: id, Kind: chat.KindText, Text: text, ReplyTo: reply}}
		must(in.Ingest(ctx, []chat.Event{e}))
		return id
	}
	old := clock.Add(-10 * 24 * time.Hour)
	for _, u := range []string{"a", "b", "c", "d"} {
		send("g1", u, "学员"+u, "大家好", "", old) // members of long standing
	}
	send("g1", "spammer", "小王", "老师好", "", old)
	send("g2", "e", "咨询者", "请问怎么报名", "", clock.Add(-20*24*time.Hour)) // dormant since
	// Live: an advert the rules warn about, a rumour three members report
	// (hidden pending review), a message one member reports.
	send("g1", "adguy", "卖货郎", "加 薇 信 abc1688", "", clock)
	rumour := send("g1", "spammer", "小王", "明天的课取消了，大家都别来了", "", clock)
	single := send("g1", "d", "学员d", "这节课讲得一般", "", clock)
	w.advance(time.Minute)
	for _, u := range []string{"a", "b", "c"} {
		send("g1", u, "学员"+u, "举报", rumour, tick())
	}
	send("g1", "a", "学员a", "举报", single, tick())
	cases, err := w.db.ReportCases(ctx, w.org.ID, "open")
	must(err)
	if len(cases) != 2 || cases[0].MessageID != rumour || !cases[0].Hidden || cases[1].MessageID != single || cases[1].Hidden {
		t.Fatalf("fixture: open cases %+v", cases)
	}
	w.rumour, w.single = cases[0].ID, cases[1].ID

	hash, err := console.HashPassword("correct horse")
	must(err)
	must(w.db.CreateUser(ctx, &access.User{OrgID: w.org.ID, Username: "admin", PasswordHash: hash, Role: "manager"}))
	w.srv = &console.Server{Store: w.db, Key: []byte("0123456789abcdef0123456789abcdef"), Now: tick}
	hs := httptest.NewServer(w.srv.Handler())
	t.Cleanup(hs.Close)
	w.url = hs.URL
	return w
}

// user logs in and returns the client.
func (w *world) user() *http.Client {
	w.t.Helper()
	c := client(w.t)
	if code, _ := login(w.t, c, w.url, "correct horse"); code != 200 {
		w.t.Fatalf("login: %d", code)
	}
	return c
}

// page GETs a path and fails unless it answers 200.
func (w *world) page(c *http.Client, path string) string {
	w.t.Helper()
	code, body := get(w.t, c, w.url+path)
	if code != 200 {
		w.t.Fatalf("GET %s: %d\n%s", path, code, body)
	}
	return html.UnescapeString(body)
}

// csv downloads a path as CSV and parses it.
func (w *world) csv(c *http.Client, path string) [][]string {
	w.t.Helper()
	resp, err := c.Get(w.url + path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		w.t.Fatalf("GET %s: %d %s %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	rest, ok := bytes.CutPrefix(b, []byte("\xEF\xBB\xBF"))
	if !ok {
		w.t.Fatalf("GET %s: no UTF-8 byte order mark", path)
	}
	rows, err := csv.NewReader(bytes.NewReader(rest)).ReadAll()
	if err != nil {
		w.t.Fatalf("GET %s: %v\n%s", path, err, rest)
	}
	return rows
}

// anonymous asserts a request without a session is sent to the login page
// (and not served).
func (w *world) anonymous(method, path string) {
	w.t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(method, w.url+path, strings.NewReader("decision=dismiss"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		w.t.Fatalf("anonymous %s %s: %d %q, want a redirect to /login", method, path, resp.StatusCode, resp.Header.Get("Location"))
	}
}

// rowsOf returns the body rows of an HTML table, as the text of each row.
func rowsOf(body, id string) []string {
	_, table, ok := strings.Cut(body, `<table id="`+id+`">`)
	if !ok {
		return nil
	}
	table, _, _ = strings.Cut(table, "</table>")
	_, tbody, _ := strings.Cut(table, "<tbody>")
	var out []string
	for _, tr := range strings.Split(tbody, "<tr")[1:] {
		out = append(out, tr)
	}
	return out
}

// names returns which of the names each row holds, in row order.
func names(rows []string, all ...string) []string {
	var out []string
	for _, r := range rows {
		for _, n := range all {
			if strings.Contains(r, n) {
				out = append(out, n)
			}
		}
	}
	return out
}
