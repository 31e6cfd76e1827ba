package wecom

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu/internal/chat"
)

// Archive reads message content from WeCom's 会话内容存档 (message
// archive), a paid feature: WeCom gives customer-group messages to an app
// in no other way. The archive is read through WeCom's proprietary native
// SDK (libWeWorkFinanceSdk_C.so); qunzhu binds it only when built with
// -tags msgaudit on Linux with cgo (archive_sdk.go), and OpenArchive says
// so otherwise.
type Archive interface {
	// Fetch returns up to limit archived messages after seq, decrypted,
	// in seq order.
	Fetch(ctx context.Context, seq uint64, limit int) ([]ArchivedMessage, error)
	Close() error
}

// ArchivedMessage is one archived message: its sequence number and its
// decrypted JSON (see DecodeArchived).
type ArchivedMessage struct {
	Seq   uint64
	MsgID string
	Plain []byte
}

// ArchiveConfig configures the archive: the 会话内容存档 secret (not the
// app's) and the private keys matching the public keys set in the WeCom
// admin, by version (publickey_ver).
type ArchiveConfig struct {
	CorpID string
	Secret string
	Keys   map[int]string // version → PEM file path
	Proxy  string         // optional HTTP proxy for the SDK ("" none)
}

// archiveBatch is how many messages one read asks for (WeCom allows 1000).
const archiveBatch = 500

// readArchive stores the customer-group messages archived since the saved
// sequence number, then saves the new one.
func (a *Adapter) readArchive(ctx context.Context, sink chat.Sink) error {
	raw, err := a.cfg.Cursors.LoadCursor(ctx, a.cfg.Name, keyArchive)
	if err != nil {
		return err
	}
	var seq uint64
	if raw != "" {
		if seq, err = strconv.ParseUint(raw, 10, 64); err != nil {
			return fmt.Errorf("archive position %q: %w", raw, err)
		}
	}
	for ctx.Err() == nil {
		msgs, err := a.cfg.Archive.Fetch(ctx, seq, archiveBatch)
		if err != nil || len(msgs) == 0 {
			return err
		}
		known := a.Known()
		var evs []chat.Event
		for _, m := range msgs {
			e, ok, err := DecodeArchived(m.Plain, a.cfg.Name)
			if err != nil {
				a.log.Warn("wecom: an archived message cannot be read; skipped", "seq", m.Seq, "msgid", m.MsgID, "err", err)
				continue
			}
			if !ok {
				continue
			}
			// Customer groups only: the archive has internal groups and
			// one-to-one chats too.
			if _, customer := known[e.Group]; customer {
				evs = append(evs, e)
			}
		}
		if len(evs) > 0 {
			if err := sink.Ingest(ctx, evs); err != nil {
				return fmt.Errorf("store archived messages: %w", err)
			}
		}
		seq = msgs[len(msgs)-1].Seq
		if err := a.cfg.Cursors.SaveCursor(ctx, a.cfg.Name, keyArchive, strconv.FormatUint(seq, 10)); err != nil {
			return err
		}
		if len(msgs) < archiveBatch {
			return nil
		}
	}
	return nil
}

