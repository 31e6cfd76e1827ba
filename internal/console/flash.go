package console

import (
	"net/http"
	"strconv"
	"strings"
)

// flash is the outcome of a form, shown once on the page it redirects to.
// It travels in a cookie as a message key and a number, never as text, so
// nothing a request carries can be shown as a message.
type flash struct {
	Key   string // an i18n key starting with flash_
	ID    int64  // the %d in the message; 0 for none
	Error bool
}

const flashCookie = "qz_flash"

func (s *Server) setFlash(w http.ResponseWriter, f flash) {
	v := f.Key + ":" + strconv.FormatInt(f.ID, 10)
	if f.Error {
		v += ":error"
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: v, Path: "/", MaxAge: 60, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.Secure})
}

// takeFlash reads and clears the flash; nil when there is none or it is
// not one of ours.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) *flash {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return nil
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure})
	parts := strings.Split(c.Value, ":")
	if len(parts) < 2 || len(parts) > 3 || !strings.HasPrefix(parts[0], "flash_") {
		return nil
	}
	if _, ok := messages[parts[0]]; !ok {
		return nil
	}
	id, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || id < 0 {
		return nil
	}
	return &flash{Key: parts[0], ID: id, Error: len(parts) == 3 && parts[2] == "error"}
}
