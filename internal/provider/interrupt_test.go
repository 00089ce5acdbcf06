package provider

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestAccJobRun_interruptedApply sends a real SIGINT to the CLI while the resource waits
// for its run, as a user pressing Ctrl-C would. The run must be in state, tainted, and the
// server must have exactly one run. terraform-plugin-testing cannot interrupt an apply, so
// this test drives the CLI itself, with the provider built as a binary and dev_overrides.
func TestAccJobRun_interruptedApply(t *testing.T) {
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if os.Getenv("TF_ACC") == "" || tfPath == "" {
		t.Skip("set TF_ACC=1 and TF_ACC_TERRAFORM_PATH to run acceptance tests")
	}
	host := os.Getenv("TF_ACC_PROVIDER_HOST")
	if host == "" {
		host = "registry.terraform.io"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dir := t.TempDir()
	pluginDir := filepath.Join(dir, "plugins")
	_, thisFile, _, _ := runtime.Caller(0)
	build := exec.CommandContext(ctx, "go", "build", "-o", filepath.Join(pluginDir, "terraform-provider-openspecimen"), ".")
	build.Dir = filepath.Join(filepath.Dir(thisFile), "..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the provider: %v\n%s", err, out)
	}
	cliConfig := filepath.Join(dir, "cli.tfrc")
	writeFile(t, cliConfig, fmt.Sprintf(`provider_installation {
  dev_overrides {
    %q = %q
  }
  direct {}
}
`, host+"/openspecimen-iac/openspecimen", pluginDir))

	s := newTestMock(t, testMockConfig())
	work := filepath.Join(dir, "work")
	writeFile(t, filepath.Join(work, "main.tf"), `terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}
`+providerBlock(s)+`
resource "openspecimen_job_run" "x" {
  job_id = 4
}
`)
	tf := func(args ...string) *exec.Cmd {
		cmd := exec.CommandContext(ctx, tfPath, args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+cliConfig, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		return cmd
	}

	apply := tf("apply", "-auto-approve", "-input=false", "-no-color")
	var out lockedBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	// The job runs for 20 s: interrupt as soon as its run exists on the server.
	for len(s.Runs(jobSlow)) == 0 {
		select {
		case <-ctx.Done():
			t.Fatalf("no run appeared; the CLI said:\n%s", out.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := apply.Wait(); err == nil {
		t.Fatalf("the interrupted apply succeeded:\n%s", out.String())
	}

	show := tf("show", "-json", "-no-color")
	stateJSON, err := show.Output()
	if err != nil {
		t.Fatalf("terraform show: %v\napply said:\n%s", err, out.String())
	}
	var state struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address string         `json:"address"`
					Tainted bool           `json:"tainted"`
					Values  map[string]any `json:"values"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal(stateJSON, &state); err != nil {
		t.Fatalf("terraform show -json: %v\n%s", err, stateJSON)
	}
	runs := s.Runs(jobSlow)
	if len(runs) != 1 {
		t.Fatalf("the server has %d runs of job 4, want exactly 1", len(runs))
	}
	res := state.Values.RootModule.Resources
	if len(res) != 1 || res[0].Address != jobRunAddr {
		t.Fatalf("state holds %+v, want the job run; apply said:\n%s", res, out.String())
	}
	if !res[0].Tainted {
		t.Errorf("the interrupted run is not tainted in state")
	}
	if got := fmt.Sprint(res[0].Values["run_id"]); got != strconv.FormatInt(runs[0].ID, 10) {
		t.Errorf("state records run %s, the server has run %d", got, runs[0].ID)
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
