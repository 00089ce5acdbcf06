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
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const jobRunAddr = "openspecimen_job_run.x"

func jobRunConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
resource "openspecimen_job_run" "x" {
%s
}
`, body)
}

// expectRuns checks, on the server's side, how many runs a job has: the one promise a state
// check cannot prove is that nothing was triggered twice.
func expectRuns(s *mockserver.Server, jobID int64, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := len(s.Runs(jobID)); got != want {
			return fmt.Errorf("job %d has %d runs on the server, want %d", jobID, got, want)
		}
		return nil
	}
}

func at(name string) tfjsonpath.Path { return tfjsonpath.New(name) }

func TestAccJobRun_createAndWait(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	cfg := jobRunConfig(s, `  job_id = 1`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
					statecheck.ExpectKnownValue(jobRunAddr, at("job_name"), knownvalue.StringExact("Specimen export")),
					statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
					statecheck.ExpectKnownValue(jobRunAddr, at("run_id"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(jobRunAddr, at("started_at"), knownvalue.StringRegexp(regexp.MustCompile(`Z$`))),
					statecheck.ExpectKnownValue(jobRunAddr, at("finished_at"), knownvalue.StringRegexp(regexp.MustCompile(`Z$`))),
					statecheck.ExpectKnownValue(jobRunAddr, at("message"), knownvalue.Null()),
					statecheck.ExpectKnownValue(jobRunAddr, at("result_file_available"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(jobRunAddr, at("wait_for_completion"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(jobRunAddr, at("if_running"), knownvalue.StringExact("wait")),
				},
				Check: resource.ComposeAggregateTestCheckFunc(
					expectRuns(s, jobQuick, 1),
					resource.TestCheckResourceAttrPair(jobRunAddr, "id", jobRunAddr, "run_id"),
					func(*terraform.State) error {
						if n := s.RequestCount("GET", "/scheduled-jobs/{jobId}"); n != 1 {
							return fmt.Errorf("the job was read %d times, want once: by the start of its run", n)
						}
						return nil
					},
				),
			},
			{
				// A second apply of the same configuration must not run the job again.
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()},
				},
				Check: expectRuns(s, jobQuick, 1),
			},
		},
	})
}

func TestAccJobRun_triggersChangeRunsAgain(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	runID := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:            jobRunConfig(s, "  job_id = 1\n  triggers = { release = \"v1\" }"),
				ConfigStateChecks: []statecheck.StateCheck{runID.AddStateValue(jobRunAddr, at("run_id"))},
				Check:             expectRuns(s, jobQuick, 1),
			},
			{
				// Steering arguments change in place, without a new run.
				Config: jobRunConfig(s, "  job_id = 1\n  triggers = { release = \"v1\" }\n  ignore_failure = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionUpdate)},
				},
				Check: expectRuns(s, jobQuick, 1),
			},
			{
				Config: jobRunConfig(s, "  job_id = 1\n  triggers = { release = \"v2\" }\n  ignore_failure = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					runID.AddStateValue(jobRunAddr, at("run_id")),
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
				},
				Check: expectRuns(s, jobQuick, 2),
			},
		},
	})
}

func TestAccJobRun_argsReachTheRun(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1\n  args = \"--cp 12\""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("args"), knownvalue.StringExact("--cp 12")),
			},
			Check: func(*terraform.State) error {
				runs := s.Runs(jobQuick)
				if len(runs) != 1 || runs[0].RtArgs == nil || *runs[0].RtArgs != "--cp 12" {
					return fmt.Errorf("the server's runs of job 1 are %+v, want one with rtArgs \"--cp 12\"", runs)
				}
				return nil
			},
		}},
	})
}

func TestAccJobRun_failedRunFailsApplyAndTaints(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      jobRunConfig(s, "  job_id = 2"),
				ExpectError: errRe(`(?s)Job run failed.*Run \d+ of job 2 ended FAILED: Query failed: timeout`),
			},
			{
				// The failed run was recorded and tainted: the next apply replaces it rather
				// than creating a first one, and ignore_failure lets it pass.
				Config: jobRunConfig(s, "  job_id = 2\n  ignore_failure = true"),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionReplace)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("FAILED")),
					statecheck.ExpectKnownValue(jobRunAddr, at("message"), knownvalue.StringExact("Query failed: timeout")),
					statecheck.ExpectKnownValue(jobRunAddr, at("result_file_available"), knownvalue.Bool(false)),
				},
				Check: expectRuns(s, jobBroken, 2),
			},
		},
	})
}

func TestAccJobRun_ignoreFailure(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 2\n  ignore_failure = true"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("FAILED")),
				statecheck.ExpectKnownValue(jobRunAddr, at("message"), knownvalue.StringExact("Query failed: timeout")),
			},
			Check: expectRuns(s, jobBroken, 1),
		}},
	})
}

func TestAccJobRun_noWait(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 4\n  wait_for_completion = false"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("IN_PROGRESS")),
				statecheck.ExpectKnownValue(jobRunAddr, at("finished_at"), knownvalue.Null()),
				statecheck.ExpectKnownValue(jobRunAddr, at("run_id"), knownvalue.NotNull()),
			},
			Check: expectRuns(s, jobSlow, 1),
		}},
	})
}

func TestAccJobRun_ifRunningFail(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				if _, err := s.StartRunAs("alice", jobSlow, "nightly"); err != nil {
					t.Fatalf("starting alice's run: %v", err)
				}
			},
			Config:      jobRunConfig(s, "  job_id = 4\n  if_running = \"fail\""),
			ExpectError: errRe(`(?s)Job already running.*already has run \d+ in progress \(started at \S+ by alice\), and if_running = "fail"`),
		}},
	})
	// A failed step's Check never runs: the server's side is checked once the test is over.
	if err := expectRuns(s, jobSlow, 1)(nil); err != nil {
		t.Error(err)
	}
}

func TestAccJobRun_ifRunningWait(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	var alicesRun mockserver.Run
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				var err error
				if alicesRun, err = s.StartRunAs("alice", jobQuick, "--cp 1"); err != nil {
					t.Fatalf("starting alice's run: %v", err)
				}
			},
			Config: jobRunConfig(s, "  job_id = 1\n  args = \"--cp 1\""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
				statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				expectRuns(s, jobQuick, 2),
				func(st *terraform.State) error {
					got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]
					if got == strconv.FormatInt(alicesRun.ID, 10) {
						return fmt.Errorf("the resource recorded alice's run %s as its own", got)
					}
					return nil
				},
			),
		}},
	})
}

// runReadPath matches the path of one run, as the mock's request hook sees it.
var runReadPath = regexp.MustCompile(`^/scheduled-jobs/\d+/runs/\d+$`)

// A wait cut short by timeouts.create leaves the run in state, not tainted: the next plan
// waits for it in place, and no second run is triggered. The mock's clock stands still, so
// the run is IN_PROGRESS until the test moves the clock.
func TestAccJobRun_timedOutWaitGoesOnInPlace(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := testMockConfig()
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	var runReads, finishAtRead atomic.Int64
	s.SetRequestHook(func(method, p string) {
		if method == "GET" && runReadPath.MatchString(p) && runReads.Add(1) == finishAtRead.Load() {
			clock.Advance(time.Hour)
		}
	})
	hcl := jobRunConfig(s, "  job_id = 4\n  timeouts {\n    create = \"1s\"\n    update = \"5m\"\n  }")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:             hcl,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("IN_PROGRESS")),
				},
				Check: expectRuns(s, jobSlow, 1),
			},
			{
				// The refresh of the plan reads the run in progress; the update's first read
				// finds it finished.
				PreConfig: func() { finishAtRead.Store(runReads.Load() + 2) },
				Config:    hcl,
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
					statecheck.ExpectKnownValue(jobRunAddr, at("finished_at"), knownvalue.NotNull()),
				},
				Check: expectRuns(s, jobSlow, 1),
			},
		},
	})
}

// A run found FAILED on refresh is run again (a replacement) when the configuration waits
// for its runs; with ignore_failure it is kept. The mock's clock stands still between steps.
func TestAccJobRun_failedOnRefreshIsReplaced(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := testMockConfig()
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	const timeout = "\n  timeouts {\n    create = \"1s\"\n  }"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: jobRunConfig(s, "  job_id = 2\n  wait_for_completion = false"), Check: expectRuns(s, jobBroken, 1)},
			{
				PreConfig:          func() { clock.Advance(time.Hour) },
				Config:             jobRunConfig(s, "  job_id = 2"+timeout),
				ExpectNonEmptyPlan: true, // the new run is still in progress
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionReplace)},
				},
				Check: expectRuns(s, jobBroken, 2),
			},
			{
				PreConfig: func() { clock.Advance(time.Hour) },
				Config:    jobRunConfig(s, "  job_id = 2\n  ignore_failure = true"+timeout),
				ConfigPlanChecks: resource.ConfigPlanChecks{
					PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(jobRunAddr, plancheck.ResourceActionUpdate)},
				},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("FAILED")),
				},
				Check: expectRuns(s, jobBroken, 2),
			},
		},
	})
}

func TestAccJobRun_timeoutsMustBePositive(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      jobRunConfig(s, "  job_id = 1\n  timeouts {\n    create = \"0s\"\n  }"),
				PlanOnly:    true,
				ExpectError: errRe(`(?s)Invalid timeout.*timeouts.create is 0s: it must be longer than zero`),
			},
			{
				Config:      jobRunConfig(s, "  job_id = 1\n  timeouts {\n    update = \"-1m\"\n  }"),
				PlanOnly:    true,
				ExpectError: errRe(`(?s)Invalid timeout.*timeouts.update is -1m0s`),
			},
		},
	})
	if err := expectRuns(s, jobQuick, 0)(nil); err != nil {
		t.Error(err)
	}
}

// if_running = "adopt" takes the run in progress of the same user with the same args.
func TestAccJobRun_ifRunningAdopt(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	var running mockserver.Run
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				var err error
				if running, err = s.StartRunAs("admin", jobSlow, "--nightly"); err != nil {
					t.Fatalf("starting the crashed pipeline's run: %v", err)
				}
			},
			Config: jobRunConfig(s, "  job_id = 4\n  args = \"--nightly\"\n  if_running = \"adopt\"\n  wait_for_completion = false"),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectRuns(s, jobSlow, 1),
				func(st *terraform.State) error {
					if got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]; got != strconv.FormatInt(running.ID, 10) {
						return fmt.Errorf("recorded run %s, want the adopted run %d", got, running.ID)
					}
					return nil
				},
			),
		}},
	})
}

// With an API token the provider knows its user (GET /users/current-user): another user's
// run with the same args that wins the race is never recorded as its own.
func TestAccJobRun_tokenNeverTakesAnotherUsersRun(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	token := mocktest.Login(t, s, "admin", "Admin@123")
	var once sync.Once
	var alices mockserver.Run
	s.SetTriggerHook(func(jobID int64, login string) {
		once.Do(func() {
			var err error
			if alices, err = s.StartRunAs("alice", jobID, "--cp 7"); err != nil {
				t.Errorf("alice's run: %v", err)
			}
		})
	})
	hcl := fmt.Sprintf(`
