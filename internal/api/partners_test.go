package api_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/qunzhu/qunzhu/internal/community"
)

// TestPartnerWorkflowAPI: admit, rename and cap a level, release a seat
// (the waitlist moves up), read the waitlist by name.
func TestPartnerWorkflowAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	node := community.Node{OrgID: e.org, Name: "阳新分院", Kind: community.NodeRegion}
	if err := e.db.CreateNode(ctx, &node); err != nil {
		t.Fatal(err)
	}
	_, out := e.do(t, "POST", "/api/v1/partner-levels", e.token, `{"slug":"city","name":"城市合伙人","rank":2,"cap":1}`)
	lvl := int64(out["id"].(float64))
	var ps []int64
	for _, name := range []string{"王芳", "李雷", "韩梅梅"} {
		p := community.Person{OrgID: e.org, Name: name}
		if err := e.db.CreatePerson(ctx, &p); err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p.ID)
	}
	for _, p := range ps {
		e.do(t, "POST", fmt.Sprintf("/api/v1/partner-levels/%d/admissions", lvl), e.token, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, node.ID, p))
	}
	code, out := e.do(t, "GET", fmt.Sprintf("/api/v1/partner-levels/%d/waitlist?entity_id=%d", lvl, node.ID), e.read, "")
	if w, _ := out["waitlist"].([]any); code != 200 || len(w) != 2 || w[0].(map[string]any)["person"] != "李雷" || w[1].(map[string]any)["position"] != 2.0 {
		t.Fatalf("waitlist: %d %v", code, out)
	}
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/partner-levels/%d/seats?entity_id=%d", lvl, node.ID), e.read, "")
	seat := int64(out["seats"].([]any)[0].(map[string]any)["id"].(float64))
	code, out = e.do(t, "POST", fmt.Sprintf("/api/v1/partner-seats/%d/release", seat), e.token, "")
	if moved, _ := out["moved_up"].(map[string]any); code != 200 || moved == nil || moved["person"] != "李雷" || moved["number"] != 2.0 || moved["group_id"] != 0.0 {
		t.Fatalf("release: %d %v", code, out)
	}
	// Rename and a cap of 2: 韩梅梅 moves up too.
	code, out = e.do(t, "PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl), e.token, `{"name":" 城市合伙人（阳新） ","cap":2}`)
	if moved, _ := out["moved_up"].([]any); code != 200 || out["name"] != "城市合伙人（阳新）" || out["cap"] != 2.0 || len(moved) != 1 || moved[0].(map[string]any)["person"] != "韩梅梅" {
		t.Fatalf("patch: %d %v", code, out)
	}
	code, out = e.do(t, "POST", "/api/v1/campaigns", e.token, fmt.Sprintf(`{"name":"阳新冬季招生","node_id":%d}`, node.ID))
	if code != 201 || out["node_id"] != float64(node.ID) {
		t.Fatalf("campaign: %d %v", code, out)
	}
	if code, out = e.do(t, "GET", "/api/v1/campaigns", e.read, ""); code != 200 || len(out["campaigns"].([]any)) != 1 {
		t.Fatalf("campaigns: %d %v", code, out)
	}
}

