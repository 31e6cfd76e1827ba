package api_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/api"
)

// writeRoutes reads the API's write routes (POST, PUT, PATCH, DELETE on
// /api/v1/…) from its sources, with the line that registers each, so a
// route added later is checked without anyone listing it here.
func writeRoutes(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("*.go")
	route := regexp.MustCompile(`mux\.HandleFunc\("((?:POST|PUT|PATCH|DELETE) /api/v1/[^"]*)"(\+op)?`)
	ops := regexp.MustCompile(`for _, op := range \[\]string\{([^}]*)\}`)
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var loop []string
		for _, line := range strings.Split(string(b), "\n") {
			if m := ops.FindStringSubmatch(line); m != nil {
				loop = strings.Split(strings.NewReplacer(`"`, "", " ", "").Replace(m[1]), ",")
			}
			m := route.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			if m[2] == "" {
				out[m[1]] = line
				continue
			}
			for _, op := range loop {
				out[m[1]+op] = line
			}
		}
	}
	if len(out) < 40 {
		t.Fatalf("found %d write routes: the pattern no longer matches the sources", len(out))
	}
	return out
}

// TestEveryWriteChecksPermission: every write names the permission it
// needs (access.Token.May through s.may, or an operations-centre role
// through s.opsRole), and a read token is refused each of them (403) while
// an admin token is not refused any.
func TestEveryWriteChecksPermission(t *testing.T) {
	routes := writeRoutes(t)
	ctx := context.Background()
	e := newEnv(t)
	srv := &api.Server{Store: e.db, Admin: e.db, Content: e.db, Audit: e.db, Analytics: e.db, Structure: e.db}
	h := srv.Handler()
	ops, err := e.db.CreateToken(ctx, e.org, "reviewer", "ops:reviewer")
	if err != nil {
		t.Fatal(err)
	}
	for r, line := range routes {
		if strings.Contains(line, "s.connectionAuth(") {
			continue // bridges, with their connection's token
		}
		if !strings.Contains(line, "s.may(access.") && !strings.Contains(line, "s.opsRole(") {
			t.Errorf("%s: names no permission: %s", r, strings.TrimSpace(line))
		}
		method, path, _ := strings.Cut(r, " ")
		path = strings.NewReplacer("{id}", "1", "{person}", "1").Replace(path)
		if code := serve(h, method, path, e.read, `{}`); code != 403 {
			t.Errorf("%s with a read token: %d, want 403", r, code)
		}
		content := strings.Contains(line, "s.opsRole(")
		if code := serve(h, method, path, ops, `{}`); !content && code != 403 {
			t.Errorf("%s with an ops:reviewer token: %d, want 403", r, code)
		}
		if code := serve(h, method, path, e.token, `{}`); code == 403 || code == 401 {
			t.Errorf("%s with an admin token: %d", r, code)
		}
	}
}

func serve(h http.Handler, method, path, token, body string) int {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w.Code
}
