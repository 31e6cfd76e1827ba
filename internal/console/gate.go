package console

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/memberbot"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// The join gate on the member bot's page: the [gate] form (who may save
// it: rules.edit, like the page's other forms), the line of what is in
// force in the chosen group, and the newcomers waiting there — at the
// gate, or held by an anti-raid lockdown — whom staff who moderate
// (moderation.act, within their part of the tree) let in or remove.

// BotGates is the join gate's waiting newcomers; the store implements it
// (read through Store, as BotAsks is).
type BotGates interface {
	// WaitingAtGate lists the newcomers waiting at a group's gate.
	WaitingAtGate(ctx context.Context, orgID, groupID int64) ([]memberbot.Waiting, error)
	// LetInAtGate passes a waiting newcomer: unmuted, and welcome (when
	// not empty) posted.
	LetInAtGate(ctx context.Context, orgID, groupID, personID int64, welcome func(chat.User) (string, []chat.Mention), actor string) error
	// RemoveAtGate removes a waiting newcomer from the group.
	RemoveAtGate(ctx context.Context, orgID, groupID, personID int64, actor string) error
}

// Bounds of the gate's timeout on the form, in seconds (the rules'
// check's: 30 seconds to a day).
const (
	gateMinTimeout = 30
	gateMaxTimeout = 24 * 60 * 60
)

func (s *Server) gateRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /memberbot/gate", s.auth(s.may(access.EditRules, s.botSaveGate)))
	mux.HandleFunc("POST /memberbot/gate/letin", s.auth(s.may(access.Moderate, s.gateDecide(true))))
	mux.HandleFunc("POST /memberbot/gate/remove", s.auth(s.may(access.Moderate, s.gateDecide(false))))
}

// botGateForm is the join gate as its form shows it.
type botGateForm struct {
	Mode    string // "" (inherited), off, button, code, approve
	Timeout string // seconds
}

// botGate is the page's join gate: the form and who waits in the chosen
// group.
type botGate struct {
	GateForm  botGateForm
	Waiting   []gateRow
	CanDecide bool // the reader may let them in or remove them
}

// gateRow is a waiting newcomer as the list shows them.
type gateRow struct {
	PersonID int64
	Name     string
	Mode     string // the mode's words
	At, Due  string // when they joined; when they are removed ("" : held until staff decide)
}

func gateForm(g rules.Gate) botGateForm {
	f := botGateForm{Mode: g.Mode}
	if g.Timeout != 0 {
		f.Timeout = strconv.Itoa(int(time.Duration(g.Timeout) / time.Second))
	}
	return f
}

// gateLoad fills the page's list of who waits in the chosen group.
func (s *Server) gateLoad(ctx context.Context, u *access.User, d *botData, l Lang) error {
	d.CanDecide = u.May(access.Moderate)
	gs, ok := s.Store.(BotGates)
	if !ok || d.Group.ID == 0 {
		return nil
	}
	ws, err := gs.WaitingAtGate(ctx, u.OrgID, d.Group.ID)
	if err != nil {
		return err
	}
	for _, w := range ws {
		r := gateRow{PersonID: w.PersonID, Name: w.Name, Mode: T(l, "bot_gate_mode_"+w.Mode), At: w.At.In(s.Location).Format("01-02 15:04")}
		if w.Due != nil {
			r.Due = w.Due.In(s.Location).Format("01-02 15:04:05")
		}
		d.Waiting = append(d.Waiting, r)
	}
	return nil
}

// gateInForce says what the gate does in a group, on its platform.
func (s *Server) gateInForce(rs *rules.RuleSet, g community.Group, l Lang) string {
	gt := rs.Gate
	if !gt.On() {
		return ""
	}
	caps := chat.AllActions()
	if s.Caps != nil {
		caps = s.Caps(g.Connection)
	}
	if !caps.Can(chat.ActSend) {
		return T(l, "bot_gate_cannot_send")
	}
	mode := gt.Mode
	line := ""
	if mode == rules.GateButton && !caps.Can(chat.CapButtons) {
		mode, line = rules.GateCode, T(l, "bot_gate_no_buttons")
	}
	switch mode {
	case rules.GateButton:
		line = tf(l, "bot_gate_is_button", botDuration(gt.Wait(), l)) + line
	case rules.GateCode:
		line = tf(l, "bot_gate_is_code", botDuration(gt.Wait(), l)) + line
	default:
		line = T(l, "bot_gate_is_approve") + line
	}
	if mode != rules.GateCode && !caps.Can(chat.ActMute) {
		line += T(l, "bot_gate_no_mute")
	}
	return line
}

