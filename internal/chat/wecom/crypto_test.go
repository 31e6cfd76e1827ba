package wecom

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// The official test vectors: WeCom's sample code for its callback
// encryption libraries (WXBizMsgCrypt), callback/Sample.py in
// github.com/sbzhu/weworkapi_python — the Python library the WeCom
// documentation links to under 加解密库下载与返回码
// (developer.work.weixin.qq.com/document/path/90307). Example one checks a
// callback URL, example two decrypts a POSTed message; the message it
// decrypts to is the one the sample's example three encrypts.
const (
	sampleToken  = "hJqcu3uJ9Tn2gXPmxx2w9kkCkCE2EPYo"
	sampleAESKey = "6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt"
	sampleCorpID = "ww1436e0e65a779aee"

	sampleVerifySig   = "012bc692d0a58dd4b10f8dfe5c4ac00ae211ebeb"
	sampleVerifyTS    = "1476416373"
	sampleVerifyNonce = "47744683"
	sampleVerifyEcho  = "fsi1xnbH4yQh0+PJxcOdhhK6TDXkjMyhEPA7xB2TGz6b+g7xyAbEkRxN/3cNXW9qdqjnoVzEtpbhnFyq6SVHyA=="

	sampleMsgSig   = "0c3914025cb4b4d68103f6bfc8db550f79dcf48e"
	sampleMsgTS    = "1476422779"
	sampleMsgNonce = "1597212914"
	sampleMsgBody  = "<xml><ToUserName><![CDATA[ww1436e0e65a779aee]]></ToUserName>\n<Encrypt><![CDATA[Kl7kjoSf6DMD1zh7rtrHjFaDapSCkaOnwu3bqLc5tAybhhMl9pFeK8NslNPVdMwmBQTNoW4mY7AIjeLvEl3NyeTkAgGzBhzTtRLNshw2AEew+kkYcD+Fq72Kt00fT0WnN87hGrW8SqGc+NcT3mu87Ha3dz1pSDi6GaUA6A0sqfde0VJPQbZ9U+3JWcoD4Z5jaU0y9GSh010wsHF8KZD24YhmZH4ch4Ka7ilEbjbfvhKkNL65HHL0J6EYJIZUC2pFrdkJ7MhmEbU2qARR4iQHE7wy24qy0cRX3Mfp6iELcDNfSsPGjUQVDGxQDCWjayJOpcwocugux082f49HKYg84EpHSGXAyh+/oxwaWbvL6aSDPOYuPDGOCI8jmnKiypE+]]></Encrypt>\n<AgentID><![CDATA[1000002]]></AgentID>\n</xml>"
	sampleMsgPlain = "<xml><ToUserName>ww1436e0e65a779aee</ToUserName><FromUserName>ChenJiaShun</FromUserName><CreateTime>1476422779</CreateTime><MsgType>text</MsgType><Content>你好</Content><MsgId>1456453720</MsgId><AgentID>1000002</AgentID></xml>"
)

