package provider

import (
	"fmt"
	"testing"
	"time"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const jobAddr = "data.openspecimen_scheduled_job.x"

// namedJobsMockConfig: job names that share a substring, some with % or _ (which the
// server's LIKE reads as wildcards); two jobs named "Twin", one of them shared with alice;
// alice created "Alice's export". Its clock stands still, so that the daily job 21 never
// fires during a test (on the newest line its start in 2100 does not keep it from firing):
// its last_run_on stays null.
func namedJobsMockConfig(t testing.TB) mockserver.Config {
	cfg := testMockConfig()
	cfg.Clock = mockserver.NewManualClock(time.Now())
	cfg.Jobs = append(cfg.Jobs,
		mockserver.JobConfig{ID: 20, Name: "CP export"},
		mockserver.JobConfig{ID: 21, Name: "CP export 100%", Type: "INTERNAL", RepeatSchedule: "DAILY",
			RtArgsProvided: true, RtArgsHelpText: "--cp <short title>", RunAs: "alice", StartDate: mocktest.Time(t, "2100-01-01T00:00:00Z")},
		mockserver.JobConfig{ID: 22, Name: "CP_export"},
		mockserver.JobConfig{ID: 23, Name: "cp export"},
		mockserver.JobConfig{ID: 24, Name: "Twin", SharedWith: []string{"alice"}},
		mockserver.JobConfig{ID: 25, Name: "Twin"},
		mockserver.JobConfig{ID: 26, Name: "Alice's export", CreatedBy: "alice"},
		mockserver.JobConfig{ID: 27, Name: "Orphan export", SavedQueryDeleted: true},
	)
	cfg.Runs = []mockserver.RunConfig{{ID: 5, JobID: 20, StartedAt: mocktest.Time(t, "2022-02-21T06:15:00Z"),
		FinishedAt: mocktest.Time(t, "2022-02-21T06:16:00Z")}}
	return cfg
}

func jobConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
data "openspecimen_scheduled_job" "x" {
%s
}
`, body)
}

func TestAccScheduledJobDataSource_byExactName(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	for name, id := range map[string]int64{"CP export": 20, "cp export": 23, "CP_export": 22, "CP export 100%": 21} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: jobConfig(s, fmt.Sprintf("name = %q", name)),
					ConfigStateChecks: []statecheck.StateCheck{
						statecheck.ExpectKnownValue(jobAddr, at("id"), knownvalue.Int64Exact(id)),
					},
				}},
			})
		})
	}
}

func TestAccScheduledJobDataSource_attributes(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: jobConfig(s, `name = "CP export 100%"`) + `
data "openspecimen_scheduled_job" "by_id" {
  id = 20
}
data "openspecimen_scheduled_job" "orphan" {
  id = 27
}
data "openspecimen_scheduled_job" "retired" {
  id = 3
}
`,
			ConfigStateChecks: append(expectJob(jobAddr, map[string]knownvalue.Check{
				"name":            knownvalue.StringExact("CP export 100%"),
				"type":            knownvalue.StringExact("INTERNAL"),
				"enabled":         knownvalue.Bool(true),
				"active":          knownvalue.Bool(true),
				"repeat_schedule": knownvalue.StringExact("DAILY"),
				"next_run_on":     knownvalue.NotNull(),
				"last_run_on":     knownvalue.Null(),
				"accepts_args":    knownvalue.Bool(true),
				"args_help_text":  knownvalue.StringExact("--cp <short title>"),
				"created_by":      knownvalue.StringExact("admin"),
				"run_as_user_id":  knownvalue.Int64Exact(2), // alice
				"start_date":      knownvalue.StringExact("2100-01-01T00:00:00Z"),
			}),
				statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.by_id", at("name"), knownvalue.StringExact("CP export")),
				statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.by_id", at("last_run_on"), knownvalue.StringExact("2022-02-21T06:15:00Z")),
				statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.by_id", at("next_run_on"), knownvalue.Null()),
				statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.orphan", at("active"), knownvalue.Bool(false)),
				statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.retired", at("enabled"), knownvalue.Bool(false)),
			),
		}},
	})
}

func expectJob(addr string, attrs map[string]knownvalue.Check) []statecheck.StateCheck {
	var checks []statecheck.StateCheck
	for name, c := range attrs {
		checks = append(checks, statecheck.ExpectKnownValue(addr, at(name), c))
	}
	return checks
}

func TestAccScheduledJobDataSource_refused(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	for name, tc := range map[string]struct{ body, err string }{
		"ambiguous":           {`name = "Twin"`, `2 jobs are named "Twin": "Twin" \(id 25\), "Twin" \(id 24\)\. Set id instead of name`},
		"no exact match":      {`name = "CP EXPORT"`, `(?s)No job is named exactly "CP EXPORT"; jobs whose name contains.*"CP export" \(id 20\)`},
		"unknown":             {`name = "Nothing"`, `No job named "Nothing"`},
		"disabled":            {`name = "Retired export"`, `(?s)No job named "Retired export".*a disabled job, which job lists leave out,\s+is\s+found by its id only`},
		"neither id nor name": {``, `(?s)Missing Attribute Configuration.*Exactly one of these attributes must be configured: \[id,name\]`},
		"both":                {"id = 20\nname = \"CP export\"", `(?s)Invalid Attribute Combination.*Exactly one of these attributes must be configured: \[id,name\]`},
		"unknown id":          {"id = 99", "Scheduled job 99 does not exist"},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps:                    []resource.TestStep{{Config: jobConfig(s, tc.body), ExpectError: errRe(tc.err)}},
			})
		})
	}
}

// A non-admin sees the jobs it created or that are shared with it: of the two named "Twin",
// only the one shared with alice.
func TestAccScheduledJobDataSource_nonAdmin(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlockAs(s.URL(), "alice", "Alice@123") + `
data "openspecimen_scheduled_job" "x" {
  name = "Twin"
}
`,
			ConfigStateChecks: []statecheck.StateCheck{statecheck.ExpectKnownValue(jobAddr, at("id"), knownvalue.Int64Exact(24))},
		}},
	})
}

// A job read by the data sources, by id, by name or in a list, has every attribute of the
// resource that made it, with the same value: a job read on one server can feed a resource.
func TestAccScheduledJobDataSource_sameAsResource(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	var sr fwresource.SchemaResponse
	NewScheduledJobResource().Schema(t.Context(), fwresource.SchemaRequest{}, &sr)
	job := nightlyBody("Nightly export", append([]string{farStart, `  end_date = "2100-12-31T23:59:59.999Z"`}, fullJobLines...)...)
	config := scheduledJobConfig(s, job) + `
data "openspecimen_scheduled_job" "by_id" {
  id = openspecimen_scheduled_job.x.id
}
data "openspecimen_scheduled_job" "by_name" {
  name = openspecimen_scheduled_job.x.name
}
data "openspecimen_scheduled_jobs" "x" {
  name_contains = openspecimen_scheduled_job.x.name
}
`
	var checks []statecheck.StateCheck
	for name := range sr.Schema.Attributes {
		for _, ds := range []string{"data.openspecimen_scheduled_job.by_id", "data.openspecimen_scheduled_job.by_name"} {
			checks = append(checks, statecheck.CompareValuePairs(scheduledJobAddr, at(name), ds, at(name), compare.ValuesSame()))
		}
		checks = append(checks, statecheck.CompareValuePairs(scheduledJobAddr, at(name),
			jobsAddr, tfjsonpath.New("jobs").AtSliceIndex(0).AtMapKey(name), compare.ValuesSame()))
	}
	checks = append(checks,
		statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.by_id", at("run_as_user_id"), knownvalue.Int64Exact(userAlice)),
		statecheck.ExpectKnownValue("data.openspecimen_scheduled_job.by_id", at("last_run_on"), knownvalue.Null()))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps:                    []resource.TestStep{{Config: config, ConfigStateChecks: checks}},
	})
}
