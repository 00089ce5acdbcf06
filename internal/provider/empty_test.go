package provider

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// emptyVariables is every string argument where unset has a meaning set from a variable
// whose default is "": the run's args, if_running and timeouts, the run list's filters, the
// result file's options, a job's fixed args and help text, the job list's filters.
const emptyVariables = `
variable "args" {
  default = ""
}
variable "empty" {
  default = ""
}
resource "openspecimen_job_run" "x" {
  job_id     = 1
  args       = var.args
  if_running = var.empty
  timeouts {
    create = var.empty
    update = var.empty
  }
}
data "openspecimen_job_runs" "r" {
  job_id    = 1
  from_date = var.empty
  to_date   = var.empty
  status    = var.empty
}
data "openspecimen_job_run_result_file" "f" {
  job_id          = 1
  run_id          = openspecimen_job_run.x.run_id
  entry           = var.empty
  decode          = var.empty
  separator       = var.empty
  output_path     = var.empty
  file_permission = var.empty
}
resource "openspecimen_scheduled_job" "j" {
  name            = "Empty strings"
  type            = "INTERNAL"
  task_class      = "com.krishagni.catissueplus.core.common.services.impl.ExportedFilesCleanerTask"
  repeat_schedule = "ONDEMAND"
  fixed_args      = var.empty
  args_help_text  = var.empty
}
data "openspecimen_scheduled_jobs" "all" {
  name_contains = var.empty
  type          = var.empty
}
`

// "" is unset wherever unset has a meaning: a configuration whose variables default to ""
// applies as with null, runs the job once without args, then plans no change; the same
// configuration with args removed (null) plans no change at all, and applies without a new
// run. Through the real CLI, on each.
func TestAccEmptyStrings_unset(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	c := newCLITest(t, s, emptyVariables)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	if out, ok := c.apply(ctx); !ok {
		t.Fatalf("the apply with empty strings failed:\n%s", out)
	}
	runs := s.Runs(jobQuick)
	if len(runs) != 1 || runs[0].RtArgs != nil && *runs[0].RtArgs != "" {
		t.Fatalf("job 1 has runs %+v, want one without args", runs)
	}
	c.planNoChange(ctx, "with empty strings")
	c.configure(s, strings.Replace(emptyVariables, "  args       = var.args\n", "", 1))
	c.planNoChange(ctx, "with args \"\" become null")
	if out, ok := c.apply(ctx); !ok {
		t.Fatalf("the apply with args null failed:\n%s", out)
	}
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 1 {
		t.Fatalf("%d triggers, want the first apply's alone", n)
	}
	c.planNoChange(ctx, "with args null")
}

// planNoChange fails the test unless a plan shows no change (terraform plan
// -detailed-exitcode exits 0).
func (c *cliTest) planNoChange(ctx context.Context, what string) {
	c.t.Helper()
	out, err := c.command(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color").CombinedOutput()
	var exit *exec.ExitError
	if err != nil {
		if errors.As(err, &exit) && exit.ExitCode() == 2 {
			c.t.Fatalf("the plan %s shows changes (a perpetual diff):\n%s", what, out)
		}
		c.t.Fatalf("the plan %s failed:\n%s", what, out)
	}
}

// emptyStartDateJob is a job whose start_date, computed when left out, is "".
const emptyStartDateJob = `  name            = "x"
  type            = "INTERNAL"
  task_class      = "a.B"
  repeat_schedule = "ONDEMAND"
  start_date      = ""`

// Where "" cannot stand for unset (a look-up key or a job's start_date: computed when left
// out), it is refused, saying to use null.
func TestAccEmptyStrings_useNull(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	for name, body := range map[string]string{
		"user login_name":  "data \"openspecimen_user\" \"x\" {\n  login_name = \"\"\n}",
		"user domain":      "data \"openspecimen_user\" \"x\" {\n  login_name = \"admin\"\n  domain = \"\"\n}",
		"saved query":      "data \"openspecimen_saved_query\" \"x\" {\n  title = \"\"\n}",
		"job by name":      "data \"openspecimen_scheduled_job\" \"x\" {\n  name = \"\"\n}",
		"job start_date":   "resource \"openspecimen_scheduled_job\" \"x\" {\n" + emptyStartDateJob + "\n}",
		"separator, alone": "data \"openspecimen_job_run_result_file\" \"x\" {\n  job_id = 1\n  run_id = 1\n  separator = \";\"\n  decode = \"\"\n}",
	} {
		t.Run(name, func(t *testing.T) {
			want := `(?s)is "", which names nothing. To leave it unset, use null`
			if name == "separator, alone" {
				want = `Attribute "decode" must be specified when "separator" is specified \(\"\" is unset\)`
			}
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: providerBlock(s) + body, PlanOnly: true, ExpectError: errRe(want)}},
			})
		})
	}
}

// A scheduled job's task_class, command, day_of_week and end_date take "" for unset (no task
// class, no command, no day, never ends), as the configuration that leaves them out: the jobs
// are created, their state keeps "", and the plan after the apply is empty.
func TestAccEmptyStrings_scheduledJob(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	config := providerBlock(s) + fmt.Sprintf(`
resource "openspecimen_scheduled_job" "query" {
  name            = "Empty strings, query"
  type            = "QUERY"
  saved_query_id  = %d
  task_class      = ""
  command         = ""
  repeat_schedule = "DAILY"
  hour            = 1
  minute          = 0
  day_of_week     = ""
  start_date      = "2100-01-01T00:00:00Z"
  end_date        = ""
}
resource "openspecimen_scheduled_job" "internal" {
  name            = "Empty strings, internal"
  type            = "INTERNAL"
  task_class      = %q
  command         = ""
  repeat_schedule = "ONDEMAND"
  day_of_week     = ""
  end_date        = ""
}
`, querySpecimens, mockserver.DefaultTaskClasses[0])
	var checks []statecheck.StateCheck
	for _, job := range []string{"query", "internal"} {
		for _, name := range []string{"command", "day_of_week", "end_date"} {
			checks = append(checks, statecheck.ExpectKnownValue("openspecimen_scheduled_job."+job, at(name), knownvalue.StringExact("")))
		}
	}
	checks = append(checks,
		statecheck.ExpectKnownValue("openspecimen_scheduled_job.query", at("task_class"), knownvalue.StringExact("")),
		statecheck.ExpectKnownValue("openspecimen_scheduled_job.internal", at("task_class"), knownvalue.StringExact(mockserver.DefaultTaskClasses[0])))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}
