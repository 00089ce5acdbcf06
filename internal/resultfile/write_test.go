//go:build unix

package resultfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// writeTo writes r to path as Fetch does: the path checked, then written.
func writeTo(path string, r io.Reader, h hash.Hash) (int64, error) {
	d, err := destinationOf(path, 0)
	if err != nil {
		return 0, err
	}
	return writeAtomically(d, r, h)
}

// withUmask sets the process's umask for the test. Tests that call it must not be parallel.
func withUmask(t *testing.T, mask int) {
	old := syscall.Umask(mask)
	t.Cleanup(func() { syscall.Umask(old) })
}

// A file larger than several writeback chunks arrives whole, with its hash and the mode
// os.Create gives; a download that breaks midway leaves the previous file as it was and no
// temporary file.
func TestWriteAtomically(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.csv")
	want := bytes.Repeat([]byte("row,run_id,value\n"), 3*writebackChunk/17+5)
	h := sha256.New()
	n, err := writeTo(dest, bytes.NewReader(want), h)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("writeAtomically = %d, %v; want %d bytes", n, err, len(want))
	}
	if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s holds %d bytes (%v), want the %d written", dest, len(got), err, len(want))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != sha256Hex(want) {
		t.Errorf("sha256 = %s, want %s", got, sha256Hex(want))
	}
	wantMode(t, dest, 0o644)

	_, err = writeTo(dest, &failingReader{n: writebackChunk + 12345}, sha256.New())
	if err == nil || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("writeAtomically with a broken download = %v, want the read error", err)
	}
	if got, _ := os.ReadFile(dest); !bytes.Equal(got, want) {
		t.Errorf("a broken download changed %s (%d bytes)", dest, len(got))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d entries after a broken download, want only out.csv", dir, len(entries))
	}
}

func wantMode(t *testing.T, name string, want os.FileMode) {
	t.Helper()
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != want {
		t.Errorf("mode of %s: %v (%v), want %v", name, fi.Mode(), err, want)
	}
}

// Folders and a new file get the modes mkdir -p and os.Create give, under the umask.
func TestWriteAtomically_createsFolders(t *testing.T) {
	withUmask(t, 0o027)
	root := t.TempDir()
	dest := filepath.Join(root, "a", "b", "out.csv")
	if _, err := writeTo(dest, strings.NewReader("x\n"), sha256.New()); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(dest); err != nil || string(got) != "x\n" {
		t.Errorf("%s holds %q (%v)", dest, got, err)
	}
	wantMode(t, dest, 0o640)
	wantMode(t, filepath.Join(root, "a"), 0o750)
	wantMode(t, filepath.Join(root, "a", "b"), 0o750)
}

// A file replaced keeps its mode exactly, whether the umask would narrow it or not.
func TestWriteAtomically_keepsMode(t *testing.T) {
	withUmask(t, 0o022)
	for _, mode := range []os.FileMode{0o600, 0o640, 0o666} {
		dest := filepath.Join(t.TempDir(), "out.csv")
		if err := os.WriteFile(dest, []byte("old"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(dest, mode); err != nil {
			t.Fatal(err)
		}
		if _, err := writeTo(dest, strings.NewReader("new"), sha256.New()); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dest); string(got) != "new" {
			t.Errorf("%s holds %q, want new", dest, got)
		}
		wantMode(t, dest, mode)
	}
}

// A mode asked for is the file's exactly, new or replaced, whatever the umask (which would
// widen nothing, but narrow 0660 to 0640) and the mode of the file replaced (0644, readable
// by all, becomes 0600); the temporary file is never more open than it.
func TestWriteAtomically_modeAskedFor(t *testing.T) {
	withUmask(t, 0o022)
	for _, tc := range []struct {
		old, mode os.FileMode // old 0: no file there
	}{{0, 0o600}, {0, 0o660}, {0o644, 0o600}, {0o600, 0o640}} {
		dest := filepath.Join(t.TempDir(), "out.csv")
		if tc.old != 0 {
			if err := os.WriteFile(dest, []byte("old"), tc.old); err != nil {
				t.Fatal(err)
			}
		}
		d, err := destinationOf(dest, tc.mode)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := writeAtomically(d, strings.NewReader("new"), sha256.New()); err != nil {
			t.Fatal(err)
		}
		wantMode(t, dest, tc.mode)
	}
}

func TestWriteAtomically_notAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := writeTo(filepath.Join(file, "out.csv"), strings.NewReader("y"), sha256.New()); err == nil {
		t.Error("writeAtomically under a file succeeded, want an error")
	}
	if got, _ := os.ReadFile(file); string(got) != "x" {
		t.Errorf("%s changed to %q", file, got)
	}
}

// A folder, or a device, at the output path is refused before anything is written, naming
// what it is; so is a symlink to one.
func TestDestinationOf_notAFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want error
		msg  string
	}{
		{dir, ErrOutputFolder, dir + " is a folder"},
		{link, ErrOutputFolder, link + " links to " + dir + ", which is a folder"},
		{os.DevNull, ErrOutputNotRegular, os.DevNull + " is not a regular file"},
	} {
		_, err := destinationOf(tc.path, 0)
		if e, ok := err.(*WriteError); !ok || e.Path != tc.path || !errors.Is(err, tc.want) || e.Error() != tc.msg {
			t.Errorf("destinationOf(%s) = %#v (%v), want a *WriteError: %s", tc.path, err, err, tc.msg)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only the link", dir, len(entries))
	}
}

// A symlink at the output path is followed, as a shell redirection does: its target, through
// any chain of links, absolute or relative, is replaced and keeps its mode; the links stay.
// A dangling link's target is created.
func TestWriteAtomically_followsSymlinks(t *testing.T) {
	withUmask(t, 0o022)
	dir := t.TempDir()
	target := filepath.Join(dir, "exports", "2024.csv")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustLink(t, "exports/2024.csv", filepath.Join(dir, "current.csv")) // relative
	mustLink(t, filepath.Join(dir, "current.csv"), filepath.Join(dir, "latest.csv"))
	if _, err := writeTo(filepath.Join(dir, "latest.csv"), strings.NewReader("new"), sha256.New()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(target); string(got) != "new" {
		t.Errorf("%s holds %q, want new", target, got)
	}
	wantMode(t, target, 0o600)
	for _, l := range []string{"current.csv", "latest.csv"} {
		if fi, err := os.Lstat(filepath.Join(dir, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symlink: %v, %v", l, fi.Mode(), err)
		}
	}

	dangling := filepath.Join(dir, "next.csv")
	mustLink(t, filepath.Join(dir, "new", "next.csv"), dangling)
	if _, err := writeTo(dangling, strings.NewReader("n"), sha256.New()); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "new", "next.csv")); string(got) != "n" {
		t.Errorf("the dangling link's target holds %q, want n", got)
	}
	wantMode(t, filepath.Join(dir, "new", "next.csv"), 0o644)
}

// A loop of symlinks is refused before anything is written.
func TestDestinationOf_linkLoop(t *testing.T) {
	dir := t.TempDir()
	mustLink(t, "b", filepath.Join(dir, "a"))
	mustLink(t, "a", filepath.Join(dir, "b"))
	_, err := destinationOf(filepath.Join(dir, "a"), 0)
	if e, ok := err.(*WriteError); !ok || !strings.Contains(e.Error(), "more than 40 symbolic links") {
		t.Errorf("destinationOf(a loop) = %v, want a *WriteError naming the links", err)
	}
}

func mustLink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}
