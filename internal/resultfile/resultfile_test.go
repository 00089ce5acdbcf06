package resultfile

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// zipOf zips the files, name then content, in that order. A name ending in "/" is a folder.
func zipOf(t *testing.T, namesAndContents ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(namesAndContents); i += 2 {
		w, err := zw.Create(namesAndContents[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, namesAndContents[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fakeSource answers one run and its file, or the errors set.
type fakeSource struct {
	run      client.Run
	runErr   error
	filename string
	body     io.Reader
	length   int64 // the Content-Length announced; 0: none (-1)
	fileErr  error
	closed   bool // the file's body was closed
}

func (s *fakeSource) GetRun(context.Context, int64, int64) (*client.Run, error) {
	if s.runErr != nil {
		return nil, s.runErr
	}
	run := s.run
	if run.Status == "" {
		run.Status = client.StatusSucceeded
	}
	return &run, nil
}

func (s *fakeSource) OpenResultFile(context.Context, int64, int64) (*client.ResultFile, error) {
	if s.fileErr != nil {
		return nil, s.fileErr
	}
	length := s.length
	if length == 0 {
		length = -1
	}
	return &client.ResultFile{Filename: s.filename, ContentType: "application/x-served", Length: length,
		Body: closeRecorder{s.body, &s.closed}}, nil
}

type closeRecorder struct {
	io.Reader
	closed *bool
}

func (c closeRecorder) Close() error { *c.closed = true; return nil }

func TestFetch_inMemory(t *testing.T) {
	blob := []byte{0xff, 0x00, 0xfe, 0x01}
	for name, tc := range map[string]struct {
		filename string
		body     []byte
		unzip    bool
		entry    string
		want     File
	}{
		"plain":  {"old.csv", []byte("x\n"), true, "", File{Filename: "old.csv", ContentType: "application/x-served", Content: []byte("x\n")}},
		"empty":  {"none.csv", nil, true, "", File{Filename: "none.csv", ContentType: "application/x-served", Content: []byte{}}},
		"binary": {"blob.bin", blob, true, "", File{Filename: "blob.bin", ContentType: "application/x-served", Content: blob}},
		"zip, one entry": {"s.csv.zip", zipOf(t, "dir/s.csv", "id\n12\n"), true, "",
			File{Filename: "s.csv", ContentType: "text/csv; charset=utf-8", Content: []byte("id\n12\n")}},
		"zip, named entry": {"multi.zip", zipOf(t, "a.csv", "A", "b.csv", "B"), true, "b.csv",
			File{Filename: "b.csv", ContentType: "text/csv; charset=utf-8", Content: []byte("B")}},
		"zip by its bytes": {"export", zipOf(t, "data", "D"), true, "",
			File{Filename: "data", ContentType: "application/octet-stream", Content: []byte("D")}},
		"zip, kept": {"k.zip", zipOf(t, "a.csv", "A"), false, "",
			File{Filename: "k.zip", ContentType: "application/x-served", Content: zipOf(t, "a.csv", "A")}},
	} {
		t.Run(name, func(t *testing.T) {
			src := &fakeSource{filename: tc.filename, body: bytes.NewReader(tc.body)}
			got, err := Fetch(t.Context(), src, Request{JobID: 1, RunID: 2, Unzip: tc.unzip, Entry: tc.entry})
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Size, tc.want.SHA256 = int64(len(tc.want.Content)), sha256Hex(tc.want.Content)
			if got.Filename != tc.want.Filename || got.ContentType != tc.want.ContentType || got.Size != tc.want.Size ||
				got.SHA256 != tc.want.SHA256 || !bytes.Equal(got.Content, tc.want.Content) || got.Content == nil {
				t.Errorf("Fetch = %+v, want %+v", got, tc.want)
			}
			if !src.closed {
				t.Error("the download's body was not closed")
			}
		})
	}
}

// A file written to disk lands whole, in folders created for it (its mode: write_test.go), and is
// not kept in memory; its size and hash are those of the bytes written.
func TestFetch_outputPath(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "nested", "folder", "specimens.csv")
	want := []byte("id\n12\n")
	src := &fakeSource{filename: "specimens.csv.zip", body: bytes.NewReader(zipOf(t, "specimens.csv", string(want)))}
	got, err := Fetch(t.Context(), src, Request{JobID: 1, RunID: 12, Unzip: true, OutputPath: dest})
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != nil || got.Size != int64(len(want)) || got.SHA256 != sha256Hex(want) || got.Filename != "specimens.csv" {
		t.Errorf("Fetch = %+v, want size %d, sha256 %s and no content", got, len(want), sha256Hex(want))
	}
	if b, err := os.ReadFile(dest); err != nil || !bytes.Equal(b, want) {
		t.Errorf("%s holds %q (%v), want %q", dest, b, err, want)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only the file", filepath.Dir(dest), len(entries))
	}
}

// An output path that names a folder is refused before the server is asked anything.
func TestFetch_outputIsFolder(t *testing.T) {
	dir := t.TempDir()
	src := &fakeSource{runErr: errors.New("the server was asked")}
	err := errorOf(t, src, Request{JobID: 1, RunID: 12, OutputPath: dir})
	if e, ok := err.(*WriteError); !ok || !errors.Is(err, ErrOutputFolder) || e.Path != dir {
		t.Errorf("Fetch: %#v (%v), want a *WriteError: a folder", err, err)
	}
}

// errorOf runs Fetch, which must fail, and answers its error.
func errorOf(t *testing.T, src Source, req Request) error {
	t.Helper()
	f, err := Fetch(t.Context(), src, req)
	if err == nil {
		t.Fatalf("Fetch = %+v, want an error", f)
	}
	return err
}

func TestFetch_runErrors(t *testing.T) {
	notFound := &client.APIError{StatusCode: 400, Code: client.CodeRunNotFound, Message: "no such run"}
	err := errorOf(t, &fakeSource{runErr: notFound}, Request{JobID: 1, RunID: 9})
	if re, ok := err.(*RunError); !ok || !client.IsNotFound(err) || re.Err != notFound {
		t.Errorf("unknown run: %#v, want a *RunError holding the client's not-found", err)
	}

	for _, st := range []client.RunStatus{client.StatusInProgress, client.StatusFailed} {
		msg := "Query failed"
		err := errorOf(t, &fakeSource{run: client.Run{Status: st, Message: &msg}}, Request{JobID: 1, RunID: 9})
		if ns, ok := err.(*NoFileError); !ok || ns.Status != st || ns.Message != msg || ns.Err != nil {
			t.Errorf("%s run: %#v, want a *NoFileError of the run's status, nothing downloaded", st, err)
		}
	}

	for code, purged := range map[string]bool{
		"SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE": false, // the job wrote none
		"SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND":     true,  // the server removed it
	} {
		msg := "Done"
		answer := &client.APIError{StatusCode: 400, Code: code}
		err := errorOf(t, &fakeSource{run: client.Run{Message: &msg}, fileErr: answer}, Request{JobID: 1, RunID: 9})
		if nf, ok := err.(*NoFileError); !ok || nf.Status != client.StatusSucceeded || nf.Message != msg || nf.Purged != purged ||
			!errors.Is(err, answer) {
			t.Errorf("%s: %#v, want a *NoFileError with Purged %v", code, err, purged)
		}
	}

	refused := errors.New("connection refused")
	err = errorOf(t, &fakeSource{fileErr: refused}, Request{JobID: 1, RunID: 9})
	if de, ok := err.(*DownloadError); !ok || de.Midway || !errors.Is(err, refused) {
		t.Errorf("refused download: %#v, want a *DownloadError not Midway", err)
	}
}

// A user the server does not let read the run (a recipient of the job's files) goes on to
// the download, which decides: the file is read, or its absence, purge or refusal is named
// without the run's status, which this user cannot know.
func TestFetch_runNotAllowed(t *testing.T) {
	notAllowed := &client.APIError{StatusCode: 400, Code: "SCHEDULED_JOB_OP_NOT_ALLOWED"}
	src := &fakeSource{runErr: notAllowed, filename: "r.csv", body: strings.NewReader("a\n")}
	if f, err := Fetch(t.Context(), src, Request{JobID: 1, RunID: 9}); err != nil || string(f.Content) != "a\n" {
		t.Errorf("Fetch = %+v, %v; want the file", f, err)
	}
	for code, purged := range map[string]bool{
		"SCHEDULED_JOB_RESULT_DATA_FILE_NOT_AVAILABLE": false,
		"SCHEDULED_JOB_RESULT_DATA_FILE_NOT_FOUND":     true,
	} {
		answer := &client.APIError{StatusCode: 400, Code: code}
		err := errorOf(t, &fakeSource{runErr: notAllowed, fileErr: answer}, Request{JobID: 1, RunID: 9})
		if nf, ok := err.(*NoFileError); !ok || nf.Status != "" || nf.Purged != purged || !errors.Is(err, answer) {
			t.Errorf("%s: %#v, want a *NoFileError with Purged %v and no status", code, err, purged)
		}
	}
	refused := &client.APIError{StatusCode: 400, Code: "SCHEDULED_JOB_OP_NOT_ALLOWED", Message: "no rights to the file"}
	err := errorOf(t, &fakeSource{runErr: notAllowed, fileErr: refused}, Request{JobID: 1, RunID: 9})
	if na, ok := err.(*DownloadError); !ok || na.Err != refused || !client.IsCode(err, client.CodeOpNotAllowed) {
		t.Errorf("both refused: %#v, want a *DownloadError holding the download's refusal", err)
	}
	// A user who reads the run but may not download its file is a plain refused download.
	err = errorOf(t, &fakeSource{fileErr: refused}, Request{JobID: 1, RunID: 9})
	if _, ok := err.(*DownloadError); !ok {
		t.Errorf("run read, download refused: %#v, want a *DownloadError", err)
	}
}

// failingReader yields n bytes of 'x', then fails.
type failingReader struct{ n int }

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	m := min(len(p), r.n)
	for i := range p[:m] {
		p[i] = 'x'
	}
	r.n -= m
	return m, nil
}

func TestFetch_fileErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		filename string
		body     io.Reader
		req      Request
		check    func(error) bool
	}{
		"several entries, no entry": {"multi.zip", bytes.NewReader(zipOf(t, "b.csv", "B", "a.csv", "A")), Request{Unzip: true},
			unzipErr("multi.zip", `the zip holds several files: 2 ("a.csv", "b.csv")`, ErrZipHoldsSeveral, "a.csv", "b.csv")},
		"empty zip": {"e.zip", bytes.NewReader(zipOf(t, "folder/", "")), Request{Unzip: true},
			unzipErr("e.zip", "the zip holds no file", ErrZipEmpty)},
		"invalid zip": {"bad.zip", strings.NewReader("not a zip"), Request{Unzip: true},
			unzipErr("bad.zip", "it is not a valid zip (zip: not a valid zip file)", ErrNotZip)},
		"missing entry": {"multi.zip", bytes.NewReader(zipOf(t, "a.csv", "A")), Request{Unzip: true, Entry: "c.csv"},
			unzipErr("multi.zip", `the zip has no such entry "c.csv": its entries are "a.csv"`, ErrNoSuchEntry, "a.csv")},
		"entry, not a zip": {"old.csv", strings.NewReader("x\n"), Request{Unzip: true, Entry: "x.csv"},
			unzipErr("old.csv", ErrEntryWithoutZip.Error(), ErrEntryWithoutZip)},
		"entry, unzip false": {"k.zip", bytes.NewReader(zipOf(t, "a.csv", "A")), Request{Entry: "a.csv"},
			unzipErr("k.zip", ErrEntryWithoutZip.Error(), ErrEntryWithoutZip)},
		"broken in memory": {"r.csv", &failingReader{n: 1000}, Request{},
			func(err error) bool { e, ok := err.(*DownloadError); return ok && e.Midway }},
		"broken while spooling a zip": {"r.zip", &failingReader{n: 1000}, Request{Unzip: true},
			unzipErr("r.zip", "download failed: connection reset", nil)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := errorOf(t, &fakeSource{filename: tc.filename, body: tc.body}, tc.req); !tc.check(err) {
				t.Errorf("Fetch: %#v (%v)", err, err)
			}
		})
	}
}