// archived is the JSON of a decrypted archived message (chatdata).
type archived struct {
	MsgID   string   `json:"msgid"`
	Action  string   `json:"action"` // send, recall, switch
	From    string   `json:"from"`
	ToList  []string `json:"tolist"`
	RoomID  string   `json:"roomid"`
	MsgTime int64    `json:"msgtime"` // unix ms
	MsgType string   `json:"msgtype"`
	Text    *struct {
		Content string `json:"content"`
	} `json:"text"`
	Link *struct {
		Title    string `json:"title"`
		Desc     string `json:"description"`
		LinkURL  string `json:"link_url"`
		ImageURL string `json:"image_url"`
	} `json:"link"`
	File *struct {
		FileName string `json:"filename"`
	} `json:"file"`
	Weapp *struct {
		Title       string `json:"title"`
		DisplayName string `json:"displayname"`
	} `json:"weapp"`
	Card *struct {
		CorpName string `json:"corpname"`
		UserID   string `json:"userid"`
	} `json:"card"`
	ChatRecord *struct {
		Title string `json:"title"`
	} `json:"chatrecord"`
	RedPacket *struct {
		Wish string `json:"wish"`
	} `json:"redpacket"`
	ExternalRedPacket *struct {
		Wish string `json:"wish"`
	} `json:"external_redpacket"`
	Location *struct {
		Title   string `json:"title"`
		Address string `json:"address"`
	} `json:"location"`
	News *struct {
		Item []struct {
			Title string `json:"title"`
			URL   string `json:"url"`
		} `json:"item"`
	} `json:"news"`
	Markdown *struct {
		Content string `json:"content"`
	} `json:"markdown"`
	Mixed *struct {
		Item []struct {
			Type    string `json:"type"`
			Content string `json:"content"` // JSON of the part
		} `json:"item"`
	} `json:"mixed"`
}

// archivedKinds maps archive message types to qunzhu's message kinds.
// Structured messages without a kind of their own (location, vote, todo,
// calendar, meeting, doc, channel video…) count as card.
var archivedKinds = map[string]chat.MessageKind{
	"text": chat.KindText, "markdown": chat.KindText, "mixed": chat.KindText,
	"image": chat.KindImage, "voice": chat.KindVoice, "video": chat.KindVideo,
	"file": chat.KindFile, "link": chat.KindLink, "news": chat.KindLink,
	"weapp": chat.KindMiniProgram, "card": chat.KindCard, "emotion": chat.KindSticker,
	"redpacket": chat.KindRedPacket, "external_redpacket": chat.KindRedPacket,
	"chatrecord": chat.KindForward,
}

// DecodeArchived maps a decrypted archived message to a message event.
// ok is false for what is not a message in a group: a recall, a switch of
// the archiving account, a one-to-one chat.
func DecodeArchived(plain []byte, connection string) (chat.Event, bool, error) {
	var m archived
	if err := json.Unmarshal(plain, &m); err != nil {
		return chat.Event{}, false, fmt.Errorf("archived message: %w", err)
	}
	if m.Action != "send" || m.RoomID == "" {
		return chat.Event{}, false, nil
	}
	if m.MsgID == "" || m.From == "" || m.MsgTime <= 0 {
		return chat.Event{}, false, fmt.Errorf("archived message: msgid, from and msgtime are required")
	}
	kind, ok := archivedKinds[m.MsgType]
	if !ok {
		kind = chat.KindCard
	}
	msg := &chat.Message{ID: m.MsgID, Kind: kind}
	switch {
	case m.Text != nil:
		msg.Text = m.Text.Content
	case m.Markdown != nil:
		msg.Text = m.Markdown.Content
	case m.Link != nil:
		msg.Text, msg.URL = strings.TrimSpace(m.Link.Title+"\n"+m.Link.Desc), m.Link.LinkURL
	case m.News != nil && len(m.News.Item) > 0:
		msg.Text, msg.URL = m.News.Item[0].Title, m.News.Item[0].URL
	case m.File != nil:
		msg.Text = m.File.FileName
	case m.Weapp != nil:
		msg.Text = strings.TrimSpace(m.Weapp.Title + " " + m.Weapp.DisplayName)
	case m.Card != nil:
		msg.Text = m.Card.CorpName
	case m.ChatRecord != nil:
		msg.Text = m.ChatRecord.Title
	case m.RedPacket != nil:
		msg.Text = m.RedPacket.Wish
	case m.ExternalRedPacket != nil:
		msg.Text = m.ExternalRedPacket.Wish
	case m.Location != nil:
		msg.Text = strings.TrimSpace(m.Location.Title + " " + m.Location.Address)
	case m.Mixed != nil:
		var parts []string
		for _, it := range m.Mixed.Item {
			if it.Type != "text" {
				continue
			}
			var t struct {
				Content string `json:"content"`
			}
			if json.Unmarshal([]byte(it.Content), &t) == nil && t.Content != "" {
				parts = append(parts, t.Content)
			}
		}
		msg.Text = strings.Join(parts, "\n")
	}
	if strings.Contains(msg.Text, "@所有人") || strings.Contains(msg.Text, "@all") {
		msg.MentionAll = true
	}
	return chat.Event{ID: "msg:" + m.MsgID, Connection: connection, Platform: Platform, Type: chat.EventMessage, Group: m.RoomID,
		Time: time.UnixMilli(m.MsgTime).UTC(), Sender: chat.User{ID: m.From}, Message: msg}, true, nil
}

