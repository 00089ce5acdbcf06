package provider

import (
	"fmt"
	"regexp"
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

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				if _, err := s.StartRunAs("alice", jobSlow, "nightly"); err != nil {
					t.Fatalf("starting alice's run: %v", err)
				}
			},
			Config:      jobRunConfig(s, "  job_id = 4\n  if_running = \"fail\""),
			ExpectError: errRe(`(?s)Job already running.*already has run \d+ in progress, started by alice`),
		}},
	})
	// A failed step's Check never runs: the server's side is checked once the test is over.
	if err := expectRuns(s, jobSlow, 1)(nil); err != nil {
		t.Error(err)
	}
}

func TestAccJobRun_ifRunningWait(t *testing.T) {
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, cfg)
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
	s := newTestMock(t, cfg)
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
	token := loginToken(t, s, "admin", "Admin@123")
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
	s := newTestMock(t, testMockConfig())
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
	s := newTestMock(t, testMockConfig())
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
				ExpectError: errRe(`of job 2 does not exist`),
			},
		},
	})
}

func TestAccJobRun_badJobs(t *testing.T) {
	s := newTestMock(t, testMockConfig())
	// The subtests are parallel: they run after this function returns, before its cleanups.
	t.Cleanup(func() {
		if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
			t.Errorf("%d triggers were sent to missing or disabled jobs, want none", n)
		}
	})
	for name, tc := range map[string]struct {
		body string
		want string
	}{
		"unknown job":  {"  job_id = 999", `Scheduled job 999 does not exist`},
		"huge job id":  {"  job_id = 9223372036854775807", `Scheduled job 9223372036854775807 does not exist`},
		"disabled job": {"  job_id = 3", `(?s)Job disabled.*Scheduled job 3 \(Retired export\) is Disabled`},
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
	s := newTestMock(t, testMockConfig())
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
		"empty args":         {"  job_id = 1\n  args = \"\"", `args value must be none of`},
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
	s := newTestMock(t, testMockConfig())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
provider "openspecimen" {
  url      = %q
  username = "admin"
  password = "wrong"
}
resource "openspecimen_job_run" "x" {
  job_id = 1
}
`, s.URL()),
			ExpectError: errRe(`(?i)login.*refused`),
		}},
	})
}

func TestAccJobRun_tokenFromEnvironment(t *testing.T) {
	s := newTestMock(t, testMockConfig())
	t.Setenv(envURL, s.URL())
	t.Setenv(envToken, loginToken(t, s, "admin", "Admin@123"))
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
