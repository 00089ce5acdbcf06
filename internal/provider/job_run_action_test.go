package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// Actions and action_trigger came with Terraform 1.14; older CLIs and OpenTofu skip these tests.
var needsActions = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// actionTriggerConfig is a terraform_data whose input is release, invoking the action
// (config body) after it is created or updated. A test's steps change release to invoke it
// again: a failed invoke does not undo the create or update before it.
func actionTriggerConfig(s *mockserver.Server, release, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
resource "terraform_data" "release" {
  input = %q
  lifecycle {
    action_trigger {
      events  = [after_create, after_update]
      actions = [action.openspecimen_job_run.x]
    }
  }
}

action "openspecimen_job_run" "x" {
  config {
%s
  }
}
`, release, body)
}

// expectRunArgs checks that every run of the job on the server has args.
func expectRunArgs(s *mockserver.Server, jobID int64, args string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, r := range s.Runs(jobID) {
			if r.RtArgs == nil || *r.RtArgs != args {
				return fmt.Errorf("run %d of job %d has args %v, want %q", r.ID, jobID, r.RtArgs, args)
			}
		}
		return nil
	}
}

// Each create or update of the resource runs the job once, with its args; a plan without
// changes runs nothing.
func TestAccJobRunAction_actionTrigger(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsActions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: actionTriggerConfig(s, "v1", `    job_id = 1
    args   = "--cp 12"`),
				Check: resource.ComposeAggregateTestCheckFunc(expectRuns(s, jobQuick, 1), expectRunArgs(s, jobQuick, "--cp 12")),
			},
			{
				Config: actionTriggerConfig(s, "v1", `    job_id = 1
    args   = "--cp 12"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check:            expectRuns(s, jobQuick, 1),
			},
			{
				Config: actionTriggerConfig(s, "v2", `    job_id = 1
    args   = "--cp 12"`),
				Check: resource.ComposeAggregateTestCheckFunc(expectRuns(s, jobQuick, 2), expectRunArgs(s, jobQuick, "--cp 12")),
			},
		},
	})
}

// A FAILED run fails the action with the run's message; ignore_failure reports it only.
func TestAccJobRunAction_failedRun(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsActions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      actionTriggerConfig(s, "v1", "    job_id = 2"),
				ExpectError: regexp.MustCompile(`(?s)Run \d+ of job 2 \(Broken job\) ended FAILED.*Query failed: timeout`),
			},
			{
				Config: actionTriggerConfig(s, "v2", "    job_id = 2\n    ignore_failure = true"),
				Check:  expectRuns(s, jobBroken, 2),
			},
		},
	})
}

// The job is checked as the resource checks it, before any trigger.
func TestAccJobRunAction_badJobs(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsActions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      actionTriggerConfig(s, "v1", "    job_id = 1\n    progress_interval = \"10ms\""),
				ExpectError: regexp.MustCompile(`Invalid progress_interval`),
			},
			{
				Config:      actionTriggerConfig(s, "v1", "    job_id = 1\n    timeouts {\n      invoke = \"0s\"\n    }"),
				ExpectError: regexp.MustCompile(`Invalid timeout`),
			},
			{Config: actionTriggerConfig(s, "v1", "    job_id = 3"), ExpectError: regexp.MustCompile(`Job (disabled|not active)`)},
			{Config: actionTriggerConfig(s, "v2", "    job_id = 99"), ExpectError: regexp.MustCompile(`Job not found`)},
		},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
		t.Errorf("%d triggers sent, want none", n)
	}
}

// if_running = "fail" names the run in progress and triggers nothing; wait_for_completion =
// false ends the action once its run is identified.
func TestAccJobRunAction_ifRunningAndNoWait(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	var running mockserver.Run
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsActions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				PreConfig: func() {
					var err error
					if running, err = s.StartRunAs("alice", jobSlow, ""); err != nil {
						t.Fatal(err)
					}
				},
				Config:      actionTriggerConfig(s, "v1", "    job_id = 4\n    if_running = \"fail\""),
				ExpectError: regexp.MustCompile(`(?s)Job already running.*alice`),
				Check:       expectRuns(s, jobSlow, 1),
			},
			{
				Config: actionTriggerConfig(s, "v2", "    job_id = 1\n    wait_for_completion = false"),
				Check:  expectRuns(s, jobQuick, 1),
			},
		},
	})
	if runs := s.Runs(jobSlow); len(runs) != 1 || runs[0].ID != running.ID {
		t.Errorf("job 4 has runs %+v, want only alice's run %d", runs, running.ID)
	}
}

