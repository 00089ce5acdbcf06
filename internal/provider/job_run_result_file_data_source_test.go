package provider

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/resultfile"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const fileAddr = "data.openspecimen_job_run_result_file.x"

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// keepFiles is a file retention that keeps the files of the seeded runs, years old, which
// the server's 30 days would have purged.
const keepFiles = mockserver.Duration(100 * 365 * 24 * time.Hour)

// resultFileMockConfig adds to the seeded history a run whose zip holds two files, a
// finished run of a job that writes no file, and a run whose file the server removed.
func resultFileMockConfig(t *testing.T) mockserver.Config {
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for _, name := range []string{"a.csv", "b.csv"} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(w, "file %s\n", name)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := historyMockConfig(t)
	cfg.FileRetention = keepFiles
	started, finished := time.Date(2022, 3, 3, 0, 0, 0, 0, time.UTC), time.Date(2022, 3, 3, 0, 1, 0, 0, time.UTC)
	cfg.Runs = append(cfg.Runs,
		mockserver.RunConfig{ID: 20, JobID: 1, Status: "SUCCEEDED", StartedAt: &started, FinishedAt: &finished, RunBy: "admin",
			Result: &mockserver.ResultConfig{Filename: "multi.zip", ContentBase64: base64.StdEncoding.EncodeToString(zipped.Bytes())}},
		mockserver.RunConfig{ID: 21, JobID: 4, Status: "SUCCEEDED", StartedAt: &started, FinishedAt: &finished, RunBy: "admin"},
		mockserver.RunConfig{ID: 22, JobID: 1, Status: "SUCCEEDED", StartedAt: &started, FinishedAt: &finished, RunBy: "admin",
			Result: &mockserver.ResultConfig{Filename: "purged.csv", Missing: true}},
	)
	return cfg
}

func fileConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
data "openspecimen_job_run_result_file" "x" {
%s
}
`, body)
}

func TestAccJobRunResultFile_afterJobRun(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
resource "openspecimen_job_run" "x" {
  job_id = 1
  args   = "--cp 12"
}
data "openspecimen_job_run_result_file" "x" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("specimens.csv")),
				statecheck.ExpectKnownValue(fileAddr, at("content_type"), knownvalue.StringRegexp(regexp.MustCompile(`^text/csv`))),
			},
			// The mock's result is "id,args\n${run_id},${args}\n": the run's own id and args
			// prove that this file is the one the resource's run produced.
			Check: func(st *terraform.State) error {
				runID := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]
				want := fmt.Sprintf("id,args\n%s,--cp 12\n", runID)
				got := st.RootModule().Resources[fileAddr].Primary.Attributes
				if got["content"] != want {
					return fmt.Errorf("content = %q, want %q", got["content"], want)
				}
				if got["sha256"] != sha256Hex([]byte(want)) || got["size"] != fmt.Sprint(len(want)) {
					return fmt.Errorf("sha256 %s and size %s do not describe %q", got["sha256"], got["size"], want)
				}
				if v, ok := got["content_base64"]; ok && v != "" {
					return fmt.Errorf("content_base64 = %q, want null: the text is held in content alone", v)
				}
				return nil
			},
		}},
	})
}

// A file read after a resource that does not wait for its run finds the run in progress: the
// error says to wait for it.
func TestAccJobRunResultFile_runNotWaitedFor(t *testing.T) {
	cfg := testMockConfig()
	cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 6, Name: "Hour-long export", Duration: mockserver.Duration(time.Hour),
		Result: &mockserver.ResultConfig{Filename: "long.csv", Content: "x\n"}})
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
resource "openspecimen_job_run" "x" {
  job_id              = 6
  wait_for_completion = false
}
data "openspecimen_job_run_result_file" "x" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`,
			ExpectError: errRe(`(?s)still IN_PROGRESS.*keep\s+wait_for_completion\s+=\s+true\s+on\s+that\s+resource`),
		}},
	})
}

// A file read in the apply whose wait for the run timed out (timeouts.create) says so: the
// run is in progress because the wait timed out, and the timeout to raise or the
// postcondition that fails the apply on purpose; not the advice the configuration already
// follows. The mock's clock stands still: the run ends when the test moves it.
func TestAccJobRunResultFile_waitTimedOut(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := testMockConfig()
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	run := `
resource "openspecimen_job_run" "x" {
  job_id = 4
  timeouts {
    create = "3s"
  }
}
`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + run + `
data "openspecimen_job_run_result_file" "x" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`,
			ExpectError: errRe(`(?s)Job run still in progress: its wait timed out.*stopped waiting for it at ` +
				`timeouts.create \(3s\).*Raise that timeout.*lifecycle \{ postcondition \{ condition = self.status == "SUCCEEDED" \} \}`),
		}, {
			PreConfig: func() { clock.Advance(time.Hour) }, // the run ends; the destroy reads no file
			Config:    providerBlock(s) + run,
		}},
	})
}

func TestAccJobRunResultFile_forms(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	blob := []byte{0xff, 0x00, 0xfe, 0x01}
	for name, tc := range map[string]struct {
		body   string
		checks []statecheck.StateCheck
	}{
		"plain": {"job_id = 1\nrun_id = 10", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("old.csv")),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringExact("x\n")),
			statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Int64Exact(2)),
			statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.StringExact(sha256Hex([]byte("x\n")))),
		}},
		"zipped, unzipped": {"job_id = 1\nrun_id = 12", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("specimens.csv")),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringExact("id\n12\n")),
		}},
		"zipped, kept": {"job_id = 1\nrun_id = 12\nunzip = false", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("specimens.csv.zip")),
			statecheck.ExpectKnownValue(fileAddr, at("content_type"), knownvalue.StringExact("application/zip")),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.StringRegexp(regexp.MustCompile(`^UEsDB`))),
		}},
		"binary": {"job_id = 1\nrun_id = 13", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("blob.bin")),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.StringExact(base64.StdEncoding.EncodeToString(blob))),
			statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.StringExact(sha256Hex(blob))),
		}},
		"several entries, one picked": {"job_id = 1\nrun_id = 20\nentry = \"b.csv\"", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("b.csv")),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringExact("file b.csv\n")),
		}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: fileConfig(s, tc.body), ConfigStateChecks: tc.checks}},
			})
		})
	}
}

