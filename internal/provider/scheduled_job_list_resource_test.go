package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const jobListAddr = "openspecimen_scheduled_job.x"

// everyKindMockConfig holds a job of each repeat schedule and each type the line takes (an
// EXTERNAL job on the older line only), with users, recipients, arguments and dates, beside
// scheduledJobMockConfig's "Taken export" (job 1) and a disabled job (16), which job lists
// leave out. It answers the ids of the jobs a list finds.
func everyKindMockConfig(t testing.TB, line string) (mockserver.Config, []int64) {
	mcfg := scheduledJobMockConfig()
	mcfg.Line = line
	ids := []int64{jobTaken}
	for _, k := range scheduleKindJobs {
		jc := k.job
		jc.Type, jc.SavedQueryID, jc.StartDate = "QUERY", querySpecimens, mocktest.Time(t, "2100-01-01T00:00:00.250Z")
		if jc.ActivityStatus != "Disabled" {
			ids = append(ids, jc.ID)
		}
		mcfg.Jobs = append(mcfg.Jobs, jc)
	}
	full := &mcfg.Jobs[1] // MINUTELY, every minute
	full.RunAs, full.Recipients, full.SharedWith = "alice", []string{"alice", "bob"}, []string{"bob"}
	full.FixedArgs, full.RtArgsProvided, full.RtArgsHelpText = "--cp 12", true, "--site <site>"
	full.EndDate = mocktest.Time(t, "2100-12-31T23:59:59.999Z")
	mcfg.Jobs = append(mcfg.Jobs, mockserver.JobConfig{ID: 17, Name: "Cleanup task", Type: "INTERNAL",
		TaskImplFqn: mockserver.DefaultTaskClasses[0], RepeatSchedule: "ONDEMAND"})
	ids = append(ids, 17)
	if line == mockserver.LineOlder {
		mcfg.Jobs = append(mcfg.Jobs, mockserver.JobConfig{ID: 18, Name: "Cleanup command", Type: "EXTERNAL",
			Command: "/opt/cleanup.sh --all", RepeatSchedule: "ONDEMAND"})
		ids = append(ids, 18)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] > ids[j] })
	return mcfg, ids
}

// jobListConfig is a list block of the jobs with the config body, the resources included.
func jobListConfig(s *mockserver.Server, body string) string {
	return providerBlock(s) + fmt.Sprintf(`
list "openspecimen_scheduled_job" "x" {
  provider         = openspecimen
  include_resource = true
  config {
%s
  }
}
`, body)
}

func jobIdentity(id int64) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"id": knownvalue.Int64Exact(id)})
}

// The list finds every job this user sees, newest first, each with its identity, a name a
// person can read, and the resource as an import holds it; the data source's filters apply.
func TestAccScheduledJobList_query(t *testing.T) {
	mcfg, ids := everyKindMockConfig(t, mockserver.LineNewest)
	s := mocktest.New(t, mcfg)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   needsQuery,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{
				Query:  true,
				Config: jobListConfig(s, ""),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength(jobListAddr, len(ids)),
					querycheck.ExpectIdentity(jobListAddr, map[string]knownvalue.Check{"id": knownvalue.Int64Exact(13)}),
					querycheck.ExpectResourceDisplayName(jobListAddr, jobIdentity(13),
						knownvalue.StringExact(`job 13 "Nightly": QUERY, DAILY, created by admin`)),
					querycheck.ExpectResourceKnownValues(jobListAddr, jobIdentity(11), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("id"), KnownValue: knownvalue.Int64Exact(11)},
						{Path: tfjsonpath.New("name"), KnownValue: knownvalue.StringExact("Every minute")},
						{Path: tfjsonpath.New("repeat_schedule"), KnownValue: knownvalue.StringExact("MINUTELY")},
						{Path: tfjsonpath.New("minutely_interval"), KnownValue: knownvalue.Int64Exact(0)},
						{Path: tfjsonpath.New("minute"), KnownValue: knownvalue.Null()},
						{Path: tfjsonpath.New("start_date"), KnownValue: knownvalue.StringExact("2100-01-01T00:00:00.25Z")},
						{Path: tfjsonpath.New("end_date"), KnownValue: knownvalue.StringExact("2100-12-31T23:59:59.999Z")},
						{Path: tfjsonpath.New("run_as_user_id"), KnownValue: knownvalue.Int64Exact(userAlice)},
						{Path: tfjsonpath.New("recipient_user_ids"), KnownValue: knownvalue.SetExact([]knownvalue.Check{
							knownvalue.Int64Exact(userAlice), knownvalue.Int64Exact(userBob)})},
						{Path: tfjsonpath.New("fixed_args"), KnownValue: knownvalue.StringExact("--cp 12")},
						{Path: tfjsonpath.New("enabled"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("saved_query_id"), KnownValue: knownvalue.Int64Exact(querySpecimens)},
						{Path: tfjsonpath.New("task_class"), KnownValue: knownvalue.Null()},
					}),
				},
			},
			{
				Query:  true,
				Config: jobListConfig(s, "    name_contains = \"every\"\n    type = \"QUERY\""),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength(jobListAddr, 2), // "Every minute", "Every 3 hours"
					querycheck.ExpectIdentity(jobListAddr, map[string]knownvalue.Check{"id": knownvalue.Int64Exact(12)}),
				},
			},
			{
				// "" is unset: every job.
				Query:             true,
				Config:            jobListConfig(s, "    name_contains = \"\"\n    type = \"\""),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength(jobListAddr, len(ids))},
			},
			{
				Query:             true,
				Config:            jobListConfig(s, "    type = \"INTERNAL\""),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength(jobListAddr, 1)},
			},
			{Query: true, Config: jobListConfig(s, "    type = \"CRON\""), ExpectError: regexp.MustCompile(`(?s)type.*value must be one of`)},
		},
	})
}

