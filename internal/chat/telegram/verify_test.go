package telegram

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGetMe(t *testing.T) {
	const good = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/bot"+good+"/getMe" {
			w.WriteHeader(401)
			io.WriteString(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`)
			return
		}
		io.WriteString(w, `{"ok":true,"result":{"id":4242,"is_bot":true,"first_name":"群主","username":"qunzhu_bot"}}`)
	}))
	defer srv.Close()
	bot, err := GetMe(context.Background(), srv.URL, " "+good+"\n", nil)
	if err != nil || bot.ID != 4242 || bot.Username != "qunzhu_bot" || bot.Name != "群主" {
		t.Fatalf("getMe: %+v %v", bot, err)
	}
	refused := "987654321:AAEabcdefghijklmnopqrstuvwxyz012345"
	_, err = GetMe(context.Background(), srv.URL, refused, nil)
	if !errors.Is(err, ErrTokenRefused) || strings.Contains(err.Error(), refused) {
		t.Fatalf("a refused token: %v", err)
	}
	if _, err := GetMe(context.Background(), srv.URL, "not-a-token", nil); !errors.Is(err, ErrTokenRefused) {
		t.Fatalf("a malformed token: %v", err)
	}
	srv.Close()
	_, err = GetMe(context.Background(), srv.URL, good, nil)
	if err == nil || errors.Is(err, ErrTokenRefused) || strings.Contains(err.Error(), good) {
		t.Fatalf("an unreachable server: %v", err)
	}
	if l := AddToGroupLink("qunzhu_bot"); !strings.HasPrefix(l, "https://t.me/qunzhu_bot?startgroup=") || !strings.Contains(l, "delete_messages") {
		t.Fatalf("link %s", l)
	}
}
