package wecom_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat/wecom"
	"github.com/qunzhu/qunzhu/internal/chat/wecom/wecomtest"
)

func TestTokenCachedAndRefreshedOnce(t *testing.T) {
	fake := wecomtest.New(corpID, secret)
	defer fake.Close()
	fake.AddGroup(wecomtest.Group{ChatID: chatA, Owner: ownerA})
	c, err := wecom.NewClient(wecom.ClientConfig{APIURL: fake.URL, CorpID: corpID, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for range 3 {
		if _, err := c.GetGroupChat(ctx, chatA); err != nil {
			t.Fatal(err)
		}
	}
	if n := fake.TokenCalls(); n != 1 {
		t.Fatalf("%d tokens fetched for 3 calls", n)
	}
	fake.ExpireTokens()
	if _, err := c.GetGroupChat(ctx, chatA); err != nil {
		t.Fatalf("after the token expired: %v", err)
	}
	if n := fake.TokenCalls(); n != 2 {
		t.Fatalf("%d tokens fetched", n)
	}
	// Refused twice in a row: one refresh, then the error.
	fake.Fail("externalcontact/groupchat/get", 42001, 42001)
	_, err = c.GetGroupChat(ctx, chatA)
	var ae *wecom.APIError
	if !errors.As(err, &ae) || ae.Code != 42001 {
		t.Fatalf("refused twice: %v", err)
	}
	if n := fake.TokenCalls(); n != 3 {
		t.Fatalf("%d tokens fetched; want one refresh", n)
	}
}

func TestPerAPIRateLimit(t *testing.T) {
	fake := wecomtest.New(corpID, secret)
	defer fake.Close()
	fake.AddGroup(wecomtest.Group{ChatID: chatA, Owner: ownerA})
	c, _ := wecom.NewClient(wecom.ClientConfig{APIURL: fake.URL, CorpID: corpID, Secret: secret,
		Rates: map[string]wecom.Rate{"externalcontact/groupchat/get": {N: 2, Per: time.Hour}}})
	ctx := context.Background()
	for range 2 {
		if _, err := c.GetGroupChat(ctx, chatA); err != nil {
			t.Fatal(err)
		}
	}
	// Other APIs are paced on their own.
	if _, err := c.ListGroupChats(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.GetGroupChat(short, chatA); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third call within the hour: %v", err)
	}
}

func TestStatistics(t *testing.T) {
	fake := wecomtest.New(corpID, secret)
	defer fake.Close()
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	fake.SetStats(ownerA, day, wecom.GroupStats{NewMemberCnt: 5, MemberTotal: 120, MemberHasMsg: 30, MsgTotal: 410, ChatTotal: 2})
	c, _ := wecom.NewClient(wecom.ClientConfig{APIURL: fake.URL, CorpID: corpID, Secret: secret})
	got, err := c.StatsByOwner(context.Background(), day, []string{ownerA, "nobody"})
	if err != nil || len(got) != 1 || got[0].Owner != ownerA || got[0].Data.MsgTotal != 410 || got[0].Data.MemberHasMsg != 30 {
		t.Fatalf("stats: %+v %v", got, err)
	}
}

func TestListFollowsTheCursor(t *testing.T) {
	fake := wecomtest.New(corpID, secret)
	defer fake.Close()
	for i := range 1005 {
		fake.AddGroup(wecomtest.Group{ChatID: fmt.Sprintf("wr%05d", i), Owner: ownerA})
	}
	c, _ := wecom.NewClient(wecom.ClientConfig{APIURL: fake.URL, CorpID: corpID, Secret: secret})
	refs, err := c.ListGroupChats(context.Background())
	if err != nil || len(refs) != 1005 || refs[1004].ChatID != "wr01004" {
		t.Fatalf("%d groups, %v", len(refs), err)
	}
	if n := strings.Count(strings.Join(fake.Calls(), ","), "groupchat/list"); n != 2 {
		t.Fatalf("%d pages", n)
	}
}