// A file kept in memory is bounded by the request's limit, 4 MiB by default, at most 64 MiB.
func TestFetch_contentLimit(t *testing.T) {
	for name, tc := range map[string]struct {
		size, limit, wantLimit int64 // wantLimit 0: the file is read
	}{
		"default, at the limit":   {size: 4 << 20},
		"default, over the limit": {size: 4<<20 + 1, wantLimit: 4 << 20},
		"raised":                  {size: 5 << 20, limit: 8 << 20},
		"raised, over":            {size: 8<<20 + 1, limit: 8 << 20, wantLimit: 8 << 20},
		"lowered":                 {size: 11, limit: 10, wantLimit: 10},
	} {
		t.Run(name, func(t *testing.T) {
			src := &fakeSource{filename: "big.csv", body: io.LimitReader(zeroReader{}, tc.size)}
			f, err := Fetch(t.Context(), src, Request{MaxContentBytes: tc.limit})
			if tc.wantLimit == 0 {
				if err != nil || f.Size != tc.size || int64(len(f.Content)) != tc.size {
					t.Errorf("Fetch = %v; want the %d bytes", err, tc.size)
				}
				return
			}
			if e, ok := err.(*TooLargeError); !ok || e.Filename != "big.csv" || e.Limit != tc.wantLimit {
				t.Errorf("Fetch: %#v (%v), want a *TooLargeError with limit %d", err, err, tc.wantLimit)
			}
		})
	}
	// A zip's directory tells the size of the file inside: one over the limit is refused
	// before it is unzipped, naming its size.
	big := zipOf(t, "big.csv", strings.Repeat("0", 5<<20))
	err := errorOf(t, &fakeSource{filename: "big.csv.zip", body: bytes.NewReader(big)}, Request{Unzip: true})
	if e, ok := err.(*TooLargeError); !ok || e.Size != 5<<20 || e.Limit != 4<<20 {
		t.Errorf("Fetch of a zip over the limit: %#v (%v), want a *TooLargeError with its size", err, err)
	}
	// A Content-Length over the limit is refused before a byte of the body is read.
	unread := &countingReader{r: zeroReader{}}
	err = errorOf(t, &fakeSource{filename: "big.csv", body: unread, length: 1 << 30}, Request{})
	if e, ok := err.(*TooLargeError); !ok || e.Size != 1<<30 || unread.n != 0 {
		t.Errorf("Fetch with a Content-Length over the limit: %#v (%v) after reading %d bytes, want a *TooLargeError "+
			"with that length, before reading", err, err, unread.n)
	}
	if got := (Request{MaxContentBytes: 1 << 40}).contentLimit(); got != 64<<20 {
		t.Errorf("a limit above the ceiling is %d, want 64 MiB", got)
	}
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// zeroReader is an endless stream of zero bytes.
type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// unzipErr checks an *UnzipError of filename whose cause says msg, wraps why (nil: none of
// the sentinels) and lists entries.
func unzipErr(filename, msg string, why error, entries ...string) func(error) bool {
	return func(err error) bool {
		e, ok := err.(*UnzipError)
		return ok && e.Filename == filename && e.Err.Error() == msg && (why == nil || errors.Is(err, why)) &&
			fmt.Sprint(e.Entries) == fmt.Sprint(entries)
	}
}

// A download that breaks midway leaves no file at the output path.
func TestFetch_brokenDownloadToPath(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out.csv")
	err := errorOf(t, &fakeSource{filename: "r.csv", body: &failingReader{n: 1000}}, Request{OutputPath: dest})
	if e, ok := err.(*WriteError); !ok || e.Path != dest || !strings.Contains(e.Err.Error(), "connection reset") {
		t.Errorf("Fetch: %#v, want a *WriteError with the read error", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dest)); len(entries) != 0 {
		t.Errorf("%d entries left after a broken download, want none", len(entries))
	}
}

// Through the client and the mock server: a run in progress has no file yet; once the
// clock ends it, its zip is read and unzipped; a run of a job that writes nothing has no
// file, nor has a run whose file the server removed; a file over the limit, served without a
// Content-Length as the server does, is refused once the limit is read; an unknown run is
// the client's not-found.
func TestFetch_mockServer(t *testing.T) {
	clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
	finished := time.Date(2024, 4, 30, 8, 0, 0, 0, time.UTC) // a day ago: within the 30 days of file retention
	s, err := mockserver.New(mockserver.Config{
		Clock: clock,
		Jobs: []mockserver.JobConfig{
			{ID: 1, Duration: mockserver.Duration(time.Minute),
				Result: &mockserver.ResultConfig{Filename: "export_${run_id}.csv", Content: "id,args\n${run_id},${args}\n", Zip: true}},
			{ID: 2},
		},
		Runs: []mockserver.RunConfig{{ID: 5, JobID: 2, Status: "SUCCEEDED", StartedAt: &finished, FinishedAt: &finished},
			{ID: 6, JobID: 1, Status: "SUCCEEDED", StartedAt: &finished, FinishedAt: &finished,
				Result: &mockserver.ResultConfig{Filename: "old.csv", Missing: true}},
			{ID: 7, JobID: 1, Status: "SUCCEEDED", StartedAt: &finished, FinishedAt: &finished,
				Result: &mockserver.ResultConfig{Filename: "big.csv", GenerateBytes: 5 << 20}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	c, err := client.New(client.Config{URL: s.URL(), Username: "admin", Password: "Admin@123", MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	run, err := s.StartRunAs("admin", 1, "nightly")
	if err != nil {
		t.Fatal(err)
	}
	req := Request{JobID: 1, RunID: run.ID, Unzip: true}

	if e, ok := errorOf(t, c, req).(*NoFileError); !ok || e.Status != client.StatusInProgress {
		t.Fatalf("run in progress: %#v, want a *NoFileError IN_PROGRESS", e)
	}
	clock.Advance(time.Minute)
	f, err := Fetch(t.Context(), c, req)
	want := fmt.Sprintf("id,args\n%d,nightly\n", run.ID)
	if err != nil || string(f.Content) != want || f.Filename != fmt.Sprintf("export_%d.csv", run.ID) || f.SHA256 != sha256Hex([]byte(want)) {
		t.Fatalf("finished run: %+v, %v; want %q", f, err, want)
	}
	if e, ok := errorOf(t, c, Request{JobID: 2, RunID: 5, Unzip: true}).(*NoFileError); !ok || e.Purged {
		t.Errorf("a run of a job without result: %#v, want a *NoFileError, not Purged", e)
	}
	if e, ok := errorOf(t, c, Request{JobID: 1, RunID: 6}).(*NoFileError); !ok || !e.Purged {
		t.Errorf("a run whose file the server removed: %#v, want a *NoFileError, Purged", e)
	}
	if e, ok := errorOf(t, c, Request{JobID: 1, RunID: 7}).(*TooLargeError); !ok || e.Size != 0 || e.Limit != 4<<20 {
		t.Errorf("a file over the limit, served without a Content-Length: %#v, want a *TooLargeError found by reading", e)
	}
	if err := errorOf(t, c, Request{JobID: 1, RunID: 999}); !client.IsNotFound(err) {
		t.Errorf("unknown run: %v, want the client's not-found", err)
	}
}

// Through the client and the mock server of each line: a recipient of the job's files, whom
// the server does not let read the run, reads its file, and learns of its purge after the
// retention; a user who is neither admin, the run's user nor a recipient is refused both.
func TestFetch_mockServerRecipient(t *testing.T) {
	for _, line := range []string{mockserver.LineNewest, mockserver.LineOlder} {
		t.Run(line, func(t *testing.T) {
			clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
			s, err := mockserver.New(mockserver.Config{
				Line: line, Clock: clock, FileRetention: mockserver.Duration(time.Hour),
				Users: []mockserver.UserConfig{{LoginName: "admin", Password: "Admin@123", Admin: true},
					{LoginName: "carol", Password: "Carol@123"}, {LoginName: "dave", Password: "Dave@1234"}},
				Jobs: []mockserver.JobConfig{{ID: 1, Duration: mockserver.Duration(time.Minute), Recipients: []string{"carol"},
					Result: &mockserver.ResultConfig{Filename: "export.csv", Content: "id\n${run_id}\n"}}},
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			as := func(user, password string) *client.Client {
				c, err := client.New(client.Config{URL: s.URL(), Username: user, Password: password, MaxRetries: -1})
				if err != nil {
					t.Fatal(err)
				}
				return c
			}
			carol, dave := as("carol", "Carol@123"), as("dave", "Dave@1234")
			run, err := s.StartRunAs("admin", 1, "")
			if err != nil {
				t.Fatal(err)
			}
			req := Request{JobID: 1, RunID: run.ID}
			if e, ok := errorOf(t, carol, req).(*NoFileError); !ok || e.Purged || e.Status != "" {
				t.Errorf("carol, run in progress: %#v, want a *NoFileError without status", e)
			}
			clock.Advance(time.Minute)
			if f, err := Fetch(t.Context(), carol, req); err != nil || string(f.Content) != fmt.Sprintf("id\n%d\n", run.ID) {
				t.Errorf("carol, run ended: %+v, %v; want its file", f, err)
			}
			if e, ok := errorOf(t, dave, req).(*DownloadError); !ok || !client.IsCode(e, client.CodeOpNotAllowed) {
				t.Errorf("dave: %#v, want a refused *DownloadError", e)
			}
			clock.Advance(time.Hour + time.Second) // past the run's end and the hour of retention
			if e, ok := errorOf(t, carol, req).(*NoFileError); !ok || !e.Purged {
				t.Errorf("carol, after the retention: %#v, want a *NoFileError, Purged", e)
			}
		})
	}
}