provider "openspecimen" {
  url   = %q
  token = %q
}

resource "openspecimen_job_run" "x" {
  job_id = 1
  args   = "--cp 7"
}
`, s.URL(), token)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: hcl,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				expectRuns(s, jobQuick, 2),
				func(st *terraform.State) error {
					if got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]; got == strconv.FormatInt(alices.ID, 10) {
						return fmt.Errorf("recorded alice's run %s as its own", got)
					}
					return nil
				},
			),
		}},
	})
}

func TestAccJobRun_import(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	cfg := jobRunConfig(s, "  job_id = 1\n  args = \"a b\"")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Config:            cfg,
				ResourceName:      jobRunAddr,
				ImportState:       true,
				ImportStateVerify: true,
				// An import knows the run, not when this provider triggered it.
				ImportStateVerifyIgnore: []string{"triggered_at"},
				ImportStateIdFunc: func(st *terraform.State) (string, error) {
					return "1/" + st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"], nil
				},
			},
			{
				Config:        cfg,
				ResourceName:  jobRunAddr,
				ImportState:   true,
				ImportStateId: "1/987654",
				ExpectError:   errRe(`Run 987654 of job 1 does not exist`),
			},
			{
				Config:        cfg,
				ResourceName:  jobRunAddr,
				ImportState:   true,
				ImportStateId: "42",
				ExpectError:   errRe(`not JOB_ID/RUN_ID`),
			},
		},
	})
}

func TestAccJobRun_importRunOfAnotherJob(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	cfg := jobRunConfig(s, "  job_id = 1")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				// The server finds runs by run id alone; the provider must check the job.
				Config:       cfg,
				ResourceName: jobRunAddr,
				ImportState:  true,
				ImportStateIdFunc: func(st *terraform.State) (string, error) {
					return "2/" + st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"], nil
				},
				// The client learns the run's job from the answer: the error names it.
				ExpectError: errRe(`(?s)Run \d+ of job 2 does not exist.*belongs to job 1, not to job 2.*JOB_ID/RUN_ID`),
			},
		},
	})
}

func TestAccJobRun_badJobs(t *testing.T) {
	cfg := testMockConfig()
	cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 30, Name: "Orphan export", SavedQueryDeleted: true})
	s := mocktest.New(t, cfg)
	// The subtests are parallel: they run after this function returns, before its cleanups.
	t.Cleanup(func() {
		if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
			t.Errorf("%d triggers were sent to missing or inactive jobs, want none", n)
		}
	})
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"unknown job":  {"  job_id = 999", `Scheduled job 999 does not exist`},
		"huge job id":  {"  job_id = 9223372036854775807", `Scheduled job 9223372036854775807 does not exist`},
		"disabled job": {"  job_id = 3", `(?s)Job not active.*Scheduled job 3 \(Retired export\) cannot run: it is\s+Disabled.*Make it active in OpenSpecimen`},
		// Deleting its saved query deleted the job too (Disabled and renamed), as on the server.
		"saved query deleted": {"  job_id = 30", `(?s)Job deleted.*Scheduled job 30 \(Orphan export_\d+\) cannot run: it was deleted in OpenSpecimen \(disabled and renamed "Orphan export_\d+"\).*Set job_id to a job that exists`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      jobRunConfig(s, tc.body),
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}

func TestAccJobRun_planTimeValidation(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	t.Cleanup(func() { // after the parallel subtests
		if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
			t.Errorf("invalid configurations sent %d triggers", n)
		}
	})
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"zero job id":        {"  job_id = 0", `job_id value must be at least 1`},
		"negative job id":    {"  job_id = -7", `job_id value must be at least 1`},
		"unknown if_running": {"  job_id = 1\n  if_running = \"maybe\"", `if_running value must be one of`},
		"newline in args":    {"  job_id = 1\n  args = \"a\\nb\"", `args contains the control character`},
		"huge args":          {fmt.Sprintf("  job_id = 1\n  args = %q", strings.Repeat("a", 10000)), `string length must be at most 4000`},
		"bad timeout":        {"  job_id = 1\n  timeouts {\n    create = \"forever\"\n  }", `"forever" must be a string containing a sequence of decimal numbers`},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      jobRunConfig(s, tc.body),
					PlanOnly:    true,
					ExpectError: errRe(tc.want),
				}},
			})
		})
	}
}

func TestAccJobRun_wrongPassword(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlockAs(s.URL(), "admin", "wrong") + `
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`,
			ExpectError: errRe(`(?s)Cannot log in to OpenSpecimen.*Login refused for user "admin"`),
		}},
	})
}

func TestAccJobRun_tokenFromEnvironment(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	t.Setenv(envURL, s.URL())
	t.Setenv(envToken, mocktest.Login(t, s, "admin", "Admin@123"))
	t.Setenv(envUsername, "")
	t.Setenv(envPassword, "")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
provider "openspecimen" {}
resource "openspecimen_job_run" "x" {
  job_id = 1
  args   = "from-env"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
				statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
			},
			Check: expectRuns(s, jobQuick, 1),
		}},
	})
}

// Fault tests: the mock injects a fault, the apply must still record exactly one run per
// resource, and the server must show no run twice. None of them asserts on wall-clock time.

// reliabilityMockConfig has short jobs 1..n (Duration d) besides testMockConfig's users.
func reliabilityMockConfig(n int, d time.Duration) mockserver.Config {
	cfg := testMockConfig()
	cfg.Jobs = nil
	for i := 1; i <= n; i++ {
		cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: int64(i), Name: fmt.Sprintf("Export %d", i), Duration: mockserver.Duration(d),
			Result: &mockserver.ResultConfig{Filename: "out.csv", Content: "run,${run_id}\n"}})
	}
	return cfg
}

// expectOwnRuns checks that every listed resource recorded a run that the server has, of
// its job, by admin, that no run is recorded twice, and that each job has exactly one run
// per resource pointing at it.
func expectOwnRuns(s *mockserver.Server, addrs map[string]int64) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		seen := map[string]string{}
		perJob := map[int64]int{}
		for addr, job := range addrs {
			rs := st.RootModule().Resources[addr]
			if rs == nil {
				return fmt.Errorf("%s is not in state", addr)
			}
			id := rs.Primary.Attributes["run_id"]
			if other, dup := seen[id]; dup {
				return fmt.Errorf("run %s is recorded by both %s and %s", id, other, addr)
			}
			seen[id] = addr
			perJob[job]++
			found := false
			for _, r := range s.Runs(job) {
				if strconv.FormatInt(r.ID, 10) == id {
					found = true
					if r.RunBy != "admin" {
						return fmt.Errorf("%s recorded run %s of %s, not its own", addr, id, r.RunBy)
					}
				}
			}
			if !found {
				return fmt.Errorf("%s recorded run %s, which job %d does not have on the server", addr, id, job)
			}
			if got := rs.Primary.Attributes["status"]; got != "SUCCEEDED" {
				return fmt.Errorf("%s: status %s", addr, got)
			}
		}
		for job, want := range perJob {
			if got := len(s.Runs(job)); got != want {
				return fmt.Errorf("job %d has %d runs on the server, want %d", job, got, want)
			}
		}
		return nil
	}
}

// A 503 on 30% of all requests, logins and triggers included. A trigger answered 503 is
// ambiguous: the client looks for the run it may have created before triggering again.
func TestAccReliability_errorRate(t *testing.T) {
	cfg := reliabilityMockConfig(3, 200*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{ErrorRate: 0.3, Seed: 7}
	s := mocktest.New(t, cfg)
	var b strings.Builder
	// Ten retries: a read fails for good once in 0.3^11 (the default four: once in 400), and
	// the faults' order depends on the requests' interleaving, so the seed alone cannot fix it.
	fmt.Fprintf(&b, `
