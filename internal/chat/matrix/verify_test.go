package matrix

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWhoami(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/_matrix/client/v3/account/whoami" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer syt_good" {
			w.WriteHeader(401)
			io.WriteString(w, `{"errcode":"M_UNKNOWN_TOKEN","error":"Invalid access token passed."}`)
			return
		}
		io.WriteString(w, `{"user_id":"@qunzhu:example.org","device_id":"QZ"}`)
	}))
	defer srv.Close()
	ctx := context.Background()
	if id, err := Whoami(ctx, srv.URL+"/", " syt_good "); err != nil || id != "@qunzhu:example.org" {
		t.Fatalf("whoami: %q %v", id, err)
	}
	if _, err := Whoami(ctx, srv.URL, "syt_bad"); !errors.Is(err, ErrTokenRefused) {
		t.Fatalf("a refused token: %v", err)
	}
	if _, err := Whoami(ctx, "matrix.example.org", "syt_good"); err == nil {
		t.Fatal("a homeserver without a scheme was accepted")
	}
	srv.Close()
	if _, err := Whoami(ctx, srv.URL, "syt_good"); err == nil || errors.Is(err, ErrTokenRefused) {
		t.Fatalf("an unreachable homeserver: %v", err)
	}
}
