//go:build !(msgaudit && linux && cgo)

package wecom

import "errors"

// ArchiveBuilt reports whether this binary can read the message archive.
const ArchiveBuilt = false

// ErrNoArchiveSDK says why the archive cannot be read by this binary.
var ErrNoArchiveSDK = errors.New("this qunzhu was built without the message archive (会话内容存档): build it on Linux with cgo and -tags msgaudit, with WeCom's libWeWorkFinanceSdk_C.so installed (see docs/platforms-wecom.md), or remove options.msgaudit_*")

// OpenArchive is unavailable without -tags msgaudit (Linux, cgo).
func OpenArchive(ArchiveConfig) (Archive, error) { return nil, ErrNoArchiveSDK }