// chatData is one entry of the SDK's GetChatData answer: a message still
// encrypted, with its random key encrypted for the corp's public key of
// version PublicKeyVer.
type chatData struct {
	Seq              uint64 `json:"seq"`
	MsgID            string `json:"msgid"`
	PublicKeyVer     int    `json:"publickey_ver"`
	EncryptRandomKey string `json:"encrypt_random_key"`
	EncryptChatMsg   string `json:"encrypt_chat_msg"`
}

// decodeChatData reads GetChatData's JSON answer.
func decodeChatData(raw []byte) ([]chatData, error) {
	var out struct {
		ErrCode  int        `json:"errcode"`
		ErrMsg   string     `json:"errmsg"`
		ChatData []chatData `json:"chatdata"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("archive: GetChatData answer: %w", err)
	}
	if out.ErrCode != 0 {
		return nil, &APIError{Path: "msgaudit/GetChatData", Code: out.ErrCode, Message: out.ErrMsg}
	}
	return out.ChatData, nil
}

// openRandomKey decrypts a message's random key (RSA PKCS#1 v1.5 with the
// private key of its version): the key DecryptData needs.
func openRandomKey(keys map[int]*rsa.PrivateKey, ver int, b64 string) (string, error) {
	k, ok := keys[ver]
	if !ok {
		return "", fmt.Errorf("archive: no private key of version %d (options.msgaudit_keys)", ver)
	}
	enc, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", fmt.Errorf("archive: encrypt_random_key is not base64")
	}
	key, err := rsa.DecryptPKCS1v15(nil, k, enc)
	if err != nil {
		return "", fmt.Errorf("archive: the random key does not decrypt with the key of version %d", ver)
	}
	return string(key), nil
}

// loadKeys reads the archive's private keys (PEM, PKCS#1 or PKCS#8).
func loadKeys(paths map[int]string) (map[int]*rsa.PrivateKey, error) {
	if len(paths) == 0 {
		return nil, errors.New("archive: at least one private key is required (options.msgaudit_keys)")
	}
	out := map[int]*rsa.PrivateKey{}
	for ver, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("archive key %d: %w", ver, err)
		}
		k, err := parseRSAKey(b)
		if err != nil {
			return nil, fmt.Errorf("archive key %d (%s): %w", ver, p, err)
		}
		out[ver] = k
	}
	return out, nil
}

func parseRSAKey(b []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(b)
	if blk == nil {
		return nil, errors.New("not a PEM file")
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, errors.New("not an RSA private key (PKCS#1 or PKCS#8)")
	}
	rk, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// ParseArchiveKeys reads options.msgaudit_keys: "version=path" pairs
// separated by commas ("3=/etc/qunzhu/msgaudit-3.pem").
func ParseArchiveKeys(s string) (map[int]string, error) {
	out := map[int]string{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		v, p, ok := strings.Cut(f, "=")
		ver, err := strconv.Atoi(strings.TrimSpace(v))
		if !ok || err != nil || ver <= 0 || strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("msgaudit_keys: want version=path pairs such as 3=/etc/qunzhu/msgaudit-3.pem, got %q", f)
		}
		out[ver] = strings.TrimSpace(p)
	}
	if len(out) == 0 {
		return nil, errors.New("msgaudit_keys: at least one version=path pair is required")
	}
	return out, nil
}
