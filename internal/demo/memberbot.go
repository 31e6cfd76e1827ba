package demo

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/qunzhu/qunzhu/internal/rules"
)

// botRules is the demo organisation's default.toml: the member bot's
// answers to what the demo's members ask (the sim's corpus), one welcome
// for the joins of a minute, the daily check-in and a lockdown against
// raids of joins, over the built-in presets.
const botRules = `# 演示组织的群规（在预设之上）：成员机器人的自动回答、欢迎语、每日打卡和防刷群。
# The demo organisation's rules over the presets: the member bot's answers, welcome, check-in and anti-raid lockdown.

[faq]
cooldown = "10m"

[[faq.entry]]
name = "话术"
keys = ["客服话术", "话术模板"]
reply = "客服话术模板在群文件「运营资料」里，也可以在学院公众号回复“话术”领取。"

[[faq.entry]]
name = "许可证"
keys = ["食品经营许可证", "食品许可证"]
reply = "卖自产初级农产品（蜂蜜、鲜果）一般不需要食品经营许可证；做加工食品需要。详见学院课程第 3 讲。"
link = "https://example.com/academy/licence"
title = "第 3 讲：农产品上网的证照"

[[faq.entry]]
name = "物业电话"
keys = ["物业电话", "物业的电话"]
reply = "物业服务中心：0714-0000000（8:00–20:00），夜间值班：0714-0000001。"

[[faq.entry]]
name = "装修时间"
keys = ["装修时间"]
reply = "装修时间：工作日 8:00–12:00、14:00–18:00；周末和节假日不得施工。"

[welcome]
text = "欢迎 {members} 加入{group}！{rules}\n{link}"
window = "60s"

[checkin]
streak_bonus = 5
post_points = 2

[raid]
joins = 20
within = "60s"
lockdown = "30m"
`

// WriteBotRules writes the demo's rules file (default.toml in dir) with
// the member bot's settings, unless the directory has one already (a
// demo run again keeps what the console changed).
func WriteBotRules(dir string) error {
	if _, err := rules.ParseRuleSet("default.toml", []byte(botRules)); err != nil {
		return fmt.Errorf("the demo's rules: %w", err)
	}
	p := filepath.Join(dir, "default.toml")
	if _, err := os.Stat(p); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.WriteFile(p, []byte(botRules), 0o644); err != nil {
		return fmt.Errorf("write the demo's rules: %w", err)
	}
	return nil
}
