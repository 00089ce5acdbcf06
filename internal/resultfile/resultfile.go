package resultfile

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"io/fs"
	"mime"
	"path/filepath"
	"unicode/utf8"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// Bounds of a file kept in memory: Request.MaxContentBytes, DefaultMaxContentBytes when it is
// 0, may be set up to MaxContentBytes. Larger files belong on disk, through
// Request.OutputPath, where memory stays flat whatever their size.
const (
	DefaultMaxContentBytes = 4 << 20
	MaxContentBytes        = 64 << 20
)

// Source is what Fetch needs of the server; *client.Client is one.
type Source interface {
	GetRun(ctx context.Context, jobID, runID int64) (*client.Run, error)
	OpenResultFile(ctx context.Context, jobID, runID int64) (*client.ResultFile, error)
}

// Request names the file to read and where it goes.
type Request struct {
	JobID, RunID int64
	Unzip        bool   // read the file inside a zip rather than the zip
	Entry        string // with Unzip, the zip entry to read; "": the zip's only file
	OutputPath   string // write the file there; "": keep it in memory
	// FileMode, with OutputPath, is the file's permission bits, given it exactly, whatever the
	// umask and the mode of a file replaced; 0 keeps the mode of a file replaced, and gives a
	// new one 0666 less the umask, as a shell's redirection does.
	FileMode fs.FileMode
	// MaxContentBytes bounds a file kept in memory, at most MaxContentBytes;
	// 0: DefaultMaxContentBytes. Decoding, it bounds the table kept (see DecodeCSV).
	MaxContentBytes int64
	// DecodeCSV decodes the file as CSV into File.Table instead of keeping its bytes. With
	// OutputPath the file is also written there, and the table has no rows. The limit bounds
	// the table kept (values and the column names of each, as the state keeps them), and any
	// one record.
	DecodeCSV bool
	// StripPreamble, with DecodeCSV and OutputPath, writes the file from its header on,
	// without the export preamble; Size and SHA256 are then those of the file written.
	StripPreamble bool
	// Separator, with DecodeCSV, is the character between the file's values: the server's
	// common.field_separator for an export. 0 is a comma. It must be a valid separator
	// (ValidSeparator).
	Separator rune
}

// separator is the separator the file is decoded with.
func (req Request) separator() rune {
	if req.Separator == 0 {
		return ','
	}
	return req.Separator
}

// ValidSeparator says whether r can separate a CSV file's values: not a quote, a line break,
// a carriage return or a replacement character, and a valid character.
func ValidSeparator(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && utf8.ValidRune(r)
}

// contentLimit is the largest file req keeps in memory.
func (req Request) contentLimit() int64 {
	if req.MaxContentBytes <= 0 {
		return DefaultMaxContentBytes
	}
	return min(req.MaxContentBytes, MaxContentBytes)
}

// File is the file read: after unzipping, when it was unzipped.
type File struct {
	Filename    string
	ContentType string
	Size        int64
	SHA256      string // hex
	Content     []byte // nil when written to Request.OutputPath or decoded, else not nil, even when empty
	Table       *Table // with Request.DecodeCSV, else nil
}

// Fetch reads the result file of a run that succeeded, as req asks. Its error is always
// one of *RunError, *NoFileError, *DownloadError, *UnzipError, *WriteError, *TooLargeError
// and *DecodeError, returned as is, not wrapped. An output path is checked before anything is
// asked of the server, and is written only once the download has started.
//
// The run is read first, to tell a run in progress or failed from one without a file. A
// user the server does not let read the run (a recipient of the job's files, who may
// download them but not read the run) goes on to the download, which then decides; the
// run's job is then not checked against req.JobID.
func Fetch(ctx context.Context, src Source, req Request) (*File, error) {
	var dest destination
	if req.OutputPath != "" {
		var err error
		if dest, err = destinationOf(req.OutputPath, req.FileMode); err != nil {
			return nil, err
		}
	}
	run, err := readRun(ctx, src, req)
	if err != nil {
		return nil, err
	}
	rf, err := src.OpenResultFile(ctx, req.JobID, req.RunID)
	if err != nil {
		return nil, downloadError(err, run)
	}
	defer rf.Body.Close()
	return read(rf, req, dest)
}

