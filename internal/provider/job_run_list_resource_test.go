package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/internal/client"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const listAddr = "openspecimen_job_run.x"

// List resources and terraform query came with Terraform 1.14; older CLIs and OpenTofu skip.
var needsQuery = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// listConfig is a list block of the job's runs with the config body, the resources included.
func listConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
list "openspecimen_job_run" "x" {
  provider         = openspecimen
  include_resource = true
  config {
%s
  }
}
`, body)
}

// runIdentity picks the result of one run of job 1.
func runIdentity(runID int64) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{
		"job_id": knownvalue.Int64Exact(1), "run_id": knownvalue.Int64Exact(runID),
	})
}

// The data source's filters pick the runs; each result has its identity, a name a person
// can read, and the resource as an import would hold it. See historyMockConfig for the runs.
func TestAccJobRunList_query(t *testing.T) {
	onEachLine(t, testAccJobRunListQuery)
}

func testAccJobRunListQuery(t *testing.T, line string) {
	cfg := historyMockConfig(t)
	cfg.Line = line
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsQuery,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Query:  true,
				Config: listConfig(s, "    job_id = 1"),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength(listAddr, 4),
					querycheck.ExpectIdentity(listAddr, map[string]knownvalue.Check{
						"job_id": knownvalue.Int64Exact(1), "run_id": knownvalue.Int64Exact(13),
					}),
					querycheck.ExpectResourceDisplayName(listAddr, runIdentity(10),
						knownvalue.StringExact(`run 10 of job 1: SUCCEEDED, started 2022-02-21T06:15:00Z by admin, args "a b"`)),
					querycheck.ExpectResourceDisplayName(listAddr, runIdentity(12),
						knownvalue.StringExact(`run 12 of job 1: SUCCEEDED, started 2022-02-22T00:00:00Z by alice, no args`)),
					querycheck.ExpectResourceKnownValues(listAddr, runIdentity(11), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact("11")},
						{Path: tfjsonpath.New("job_id"), KnownValue: knownvalue.Int64Exact(1)},
						{Path: tfjsonpath.New("run_id"), KnownValue: knownvalue.Int64Exact(11)},
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("FAILED")},
						{Path: tfjsonpath.New("message"), KnownValue: knownvalue.StringExact("Query failed")},
						{Path: tfjsonpath.New("args"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("wait_for_completion"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("ignore_failure"), KnownValue: knownvalue.Bool(false)},
						{Path: tfjsonpath.New("if_running"), KnownValue: knownvalue.StringExact("wait")},
						{Path: tfjsonpath.New("triggers"), KnownValue: knownvalue.Null()},
					}),
				},
			},
			{
				Query:  true,
				Config: listConfig(s, "    job_id = 1\n    status = \"SUCCEEDED\"\n    from_date = \"2022-02-21T12:00:00Z\""),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength(listAddr, 2),
					querycheck.ExpectIdentity(listAddr, map[string]knownvalue.Check{
						"job_id": knownvalue.Int64Exact(1), "run_id": knownvalue.Int64Exact(12),
					}),
				},
			},
			{
				Query:             true,
				Config:            listConfig(s, "    job_id = 1\n    max_results = 1"),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength(listAddr, 1)},
			},
		},
	})
}

// An unknown job, or dates that cannot match, are errors naming what to fix.
func TestAccJobRunList_badInput(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsQuery,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Query: true, Config: listConfig(s, "    job_id = 99"), ExpectError: regexp.MustCompile(`Job not found`)},
			{
				Query:       true,
				Config:      listConfig(s, "    job_id = 1\n    from_date = \"2022-03-01\"\n    to_date = \"2022-02-01\""),
				ExpectError: regexp.MustCompile(`from_date after to_date`),
			},
			{Query: true, Config: listConfig(s, "    job_id = 1\n    status = \"DONE\""), ExpectError: regexp.MustCompile(`(?s)status.*value must be one of`)},
		},
	})
}

// terraform query -generate-config-out writes a resource and an import block per run; the
// apply imports them, runs nothing, and the next plan is empty.
func TestAccJobRunList_generateConfigAndImport(t *testing.T) {
	s := mocktest.New(t, historyMockConfig(t))
	c := newCLITest(t, s, "")
	requireTerraform114(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	writeFile(t, filepath.Join(c.dir, "runs.tfquery.hcl"), `list "openspecimen_job_run" "export" {
  provider         = openspecimen
  include_resource = true
  config {
    job_id = 1
    status = "SUCCEEDED"
  }
}
`)
	said := c.run(ctx, "query", "-generate-config-out=generated.tf", "-no-color")
	for _, name := range []string{`run 13 of job 1: SUCCEEDED`, `run 10 of job 1: SUCCEEDED, started 2022-02-21T06:15:00Z by admin, args "a b"`} {
		if !strings.Contains(said, name) {
			t.Errorf("terraform query did not show %q:\n%s", name, said)
		}
	}
	generated, err := os.ReadFile(filepath.Join(c.dir, "generated.tf"))
	if err != nil {
		t.Fatalf("terraform query wrote no configuration: %v\n%s", err, said)
	}
	said = c.run(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	if !strings.Contains(said, "3 imported, 0 added, 0 changed, 0 destroyed") {
		t.Fatalf("the apply of the generated configuration did not import 3 runs:\n%s\n-- generated.tf:\n%s", said, generated)
	}
	var ids []string
	for _, r := range c.state(ctx) {
		ids = append(ids, fmt.Sprint(r.Values["run_id"]))
	}
	sort.Strings(ids)
	if got := strings.Join(ids, " "); got != "10 12 13" {
		t.Errorf("state holds runs %s, want 10 12 13", got)
	}
	plan := c.command(ctx, "plan", "-detailed-exitcode", "-input=false", "-no-color")
	if out, err := plan.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 2 {
			t.Fatalf("the plan after the import is not empty:\n%s\n-- generated.tf:\n%s", out, generated)
		}
		t.Fatalf("terraform plan: %v\n%s", err, out)
	}
	if n := s.RequestCount("POST", "/scheduled-jobs/{jobId}/runs"); n != 0 {
		t.Errorf("%d triggers sent, want none: an import runs nothing", n)
	}
}

// A run the server gave no start time, no user and no args still has a name to read.
func TestRunDisplayName_sparseRun(t *testing.T) {
	run := &client.Run{ID: 7, Status: client.StatusInProgress}
	if got, want := runDisplayName(3, run), "run 7 of job 3: IN_PROGRESS, start unknown by an unknown user, no args"; got != want {
		t.Errorf("runDisplayName = %q, want %q", got, want)
	}
}
