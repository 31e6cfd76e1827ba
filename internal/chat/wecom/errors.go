package wecom

import (
	"errors"
	"fmt"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
	"github.com/qunzhu/qunzhu/internal/errkind"
)

// APIError is an answer of the WeCom API with a non-zero errcode. Its text
// says what the code means and what the operator can do about it, then
// what WeCom said (errmsg, with its hint id for WeCom's support).
//
// It unwraps to an *errkind.Error of the code's kind, and to
// chat.ErrPermanent when retrying cannot help (a bad secret, a missing
// permission, an id that does not exist).
type APIError struct {
	Path    string // the API called, e.g. "externalcontact/groupchat/get"
	Code    int
	Message string // WeCom's errmsg
}

// errInfo is what qunzhu knows about an errcode.
type errInfo struct {
	kind errkind.Kind
	// retry: the call may succeed later as it is (WeCom busy, a rate
	// limit, a 群发 still being distributed); otherwise the error is
	// permanent for the action that caused it.
	retry bool
	hint  string
}

// rateLimitWait is how long the connection waits after WeCom's rate limit
// (45009, 45033): WeCom lifts a per-minute limit a minute after it hit.
const rateLimitWait = time.Minute

// errcodes maps WeCom's common global error codes
// (developer.work.weixin.qq.com/document/path/90313) to a kind and to
// what an operator should do. Codes not listed are reported with WeCom's
// own errmsg and treated as permanent.
var errcodes = map[int]errInfo{
	-1:      {errkind.Unavailable, true, "WeCom is busy; qunzhu retries"},
	40001:   {errkind.Unauthorized, false, "the secret is wrong: copy options.secret again from the self-built app's page in the WeCom admin (应用管理 → the app → Secret)"},
	40091:   {errkind.Unauthorized, false, "the secret is not valid for this corp: options.secret must be the self-built app's Secret of the corp in options.corp_id"},
	40013:   {errkind.Unauthorized, false, "the corp id is wrong: copy options.corp_id from the WeCom admin (我的企业 → 企业ID)"},
	2000002: {errkind.Unauthorized, false, "the corp id does not exist: check options.corp_id"},
	40014:   {errkind.Unauthorized, true, "the access token is not valid (qunzhu fetches a new one)"},
	42001:   {errkind.Unauthorized, true, "the access token expired (qunzhu fetches a new one)"},
	42009:   {errkind.Unauthorized, true, "the access token expired (qunzhu fetches a new one)"},
	41001:   {errkind.Unauthorized, true, "the access token is missing (qunzhu fetches a new one)"},
	40056:   {errkind.Invalid, false, "the agent id is wrong: copy options.agent_id (AgentId) from the self-built app's page"},
	40003:   {errkind.NotFound, false, "no such WeCom member (userid)"},
	60111:   {errkind.NotFound, false, "no such WeCom member (userid)"},
	46004:   {errkind.NotFound, false, "no such WeCom member"},
	40096:   {errkind.NotFound, false, "no such customer (external userid)"},
	40035:   {errkind.Invalid, false, "a parameter qunzhu sent was refused"},
	40058:   {errkind.Invalid, false, "a parameter qunzhu sent was refused"},
	40063:   {errkind.Invalid, false, "a required parameter was empty"},
	44004:   {errkind.Invalid, false, "the text is empty"},
	45002:   {errkind.TooLarge, false, "the message is too long for WeCom"},
	82001:   {errkind.Invalid, false, "nobody to send to: the members named are not in the app's visible scope"},
	41048:   {errkind.Invalid, false, "no customer group to send the 群发 to"},
	41063:   {errkind.Unavailable, true, "WeCom is still handing the 群发 out to the staff; qunzhu asks again"},
	45009:   {errkind.RateLimited, true, "WeCom's rate limit for this API was hit; qunzhu waits a minute"},
	45033:   {errkind.RateLimited, true, "too many concurrent calls to WeCom; qunzhu waits a minute"},
	48002:   {errkind.Forbidden, false, "the app may not call this API: in the WeCom admin, add the self-built app to 客户联系 → 客户 → API → 可调用接口的应用 (customer contact: apps that may call the API), and give it the customer group permissions"},
	48006:   {errkind.Forbidden, false, "WeCom withdrew the app's API permissions after long disuse: an administrator must enable the app again"},
	50003:   {errkind.Forbidden, false, "the app is disabled: enable it in the WeCom admin (应用管理)"},
	60011:   {errkind.Forbidden, false, "the member is outside the app's visible scope: widen the app's 可见范围 in the WeCom admin"},
	60021:   {errkind.Forbidden, false, "the member is outside the app's visible scope: widen the app's 可见范围 in the WeCom admin"},
	81013:   {errkind.Forbidden, false, "nobody named is in the app's visible scope (deleted, or outside 可见范围)"},
	92000:   {errkind.Forbidden, false, "the member is outside the app's visible scope"},
	50002:   {errkind.Forbidden, false, "the member is outside the app's permission scope"},
	60020:   {errkind.Forbidden, false, "this server's IP address is not trusted: add it to the self-built app's 企业可信IP (trusted IPs) in the WeCom admin"},
	301042:  {errkind.Forbidden, false, "this server's IP address is not in the app's IP allow list"},
	610004:  {errkind.Forbidden, false, "the staff member is outside the customer contact usage scope: add them in 客户联系 → 配置 → 使用范围"},
	84061:   {errkind.NotFound, false, "there is no customer-contact relationship between this staff member and the customer"},
	84074:   {errkind.Forbidden, false, "the app has no customer contact permission: add it to 客户联系 → 可调用接口的应用"},
	49008:   {errkind.NotFound, false, "the group was dismissed"},
	40050:   {errkind.NotFound, false, "no such group (chat id)"},
	86003:   {errkind.NotFound, false, "no such group (chat id)"},
	90501:   {errkind.Invalid, false, "this group is not a customer group (客户群)"},
	90500:   {errkind.Conflict, false, "the group's owner has not left the company"},
	90502:   {errkind.Conflict, false, "the group's owner has left the company: reassign the group (离职继承) in WeCom"},
	90503:   {errkind.Conflict, false, "the group is full"},
	90507:   {errkind.Conflict, false, "the group of a staff member who left is being handed over"},
	90508:   {errkind.Conflict, false, "the group of a staff member who left has been handed over already"},
	41044:   {errkind.NotFound, false, "no such join way (config_id); it may have been deleted"},
	41047:   {errkind.NotFound, false, "no such 群发 (msgid)"},
	93000:   {errkind.Invalid, false, "the group robot's webhook is wrong, or the robot was removed from its group: copy options.robot_webhook again"},
	93004:   {errkind.Forbidden, false, "the group robot is disabled"},
	93008:   {errkind.Forbidden, false, "the group robot is not in the group"},
	301052:  {errkind.Forbidden, false, "the message archive (会话内容存档) service has expired"},
	301053:  {errkind.Forbidden, false, "the message archive (会话内容存档) service is not enabled for this corp"},
}

