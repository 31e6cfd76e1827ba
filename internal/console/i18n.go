package console

import (
	"net/http"
	"strings"
)

// Lang is a console language.
type Lang string

const (
	Zh Lang = "zh"
	En Lang = "en"
)

// messages holds every console string in both languages.
var messages = map[string][2]string{ // [zh, en]
	"app":              {"群主 qunzhu", "qunzhu 群主"},
	"login":            {"登录", "Log in"},
	"logout":           {"退出", "Log out"},
	"username":         {"用户名", "Username"},
	"password":         {"密码", "Password"},
	"bad_login":        {"用户名或密码错误", "Wrong username or password"},
	"too_many":         {"尝试次数过多，请 15 分钟后再试", "Too many attempts: try again in 15 minutes"},
	"dashboard":        {"总览", "Dashboard"},
	"groups":           {"群", "Groups"},
	"members":          {"成员", "Members"},
	"people":           {"人", "People"},
	"messages_7d":      {"7 日消息", "Messages, 7 days"},
	"communicators_7d": {"7 日发言人数", "Communicators, 7 days"},
	"moderation_7d":    {"7 日处理违规", "Moderation, 7 days"},
	"messages_per_day": {"每日消息（30 天）", "Messages per day (30 days)"},
	"name":             {"群名", "Name"},
	"kind":             {"类型", "Kind"},
	"platform":         {"平台", "Platform"},
	"last_message":     {"最后发言", "Last message"},
	"state":            {"状态", "State"},
	"never":            {"从未", "never"},
	"state_active":     {"活跃", "active"},
	"state_dormant":    {"沉寂", "dormant"},
	"state_dead":       {"死群", "dead"},
	"state_archived":   {"已归档", "archived"},
	"role":             {"角色", "Role"},
	"source":           {"入群方式", "Joined via"},
	"joined":           {"入群时间", "Joined"},
	"recent_messages":  {"最近消息", "Recent messages"},
	"sender":           {"发送人", "Sender"},
	"time":             {"时间", "Time"},
	"content":          {"内容", "Content"},
	"capacity":         {"上限", "capacity"},
	"not_found":        {"找不到该页面", "Page not found"},
	"error":            {"出错了", "Something went wrong"},
	"back":             {"返回总览", "Back to the dashboard"},
	"no_groups":        {"还没有群。接入一个平台，或运行 qunzhu demo。", "No groups yet. Connect a platform, or run qunzhu demo."},
	"role_owner":       {"群主", "owner"},
	"role_secretary":   {"秘书长", "secretary"},
	"role_assistant":   {"店小二", "assistant"},
	"role_member":      {"群友", "member"},
	"src_pulled_in":    {"拉入", "pulled in"},
	"src_event":        {"活动", "event"},
	"src_referral":     {"推荐", "referral"},
	"src_promotion":    {"吸粉", "promotion"},
	"src_":             {"未知", "unknown"},
	"kind_lecturer":    {"讲师群", "lecturer"},
	"kind_topic":       {"课题群", "topic"},
	"kind_enrolment":   {"报名咨询群", "enrolment"},
	"kind_cohort":      {"学员群", "cohort"},
	"kind_allhands":    {"综合大群", "all-hands"},
	"kind_owners":      {"业主群", "owners"},
	"kind_store":       {"单店群", "store"},
	"kind_temporary":   {"临时群", "temporary"},
	"kind_custom":      {"其他", "other"},
	"switch_lang":      {"English", "中文"},
	"st_active":        {"活跃", "active"},
	"st_new":           {"新人", "new"},
	"st_quiet":         {"沉默", "quiet"},
	"st_lurker":        {"潜水", "lurker"},
	"st_zombie":        {"僵尸", "zombie"},
	"st_staff":         {"管理", "staff"},
	"tier_regular":     {"常客", "regular"},
	"tier_core":        {"核心", "core"},
	"tier_leader":      {"骨干", "leader"},
	"activity":         {"活跃度", "Activity"},
	"mk_image":         {"图片", "image"},
	"mk_voice":         {"语音", "voice"},
	"mk_video":         {"视频", "video"},
	"mk_file":          {"文件", "file"},
	"mk_link":          {"链接", "link"},
	"mk_card":          {"名片", "card"},
	"mk_miniprogram":   {"小程序", "mini-program"},
	"mk_sticker":       {"表情", "sticker"},
	"mk_redpacket":     {"红包", "red packet"},
	"mk_forward":       {"转发", "forward"},
}

// T returns the string for key in lang; an unknown key shows itself so a
// missing translation is visible, not blank.
func T(lang Lang, key string) string {
	m, ok := messages[key]
	if !ok {
		return key
	}
	if lang == En {
		return m[1]
	}
	return m[0]
}

// langOf picks the language: ?lang=, then the cookie, then Accept-Language;
// Chinese by default.
func langOf(r *http.Request) Lang {
	if l := r.URL.Query().Get("lang"); l == "en" || l == "zh" {
		return Lang(l)
	}
	if c, err := r.Cookie("qz_lang"); err == nil && (c.Value == "en" || c.Value == "zh") {
		return Lang(c.Value)
	}
	al := strings.ToLower(r.Header.Get("Accept-Language"))
	if strings.HasPrefix(al, "en") {
		return En
	}
	return Zh
}