provider "openspecimen" {
  url         = %q
  username    = "admin"
  password    = "Admin@123"
  max_retries = 10
}
`, s.URL())
	addrs := map[string]int64{}
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, "resource \"openspecimen_job_run\" \"r%d\" {\n  job_id = %d\n}\n", i, i)
		addrs[fmt.Sprintf("openspecimen_job_run.r%d", i)] = int64(i)
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check:  expectOwnRuns(s, addrs),
		}},
	})
}

// Every trigger is carried out but its answer is lost: one run, recorded, never two.
func TestAccReliability_droppedTriggerAnswers(t *testing.T) {
	cfg := reliabilityMockConfig(1, 200*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{DropResponseRate: 1, Seed: 1}
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1\n  args = \"lost answer\""),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
						return fmt.Errorf("%d triggers reached the server, want 1", n)
					}
					return nil
				},
			),
		}},
	})
}

// The session ends in the middle of the wait (as the server's idle timeout ends it): the
// wait goes on after one new login. The mock's clock stands still, so the run is in
// progress until the test moves it: the first read of the run meets the expiry, and the
// run ends at the third, after the new login.
func TestAccReliability_sessionExpiresMidWait(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := reliabilityMockConfig(1, 3*time.Second)
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	var reads, expired atomic.Int64
	s.SetRequestHook(func(method, p string) {
		if method != "GET" || !runReadPath.MatchString(p) {
			return
		}
		switch reads.Add(1) {
		case 1:
			expired.Store(int64(s.ExpireTokens()))
		case 3:
			clock.Advance(time.Hour)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1"),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					// A CLI command logs in once, when a call first needs the server: not the plan
					// of a run to create, which needs none; the apply, whose session ends.
					if n := expired.Load(); n != 1 {
						return fmt.Errorf("%d sessions were ended, want the apply's", n)
					}
					if n := s.LoginCount(); n != 2 {
						return fmt.Errorf("%d logins, want 2 (the apply's, then one after the expiry)", n)
					}
					return nil
				},
			),
		}},
	})
}

// serverOutage is how long the server stays unreachable in TestAccReliability_serverUnreachableMidWait:
// an outage's length, not a wait for an event; the run cannot end before the server is back.
const serverOutage = 2 * time.Second

// The server is unreachable for a few seconds in the middle of the wait (listener and
// connections closed, then the same port again with the same state): the wait resumes. The
// first read of the run stops the server; the run ends at the first read after the restart.
func TestAccReliability_serverUnreachableMidWait(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := reliabilityMockConfig(1, 4*time.Second)
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	var reads atomic.Int64
	var restarted atomic.Bool
	restartErr := make(chan error, 1)
	s.SetRequestHook(func(method, p string) {
		if method != "GET" || !runReadPath.MatchString(p) {
			return
		}
		switch {
		case reads.Add(1) == 1:
			go func() {
				s.Stop()
				time.AfterFunc(serverOutage, func() {
					err := s.Restart()
					restarted.Store(err == nil)
					restartErr <- err
				})
			}()
		case restarted.Load():
			clock.Advance(time.Hour)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1"),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
				func(*terraform.State) error {
					select {
					case err := <-restartErr:
						return err
					default:
						return fmt.Errorf("the apply ended before the server came back")
					}
				},
			),
		}},
	})
}

// 200 ms on every answer: a run, the run list and the result file, with default timeouts.
func TestAccReliability_latency(t *testing.T) {
	cfg := reliabilityMockConfig(1, 300*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{Latency: mockserver.Duration(200 * time.Millisecond)}
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1") + `
data "openspecimen_job_runs" "all" {
  job_id     = openspecimen_job_run.x.job_id
  depends_on = [openspecimen_job_run.x]
}
data "openspecimen_job_run_result_file" "f" {
  job_id = openspecimen_job_run.x.job_id
  run_id = openspecimen_job_run.x.run_id
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.openspecimen_job_runs.all", at("runs"), knownvalue.ListSizeExact(1)),
				statecheck.ExpectKnownValue("data.openspecimen_job_run_result_file.f", at("content"), knownvalue.NotNull()),
			},
			Check: expectOwnRuns(s, map[string]int64{jobRunAddr: 1}),
		}},
	})
}