func (e *APIError) info() errInfo {
	if in, ok := errcodes[e.Code]; ok {
		return in
	}
	return errInfo{kind: errkind.Internal}
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("wecom %s: errcode %d", e.Path, e.Code)
	if h := e.info().hint; h != "" {
		s += ": " + h
	}
	if e.Message != "" {
		s += " (WeCom said: " + e.Message + ")"
	}
	return s
}

// Kind is the errkind of the code.
func (e *APIError) Kind() errkind.Kind { return e.info().kind }

// Temporary reports whether the same call may succeed later.
func (e *APIError) Temporary() bool { return e.info().retry }

// Unwrap exposes the kind (for errkind.Of) and, for codes retrying cannot
// fix, chat.ErrPermanent (for the dispatcher).
func (e *APIError) Unwrap() []error {
	in := e.info()
	out := []error{&errkind.Error{Kind: in.kind, Message: e.Error()}}
	if !in.retry {
		out = append(out, chat.ErrPermanent)
	}
	return out
}

// tokenExpired reports the codes after which a fresh access token is
// fetched and the call made once more.
func tokenExpired(code int) bool {
	return code == 40014 || code == 42001 || code == 42009 || code == 41001
}

// rateLimited reports WeCom's rate-limit codes.
func rateLimited(code int) bool { return code == 45009 || code == 45033 }

// forDispatch turns an API error into what the dispatcher acts on: a rate
// limit pauses the connection.
func forDispatch(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && rateLimited(ae.Code) {
		return &chat.RetryAfterError{After: rateLimitWait, Err: ae}
	}
	return err
}
