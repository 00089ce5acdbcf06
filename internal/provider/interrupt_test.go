package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
)

// The tests here drive the real CLI (TF_ACC_TERRAFORM_PATH) with the provider built as a
// binary and loaded through dev_overrides: terraform-plugin-testing cannot interrupt an apply.

// cliTest is one working directory of the real CLI against one mock server.
type cliTest struct {
	t      *testing.T
	tfPath string
	dir    string
	env    []string
}

var (
	providerBuild    sync.Once
	providerBuildDir string
	providerBuildErr error
)

// newCLITest builds the provider once per test binary and writes main.tf (provider block
// and body) in a new directory, with a CLI configuration overriding the provider's source.
func newCLITest(t *testing.T, s *mockserver.Server, body string) *cliTest {
	t.Helper()
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || tfPath == "" {
		t.Skip("set TF_ACC=1 and TF_ACC_TERRAFORM_PATH to run acceptance tests")
	}
	providerBuild.Do(func() {
		// Shared by every test of the binary, so not a test's TempDir; the OS's temp cleaner removes it.
		providerBuildDir, providerBuildErr = os.MkdirTemp("", "tfprovider-openspecimen-") //nolint:usetesting // see above
		if providerBuildErr != nil {
			return
		}
		_, thisFile, _, _ := runtime.Caller(0)
		build := exec.Command("go", "build", "-o", filepath.Join(providerBuildDir, "terraform-provider-openspecimen"), ".")
		build.Dir = filepath.Join(filepath.Dir(thisFile), "..", "..")
		if out, err := build.CombinedOutput(); err != nil {
			providerBuildErr = fmt.Errorf("building the provider: %v\n%s", err, out)
		}
	})
	if providerBuildErr != nil {
		t.Fatal(providerBuildErr)
	}
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	dir := t.TempDir()
	cliConfig := filepath.Join(dir, "cli.tfrc")
	writeFile(t, cliConfig, fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		host+"/openspecimen-iac/openspecimen", providerBuildDir))
	env := append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	c := &cliTest{t: t, tfPath: tfPath, dir: filepath.Join(dir, "work"), env: env}
	c.configure(s, body)
	return c
}

// configure writes main.tf: the provider's source and block, then body.
func (c *cliTest) configure(s *mockserver.Server, body string) {
	writeFile(c.t, filepath.Join(c.dir, "main.tf"), `terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}
`+providerBlock(s)+body)
}

func (c *cliTest) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, c.tfPath, args...)
	cmd.Dir, cmd.Env = c.dir, c.env
	return cmd
}

// apply runs terraform apply to its end and answers its output and whether it succeeded.
func (c *cliTest) apply(ctx context.Context) (string, bool) {
	out, err := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color").CombinedOutput()
	return string(out), err == nil
}

// stateResource is a resource of terraform show -json.
type stateResource struct {
	Address string         `json:"address"`
	Tainted bool           `json:"tainted"`
	Values  map[string]any `json:"values"`
}

