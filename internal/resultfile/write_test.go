package resultfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file larger than several writeback chunks arrives whole, with its hash and mode 0644;
// a download that breaks midway leaves the previous file as it was and no temporary file.
func TestWriteAtomically(t *testing.T) {
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
	if fi, err := os.Stat(dest); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode of %s: %v (%v), want 0644", dest, fi.Mode(), err)
	}

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

func TestWriteAtomically_createsFolders(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "a", "b", "out.csv")
	if _, err := writeAtomically(dest, strings.NewReader("x\n"), sha256.New()); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(dest); err != nil || string(got) != "x\n" {
		t.Errorf("%s holds %q (%v)", dest, got, err)
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