// Another user's run starts right after ours noted the newest run, just before our trigger
// reaches the server, which then drops our trigger: we wait for that run, trigger again and
// record our own run, never theirs.
func TestAccReliability_foreignRunWinsTheRace(t *testing.T) {
	s := mocktest.New(t, reliabilityMockConfig(1, 500*time.Millisecond))
	var mu sync.Mutex
	var alices []mockserver.Run
	s.SetTriggerHook(func(jobID int64, login string) {
		mu.Lock()
		defer mu.Unlock()
		if login != "admin" || len(alices) > 0 {
			return
		}
		r, err := s.StartRunAs("alice", jobID, "")
		if err != nil {
			t.Errorf("starting alice's run: %v", err)
			return
		}
		alices = append(alices, r)
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1\n  if_running = \"wait\""),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
			},
			Check: func(st *terraform.State) error {
				mu.Lock()
				defer mu.Unlock()
				if len(alices) != 1 {
					return fmt.Errorf("alice's run was not started by the hook")
				}
				got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]
				ours, _ := strconv.ParseInt(got, 10, 64)
				if ours <= alices[0].ID {
					return fmt.Errorf("recorded run %d, not a run after alice's %d", ours, alices[0].ID)
				}
				if n := len(s.Runs(1)); n != 2 {
					return fmt.Errorf("job 1 has %d runs, want alice's and ours", n)
				}
				return nil
			},
		}},
	})
}

// One apply of 100 runs over 20 jobs, 20 at a time, each answer 20 ms late: one login in
// all, every run recorded once, no run claimed by two resources. Not parallel: it sets
// TF_CLI_ARGS_apply for its CLI runs.
func TestAccReliability_load(t *testing.T) {
	const jobs, perJob = 20, 5
	cfg := reliabilityMockConfig(jobs, 100*time.Millisecond)
	cfg.Faults = mockserver.FaultConfig{Latency: mockserver.Duration(20 * time.Millisecond)}
	s := mocktest.New(t, cfg)
	t.Setenv("TF_CLI_ARGS_apply", "-parallelism=20")
	var b strings.Builder
	b.WriteString(providerBlock(s))
	addrs := map[string]int64{}
	for j := 1; j <= jobs; j++ {
		for k := 1; k <= perJob; k++ {
			// Distinct args: two runs of one job by one user with the same args cannot be
			// told apart (DESIGN.md).
			fmt.Fprintf(&b, "resource \"openspecimen_job_run\" \"j%d_%d\" {\n  job_id = %d\n  args   = \"part-%d\"\n}\n", j, k, j, k)
			addrs[fmt.Sprintf("openspecimen_job_run.j%d_%d", j, k)] = int64(j)
		}
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, addrs),
				func(*terraform.State) error {
					total := 0
					for j := int64(1); j <= jobs; j++ {
						total += len(s.Runs(j))
					}
					if total != jobs*perJob {
						return fmt.Errorf("%d runs on the server, want %d", total, jobs*perJob)
					}
					// One login per CLI command that needs the server, whatever the number of
					// resources: the apply's (the plan of runs to create needs none).
					if n := s.LoginCount(); n != 1 {
						return fmt.Errorf("%d logins, want one for the whole apply", n)
					}
					return nil
				},
			),
		}},
	})
}

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
	c.configureRaw(providerBlock(s) + body)
}