func (c *cliTest) state(ctx context.Context) []stateResource {
	c.t.Helper()
	out, err := c.command(ctx, "show", "-json", "-no-color").Output()
	if err != nil {
		c.t.Fatalf("terraform show: %v", err)
	}
	var st struct {
		Values struct {
			RootModule struct {
				Resources []stateResource `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(out, &st); err != nil {
		c.t.Fatalf("terraform show -json: %v\n%s", err, out)
	}
	return st.Values.RootModule.Resources
}

// checkOneRunOrNone holds the promise of an apply cut short: either no run on the server and
// none in state, or exactly one run and that run in state (not tainted). It answers the
// number of runs.
func (c *cliTest) checkOneRunOrNone(ctx context.Context, s *mockserver.Server, jobID int64, said string) int {
	c.t.Helper()
	runs, res := s.Runs(jobID), c.state(ctx)
	switch {
	case len(runs) > 1:
		c.t.Fatalf("the server has %d runs of job %d, want at most 1; the CLI said:\n%s", len(runs), jobID, said)
	case len(runs) == 0 && len(res) != 0:
		c.t.Fatalf("no run on the server, but state holds %+v", res)
	case len(runs) == 1 && (len(res) != 1 || res[0].Address != jobRunAddr):
		c.t.Fatalf("run %d is on the server but state holds %+v: orphaned; the CLI said:\n%s", runs[0].ID, res, said)
	case len(runs) == 1 && fmt.Sprint(res[0].Values["run_id"]) != strconv.FormatInt(runs[0].ID, 10):
		c.t.Fatalf("state records run %v, the server has run %d", res[0].Values["run_id"], runs[0].ID)
	case len(runs) == 1 && res[0].Tainted:
		c.t.Fatalf("run %d is tainted in state: the next apply would run the job again", runs[0].ID)
	}
	return len(runs)
}

// checkNextApply applies again, undisturbed: it adds a run only when there was none (the
// job of these tests succeeds), and the state then records the server's one run. A run
// left in progress by a short create timeout is waited for in place by one more apply.
func (c *cliTest) checkNextApply(ctx context.Context, s *mockserver.Server, jobID int64) {
	c.t.Helper()
	for range 2 {
		out, ok := c.apply(ctx)
		if !ok {
			c.t.Fatalf("the next apply failed:\n%s", out)
		}
		if n := c.checkOneRunOrNone(ctx, s, jobID, out); n != 1 {
			c.t.Fatalf("after the next apply the server has %d runs, want 1", n)
		}
		if c.state(ctx)[0].Values["status"] == "SUCCEEDED" {
			return
		}
	}
	c.t.Fatalf("two applies after the first did not see run %d of job %d finish", s.Runs(jobID)[0].ID, jobID)
}

// TestAccJobRun_interruptedApply sends a real SIGINT to the CLI while the resource waits for
// its run, as a user pressing Ctrl-C would: the run is in state, not tainted, and the next
// plan waits for it in place.
func TestAccJobRun_interruptedApply(t *testing.T) {
	s := newTestMock(t, testMockConfig())
	c := newCLITest(t, s, "\nresource \"openspecimen_job_run\" \"x\" {\n  job_id = 4\n}\n")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	started := make(chan struct{}, 1)
	s.SetRunStartHook(func(mockserver.Run) { started <- struct{}{} })

	apply := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	var out lockedBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- apply.Wait() }()
	select { // the job runs for 20 s: interrupt once its run exists on the server
	case <-started:
	case err := <-exited:
		t.Fatalf("the apply ended (%v) before its run started:\n%s", err, out.String())
	}
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil { // the state and the server are what count, not the exit status
		t.Logf("the interrupted apply exited: %v", err)
	}
	if n := c.checkOneRunOrNone(ctx, s, jobSlow, out.String()); n != 1 {
		t.Fatalf("the server has %d runs, want the interrupted one:\n%s", n, out.String())
	}
	plan := c.command(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	planOut, err := plan.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !bytes.Contains(planOut, []byte("updated in-place")) {
		t.Fatalf("the next plan should wait for the run in place (an update):\n%s", planOut)
	}
}

// sweepStep is the step between the moments of the interrupt sweep; SWEEP_STEP (a Go
// duration) makes it finer or coarser.
func sweepStep(t *testing.T) time.Duration {
	step := 50 * time.Millisecond
	if v := os.Getenv("SWEEP_STEP"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			t.Fatalf("SWEEP_STEP=%q is not a positive duration", v)
		}
		step = d
	}
	return step
}

// sweepMockConfig is the mock of one sweep case: one job that runs for a second, with the
// given latency on every request.
func sweepMockConfig(latency time.Duration) mockserver.Config {
	cfg := testMockConfig()
	cfg.Jobs = []mockserver.JobConfig{{ID: jobQuick, Name: "Specimen export", Duration: mockserver.Duration(time.Second)}}
	cfg.Faults.Latency = mockserver.Duration(latency)
	return cfg
}

const sweepResource = "\nresource \"openspecimen_job_run\" \"x\" {\n  job_id = 1\n}\n"

// TestAccJobRun_interruptSweep sends SIGINT at many moments of an apply, from before its
// first request to the middle of the wait, with and without latency. After each: no run on
// the server and none in state, or exactly one run and that run in state; the next apply
// adds a run only if there was none.
func TestAccJobRun_interruptSweep(t *testing.T) {
	step := sweepStep(t)
	for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
		for at := -step; at < 600*time.Millisecond; at += step {
			t.Run(fmt.Sprintf("latency %s, SIGINT at %s", latency, at), func(t *testing.T) {
				t.Parallel()
				s := newTestMock(t, sweepMockConfig(latency))
				c := newCLITest(t, s, sweepResource)
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
				defer cancel()
				out := c.interruptAt(ctx, s, at)
				c.checkOneRunOrNone(ctx, s, jobQuick, out)
				c.checkNextApply(ctx, s, jobQuick)
			})
		}
	}
}

// interruptAt runs an apply and sends it SIGINT at after the first request reaches the mock
// (a negative at: as soon as the CLI has started). It answers the CLI's output.
func (c *cliTest) interruptAt(ctx context.Context, s *mockserver.Server, at time.Duration) string {
	c.t.Helper()
	apply := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	var out lockedBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		c.t.Fatal(err)
	}
	interrupt := func() { _ = apply.Process.Signal(os.Interrupt) }
	if at < 0 {
		interrupt()
	} else {
		var once sync.Once
		s.SetRequestHook(func(string, string) {
			once.Do(func() { time.AfterFunc(at, interrupt) })
		})
	}
	_ = apply.Wait()
	s.SetRequestHook(nil)
	return out.String()
}

// TestAccJobRun_timeoutSweep lets timeouts.create expire at many moments of the apply, with
// and without latency, with the promises of the interrupt sweep; the next apply runs with
// the default timeout.
func TestAccJobRun_timeoutSweep(t *testing.T) {
	step := 2 * sweepStep(t)
	for _, latency := range []time.Duration{0, 50 * time.Millisecond} {
		for timeout := step; timeout <= 600*time.Millisecond; timeout += step {
			t.Run(fmt.Sprintf("latency %s, timeout %s", latency, timeout), func(t *testing.T) {
				t.Parallel()
				s := newTestMock(t, sweepMockConfig(latency))
				body := fmt.Sprintf("\nresource \"openspecimen_job_run\" \"x\" {\n  job_id = 1\n  timeouts {\n    create = %q\n  }\n}\n", timeout)
				c := newCLITest(t, s, body)
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
				defer cancel()
				out, _ := c.apply(ctx)
				c.checkOneRunOrNone(ctx, s, jobQuick, out)
				c.configure(s, sweepResource) // as a user would, with the default timeout
				c.checkNextApply(ctx, s, jobQuick)
			})
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// lockedBuffer collects a child process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
