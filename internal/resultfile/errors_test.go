package resultfile

import (
	"errors"
	"testing"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
)

func TestErrors(t *testing.T) {
	cause := errors.New("cause")
	for _, tc := range []struct {
		err       error
		want      string
		unwrapped bool
	}{
		{&RunError{Err: cause}, "reading the run: cause", true},
		{&NoFileError{Status: client.StatusInProgress}, "the run is IN_PROGRESS", false},
		{&NoFileError{Status: client.StatusFailed, Message: "Query failed"}, "the run is FAILED (Query failed)", false},
		{&NoFileError{Status: client.StatusSucceeded, Err: cause}, "the run has no result file: cause", true},
		{&NoFileError{Status: client.StatusSucceeded, Purged: true, Err: cause}, "the run's result file was removed from the server: cause", true},
		{&DownloadError{Err: cause}, "downloading the result file: cause", true},
		{&DownloadError{Midway: true, Err: cause}, "reading the result file: cause", true},
		{&UnzipError{Filename: "r.zip", Err: cause}, "unzipping r.zip: cause", true},
		{&UnzipError{Filename: "r.csv", Err: ErrEntryWithoutZip}, "unzipping r.csv: an entry is asked for, but the file is not a zip that is unzipped", false},
		{&WriteError{Path: "/out/r.csv", Err: cause}, "writing /out/r.csv: cause", true},
		{&WriteError{Path: "/out", Err: notAFile("/out", "/out", true)}, "/out is a folder", false},
		{&WriteError{Path: "/out/r.csv", Err: notAFile("/out/r.csv", "/dev/null", false)}, "/out/r.csv links to /dev/null, which is not a regular file", false},
		{&TooLargeError{Filename: "r.csv", Limit: 10}, "r.csv is larger than 10 bytes, too large to keep in memory", false},
		{&TooLargeError{Filename: "r.csv", Limit: 10, Size: 12}, "r.csv is 12 bytes, larger than 10 bytes, too large to keep in memory", false},
		{&TooLargeError{Filename: "r.csv", Limit: 10, Decoded: true}, "r.csv, decoded, is larger than 10 bytes, too large to keep in memory", false},
		{&TooLargeError{Filename: "r.csv", Limit: 10, Line: 3}, "r.csv: the CSV record from line 3 on is longer than 10 bytes, too large to decode", false},
		{&DecodeError{Filename: "r.csv", Err: cause}, "decoding r.csv as CSV: cause", true},
		{&DecodeError{Filename: "r.csv", Line: 3, Err: cause}, "decoding r.csv as CSV: line 3: cause", true},
		{&DecodeError{Filename: "r.csv", Line: 3, Column: 7, Err: cause}, "decoding r.csv as CSV: line 3, column 7: cause", true},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("%T.Error() = %q, want %q", tc.err, got, tc.want)
		}
		if got := errors.Is(tc.err, cause); got != tc.unwrapped {
			t.Errorf("errors.Is(%T, cause) = %v, want %v", tc.err, got, tc.unwrapped)
		}
	}
}
