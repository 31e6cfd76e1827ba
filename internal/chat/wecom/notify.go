package wecom

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Envelope is the body WeCom POSTs to the callback URL: the ciphertext
// and who it is for.
type Envelope struct {
	ToUserName string `xml:"ToUserName"`
	Encrypt    string `xml:"Encrypt"`
	AgentID    string `xml:"AgentID"`
}

// maxBody bounds a callback body.
const maxBody = 1 << 20

// DecodeEnvelope reads a callback body.
func DecodeEnvelope(body []byte) (Envelope, error) {
	var env Envelope
	if err := decodeXML(body, &env); err != nil {
		return env, fmt.Errorf("callback body: %w", err)
	}
	env.Encrypt = strings.TrimSpace(env.Encrypt)
	if env.Encrypt == "" {
		return env, errors.New("callback body: no Encrypt element")
	}
	return env, nil
}

// Notification is a decrypted callback event. Only the fields of the
// customer-group events (change_external_chat) are read; other events are
// acknowledged and ignored.
type Notification struct {
	ToUserName   string `xml:"ToUserName"`
	FromUserName string `xml:"FromUserName"`
	CreateTime   int64  `xml:"CreateTime"`
	MsgType      string `xml:"MsgType"`
	Event        string `xml:"Event"`
	ChangeType   string `xml:"ChangeType"` // create, update, dismiss
	ChatID       string `xml:"ChatId"`
	// UpdateDetail of an update: add_member, del_member, change_owner,
	// change_name, change_notice.
	UpdateDetail string `xml:"UpdateDetail"`
	// JoinScene of add_member: 0 invited by a member (directly or by
	// link), 3 by the group's QR code.
	JoinScene *int `xml:"JoinScene"`
	// QuitScene of del_member: 0 left, 1 removed by the owner or an admin.
	QuitScene     *int       `xml:"QuitScene"`
	MemChangeCnt  int        `xml:"MemChangeCnt"`
	MemChangeList memberList `xml:"MemChangeList"`
	LastMemVer    string     `xml:"LastMemVer"`
	CurMemVer     string     `xml:"CurMemVer"`
}

// Change types and details of change_external_chat.
const (
	EventChangeExternalChat = "change_external_chat"
	ChangeCreate            = "create"
	ChangeUpdate            = "update"
	ChangeDismiss           = "dismiss"
	DetailAddMember         = "add_member"
	DetailDelMember         = "del_member"
	DetailChangeOwner       = "change_owner"
	DetailChangeName        = "change_name"
	DetailChangeNotice      = "change_notice"
)

// GroupChange reports whether n is a customer-group event qunzhu acts on.
func (n *Notification) GroupChange() bool {
	return n.MsgType == "event" && n.Event == EventChangeExternalChat && n.ChatID != "" &&
		(n.ChangeType == ChangeCreate || n.ChangeType == ChangeUpdate || n.ChangeType == ChangeDismiss)
}

// Changed lists the members an add_member or del_member names (empty when
// WeCom sent no list: older events carry only a count).
func (n *Notification) Changed() []string { return n.MemChangeList }

// memberList reads MemChangeList in both of WeCom's forms: <Item>
// elements, or one comma-separated text.
type memberList []string

func (l *memberList) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var raw struct {
		Items []string `xml:"Item"`
		Text  string   `xml:",chardata"`
	}
	if err := d.DecodeElement(&raw, &start); err != nil {
		return err
	}
	var out []string
	for _, it := range raw.Items {
		if s := strings.TrimSpace(it); s != "" {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		for _, s := range strings.Split(raw.Text, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	*l = out
	return nil
}

// DecodeNotification reads a decrypted callback message.
func DecodeNotification(msg []byte) (Notification, error) {
	var n Notification
	if err := decodeXML(msg, &n); err != nil {
		return n, fmt.Errorf("callback message: %w", err)
	}
	if n.MsgType == "" {
		return n, errors.New("callback message: no MsgType")
	}
	if n.Event == EventChangeExternalChat && n.ChatID == "" {
		return n, errors.New("callback message: change_external_chat without ChatId")
	}
	return n, nil
}

// decodeXML decodes one <xml> document, with nothing but whitespace after
// the root element. (encoding/xml expands no entities a DTD declares, so a
// hostile document can neither read files nor balloon.)
func decodeXML(b []byte, v any) error {
	if len(b) > maxBody {
		return fmt.Errorf("%d bytes is too large", len(b))
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("not XML: %w", err)
	}
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		if cd, ok := tok.(xml.CharData); ok && len(bytes.TrimSpace(cd)) == 0 {
			continue
		}
		if _, ok := tok.(xml.ProcInst); ok {
			continue
		}
		return errors.New("more after the root element")
	}
	return nil
}
