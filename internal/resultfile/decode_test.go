package resultfile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// Decoded in memory, a zipped export is its table alone: no content; its size and hash are
// those of the CSV.
func TestFetch_decode(t *testing.T) {
	src := &fakeSource{filename: "scheduled_query_1_2.csv.zip", body: bytes.NewReader(zipOf(t, "scheduled_query_1_2.csv", exportCSV))}
	f, err := Fetch(t.Context(), src, Request{Unzip: true, DecodeCSV: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Content != nil || f.Filename != "scheduled_query_1_2.csv" || f.Size != int64(len(exportCSV)) || f.SHA256 != sha256Hex([]byte(exportCSV)) {
		t.Errorf("Fetch = %+v; want the CSV's name, size and hash, no content", f)
	}
	if f.Table == nil || f.Table.Metadata["Exported By"] != "Super Admin" || len(f.Table.Rows) != 2 ||
		!reflect.DeepEqual(f.Table.Columns, []string{"Label", "Type"}) {
		t.Errorf("Fetch's table = %#v", f.Table)
	}
	if !src.closed {
		t.Error("the download's body was not closed")
	}
	// A file that is not CSV is an error; so is a table over the limit.
	src = &fakeSource{filename: "blob.bin", body: bytes.NewReader([]byte{0xff, 0, 0xfe})}
	if _, ok := errorOf(t, src, Request{DecodeCSV: true}).(*DecodeError); !ok {
		t.Error("a binary file decoded: want a *DecodeError")
	}
	src = &fakeSource{filename: "r.csv", body: strings.NewReader(exportCSV)}
	if e, ok := errorOf(t, src, Request{DecodeCSV: true, MaxContentBytes: 20}).(*TooLargeError); !ok || !e.Decoded {
		t.Errorf("a table over the limit: %#v, want a *TooLargeError, Decoded", e)
	}
}

// Written to a path, the file is decoded on the way, its rows not kept: as served, or from
// its header on with StripPreamble, its size and hash then those of the file written.
func TestFetch_decodeToPath(t *testing.T) {
	body := exportCSV[strings.Index(exportCSV, `"Label"`):]
	for name, tc := range map[string]struct {
		in    string
		strip bool
		want  string
	}{
		"as served":         {exportCSV, false, exportCSV},
		"preamble stripped": {exportCSV, true, body},
		"CRLF, stripped":    {strings.ReplaceAll(exportCSV, "\n", "\r\n"), true, strings.ReplaceAll(body, "\n", "\r\n")},
		"empty lines after the blank line, stripped": {strings.Replace(exportCSV, `"",""`+"\n", `"",""`+"\n\n\n", 1), true, body},
		"plain, stripped": {body, true, body},
	} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "out.csv")
			src := &fakeSource{filename: "r.csv", body: strings.NewReader(tc.in)}
			// A small limit: the rows are not kept, only the metadata and the header are.
			f, err := Fetch(t.Context(), src, Request{OutputPath: dest, DecodeCSV: true, StripPreamble: tc.strip, MaxContentBytes: 100})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(dest); err != nil || string(got) != tc.want {
				t.Errorf("%s holds %q (%v), want %q", dest, got, err, tc.want)
			}
			if f.Size != int64(len(tc.want)) || f.SHA256 != sha256Hex([]byte(tc.want)) || f.Content != nil {
				t.Errorf("Fetch = %+v; want the size and hash of the file written", f)
			}
			if f.Table.Rows != nil || len(f.Table.Columns) != 2 {
				t.Errorf("table = %#v; want the columns, no rows", f.Table)
			}
		})
	}
}

// A file that does not decode is not written: the output path keeps what it held, and no
// temporary file is left. A download that breaks is a *WriteError, as without decoding.
func TestFetch_decodeToPathErrors(t *testing.T) {
	dir := t.TempDir()
	dest := filepath.Join(dir, "out.csv")
	if err := os.WriteFile(dest, []byte("before"), 0o600); err != nil {
		t.Fatal(err)
	}
	ragged := &fakeSource{filename: "r.csv", body: strings.NewReader(exportCSV + "x\n")}
	if e, ok := errorOf(t, ragged, Request{OutputPath: dest, DecodeCSV: true}).(*DecodeError); !ok || e.Line != 8 {
		t.Errorf("a ragged row: %#v, want a *DecodeError on line 8", e)
	}
	broken := &fakeSource{filename: "r.csv", body: &failingReader{n: 100}}
	err := errorOf(t, broken, Request{OutputPath: dest, DecodeCSV: true, StripPreamble: true})
	if e, ok := err.(*WriteError); !ok || e.Path != dest || !strings.Contains(e.Err.Error(), "connection reset") {
		t.Errorf("a broken download: %#v, want a *WriteError with the read error", err)
	}
	if got, _ := os.ReadFile(dest); string(got) != "before" {
		t.Errorf("%s holds %q after failed reads, want what it held", dest, got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d entries in the folder, want the output file alone", len(entries))
	}
}

// The body writer holds what comes before the start is known, across writes, then writes
// from there on.
func TestBodyWriter(t *testing.T) {
	var out bytes.Buffer
	b := newBodyWriter(&out, true)
	for _, p := range []string{"pre", "amble\n", "\r\n\nhead"} {
		if n, err := b.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	if out.Len() != 0 {
		t.Fatalf("wrote %q before the start was known", out.String())
	}
	if err := b.startAt(int64(len("preamble\n"))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("er\nrow\n")); err != nil {
		t.Fatal(err)
	}
	if out.String() != "header\nrow\n" || b.written != int64(out.Len()) {
		t.Errorf("wrote %q (%d counted), want the body from its header on", out.String(), b.written)
	}
	// Without strip, everything is written, and startAt changes nothing.
	out.Reset()
	b = newBodyWriter(&out, false)
	_, _ = b.Write([]byte("\npre\n"))
	_ = b.startAt(4)
	_, _ = b.Write([]byte("x"))
	if out.String() != "\npre\nx" {
		t.Errorf("without strip: wrote %q", out.String())
	}
	// A write that fails is reported.
	b = newBodyWriter(failingWriter{}, false)
	if _, err := b.Write([]byte("x")); err == nil {
		t.Error("a failing write succeeded")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
