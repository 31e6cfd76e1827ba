package console

import (
	"errors"
	"fmt"
	"html/template"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/qunzhu/qunzhu/internal/access"
	"github.com/qunzhu/qunzhu/internal/community"
	"github.com/qunzhu/qunzhu/internal/errkind"
	"github.com/qunzhu/qunzhu/internal/rules"
)

// "Chinese means Chinese" (docs/console/i18n.md): the helpers that put the
// values the console shows into the reader's language — platforms, rules,
// categories, who did something — and mark what users wrote (names,
// messages, titles) as user content, class="ud", which the crawler test
// (internal/app's TestConsolePages) leaves out of its language checks.

// i18nFuncs are the templates' functions of this file.
func i18nFuncs() template.FuncMap {
	return template.FuncMap{
		"ud":         ud,
		"tfu":        tfu,
		"tc":         tc,
		"platform":   platformName,
		"rule":       ruleText,
		"category":   categoryText,
		"actor":      actorText,
		"tier":       func(l Lang, name string) string { return community.TierName(name, string(l)) },
		"connField":  connFieldName,
		"term":       termText,
		"tokenScope": tokenScope,
		"dur":        func(l Lang, d time.Duration) string { return community.DurationText(string(l), d) },
	}
}

// ud marks a value users wrote (a name, a message, a title) as user
// content.
func ud(v any) template.HTML {
	return template.HTML(`<span class="ud">` + template.HTMLEscapeString(fmt.Sprint(v)) + `</span>`)
}

// esc is a text of the console's, escaped for a page.
func esc(s string) template.HTML { return template.HTML(template.HTMLEscapeString(s)) }

// tfu is tf for a sentence that names user data: its string arguments are
// marked as user content, the rest of the sentence is the reader's
// language.
func tfu(l Lang, key string, args ...any) template.HTML {
	marked := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case template.HTML:
			marked[i] = v
		case string:
			marked[i] = ud(v)
		default:
			marked[i] = a
		}
	}
	return template.HTML(fmt.Sprintf(template.HTMLEscapeString(T(l, key)), marked...))
}

// tc is T for a text with code in it: what is between backquotes (a file
// name, a command, a configuration key) is shown as <code>, as written.
func tc(l Lang, key string) template.HTML { return codeText(T(l, key)) }

// codeText escapes a text, showing what is between backquotes as <code>.
func codeText(s string) template.HTML {
	parts := strings.Split(s, "`")
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String())
}

// platformName is a platform ("telegram", "sim") in words.
func platformName(l Lang, p string) string {
	if _, ok := messages["platform_"+p]; ok {
		return T(l, "platform_"+p)
	}
	return p
}

// categoryText is what a moderation action was about, in words: the rules
// engine's categories and the console's own (an eligibility refusal, a
// purge, a report upheld, a staff command).
func categoryText(l Lang, c string) string {
	if c == "" {
		return ""
	}
	if _, ok := messages["cat_"+c]; ok {
		return T(l, "cat_"+c)
	}
	n := rules.CategoryName(c)
	if l == En {
		return n.En
	}
	return n.Zh
}

// ruleText is a rule as the moderation log records it — the rule set and
// the rule within it ("业主群群规/categories.ad"), or what acted outside
// the rules files ("eligibility", "command/kick") — in words: the rule
// set's name (written by the operator) and what the rule is about.
func ruleText(l Lang, rule string) template.HTML {
	if rule == "" {
		return ""
	}
	if _, ok := messages["rulesrc_"+rule]; ok {
		return template.HTML(template.HTMLEscapeString(T(l, "rulesrc_"+rule)))
	}
	set, key, ok := strings.Cut(rule, "/")
	if !ok {
		return template.HTML(template.HTMLEscapeString(rule))
	}
	if set == "command" {
		return template.HTML(template.HTMLEscapeString(T(l, "rulesrc_command")) + " <code>/" + template.HTMLEscapeString(key) + "</code>")
	}
	what := ""
	kind, arg, _ := strings.Cut(key, ".")
	switch kind {
	case "categories":
		what = categoryText(l, arg)
	case "model":
		what = tf(l, "rule_model", categoryText(l, arg))
	case "banned":
		n := rules.KindName(arg)
		what = tf(l, "rule_banned", Bilingual{n.Zh, n.En}.In(l))
	default:
		what = categoryText(l, kind)
	}
	return ud(set) + template.HTML(" · "+template.HTMLEscapeString(what))
}