// A file over the 4 MiB default is refused, pointing at output_path; max_content_bytes lets
// it through, held once in the state; the limit is refused outside 1 B to 64 MiB.
func TestAccJobRunResultFile_contentLimit(t *testing.T) {
	cfg := testMockConfig()
	const size = 4<<20 + 100
	cfg.Runs = []mockserver.RunConfig{{ID: 30, JobID: 1, Status: "SUCCEEDED", RunBy: "admin",
		Result: &mockserver.ResultConfig{Filename: "big.csv", GenerateBytes: size}},
		{ID: 31, JobID: 1, Status: "SUCCEEDED", RunBy: "admin",
			Result: &mockserver.ResultConfig{Filename: "big.csv", GenerateBytes: size, Zip: true}}}
	s := mocktest.New(t, cfg)
	for name, tc := range map[string]struct {
		body   string
		want   string
		checks []statecheck.StateCheck
	}{
		// The server sends no Content-Length: a plain file is found too large by reading it.
		"default limit": {body: "job_id = 1\nrun_id = 30",
			want: `(?s)Result file too large for state.*big.csv of run 30 of job 1 is larger\s+than\s+max_content_bytes \(4 MiB\)\. Set output_path`},
		"zipped, its size read in the zip": {body: "job_id = 1\nrun_id = 31",
			want: `(?s)big.csv of run 31 of job 1 is 4194404 bytes, more than\s+max_content_bytes \(4 MiB\)`},
		"raised": {body: "job_id = 1\nrun_id = 30\nmax_content_bytes = 5242880", checks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Int64Exact(size)),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringRegexp(regexp.MustCompile(`^row,run_id,value\n1,30,`))),
			statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.Null()),
		}},
		"lowered": {body: "job_id = 1\nrun_id = 30\nmax_content_bytes = 10", want: `(?s)big.csv of run 30 of job 1 is .*max_content_bytes \(10 bytes\)`},
		"zero":    {body: "job_id = 1\nrun_id = 10\nmax_content_bytes = 0", want: `max_content_bytes value must be between 1 and\s+67108864`},
		"above the ceiling": {body: "job_id = 1\nrun_id = 10\nmax_content_bytes = 67108865",
			want: `max_content_bytes value must be between 1 and\s+67108864`},
	} {
		t.Run(name, func(t *testing.T) {
			step := resource.TestStep{Config: fileConfig(s, tc.body), ConfigStateChecks: tc.checks}
			if tc.want != "" {
				step.ExpectError = errRe(tc.want)
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{step},
			})
		})
	}
}

// Text is held in content only when a Terraform string keeps its bytes exactly; any other
// file is held in content_base64, with a warning when it was served as text.
func TestContentAttributes(t *testing.T) {
	req := resultfile.Request{JobID: 1, RunID: 2}
	for name, tc := range map[string]struct {
		file         resultfile.File
		text, base64 bool
		warning      string // the warning's title, "" for none
		says         string // what its detail says
	}{
		"text":        {file: resultfile.File{Content: []byte("é,ü\n"), ContentType: "text/csv"}, text: true},
		"empty":       {file: resultfile.File{Content: []byte{}}, text: true},
		"on disk":     {file: resultfile.File{}},
		"binary":      {file: resultfile.File{Content: []byte{0xff, 0}, ContentType: "application/zip"}, base64: true},
		"latin-1 csv": {file: resultfile.File{Content: []byte("\xe9\n"), ContentType: "text/csv"}, base64: true, warning: "Result file is not UTF-8 text", says: "not UTF-8"},
		// Decomposed (NFD) text is UTF-8: the warning says what it is not, NFC, and what to do.
		"decomposed accent": {file: resultfile.File{Content: []byte("e\u0301\n"), ContentType: "text/csv"}, base64: true,
			warning: "Result file is not NFC text", says: "is UTF-8 text, but in decomposed form (not NFC"},
	} {
		var diags diag.Diagnostics
		content, b64 := contentAttributes(&tc.file, req, &diags)
		if !content.IsNull() != tc.text || !b64.IsNull() != tc.base64 || diags.WarningsCount() > 0 != (tc.warning != "") {
			t.Errorf("%s: content %v, content_base64 %v, %d warnings", name, content, b64, diags.WarningsCount())
		}
		if w := diags.Warnings(); tc.warning != "" && len(w) == 1 && (w[0].Summary() != tc.warning || !strings.Contains(w[0].Detail(), tc.says)) {
			t.Errorf("%s: warning %q: %q, want %q saying %q", name, w[0].Summary(), w[0].Detail(), tc.warning, tc.says)
		}
		if tc.text && content.ValueString() != string(tc.file.Content) {
			t.Errorf("%s: content = %q, want %q", name, content.ValueString(), tc.file.Content)
		}
		if tc.base64 && b64.ValueString() != base64.StdEncoding.EncodeToString(tc.file.Content) {
			t.Errorf("%s: content_base64 = %q", name, b64.ValueString())
		}
	}
}

func TestAccJobRunResultFile_outputPath(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	dest := filepath.Join(t.TempDir(), "nested", "folder", "specimens.csv")
	want := []byte("id\n12\n")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fileConfig(s, fmt.Sprintf("job_id = 1\nrun_id = 12\noutput_path = %q", dest)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.Null()),
				statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.Null()),
				statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.StringExact(sha256Hex(want))),
				statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Int64Exact(int64(len(want)))),
			},
			Check: func(*terraform.State) error {
				got, err := os.ReadFile(dest)
				if err != nil || !bytes.Equal(got, want) {
					return fmt.Errorf("%s holds %q (%v), want %q", dest, got, err, want)
				}
				leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*tmp*"))
				if len(leftovers) > 0 {
					return fmt.Errorf("temporary files left behind: %v", leftovers)
				}
				return nil
			},
		}},
	})
}

