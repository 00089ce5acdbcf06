package resultfile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
)

// isZip reports whether a download is a zip, by its name or its first bytes. Peeking leaves
// the bytes in body.
func isZip(filename string, body *bufio.Reader) bool {
	magic, _ := body.Peek(4)
	return strings.HasSuffix(strings.ToLower(filename), ".zip") || bytes.Equal(magic, []byte("PK\x03\x04"))
}

// zipEntry is an open zip member, read from a spooled copy of the zip.
type zipEntry struct {
	io.ReadCloser
	name  string   // the entry's name inside the zip
	size  int64    // the entry's size unzipped, as the zip's directory says
	spool *os.File // removed by Close
}

// Close closes the entry and removes the spooled zip.
func (e *zipEntry) Close() error {
	err := e.ReadCloser.Close()
	removeSpool(e.spool)
	return err
}

// openEntry spools the zip r to a temporary file and opens the named entry, or the only
// file in it. The caller closes the entry, which removes the temporary file.
func openEntry(r io.Reader, name string) (*zipEntry, error) {
	tmp, size, err := spool(r)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(tmp, size)
	if err != nil {
		removeSpool(tmp)
		return nil, fmt.Errorf("%w (%v)", ErrNotZip, err)
	}
	pick, err := pickEntry(zr.File, name)
	if err != nil {
		removeSpool(tmp)
		return nil, err
	}
	rc, err := pick.Open()
	if err != nil {
		removeSpool(tmp)
		return nil, fmt.Errorf("cannot open entry %q: %w", pick.Name, err)
	}
	unzipped := int64(min(pick.UncompressedSize64, math.MaxInt64))
	return &zipEntry{ReadCloser: rc, name: pick.Name, size: unzipped, spool: tmp}, nil
}

// spool copies r to a new temporary file, for the random access a zip's directory needs.
func spool(r io.Reader) (*os.File, int64, error) {
	tmp, err := os.CreateTemp("", "openspecimen-result-*.zip")
	if err != nil {
		return nil, 0, fmt.Errorf("no temporary file to unzip into: %w", err)
	}
	n, err := io.Copy(tmp, r)
	if err != nil {
		removeSpool(tmp)
		return nil, 0, fmt.Errorf("download failed: %w", err)
	}
	return tmp, n, nil
}

func removeSpool(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}

// pickEntry finds the named file among a zip's entries, or the only one when name is "".
// Folders are not files.
func pickEntry(entries []*zip.File, name string) (*zip.File, error) {
	var files []*zip.File
	var names []string
	for _, f := range entries {
		if !f.FileInfo().IsDir() {
			files = append(files, f)
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	switch {
	case name != "":
		var pick *zip.File
		for _, f := range files {
			if f.Name == name {
				pick = f
			}
		}
		if pick == nil {
			return nil, &entriesError{names, fmt.Errorf("%w %q: its entries are %s", ErrNoSuchEntry, name, quoteList(names))}
		}
		return pick, nil
	case len(files) == 1:
		return files[0], nil
	case len(files) == 0:
		return nil, ErrZipEmpty
	default:
		return nil, &entriesError{names, fmt.Errorf("%w: %d (%s)", ErrZipHoldsSeveral, len(files), quoteList(names))}
	}
}

// entriesError is a zip that does not hold the one file asked for, with its files' names.
type entriesError struct {
	names []string
	err   error
}

func (e *entriesError) Error() string { return e.err.Error() }
func (e *entriesError) Unwrap() error { return e.err }

// unzipError is the *UnzipError of the zip filename that openEntry could not open with err.
func unzipError(filename string, err error) *UnzipError {
	ue := &UnzipError{Filename: filename, Err: err}
	var ee *entriesError
	if errors.As(err, &ee) {
		ue.Entries = ee.names
	}
	return ue
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
