package datasets

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/qunzhu/qunzhu/internal/rules"
)

func write(t *testing.T, path, body string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLoad reads a directory laid out like the public data sets, with a
// few lines of each (written here, in each set's format).
func TestLoad(t *testing.T) {
	dir := t.TempDir()
	for _, split := range []string{"train", "dev"} {
		write(t, filepath.Join(dir, "cold", split+".csv"), "\ufeff,split,topic,label,TEXT\n1,"+split+",region,1,某地人都是骗子\n2,"+split+",race,0,不要地域黑\n")
	}
	write(t, filepath.Join(dir, "cold", "test.csv"), "\ufeff,split,topic,label,fine-grained-label,TEXT\n3,test,gender,1,1,你这种人真恶心\n4,test,gender,0,3,反对性别歧视\n")
	write(t, filepath.Join(dir, "sensitive-lexicon", "Vocabulary", "广告类型.txt"), "兼职刷单\nQQ\n网\n兼职刷单\n")
	for _, f := range []string{"色情类型.txt", "色情词库.txt", "政治类型.txt", "反动词库.txt"} {
		write(t, filepath.Join(dir, "sensitive-lexicon", "Vocabulary", f), "测试词语\n")
	}
	write(t, filepath.Join(dir, "sms-spam", "SMSSpamCollection"), "Label\tSMS\nham\tSee you at 5\nspam\tWINNER! Claim your prize now, call 09061701461\n")
	write(t, filepath.Join(dir, "davidson", "labeled_data.csv"), ",count,hate_speech,offensive_language,neither,class,tweet\n0,3,0,3,0,1,\"!!! RT @someone: you are trash &amp; a liar http://t.co/x\"\n1,3,0,0,3,2,nice weather today\n")
	write(t, filepath.Join(dir, "janitr", "sample.jsonl"), `{"text":"Claim the airdrop, connect your wallet","labels":["scam","topic_crypto"]}`+"\n"+`{"text":"ETH fees are low today","labels":["topic_crypto"]}`+"\n"+`{"text":"Great point!","labels":["ai_generated_reply"]}`+"\n")
	xs, err := Load(dir, "cold", "lexicon", "sms", "davidson", "janitr")
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]Example{}
	for _, x := range xs {
		src, _, _ := strings.Cut(x.Source, "/")
		by[src] = append(by[src], x)
	}
	if len(by["project"]) < 4000 {
		t.Errorf("project corpora: %d", len(by["project"]))
	}
	cold := by["cold"]
	if len(cold) != 4 || cold[0].Label != "abuse" || cold[1].Label != "clean" || cold[0].Split != rules.SplitTrain || cold[2].Split != rules.SplitTest || cold[2].Detail != "attacks a person" || cold[3].Detail != "safe, against bias" {
		t.Errorf("cold: %+v", cold)
	}
	// Terms of two Chinese characters or more, each once (the first list
	// that has it names its category).
	lex := map[string]string{}
	for _, x := range by["lexicon"] {
		if !x.Term {
			t.Errorf("a lexicon entry not marked as a term: %+v", x)
		}
		lex[x.Text] = x.Label
	}
	if len(lex) != 2 || lex["兼职刷单"] != "ad" || lex["测试词语"] != "politics" {
		t.Errorf("lexicon: %+v", by["lexicon"])
	}
	if sms := by["sms"]; len(sms) != 2 || sms[0].Label != "clean" || sms[1].Label != "ad" {
		t.Errorf("sms: %+v", sms)
	}
	if d := by["davidson"]; len(d) != 2 || d[0].Text != "you are trash a liar" || d[0].Label != "abuse" || d[1].Label != "clean" {
		t.Errorf("davidson: %+v", d)
	}
	if j := by["janitr"]; len(j) != 2 || j[0].Label != "ad" || j[1].Label != "clean" {
		t.Errorf("janitr: %+v", j)
	}
	files, _ := Files(dir)
	if len(files) != 11 {
		t.Errorf("files: %v", files)
	}
	if _, err := Load(t.TempDir(), "sms"); err == nil {
		t.Error("a missing required data set was not reported")
	}
	write(t, filepath.Join(dir, "sms-spam", "SMSSpamCollection"), "maybe\tthis\n")
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), ":1: want ham or spam") {
		t.Errorf("a bad line: %v", err)
	}
}
