package importer

import (
	"archive/zip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/qunzhu/qunzhu/internal/errkind"
)

// zipOf writes an archive of the files (name → content) and returns its path.
func zipOf(t *testing.T, files ...[2]string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "export.zip")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := zip.NewWriter(f)
	for _, nf := range files {
		fw, err := w.Create(nf[0])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, nf[1])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestOpenFile(t *testing.T) {
	tg, err := os.ReadFile(filepath.Join("testdata", "telegram", "supergroup.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		files [][2]string
		entry string // "" for a refusal
		what  string // the refusal's Unrecognised.What
	}{
		{"Telegram's folder, zipped", [][2]string{{"ChatExport_2024-05-04/photos/photo_1.jpg", "jpg"}, {"ChatExport_2024-05-04/files/说明.txt", "x"}, {"ChatExport_2024-05-04/result.json", string(tg)}}, "ChatExport_2024-05-04/result.json", ""},
		{"Element's export with attachments", [][2]string{{"export.json", string(tg)}, {"media/IMG_1.jpg", "jpg"}}, "export.json", ""},
		{"one CSV and a macOS shadow", [][2]string{{"__MACOSX/._群聊.csv", "x"}, {"群聊.csv", "Type,CreateTime,StrContent\n"}, {"readme.md", "x"}}, "群聊.csv", ""},
		{"two logs", [][2]string{{"a.txt", "x"}, {"b.txt", "y"}}, "", "zip-many"},
		{"pictures only", [][2]string{{"photos/1.jpg", "x"}}, "", "zip-none"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var files [][2]string
			files = append(files, tc.files...)
			p := zipOf(t, files...)
			f, err := OpenFile(p)
			if tc.entry == "" {
				var u *Unrecognised
				if !errors.As(err, &u) || u.What != tc.what || errkind.Of(err) != errkind.Invalid {
					t.Fatalf("%+v, %v; want a refusal %q", f, err, tc.what)
				}
				return
			}
			if err != nil || f.Entry != tc.entry {
				t.Fatalf("%+v, %v; want entry %s", f, err, tc.entry)
			}
			for i := 0; i < 2; i++ { // each Open reads from the start
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				want := ""
				for _, nf := range tc.files {
					if nf[0] == tc.entry {
						want = nf[1]
					}
				}
				if err != nil || string(b) != want || f.Size != int64(len(want)) {
					t.Fatalf("read %d bytes (size %d), %v", len(b), f.Size, err)
				}
			}
		})
	}
	// A plain file is itself.
	plain := filepath.Join("testdata", "qq", "all.txt")
	if f, err := OpenFile(plain); err != nil || f.Entry != "" || f.Path != plain || f.Size == 0 {
		t.Fatalf("plain file: %+v, %v", f, err)
	}
	// A zipped export imports as the export does.
	p := zipOf(t, [2]string{"ChatExport/result.json", string(tg)})
	f, err := OpenFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var zipped, plainEvents int
	if _, err := Import(t.Context(), f.Open, Options{Connection: "c"}, func(_ context.Context, b Batch) error { zipped += len(b.Events); return nil }); err != nil {
		t.Fatal(err)
	}
	_, evs := importAll(t, "telegram/supergroup.json", Options{Connection: "c"})
	plainEvents = len(evs)
	if zipped == 0 || zipped != plainEvents {
		t.Fatalf("zipped export: %d events, plain %d", zipped, plainEvents)
	}
}
