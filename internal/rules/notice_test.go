package rules

import (
	"strings"
	"testing"
)

// removals derives, from the rules alone, what can get a member removed
// (kicked or banned), and everything else the rules act on, by name in
// Chinese and English.
func removals(rs *RuleSet) (removed, other [][2]string) {
	ladderRemoves := false
	for _, s := range rs.Escalation.Steps {
		st, _ := ParseStep(s)
		ladderRemoves = ladderRemoves || st.Action == Kick || st.Action == Ban
	}
	add := func(zh, en string, a Action) {
		if a == Kick || a == Ban || a == Ladder && ladderRemoves {
			removed = append(removed, [2]string{zh, en})
		} else if a != "" && a != Allow {
			other = append(other, [2]string{zh, en})
		}
	}
	for k, a := range rs.Banned {
		add(KindName(k).Zh, KindName(k).En, a)
	}
	for c, a := range rs.Categories {
		add(CategoryName(c).Zh, CategoryName(c).En, a)
	}
	if f := rs.Flood; f.Messages > 0 || f.Identical > 0 || f.MaxLength > 0 {
		add("刷屏", "flooding", f.Action)
	}
	if rs.Mentions.Max > 0 {
		add("滥用 @", "mention spam", rs.Mentions.Action)
	}
	if rs.Quiet.set {
		add("作息时间外发言", "posting in quiet hours", rs.Quiet.Action)
	}
	if rs.Probation.Hours > 0 && len(rs.Probation.Banned) > 0 {
		a := rs.Probation.Action
		if a == "" {
			a = Delete
		}
		add("新成员违反新人限制", "a newcomer breaking the newcomer restriction", a)
	}
	if rs.Nickname.Pattern != "" {
		add("群昵称", "nickname", rs.Nickname.Action)
	}
	return removed, other
}

// TestNoticeNamesRemovals: for every preset and for rule sets that remove
// members for other things, each offence that can remove a member is named
// in a sentence of the notice that says so, in both languages, and no
// sentence says removal of anything else.
func TestNoticeNamesRemovals(t *testing.T) {
	sets := map[string]*RuleSet{}
	for _, p := range presetNames {
		rs, err := Preset(p)
		if err != nil {
			t.Fatal(err)
		}
		sets["preset "+p] = rs
	}
	for name, src := range map[string]string{
		"flood and mentions remove":            "[flood]\nmessages = 5\nwindow = \"10s\"\naction = \"kick\"\n[mentions]\nmax = 3\naction = \"ban\"\n",
		"quiet hours and newcomers remove":     "[quiet]\nallow = \"07:00-22:00\"\naction = \"kick\"\n[probation]\nhours = 12\nbanned = [\"link\"]\naction = \"kick\"\n",
		"a content type and a custom category": "[banned]\nvideo = \"kick\"\n[categories]\ngroupbuy = \"ban\"\n",
		"a ladder that never removes":          "[categories]\nvote = \"ladder\"\n[escalation]\nsteps = [\"warn\", \"mute 1h\"]\n",
		"a nickname that mutes":                "[nickname]\npattern = '^\\d+'\nexample = \"12 王\"\naction = \"mute\"\n",
	} {
		child, err := ParseRuleSet("r.toml", []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if sets[name], err = Merge(Default(), child); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name, rs := range sets {
		removed, other := removals(rs)
		for i, lang := range []string{"zh", "en"} {
			lines := strings.Split(Notice(rs, lang, "群"), "\n")
			says := func(what string) (removal, any bool) {
				for _, l := range lines {
					if strings.Contains(strings.ToLower(l), strings.ToLower(what)) {
						any = true
						if strings.Contains(l, "移出") || strings.Contains(l, "remov") {
							removal = true
						}
					}
				}
				return removal, any
			}
			for _, r := range removed {
				if removal, _ := says(r[i]); !removal {
					t.Errorf("%s (%s): %q can remove a member, the notice does not say so:\n%s", name, lang, r[i], strings.Join(lines, "\n"))
				}
			}
			for _, o := range other {
				if removal, _ := says(o[i]); removal && !slicesHas(removed, o[i]) {
					t.Errorf("%s (%s): the notice says %q removes a member; the rules do not:\n%s", name, lang, o[i], strings.Join(lines, "\n"))
				}
			}
		}
	}
}

func slicesHas(xs [][2]string, s string) bool {
	for _, x := range xs {
		if x[0] == s || x[1] == s {
			return true
		}
	}
	return false
}
