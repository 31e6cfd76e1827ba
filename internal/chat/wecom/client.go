package wecom

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// DefaultAPIURL is WeCom's API server.
const DefaultAPIURL = "https://qyapi.weixin.qq.com"

// maxResponse bounds an API answer (a groupchat/get of a 500-member group
// is about 100 kB).
const maxResponse = 8 << 20

// Client calls the WeCom server API for one self-built app: it fetches
// and caches the access token (refreshing it early, and once more when
// WeCom says it expired), paces each API on its own, and turns errcodes
// into *APIError. It is safe for concurrent use.
type Client struct {
	base   string
	corpID string
	secret string
	http   *http.Client
	now    func() time.Time
	log    *slog.Logger

	tokMu   sync.Mutex
	token   string
	expires time.Time

	limMu  sync.Mutex
	limits map[string]*bucket
	rates  map[string]Rate

	// observe, when set, sees the outcome of every call (for Health).
	observe func(path string, err error)
}

// Rate is a per-API pace: at most N calls per Per, in bursts of up to N.
type Rate struct {
	N   int
	Per time.Duration
}

// defaultRates paces qunzhu's calls. WeCom documents a per-corp cap for
// each API (of the order of ten thousand calls a minute) and, for the
// group robot, 20 messages a minute; qunzhu stays well below the first
// and at the second.
var defaultRates = map[string]Rate{
	"":                                    {N: 20, Per: time.Second}, // any other API
	"externalcontact/groupchat/list":      {N: 10, Per: time.Second},
	"externalcontact/groupchat/get":       {N: 20, Per: time.Second},
	"externalcontact/add_msg_template":    {N: 5, Per: time.Second},
	"externalcontact/groupchat/statistic": {N: 5, Per: time.Second},
	"message/send":                        {N: 20, Per: time.Second},
	"webhook/send":                        {N: 20, Per: time.Minute},
}

// ClientConfig configures a Client.
type ClientConfig struct {
	APIURL     string // DefaultAPIURL when empty
	CorpID     string
	Secret     string
	HTTPClient *http.Client
	Now        func() time.Time
	Logger     *slog.Logger
	// Rates overrides the pace of some APIs (by path, "" for the rest).
	Rates map[string]Rate
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	base := strings.TrimRight(cfg.APIURL, "/")
	if base == "" {
		base = DefaultAPIURL
	}
	if u, err := url.Parse(base); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("api_url %q: want an http(s) URL", cfg.APIURL)
	}
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("corp id and secret: required")
	}
	c := &Client{base: base, corpID: cfg.CorpID, secret: cfg.Secret, http: cfg.HTTPClient, now: cfg.Now, log: cfg.Logger,
		limits: map[string]*bucket{}, rates: map[string]Rate{}}
	if c.http == nil {
		c.http = &http.Client{Timeout: 20 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	for k, v := range defaultRates {
		c.rates[k] = v
	}
	for k, v := range cfg.Rates {
		c.rates[k] = v
	}
	return c, nil
}

// envelope is the errcode/errmsg every answer carries.
type envelope struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Token returns a valid access token, fetching one when there is none or
// it expires within five minutes. Concurrent callers share one fetch.
func (c *Client) Token(ctx context.Context) (string, error) {
	c.tokMu.Lock()
	defer c.tokMu.Unlock()
	if c.token != "" && c.now().Before(c.expires) {
		return c.token, nil
	}
	var out struct {
		envelope
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	q := url.Values{"corpid": {c.corpID}, "corpsecret": {c.secret}}
	if err := c.roundTrip(ctx, http.MethodGet, c.base+"/cgi-bin/gettoken?"+q.Encode(), "gettoken", nil, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" {
		return "", &APIError{Path: "gettoken", Code: -1, Message: "no access_token in the answer"}
	}
	life := time.Duration(out.ExpiresIn) * time.Second
	if life <= 0 {
		life = 2 * time.Hour
	}
	early := min(5*time.Minute, life/10)
	c.token, c.expires = out.AccessToken, c.now().Add(life-early)
	return c.token, nil
}

// forget drops the cached token if it is still tok (another caller may
// have refreshed it already).
func (c *Client) forget(tok string) {
	c.tokMu.Lock()
	if c.token == tok {
		c.token = ""
	}
	c.tokMu.Unlock()
}

// Post calls POST /cgi-bin/<path>?access_token=… with in as JSON and
// decodes the answer into out (which may be nil). When WeCom says the
// token is invalid or expired, it fetches a new one and calls once more;
// a second such answer is an error.
func (c *Client) Post(ctx context.Context, path string, in, out any) error {
	err := c.post(ctx, path, in, out)
	if c.observe != nil {
		c.observe(path, err)
	}
	return err
}

func (c *Client) post(ctx context.Context, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wecom %s: encode: %w", path, err)
	}
	if err := c.wait(ctx, path); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		tok, err := c.Token(ctx)
		if err != nil {
			return err
		}
		u := c.base + "/cgi-bin/" + path + "?access_token=" + url.QueryEscape(tok)
		err = c.roundTrip(ctx, http.MethodPost, u, path, body, out)
		var ae *APIError
		if attempt == 0 && errors.As(err, &ae) && tokenExpired(ae.Code) {
			c.log.Info("wecom: access token refused; fetching a new one", "api", path, "errcode", ae.Code)
			c.forget(tok)
			continue
		}
		return err
	}
}