// actorText is who did something, as the moderation and audit logs record
// it ("rules", "staff:NAME", "user:NAME", "api:TOKEN", "platform:CONN",
// "system:auto-bind", "scheduler"), in words with the name marked as user
// content. A member ("person:ID") is named by the caller, who can look
// names up.
func actorText(l Lang, actor string) template.HTML {
	kind, rest, ok := strings.Cut(actor, ":")
	if !ok {
		if _, known := messages["actor_"+actor]; known {
			return template.HTML(template.HTMLEscapeString(T(l, "actor_"+actor)))
		}
		return template.HTML(template.HTMLEscapeString(actor))
	}
	switch kind {
	case "user", "staff":
		return ud(rest)
	case "api":
		return tfu(l, "actor_api", rest)
	case "platform":
		return tfu(l, "actor_platform", rest)
	case "system":
		if _, known := messages["actor_system_"+rest]; known {
			return template.HTML(template.HTMLEscapeString(T(l, "actor_system_"+rest)))
		}
		return template.HTML(template.HTMLEscapeString(T(l, "actor_system")))
	case "person":
		return template.HTML(template.HTMLEscapeString(T(l, "a_member") + T(l, "via_chat")))
	case "cli":
		return tfu(l, "actor_cli_user", rest)
	}
	return template.HTML(template.HTMLEscapeString(actor))
}

// connFieldName names a connection's setting: its form field's label, or its
// secret's.
func connFieldName(l Lang, platform, key string) string {
	for _, k := range []string{"cf_" + platform + "_" + key, "cf_secret_" + key} {
		if _, ok := messages[k]; ok {
			return T(l, k)
		}
	}
	return key
}

// termText is what a rules hit matched: a dictionary word as written (user
// content), or the name of the recogniser that found it in words.
func termText(l Lang, term string) template.HTML {
	if _, ok := messages["term_"+term]; ok {
		return esc(T(l, "term_"+term))
	}
	return ud(term)
}

// tokenScope is what an API token may do ("admin", "read",
// "ops:editor,reviewer"), in words.
func tokenScope(l Lang, scope string) string {
	roles, ops := strings.CutPrefix(scope, access.ScopeOps)
	if !ops {
		if _, ok := messages["token_scope_"+scope]; ok {
			return T(l, "token_scope_"+scope)
		}
		return scope
	}
	var names []string
	for _, r := range strings.Split(roles, ",") {
		names = append(names, T(l, "ops_"+r))
	}
	return T(l, "token_scope_ops") + T(l, "colon") + strings.Join(names, T(l, "list_sep"))
}

// rulesErrorText says what is wrong with a rules file in the reader's
// language, what the operator wrote shown as code.
func rulesErrorText(l Lang, err error) template.HTML {
	var fe *rules.FileError
	if errors.As(err, &fe) {
		return codeText(fe.In(string(l)))
	}
	return esc(T(l, "rules_invalid")) + template.HTML("<code>"+template.HTMLEscapeString(errkind.Message(err))+"</code>")
}

var hanChar = regexp.MustCompile(`\p{Han}`)

// errorIn puts an error's message in the reader's language, as the page's
// title and its body. A message in both ("中文。English.") is cut to the
// reader's half; one in the other language only follows a general
// sentence of the reader's, as written, in <code>.
func errorIn(l Lang, msg string) (string, template.HTML) {
	zh, en := splitBilingual(msg)
	switch {
	case l == En && en != "":
		return en, esc(en)
	case l == Zh && zh != "":
		return zh, esc(zh)
	}
	return T(l, "error"), esc(T(l, "error_detail")) + template.HTML("<code>"+template.HTMLEscapeString(msg)+"</code>")
}

// splitBilingual cuts a message into its Chinese and its English: a
// Chinese sentence and then an English one, either alone.
func splitBilingual(msg string) (zh, en string) {
	msg = strings.TrimSpace(msg)
	last := hanChar.FindAllStringIndex(msg, -1)
	if last == nil {
		return "", msg
	}
	cut := last[len(last)-1][1]
	// The Chinese half ends with its last full stop (it may quote a
	// command after its last character) and its punctuation.
	if stops := cjkStop.FindAllStringIndex(msg, -1); stops != nil && stops[len(stops)-1][1] > cut {
		cut = stops[len(stops)-1][1]
	}
	for cut < len(msg) {
		r, n := utf8.DecodeRuneInString(msg[cut:])
		if !strings.ContainsRune("。！？：；，）」”", r) {
			break
		}
		cut += n
	}
	return strings.TrimSpace(msg[:cut]), strings.TrimSpace(msg[cut:])
}

var cjkStop = regexp.MustCompile(`[。！？]`)
