package provider

import (
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

const jobsAddr = "data.openspecimen_scheduled_jobs.x"

func expectJobIDs(ids ...int64) statecheck.StateCheck {
	want := make([]knownvalue.Check, len(ids))
	for i, id := range ids {
		want[i] = knownvalue.Int64Exact(id)
	}
	return statecheck.ExpectKnownValue(jobsAddr, at("ids"), knownvalue.ListExact(want))
}

func TestAccScheduledJobsDataSource_filters(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	for name, tc := range map[string]struct {
		user, body string
		ids        []int64
	}{
		"substring, any case":           {"admin", `name_contains = "cp export"`, []int64{23, 21, 20}},
		"underscore is literal":         {"admin", `name_contains = "CP_export"`, []int64{22}},
		"percent is literal":            {"admin", `name_contains = "100%"`, []int64{21}},
		"type":                          {"admin", "name_contains = \"export\"\ntype = \"INTERNAL\"", []int64{21}},
		"non-admin: its own and shared": {"alice", "", []int64{26, 24}},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config: providerBlockAs(s.URL(), tc.user, map[string]string{"admin": "Admin@123", "alice": "Alice@123"}[tc.user]) +
						fmt.Sprintf("data \"openspecimen_scheduled_jobs\" \"x\" {\n%s\n}\n", tc.body),
					ConfigStateChecks: []statecheck.StateCheck{expectJobIDs(tc.ids...)},
				}},
			})
		})
	}
}

// The jobs serve iteration: one run data source per job. (for_each works the same in
// Terraform; plugin-testing's state shim accepts only count.)
func TestAccScheduledJobsDataSource_iteration(t *testing.T) {
	s := mocktest.New(t, namedJobsMockConfig(t))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
data "openspecimen_scheduled_jobs" "x" {
  name_contains = "CP export"
  type          = "QUERY"
}
data "openspecimen_job_runs" "each" {
  count  = length(data.openspecimen_scheduled_jobs.x.jobs)
  job_id = data.openspecimen_scheduled_jobs.x.jobs[count.index].id
}
output "runs" {
  value = { for i, runs in data.openspecimen_job_runs.each : data.openspecimen_scheduled_jobs.x.jobs[i].name => runs.ids }
}
`,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownOutputValue("runs", knownvalue.MapExact(map[string]knownvalue.Check{
					"CP export": knownvalue.ListExact([]knownvalue.Check{knownvalue.Int64Exact(5)}),
					"cp export": knownvalue.ListExact([]knownvalue.Check{}),
				})),
			},
		}},
	})
}