// file_permission gives the file written its mode exactly: a file readable by all that it
// replaces becomes its owner's alone, and a new one gets 0660, which a umask of 022 would
// narrow. A mode that is no octal mode, 000, or file_permission without output_path is refused
// at plan time.
func TestAccJobRunResultFile_filePermission(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	dir := t.TempDir()
	replaced, created := filepath.Join(dir, "replaced.csv"), filepath.Join(dir, "new", "created.csv")
	if err := os.WriteFile(replaced, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(replaced, 0o644); err != nil {
		t.Fatal(err)
	}
	config := func(out, mode string) string {
		return fileConfig(s, fmt.Sprintf("job_id = 1\nrun_id = 12\noutput_path = %q\nfile_permission = %q", out, mode))
	}
	wantModes := func(*terraform.State) error {
		for name, want := range map[string]os.FileMode{replaced: 0o600, created: 0o660} {
			if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != want {
				return fmt.Errorf("%s: mode %v (%v), want %v", name, fi.Mode(), err, want)
			}
		}
		return nil
	}
	var steps []resource.TestStep
	for _, bad := range []string{"0999", "0000", "u+rw", "04755", "0o600"} {
		steps = append(steps, resource.TestStep{Config: config(replaced, bad), ExpectError: errRe(`must be an octal file mode`)})
	}
	steps = append(steps, resource.TestStep{
		Config:      fileConfig(s, "job_id = 1\nrun_id = 12\nfile_permission = \"0600\""),
		ExpectError: errRe(`output_path`),
	}, resource.TestStep{ // the last: the post-test destroy takes its configuration
		Config: config(replaced, "0600") + fmt.Sprintf(`
data "openspecimen_job_run_result_file" "y" {
  job_id          = 1
  run_id          = 12
  output_path     = %q
  file_permission = "660"
}
`, created),
		Check: wantModes,
	})
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: steps})
}

// A symlink at output_path is followed: the file it points to is replaced, keeping its mode,
// and the link stays.
func TestAccJobRunResultFile_outputPathSymlink(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	dir := t.TempDir()
	target, link := filepath.Join(dir, "exports", "2024.csv"), filepath.Join(dir, "current.csv")
	if err := os.MkdirAll(filepath.Dir(target), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fileConfig(s, fmt.Sprintf("job_id = 1\nrun_id = 12\noutput_path = %q", link)),
			Check: func(*terraform.State) error {
				if got, err := os.ReadFile(target); err != nil || string(got) != "id\n12\n" {
					return fmt.Errorf("%s holds %q (%v), want the run's file", target, got, err)
				}
				if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
					return fmt.Errorf("%s: mode %v (%v), want the 0600 it had", target, fi.Mode(), err)
				}
				if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					return fmt.Errorf("%s is no longer a symlink: %v (%v)", link, fi.Mode(), err)
				}
				return nil
			},
		}},
	})
}

func TestAccJobRunResultFile_errors(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	notAFolder := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notAFolder, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"in progress":      {"job_id = 5\nrun_id = 14", `(?s)Run 14 of job 5 is still IN_PROGRESS.*openspecimen_job_run.*wait_for_completion\s+=\s+true`},
		"failed":           {"job_id = 1\nrun_id = 11", `(?s)Run 11 of job 1 ended FAILED \(Query failed\)`},
		"no file":          {"job_id = 4\nrun_id = 21", `(?s)No result file.*Run 21 of job 4`},
		"unknown run":      {"job_id = 1\nrun_id = 99999", `Run 99999 of job 1 does not exist`},
		"run of other job": {"job_id = 4\nrun_id = 10", `Run 10 of job 4 does not exist`},
		"several entries":  {"job_id = 1\nrun_id = 20", `(?s)the zip holds several files: 2 \("a.csv", "b.csv"\)\.\s+Set\s+entry`},
		"missing entry":    {"job_id = 1\nrun_id = 20\nentry = \"c.csv\"", `(?s)no such entry "c.csv".*Set\s+entry`},
		"entry, no zip":    {"job_id = 1\nrun_id = 10\nentry = \"x.csv\"", `(?s)is not a zip`},
		"bad run id":       {"job_id = 1\nrun_id = 0", `run_id value must be at least 1`},
		"output_path is a folder": {fmt.Sprintf("job_id = 1\nrun_id = 10\noutput_path = %q", filepath.Dir(notAFolder)),
			`(?s)output_path is a folder.*is a folder\. Set it to the file to write`},
		"unwritable output_path": {fmt.Sprintf("job_id = 1\nrun_id = 10\noutput_path = %q", filepath.Join(notAFolder, "out.csv")),
			`(?s)Cannot write result file.*writable folder`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      fileConfig(s, tc.body),
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}

// Every error of resultfile.Fetch has its own diagnostic, on the attribute to change; the
// acceptance tests reach most of them through the CLI, the TestResultFileDiagnostic tests
// check all, word for word, for a file of diagnosticRequest read by carol.

// resultFileDiagnosticCase is an error of resultfile.Fetch and the diagnostic it must give.
type resultFileDiagnosticCase struct {
	err  error
	want diag.Diagnostic
}

var diagnosticRequest = resultfile.Request{JobID: 4, RunID: 21, OutputPath: "/out/r.csv"}

func checkResultFileDiagnostics(t *testing.T, cases []resultFileDiagnosticCase) {
	t.Helper()
	for _, tc := range cases {
		if got := resultFileDiagnostic(tc.err, diagnosticRequest, fileReader{login: "carol"}); !got.Equal(tc.want) {
			t.Errorf("%T %v:\n got %s: %s\nwant %s: %s", tc.err, tc.err, got.Summary(), got.Detail(), tc.want.Summary(), tc.want.Detail())
		}
	}
}

// The run is not found, cannot be read, or has no file to read.
func TestResultFileDiagnostic_run(t *testing.T) {
	cause := errors.New("connection reset")
	notFound := &client.APIError{StatusCode: 400, Code: client.CodeRunNotFound, Message: "no run"}
	checkResultFileDiagnostics(t, []resultFileDiagnosticCase{
		{&resultfile.RunError{Err: notFound}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "Job run not found",
			"Run 21 of job 4 does not exist in OpenSpecimen, or this user cannot see it. Check job_id and run_id.")},
		{&resultfile.RunError{Err: cause}, diag.NewErrorDiagnostic("Cannot read job run",
			"Reading run 21 of job 4 failed: connection reset")},
		{&resultfile.NoFileError{Status: client.StatusInProgress}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"),
			"Job run still in progress", "Run 21 of job 4 is still IN_PROGRESS and has no result file yet. Take run_id from "+
				"the openspecimen_job_run resource that starts the run (openspecimen_job_run.<name>.run_id), so that the file "+
				"is read after it, and keep wait_for_completion = true on that resource: with false, it is done as soon as the "+
				"run has started, before the run has written its file.")},
		{&resultfile.NoFileError{Status: client.StatusFailed}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"),
			"Job run failed", "Run 21 of job 4 ended FAILED (no message) and has no result file to read. Fix the job in "+
				"OpenSpecimen and run it again.")},
		{&resultfile.NoFileError{Status: client.StatusSucceeded, Err: cause}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"),
			"No result file", "Run 21 of job 4 (SUCCEEDED) has no result file on the server: the job wrote none. Only jobs "+
				"that write output, such as saved-query exports, have one.")},
		{&resultfile.NoFileError{Status: client.StatusSucceeded, Message: "Gone", Err: cause}, diag.NewAttributeErrorDiagnostic(
			path.Root("run_id"), "No result file", "Run 21 of job 4 (SUCCEEDED) has no result file on the server: Gone. Only "+
				"jobs that write output, such as saved-query exports, have one.")},
		{&resultfile.NoFileError{Status: client.StatusSucceeded, Purged: true, Err: cause}, diag.NewAttributeWarningDiagnostic(
			path.Root("run_id"), "Result file purged", "Run 21 of job 4 wrote a result file, but the server no longer has it: "+
				"OpenSpecimen purges result files 30 days after the run (the run still lists its file). The file's attributes "+
				"are null. output_path /out/r.csv was not written: a file there keeps what it held. To read the data again, "+
				"run the job again (for a run of an openspecimen_job_run resource: terraform apply "+
				"-replace=openspecimen_job_run.<name>) or read a newer run of the job.")},
		{&resultfile.NoFileError{Err: cause}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"), "No result file",
			"Run 21 of job 4 has no result file on the server: the run is still in progress, it failed, or the job writes "+
				"none (this user may download the job's files but not read the run, so the provider cannot tell which). Read "+
				"the file once the run has succeeded.")},
	})
}