// terraform query -generate-config-out over a server holding jobs of every repeat schedule and
// type writes a resource and an import block per job; the apply imports them all, changes
// nothing on the server, and the next plan is empty.
func TestAccScheduledJobList_generateConfigAndImport(t *testing.T) {
	mcfg, ids := everyKindMockConfig(t, mockserver.LineOlder)
	s := mocktest.New(t, mcfg)
	c := newCLITest(t, s, "")
	requireTerraform114(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	writeFile(t, filepath.Join(c.dir, "jobs.tfquery.hcl"), `list "openspecimen_scheduled_job" "all" {
  provider         = openspecimen
  include_resource = true
}
`)
	said := c.run(ctx, "query", "-generate-config-out=generated.tf", "-no-color")
	for _, name := range []string{`job 18 "Cleanup command": EXTERNAL, ONDEMAND, created by admin`, `job 11 "Every minute"`} {
		if !strings.Contains(said, name) {
			t.Errorf("terraform query did not show %q:\n%s", name, said)
		}
	}
	generated, err := os.ReadFile(filepath.Join(c.dir, "generated.tf"))
	if err != nil {
		t.Fatalf("terraform query wrote no configuration: %v\n%s", err, said)
	}
	said = c.run(ctx, "apply", "-auto-approve", "-input=false", "-no-color")
	if want := fmt.Sprintf("%d imported, 0 added, 0 changed, 0 destroyed", len(ids)); !strings.Contains(said, want) {
		t.Fatalf("the apply of the generated configuration did not say %q:\n%s\n-- generated.tf:\n%s", want, said, generated)
	}
	var got []string
	for _, r := range c.state(ctx) {
		got = append(got, fmt.Sprint(r.Values["id"]))
	}
	sort.Strings(got)
	var want []string
	for _, id := range ids {
		want = append(want, fmt.Sprint(id))
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state holds jobs %v, want %v", got, want)
	}
	c.checkPlanEmpty(ctx)
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		if n := s.RequestCount(method, "/scheduled-jobs") + s.RequestCount(method, "/scheduled-jobs/{jobId}"); n != 0 {
			t.Errorf("%d %s requests: an import changes nothing", n, method)
		}
	}
}

// terraform providers schema -json (Terraform 1.14+) shows the user and saved-query data
// sources, the scheduled job's identity and its list resource.
func TestAccScheduledJob_schemaExported(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	c := newCLITest(t, s, "")
	requireTerraform114(t, c)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	out, err := c.command(ctx, "providers", "schema", "-json").Output()
	if err != nil {
		t.Fatalf("terraform providers schema -json: %v", err)
	}
	var schemas struct {
		ProviderSchemas map[string]struct {
			DataSources map[string]json.RawMessage `json:"data_source_schemas"`
			Identities  map[string]struct {
				Attributes map[string]json.RawMessage `json:"attributes"`
			} `json:"resource_identity_schemas"`
			ListResources map[string]json.RawMessage `json:"list_resource_schemas"`
		} `json:"provider_schemas"`
	}
	if err := json.Unmarshal(out, &schemas); err != nil {
		t.Fatalf("terraform providers schema -json: %v\n%s", err, out)
	}
	p, ok := schemas.ProviderSchemas["registry.terraform.io/openspecimen-iac/openspecimen"]
	switch {
	case !ok:
		t.Fatalf("no schema of the provider in:\n%s", out)
	case p.DataSources["openspecimen_user"] == nil || p.DataSources["openspecimen_saved_query"] == nil:
		t.Errorf("the data sources openspecimen_user and openspecimen_saved_query are not all in %v", slices.Sorted(maps.Keys(p.DataSources)))
	case p.Identities["openspecimen_scheduled_job"].Attributes["id"] == nil:
		t.Errorf("openspecimen_scheduled_job has no identity { id }: %v", p.Identities)
	case p.ListResources["openspecimen_scheduled_job"] == nil:
		t.Errorf("no list resource openspecimen_scheduled_job in %v", slices.Sorted(maps.Keys(p.ListResources)))
	}
}

// A query of jobs and runs with a wrong password logs in through the one login gate: the
// failure is explained once in full, the other list says in a line that it was not run, and
// the password is sent once.
func TestAccScheduledJobList_loginFailureToldOnce(t *testing.T) {
	s := mocktest.New(t, scheduledJobMockConfig())
	c := newCLITest(t, s, "")
	requireTerraform114(t, c)
	c.configureRaw(fmt.Sprintf("provider \"openspecimen\" {\n  url      = %q\n  username = \"admin\"\n  password = \"wrong\"\n}\n", s.URL()))
	writeFile(t, filepath.Join(c.dir, "both.tfquery.hcl"), `list "openspecimen_scheduled_job" "jobs" {
  provider = openspecimen
}
list "openspecimen_job_run" "runs" {
  provider = openspecimen
  config {
    job_id = 1
  }
}
`)
	out, err := c.command(t.Context(), "query", "-no-color").CombinedOutput()
	if err == nil {
		t.Fatalf("the query succeeded:\n%s", out)
	}
	full, short := strings.Count(string(out), "Error: Cannot log in to OpenSpecimen"), strings.Count(string(out), "Error: Not run: no OpenSpecimen login")
	if n := strings.Count(string(out), "Error: "); full != 1 || short != 1 || n != 2 {
		t.Fatalf("%d errors, want one titled Cannot log in to OpenSpecimen and one Not run: no OpenSpecimen login:\n%s", n, out)
	}
	if n := s.RequestCount("POST", "/sessions"); n != 1 {
		t.Errorf("%d logins reached the server, want 1", n)
	}
}
