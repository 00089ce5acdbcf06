package resultfile

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

func TestIsZip(t *testing.T) {
	for _, tc := range []struct {
		filename, body string
		want           bool
	}{
		{"export.ZIP", "anything", true},
		{"export", "PK\x03\x04rest", true},
		{"export.csv", "id,args\n", false},
		{"", "PK", false},
	} {
		body := bufio.NewReader(strings.NewReader(tc.body))
		if got := isZip(tc.filename, body); got != tc.want {
			t.Errorf("isZip(%q, %q) = %v, want %v", tc.filename, tc.body, got, tc.want)
		}
		if rest, _ := io.ReadAll(body); string(rest) != tc.body {
			t.Errorf("isZip(%q, %q) consumed bytes: %q left", tc.filename, tc.body, rest)
		}
	}
}

// spoolDir sends the zips spooled by the test to a folder of its own, to check that none
// is left behind.
func spoolDir(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	return dir
}

func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d temporary files left behind", len(entries))
	}
}

func TestOpenEntry(t *testing.T) {
	for name, tc := range map[string]struct {
		zip       []byte
		entry     string
		wantName  string
		wantBytes string
	}{
		"one entry":            {zipOf(t, "dir/", "", "dir/s.csv", "S"), "", "dir/s.csv", "S"},
		"named entry":          {zipOf(t, "a.csv", "A", "b.csv", "B"), "a.csv", "a.csv", "A"},
		"named, only one file": {zipOf(t, "a.csv", "A"), "a.csv", "a.csv", "A"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := spoolDir(t)
			e, err := openEntry(bytes.NewReader(tc.zip), tc.entry)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(e)
			if err != nil || e.name != tc.wantName || string(got) != tc.wantBytes {
				t.Errorf("openEntry = %s holding %q (%v), want %s holding %q", e.name, got, err, tc.wantName, tc.wantBytes)
			}
			if err := e.Close(); err != nil {
				t.Error(err)
			}
			assertEmpty(t, dir)
		})
	}
}

func TestOpenEntry_errors(t *testing.T) {
	for name, tc := range map[string]struct {
		body  io.Reader
		entry string
		want  string
	}{
		"several entries": {bytes.NewReader(zipOf(t, "b.csv", "B", "a.csv", "A", "c/", "")), "",
			`the zip holds several files: 2 ("a.csv", "b.csv")`},
		"missing entry": {bytes.NewReader(zipOf(t, "b.csv", "B", "a.csv", "A")), "c.csv",
			`the zip has no such entry "c.csv": its entries are "a.csv", "b.csv"`},
		"empty":     {bytes.NewReader(zipOf(t)), "", "the zip holds no file"},
		"only dirs": {bytes.NewReader(zipOf(t, "d/", "")), "", "the zip holds no file"},
		"invalid": {strings.NewReader("PK\x03\x04 but no more"), "",
			"it is not a valid zip (zip: not a valid zip file)"},
		"broken download": {&failingReader{n: 10}, "", "download failed: connection reset"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := spoolDir(t)
			e, err := openEntry(tc.body, tc.entry)
			if err == nil || err.Error() != tc.want {
				t.Errorf("openEntry = %v, %v; want the error %q", e, err, tc.want)
			}
			assertEmpty(t, dir)
		})
	}
}

func TestOpenEntry_noTemporaryFile(t *testing.T) {
	t.Setenv("TMPDIR", "/nonexistent/folder")
	_, err := openEntry(strings.NewReader("PK"), "")
	if err == nil || !strings.HasPrefix(err.Error(), "no temporary file to unzip into: ") {
		t.Errorf("openEntry = %v, want no temporary file", err)
	}
}