func TestResultFileDiagnostic_download(t *testing.T) {
	cause := errors.New("connection reset")
	refused := &client.APIError{StatusCode: 400, Code: client.CodeOpNotAllowed, Message: "not yours"}
	checkResultFileDiagnostics(t, []resultFileDiagnosticCase{
		{&resultfile.DownloadError{Err: refused}, diag.NewAttributeErrorDiagnostic(path.Root("run_id"),
			"Not allowed to read the result file", "OpenSpecimen lets user carol neither read run 21 of job 4 nor download "+
				"its result file (400 SCHEDULED_JOB_OP_NOT_ALLOWED: not yours): only an admin, the user who ran it and the job's "+
				"recipients may download it. Add this user to the job's recipients in OpenSpecimen, or configure the provider "+
				"with such a user.")},
		{&resultfile.DownloadError{Err: cause}, diag.NewErrorDiagnostic("Cannot download result file",
			"Downloading the result file of run 21 of job 4 failed: connection reset")},
		{&resultfile.DownloadError{Midway: true, Err: cause}, diag.NewErrorDiagnostic("Cannot download result file",
			"Reading the result file of run 21 of job 4 failed: connection reset")},
	})
}

func TestResultFileDiagnostic_unzipWriteDecode(t *testing.T) {
	cause := errors.New("connection reset")
	checkResultFileDiagnostics(t, []resultFileDiagnosticCase{
		{&resultfile.UnzipError{Filename: "r.zip", Err: cause}, diag.NewErrorDiagnostic(
			"Cannot unzip result file", "The result file r.zip of run 21 of job 4: connection reset.")},
		{&resultfile.UnzipError{Filename: "r.zip", Err: fmt.Errorf("%w (zip: not a valid zip file)", resultfile.ErrNotZip)},
			diag.NewAttributeErrorDiagnostic(path.Root("unzip"), "Cannot unzip result file", "The result file r.zip of run 21 "+
				"of job 4: it is not a valid zip (zip: not a valid zip file). Set unzip = false to read the file itself.")},
		{&resultfile.UnzipError{Filename: "r.zip", Err: resultfile.ErrZipEmpty}, diag.NewAttributeErrorDiagnostic(path.Root("unzip"),
			"Cannot unzip result file", "The result file r.zip of run 21 of job 4: the zip holds no file. Set unzip = false "+
				"to read the file itself.")},
		{&resultfile.UnzipError{Filename: "r.zip", Entries: []string{"a.csv", "b.csv"}, Err: fmt.Errorf(`%w: 2 ("a.csv", "b.csv")`,
			resultfile.ErrZipHoldsSeveral)}, diag.NewAttributeErrorDiagnostic(path.Root("entry"), "Cannot unzip result file",
			`The result file r.zip of run 21 of job 4: the zip holds several files: 2 ("a.csv", "b.csv"). Set entry to the one to read.`)},
		{&resultfile.UnzipError{Filename: "r.csv", Err: resultfile.ErrEntryWithoutZip}, diag.NewAttributeErrorDiagnostic(path.Root("entry"),
			"entry needs a zip", "entry is set, but the result file r.csv of run 21 of job 4 is not a zip read with unzip = true. "+
				"Remove entry.")},
		{&resultfile.WriteError{Path: "/out/r.csv", Err: cause}, diag.NewAttributeErrorDiagnostic(path.Root("output_path"),
			"Cannot write result file", "Writing the result file of run 21 of job 4 to /out/r.csv failed: connection reset. "+
				"Choose a path in a writable folder.")},
		{&resultfile.WriteError{Path: "/out", Err: fmt.Errorf("/out %w", resultfile.ErrOutputFolder)}, diag.NewAttributeErrorDiagnostic(
			path.Root("output_path"), "output_path is a folder", "output_path /out is a folder. Set it to the file to write "+
				"the result file of run 21 of job 4 to, such as a file in that folder.")},
		{&resultfile.WriteError{Path: "/out/r.csv", Err: fmt.Errorf("/out/r.csv links to /dev/null, which %w", resultfile.ErrOutputNotRegular)},
			diag.NewAttributeErrorDiagnostic(
				path.Root("output_path"), "output_path is not a regular file", "output_path /out/r.csv links to /dev/null, which "+
					"is not a regular file. The result file of run 21 of job 4 is written to a temporary file renamed over "+
					"output_path, which a device or a pipe cannot be: set it to a regular file's path.")},
		{&resultfile.DecodeError{Filename: "r.csv", Line: 1, Separator: '\t', Err: errors.New("the header is one column holding '\\t'")},
			diag.NewAttributeErrorDiagnostic(path.Root("separator"), "Result file has another separator", "Run 21 of job 4: "+
				`decoding r.csv as CSV: line 1: the header is one column holding '\t'. Set separator = "\t" to decode it.`)},
	})
}