// if_running = "adopt" takes this user's run in progress with the same args as the invoke's
// run: nothing is triggered.
func TestAccJobRunAction_ifRunningAdopt(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsActions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				if _, err := s.StartRunAs("admin", jobSlow, "--nightly"); err != nil {
					t.Fatalf("starting the crashed pipeline's run: %v", err)
				}
			},
			Config: actionTriggerConfig(s, "v1",
				"    job_id = 4\n    args = \"--nightly\"\n    if_running = \"adopt\"\n    wait_for_completion = false"),
			Check: expectRuns(s, jobSlow, 1),
		}},
	})
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
		t.Errorf("%d triggers sent, want none: the run in progress was adopted", n)
	}
}

// testClient is a client of s, logged in as admin.
func testClient(t *testing.T, s *mockserver.Server) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{URL: s.URL(), Username: "admin", Password: "Admin@123"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// invokeAction calls the action's Invoke in process against s, logged in as admin, with the
// attributes in attrs (the others null), and hands each progress message to progress.
func invokeAction(t *testing.T, s *mockserver.Server, attrs map[string]tftypes.Value, progress func(string)) diag.Diagnostics {
	t.Helper()
	ctx := t.Context()
	a := &jobRunAction{data: &providerData{client: testClient(t, s), location: time.UTC}}
	var sr action.SchemaResponse
	a.Schema(ctx, action.SchemaRequest{}, &sr)
	typ, ok := sr.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok {
		t.Fatalf("the action's schema is a %T, want an object", sr.Schema.Type().TerraformType(ctx))
	}
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
		if v, ok := attrs[name]; ok {
			vals[name] = v
		}
	}
	req := action.InvokeRequest{Config: tfsdk.Config{Schema: sr.Schema, Raw: tftypes.NewValue(typ, vals)}}
	resp := action.InvokeResponse{SendProgress: func(e action.InvokeProgressEvent) { progress(e.Message) }}
	a.Invoke(ctx, req, &resp)
	return resp.Diagnostics
}

// progressHistory is three finished runs of the slow job, of 10, 20 and 40 seconds.
func progressHistory(t *testing.T, now time.Time) []mockserver.RunConfig {
	t.Helper()
	var runs []mockserver.RunConfig
	for i, d := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		start := now.Add(time.Duration(i-10) * time.Hour)
		end := start.Add(d)
		runs = append(runs, mockserver.RunConfig{ID: int64(i + 1), JobID: jobSlow, StartedAt: &start, FinishedAt: &end, RunBy: "admin"})
	}
	return runs
}

// A person watching the invoke sees the job being started, its run's id, the run in
// progress against how long the job's runs usually take, and its end. The mock's clock
// stands still, so the run is IN_PROGRESS until the test has seen a report of it.
func TestJobRunAction_progress(t *testing.T) {
	now := time.Now()
	clock := mockserver.NewManualClock(now)
	cfg := testMockConfig()
	cfg.Clock = clock
	cfg.Runs = progressHistory(t, now)
	s := mocktest.New(t, cfg)

	messages := make(chan string, 100)
	done := make(chan diag.Diagnostics, 1)
	go func() {
		done <- invokeAction(t, s, map[string]tftypes.Value{
			"job_id":            tftypes.NewValue(tftypes.Number, jobSlow),
			"progress_interval": tftypes.NewValue(tftypes.String, "1s"),
		}, func(m string) { messages <- m })
	}()
	var seen []string
	for !strings.Contains(strings.Join(seen, "\n"), "IN_PROGRESS for") {
		seen = append(seen, mocktest.Within(t, "a progress report of the run in progress", messages))
	}
	clock.Advance(time.Hour)
	if diags := mocktest.Within(t, "the end of the invoke", done); diags.HasError() {
		t.Fatalf("the invoke failed: %v", diags)
	}
	close(messages)
	for m := range messages {
		seen = append(seen, m)
	}

	runID := s.Runs(jobSlow)[0].ID
	usual := "its runs usually take 20s (median of the last 3)"
	want := []string{
		"Starting a run of job 4 with no args.",
		fmt.Sprintf("Run %d of job 4 (Nightly export) started at %s by admin; %s.", runID, now.UTC().Format(time.RFC3339), usual),
		fmt.Sprintf("Run %d of job 4 (Nightly export): IN_PROGRESS for ", runID),
		fmt.Sprintf("Run %d of job 4 (Nightly export) SUCCEEDED after 20s.", runID),
	}
	if len(seen) < len(want) {
		t.Fatalf("progress messages:\n%s\nwant at least %d", strings.Join(seen, "\n"), len(want))
	}
	last := len(seen) - 1
	checks := []bool{seen[0] == want[0], seen[1] == want[1], strings.HasPrefix(seen[2], want[2]) && strings.HasSuffix(seen[2], usual+"."),
		seen[last] == want[3]}
	for i, ok := range checks {
		if !ok {
			t.Errorf("progress message %d does not match %q; all messages:\n%s", i, want[i], strings.Join(seen, "\n"))
		}
	}
	if n := len(s.Runs(jobSlow)); n != 4 {
		t.Errorf("job 4 has %d runs, want the 3 of its history and one more", n)
	}
}

