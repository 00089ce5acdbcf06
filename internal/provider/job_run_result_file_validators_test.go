package provider

import (
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/openspecimen-iac/terraform-provider-openspecimen/mockserver/mocktest"
)

// unzip = false with decode = "csv" is refused when the configuration is validated, by the
// data source and the ephemeral resource alike, before any request for the file.
func TestAccJobRunResultFile_unzipDecodeConflict(t *testing.T) {
	s := mocktest.New(t, resultFileMockConfig(t))
	body := "  job_id = 1\n  run_id = 12\n  unzip  = false\n  decode = \"csv\"\n"
	conflict := errRe(`(?s)Conflicting unzip and decode.*unzip = false keeps a zip.*Remove unzip = false`)
	for kind, checks := range map[string][]tfversion.TerraformVersionCheck{
		"data": nil,
		// Ephemeral resources arrived in Terraform 1.10 and OpenTofu 1.11.
		"ephemeral": {tfversion.SkipBelow(tfversion.Version1_10_0)},
	} {
		t.Run(kind, func(t *testing.T) {
			resource.Test(t, resource.TestCase{
				TerraformVersionChecks:   checks,
				ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      providerBlock(s) + kind + " \"openspecimen_job_run_result_file\" \"x\" {\n" + body + "}\n",
					ExpectError: conflict,
				}},
			})
		})
	}
	if n := s.RequestCount("GET", "/scheduled-jobs/{jobId}/runs/{runId}/result-file"); n != 0 {
		t.Errorf("%d downloads, want none: the conflict is a configuration error", n)
	}
}
