package console

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Console accounts sign in with a password; sessions are signed cookies,
// forms carry CSRF tokens, and failed logins are rate-limited per
// address.

// HashPassword returns a bcrypt hash for a console password.
func HashPassword(pw string) (string, error) {
	if len(pw) < 8 {
		return "", errkind.New(errkind.Invalid, "password: at least 8 characters")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Sessions are signed cookies: user id, expiry, HMAC.

const sessionCookie = "qz_session"
const sessionTTL = 12 * time.Hour

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) newSession(username string) string {
	var nonce [8]byte
	rand.Read(nonce[:])
	v := url.QueryEscape(username) + "|" + strconv.FormatInt(s.Now().Add(sessionTTL).Unix(), 10) + "|" + hex.EncodeToString(nonce[:])
	return v + "|" + s.sign(v)
}

func (s *Server) checkSession(c string) (string, bool) {
	i := strings.LastIndexByte(c, '|')
	if i < 0 {
		return "", false
	}
	v, sig := c[:i], c[i+1:]
	if subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign(v))) != 1 {
		return "", false
	}
	parts := strings.Split(v, "|")
	if len(parts) != 3 {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.Now().Unix() > exp {
		return "", false
	}
	name, err := url.QueryUnescape(parts[0])
	return name, err == nil
}

func (s *Server) csrfToken(session string) string { return s.sign("csrf|" + session) }

type userKey struct{}

// auth requires a session; POSTs also need the session's CSRF token.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(sessionCookie)
		name, ok := "", false
		if err == nil {
			name, ok = s.checkSession(c.Value)
		}
		if !ok {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		u, err := s.Store.UserByName(r.Context(), name)
		if err != nil {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.csrfToken(c.Value))) != 1 {
			s.renderError(w, r, errkind.New(errkind.Forbidden, "CSRF token missing or wrong: reload the page and try again"))
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), userKey{}, &u)))
	}
}

func userOf(r *http.Request) *access.User { return r.Context().Value(userKey{}).(*access.User) }

// loginLimiter allows 10 failed logins per client address per 15 minutes.
type loginLimiter struct {
	mu    sync.Mutex
	fails map[string][]time.Time
}

const loginWindow, loginMax = 15 * time.Minute, 10

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return host
}

func (l *loginLimiter) blocked(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	recent := l.fails[addr][:0]
	for _, t := range l.fails[addr] {
		if now.Sub(t) < loginWindow {
			recent = append(recent, t)
		}
	}
	l.fails[addr] = recent
	return len(recent) >= loginMax
}

func (l *loginLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	l.fails[addr] = append(l.fails[addr], now)
	l.mu.Unlock()
}

type loginData struct {
	Next  string
	Error string
}

// The login form uses a double-submit token: a random cookie repeated in
// the form.
const loginCookie = "qz_login"

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	var b [16]byte
	rand.Read(b[:])
	tok := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: tok, Path: "/login", HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: s.Secure, MaxAge: 3600})
	p := s.page(r, nil, T(langOf(r), "login"), loginData{Next: safeNext(r.FormValue("next")), Error: msg})
	p.CSRF = tok
	s.render(w, status, "login", p)
}

// safeNext keeps redirects on this site.
func safeNext(n string) string {
	if n == "" || !strings.HasPrefix(n, "/") || strings.HasPrefix(n, "//") || strings.Contains(n, "\\") {
		return "/"
	}
	return n
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.showLogin(w, r, http.StatusForbidden, "CSRF token missing or wrong: reload the page and try again")
		return
	}
	addr := clientAddr(r)
	if s.limiter.blocked(addr, s.Now()) {
		s.showLogin(w, r, http.StatusTooManyRequests, T(l, "too_many"))
		return
	}
	u, err := s.Store.UserByName(r.Context(), r.PostFormValue("username"))
	if err == nil {
		err = bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(r.PostFormValue("password")))
	} else if errkind.Is(err, errkind.NotFound) {
		// Spend the same time as a wrong password.
		bcrypt.CompareHashAndPassword(s.dummy, []byte(r.PostFormValue("password")))
	}
	if err != nil {
		if !errkind.Is(err, errkind.NotFound) && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			s.Logger.Error("login", "err", err)
		}
		s.limiter.fail(addr, s.Now())
		s.showLogin(w, r, http.StatusUnauthorized, T(l, "bad_login"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: s.newSession(u.Username), Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
