package resultfile

import (
	"errors"
	"fmt"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

// RunError is a failure to read the run. client.IsNotFound(Err) tells a run that does not
// exist, or that this user cannot see, from a failed request.
type RunError struct {
	Err error
}

func (e *RunError) Error() string { return "reading the run: " + e.Err.Error() }

// Unwrap returns the client's error.
func (e *RunError) Unwrap() error { return e.Err }

// NoFileError is a run without a file to read: still IN_PROGRESS or ended FAILED (Status,
// and Message, the run's message, "" when it has none; Err nil: nothing was downloaded);
// or the server has none (Err is its answer): the job wrote none, or, with Purged, it wrote
// one that the server has removed since (OpenSpecimen purges result files 30 days after the
// run). Status is "" when this user may not read the run (a recipient of the job's files),
// and the run may then also be in progress or failed.
type NoFileError struct {
	Status  client.RunStatus
	Message string
	Purged  bool
	Err     error // the server's answer, nil when the run's status says it
}

func (e *NoFileError) Error() string {
	switch {
	case e.Err == nil && e.Message != "":
		return fmt.Sprintf("the run is %s (%s)", e.Status, e.Message)
	case e.Err == nil:
		return fmt.Sprintf("the run is %s", e.Status)
	case e.Purged:
		return "the run's result file was removed from the server: " + e.Err.Error()
	}
	return "the run has no result file: " + e.Err.Error()
}

// Unwrap returns the server's answer.
func (e *NoFileError) Unwrap() error { return e.Err }

// DownloadError is a download that failed: refused or lost before any byte arrived, or,
// with Midway, broken while the file was read into memory. A refusal with
// client.CodeOpNotAllowed means this user may neither read the run nor download its file
// (only an admin, the user who ran it and the job's recipients may download it).
type DownloadError struct {
	Midway bool
	Err    error
}

func (e *DownloadError) Error() string {
	if e.Midway {
		return "reading the result file: " + e.Err.Error()
	}
	return "downloading the result file: " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *DownloadError) Unwrap() error { return e.Err }

// Why a zip does not yield the file asked for: the UnzipError's Err wraps one of these.
var (
	ErrNotZip          = errors.New("it is not a valid zip")
	ErrZipEmpty        = errors.New("the zip holds no file")
	ErrZipHoldsSeveral = errors.New("the zip holds several files")
	ErrNoSuchEntry     = errors.New("the zip has no such entry")
	ErrEntryWithoutZip = errors.New("an entry is asked for, but the file is not a zip that is unzipped")
)

// UnzipError is a file from which the one asked for cannot be read: Err wraps ErrNotZip,
// ErrZipEmpty, ErrZipHoldsSeveral, ErrNoSuchEntry or ErrEntryWithoutZip (or says why the
// zip could not be read). Filename is the downloaded file's; Entries are the zip's files,
// sorted, when it has any.
type UnzipError struct {
	Filename string
	Entries  []string
	Err      error
}

func (e *UnzipError) Error() string { return fmt.Sprintf("unzipping %s: %v", e.Filename, e.Err) }

// Unwrap returns the cause.
func (e *UnzipError) Unwrap() error { return e.Err }

// What an output path is, when it is not a file that can be replaced: the WriteError's Err
// wraps one of these.
var (
	ErrOutputFolder     = errors.New("is a folder")
	ErrOutputNotRegular = errors.New("is not a regular file")
)

// WriteError is a failure to write the file to Path, including a download that broke
// midway: Path then holds what it held before. An output path that names a folder or a
// device, pipe or socket (Err wraps ErrOutputFolder or ErrOutputNotRegular, and names the
// path its symlinks lead to) is refused before anything is downloaded.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	if errors.Is(e.Err, ErrOutputFolder) || errors.Is(e.Err, ErrOutputNotRegular) {
		return e.Err.Error()
	}
	return fmt.Sprintf("writing %s: %v", e.Path, e.Err)
}

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// TooLargeError is a file kept in memory that is larger than Limit bytes. Filename is the
// file's (after unzipping). Size is the file's size when it was known before reading it
// (from the server's Content-Length, or a zip's directory), 0 when the limit was reached by
// reading. Decoded: the file's decoded metadata, columns and rows are what is larger. Line:
// decoding, the CSV record from that line on is longer than Limit bytes.
type TooLargeError struct {
	Filename string
	Limit    int64
	Size     int64
	Decoded  bool
	Line     int
}

func (e *TooLargeError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s: the CSV record from line %d on is longer than %d bytes, too large to decode", e.Filename, e.Line, e.Limit)
	case e.Decoded:
		return fmt.Sprintf("%s, decoded, is larger than %d bytes, too large to keep in memory", e.Filename, e.Limit)
	case e.Size > 0:
		return fmt.Sprintf("%s is %d bytes, larger than %d bytes, too large to keep in memory", e.Filename, e.Size, e.Limit)
	}
	return fmt.Sprintf("%s is larger than %d bytes, too large to keep in memory", e.Filename, e.Limit)
}

// DecodeError is a file that does not decode as the CSV asked for: not CSV, not text, a
// ragged row, a header without unique names, a preamble without a header after it. Line is
// the 1-based line of the file (after unzipping, its preamble included) where it goes wrong,
// 0 for an empty file; Column, when not 0, the 1-based byte in that line. Separator, when not
// 0, is the separator the file looks written with: its header, decoded with the one asked
// for, is one column holding this one.
type DecodeError struct {
	Filename     string
	Line, Column int
	Separator    rune
	Err          error
}

func (e *DecodeError) Error() string {
	switch {
	case e.Line == 0:
		return fmt.Sprintf("decoding %s as CSV: %v", e.Filename, e.Err)
	case e.Column > 0:
		return fmt.Sprintf("decoding %s as CSV: line %d, column %d: %v", e.Filename, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("decoding %s as CSV: line %d: %v", e.Filename, e.Line, e.Err)
}

// Unwrap returns the cause.
func (e *DecodeError) Unwrap() error { return e.Err }
