package importer

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// File is an export on disk, perhaps inside a ZIP archive: Telegram
// Desktop, Element and the WeChat and QQ tools write an export with its
// attachments as a folder or an archive, and a folder travels zipped.
type File struct {
	// Path is the file on disk.
	Path string
	// Entry is the export's name inside the archive ("" for a plain file).
	Entry string
	// Size is the export's size in bytes (uncompressed, in an archive).
	Size int64
}

// OpenFile finds the export in the file at p: the file itself, or, in a
// ZIP archive, the one export it holds — Telegram's result.json, Element's
// export.json, else its only .json, .csv or .txt file outside its
// attachment folders. An archive with none or several is refused (kind
// Invalid, an *Unrecognised of What "zip-none" or "zip-many").
func OpenFile(p string) (File, error) {
	f, err := os.Open(p)
	if err != nil {
		return File{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return File{}, err
	}
	head := make([]byte, 4)
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte("PK\x03\x04")) {
		return File{Path: p, Size: st.Size()}, nil
	}
	z, err := zip.NewReader(f, st.Size())
	if err != nil {
		return File{}, unrecognised("zip", fmt.Sprintf("a ZIP archive that cannot be read (%v): unzip it and upload the export inside", err))
	}
	var candidates []*zip.File
	for _, e := range z.File {
		name := e.Name
		if e.FileInfo().IsDir() || strings.HasPrefix(name, "__MACOSX/") || strings.HasPrefix(path.Base(name), ".") {
			continue
		}
		switch strings.ToLower(path.Ext(name)) {
		case ".json", ".csv", ".txt":
		default:
			continue
		}
		if inAttachments(name) {
			continue
		}
		candidates = append(candidates, e)
	}
	pick := func(e *zip.File) (File, error) {
		if e.Method != zip.Store && e.Method != zip.Deflate {
			return File{}, unrecognised("zip", fmt.Sprintf("%s is compressed in a way qunzhu does not read: unzip the archive and upload it", e.Name))
		}
		return File{Path: p, Entry: e.Name, Size: int64(e.UncompressedSize64)}, nil
	}
	for _, want := range []string{"result.json", "export.json"} {
		for _, e := range candidates {
			if strings.EqualFold(path.Base(e.Name), want) {
				return pick(e)
			}
		}
	}
	switch len(candidates) {
	case 1:
		return pick(candidates[0])
	case 0:
		return File{}, unrecognised("zip-none", "a ZIP archive without an export in it (a .json, .csv or .txt file): unzip it and upload the export")
	}
	names := make([]string, 0, len(candidates))
	for _, e := range candidates {
		names = append(names, e.Name)
	}
	slices.Sort(names)
	if len(names) > 5 {
		names = append(names[:5], "…")
	}
	return File{}, unrecognised("zip-many", "a ZIP archive holding several files that could be exports ("+strings.Join(names, ", ")+"): unzip it and upload one")
}

// inAttachments reports whether an archive's file lies in a folder of
// attachments (Telegram's files/, Element's media, QCE's resources…)
// rather than being the export.
func inAttachments(name string) bool {
	for _, dir := range strings.Split(path.Dir(name), "/") {
		switch strings.ToLower(dir) {
		case "files", "photos", "video_files", "voice_messages", "round_video_messages", "stickers", "media", "images",
			"resources", "attachments", "chunks", "css", "js", "lists", "profile_pictures":
			return true
		}
	}
	return false
}

// Open opens the export for reading; each call reads it from the start.
func (f File) Open() (io.ReadCloser, error) {
	if f.Entry == "" {
		return os.Open(f.Path)
	}
	z, err := zip.OpenReader(f.Path)
	if err != nil {
		return nil, err
	}
	for _, e := range z.File {
		if e.Name == f.Entry {
			rc, err := e.Open()
			if err != nil {
				z.Close()
				return nil, err
			}
			return &entryReader{ReadCloser: rc, z: z}, nil
		}
	}
	z.Close()
	return nil, errors.New(f.Entry + ": not in the archive any more")
}

// entryReader closes the archive with the entry.
type entryReader struct {
	io.ReadCloser
	z *zip.ReadCloser
}

func (r *entryReader) Close() error {
	err := r.ReadCloser.Close()
	if zerr := r.z.Close(); err == nil {
		err = zerr
	}
	return err
}
