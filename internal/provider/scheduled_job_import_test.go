package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver"
	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// Importing a job that OpenSpecimen deleted (disabled and renamed) says so, rather than only
// Terraform's "non-existent remote object".
func TestAccScheduledJob_importDeleted(t *testing.T) {
	cfg := testMockConfig()
	cfg.Jobs = append(cfg.Jobs, mockserver.JobConfig{ID: 40, Name: "Nightly export_1717200000000", ActivityStatus: "Disabled"})
	s := mocktest.New(t, cfg)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: providerBlock(s) + `
resource "openspecimen_scheduled_job" "x" {
  name            = "Nightly export"
  type            = "INTERNAL"
  task_class      = "com.example.Task"
  repeat_schedule = "ONDEMAND"
}
`,
			ResourceName:  "openspecimen_scheduled_job.x",
			ImportState:   true,
			ImportStateId: "40",
			ExpectError: errRe(`(?s)Job deleted.*Scheduled job 40 was deleted in OpenSpecimen \(it is disabled and renamed ` +
				`"Nightly export_1717200000000"\): there is nothing to import`),
		}},
	})
}
