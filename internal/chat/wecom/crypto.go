package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// WeCom's callback encryption (回调加解密方案), as the official
// WXBizMsgCrypt libraries implement it:
//
//   - the EncodingAESKey is 43 characters of base64 without the trailing
//     "="; decoded it is the 32-byte AES-256 key, and its first 16 bytes are
//     the CBC initialisation vector;
//   - the plaintext is random(16) + msg_len(4 bytes, big endian) + msg +
//     receiveid (the corp id for a self-built app), padded with PKCS#7 to a
//     multiple of 32 bytes, encrypted with AES-256-CBC and base64-encoded;
//   - msg_signature is the hex SHA-1 of token, timestamp, nonce and the
//     ciphertext, sorted as strings and concatenated.
//
// This file depends on nothing but the standard library, so that the part
// of the adapter an attacker can reach is small enough to read in one go.

// Crypto errors. The callback handler answers ErrSignature with 401 and
// the others with 400.
var (
	ErrSignature = errors.New("msg_signature does not match")
	ErrCipher    = errors.New("ciphertext cannot be decrypted")
	ErrReceiver  = errors.New("message is for another corp id")
)

// aesKeyLen is the length of an EncodingAESKey.
const aesKeyLen = 43

// padBlock is the PKCS#7 block size WeCom pads to (twice AES's block).
const padBlock = 32

// maxMessage bounds a decrypted message; callbacks are a few kilobytes.
const maxMessage = 1 << 20

// Crypter signs, encrypts and decrypts callback messages for one app.
type Crypter struct {
	token     string
	receiveID string
	block     cipher.Block
	iv        []byte
	random    io.Reader // the 16 random bytes of each encryption
}

// NewCrypter checks the callback token and EncodingAESKey and returns a
// Crypter for messages addressed to receiveID (the corp id).
func NewCrypter(token, encodingAESKey, receiveID string) (*Crypter, error) {
	if err := ValidateAESKey(encodingAESKey); err != nil {
		return nil, err
	}
	if token == "" {
		return nil, errors.New("callback token: required")
	}
	if receiveID == "" {
		return nil, errors.New("corp id: required")
	}
	key, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("encoding_aes_key: %w", err)
	}
	return &Crypter{token: token, receiveID: receiveID, block: block, iv: key[:aes.BlockSize], random: rand.Reader}, nil
}

// ValidateAESKey checks an EncodingAESKey: 43 base64 characters (WeCom's
// admin generates A-Z a-z 0-9). The last character carries two bits beyond
// the 32 bytes; like the official libraries, they are ignored.
func ValidateAESKey(k string) error {
	if len(k) != aesKeyLen {
		return fmt.Errorf("encoding_aes_key: want the 43 characters WeCom shows, got %d", len(k))
	}
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '+' || r == '/') {
			return fmt.Errorf("encoding_aes_key: %q is not a base64 character", r)
		}
	}
	key, err := base64.StdEncoding.DecodeString(k + "=")
	if err != nil || len(key) != 32 {
		return errors.New("encoding_aes_key: not a valid key (copy it again from the WeCom admin)")
	}
	return nil
}

// Signature is WeCom's msg_signature over the sorted token, timestamp,
// nonce and ciphertext (or echostr).
func Signature(token, timestamp, nonce, data string) string {
	parts := []string{token, timestamp, nonce, data}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify checks a msg_signature in constant time.
func (c *Crypter) Verify(signature, timestamp, nonce, data string) error {
	want := Signature(c.token, timestamp, nonce, data)
	if subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) != 1 {
		return ErrSignature
	}
	return nil
}

// Open verifies the signature over ciphertext and decrypts it, checking
// that it is addressed to this app's corp id. It returns the message.
func (c *Crypter) Open(signature, timestamp, nonce, ciphertext string) ([]byte, error) {
	if err := c.Verify(signature, timestamp, nonce, ciphertext); err != nil {
		return nil, err
	}
	msg, receiver, err := c.Decrypt(ciphertext)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(receiver), []byte(c.receiveID)) != 1 {
		return nil, fmt.Errorf("%w (got %q)", ErrReceiver, receiver)
	}
	return msg, nil
}

// Decrypt decrypts a base64 ciphertext into the message and the receive id
// it carries. It checks the padding and every length, and never panics on
// any input.
func (c *Crypter) Decrypt(ciphertext string) (msg []byte, receiveID string, err error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ciphertext))
	if err != nil {
		return nil, "", fmt.Errorf("%w: not base64", ErrCipher)
	}
	if len(raw) == 0 || len(raw)%aes.BlockSize != 0 || len(raw) > maxMessage+1024 {
		return nil, "", fmt.Errorf("%w: %d bytes is not a whole number of AES blocks", ErrCipher, len(raw))
	}
	plain := make([]byte, len(raw))
	cipher.NewCBCDecrypter(c.block, c.iv).CryptBlocks(plain, raw)
	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > padBlock || pad > len(plain) {
		return nil, "", fmt.Errorf("%w: bad padding (wrong encoding_aes_key?)", ErrCipher)
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, "", fmt.Errorf("%w: bad padding (wrong encoding_aes_key?)", ErrCipher)
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < 16+4 {
		return nil, "", fmt.Errorf("%w: too short", ErrCipher)
	}
	body := plain[16:]
	n := binary.BigEndian.Uint32(body[:4])
	if uint64(n) > uint64(len(body)-4) {
		return nil, "", fmt.Errorf("%w: message length %d exceeds the %d bytes decrypted", ErrCipher, n, len(body)-4)
	}
	msg = body[4 : 4+n]
	return bytes.Clone(msg), string(body[4+n:]), nil
}

// Encrypt encrypts msg for this app's receive id (what WeCom does; qunzhu
// uses it in tests and in the fake WeCom server).
func (c *Crypter) Encrypt(msg []byte) (string, error) {
	var prefix [20]byte
	if _, err := io.ReadFull(c.random, prefix[:16]); err != nil {
		return "", fmt.Errorf("random prefix: %w", err)
	}
	binary.BigEndian.PutUint32(prefix[16:], uint32(len(msg)))
	plain := make([]byte, 0, len(prefix)+len(msg)+len(c.receiveID)+padBlock)
	plain = append(plain, prefix[:]...)
	plain = append(plain, msg...)
	plain = append(plain, c.receiveID...)
	pad := padBlock - len(plain)%padBlock
	plain = append(plain, bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(c.block, c.iv).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// Seal encrypts msg and signs the ciphertext with timestamp and nonce: the
// Encrypt field and msg_signature of a callback.
func (c *Crypter) Seal(msg []byte, timestamp, nonce string) (ciphertext, signature string, err error) {
	ciphertext, err = c.Encrypt(msg)
	if err != nil {
		return "", "", err
	}
	return ciphertext, Signature(c.token, timestamp, nonce, ciphertext), nil
}
