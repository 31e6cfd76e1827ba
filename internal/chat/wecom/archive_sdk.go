//go:build msgaudit && linux && cgo

package wecom

// This file binds WeCom's message archive SDK (会话内容存档 C SDK,
// libWeWorkFinanceSdk_C.so), a proprietary library WeCom distributes to
// corps that bought the archive; qunzhu neither ships nor downloads it.
// It links with -lWeWorkFinanceSdk_C: install the .so where the linker
// and the loader find it (e.g. /usr/local/lib, then ldconfig; or set
// CGO_LDFLAGS=-L/path and LD_LIBRARY_PATH=/path) and build with
// -tags msgaudit. The functions are declared here from the SDK's
// documentation rather than by including its header.

/*
#cgo LDFLAGS: -lWeWorkFinanceSdk_C
#include <stdlib.h>

typedef struct WeWorkFinanceSdk_t WeWorkFinanceSdk_t;
typedef struct Slice_t Slice_t;

WeWorkFinanceSdk_t* NewSdk(void);
int Init(WeWorkFinanceSdk_t* sdk, const char* corpid, const char* secret);
int GetChatData(WeWorkFinanceSdk_t* sdk, unsigned long long seq, unsigned int limit, const char* proxy, const char* passwd, int timeout, Slice_t* chatDatas);
int DecryptData(const char* encrypt_key, const char* encrypt_msg, Slice_t* msg);
void DestroySdk(WeWorkFinanceSdk_t* sdk);
Slice_t* NewSlice(void);
void FreeSlice(Slice_t* slice);
char* GetContentFromSlice(Slice_t* slice);
int GetSliceLen(Slice_t* slice);
*/
import "C"

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"unsafe"
)

// ArchiveBuilt reports whether this binary can read the message archive.
const ArchiveBuilt = true

// ErrNoArchiveSDK is never returned by this build.
var ErrNoArchiveSDK = errors.New("unused")

// sdkTimeout is the SDK's own timeout for one read, in seconds.
const sdkTimeout = 10

type sdkArchive struct {
	mu    sync.Mutex // the SDK handle is not documented as thread-safe
	sdk   *C.WeWorkFinanceSdk_t
	keys  map[int]*rsa.PrivateKey
	proxy string
}

// OpenArchive initialises the SDK with the corp id and the archive's
// secret and loads the private keys.
func OpenArchive(cfg ArchiveConfig) (Archive, error) {
	keys, err := loadKeys(cfg.Keys)
	if err != nil {
		return nil, err
	}
	if cfg.CorpID == "" || cfg.Secret == "" {
		return nil, errors.New("archive: corp id and the archive's secret (options.msgaudit_secret) are required")
	}
	sdk := C.NewSdk()
	if sdk == nil {
		return nil, errors.New("archive: the SDK could not be created")
	}
	corp, secret := C.CString(cfg.CorpID), C.CString(cfg.Secret)
	defer C.free(unsafe.Pointer(corp))
	defer C.free(unsafe.Pointer(secret))
	if ret := C.Init(sdk, corp, secret); ret != 0 {
		C.DestroySdk(sdk)
		return nil, fmt.Errorf("archive: the SDK's Init returned %d (check options.msgaudit_secret: the 会话内容存档 Secret, not the app's)", int(ret))
	}
	return &sdkArchive{sdk: sdk, keys: keys, proxy: cfg.Proxy}, nil
}

func sliceBytes(s *C.Slice_t) []byte {
	n := C.GetSliceLen(s)
	if n <= 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(C.GetContentFromSlice(s)), n)
}

// Fetch reads and decrypts up to limit messages after seq.
func (s *sdkArchive) Fetch(ctx context.Context, seq uint64, limit int) ([]ArchivedMessage, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := C.NewSlice()
	defer C.FreeSlice(out)
	proxy, empty := C.CString(s.proxy), C.CString("")
	defer C.free(unsafe.Pointer(proxy))
	defer C.free(unsafe.Pointer(empty))
	if ret := C.GetChatData(s.sdk, C.ulonglong(seq), C.uint(limit), proxy, empty, sdkTimeout, out); ret != 0 {
		return nil, fmt.Errorf("archive: GetChatData returned %d", int(ret))
	}
	list, err := decodeChatData(sliceBytes(out))
	if err != nil {
		return nil, err
	}
	msgs := make([]ArchivedMessage, 0, len(list))
	for _, d := range list {
		key, err := openRandomKey(s.keys, d.PublicKeyVer, d.EncryptRandomKey)
		if err != nil {
			return nil, fmt.Errorf("message %s (seq %d): %w", d.MsgID, d.Seq, err)
		}
		plain, err := s.decrypt(key, d.EncryptChatMsg)
		if err != nil {
			return nil, fmt.Errorf("message %s (seq %d): %w", d.MsgID, d.Seq, err)
		}
		msgs = append(msgs, ArchivedMessage{Seq: d.Seq, MsgID: d.MsgID, Plain: plain})
	}
	return msgs, nil
}

func (s *sdkArchive) decrypt(key, msg string) ([]byte, error) {
	ck, cm := C.CString(key), C.CString(msg)
	defer C.free(unsafe.Pointer(ck))
	defer C.free(unsafe.Pointer(cm))
	out := C.NewSlice()
	defer C.FreeSlice(out)
	if ret := C.DecryptData(ck, cm, out); ret != 0 {
		return nil, fmt.Errorf("archive: DecryptData returned %d", int(ret))
	}
	return sliceBytes(out), nil
}

// Close releases the SDK.
func (s *sdkArchive) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sdk != nil {
		C.DestroySdk(s.sdk)
		s.sdk = nil
	}
	return nil
}
