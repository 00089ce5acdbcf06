package resultfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
)

// decode decodes src as CSV into f.Table, and fills in f's size and hash. With
// req.OutputPath the file is written there too (from its header on, with
// req.StripPreamble) and the table keeps no rows; else the table is all that is kept.
func decode(f *File, src io.Reader, req Request, dest destination) error {
	h := sha256.New()
	if req.OutputPath == "" {
		in := &sizeCounter{r: io.TeeReader(src, h)}
		t, err := decodeCSV(in, f.Filename, req.separator(), req.contentLimit(), true, func(int64) error { return nil })
		if err != nil {
			return err
		}
		f.Table, f.Size = t, in.n
	} else {
		err := writeWith(dest, func(w io.Writer) error {
			body := newBodyWriter(io.MultiWriter(w, h), req.StripPreamble)
			t, err := decodeCSV(io.TeeReader(src, body), f.Filename, req.separator(), req.contentLimit(), false, body.startAt)
			f.Table, f.Size = t, body.written
			return err
		})
		if err != nil {
			return writeError(err, req.OutputPath)
		}
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return nil
}

// writeError is what a failure to decode and write a file to path is: a decoding error as
// is, else (the download or the disk failed) a *WriteError, after which path holds what it
// held before.
func writeError(err error, path string) error {
	var de *DownloadError
	switch {
	case errors.As(err, &de):
		return &WriteError{Path: path, Err: de.Err}
	case errors.As(err, new(*DecodeError)), errors.As(err, new(*TooLargeError)):
		return err
	}
	return &WriteError{Path: path, Err: err}
}

// sizeCounter counts the bytes read from r.
type sizeCounter struct {
	r io.Reader
	n int64
}

func (c *sizeCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bodyWriter writes a CSV file to w from the offset startAt is given on: 0 when nothing is
// stripped; with strip, the offset where the header starts, after the export preamble.
// Until then it holds what it is given (the preamble, and as much as the decoder read ahead),
// then drops the bytes before the offset and the line breaks after it.
type bodyWriter struct {
	w        io.Writer
	start    int64  // -1 until startAt is called
	held     []byte // the bytes given while start is not known
	trimming bool   // dropping the line breaks that start the body
	written  int64  // bytes written to w
}

func newBodyWriter(w io.Writer, strip bool) *bodyWriter {
	if strip {
		return &bodyWriter{w: w, start: -1}
	}
	return &bodyWriter{w: w}
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	if b.start < 0 {
		b.held = append(b.held, p...)
		return len(p), nil
	}
	out := p
	if b.trimming {
		out = bytes.TrimLeft(out, "\r\n")
		b.trimming = len(out) == 0
	}
	n, err := b.w.Write(out)
	b.written += int64(n)
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// startAt tells where the body starts; it writes what was held from there. Without strip
// everything was written already.
func (b *bodyWriter) startAt(offset int64) error {
	if b.start >= 0 {
		return nil
	}
	held := b.held[offset:]
	b.start, b.held, b.trimming = offset, nil, true
	_, err := b.Write(held)
	return err
}
