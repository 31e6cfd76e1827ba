package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
)

func TestOrganisationAPI(t *testing.T) {
	e := newEnv(t)
	code, out := e.do(t, "POST", "/api/v1/nodes", e.token, `{"name":"湖北农夫电商","kind":"company"}`)
	if code != 201 {
		t.Fatalf("create root: %d %v", code, out)
	}
	root := int(out["id"].(float64))
	code, out = e.do(t, "POST", "/api/v1/nodes", e.token, fmt.Sprintf(`{"parent_id":%d,"name":"阳新","kind":"region"}`, root))
	if code != 201 {
		t.Fatalf("create branch: %d %v", code, out)
	}
	branch := int(out["id"].(float64))
	if code, out = e.do(t, "PATCH", fmt.Sprintf("/api/v1/nodes/%d", root), e.token, fmt.Sprintf(`{"parent_id":%d}`, branch)); code != 400 {
		t.Fatalf("cycle: %d %v, want 400", code, out)
	}
	if code, out = e.do(t, "POST", "/api/v1/nodes", e.read, `{"name":"x"}`); code != 403 {
		t.Fatalf("read-only token writing: %d %v, want 403", code, out)
	}
	if code, out = e.do(t, "POST", "/api/v1/nodes", e.token, `{"name":"x","colour":"red"}`); code != 400 {
		t.Fatalf("unknown field: %d %v, want 400", code, out)
	}
	if code, out = e.do(t, "GET", "/api/v1/nodes", e.read, ""); code != 200 || len(out["nodes"].([]any)) != 2 {
		t.Fatalf("list nodes: %d %v", code, out)
	}

	// A partner level with 2 seats at the branch.
	code, out = e.do(t, "POST", "/api/v1/partner-levels", e.token, `{"slug":"city","name":"城市合伙人","rank":2,"cap":2}`)
	if code != 201 {
		t.Fatalf("create level: %d %v", code, out)
	}
	lvl := int(out["id"].(float64))
	var ps []int64
	for i := 0; i < 3; i++ {
		p := community.Person{OrgID: e.org, Name: fmt.Sprint("p", i)}
		e.db.CreatePerson(context.Background(), &p)
		ps = append(ps, p.ID)
	}
	admit := func(p int64) (int, map[string]any) {
		return e.do(t, "POST", fmt.Sprintf("/api/v1/partner-levels/%d/admissions", lvl), e.token, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, branch, p))
	}
	if code, out = admit(ps[0]); code != 201 || out["seat"].(map[string]any)["tier"] != "founding" {
		t.Fatalf("first admission: %d %v", code, out)
	}
	admit(ps[1])
	if code, out = admit(ps[2]); code != 202 || out["position"] != 1.0 {
		t.Fatalf("third admission to 2 seats: %d %v, want 202 waitlisted at 1", code, out)
	}
	// The level's own tier bands: seat 2 is now a "pioneer".
	if code, out = e.do(t, "PUT", fmt.Sprintf("/api/v1/partner-levels/%d/tiers", lvl), e.token, `{"tiers":[{"from":1,"to":1,"slug":"founding","name":"创始"}]}`); code != 400 {
		t.Fatalf("bands short of the cap: %d %v", code, out)
	}
	if code, out = e.do(t, "PUT", fmt.Sprintf("/api/v1/partner-levels/%d/tiers", lvl), e.read, `{"tiers":[]}`); code != 403 {
		t.Fatalf("a read token set tiers: %d", code)
	}
	code, out = e.do(t, "PUT", fmt.Sprintf("/api/v1/partner-levels/%d/tiers", lvl), e.token, `{"tiers":[{"from":1,"to":1,"slug":"founding","name":"创始"},{"from":2,"to":2,"slug":"pioneer","name":"先锋"}]}`)
	if code != 200 || len(out["tiers"].([]any)) != 2 {
		t.Fatalf("set tiers: %d %v", code, out)
	}
	if code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/partner-levels/%d/seats?entity_id=%d", lvl, branch), e.read, ""); code != 200 || len(out["seats"].([]any)) != 2 ||
		out["seats"].([]any)[1].(map[string]any)["tier_name"] != "先锋" {
		t.Fatalf("seats: %d %v", code, out)
	}
	if code, out = e.do(t, "POST", "/api/v1/partner-levels/9999/admissions", e.token, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, branch, ps[0])); code != 404 {
		t.Fatalf("unknown level: %d %v", code, out)
	}

	// Campaigns and codes.
	code, out = e.do(t, "POST", "/api/v1/campaigns", e.token, `{"name":"冬季招生"}`)
	if code != 201 {
		t.Fatalf("campaign: %d %v", code, out)
	}
	camp := int(out["id"].(float64))
	if code, out = e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d,"code":"WINTER26"}`, camp)); code != 201 || out["code"] != "WINTER26" {
		t.Fatalf("code: %d %v", code, out)
	}
	if code, out = e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d,"code":"WIN7"}`, camp)); code != 400 || !strings.Contains(fmt.Sprint(out), "8 to 32 characters") {
		t.Fatalf("a short code: %d %v, want 400", code, out)
	}
	if code, out = e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d,"code":"WINTER26"}`, camp)); code != 409 {
		t.Fatalf("duplicate code: %d %v, want 409", code, out)
	}
	e.do(t, "POST", fmt.Sprintf("/api/v1/campaigns/%d/archive", camp), e.token, "")
	if code, out = e.do(t, "POST", "/api/v1/invite-codes", e.token, fmt.Sprintf(`{"campaign_id":%d}`, camp)); code != 400 {
		t.Fatalf("code of an archived campaign: %d %v, want 400", code, out)
	}
	if code, out = e.do(t, "GET", fmt.Sprintf("/api/v1/people/%d/referrals?depth=3", ps[0]), e.read, ""); code != 200 {
		t.Fatalf("referrals: %d %v", code, out)
	}
	if code, out = e.do(t, "GET", "/api/v1/leaderboards/inviters?days=0", e.read, ""); code != 400 {
		t.Fatalf("bad days: %d %v", code, out)
	}
	if code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/people/%d/ban", ps[1]), e.token, `{"reason":"屡次广告"}`); code != 200 || out["banned"] != true {
		t.Fatalf("ban: %d %v", code, out)
	}
	if code, out = e.do(t, "DELETE", fmt.Sprintf("/api/v1/people/%d/ban", ps[1]), e.token, ""); code != 200 || out["banned"] != false {
		t.Fatalf("unban: %d %v", code, out)
	}
	if code, out = e.do(t, "DELETE", fmt.Sprintf("/api/v1/people/%d/ban", ps[1]), e.token, ""); code != 404 {
		t.Fatalf("second unban: %d %v, want 404", code, out)
	}
}

func TestAuditExport(t *testing.T) {
	e := newEnv(t)
	// Creating the token wrote the first audit entry.
	code, out := e.do(t, "GET", "/api/v1/audit", e.read, "")
	entries, _ := out["entries"].([]any)
	if code != 200 || len(entries) == 0 || entries[len(entries)-1].(map[string]any)["action"] != "token.create" {
		t.Fatalf("audit: %d %v", code, out)
	}
	// Text that a spreadsheet would run as a formula is defused in the
	// export, as in the console's.
	if err := e.db.AppendAudit(context.Background(), community.AuditEntry{OrgID: e.org, Actor: `=HYPERLINK("http://evil.example","点我")`, Action: "test", Subject: "+1+1", Detail: "{}"}); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/audit?format=csv", nil)
	req.Header.Set("Authorization", "Bearer "+e.read)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(string(body), "id,time,actor,action,subject,detail") || !strings.Contains(string(body), "token.create") {
		t.Fatalf("csv: %s\n%s", resp.Header, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\xEF\xBB\xBF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if i := slices.IndexFunc(recs, func(r []string) bool { return r[3] == "test" }); i < 0 || recs[i][2] != `'=HYPERLINK("http://evil.example","点我")` || recs[i][4] != "'+1+1" {
		t.Fatalf("formula cells not defused: %q", recs)
	}
	if code, out := e.do(t, "GET", "/api/v1/moderation?limit=0", e.read, ""); code != 400 {
		t.Fatalf("bad limit: %d %v", code, out)
	}
}

