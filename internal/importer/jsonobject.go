package importer

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
)

// topObject streams an export that is one JSON object whose "messages"
// array holds the records (Element's, QQ Chat Exporter's): next reads the
// object's keys up to the array's next element, which the caller then
// decodes from dec.
type topObject struct {
	dec                          *json.Decoder
	what                         string // "an Element export of a Matrix room"
	started, inList, done, found bool
	index                        int // the next element of "messages"
}

func newTopObject(br *bufio.Reader, what string) topObject {
	dec := json.NewDecoder(br)
	dec.UseNumber()
	return topObject{dec: dec, what: what}
}

// next returns the path of the next element of "messages", or io.EOF after
// the object. key is given every other key of the object, and "messages"
// before its array is opened: it reads the key's value and reports true, or
// reports false to have it skipped (for "messages": opened).
func (o *topObject) next(key func(string) (bool, error)) (elemPath, error) {
	for {
		switch {
		case !o.started:
			o.started = true
			tok, err := o.dec.Token()
			if err != nil || tok != json.Delim('{') {
				return elemPath{}, fileError("", 0, "not %s: want a JSON object", o.what)
			}
		case o.done:
			if _, err := o.dec.Token(); !errors.Is(err, io.EOF) {
				return elemPath{}, fileError("", 0, "trailing data after the export's JSON object")
			}
			if !o.found {
				return elemPath{}, fileError("", 0, "not %s: the JSON object has no \"messages\"", o.what)
			}
			return elemPath{}, io.EOF
		case o.inList:
			if !o.dec.More() {
				if _, err := o.dec.Token(); err != nil {
					return elemPath{}, jsonError("messages", err)
				}
				o.inList = false
				continue
			}
			at := elemPath{"messages", o.index}
			o.index++
			return at, nil
		default:
			tok, err := o.dec.Token()
			if err != nil {
				return elemPath{}, jsonError("", err)
			}
			if tok == json.Delim('}') {
				o.done = true
				continue
			}
			k, _ := tok.(string)
			if k == "messages" && o.found {
				return elemPath{}, fileError(k, 0, "given twice")
			}
			done, err := key(k)
			if err != nil {
				return elemPath{}, err
			}
			if done {
				continue
			}
			if k != "messages" {
				var raw json.RawMessage
				if err := o.dec.Decode(&raw); err != nil {
					return elemPath{}, jsonError(k, err)
				}
				continue
			}
			o.found = true
			tok, err = o.dec.Token()
			if err != nil {
				return elemPath{}, jsonError(k, err)
			}
			if tok != json.Delim('[') {
				return elemPath{}, fileError(k, 0, "want an array, got %s", tokenWord(tok))
			}
			o.inList = true
		}
	}
}