// PostURL posts in as JSON to a full URL that needs no access token (the
// group robot's webhook), paced as path.
func (c *Client) PostURL(ctx context.Context, path, rawURL string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("wecom %s: encode: %w", path, err)
	}
	if err := c.wait(ctx, path); err != nil {
		return err
	}
	err = c.roundTrip(ctx, http.MethodPost, rawURL, path, body, out)
	if c.observe != nil {
		c.observe(path, err)
	}
	return err
}

// roundTrip makes one HTTP call and checks the errcode.
func (c *Client) roundTrip(ctx context.Context, method, rawURL, path string, body []byte, out any) error {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, rd)
	if err != nil {
		return fmt.Errorf("wecom %s: %w", path, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// Never log the URL: it carries the secret or the token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return errkind.Errorf(errkind.Unavailable, "wecom %s: cannot reach WeCom: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return errkind.Errorf(errkind.Unavailable, "wecom %s: reading the answer: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return errkind.Errorf(errkind.Unavailable, "wecom %s: HTTP %d from WeCom", path, resp.StatusCode)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return errkind.Errorf(errkind.Unavailable, "wecom %s: the answer is not JSON: %v", path, err)
	}
	if env.ErrCode != 0 {
		return &APIError{Path: path, Code: env.ErrCode, Message: env.ErrMsg}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("wecom %s: decode the answer: %w", path, err)
		}
	}
	return nil
}

// bucket is a token bucket: N calls per Per, refilled evenly.
type bucket struct {
	rate   Rate
	tokens float64
	last   time.Time
}

// wait blocks until path may be called.
func (c *Client) wait(ctx context.Context, path string) error {
	c.limMu.Lock()
	b := c.limits[path]
	if b == nil {
		r, ok := c.rates[path]
		if !ok {
			r = c.rates[""]
		}
		b = &bucket{rate: r, tokens: float64(r.N)}
		c.limits[path] = b
	}
	now := c.now()
	if b.rate.N <= 0 || b.rate.Per <= 0 {
		c.limMu.Unlock()
		return nil
	}
	per := b.rate.Per / time.Duration(b.rate.N) // one token's worth
	if !b.last.IsZero() {
		b.tokens = min(float64(b.rate.N), b.tokens+float64(now.Sub(b.last))/float64(per))
	}
	b.last = now
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens * float64(per))
	}
	c.limMu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