// TestPartnerGrowthBadInput: every write and read of the partner and
// growth API answers bad input with a 4xx that says what is wrong, never
// a 500 (the bug: an unknown person admitted answered 500).
func TestPartnerGrowthBadInput(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	node := community.Node{OrgID: e.org, Name: "阳新分院", Kind: community.NodeRegion}
	e.db.CreateNode(ctx, &node)
	other := community.Org{Name: "第三家", Slug: "third"}
	e.db.CreateOrg(ctx, &other)
	theirNode := community.Node{OrgID: other.ID, Name: "别处", Kind: community.NodeRegion}
	e.db.CreateNode(ctx, &theirNode)
	stranger := community.Person{OrgID: other.ID, Name: "外人"}
	e.db.CreatePerson(ctx, &stranger)
	p := community.Person{OrgID: e.org, Name: "王芳"}
	e.db.CreatePerson(ctx, &p)
	g := community.Group{OrgID: e.org, NodeID: node.ID, Connection: "wx", Platform: "webhook", ExternalID: "g1", Name: "阳新一群"}
	e.db.CreateGroup(ctx, &g)
	_, out := e.do(t, "POST", "/api/v1/partner-levels", e.token, `{"slug":"city","name":"城市合伙人","rank":2,"cap":1}`)
	lvl := int64(out["id"].(float64))
	_, out = e.do(t, "POST", "/api/v1/campaigns", e.token, `{"name":"冬季招生"}`)
	camp := int64(out["id"].(float64))
	e.do(t, "POST", fmt.Sprintf("/api/v1/partner-levels/%d/admissions", lvl), e.token, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, node.ID, p.ID))
	_, out = e.do(t, "GET", fmt.Sprintf("/api/v1/partner-levels/%d/seats?entity_id=%d", lvl, node.ID), e.read, "")
	seat := int64(out["seats"].([]any)[0].(map[string]any)["id"].(float64))

	admissions := fmt.Sprintf("/api/v1/partner-levels/%d/admissions", lvl)
	for _, tt := range []struct {
		what, method, path, body string
		want                     int
	}{
		{"admit an unknown person (the bug)", "POST", "/api/v1/partner-levels/1/admissions", fmt.Sprintf(`{"entity_id":%d,"person_id":999999}`, node.ID), 404},
		{"admit an unknown person", "POST", admissions, fmt.Sprintf(`{"entity_id":%d,"person_id":999999}`, node.ID), 404},
		{"admit another organisation's person", "POST", admissions, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, node.ID, stranger.ID), 404},
		{"admit at an unknown entity", "POST", admissions, fmt.Sprintf(`{"entity_id":999999,"person_id":%d}`, p.ID), 400},
		{"admit at another organisation's node", "POST", admissions, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, theirNode.ID, p.ID), 400},
		{"admit without a person", "POST", admissions, fmt.Sprintf(`{"entity_id":%d}`, node.ID), 400},
		{"admit with a string id", "POST", admissions, `{"entity_id":"x","person_id":1}`, 400},
		{"admit twice", "POST", admissions, fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, node.ID, p.ID), 409},
		{"admit to an unknown level", "POST", "/api/v1/partner-levels/999999/admissions", fmt.Sprintf(`{"entity_id":%d,"person_id":%d}`, node.ID, p.ID), 404},
		{"admit to level x", "POST", "/api/v1/partner-levels/x/admissions", `{}`, 400},
		{"a level without a name", "POST", "/api/v1/partner-levels", `{"slug":"x","name":" "}`, 400},
		{"a level with cap -1", "POST", "/api/v1/partner-levels", `{"slug":"x","name":"x","cap":-1}`, 400},
		{"a level's slug twice", "POST", "/api/v1/partner-levels", `{"slug":"city","name":"又一个"}`, 409},
		{"patch nothing", "PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl), `{}`, 400},
		{"patch cap 0", "PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl), `{"cap":0}`, 400},
		{"patch a blank name", "PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl), `{"name":""}`, 400},
		{"patch an unknown field", "PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl), `{"seats":3}`, 400},
		{"patch an unknown level", "PATCH", "/api/v1/partner-levels/999999", `{"cap":3}`, 404},
		{"tiers of an unknown level", "PUT", "/api/v1/partner-levels/999999/tiers", `{"tiers":[]}`, 404},
		{"tiers short of the cap", "PUT", fmt.Sprintf("/api/v1/partner-levels/%d/tiers", lvl), `{"tiers":[{"from":2,"to":5,"slug":"a","name":"A"}]}`, 400},
		{"seats without an entity", "GET", fmt.Sprintf("/api/v1/partner-levels/%d/seats", lvl), "", 400},
		{"waitlist without an entity", "GET", fmt.Sprintf("/api/v1/partner-levels/%d/waitlist", lvl), "", 400},
		{"waitlist of an unknown level", "GET", fmt.Sprintf("/api/v1/partner-levels/999999/waitlist?entity_id=%d", node.ID), "", 404},
		{"release an unknown seat", "POST", "/api/v1/partner-seats/999999/release", "", 404},
		{"release seat x", "POST", "/api/v1/partner-seats/x/release", "", 400},
		{"a campaign without a name", "POST", "/api/v1/campaigns", `{"name":""}`, 400},
		{"a campaign's name twice", "POST", "/api/v1/campaigns", `{"name":"冬季招生"}`, 409},
		{"a campaign of an unknown node", "POST", "/api/v1/campaigns", `{"name":"x","node_id":999999}`, 404},
		{"a campaign of another organisation's node", "POST", "/api/v1/campaigns", fmt.Sprintf(`{"name":"y","node_id":%d}`, theirNode.ID), 404},
		{"a campaign of node -1", "POST", "/api/v1/campaigns", `{"name":"z","node_id":-1}`, 400},
		{"archive an unknown campaign", "POST", "/api/v1/campaigns/999999/archive", "", 404},
		{"growth of an unknown campaign", "GET", "/api/v1/campaigns/999999/growth", "", 404},
		{"a code of an unknown person", "POST", "/api/v1/invite-codes", `{"person_id":999999}`, 404},
		{"a code of another organisation's person", "POST", "/api/v1/invite-codes", fmt.Sprintf(`{"person_id":%d}`, stranger.ID), 404},
		{"a code for an unknown group", "POST", "/api/v1/invite-codes", fmt.Sprintf(`{"person_id":%d,"group_id":999999}`, p.ID), 404},
		{"a code of an unknown campaign", "POST", "/api/v1/invite-codes", `{"campaign_id":999999}`, 404},
		{"a code of nobody", "POST", "/api/v1/invite-codes", `{}`, 400},
		{"a code with a space", "POST", "/api/v1/invite-codes", fmt.Sprintf(`{"campaign_id":%d,"code":"A B C D E"}`, camp), 400},
		{"a code of fewer than 8 characters", "POST", "/api/v1/invite-codes", fmt.Sprintf(`{"campaign_id":%d,"code":"WIN2026"}`, camp), 400},
		{"a code with negative ids", "POST", "/api/v1/invite-codes", `{"person_id":-4}`, 400},
		{"referrals of an unknown person", "GET", "/api/v1/people/999999/referrals", "", 404},
		{"referrals of another organisation's person", "GET", fmt.Sprintf("/api/v1/people/%d/referrals", stranger.ID), "", 404},
		{"decide an unknown eligibility case", "POST", "/api/v1/eligibility-cases/999999/decision", `{"approve":true}`, 404},
		{"eligibility of an unknown level", "PUT", fmt.Sprintf("/api/v1/groups/%d/eligibility", g.ID), `{"level_id":999999,"handling":"approve"}`, 404},
		{"eligibility with a negative grace", "PUT", fmt.Sprintf("/api/v1/groups/%d/eligibility", g.ID), fmt.Sprintf(`{"level_id":%d,"handling":"grace","grace":"-1h"}`, lvl), 400},
	} {
		code, out := e.do(t, tt.method, tt.path, e.token, tt.body)
		if code != tt.want {
			t.Errorf("%s: %s %s = %d %v, want %d", tt.what, tt.method, tt.path, code, out, tt.want)
		}
		if errBody, _ := out["error"].(map[string]any); code >= 400 && (errBody == nil || errBody["message"] == "") {
			t.Errorf("%s: %d without a message: %v", tt.what, code, out)
		}
	}
	// A read token writes nothing.
	for _, w := range [][2]string{{"PATCH", fmt.Sprintf("/api/v1/partner-levels/%d", lvl)}, {"POST", fmt.Sprintf("/api/v1/partner-seats/%d/release", seat)}, {"POST", "/api/v1/campaigns"}} {
		if code, _ := e.do(t, w[0], w[1], e.read, `{"cap":5,"name":"x"}`); code != 403 {
			t.Errorf("a read token: %s %s = %d, want 403", w[0], w[1], code)
		}
	}
	// The seat is still there, released once, then gone.
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/partner-seats/%d/release", seat), e.token, ""); code != 200 {
		t.Fatalf("release: %d", code)
	}
	if code, _ := e.do(t, "POST", fmt.Sprintf("/api/v1/partner-seats/%d/release", seat), e.token, ""); code != 404 {
		t.Fatalf("release twice: %d", code)
	}
}
