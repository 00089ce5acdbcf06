package resultfile

import (
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

// RunNotSucceededError is a run that is still IN_PROGRESS or ended FAILED: it has no
// result file to read. Message is the run's message, "" when it has none.
type RunNotSucceededError struct {
	Status  client.RunStatus
	Message string
}

func (e *RunNotSucceededError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("the run is %s", e.Status)
	}
	return fmt.Sprintf("the run is %s (%s)", e.Status, e.Message)
}

// NoFileError is a run without a file on the server: the job wrote none, or, with Purged,
// it wrote one that the server has removed since (OpenSpecimen purges result files 30 days
// after the run). Status and Message are the run's; Status is "" when this user may not read
// the run (a recipient of the job's files), and the run may then also be in progress or
// failed.
type NoFileError struct {
	Status  client.RunStatus
	Message string
	Purged  bool
	Err     error // the server's answer
}

func (e *NoFileError) Error() string {
	if e.Purged {
		return "the run's result file was removed from the server: " + e.Err.Error()
	}
	return "the run has no result file: " + e.Err.Error()
}

// Unwrap returns the server's answer.
func (e *NoFileError) Unwrap() error { return e.Err }

// NotAllowedError is a user that the server lets neither read the run nor download its
// file: only an admin, the user who ran it and (for the file) the job's recipients may.
// Err is the download's refusal.
type NotAllowedError struct {
	Err error
}

func (e *NotAllowedError) Error() string {
	return "this user may neither read the run nor download its result file: " + e.Err.Error()
}

// Unwrap returns the download's refusal.
func (e *NotAllowedError) Unwrap() error { return e.Err }

// DownloadError is a download that failed: refused or lost before any byte arrived, or,
// with Midway, broken while the file was read into memory.
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

// UnzipError is a zip from which the file asked for cannot be read. Filename is the zip's;
// Err says why, and what to change in the request (unzip, entry).
type UnzipError struct {
	Filename string
	Err      error
}

func (e *UnzipError) Error() string { return fmt.Sprintf("unzipping %s: %v", e.Filename, e.Err) }

// Unwrap returns the cause.
func (e *UnzipError) Unwrap() error { return e.Err }

// EntryNeedsZipError is a request naming an entry for a file that is not a zip read with
// unzip. Filename is the file's.
type EntryNeedsZipError struct {
	Filename string
}

func (e *EntryNeedsZipError) Error() string {
	return fmt.Sprintf("an entry is asked for, but %s is not a zip read with unzip", e.Filename)
}

// WriteError is a failure to write the file to Path, including a download that broke
// midway: Path then holds what it held before.
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string { return fmt.Sprintf("writing %s: %v", e.Path, e.Err) }

// Unwrap returns the cause.
func (e *WriteError) Unwrap() error { return e.Err }

// OutputNotAFileError is an output path that names a folder (Folder), or a device, pipe or
// socket, rather than a file: nothing was downloaded. Target is the path once its symlinks
// are followed; it is Path when Path is no symlink.
type OutputNotAFileError struct {
	Path, Target string
	Folder       bool
}

func (e *OutputNotAFileError) Error() string {
	what := "is not a regular file"
	if e.Folder {
		what = "is a folder"
	}
	if e.Target != e.Path {
		return fmt.Sprintf("%s links to %s, which %s", e.Path, e.Target, what)
	}
	return fmt.Sprintf("%s %s", e.Path, what)
}

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
// ragged row, a header without unique names, a preamble without its blank line. Line is the
// 1-based line of the file (after unzipping, its preamble included) where it goes wrong, 0
// for an empty file; Column, when not 0, the 1-based byte in that line.
type DecodeError struct {
	Filename     string
	Line, Column int
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
