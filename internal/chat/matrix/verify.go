package matrix

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"maunium.net/go/mautrix"
)

// ErrTokenRefused is returned by Whoami when the homeserver refuses the
// access token.
var ErrTokenRefused = errors.New("the access token was refused")

// Whoami checks an access token before a connection is stored: it asks
// the homeserver whose token it is and returns that user id (the bot's,
// @name:server). A token the homeserver refuses wraps ErrTokenRefused.
func Whoami(ctx context.Context, homeserver, accessToken string) (string, error) {
	homeserver = strings.TrimRight(strings.TrimSpace(homeserver), "/")
	if !strings.HasPrefix(homeserver, "http://") && !strings.HasPrefix(homeserver, "https://") {
		return "", fmt.Errorf("homeserver %q: want its http(s) URL, such as https://matrix.example.org", homeserver)
	}
	if strings.TrimSpace(accessToken) == "" {
		return "", fmt.Errorf("%w: none given", ErrTokenRefused)
	}
	cli, err := mautrix.NewClient(homeserver, "", strings.TrimSpace(accessToken))
	if err != nil {
		return "", fmt.Errorf("homeserver %q: %w", homeserver, err)
	}
	cli.Client = &http.Client{Timeout: 20 * time.Second}
	resp, err := cli.Whoami(ctx)
	if err != nil {
		var he mautrix.HTTPError
		if errors.Is(err, mautrix.MUnknownToken) || errors.Is(err, mautrix.MMissingToken) || (errors.As(err, &he) && he.IsStatus(http.StatusUnauthorized)) {
			return "", fmt.Errorf("%w by %s", ErrTokenRefused, homeserver)
		}
		return "", fmt.Errorf("cannot reach the homeserver %s: %w", homeserver, err)
	}
	if resp.UserID == "" {
		return "", fmt.Errorf("the homeserver %s answered whoami without a user id", homeserver)
	}
	return string(resp.UserID), nil
}