func sampleCrypter(t testing.TB) *Crypter {
	t.Helper()
	c, err := NewCrypter(sampleToken, sampleAESKey, sampleCorpID)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOfficialVectors(t *testing.T) {
	c := sampleCrypter(t)
	echo, err := c.Open(sampleVerifySig, sampleVerifyTS, sampleVerifyNonce, sampleVerifyEcho)
	if err != nil {
		t.Fatalf("URL check vector: %v", err)
	}
	if string(echo) != "1288432023552776189" {
		t.Fatalf("URL check vector decrypts to %q", echo)
	}
	env, err := DecodeEnvelope([]byte(sampleMsgBody))
	if err != nil {
		t.Fatal(err)
	}
	if env.ToUserName != sampleCorpID || env.AgentID != "1000002" {
		t.Fatalf("envelope %+v", env)
	}
	msg, err := c.Open(sampleMsgSig, sampleMsgTS, sampleMsgNonce, env.Encrypt)
	if err != nil {
		t.Fatalf("message vector: %v", err)
	}
	if string(msg) != sampleMsgPlain {
		t.Fatalf("message vector decrypts to %q", msg)
	}
	n, err := DecodeNotification(msg)
	if err != nil || n.MsgType != "text" || n.FromUserName != "ChenJiaShun" || n.CreateTime != 1476422779 {
		t.Fatalf("decoded %+v %v", n, err)
	}
	if n.GroupChange() {
		t.Fatal("a text message is not a customer-group event")
	}
}

func TestOpenRefuses(t *testing.T) {
	c := sampleCrypter(t)
	other, err := NewCrypter(sampleToken, sampleAESKey, "wwOTHERCORP")
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, err := NewCrypter(sampleToken, strings.Repeat("a", 43), sampleCorpID)
	if err != nil {
		t.Fatal(err)
	}
	flipped := []byte(sampleVerifyEcho)
	flipped[5] ^= 1
	tests := []struct {
		name       string
		c          *Crypter
		sig, nonce string
		data       string
		want       error
	}{
		{"signature of other data", c, sampleVerifySig, sampleVerifyNonce, string(flipped), ErrSignature},
		{"other nonce", c, sampleVerifySig, "47744684", sampleVerifyEcho, ErrSignature},
		{"empty signature", c, "", sampleVerifyNonce, sampleVerifyEcho, ErrSignature},
		{"another corp's app", other, sampleVerifySig, sampleVerifyNonce, sampleVerifyEcho, ErrReceiver},
		{"wrong key", wrongKey, sampleVerifySig, sampleVerifyNonce, sampleVerifyEcho, ErrCipher},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.Open(tt.sig, sampleVerifyTS, tt.nonce, tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
	// An upper-case signature is the same signature.
	if _, err := c.Open(strings.ToUpper(sampleVerifySig), sampleVerifyTS, sampleVerifyNonce, sampleVerifyEcho); err != nil {
		t.Fatalf("upper-case signature: %v", err)
	}
}

func TestDecryptRefusesMalformed(t *testing.T) {
	c := sampleCrypter(t)
	block := func(n int) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, n)) }
	for name, ct := range map[string]string{
		"not base64":       "%%%",
		"empty":            "",
		"not whole blocks": block(20),
		"one block":        block(16), // decrypts to garbage: bad padding
		"two blocks":       block(32),
	} {
		if _, _, err := c.Decrypt(ct); !errors.Is(err, ErrCipher) {
			t.Errorf("%s: got %v, want ErrCipher", name, err)
		}
	}
	// A message whose length field exceeds what was decrypted.
	enc, err := c.Encrypt([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Decrypt(enc); err != nil {
		t.Fatal(err)
	}
	long := *c
	long.receiveID = ""
	enc, _ = long.Encrypt(nil)
	if msg, recv, err := c.Decrypt(enc); err != nil || len(msg) != 0 || recv != "" {
		t.Fatalf("empty message without receiver: %q %q %v", msg, recv, err)
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	c := sampleCrypter(t)
	for _, msg := range []string{"", "x", strings.Repeat("群", 11), strings.Repeat("a", 64-20-len(sampleCorpID)), strings.Repeat("b", 5000)} {
		enc, sig, err := c.Seal([]byte(msg), "1700000000", "42")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(raw)%padBlock != 0 {
			t.Fatalf("ciphertext of %d bytes is not padded to %d", len(raw), padBlock)
		}
		got, err := c.Open(sig, "1700000000", "42", enc)
		if err != nil || string(got) != msg {
			t.Fatalf("round trip of %d bytes: %q %v", len(msg), got, err)
		}
	}
}

func TestValidateAESKey(t *testing.T) {
	for k, ok := range map[string]bool{
		sampleAESKey:                  true,
		strings.Repeat("A", 43):       true,
		strings.Repeat("A", 42):       false,
		strings.Repeat("A", 44):       false,
		strings.Repeat("A", 42) + "=": false,
		strings.Repeat("A", 42) + "-": false,
		"":                            false,
		strings.Repeat("群", 14) + "A": false,
	} {
		if err := ValidateAESKey(k); (err == nil) != ok {
			t.Errorf("ValidateAESKey(%q) = %v, want ok=%v", k, err, ok)
		}
	}
}

// FuzzDecrypt: no ciphertext makes Decrypt panic, and what Encrypt makes
// Decrypt takes back.
func FuzzDecrypt(f *testing.F) {
	c := sampleCrypter(f)
	f.Add(sampleVerifyEcho, []byte("hello"))
	f.Add("AAAA", []byte{})
	f.Add(strings.Repeat("A", 44), []byte(sampleMsgPlain))
	f.Fuzz(func(t *testing.T, ct string, msg []byte) {
		c.Decrypt(ct)
		enc, err := c.Encrypt(msg)
		if err != nil {
			t.Fatal(err)
		}
		got, recv, err := c.Decrypt(enc)
		if err != nil || !bytes.Equal(got, msg) || recv != sampleCorpID {
			t.Fatalf("round trip: %q %q %v", got, recv, err)
		}
	})
}