// configureRaw writes main.tf: the provider's source, then config (the provider block and
// the rest).
func (c *cliTest) configureRaw(config string) {
	writeFile(c.t, filepath.Join(c.dir, "main.tf"), `terraform {
  required_providers {
    openspecimen = {
      source = "openspecimen-iac/openspecimen"
    }
  }
}
`+config)
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
	Address  string         `json:"address"`
	Tainted  bool           `json:"tainted"`
	Values   map[string]any `json:"values"`
	Identity map[string]any `json:"identity"` // Terraform 1.12 and later
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

// checkOneRunOrNone holds the promise of an apply cut short: no run on the server and none
// in state; or exactly one run and that run in state; or a trigger in state whose run is not
// identified yet (run_id null), with at most one run on the server, which the next apply
// identifies. Nothing is tainted. It answers the number of runs.
func (c *cliTest) checkOneRunOrNone(ctx context.Context, s *mockserver.Server, jobID int64, said string) int {
	c.t.Helper()
	runs, res := s.Runs(jobID), c.state(ctx)
	pending := len(res) == 1 && res[0].Address == jobRunAddr && res[0].Values["run_id"] == nil
	switch {
	case len(runs) > 1:
		c.t.Fatalf("the server has %d runs of job %d, want at most 1; the CLI said:\n%s", len(runs), jobID, said)
	case len(res) == 1 && res[0].Tainted:
		c.t.Fatalf("the resource is tainted in state: the next apply would run the job again; the CLI said:\n%s", said)
	case pending && res[0].Values["triggered_at"] == nil:
		c.t.Fatalf("state holds no run and no trigger: %+v", res)
	case pending:
	case len(runs) == 0 && len(res) != 0:
		c.t.Fatalf("no run on the server, but state holds %+v", res)
	case len(runs) == 1 && (len(res) != 1 || res[0].Address != jobRunAddr):
		c.t.Fatalf("run %d is on the server but state holds %+v: orphaned; the CLI said:\n%s", runs[0].ID, res, said)
	case len(runs) == 1 && fmt.Sprint(res[0].Values["run_id"]) != strconv.FormatInt(runs[0].ID, 10):
		c.t.Fatalf("state records run %v, the server has run %d", res[0].Values["run_id"], runs[0].ID)
	}
	return len(runs)
}

// checkNextApply applies again, undisturbed: it adds a run only when there was none (the
// job of these tests succeeds), and the state then records the server's one run. A run
// left in progress by a short create timeout, or a trigger whose run was not identified, is
// identified and waited for in place by one more apply.
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
	s := mocktest.New(t, testMockConfig())
	c := newCLITest(t, s, "\nresource \"openspecimen_job_run\" \"x\" {\n  job_id = 4\n}\n")
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	started := make(chan struct{}, 1)
	s.SetRunStartHook(func(mockserver.Run) { started <- struct{}{} })

	apply := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	var out mocktest.LockedBuffer
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
				s := mocktest.New(t, sweepMockConfig(latency))
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
	var out mocktest.LockedBuffer
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
				s := mocktest.New(t, sweepMockConfig(latency))
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

// queueMockConfig is a server of line with one pool thread, on clock: job 1 (30 s) is shared
// with bob; job 2 (a minute) is the blocker that holds the thread.
func queueMockConfig(line string, clock *mockserver.ManualClock) mockserver.Config {
	return mockserver.Config{
		Line:     line,
		PoolSize: 1,
		Clock:    clock,
		Users: []mockserver.UserConfig{
			{LoginName: "admin", Password: "Admin@123", Admin: true},
			{LoginName: "bob", Password: "Bob@1234"},
		},
		Jobs: []mockserver.JobConfig{
			{ID: 1, Name: "Specimen export", Duration: mockserver.Duration(30 * time.Second), SharedWith: []string{"bob"}},
			{ID: 2, Name: "Blocker", Duration: mockserver.Duration(time.Minute)},
		},
	}
}

// Our trigger waits in the queue (the only pool thread is held by job 2's run), and bob's
// trigger of the same job replaces it there: ours never becomes a run. The resource still
// ends with exactly one run of its own, beside bob's, on both server lines. The clock moves
// only after the replacement, a minute at each read of job 1's runs: the blocker ends, bob's
// run starts and ends, then ours.
// expectOursAndBobs checks that job 1 has two runs: the one in state, admin's, and bob's.
func expectOursAndBobs(s *mockserver.Server, st *terraform.State) error {
	got := st.RootModule().Resources[jobRunAddr].Primary.Attributes["run_id"]
	byUser := map[string][]string{}
	for _, r := range s.Runs(1) {
		byUser[r.RunBy] = append(byUser[r.RunBy], strconv.FormatInt(r.ID, 10))
	}
	if fmt.Sprint(byUser["admin"]) != "["+got+"]" || len(byUser["bob"]) != 1 {
		return fmt.Errorf("job 1 has runs %v (by user), want exactly ours (%s) and bob's", byUser, got)
	}
	return nil
}

func TestAccJobRun_queuedTriggerReplacedByAnotherUsers(t *testing.T) {
	onEachLine(t, func(t *testing.T, line string) {
		clock := mockserver.NewManualClock(time.Now())
		s := mocktest.New(t, queueMockConfig(line, clock))
		if err := s.TriggerAs("admin", 2, ""); err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex // guards posted, replaced and drops
		var posted, replaced bool
		var drops []string
		s.SetTriggerHook(func(jobID int64, login string) {
			mu.Lock()
			defer mu.Unlock()
			posted = posted || (jobID == 1 && login == "admin")
		})
		s.SetTriggerDropHook(func(jobID int64, login, reason string) {
			mu.Lock()
			defer mu.Unlock()
			drops = append(drops, fmt.Sprintf("%d:%s:%s", jobID, login, reason))
		})
		s.SetRequestHook(func(method, p string) {
			if method != "GET" || !strings.HasPrefix(p, "/scheduled-jobs/1/runs") {
				return
			}
			mu.Lock()
			replace, advance := posted && !replaced, replaced
			replaced = replaced || replace
			mu.Unlock()
			switch {
			case replace: // our trigger is queued: its answer came before this read
				if err := s.TriggerAs("bob", 1, "bob's"); err != nil {
					t.Errorf("bob's trigger: %v", err)
				}
			case advance:
				clock.Advance(time.Minute)
			}
		})
		resource.ParallelTest(t, resource.TestCase{
			ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
			Steps: []resource.TestStep{{
				Config: jobRunConfig(s, "  job_id = 1\n  args = \"ours\""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(jobRunAddr, at("run_by"), knownvalue.StringExact("admin")),
					statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
				},
				Check: func(st *terraform.State) error {
					mu.Lock()
					defer mu.Unlock()
					if !replaced || len(drops) == 0 || drops[0] != "1:admin:replaced" {
						return fmt.Errorf("our queued trigger was not replaced by bob's: drops %v", drops)
					}
					return expectOursAndBobs(s, st)
				},
			}},
		})
	})
}

// The busy server of issue 23: OpenSpecimen's pool of 5 threads, held by five hour-long runs
// of jobs 11 to 15, on a manual clock that moves only when a test says. Job 1 is the export
// (300 ms) that a resource runs meanwhile: its trigger waits in the queue, with no run,
// until a thread frees.
func busyMockConfig(clock *mockserver.ManualClock) mockserver.Config {
	cfg := testMockConfig()
	cfg.Clock = clock
	for id := int64(11); id <= 15; id++ {
		cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: id, Name: fmt.Sprintf("Long export %d", id), Duration: mockserver.Duration(time.Hour),
			SharedWith: []string{"alice"}})
	}
	return cfg
}

