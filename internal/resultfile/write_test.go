//go:build unix

package resultfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

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
	n, err := writeAtomically(dest, bytes.NewReader(want), h)
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

	_, err = writeAtomically(dest, &failingReader{n: writebackChunk + 12345}, sha256.New())
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
	if _, err := writeAtomically(dest, strings.NewReader("x\n"), sha256.New()); err != nil {
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
		if _, err := writeAtomically(dest, strings.NewReader("new"), sha256.New()); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(dest); string(got) != "new" {
			t.Errorf("%s holds %q, want new", dest, got)
		}
		wantMode(t, dest, mode)
	}
}

func TestWriteAtomically_notAFolder(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := writeAtomically(filepath.Join(file, "out.csv"), strings.NewReader("y"), sha256.New()); err == nil {
		t.Error("writeAtomically under a file succeeded, want an error")
	}
	if got, _ := os.ReadFile(file); string(got) != "x" {
		t.Errorf("%s changed to %q", file, got)
	}
}