func TestResultFileDiagnostic_tooLarge(t *testing.T) {
	checkResultFileDiagnostics(t, []resultFileDiagnosticCase{
		{&resultfile.TooLargeError{Filename: "r.csv", Limit: 4 << 20}, diag.NewAttributeErrorDiagnostic(
			path.Root("max_content_bytes"), "Result file too large for state", "The result file r.csv of run 21 of job 4 is "+
				"larger than max_content_bytes (4 MiB). Set output_path to write it to disk instead, or read it with the "+
				"ephemeral resource of the same name, which keeps it out of the state. Raising max_content_bytes (at most "+
				"64 MiB) puts it in the state, re-read on every plan.")},
	})
	// The ephemeral resource has no output_path and keeps nothing in the state.
	got := resultFileDiagnostic(&resultfile.TooLargeError{Filename: "r.csv", Limit: 10}, diagnosticRequest, fileReader{login: "carol", ephemeral: true})
	want := diag.NewAttributeErrorDiagnostic(path.Root("max_content_bytes"), "Result file too large", "The result file r.csv "+
		"of run 21 of job 4 is larger than max_content_bytes (10 bytes). Raise max_content_bytes (at most 64 MiB), or write "+
		"the file to disk with the data source's output_path.")
	if !got.Equal(want) {
		t.Errorf("too large, ephemeral:\n got %s: %s\nwant %s: %s", got.Summary(), got.Detail(), want.Summary(), want.Detail())
	}
	// A size known before reading (Content-Length, a zip's directory) is named.
	got = resultFileDiagnostic(&resultfile.TooLargeError{Filename: "r.csv", Limit: 10, Size: 12}, diagnosticRequest, fileReader{login: "carol", ephemeral: true})
	if want := "The result file r.csv of run 21 of job 4 is 12 bytes, more than max_content_bytes (10 bytes)."; !strings.HasPrefix(got.Detail(), want) {
		t.Errorf("too large, size known: %s, want it to start with %q", got.Detail(), want)
	}
}

// decodeMockConfig adds to the seeded history a saved-query export (zipped, with its
// preamble), a plain CSV, a ragged export and a CSV whose header names a column twice.
func decodeMockConfig(t *testing.T) mockserver.Config {
	cfg := historyMockConfig(t)
	cfg.FileRetention = keepFiles
	started, finished := time.Date(2024, 1, 15, 6, 15, 0, 0, time.UTC), time.Date(2024, 1, 15, 6, 16, 0, 0, time.UTC)
	seeded := func(id int64, res *mockserver.ResultConfig) mockserver.RunConfig {
		return mockserver.RunConfig{ID: id, JobID: 1, Status: "SUCCEEDED", StartedAt: &started, FinishedAt: &finished,
			RunBy: "admin", Result: res}
	}
	cfg.Runs = append(cfg.Runs,
		seeded(40, &mockserver.ResultConfig{Export: true, CollectionProtocol: "CP-TB",
			Content: "\"Label\",\"Type\"\n\"SP-1\",\"Whole Blood\"\n\"SP-2\",\"\"\n"}),
		seeded(41, &mockserver.ResultConfig{Filename: "plain.csv", Content: "a,b\n1,2\n"}),
		seeded(42, &mockserver.ResultConfig{Export: true, Content: "\"a\",\"b\"\n\"1\",\"2\"\n\"3\"\n"}),
		seeded(43, &mockserver.ResultConfig{Filename: "twice.csv", Content: "a,b,a\n1,2,3\n"}),
	)
	return cfg
}

// exportPreamble is the preamble of run 40's export: run by admin, ended at 06:16 UTC.
const exportPreamble = "\"Exported By\",\"Admin User\"\n\"Exported On\",\"15 Jan 2024 06:15\"\n\"Collection Protocol\",\"CP-TB\"\n\"\",\"\"\n"