// holdBusyPool starts the five long runs, which take the pool's five threads.
func holdBusyPool(t *testing.T, s *mockserver.Server) {
	t.Helper()
	for id := int64(11); id <= 15; id++ {
		if err := s.TriggerAs("alice", id, ""); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.BusyThreads(); n != 5 {
		t.Fatalf("%d busy threads, want the pool's 5", n)
	}
}

// queuedOf answers the login names of the triggers of job queued on s.
func queuedOf(s *mockserver.Server, jobID int64) []string {
	var out []string
	for _, q := range s.QueuedTriggers() {
		if q.JobID == jobID {
			out = append(out, q.LoginName)
		}
	}
	return out
}

// A run of a job while five long runs hold the pool, with the default create timeout: the
// trigger waits in the queue, and the resource waits for its run, which starts once the
// pool frees, instead of giving up or triggering again: one run, in state, SUCCEEDED. The
// clock moves an hour (the long runs end) at the third look for the run, the trigger still
// queued; then a minute at each read.
func TestAccJobRun_busyServerWaits(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	s := mocktest.New(t, busyMockConfig(clock))
	holdBusyPool(t, s)
	var mu sync.Mutex // guards triggered, looks and queuedAtDrain
	var triggered bool
	var looks int
	var queuedAtDrain []string
	s.SetTriggerHook(func(jobID int64, _ string) {
		mu.Lock()
		defer mu.Unlock()
		triggered = triggered || jobID == jobQuick
	})
	s.SetRequestHook(func(method, p string) {
		if method != "GET" || !strings.HasPrefix(p, "/scheduled-jobs/1/runs") {
			return
		}
		mu.Lock()
		if triggered {
			looks++
		}
		drain := looks == 3
		if drain {
			queuedAtDrain = queuedOf(s, jobQuick)
		}
		mu.Unlock()
		switch {
		case drain:
			clock.Advance(time.Hour)
		case looks > 3:
			clock.Advance(time.Minute)
		}
	})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobRunConfig(s, "  job_id = 1"),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(jobRunAddr, at("status"), knownvalue.StringExact("SUCCEEDED")),
				statecheck.ExpectKnownValue(jobRunAddr, at("triggered_at"), knownvalue.NotNull()),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, map[string]int64{jobRunAddr: jobQuick}),
				func(*terraform.State) error {
					mu.Lock()
					defer mu.Unlock()
					if fmt.Sprint(queuedAtDrain) != "[admin]" {
						return fmt.Errorf("job 1's queued triggers when the pool drained: %v, want the resource's", queuedAtDrain)
					}
					if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
						return fmt.Errorf("%d triggers reached the server, want 1", n)
					}
					return nil
				},
			),
		}},
	})
}

// says reports whether the CLI's output holds the phrase, wrapped to the terminal's width.
func says(out, phrase string) bool {
	return errRe(regexp.QuoteMeta(phrase)).MatchString(out)
}

// busyResource is a run of job 1 whose create timeout ends while the trigger still waits in
// the queue.
const busyResource = `
resource "openspecimen_job_run" "x" {
  job_id = 1
  timeouts {
    create = "2s"
  }
}
`

// applyPending applies busyResource while the pool is busy: the apply ends, with a warning,
// and the trigger is in state, its run not identified (run_id null), still queued.
func (c *cliTest) applyPending(ctx context.Context, s *mockserver.Server) {
	c.t.Helper()
	out, ok := c.apply(ctx)
	if !ok || !says(out, "Warning: Job run not identified yet") || !says(out, "The trigger is kept in state") {
		c.t.Fatalf("the apply should end with the trigger pending, and warn:\n%s", out)
	}
	res := c.state(ctx)
	if len(res) != 1 || res[0].Values["run_id"] != nil || res[0].Values["triggered_at"] == nil || res[0].Tainted {
		c.t.Fatalf("state %+v, want one pending trigger: run_id null, triggered_at set, not tainted", res)
	}
	if q := queuedOf(s, jobQuick); fmt.Sprint(q) != "[admin]" || len(s.Runs(jobQuick)) != 0 {
		c.t.Fatalf("job 1's queued triggers %v, runs %d: want the resource's trigger queued, no run", q, len(s.Runs(jobQuick)))
	}
}

// checkRunInState checks that job 1 has exactly one run of admin without args (the
// resource's) on the server, that it is the run in state, SUCCEEDED, with its identity
// (Terraform 1.12 and later) naming it.
func (c *cliTest) checkRunInState(ctx context.Context, s *mockserver.Server, said string) {
	c.t.Helper()
	var mine []mockserver.Run
	for _, r := range s.Runs(jobQuick) {
		if r.RunBy == "admin" && (r.RtArgs == nil || *r.RtArgs == "") {
			mine = append(mine, r)
		}
	}
	res := c.state(ctx)
	switch {
	case len(mine) != 1:
		c.t.Fatalf("job 1 has %d runs of the resource on the server, want 1; the CLI said:\n%s", len(mine), said)
	case len(res) != 1 || fmt.Sprint(res[0].Values["run_id"]) != strconv.FormatInt(mine[0].ID, 10):
		c.t.Fatalf("state %+v, want run %d; the CLI said:\n%s", res, mine[0].ID, said)
	case res[0].Values["status"] != "SUCCEEDED":
		c.t.Fatalf("status %v, want SUCCEEDED", res[0].Values["status"])
	case c.keepsIdentity(ctx) && fmt.Sprint(res[0].Identity["run_id"]) != strconv.FormatInt(mine[0].ID, 10):
		c.t.Fatalf("identity %v, want run %d", res[0].Identity, mine[0].ID)
	}
}

