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
	"app":                  {"群主 qunzhu", "qunzhu 群主"},
	"login":                {"登录", "Log in"},
	"logout":               {"退出", "Log out"},
	"username":             {"用户名", "Username"},
	"password":             {"密码", "Password"},
	"bad_login":            {"用户名或密码错误", "Wrong username or password"},
	"too_many":             {"尝试次数过多，请 15 分钟后再试", "Too many attempts: try again in 15 minutes"},
	"dashboard":            {"总览", "Dashboard"},
	"groups":               {"群", "Groups"},
	"members":              {"成员", "Members"},
	"people":               {"人", "People"},
	"messages_7d":          {"7 日消息", "Messages, 7 days"},
	"communicators_7d":     {"7 日发言人数", "Communicators, 7 days"},
	"moderation_7d":        {"7 日处理违规", "Moderation, 7 days"},
	"messages_per_day":     {"每日消息（30 天）", "Messages per day (30 days)"},
	"name":                 {"群名", "Name"},
	"kind":                 {"类型", "Kind"},
	"platform":             {"平台", "Platform"},
	"last_message":         {"最后发言", "Last message"},
	"state":                {"状态", "State"},
	"never":                {"从未", "never"},
	"health":               {"群健康", "Group health"},
	"avg_score":            {"平均分", "average score"},
	"health_trend":         {"近 30 天健康分", "Health score, last 30 days"},
	"hs_healthy":           {"健康", "healthy"},
	"hs_dying":             {"衰退", "dying"},
	"hs_dormant":           {"沉寂", "dormant"},
	"hs_dead":              {"死群", "dead"},
	"hp_engagement":        {"参与度", "Engagement"},
	"hp_stickiness":        {"黏性", "Stickiness"},
	"hp_responsiveness":    {"响应", "Responsiveness"},
	"hp_retention":         {"新人留存", "Newcomer retention"},
	"hp_spread":            {"发言分布", "Spread"},
	"hp_growth":            {"增长", "Growth"},
	"alerts":               {"预警", "Alerts"},
	"alert":                {"预警", "Alert"},
	"no_alerts":            {"没有待处理的预警。", "No open alerts."},
	"alert_group_dormant":  {"群沉寂（14 天无人发言）", "group dormant (14 days silent)"},
	"alert_group_dying":    {"群在衰退", "group dying"},
	"alert_group_dead":     {"死群（30 天无人发言）", "group dead (30 days silent)"},
	"alert_core_quiet":     {"骨干成员一周未发言", "core member quiet for a week"},
	"resolve":              {"已处理", "Resolve"},
	"date":                 {"日期", "Date"},
	"flash_alert_resolved": {"预警 #%d 已处理。", "Alert #%d resolved."},
	"connections":          {"平台连接", "Platform connections"},
	"conn_ok":              {"正常", "working"},
	"state_active":         {"活跃", "active"},
	"state_dormant":        {"沉寂", "dormant"},
	"state_dead":           {"死群", "dead"},
	"state_archived":       {"已归档", "archived"},
	"role":                 {"角色", "Role"},
	"source":               {"入群方式", "Joined via"},
	"joined":               {"入群时间", "Joined"},
	"recent_messages":      {"最近消息", "Recent messages"},
	"sender":               {"发送人", "Sender"},
	"time":                 {"时间", "Time"},
	"content":              {"内容", "Content"},
	"capacity":             {"上限", "capacity"},
	"not_found":            {"找不到该页面", "Page not found"},
	"error":                {"出错了", "Something went wrong"},
	"back":                 {"返回总览", "Back to the dashboard"},
	"no_groups":            {"还没有群。接入一个平台，或运行 qunzhu demo。", "No groups yet. Connect a platform, or run qunzhu demo."},
	"role_owner":           {"群主", "owner"},
	"role_secretary":       {"秘书长", "secretary"},
	"role_assistant":       {"店小二", "assistant"},
	"role_member":          {"群友", "member"},
	"src_pulled_in":        {"拉入", "pulled in"},
	"src_event":            {"活动", "event"},
	"src_referral":         {"推荐", "referral"},
	"src_promotion":        {"吸粉", "promotion"},
	"src_":                 {"未知", "unknown"},
	"kind_lecturer":        {"讲师群", "lecturer"},
	"kind_topic":           {"课题群", "topic"},
	"kind_enrolment":       {"报名咨询群", "enrolment"},
	"kind_cohort":          {"学员群", "cohort"},
	"kind_allhands":        {"综合大群", "all-hands"},
	"kind_owners":          {"业主群", "owners"},
	"kind_store":           {"单店群", "store"},
	"kind_temporary":       {"临时群", "temporary"},
	"kind_custom":          {"其他", "other"},
	"switch_lang":          {"English", "中文"},
	"st_active":            {"活跃", "active"},
	"st_new":               {"新人", "new"},
	"st_quiet":             {"沉默", "quiet"},
	"st_lurker":            {"潜水", "lurker"},
	"st_zombie":            {"僵尸", "zombie"},
	"st_staff":             {"管理", "staff"},
	"tier_regular":         {"常客", "regular"},
	"tier_core":            {"核心", "core"},
	"tier_leader":          {"骨干", "leader"},
	"activity":             {"活跃度", "Activity"},
	"mk_image":             {"图片", "image"},
	"mk_voice":             {"语音", "voice"},
	"mk_video":             {"视频", "video"},
	"mk_file":              {"文件", "file"},
	"mk_link":              {"链接", "link"},
	"mk_card":              {"名片", "card"},
	"mk_miniprogram":       {"小程序", "mini-program"},
	"mk_sticker":           {"表情", "sticker"},
	"mk_redpacket":         {"红包", "red packet"},
	"mk_forward":           {"转发", "forward"},
	// Navigation and shared words.
	"moderation":         {"违规处理", "Moderation"},
	"audit":              {"审计日志", "Audit log"},
	"rules":              {"群规", "Rules"},
	"rules_edit":         {"编辑群规", "Edit the rules"},
	"rules_not_editable": {"未配置群规目录（[rules] dir），不能在控制台编辑群规。", "No rules directory is configured ([rules] dir): rules cannot be edited here."},
	"rules_edit_hint":    {"TOML 格式，与群规目录里的文件相同；只写要覆盖的项，其余继承上级。预览不会保存；保存后立即生效。", "TOML, as in the rules directory; write only what overrides the level above. Preview saves nothing; a save applies at once."},
	"scope":              {"范围", "Scope"},
	"scope_default":      {"整个组织（默认）", "Whole organisation (default)"},
	"scope_node":         {"节点", "Node"},
	"scope_group":        {"本群", "This group"},
	"preview_for":        {"预览的群", "Preview for"},
	"preview":            {"预览", "Preview"},
	"save":               {"保存", "Save"},
	"flash_rules_saved":  {"群规已保存并生效。", "The rules are saved and in force."},
	"all":                {"全部", "all"},
	"filter":             {"筛选", "Filter"},
	"reset":              {"清除筛选", "Clear filters"},
	"download_csv":       {"下载 CSV（Excel）", "Download CSV (Excel)"},
	"no_match":           {"没有符合条件的记录。", "Nothing matches."},
	"id":                 {"编号", "ID"},
	"group":              {"群", "Group"},
	"member":             {"成员", "Member"},
	"action":             {"处理", "Action"},
	"actor":              {"操作人", "By"},
	"rule":               {"规则", "Rule"},
	"category":           {"类别", "Category"},
	"reason":             {"理由", "Reason"},
	"message_id":         {"消息编号", "Message ID"},
	// Groups page.
	"node":      {"组织节点", "Tree node"},
	"node_none": {"未归入节点", "not placed"},
	// Moderation page.
	"review_queue":      {"待审核举报", "Review queue"},
	"reports":           {"举报人数", "reports"},
	"hidden":            {"已隐藏", "hidden"},
	"no_text":           {"（非文字消息或已无记录）", "(not a text message, or no longer stored)"},
	"choose":            {"请选择…", "Choose…"},
	"review_none":       {"仅记录，不处理", "record only, no action"},
	"review_warn":       {"在群里提醒", "warn in the group"},
	"review_delete":     {"删除消息", "delete the message"},
	"review_kick":       {"移出本群", "remove from the group"},
	"review_ban":        {"全组织拉黑", "ban from every group"},
	"note":              {"备注", "Note"},
	"note_hint":         {"提醒时，这段话会发到群里", "for a warning, this text is posted to the group"},
	"uphold":            {"举报成立", "Uphold"},
	"dismiss":           {"驳回", "Dismiss"},
	"queue_empty":       {"没有待审核的举报。", "No reports to review."},
	"moderation_log":    {"最近处理记录", "Recent moderation"},
	"log_empty":         {"还没有处理记录。", "Nothing moderated yet."},
	"act_allow":         {"放行", "allow"},
	"act_warn":          {"提醒", "warn"},
	"act_send":          {"提醒", "warn"},
	"act_delete":        {"删除", "delete"},
	"act_mute":          {"禁言", "mute"},
	"act_unmute":        {"解除禁言", "unmute"},
	"act_kick":          {"移出", "kick"},
	"act_ban":           {"拉黑", "ban"},
	"act_unban":         {"解除拉黑", "unban"},
	"act_set_notice":    {"设置群公告", "set the group notice"},
	"act_invite_link":   {"生成邀请链接", "create an invite link"},
	"act_":              {"无", "none"},
	"flash_upheld":      {"举报 #%d 已确认成立。", "Report #%d upheld."},
	"flash_dismissed":   {"举报 #%d 已驳回。", "Report #%d dismissed."},
	"flash_need_action": {"举报 #%d：举报成立时请选择处理方式。", "Report #%d: choose an action to uphold it."},
	"flash_need_note":   {"举报 #%d：提醒需要填写备注，它会发到群里。", "Report #%d: a warning needs a note; it is posted to the group."},
	"flash_note_long":   {"举报 #%d：备注最多 500 字。", "Report #%d: the note may have at most 500 characters."},
	"flash_no_report":   {"找不到举报 #%d。", "Report #%d not found."},
	"flash_decided":     {"举报 #%d 已经有人处理过了。", "Report #%d was decided already."},
	"flash_failed":      {"举报 #%d 处理失败，请稍后再试。", "Report #%d could not be decided: try again later."},
	// Audit page.
	"action_prefix": {"操作（前缀）", "Action (prefix)"},
	"audit_note":    {"审计日志只追加、不可修改，最新的在前。", "The audit log is append-only, newest first."},
	"subject":       {"对象", "Subject"},
	"detail":        {"详情", "Detail"},
	"newest":        {"最新", "Newest"},
	"older":         {"更早", "Older"},
	// Rules page.
	"rules_off":    {"群规引擎未启用（配置 rules.enabled），这里无法预览群规。", "The rules engine is not configured (rules.enabled), so there are no rules to preview."},
	"show":         {"查看", "Show"},
	"rules_notice": {"群规通知", "Rules notice"},
	"test_message": {"试一条消息", "Test a message"},
	"message":      {"消息", "Message"},
	"offences":     {"此前违规次数", "Earlier offences"},
	"test_hint":    {"按本群现行群规判断：发送人是入群已久的普通群友，发送时间为现在。「qunzhu 的处理」即处理记录里会记下的处理；禁言、移出和拉黑时，平台支持的话消息也会被删除。", "Judged by this group's rules in force, as sent now by an ordinary member of long standing. What qunzhu decides is what the moderation log would record; with a mute, kick or ban the message is deleted too where the platform can."},
	"test":         {"判断", "Test"},
	"rule_action":  {"群规判定", "The rules say"},
	"qunzhu_does":  {"qunzhu 的处理", "qunzhu decides"},
	"nothing":      {"不处理", "nothing"},
	"posts":        {"群内提示", "Posts"},
	"matched":      {"命中词", "Matched"},
	"normalized":   {"归一化文本", "Normalised text"},
	"hits":         {"词库命中（未按本群规则筛选）", "Dictionary hits (before this group's rules)"},
	"term":         {"词条", "Term"},
	"as_written":   {"原文", "As written"},
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