// TestAuditControlCharacters: a note with a control character once made
// the audit detail invalid JSON (built with %q), and GET /api/v1/audit
// answered an empty 200. Details are JSON now, an old bad row is embedded
// as text, and the answer is whole.
func TestAuditControlCharacters(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.db.BanEverywhere(ctx, e.org, mustPerson(t, e, "广告员"), "违规\x01\a广告 \"引号\"", "test"); err != nil {
		t.Fatal(err)
	}
	// A row as the old code wrote it.
	if _, err := e.db.SQL().ExecContext(ctx, `INSERT INTO audit_log (org_id, at, actor, action, subject, detail) VALUES (?, 0, 'old', 'report.upheld', 'report:1', ?)`,
		e.org, `{"action":"send","note":"\x01"}`); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v1/audit", nil)
	req.Header.Set("Authorization", "Bearer "+e.read)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var out struct {
		Entries []struct {
			Action string         `json:"action"`
			Detail map[string]any `json:"detail"`
		} `json:"entries"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("audit: %d %q", resp.StatusCode, raw)
	}
	found := map[string]map[string]any{}
	for _, en := range out.Entries {
		found[en.Action] = en.Detail
	}
	if d := found["ban.add"]; d == nil || d["reason"] != "违规\x01\a广告 \"引号\"" {
		t.Fatalf("ban.add detail %v in %s", d, raw)
	}
	if d := found["report.upheld"]; d == nil || d["text"] != `{"action":"send","note":"\x01"}` {
		t.Fatalf("the old row's detail %v in %s", d, raw)
	}
}

func mustPerson(t *testing.T, e *env, name string) int64 {
	t.Helper()
	p := community.Person{OrgID: e.org, Name: name}
	if err := e.db.CreatePerson(context.Background(), &p); err != nil {
		t.Fatal(err)
	}
	return p.ID
}