// readRun reads the run and checks that it succeeded. It answers a nil run, and no error,
// when the server does not let this user read the run.
func readRun(ctx context.Context, src Source, req Request) (*client.Run, error) {
	run, err := src.GetRun(ctx, req.JobID, req.RunID)
	switch {
	case client.IsCode(err, client.CodeOpNotAllowed):
		return nil, nil
	case err != nil:
		return nil, &RunError{Err: err}
	case run.Status == client.StatusInProgress || run.Status == client.StatusFailed:
		return nil, &NoFileError{Status: run.Status, Message: run.MessageText()}
	}
	return run, nil
}

// downloadError is the error of a download the server refused; run is nil when this user
// may not read the run (a refusal of the download then means neither is allowed).
func downloadError(err error, run *client.Run) error {
	purged := client.IsCode(err, client.CodeFileNotFound)
	switch {
	case purged || client.IsCode(err, client.CodeFileNotAvailable):
		nf := &NoFileError{Purged: purged, Err: err}
		if run != nil {
			nf.Status, nf.Message = run.Status, run.MessageText()
		}
		return nf
	}
	return &DownloadError{Err: err}
}

// read unzips the download if asked, then decodes it (with req.DecodeCSV), writes it to
// dest (with req.OutputPath) or keeps it, hashing it on the way.
func read(rf *client.ResultFile, req Request, dest destination) (*File, error) {
	f := &File{Filename: rf.Filename, ContentType: rf.ContentType}
	body := bufio.NewReader(rf.Body)
	var src io.Reader = body
	size := rf.Length // the file's size when known before reading it, else -1
	switch {
	case req.Unzip && isZip(rf.Filename, body):
		entry, err := openEntry(body, req.Entry)
		if err != nil {
			return nil, unzipError(rf.Filename, err)
		}
		defer entry.Close()
		src, size = entry, entry.size
		f.Filename = filepath.Base(entry.name)
		f.ContentType = typeByName(f.Filename)
	case req.Entry != "":
		return nil, &UnzipError{Filename: rf.Filename, Err: ErrEntryWithoutZip}
	}

	if req.DecodeCSV {
		if err := decode(f, src, req, dest); err != nil {
			return nil, err
		}
		return f, nil
	}
	h := sha256.New()
	var err error
	if req.OutputPath != "" {
		f.Size, err = writeAtomically(dest, src, h)
		if err != nil {
			return nil, &WriteError{Path: req.OutputPath, Err: err}
		}
	} else {
		if f.Content, err = keep(src, h, f.Filename, size, req.contentLimit()); err != nil {
			return nil, err
		}
		f.Size = int64(len(f.Content))
	}
	f.SHA256 = hex.EncodeToString(h.Sum(nil))
	return f, nil
}

// typeByName is the media type of a file unzipped, by its extension.
func typeByName(name string) string {
	if t := mime.TypeByExtension(filepath.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// keep reads r into memory, and h, up to limit bytes. A file whose size, known before
// reading it (-1: unknown), is over the limit is refused unread; the bound on the bytes read
// stays, since a size announced can be wrong. An empty r gives an empty slice, not nil.
func keep(r io.Reader, h hash.Hash, filename string, size, limit int64) ([]byte, error) {
	if size > limit {
		return nil, &TooLargeError{Filename: filename, Limit: limit, Size: size}
	}
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(io.TeeReader(r, h), limit+1))
	if err != nil {
		return nil, &DownloadError{Midway: true, Err: err}
	}
	if n > limit {
		return nil, &TooLargeError{Filename: filename, Limit: limit}
	}
	if buf.Len() == 0 {
		return []byte{}, nil
	}
	return buf.Bytes(), nil
}
