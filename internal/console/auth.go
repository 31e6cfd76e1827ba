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
	"strings"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Console accounts sign in with a password. A session is a random token
// in a cookie; the server keeps its SHA-256 (the store's sessions) and
// ends it at logout, when the password changes and when the account is
// disabled. Forms carry a CSRF token derived from the session. Login
// attempts are limited per client address and per account, counted
// before the password is checked.

// NewPassword returns a random password to hand to a person: 16
// characters of A–Z a–z 0–9 - _ (96 bits).
func NewPassword() string {
	var b [12]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

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

const sessionCookie = "qz_session"
const sessionTTL = 12 * time.Hour

func (s *Server) sign(v string) string {
	m := hmac.New(sha256.New, s.Key)
	m.Write([]byte(v))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) csrfToken(session string) string { return s.sign("csrf|" + session) }

type userKey struct{}

// auth requires a live session; POSTs also need the session's CSRF token.
func (s *Server) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var u access.User
		c, err := r.Cookie(sessionCookie)
		if err == nil {
			u, _, err = s.Store.SessionUser(r.Context(), c.Value)
		}
		if err != nil {
			if err != http.ErrNoCookie && !errkind.Is(err, errkind.Unauthorized) {
				s.renderError(w, r, err)
				return
			}
			if c != nil { // ended, expired or from before: forget it
				http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
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

// Login limits: failed attempts per client address (an IPv6 client's
// /64) and per account name in any 15 minutes. Each attempt is reserved
// before the password is checked and released when it succeeds, so
// guesses sent at once count against each other.
const (
	loginWindow     = 15 * time.Minute
	loginPerAddr    = 10
	loginPerAccount = 20
)

// clientKey is the request's client as the login limit counts it.
func (s *Server) clientKey(r *http.Request) string {
	if s.ClientAddr != nil {
		return clientip.Key(s.ClientAddr(r))
	}
	return clientip.Key((*clientip.Resolver)(nil).Addr(r))
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

// safeNext keeps the redirect after login on this site: next when it is a
// local path (localURL), else the dashboard.
func safeNext(n string) string {
	if local, ok := localURL(n); ok {
		return local
	}
	return "/"
}

// localURL reports whether s is a path (with a query) on this site, as a
// browser would read it, and returns it. Browsers drop tabs and newlines
// inside a URL and read a backslash as a slash, so "/\t/evil.example"
// and "/\\evil.example" lead to evil.example as "//evil.example" does:
// any control character, space or backslash, and a second leading slash,
// make s not local.
func localURL(s string) (string, bool) {
	if s == "" || s[0] != '/' || strings.HasPrefix(s, "//") {
		return "", false
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f || r == '\\' || unicode.IsControl(r) }) {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	return s, true
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	l := langOf(r)
	c, err := r.Cookie(loginCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue("csrf"))) != 1 {
		s.showLogin(w, r, http.StatusForbidden, "CSRF token missing or wrong: reload the page and try again")
		return
	}
	name := r.PostFormValue("username")
	now := s.Now()
	byAddr, ok := s.loginByAddr.Reserve(s.clientKey(r), now)
	if !ok {
		s.showLogin(w, r, http.StatusTooManyRequests, T(l, "too_many"))
		return
	}
	byAccount, ok := s.loginByAccount.Reserve(strings.ToLower(name), now)
	if !ok {
		byAddr.Release() // not tried: the account is resting
		s.showLogin(w, r, http.StatusTooManyRequests, T(l, "too_many"))
		return
	}
	u, err := s.Store.UserByName(r.Context(), name)
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
		s.showLogin(w, r, http.StatusUnauthorized, T(l, "bad_login"))
		return
	}
	// The right password: the attempt does not count.
	byAddr.Release()
	byAccount.Release()
	if u.Disabled {
		s.showLogin(w, r, http.StatusForbidden, T(l, "account_disabled"))
		return
	}
	tok, err := s.Store.CreateSession(r.Context(), u.ID, sessionTTL)
	if err != nil {
		s.renderError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure, MaxAge: int(sessionTTL.Seconds())})
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// logout ends the session on the server (a saved copy of the cookie no
// longer works) and clears the cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Store.EndSession(r.Context(), c.Value); err != nil {
			s.renderError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
