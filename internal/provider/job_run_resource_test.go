package provider

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

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

func TestAccJobRun_timeout(t *testing.T) {
	s := newTestMock(t, testMockConfig())
	cfg := jobRunConfig(s, "  job_id = 4\n  timeouts {\n    create = \"1s\"\n  }")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      cfg,
				ExpectError: errRe(`(?s)Timed out waiting for job run.*Run \d+ of job 4 did not finish`),
			},
			{
				// The failed step's Check does not run (the apply returned an error), so the
				// server's run count is checked here, before the plan.
				PreConfig: func() {
					if err := expectRuns(s, jobSlow, 1)(nil); err != nil {
						t.Fatal(err)
					}
				},
				// Recorded and tainted: the plan replaces the run instead of creating a first one.
				Config:             cfg,
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			},
		},
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
