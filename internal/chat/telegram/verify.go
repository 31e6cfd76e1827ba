package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Bot is a bot as getMe describes it.
type Bot struct {
	ID       int64
	Username string // without @
	Name     string // first name
}

// ErrTokenRefused is returned by GetMe when the Bot API server refuses the
// token (401, or 404 for one of the wrong shape).
var ErrTokenRefused = errors.New("the bot token was refused")

// GetMe checks a bot token before a connection is stored: it asks getMe
// of the Bot API server at apiURL (DefaultAPIURL when empty) and returns
// the bot. A token of the wrong shape or one Telegram refuses wraps
// ErrTokenRefused; the token never appears in an error. client may be
// nil (each call carries ctx's deadline).
func GetMe(ctx context.Context, apiURL, token string, client *http.Client) (Bot, error) {
	token = strings.TrimSpace(token)
	if !tokenRE().MatchString(token) {
		return Bot{}, fmt.Errorf("%w: it does not look like a token from @BotFather (123456789:AAE… with 35 characters after the colon)", ErrTokenRefused)
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	apiURL = strings.TrimRight(apiURL, "/")
	if u, err := url.Parse(apiURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Bot{}, fmt.Errorf("api_url %q: want an http(s) URL such as %s", apiURL, DefaultAPIURL)
	}
	if client == nil {
		client = &http.Client{}
	}
	c := &apiClient{http: client, base: apiURL + "/bot" + token}
	var me tgUser
	err := c.call(ctx, "getMe", nil, &me)
	if err != nil {
		err = (&Adapter{cfg: Config{Token: token}}).redact(err)
		if code := apiCode(err); code == 401 || code == 404 {
			return Bot{}, fmt.Errorf("%w by %s: %w", ErrTokenRefused, apiURL, err)
		}
		return Bot{}, fmt.Errorf("cannot reach the Bot API at %s: %w", apiURL, err)
	}
	if !me.IsBot || me.Username == "" {
		return Bot{}, fmt.Errorf("getMe at %s answered with a user that is not a bot (%q)", apiURL, me.Username)
	}
	return Bot{ID: me.ID, Username: me.Username, Name: strings.TrimSpace(me.FirstName + " " + me.LastName)}, nil
}

// AddToGroupLink is the link that adds a bot to a group of the user's
// choice and asks for the administrator rights qunzhu uses (delete
// messages, restrict and ban members, invite users, pin messages, promote
// members for staff roles).
func AddToGroupLink(username string) string {
	return "https://t.me/" + url.PathEscape(username) + "?startgroup=qunzhu&admin=change_info+delete_messages+restrict_members+invite_users+pin_messages+promote_members"
}
