package community

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Detail builds an audit entry's Detail: a JSON object of the key/value
// pairs kv ("note", note, "group", 12, …), in that order. Values are
// encoded with encoding/json — never with %q, whose escapes (\x01, \a)
// are not JSON — so any text a member or an operator typed keeps the
// object valid. A value JSON cannot encode is written as its %v text; a
// key that is not a string is written with %v too.
func Detail(kv ...any) string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i := 0; i < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		key, ok := kv[i].(string)
		if !ok {
			key = fmt.Sprint(kv[i])
		}
		writeJSON(&b, key)
		b.WriteByte(':')
		if i+1 < len(kv) {
			writeJSON(&b, kv[i+1])
		} else {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.String()
}

func writeJSON(b *bytes.Buffer, v any) {
	enc, err := json.Marshal(v)
	if err != nil {
		enc, _ = json.Marshal(fmt.Sprint(v))
	}
	b.Write(enc)
}

// SafeDetail returns d when it is a JSON object, "{}" when it is empty,
// and otherwise d wrapped as {"text": d}: what the audit log stores is
// always valid JSON, whoever built it.
func SafeDetail(d string) string {
	if d == "" {
		return "{}"
	}
	if b := bytes.TrimSpace([]byte(d)); len(b) > 0 && b[0] == '{' && json.Valid(b) {
		return d
	}
	return Detail("text", d)
}