// keepsIdentity reports whether the CLI of c keeps resource identities: Terraform and
// OpenTofu 1.12 and later.
func (c *cliTest) keepsIdentity(ctx context.Context) bool {
	out := c.run(ctx, "version")
	var minor int
	for _, form := range []string{"Terraform v1.%d.", "OpenTofu v1.%d."} {
		if _, err := fmt.Sscanf(out, form, &minor); err == nil {
			return minor >= 12
		}
	}
	return false
}

// The same run with a create timeout that ends before the pool frees: the apply ends with
// the trigger pending in state and a warning, and the next plan says that it looks for the
// run without triggering again. Once the queue has drained, one more apply identifies the
// run: exactly one run on the server, the one in state. On each CLI.
func TestAccJobRun_busyServerShortTimeout(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	s := mocktest.New(t, busyMockConfig(clock))
	holdBusyPool(t, s)
	c := newCLITest(t, s, busyResource)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	c.applyPending(ctx, s)
	plan, _ := c.command(ctx, "plan", "-input=false", "-no-color").CombinedOutput()
	for _, want := range []string{"will be updated in-place", "Warning: Job run not identified yet", "without triggering the job again"} {
		if !says(string(plan), want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
	}
	clock.Advance(2 * time.Hour) // the long runs end; the queued trigger runs, and ends
	out, ok := c.apply(ctx)
	if !ok {
		t.Fatalf("the apply after the queue drained failed:\n%s", out)
	}
	c.checkRunInState(ctx, s, out)
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
		t.Fatalf("%d triggers reached the server, want 1", n)
	}
}

// A pending trigger that another trigger of the job replaces in the queue never becomes a
// run: once the other's run shows it, the plan says that the apply triggers the job again,
// and the apply does, ending with one run of the resource's own, in state. On each CLI.
func TestAccJobRun_busyServerTriggerReplaced(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	s := mocktest.New(t, busyMockConfig(clock))
	holdBusyPool(t, s)
	c := newCLITest(t, s, busyResource)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	c.applyPending(ctx, s)
	if err := s.TriggerAs("admin", jobQuick, "other args"); err != nil { // replaces the resource's in the queue
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour) // the other run starts and ends
	s.SetRequestHook(func(method, p string) {
		if method == "GET" && runReadPath.MatchString(p) {
			clock.Advance(time.Minute) // the new run ends at its first read
		}
	})
	plan, _ := c.command(ctx, "plan", "-input=false", "-no-color").CombinedOutput()
	for _, want := range []string{"will be updated in-place", "Warning: Job run to be triggered again", "took the job",
		"this apply triggers the job again"} {
		if !says(string(plan), want) {
			t.Errorf("the plan does not say %q:\n%s", want, plan)
		}
	}
	out, ok := c.apply(ctx)
	if !ok {
		t.Fatalf("the apply failed:\n%s", out)
	}
	c.checkRunInState(ctx, s, out)
	if runs := s.Runs(jobQuick); len(runs) != 2 {
		t.Fatalf("job 1 has %d runs, want the other trigger's and the resource's", len(runs))
	}
}

// Ten resources of ten long jobs in one apply, five at a time through the pool: each trigger
// waits in the queue as long as it must, and the apply ends with ten runs in state and ten
// on the server. The clock moves 10 s at each read of a run in progress.
func TestAccJobRun_busyServerTenJobs(t *testing.T) {
	clock := mockserver.NewManualClock(time.Now())
	cfg := reliabilityMockConfig(10, 40*time.Second)
	cfg.Clock = clock
	s := mocktest.New(t, cfg)
	s.SetRequestHook(func(method, p string) {
		if method == "GET" && runReadPath.MatchString(p) {
			clock.Advance(10 * time.Second)
		}
	})
	var b strings.Builder
	b.WriteString(providerBlock(s))
	addrs := map[string]int64{}
	for j := int64(1); j <= 10; j++ {
		fmt.Fprintf(&b, "resource \"openspecimen_job_run\" \"j%d\" {\n  job_id = %d\n}\n", j, j)
		addrs[fmt.Sprintf("openspecimen_job_run.j%d", j)] = j
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: b.String(),
			Check: resource.ComposeAggregateTestCheckFunc(
				expectOwnRuns(s, addrs),
				func(*terraform.State) error {
					if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 10 {
						return fmt.Errorf("%d triggers reached the server, want 10", n)
					}
					return nil
				},
			),
		}},
	})
}

func TestParseImportID(t *testing.T) {
	for _, tc := range []struct {
		in         string
		job, run   int64
		wantErrMsg bool
	}{
		{in: "1/42", job: 1, run: 42},
		{in: "1", wantErrMsg: true},
		{in: "a/b", wantErrMsg: true},
		{in: "0/1", wantErrMsg: true},
		{in: "1/-4", wantErrMsg: true},
		{in: "1/2/3", wantErrMsg: true},
		{in: "99999999999999999999/1", wantErrMsg: true},
	} {
		job, run, err := parseImportID(tc.in)
		if tc.wantErrMsg {
			if err == nil {
				t.Errorf("parseImportID(%q): no error", tc.in)
			}
			continue
		}
		if err != nil || job != tc.job || run != tc.run {
			t.Errorf("parseImportID(%q) = %d, %d, %v; want %d, %d", tc.in, job, run, err, tc.job, tc.run)
		}
	}
}

// requireTerraform114 skips the test unless the CLI of c is Terraform 1.14 or later, which
// has terraform query and action invocation (OpenTofu, whose versions are numbered apart, is
// skipped too).
func requireTerraform114(t *testing.T, c *cliTest) {
	t.Helper()
	const minor = 14
	out, err := c.command(t.Context(), "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", c.tfPath, err)
	}
	var got int
	if _, err := fmt.Sscanf(string(out), "Terraform v1.%d.", &got); err != nil || got < minor {
		t.Skipf("needs Terraform 1.%d or later; the CLI is %s", minor, strings.SplitN(string(out), "\n", 2)[0])
	}
}