func TestAccJobRunResultFile_decode(t *testing.T) {
	s := mocktest.New(t, decodeMockConfig(t))
	export := exportPreamble + "\"Label\",\"Type\"\n\"SP-1\",\"Whole Blood\"\n\"SP-2\",\"\"\n"
	for name, tc := range map[string]struct {
		body   string
		checks []statecheck.StateCheck
	}{
		"export with its preamble, zipped": {"job_id = 1\nrun_id = 40\ndecode = \"csv\"", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("scheduled_query_1_40.csv")),
			statecheck.ExpectKnownValue(fileAddr, at("export_metadata"), knownvalue.MapExact(map[string]knownvalue.Check{
				"Exported By":         knownvalue.StringExact("Admin User"),
				"Exported On":         knownvalue.StringExact("15 Jan 2024 06:15"), // the export's start, in the messages' formats
				"Collection Protocol": knownvalue.StringExact("CP-TB"),
			})),
			statecheck.ExpectKnownValue(fileAddr, at("columns"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.StringExact("Label"), knownvalue.StringExact("Type")})),
			statecheck.ExpectKnownValue(fileAddr, at("rows"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.MapExact(map[string]knownvalue.Check{"Label": knownvalue.StringExact("SP-1"), "Type": knownvalue.StringExact("Whole Blood")}),
				knownvalue.MapExact(map[string]knownvalue.Check{"Label": knownvalue.StringExact("SP-2"), "Type": knownvalue.StringExact("")}),
			})),
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("content_base64"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Int64Exact(int64(len(export)))),
			statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.StringExact(sha256Hex([]byte(export)))),
		}},
		"plain CSV": {"job_id = 1\nrun_id = 41\ndecode = \"csv\"", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("export_metadata"), knownvalue.MapExact(map[string]knownvalue.Check{})),
			statecheck.ExpectKnownValue(fileAddr, at("rows"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.MapExact(map[string]knownvalue.Check{"a": knownvalue.StringExact("1"), "b": knownvalue.StringExact("2")}),
			})),
		}},
		"not decoded": {"job_id = 1\nrun_id = 41", []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringExact("a,b\n1,2\n")),
			statecheck.ExpectKnownValue(fileAddr, at("export_metadata"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("columns"), knownvalue.Null()),
			statecheck.ExpectKnownValue(fileAddr, at("rows"), knownvalue.Null()),
		}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: fileConfig(s, tc.body), ConfigStateChecks: tc.checks}},
			})
		})
	}
}

// A CSV is decoded with the server's common.field_separator, read when the provider
// configures, or with separator; a file that looks written with another separator is an
// error on separator naming it, never one wrong column.
func TestAccJobRunResultFile_separator(t *testing.T) {
	cfg := decodeMockConfig(t)
	cfg.Settings.FieldSeparator = ";"
	cfg.Settings.ExportLabels = mockserver.ExportLabels{ExportedBy: "Exporté par", ExportedOn: "Exporté le", CollectionProtocol: "Protocole"}
	s := mocktest.New(t, cfg)
	rows := knownvalue.ListExact([]knownvalue.Check{
		knownvalue.MapExact(map[string]knownvalue.Check{"Label": knownvalue.StringExact("SP-1"), "Type": knownvalue.StringExact("Whole Blood")}),
		knownvalue.MapExact(map[string]knownvalue.Check{"Label": knownvalue.StringExact("SP-2"), "Type": knownvalue.StringExact("")}),
	})
	for name, step := range map[string]resource.TestStep{
		"the server's": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\ndecode = \"csv\""), ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("rows"), rows),
			statecheck.ExpectKnownValue(fileAddr, at("export_metadata").AtMapKey("Protocole"), knownvalue.StringExact("CP-TB")),
		}},
		"set": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\ndecode = \"csv\"\nseparator = \";\""), ConfigStateChecks: []statecheck.StateCheck{
			statecheck.ExpectKnownValue(fileAddr, at("rows"), rows),
		}},
		"set to another": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\ndecode = \"csv\"\nseparator = \",\""),
			ExpectError: errRe(`(?s)Result file has another separator.*look separated by ';', not ','.*Set separator = ";"`)},
		"without decode": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\nseparator = \";\""),
			ExpectError: errRe(`(?s)Attribute "decode" must be specified when "separator" is\s+specified`)},
		"two characters": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\ndecode = \"csv\"\nseparator = \";;\""),
			ExpectError: errRe(`(?s)separator UTF-8 character count must be between 1 and 1, got: 2`)},
		"a quote": {Config: fileConfig(s, "job_id = 1\nrun_id = 40\ndecode = \"csv\"\nseparator = \"\\\"\""),
			ExpectError: errRe(`(?s)separator value must be none of`)},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{step},
			})
		})
	}
}

// What does not decode is refused naming the line, counted in the file as served.
func TestAccJobRunResultFile_decodeErrors(t *testing.T) {
	s := mocktest.New(t, decodeMockConfig(t))
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"not CSV": {"job_id = 1\nrun_id = 13\ndecode = \"csv\"",
			`(?s)Result file is not the CSV expected.*Run 13 of job 1: decoding blob.bin as CSV: line 1: this line is\s+not\s+text.*remove\s+decode`},
		"a ragged row": {"job_id = 1\nrun_id = 42\ndecode = \"csv\"",
			`(?s)scheduled_query_1_42.csv as CSV: line 6: this line has 1 fields, but the header\s+\(line 4\)\s+has\s+2`},
		"a column named twice": {"job_id = 1\nrun_id = 43\ndecode = \"csv\"", `(?s)line 1: the header names "a" more than\s+once`},
		"the zip itself":       {"job_id = 1\nrun_id = 40\ndecode = \"csv\"\nunzip = false", `(?s)Conflicting unzip and decode`}, // at plan time
		"decoded over the limit": {"job_id = 1\nrun_id = 40\ndecode = \"csv\"\nmax_content_bytes = 40",
			`(?s)Result file too large for state.*scheduled_query_1_40.csv of run 40 of job 1, decoded, is larger than\s+max_content_bytes \(40 bytes\)\. Set output_path`},
		"unknown decode": {"job_id = 1\nrun_id = 41\ndecode = \"json\"", `decode value must be one of: \["csv"\]`},
		"strip without output_path": {"job_id = 1\nrun_id = 41\ndecode = \"csv\"\noutput_strip_preamble = true",
			`(?s)Attribute "output_path" must be specified when "output_strip_preamble" is\s+specified`},
		"strip without decode": {fmt.Sprintf("job_id = 1\nrun_id = 41\noutput_strip_preamble = true\noutput_path = %q",
			filepath.Join(t.TempDir(), "x.csv")), `(?s)Attribute "decode" must be specified when "output_strip_preamble" is\s+specified`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: fileConfig(s, tc.body), ExpectError: errRe(tc.want)}},
			})
		})
	}
}

