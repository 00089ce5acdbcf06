package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// No triggers and `triggers = {}` are the same: removing, nulling or adding an empty map
// records the change in place and runs nothing; a trigger that changes runs the job again.
func TestAccJobRun_emptyTriggers(t *testing.T) {
	s := mocktest.New(t, testMockConfig())
	step := func(triggers string, action plancheck.ResourceActionType, runs int) resource.TestStep {
		return resource.TestStep{
			Config: jobRunConfig(s, "  job_id = 1\n"+triggers),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(jobRunAddr, action),
			}},
			Check: expectRuns(s, jobQuick, runs),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			step("  triggers = {}", plancheck.ResourceActionCreate, 1),
			step("", plancheck.ResourceActionUpdate, 1),
			step("  triggers = {}", plancheck.ResourceActionUpdate, 1),
			step("  triggers = null", plancheck.ResourceActionUpdate, 1),
			step("  triggers = { release = \"v1\" }", plancheck.ResourceActionReplace, 2),
			step("  triggers = {}", plancheck.ResourceActionReplace, 3),
			{Config: jobRunConfig(s, "  job_id = 1\n  triggers = {}"), PlanOnly: true},
		},
	})
}

// A trigger known only at apply may hold something: it runs the job again.
func TestTriggersRequireReplace_unknown(t *testing.T) {
	if noTriggers(types.MapUnknown(types.StringType)) {
		t.Error("an unknown map counts as no triggers")
	}
	if !noTriggers(types.MapNull(types.StringType)) || !noTriggers(types.MapValueMust(types.StringType, nil)) {
		t.Error("null or empty triggers count as some")
	}
}
