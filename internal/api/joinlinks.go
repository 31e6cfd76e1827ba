package api

import (
	"html/template"
	"net/http"
	"net/netip"

	"github.com/qunzhu/qunzhu/internal/clientip"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// joinPage is shown when a join link cannot send the newcomer straight on:
// the group has no invite link set, or every group of the family is full.
var joinPage = template.Must(template.New("join").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Group}}{{.Group.Name}}{{else}}加入群聊 Join the group{{end}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;line-height:1.6}code{font-size:1.3rem}</style></head>
<body>
{{if .TooMany}}<h1>请稍后再试</h1><p>这个网络打开邀请链接的次数太多了，请过一分钟再试。</p><p lang="en">Too many join links were opened from this network: try again in a minute.</p>
{{else if .Missing}}<h1>邀请码无效</h1><p>这个邀请码不存在或已停用，请向邀请你的人要一个新的。</p><p lang="en">This invite code does not exist or has ended: ask whoever invited you for a new one.</p>
{{else if .Group}}<h1>{{.Group.Name}}</h1><p>请联系群主或邀请你的人拉你入群，并告诉他们你的邀请码：</p><p><code>{{.Code}}</code></p>
<p lang="en">Ask the group owner or whoever invited you to add you, and give them your invite code.</p>
{{else}}<h1>群已满，新群正在建立</h1><p>新群「{{.Creating}}」建好后，这个链接会直接带你进去，请稍后再来。</p>
<p lang="en">Every group is full; the next one is being set up. Come back to this link soon.</p>{{end}}
</body></html>`))

// joinLink is the public join link (群活码) GET /join/{code}: it routes the
// newcomer by capacity to the group with room and redirects to that
// group's invite link; without one it shows what to do.
//
// Anyone may open it, so each client may open a few dozen a minute: enough
// for a family sharing one address, too few to try codes until one works.
func (s *Server) joinLink(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store") // where it leads changes as groups fill
	var data struct {
		community.JoinTarget
		Missing, TooMany bool
	}
	if _, ok := s.joins.Reserve(clientip.Key(s.clientAddr(r)), s.Now()); !ok {
		data.TooMany = true
		w.Header().Set("Retry-After", "60")
		s.joinPage(w, http.StatusTooManyRequests, data)
		return
	}
	t, err := s.Admin.JoinLink(r.Context(), r.PathValue("code"))
	data.JoinTarget = t
	status := http.StatusOK
	switch {
	case errkind.Is(err, errkind.NotFound):
		data.Missing, status = true, http.StatusNotFound
	case err != nil:
		writeError(w, r, s.Logger, err)
		return
	case t.InviteURL != "":
		http.Redirect(w, r, t.InviteURL, http.StatusFound)
		return
	}
	s.joinPage(w, status, data)
}

// joinsPerMinute is how many join links one client may open a minute.
const joinsPerMinute = 30

func (s *Server) joinPage(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := joinPage.Execute(w, data); err != nil {
		s.Logger.Warn("join page", "err", err)
	}
}

// clientAddr is the request's client (ClientAddr, else its peer).
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	if s.ClientAddr != nil {
		return s.ClientAddr(r)
	}
	return (*clientip.Resolver)(nil).Addr(r)
}

// regenerateCode replaces an invite code (one shorter than the codes
// issued now, typically) with a generated one for the same member,
// campaign and group: POST /api/v1/invite-codes/{id}/regenerate. The old
// code stops working.
func (s *Server) regenerateCode(w http.ResponseWriter, r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	c, err := s.Admin.RegenerateInviteCode(r.Context(), orgOf(r), id, actorOf(r))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]any{"id": c.ID, "code": c.Code, "replaced": id}, nil
}

// setInviteLink sets a group's own invite link or QR-code image:
// PUT /api/v1/groups/{id}/invite-link {"url":"https://…"} ("" removes it).
func (s *Server) setInviteLink(w http.ResponseWriter, r *http.Request) (int, any, error) {
	g, err := s.group(r)
	if err != nil {
		return 0, nil, err
	}
	var in struct {
		URL string `json:"url"`
	}
	if err := s.decodeBody(w, r, &in); err != nil {
		return 0, nil, err
	}
	if err := s.Admin.SetInviteURL(r.Context(), orgOf(r), g.ID, in.URL, actorOf(r)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"group_id": g.ID, "url": in.URL}, nil
}