// Decoded to a path, the file is written (without its preamble when asked), its metadata and
// columns read, its rows left in the file, out of the state.
func TestAccJobRunResultFile_decodeOutputPath(t *testing.T) {
	s := mocktest.New(t, decodeMockConfig(t))
	body := "\"Label\",\"Type\"\n\"SP-1\",\"Whole Blood\"\n\"SP-2\",\"\"\n"
	for name, tc := range map[string]struct {
		strip string
		want  string
	}{
		"preamble stripped": {"output_strip_preamble = true", body},
		"as served":         {"", exportPreamble + body},
	} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "specimens.csv")
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: fileConfig(s, fmt.Sprintf("job_id = 1\nrun_id = 40\ndecode = \"csv\"\noutput_path = %q\n%s", dest, tc.strip)),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(fileAddr, at("rows"), knownvalue.Null()),
						statecheck.ExpectKnownValue(fileAddr, at("export_metadata").AtMapKey("Exported By"), knownvalue.StringExact("Admin User")),
						statecheck.ExpectKnownValue(fileAddr, at("columns"), knownvalue.ListSizeExact(2)),
						statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.StringExact(sha256Hex([]byte(tc.want)))),
						statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Int64Exact(int64(len(tc.want)))),
					},
					Check: func(*terraform.State) error {
						if got, err := os.ReadFile(dest); err != nil || string(got) != tc.want {
							return fmt.Errorf("%s holds %q (%v), want %q", dest, got, err, tc.want)
						}
						return nil
					},
				}},
			})
		})
	}
}

// Decoding's errors, word for word: a file that is not the CSV expected, on decode; a table
// or a record over the limit, on max_content_bytes.
func TestResultFileDiagnostic_decode(t *testing.T) {
	req := resultfile.Request{JobID: 4, RunID: 21, DecodeCSV: true}
	for _, tc := range []struct {
		err       error
		ephemeral bool
		want      diag.Diagnostic
	}{
		{&resultfile.DecodeError{Filename: "r.csv", Line: 6, Err: errors.New("this line has 1 fields, but the header (line 5) has 2")}, false,
			diag.NewAttributeErrorDiagnostic(path.Root("decode"), "Result file is not the CSV expected", "Run 21 of job 4: decoding "+
				"r.csv as CSV: line 6: this line has 1 fields, but the header (line 5) has 2. decode = \"csv\" reads a CSV file "+
				"(a saved-query export, with or without its preamble); remove decode to read the file's bytes in content or "+
				"content_base64.")},
		{&resultfile.TooLargeError{Filename: "r.csv", Limit: 4 << 20, Decoded: true}, false, diag.NewAttributeErrorDiagnostic(
			path.Root("max_content_bytes"), "Result file too large for state", "The result file r.csv of run 21 of job 4, "+
				"decoded, is larger than max_content_bytes (4 MiB). Set output_path to write it to disk instead, or read it "+
				"with the ephemeral resource of the same name, which keeps it out of the state. Raising max_content_bytes (at "+
				"most 64 MiB) puts it in the state, re-read on every plan.")},
		{&resultfile.TooLargeError{Filename: "r.csv", Limit: 10, Decoded: true}, true, diag.NewAttributeErrorDiagnostic(
			path.Root("max_content_bytes"), "Result file too large", "The result file r.csv of run 21 of job 4, decoded, is "+
				"larger than max_content_bytes (10 bytes). Raise max_content_bytes (at most 64 MiB), or write the file to disk "+
				"with the data source's output_path.")},
		{&resultfile.TooLargeError{Filename: "r.csv", Limit: 10, Line: 3}, false, diag.NewAttributeErrorDiagnostic(
			path.Root("max_content_bytes"), "CSV record too large", "The result file r.csv of run 21 of job 4 has a CSV record, "+
				"from line 3 on, longer than max_content_bytes (10 bytes); decoding holds one record at a time. Raise "+
				"max_content_bytes (at most 64 MiB) if its records are that long, or remove decode if the file is not CSV.")},
	} {
		if got := resultFileDiagnostic(tc.err, req, fileReader{login: "carol", ephemeral: tc.ephemeral}); !got.Equal(tc.want) {
			t.Errorf("%T %v:\n got %s: %s\nwant %s: %s", tc.err, tc.err, got.Summary(), got.Detail(), tc.want.Summary(), tc.want.Detail())
		}
	}
}

// purgeMockConfig is a server of line at clock's time whose job 1 has run 50, finished a
// minute ago with a file that the server keeps an hour.
func purgeMockConfig(line string, clock *mockserver.ManualClock) mockserver.Config {
	cfg := testMockConfig()
	cfg.Line, cfg.Clock, cfg.FileRetention = line, clock, mockserver.Duration(time.Hour)
	started, finished := clock.Now().Add(-2*time.Minute), clock.Now().Add(-time.Minute)
	cfg.Runs = []mockserver.RunConfig{{ID: 50, JobID: jobQuick, Status: "SUCCEEDED", StartedAt: &started,
		FinishedAt: &finished, RunBy: "admin", Result: &mockserver.ResultConfig{Filename: "export.csv", Content: "a\n1\n"}}}
	return cfg
}

// A file the server purged after its retention is a warning, not an error: the plan goes on,
// the file's attributes turn null, and output_path keeps the file written before.
func TestAccJobRunResultFile_purged(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
			s := mocktest.New(t, purgeMockConfig(line, clock))
			dest := filepath.Join(t.TempDir(), "export.csv")
			config := providerBlock(s) + fmt.Sprintf(`
data "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = 50
}
data "openspecimen_job_run_result_file" "disk" {
  job_id      = 1
  run_id      = 50
  output_path = %q
}
`, dest)
			keptOnDisk := func(*terraform.State) error {
				if got, err := os.ReadFile(dest); err != nil || string(got) != "a\n1\n" {
					return fmt.Errorf("%s holds %q (%v), want the file written before the purge", dest, got, err)
				}
				return nil
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.StringExact("a\n1\n")),
					},
					Check: keptOnDisk,
				}, {
					PreConfig: func() { clock.Advance(time.Hour) }, // finished + retention is behind
					Config:    config,
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(fileAddr, at("run_id"), knownvalue.Int64Exact(50)),
						statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.Null()),
						statecheck.ExpectKnownValue(fileAddr, at("content"), knownvalue.Null()),
						statecheck.ExpectKnownValue(fileAddr, at("sha256"), knownvalue.Null()),
						statecheck.ExpectKnownValue(fileAddr, at("size"), knownvalue.Null()),
						statecheck.ExpectKnownValue("data.openspecimen_job_run_result_file.disk", at("sha256"), knownvalue.Null()),
					},
					Check: keptOnDisk,
				}},
			})
		})
	}
}