// A wait cut short by the invoke timeout, or by an interrupt, fails the action naming the
// run, which goes on on the server. The contexts end before the wait starts.
func TestJobRunAction_waitCutShort(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	running, err := s.StartRunAs("admin", jobSlow, "")
	if err != nil {
		t.Fatal(err)
	}
	expired, cancel := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel()
	interrupted, interrupt := context.WithCancel(t.Context())
	interrupt()
	for ctx, want := range map[context.Context]string{
		expired:     fmt.Sprintf("Run %d of job 4 (Nightly export) did not finish within the invoke timeout of 1m0s.", running.ID),
		interrupted: fmt.Sprintf("Waiting for run %d of job 4 (Nightly export) was interrupted.", running.ID),
	} {
		var diags diag.Diagnostics
		inv := &jobRunInvocation{c: testClient(t, s), jobID: jobSlow, job: "4 (Nightly export)", timeout: time.Minute, diags: &diags}
		if run := inv.wait(ctx, &client.Run{ID: running.ID, Status: client.StatusInProgress}, time.Second); run != nil {
			t.Errorf("wait answered run %+v, want nil", run)
		}
		if len(diags) != 1 || !diags.HasError() || !strings.Contains(diags[0].Detail(), want) ||
			!strings.Contains(diags[0].Detail(), "The run goes on on the server") {
			t.Errorf("diagnostics %v, want one error saying %q", diags, want)
		}
	}
	if n := len(s.Runs(jobSlow)); n != 1 {
		t.Errorf("job 4 has %d runs, want 1", n)
	}
}

// startedText and ranFor read a run the server gave no start time without failing.
func TestJobRunAction_runWithoutStart(t *testing.T) {
	run := &client.Run{ID: 1, Status: client.StatusInProgress}
	if got := startedText(run); got != "an unknown time" {
		t.Errorf("startedText = %q", got)
	}
	if got := ranFor(run); got != 0 {
		t.Errorf("ranFor = %s, want 0", got)
	}
}

// watchedOutput collects a process's output and closes seen once it holds want.
type watchedOutput struct {
	mocktest.LockedBuffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *watchedOutput) Write(p []byte) (int, error) {
	n, err := w.LockedBuffer.Write(p)
	if strings.Contains(w.String(), w.want) {
		w.once.Do(func() { close(w.seen) })
	}
	return n, err
}

// terraform apply -invoke runs exactly one run and prints its progress. The mock's clock
// stands still, so the run is IN_PROGRESS until the CLI has printed a report of it.
func TestAccJobRunAction_invokeCLI(t *testing.T) {
	now := time.Now()
	clock := mockserver.NewManualClock(now)
	cfg := testMockConfig()
	cfg.Clock = clock
	cfg.Runs = progressHistory(t, now)
	s := mocktest.New(t, cfg)
	c := newCLITest(t, s, `
action "openspecimen_job_run" "export" {
  config {
    job_id            = 4
    progress_interval = "1s"
  }
}
`)
	requireTerraform114(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	invoke := c.command(ctx, "apply", "-invoke=action.openspecimen_job_run.export", "-auto-approve", "-input=false", "-no-color")
	out := &watchedOutput{want: "IN_PROGRESS for", seen: make(chan struct{})}
	invoke.Stdout, invoke.Stderr = out, out
	if err := invoke.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- invoke.Wait() }()
	select {
	case <-out.seen:
	case err := <-exited:
		t.Fatalf("the invoke ended (%v) before reporting its run in progress:\n%s", err, out.String())
	}
	clock.Advance(time.Hour)
	if err := mocktest.Within(t, "the end of the invoke", exited); err != nil {
		t.Fatalf("the invoke failed: %v\n%s", err, out.String())
	}
	runs := s.Runs(jobSlow)
	if len(runs) != 4 {
		t.Fatalf("job 4 has %d runs, want its history of 3 and one more:\n%s", len(runs), out.String())
	}
	for _, want := range []string{
		fmt.Sprintf("Run %d of job 4 (Nightly export) started at", runs[0].ID),
		"its runs usually take 20s (median of the last 3)",
		fmt.Sprintf("Run %d of job 4 (Nightly export): IN_PROGRESS for", runs[0].ID),
		fmt.Sprintf("Run %d of job 4 (Nightly export) SUCCEEDED after 20s.", runs[0].ID),
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the invoke did not print %q:\n%s", want, out.String())
		}
	}

}