// run runs the CLI to its end and answers its output, failing the test when it fails.
func (c *cliTest) run(ctx context.Context, args ...string) string {
	c.t.Helper()
	out, err := c.command(ctx, args...).CombinedOutput()
	if err != nil {
		c.t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// twoRuns is two runs of job 1, what a test pipeline's state holds.
const twoRuns = `
resource "openspecimen_job_run" "a" {
  job_id = 1
}
resource "openspecimen_job_run" "b" {
  job_id = 1
  args   = "--cp 2"
}
`

// A state that holds only job runs is destroyed without the server, which destroy does not
// need (it only forgets runs): gone for good, with the refresh (each run kept as last seen,
// with a warning, which a plan shows) or without it; with a password that no longer works, without the refresh
// (nothing is sent), while the refresh's login is refused once, in full. No destroy says
// "apply". Through the real CLI, on each.
func TestAccJobRun_destroyWithoutServer(t *testing.T) {
	for _, tc := range []struct {
		name          string
		refresh, gone bool
		ok            bool
		want          string
	}{
		{"server gone", true, true, true, "Destroy complete! Resources: 2 destroyed."},
		{"server gone, no refresh", false, true, true, "Destroy complete! Resources: 2 destroyed."},
		{"wrong password, no refresh", false, false, true, "Destroy complete! Resources: 2 destroyed."},
		{"wrong password", true, false, false, "Error: Cannot log in to OpenSpecimen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mocktest.New(t, testMockConfig())
			c := newCLITest(t, s, twoRuns)
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
			defer cancel()
			if out, ok := c.apply(ctx); !ok {
				t.Fatalf("the apply failed:\n%s", out)
			}
			if tc.gone {
				s.Close()
			} else {
				c.configureRaw(providerBlockAs(s.URL(), "admin", "not-the-password") + twoRuns)
			}
			if tc.gone && tc.refresh { // a plan shows the warning that the destroy's refresh keeps to itself
				plan := c.run(ctx, "plan", "-input=false", "-no-color")
				if !says(plan, "Warning: OpenSpecimen unreachable: job run kept as last seen") || !says(plan, "No changes.") {
					t.Errorf("the plan without the server does not keep the runs with a warning:\n%s", plan)
				}
			}
			logins := s.RequestCount("POST", "/sessions")
			args := []string{"destroy", "-auto-approve", "-input=false", "-no-color"}
			if !tc.refresh {
				args = append(args, "-refresh=false")
			}
			out, err := c.command(ctx, args...).CombinedOutput()
			switch {
			case (err == nil) != tc.ok:
				t.Fatalf("destroy: %v, want success %v:\n%s", err, tc.ok, out)
			case !says(string(out), tc.want):
				t.Errorf("the destroy does not say %q:\n%s", tc.want, out)
			case strings.Contains(strings.ToLower(withoutDevOverrides(string(out))), "apply"):
				t.Errorf("the destroy says apply:\n%s", out)
			}
			if n := s.RequestCount("POST", "/sessions") - logins; !tc.gone && n != map[bool]int{true: 1}[tc.refresh] {
				t.Errorf("%d logins during the destroy", n)
			}
			if left := len(c.state(ctx)); tc.ok && left != 0 {
				t.Errorf("%d resources left in state", left)
			}
		})
	}
}

// withoutDevOverrides is the CLI's output without the warning that dev_overrides are in
// effect, whose words are the CLI's.
func withoutDevOverrides(out string) string {
	return regexp.MustCompile(`(?s)Warning: Provider development overrides are in effect.*?published\s+releases\.`).ReplaceAllString(out, "")
}

// Ctrl-C before the trigger, while the job is read: the apply says it was interrupted and
// that nothing was run, not "Cannot read job ... context canceled"; nothing is sent after.
// Through the real CLI, on each.
func TestAccJobRun_interruptedBeforeTrigger(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	c := newCLITest(t, s, sweepResource)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	held, release := make(chan struct{}, 1), make(chan struct{})
	defer close(release)
	s.SetResponseHook(func(req mockserver.Request) (mockserver.Reply, bool) {
		if req.Method == "GET" && req.Pattern == "/scheduled-jobs/{jobId}" {
			held <- struct{}{}
			<-release
		}
		return mockserver.Reply{}, false
	})
	apply := c.command(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	var out mocktest.LockedBuffer
	apply.Stdout, apply.Stderr = &out, &out
	if err := apply.Start(); err != nil {
		t.Fatal(err)
	}
	<-held
	if err := apply.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	_ = apply.Wait()
	said := out.String()
	if !says(said, "Error: Interrupted: nothing was run") || !says(said, "before the trigger, was interrupted") ||
		strings.Contains(said, "context canceled") || strings.Contains(said, "Cannot read job") {
		t.Errorf("the interrupted apply does not say that nothing was run:\n%s", said)
	}
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
		t.Errorf("%d triggers after the interrupt", n)
	}
}

// A start that waited until its timeout for another run gives the advice that fits that run,
// never two that contradict: a long run, the timeout to raise; a run that may be stale, what
// ends it on the server's line (if_running = "ignore" on the newest, an administrator on the
// older), or both, each for its line, when the line is unknown.
func TestStartDiagnostic_busy(t *testing.T) {
	started := client.EpochMillis{Time: time.Date(2022, 2, 21, 6, 15, 0, 0, time.UTC)}
	run := client.Run{ID: 5, JobID: 1, Status: client.StatusInProgress, StartedAt: &started}
	stale := "run 5 has been in progress since 2022-02-21 06:15 UTC (4 years ago), longer than any of the job's last 3 " +
		"finished runs took (at most 10m0s): it may be stale"
	for _, tc := range []struct {
		stale, line string
		want, not   []string
	}{
		{"", "", []string{"raise timeouts.create", `if_running = "fail"`}, []string{"stale", "administrator", `"ignore"`}},
		{stale, client.LineNewest, []string{"4 years ago", `set if_running = "ignore"`}, []string{"administrator", "raise timeouts"}},
		{stale, client.LineOlder, []string{"4 years ago", "administrator must end it", "would not help"},
			[]string{`set if_running = "ignore"`, "raise timeouts"}},
		{stale, "", []string{`newest line (13 and later), set if_running = "ignore"`, "on the older line, an OpenSpecimen administrator"},
			[]string{"raise timeouts"}},
	} {
		err := fmt.Errorf("starting: %w", &client.JobBusyError{JobID: 1, JobName: "Export", Run: run, Stale: tc.stale, Line: tc.line,
			Err: context.DeadlineExceeded})
		d := startDiagnostic(1, "create", 30*time.Minute, err)
		for _, w := range tc.want {
			if !strings.Contains(d.Detail(), w) {
				t.Errorf("stale %v, line %q: %q lacks %q", tc.stale != "", tc.line, d.Detail(), w)
			}
		}
		for _, w := range tc.not {
			if strings.Contains(d.Detail(), w) {
				t.Errorf("stale %v, line %q: %q says %q", tc.stale != "", tc.line, d.Detail(), w)
			}
		}
	}
}
