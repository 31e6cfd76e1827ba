package rules

// variants maps characters used to dodge filters to the character they
// imitate; 0 drops the character. Only characters whose plain meaning is
// never needed for matching belong here: dictionaries are matched against
// the folded text, messages are stored as sent.
var variants = map[rune]rune{
	// "add": ➕ ＋ ﹢ ✚ are all 加 in ads (加我 → ➕我).
	'➕': '加', '＋': '加', '﹢': '加', '✚': '加', '✙': '加',
	// "WeChat": 薇信 威信 维信 徽信 V信 — the 微 of 微信.
	'薇': '微', '威': '微', '维': '微', '維': '微', '徽': '微', '嶶': '微', '溦': '微',
	// 信: 芯 and 伈 stand in for it.
	'芯': '信', '伈': '信',
	// 砲 is an old form of 炮 (约砲), which no traditional→simplified table folds.
	'砲': '炮',
	// 屄 is the 逼 of 傻逼.
	'屄': '逼',
	// QQ: 扣扣, 企鹅 are handled as dictionary terms; 抠抠 → 扣扣.
	'抠': '扣', '釦': '扣',
	// Zero-width and joiners that survive IsSpace.
	'\u200b': 0, '\u200c': 0, '\u200d': 0, '\u2060': 0, '\ufeff': 0,
	// Circled and parenthesised letters NFKC does not fold the same way.
	'ⓥ': 'v', 'Ⓥ': 'v', 'ⓠ': 'q', 'Ⓠ': 'q', 'ⓦ': 'w', 'Ⓦ': 'w', 'ⓧ': 'x', 'Ⓧ': 'x',
	// Cyrillic and Greek look-alikes of Latin letters.
	'в': 'b', 'В': 'b', 'с': 'c', 'С': 'c', 'е': 'e', 'Е': 'e', 'о': 'o', 'О': 'o', 'р': 'p', 'Р': 'p',
	'х': 'x', 'Х': 'x', 'у': 'y', 'к': 'k', 'К': 'k', 'м': 'm', 'М': 'm', 'т': 't', 'Т': 't', 'а': 'a', 'А': 'a',
	'ν': 'v', 'ο': 'o', 'Ο': 'o', 'α': 'a', 'χ': 'x', 'ρ': 'p',
	// Emoji that stand for a word: 傻🐶, 猪脑子🐷, 投个🎫, 赚💰.
	'🐶': '狗', '🐕': '狗', '🐷': '猪', '🐖': '猪', '🎫': '票', '🎟': '票', '💰': '钱', '💧': '水', '🙏': '求', '🎰': '赌', '🏥': '医',
	// Emoji codes of the trade stay, so dictionaries can list them: 🍆🍑
	// (sex), ❄🍃 (ice and weed). Alone they are fruit and weather.
	'🍆': '🍆', '🍑': '🍑', '❄': '❄', '🍃': '🍃',
	// Hearts and stars inserted between characters.
	'❤': 0, '♥': 0, '★': 0, '☆': 0, '❥': 0,
}

// Digits in circles NFKC leaves alone (⓵, ❶, ➀, ➊ for 1–9), as ads spell
// phone numbers and ids with them.
func init() {
	for _, first := range []rune{0x24F5, 0x2776, 0x2780, 0x278A} {
		for i := range rune(9) {
			variants[first+i] = '1' + i
		}
	}
}

// simplified maps traditional characters to simplified ones: the ones that
// appear in the categories' vocabulary and in ordinary chat, written for
// this project.
var simplified = map[rune]rune{
	'貼': '贴', '賭': '赌', '謠': '谣', '騙': '骗', '錢': '钱', '號': '号', '輕': '轻', '籌': '筹', '聖': '圣', '經': '经',
	'禮': '礼', '罵': '骂', '滾': '滚', '賣': '卖', '買': '买', '點': '点', '擊': '击', '鏈': '链', '紅': '红', '網': '网',
	'進': '进', '羣': '群', '掃': '扫', '碼': '码', '領': '领', '資': '资', '職': '职', '費': '费', '獎': '奖', '幫': '帮',
	'黃': '黄', '麼': '么', '個': '个', '們': '们', '這': '这', '來': '来', '為': '为', '說': '说', '會': '会', '發': '发',
	'對': '对', '時': '时', '門': '门', '開': '开', '關': '关', '員': '员', '單': '单', '復': '复', '實': '实', '還': '还',
	'讓': '让', '給': '给', '過': '过', '請': '请', '問': '问', '課': '课', '學': '学', '習': '习', '電': '电', '話': '话',
	'視': '视', '頻': '频', '聯': '联', '絡': '络', '係': '系', '繫': '系', '務': '务', '質': '质', '優': '优', '惠': '惠',
	'價': '价', '廣': '广', '告': '告', '傳': '传', '銷': '销', '寶': '宝', '淘': '淘', '貨': '货', '錯': '错',
	'贏': '赢', '輸': '输', '彩': '彩', '場': '场', '讀': '读', '書': '书', '講': '讲', '師': '师',
	'麗': '丽', '愛': '爱', '獻': '献', '醫': '医', '藥': '药', '療': '疗', '癥': '症', '術': '术', '災': '灾', '難': '难',
	'國': '国', '黨': '党', '軍': '军', '憲': '宪', '獨': '独', '選': '选', '舉': '举', '戰': '战', '爭': '争', '亂': '乱',
	'媽': '妈', '氣': '气', '腦': '脑', '殘': '残', '豬': '猪', '狗': '狗', '蠢': '蠢', '笨': '笨', '賤': '贱', '雜': '杂',
	'種': '种', '閉': '闭', '嘴': '嘴', '瘋': '疯', '蟲': '虫', '鬼': '鬼', '神': '神', '佛': '佛', '靈': '灵', '魂': '魂',
	'禱': '祷', '懺': '忏', '悔': '悔', '審': '审', '判': '判', '讚': '赞', '頌': '颂', '萬': '万', '歲': '岁',
	'線': '线', '無': '无', '風': '风', '險': '险', '穩': '稳', '賺': '赚', '兌': '兑', '換': '换', '額': '额', '帳': '账',
	'戶': '户', '轉': '转', '匯': '汇', '銀': '银', '閱': '阅', '覽': '览', '體': '体', '驗': '验', '際': '际', '約': '约',
	'夥': '伙', '專': '专', '業': '业', '團': '团', '隊': '队', '報': '报', '連': '连', '結': '结', '機': '机',
	'據': '据', '數': '数', '樂': '乐', '親': '亲', '長': '长', '歡': '欢', '迎': '迎', '謝': '谢', '應': '应', '該': '该',
}