// A FAILED run fails terraform apply -invoke with the run's message.
func TestAccJobRunAction_invokeCLIFailedRun(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	c := newCLITest(t, s, `
action "openspecimen_job_run" "broken" {
  config {
    job_id = 2
  }
}
`)
	requireTerraform114(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	failed, err := c.command(ctx, "apply", "-invoke=action.openspecimen_job_run.broken", "-auto-approve", "-input=false", "-no-color").CombinedOutput()
	if err == nil || !regexp.MustCompile(`(?s)Run \d+ of job 2 \(Broken job\) ended FAILED.*Query failed: timeout`).Match(failed) {
		t.Errorf("the invoke of the broken job should fail with the run's message (%v):\n%s", err, failed)
	}
	if n := len(s.Runs(jobBroken)); n != 1 {
		t.Errorf("job 2 has %d runs, want 1", n)
	}
}

// An invoke whose timeout ends while the trigger waits in the queue of a busy server fails,
// saying that the trigger may still be queued and how to find its run; nothing is triggered
// twice.
func TestJobRunAction_pendingTrigger(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	s := mocktest.New(t, busyMockConfig(clock))
	holdBusyPool(t, s)
	timeouts := tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"invoke": tftypes.String}},
		map[string]tftypes.Value{"invoke": tftypes.NewValue(tftypes.String, "1s")})
	diags := invokeAction(t, s, map[string]tftypes.Value{
		"job_id":   tftypes.NewValue(tftypes.Number, jobQuick),
		"args":     tftypes.NewValue(tftypes.String, "--cp 7"),
		"timeouts": timeouts,
	}, func(string) {})
	if len(diags) != 1 || !diags.HasError() || diags[0].Summary() != "Job run not identified" {
		t.Fatalf("diagnostics %v, want one error", diags)
	}
	for _, want := range []string{"Job 1 (Specimen export) was triggered at", `by admin with args "--cp 7"`,
		"the invoke timeout of 1s ended first", "its run will be the first of job 1 by admin with args \"--cp 7\" after run 0",
		"The trigger may still be queued", "openspecimen_job_runs data source (job_id = 1)", "Jobs view"} {
		if !strings.Contains(diags[0].Detail(), want) {
			t.Errorf("the error does not say %q: %s", want, diags[0].Detail())
		}
	}
	if q := queuedOf(s, jobQuick); fmt.Sprint(q) != "[admin]" || s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs") != 1 {
		t.Fatalf("queued %v, %d triggers: want the one trigger queued", q, s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"))
	}
}

// The action takes "" for unset as every type does: args, if_running, progress_interval and
// timeouts.invoke from variables whose default is "" run the job once, without args, with the
// defaults; its configuration validates.
func TestJobRunAction_emptyStrings(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	empty := tftypes.NewValue(tftypes.String, "")
	timeouts := tftypes.NewValue(tftypes.Object{AttributeTypes: map[string]tftypes.Type{"invoke": tftypes.String}},
		map[string]tftypes.Value{"invoke": empty})
	d := invokeAction(t, s, map[string]tftypes.Value{"job_id": tftypes.NewValue(tftypes.Number, jobQuick), "args": empty,
		"if_running": empty, "progress_interval": empty, "timeouts": timeouts}, func(string) {})
	if d.HasError() {
		t.Fatalf("invoke with empty strings: %v", d)
	}
	if runs := s.Runs(jobQuick); len(runs) != 1 || runs[0].RtArgs != nil && *runs[0].RtArgs != "" {
		t.Fatalf("runs %+v, want one without args", runs)
	}
}