// The CLI shows the purge's warning, naming the run, the 30 days and what to do, and the
// apply succeeds.
func TestAccJobRunResultFile_purgedWarning(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
			s := mocktest.New(t, purgeMockConfig(line, clock))
			clock.Advance(time.Hour)
			c := newCLITest(t, s, `
data "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = 50
}
`)
			out, ok := c.apply(t.Context())
			if !ok || !errRe(`Warning: Result file purged.*Run 50 of job 1 wrote a result file.*purges result files 30 days `+
				`after the run.*terraform apply -replace=openspecimen_job_run.<name>`).MatchString(out) {
				t.Fatalf("apply (succeeded: %v) said:\n%s\nwant the purge's warning and success", ok, out)
			}
		})
	}
}

// recipientMockConfig is a server of line, at clock's time, whose job 1 sends its files to
// carol, who may download them but not read the runs; dave is neither.
func recipientMockConfig(line string, clock *mockserver.ManualClock) mockserver.Config {
	cfg := testMockConfig()
	cfg.Line, cfg.Clock = line, clock
	cfg.Users = append(cfg.Users, mockserver.UserConfig{LoginName: "carol", Password: "Carol@123"},
		mockserver.UserConfig{LoginName: "dave", Password: "Dave@1234"})
	cfg.Jobs[0].Recipients = []string{"carol"}
	return cfg
}

// adminRunsJob1 runs job 1 of s as the admin, to its end, and answers the run's id.
func adminRunsJob1(t *testing.T, s *mockserver.Server, clock *mockserver.ManualClock, args string) int64 {
	t.Helper()
	run, err := s.StartRunAs("admin", jobQuick, args)
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Minute) // past the job's 300 ms
	return run.ID
}

// A job's recipient reads the file of a run the admin ran, though the server does not let
// it read the run; a user who is no recipient is refused, naming the user and what to do.
func TestAccJobRunResultFile_recipient(t *testing.T) {
	for _, line := range serverLines {
		t.Run(line, func(t *testing.T) {
			clock := mockserver.NewManualClock(time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
			s := mocktest.New(t, recipientMockConfig(line, clock))
			runID := adminRunsJob1(t, s, clock, "--for carol")
			reader := func(user, password string) string {
				return providerBlockAs(s.URL(), user, password) + fmt.Sprintf(`
data "openspecimen_job_run_result_file" "x" {
  job_id = 1
  run_id = %d
}
`, runID)
			}
			for user, step := range map[string]resource.TestStep{
				"carol": {Config: reader("carol", "Carol@123"), ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(fileAddr, at("filename"), knownvalue.StringExact("specimens.csv")),
					statecheck.ExpectKnownValue(fileAddr, at("content"),
						knownvalue.StringExact(fmt.Sprintf("id,args\n%d,--for carol\n", runID))),
				}},
				"dave": {Config: reader("dave", "Dave@1234"), ExpectError: errRe(`Not allowed to read the result file.*lets ` +
					`user dave neither read run \d+ of job 1 nor download its result file.*job's recipients`)},
			} {
				t.Run(user, func(t *testing.T) {
					resource.ParallelTest(t, resource.TestCase{
						ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
						Steps:                    []resource.TestStep{step},
					})
				})
			}
		})
	}
}

// A CSV is decoded with separator when set, else the server's common.field_separator, else
// a comma (resultfile's default).
func TestResultFileRequestSeparator(t *testing.T) {
	for _, tc := range []struct {
		attr   types.String
		server rune
		want   rune
	}{
		{types.StringNull(), 0, 0},
		{types.StringNull(), ';', ';'},
		{types.StringValue("\t"), ';', '\t'},
		{types.StringValue("|"), 0, '|'},
	} {
		m := resultFileModel{Separator: tc.attr, Decode: types.StringValue(decodeCSV)}
		if got := m.request(client.Settings{FieldSeparator: tc.server}).Separator; got != tc.want {
			t.Errorf("separator %s, server's %q: %q, want %q", tc.attr, tc.server, got, tc.want)
		}
	}
}

// A trigger still queued when timeouts.create ends leaves run_id null: the file read in that
// apply says why run_id is null and what to do, not that a required attribute is missing.
// Through the real CLI (the value is null only at apply), on each; run_id left out is
// refused at plan time.
func TestAccJobRunResultFile_pendingTrigger(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	s := mocktest.New(t, busyMockConfig(clock))
	holdBusyPool(t, s)
	c := newCLITest(t, s, busyResource+`
data "openspecimen_job_run_result_file" "x" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, ok := c.apply(ctx)
	for _, want := range []string{"Warning: Job run not identified yet", "Error: run_id is null",
		"its timeouts.create ended while the trigger waited in OpenSpecimen's queue",
		`lifecycle { postcondition { condition = self.status == "SUCCEEDED" } }`} {
		if ok || !says(out, want) {
			t.Errorf("the apply does not fail saying %q:\n%s", want, out)
		}
	}
	if says(out, "Missing Configuration for Required Attribute") {
		t.Errorf("the apply calls run_id missing:\n%s", out)
	}
	c.configure(s, "\ndata \"openspecimen_job_run_result_file\" \"x\" {\n  job_id = 1\n}\n")
	if plan, err := c.command(ctx, "plan", "-input=false", "-no-color").CombinedOutput(); err == nil || !says(string(plan), "run_id is not set") {
		t.Errorf("a plan without run_id does not fail saying it is not set:\n%s", plan)
	}
}
