package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"

	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// Links follows the short links of pushes (docs/metrics.md, "The daily
// digest"). The store implements it.
type Links interface {
	FollowLink(ctx context.Context, code, visitor string) (string, error)
}

// followLink is the public short link GET /l/{code} of a pushed script's
// link: it counts the click and redirects to the address stored for the
// code — never anywhere a request names. The visitor is counted once a
// day by a hash of their address and browser under that day's key, so
// neither is kept. Each client may open as many as join links a minute.
func (s *Server) followLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store") // every click is counted
	addr := s.clientAddr(r)
	if _, ok := s.joins.Reserve(clientip.Key(addr), s.Now()); !ok {
		w.Header().Set("Retry-After", "60")
		http.Error(w, "请稍后再试。Too many links opened from this network: try again in a minute.", http.StatusTooManyRequests)
		return
	}
	day := strconv.FormatInt(s.Now().Unix()/86400, 10)
	dayKey := hmac.New(sha256.New, s.LinkKey)
	dayKey.Write([]byte("link visitors " + day))
	visitor := hmac.New(sha256.New, dayKey.Sum(nil))
	visitor.Write([]byte(addr.String() + "\x00" + r.UserAgent()))
	u, err := s.Links.FollowLink(r.Context(), r.PathValue("code"), hex.EncodeToString(visitor.Sum(nil))[:32])
	switch {
	case errkind.Is(err, errkind.NotFound):
		http.Error(w, "链接不存在。No such link.", http.StatusNotFound)
	case err != nil:
		writeError(w, r, s.Logger, err)
	default:
		http.Redirect(w, r, u, http.StatusFound)
	}
}