// botSaveGate sets the scope's join gate.
func (s *Server) botSaveGate(w http.ResponseWriter, r *http.Request) {
	d, ok := s.botLoad(w, r, r.PostFormValue)
	if !ok {
		return
	}
	f := botGateForm{Mode: r.PostFormValue("mode"), Timeout: strings.TrimSpace(r.PostFormValue("timeout"))}
	d.GateForm = f
	bad := func(key string) { s.botRefused(w, r, d, "gate", key) }
	if d.Error != "" {
		bad("")
		return
	}
	var gate rules.Gate
	switch {
	case f.Mode == "inherit":
	case f.Mode == rules.GateOff:
		gate.Mode = rules.GateOff
	case f.Mode == rules.GateButton || f.Mode == rules.GateCode || f.Mode == rules.GateApprove:
		secs, ok := botNumber(f.Timeout, gateMinTimeout, gateMaxTimeout)
		if !ok {
			bad("bot_bad_gate_timeout")
			return
		}
		gate = rules.Gate{Mode: f.Mode, Timeout: rules.Duration(time.Duration(secs) * time.Second)}
	default:
		bad("bot_bad_gate_mode")
		return
	}
	s.botSave(w, r, d, "gate", func(b *rules.Bot) { b.Gate = gate }, "flash_bot_gate_saved")
}

// gateDecide lets a waiting newcomer in (unmuted, welcomed where the
// group welcomes newcomers) or removes them.
func (s *Server) gateDecide(letIn bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, u, l := r.Context(), userOf(r), langOf(r)
		gs, ok := s.Store.(BotGates)
		if !ok {
			s.renderError(w, r, errkind.New(errkind.NotFound, "the join gate is not available"))
			return
		}
		gid, err1 := strconv.ParseInt(r.PostFormValue("group"), 10, 64)
		pid, err2 := strconv.ParseInt(r.PostFormValue("person"), 10, 64)
		if err := errors.Join(err1, err2); err != nil || gid <= 0 || pid <= 0 {
			s.renderError(w, r, errkind.New(errkind.Invalid, T(l, "bot_gate_bad_person")))
			return
		}
		g, err := s.Store.Group(ctx, u.OrgID, gid)
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		if err := s.inScope(ctx, u, g.ID); err != nil {
			s.renderError(w, r, err)
			return
		}
		actor := "staff:" + u.Username
		done := "flash_bot_gate_removed"
		if letIn {
			done = "flash_bot_gate_let_in"
			err = gs.LetInAtGate(ctx, u.OrgID, g.ID, pid, s.gateWelcome(g), actor)
		} else {
			err = gs.RemoveAtGate(ctx, u.OrgID, g.ID, pid, actor)
		}
		switch {
		case errkind.Is(err, errkind.NotFound):
			// Let in, removed or gone meanwhile.
			s.setFlash(w, flash{Key: "flash_bot_gate_gone", Error: true})
		case err != nil:
			s.renderError(w, r, err)
			return
		default:
			s.setFlash(w, flash{Key: done})
			if s.OnChange != nil {
				s.OnChange() // the ingester's memory of the mute
			}
		}
		http.Redirect(w, r, botURL(r.PostFormValue("scope"), g.ID)+"#bot-gate-waiting", http.StatusSeeOther)
	}
}

// gateWelcome writes the welcome a newcomer let in gets: the group's
// [welcome] naming them (a native mention), or none (nil) where the group
// has none.
func (s *Server) gateWelcome(g community.Group) func(chat.User) (string, []chat.Mention) {
	ed := s.editor()
	if ed == nil {
		return nil
	}
	scope := "group:" + strconv.FormatInt(g.ID, 10)
	rs, err := func() (*rules.RuleSet, error) {
		text, err := ed.Source(scope)
		if err != nil {
			return nil, err
		}
		ruleSet, _, err := ed.ReplayRules(scope, text)
		if err != nil {
			return nil, err
		}
		return ruleSet(g)
	}()
	if err != nil {
		s.Logger.Warn("the join gate: no welcome for a newcomer let in", "group", g.ID, "err", err)
		return nil
	}
	if !rs.Welcome.On() {
		return nil
	}
	return func(u chat.User) (string, []chat.Mention) {
		return memberbot.WelcomeNaming(rs, memberbot.Lang(g, rs), g.Name, []chat.User{u})
	}
}
